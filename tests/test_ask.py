import json

import numpy as np
import pytest
from click.testing import CliRunner

from qa.verify import verify
from qa.api import Assistant, clean_question
from qa.cli import main
from qa.errors import InputError
from qa.ingest import ingest
from qa.retrieve import Filters, diversify, rrf, top_rows
from qa.types import Chunk, Citation, Hit


def test_rrf_sums_reciprocal_ranks():
    fused = rrf([([3, 1, 2], 1.0), ([1, 4], 1.0)], k=60)
    assert fused[1] == pytest.approx(1 / 62 + 1 / 61)
    assert max(fused, key=fused.get) == 1 and fused[4] == pytest.approx(1 / 62)
    assert rrf([([5], 0.0), ([6], 1.0)])[5] == 0.0  # a zero weight switches a retriever off


def test_top_rows_respects_mask_and_positivity():
    import numpy as np

    scores = np.array([0.1, 0.9, 0.0, 0.5])
    assert top_rows(scores, None, 2) == [1, 3]
    assert top_rows(scores, np.array([True, False, True, True]), 5, positive=True) == [3, 0]


def test_unit_searcher_ranks_chunks_by_their_best_sentence(assistant):
    from qa.retrieve import UnitSearcher

    searchers = {s.name: s for s, _ in assistant.retriever.searchers}
    assert set(searchers) == {"dense", "bm25", "units", "facts"}  # all on by default
    units = searchers["units"]
    assert isinstance(units, UnitSearcher)
    sentence = "康健光为阳泉市审计局副局长。"
    ranking = units.search(sentence, None, 3)
    assert sentence.rstrip("。") in assistant.data.chunks[ranking.rows[0]].text
    assert list(ranking.scores.values()) == sorted(ranking.scores.values(), reverse=True)
    mask = np.array([c.doc_id != assistant.data.chunks[ranking.rows[0]].doc_id for c in assistant.data.chunks])
    assert ranking.rows[0] not in units.search(sentence, mask, 3).rows  # filters apply


def test_diversify_caps_chunks_per_document():
    hits = [Hit(Chunk(f"c{i}", "a" if i < 4 else "b", "", 0, 1, "x", ""), 1.0 - i / 10) for i in range(6)]
    chosen = diversify(hits, 3, per_doc=2)
    assert [h.chunk.chunk_id for h in chosen] == ["c0", "c1", "c4"]


def test_doc_number_route_finds_the_document_in_any_spelling(assistant):
    for q in ("阳政办发[2022]57号讲什么", "阳政办发〔2022〕 57 号讲什么", "请问阳政办发（2022）57号"):
        answer = assistant.ask(q)
        assert answer.citations[0].doc_number == "阳政办发〔2022〕57号"
        assert "自建房安全专项整治实施方案" in answer.answer


def test_member_list_answer_leads_with_the_name(assistant):
    answer = assistant.ask("自建房安全专项整治领导小组组长是谁")
    assert not answer.refused and "韩加政" in answer.answer and answer.answer.index("韩加政") < 40


def test_citation_fields_and_urls(assistant):
    answer = assistant.ask("2025年人均体育场地面积达到多少")
    assert "2.6平方米" in answer.answer and "[1]" in answer.answer
    c = answer.citations[0]
    doc = assistant.document(c.doc_id)
    chunk = assistant.chunk(c.chunk_id)
    assert c.url == f"/doc/{c.doc_id}?chunk={c.chunk_id}&start={c.start}&end={c.end}"
    assert c.title == doc.title and c.issue == "2022年第4期" and c.page == 2 and c.doc_number == "阳政发〔2022〕21号"
    # the quote is the exact source sentence, inside its chunk, not the whole chunk
    assert c.quote == doc.text(c.start, c.end) and c.quote in chunk.text and len(c.quote) < len(chunk.text)
    assert "2.6平方米" in c.quote and answer.short_answer and "2.6平方米" in answer.short_answer
    assert verify(answer.answer, answer.citations) == []


def test_filters_restrict_results(assistant):
    hits = assistant.search("领导小组", Filters(category="人事任免"))
    assert hits and all(assistant.document(h.chunk.doc_id).category == "人事任免" for h in hits)
    with pytest.raises(InputError, match="no document matches"):
        assistant.search("领导小组", Filters(year=1999))


def test_refuses_when_evidence_is_weak(assistant):
    answer = assistant.ask("出租车起步价是多少")
    assert answer.refused and answer.citations == () and "没有找到" in answer.answer
    assert answer.suggestions  # closest documents instead of a guess
    english = assistant.ask("What is the taxi starting fare 出租车起步价?")
    # the Chinese term the question writes is in no passage: the refusal names it
    assert english.refused and "say nothing about “出租车起步价”" in english.answer


def test_refusal_threshold_is_a_setting(settings, fake_embedder):
    from dataclasses import replace

    ingest(settings, embedder=fake_embedder, progress=False)
    strict = Assistant.load(replace(settings, refuse_support=1.01), embedder=fake_embedder)
    assert strict.ask("2025年人均体育场地面积达到多少").refused
    lax = Assistant.load(replace(settings, refuse_support=0.0), embedder=fake_embedder)
    assert not lax.ask("出租车起步价是多少").refused


def _cite(quote):
    return Citation(n=1, doc_id="d", title="t", doc_number="阳政发〔2022〕21号", issue="", page=1,
                    section="", quote=quote, url="")


