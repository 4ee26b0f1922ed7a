"""LLM answers through the Assistant, with a scripted LLM: citations, verification, fall-back."""

import json
from qa.types import Draft, Final

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.errors import InputError

Q = "自建房安全专项整治领导小组组长是谁？"


def with_llm(assistant, llm):
    assistant.writer.use(llm)
    return assistant


def test_verified_llm_answer_is_shown_with_renumbered_citations(assistant, scripted_llm):
    chunks_seen = []
    llm = scripted_llm(["领导小组组长是韩加政，市政府副市长[2]。"])
    answer = with_llm(assistant, llm).ask(Q, mode="llm")
    prompt = llm.messages[0][1]["content"]
    assert "[1]" in prompt and "[2]" in prompt and Q in prompt
    if answer.mode == "llm":
        assert answer.answer == "领导小组组长是韩加政，市政府副市长[1]。"  # [2] -> [1]: first cited
        assert len(answer.citations) == 1 and "韩加政" in answer.citations[0].quote
        assert answer.citations[0].n == 1 and not answer.fallback
    else:  # passage 2 did not hold the name: the check must have refused it
        assert answer.fallback
    chunks_seen.append(answer)


def _passage_number(assistant, text):
    hits = assistant.search(Q, k=8)
    from qa.generate import passages_for

    return next(n for n, c in enumerate(passages_for(hits, 5), 1) if text in c.text)


def test_llm_answer_citing_the_right_passage_passes(assistant, scripted_llm):
    n = _passage_number(assistant, "韩加政")
    answer = with_llm(assistant, scripted_llm([f"组长是韩加政[{n}]。"])).ask(Q, mode="llm")
    assert answer.mode == "llm" and answer.answer == "组长是韩加政[1]。" and not answer.refused


@pytest.mark.parametrize("reply,reason", [
    ("组长是王建国[1]。", "name"),                # a name that is in no cited passage
    ("组长是韩加政，任期5年[{n}]。", "number"),     # a number that is not there
    ("组长是韩加政[9]。", "not given"),            # a passage that does not exist
    ("组长是韩加政。", "cites no passage"),
])
def test_unverified_llm_answer_falls_back_to_extractive(assistant, scripted_llm, reply, reason):
    n = _passage_number(assistant, "韩加政")
    answer = with_llm(assistant, scripted_llm([reply.format(n=n)])).ask(Q, mode="llm")
    assert answer.mode == "extractive" and reason in answer.fallback
    assert "韩加政" in answer.answer and any("LLM answer not shown" in x for x in answer.notices)


def test_llm_refusal_marker_gives_a_refusal(assistant, scripted_llm):
    answer = with_llm(assistant, scripted_llm(["NOT_FOUND"])).ask(Q, mode="llm")
    assert answer.refused and answer.mode == "llm" and answer.suggestions


def test_timeout_falls_back(assistant, scripted_llm):
    from dataclasses import replace

    assistant.settings = replace(assistant.settings, llm_timeout=0.0)
    answer = with_llm(assistant, scripted_llm(["组长是韩加政[1]。"])).ask(Q, mode="llm")
    assert answer.mode == "extractive" and "did not finish" in answer.fallback


def test_broken_backend_falls_back(assistant, scripted_llm):
    class Broken(scripted_llm):
        def _stream(self, *args):
            raise ConnectionError("server went away")
            yield ""

    answer = with_llm(assistant, Broken([])).ask(Q, mode="llm")
    assert answer.mode == "extractive" and "server went away" in answer.fallback


def test_stream_yields_draft_pieces_then_answer(assistant, scripted_llm):
    n = _passage_number(assistant, "韩加政")
    items = list(with_llm(assistant, scripted_llm([f"组长是韩加政[{n}]。"])).ask_stream(Q, mode="llm"))
    assert [type(i) for i in items] == [Draft] * len(f"组长是韩加政[{n}]。") + [Final]
    assert "".join(i.text for i in items[:-1]) == f"组长是韩加政[{n}]。"
    assert items[-1].answer.mode == "llm" and "generate" in items[-1].answer.timings_ms


def test_english_question_is_translated_for_retrieval(assistant, scripted_llm):
    n = _passage_number(assistant, "韩加政")
    llm = scripted_llm(["自建房 安全 专项整治 领导小组 组长", f"The group leader is 韩加政 [{n}]."])
    answer = with_llm(assistant, llm).ask("Who leads the self-built housing safety group?", mode="llm")
    assert len(llm.calls) == 2 and "translate" in answer.timings_ms
    assert answer.mode == "llm" and "韩加政" in answer.answer


def test_auto_without_llm_is_extractive_and_llm_mode_explains(assistant):
    with_llm(assistant, None)
    assert assistant.ask(Q, mode="auto").mode == "extractive"
    with pytest.raises(InputError, match="make llm-install"):
        assistant.ask(Q, mode="llm")
    with pytest.raises(InputError, match="not one of"):
        assistant.ask(Q, mode="poetry")


def test_cli_mode_option(settings, fake_embedder, monkeypatch):
    from qa.ingest import ingest

    ingest(settings, embedder=fake_embedder, progress=False)
    monkeypatch.setenv("QA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("QA_CHUNK_SIZE", "200")
    monkeypatch.setenv("QA_CHUNK_OVERLAP", "20")
    monkeypatch.setenv("QA_LLM_BACKEND", "none")
    monkeypatch.setattr("qa.api.load_embedder", lambda s: fake_embedder)
    ok = CliRunner().invoke(main, ["ask", Q, "--json", "--mode", "auto"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["mode"] == "extractive"
    bad = CliRunner().invoke(main, ["ask", Q, "--mode", "llm"])
    assert bad.exit_code == 2 and "make llm-install" in bad.output