def test_verify_catches_unsupported_claims():
    cites = [_cite("到2025年，人均体育场地面积达到2.6平方米。组 长：韩加政 市政府副市长")]
    assert verify("人均体育场地面积达到2.6平方米[1]，组长是韩加政[1]。", cites) == []
    assert any("3.1" in p for p in verify("人均面积达到3.1平方米[1]", cites))
    assert any("[2]" in p for p in verify("见[2]", cites))
    assert any("阳政发〔2021〕9号" in p for p in verify("依据阳政发〔2021〕9号[1]", cites))
    assert any("name" in p for p in verify("组长是王建国[1]", cites))


@pytest.mark.parametrize("raw,expected", [("  谁\x00牵头\x1b？ ", "谁 牵头 ？"), ("a\u200bb", "a b")])
def test_control_characters_are_stripped(raw, expected):
    assert clean_question(raw, 1000)[0] == expected


def test_long_question_is_cut_with_a_notice(assistant):
    answer = assistant.ask("自建房" * 600)
    assert answer.notices and "1000" in answer.notices[0] and len(answer.question) == 1000


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01"])
def test_empty_question_is_an_error(assistant, bad):
    with pytest.raises(InputError, match="empty"):
        assistant.ask(bad)


def test_k_out_of_range(assistant):
    with pytest.raises(InputError, match="from 1 to 20"):
        assistant.ask("自建房", k=0)


# ---- CLI --------------------------------------------------------------------------------------

@pytest.fixture
def cli_env(settings, fake_embedder, monkeypatch):
    ingest(settings, embedder=fake_embedder, progress=False)
    monkeypatch.setenv("QA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("QA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("QA_CHUNK_SIZE", "200")
    monkeypatch.setenv("QA_CHUNK_OVERLAP", "20")
    monkeypatch.setattr("qa.api.load_embedder", lambda s: fake_embedder)
    return settings


def test_cli_ask_json_contract(cli_env):
    result = CliRunner().invoke(main, ["ask", "自建房安全专项整治领导小组组长是谁", "--json"])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    assert set(obj) >= {"question", "answer", "refused", "mode", "citations", "timings_ms"}
    assert obj["mode"] == "extractive" and obj["refused"] is False
    assert set(obj["citations"][0]) >= {"n", "doc_id", "title", "doc_number", "issue", "page", "section",
                                        "quote", "url"}


def test_cli_ask_file_one_json_per_line(cli_env, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("自建房安全专项整治领导小组组长是谁\n\n2025年人均体育场地面积达到多少\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["ask", "--json", "--file", str(questions)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and all(json.loads(line)["answer"] for line in lines)


def test_cli_ask_human_output_lists_sources(cli_env):
    result = CliRunner().invoke(main, ["ask", "2025年人均体育场地面积达到多少"])
    assert result.exit_code == 0 and "2.6平方米" in result.stdout and "[1] 阳泉市人民政府" in result.stdout


@pytest.mark.parametrize("args,message", [
    (["ask", "  "], "empty"),
    (["ask", "自建房", "--k", "99"], "from 1 to 20"),
    (["ask"], "either a QUESTION or --file"),
])
def test_cli_bad_input_exit_2(cli_env, args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and message in result.output


def test_cli_missing_index_says_run_ingest(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "none"))
    result = CliRunner().invoke(main, ["ask", "自建房"])
    assert result.exit_code != 0 and "qa ingest" in result.output


def test_cli_docs_json(cli_env):
    result = CliRunner().invoke(main, ["docs", "--json"])
    rows = json.loads(result.stdout)
    assert len(rows) == 4 and all(r["n_chunks"] > 0 for r in rows)
    assert set(rows[0]) == {"doc_id", "title", "doc_number", "issuer", "date", "issue", "category", "page",
                            "source", "n_chunks", "city"}
    assert {r["city"] for r in rows} == {"阳泉市"}  # no city.txt / cities.yaml: QA_DEFAULT_CITY
    assert "100% TOC coverage" in result.stderr


def test_follow_up_context_steers_retrieval(assistant):
    plain = assistant.ask("副组长是谁？")
    follow = assistant.ask("副组长是谁？", context="铁路规划建设工作领导小组组长是谁")
    assert "李四" in follow.answer
    assert follow.citations[0].doc_number == "阳政办函〔2022〕120号"
    assert plain.answer != follow.answer or "李四" in plain.answer


def test_verify_does_not_take_a_document_year_for_a_citation():
    cites = [_cite("依据《通知》（阳政发〔2022〕21号）")]
    assert verify("依据阳政发[2022]21号[1]", cites) == []


def test_which_document_questions_lead_with_the_document_whose_title_fits(assistant):
    """The best passage may sit in a neighbouring document; the lead is the document whose title is
    most like the question, among the first few of the evidence."""
    question = "全民健身实施计划是哪个文件印发的？"
    hits = assistant.retriever.search(question, None, 20)
    fitness = next(h for h in hits if "全民健身" in assistant.data.documents[h.chunk.doc_id].title)
    other = next(h for h in hits if h.chunk.doc_id != fitness.chunk.doc_id)
    assert assistant._lead_doc(question, [other, fitness]) == fitness.chunk.doc_id
    # other questions keep the document of the best passage
    assert assistant._lead_doc("全民健身实施计划的目标是什么？", [other, fitness]) == other.chunk.doc_id
    answer = assistant.ask(question)
    assert answer.short_answer.startswith("阳政发〔2022〕21号")
