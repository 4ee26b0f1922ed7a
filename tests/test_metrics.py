import numpy as np
import pytest

from eval.dataset import Question
from eval.metrics import (Record, answer_correct, citation_precision, evidence_rank, false_refusal_rate,
                          hit_at, is_hit, median, mrr_at, norm, p95, refusal_accuracy, summarize)
from eval.report import render
from eval.run import run
from qa.errors import QAError
from qa.ingest import ingest
from qa.types import Citation


def _citation(quote: str, n: int = 1) -> Citation:
    return Citation(n=n, doc_id="d", title="t", doc_number=None, issue="2022年第4期", page=None,
                    section="", quote=quote, url="")


def _record(id, lang="zh", type="who", answerable=True, rank=None, refused=False, correct=None,
            precision=None, ms=10.0, doc_hit5=None) -> Record:
    return Record(id=id, lang=lang, type=type, answerable=answerable, rank=rank, doc_hit5=doc_hit5,
                  refused=refused, correct=correct, citation_precision=precision, ms=ms)


def test_norm_unifies_width_case_and_ocr_spaces():
    assert norm("３：４：３") == "3:4:3"
    assert norm("组 长：\t黄海涛\n") == "组长:黄海涛"
    assert norm("ＡＢＣ 5G") == "abc5g"
    assert norm("") == ""


def test_is_hit_and_rank():
    chunk = "二、组织领导\n组 长：\t韩加政\t市政府副市长\n副组长：\t刘广利"
    assert is_hit(chunk, "组长:韩加政 市政府副市长")  # half-width colon, no OCR space, other spacing
    assert not is_hit(chunk, "组长:张三")
    assert not is_hit(chunk, "")  # an empty evidence never counts
    texts = ["无关", "也无关", chunk, chunk]
    assert evidence_rank(texts, "韩加政") == 3
    assert evidence_rank(texts, "张三") is None
    assert evidence_rank(texts, "韩加政", depth=2) is None


def test_hit_at_and_mrr():
    ranks = [1, 3, None, 11]
    assert hit_at(ranks, 1) == 0.25
    assert hit_at(ranks, 3) == hit_at(ranks, 10) == 0.5
    assert mrr_at(ranks, 10) == pytest.approx((1 + 1 / 3) / 4)
    assert mrr_at([2], 1) == 0.0
    assert hit_at([], 5) is None and mrr_at([]) is None


def test_answer_correct_needs_every_string():
    answer = "人均体育场地面积达到２．６平方米[1]；经常参加体育锻炼人数比例达到38.5%"
    assert answer_correct(answer, ["2.6平方米"])
    assert answer_correct(answer, ["2.6 平方米", "38.5%"])
    assert not answer_correct(answer, ["2.6平方米", "40%"])
    assert not answer_correct(answer, [])


def test_citation_precision():
    cites = [_citation("组 长：韩加政 市政府副市长", 1), _citation("附件：信息表（略）", 2),
             _citation("成立阳泉市自建房安全专项整治工作领导小组：", 3)]
    assert citation_precision(cites, ["韩加政"], "") == pytest.approx(1 / 3)
    assert citation_precision(cites, ["韩加政"], "成立阳泉市自建房安全专项整治工作领导小组") == pytest.approx(2 / 3)
    assert citation_precision([], ["韩加政"], "x") is None
    assert citation_precision(cites, [], "") == 0.0  # nothing to support: no citation counts


def test_refusal_counting():
    refused = [True, False, True, False, True]
    answerable = [False, False, True, True, True]
    assert refusal_accuracy(refused, answerable) == 0.5  # 1 of 2 unanswerable refused
    assert false_refusal_rate(refused, answerable) == pytest.approx(2 / 3)
    assert refusal_accuracy([True], [True]) is None  # no unanswerable question at all


def test_median_and_p95():
    values = [5.0, 1.0, 3.0, 100.0, 2.0, 4.0]
    assert median(values) == 3.5
    assert p95(values) == pytest.approx(np.percentile(values, 95))
    assert p95([7.0]) == 7.0 and median([]) is None and p95([]) is None


def test_summarize_groups_by_lang_and_type():
    records = [
        _record("a", "zh", "who", rank=1, correct=True, precision=1.0, doc_hit5=True, ms=10),
        _record("b", "en", "who", rank=4, correct=False, precision=0.5, doc_hit5=False, ms=20),
        _record("c", "zh", "number", rank=None, refused=True, correct=False, ms=30),
        _record("d", "en", "unanswerable", answerable=False, refused=True, ms=40),
    ]
    errored = Record(id="e", lang="zh", type="who", answerable=True, rank=None, doc_hit5=None,
                     refused=False, correct=False, citation_precision=None, ms=0.0, error="KeyError: x")
    assert summarize(records + [errored])["overall"]["median_ms"] == 25  # errors have no latency
    s = summarize(records)
    o = s["overall"]
    assert (o["n"], o["n_answerable"]) == (4, 3)
    assert o["hit@1"] == pytest.approx(1 / 3) and o["hit@5"] == pytest.approx(2 / 3)
    assert o["mrr@10"] == pytest.approx((1 + 0.25) / 3)
    assert o["doc_hit@5"] == 0.5 and o["answer_accuracy"] == pytest.approx(1 / 3)
    assert o["citation_precision"] == 0.75  # mean over questions that have citations
    assert o["refusal_accuracy"] == 1.0 and o["false_refusal_rate"] == pytest.approx(1 / 3)
    assert o["median_ms"] == 25
    assert set(s["by_lang"]) == {"zh", "en"} and set(s["by_type"]) == {"who", "number", "unanswerable"}
    assert s["by_lang"]["zh"]["n"] == 2 and s["by_lang"]["zh"]["answer_accuracy"] == 0.5
    assert s["by_type"]["unanswerable"]["hit@5"] is None  # no answerable question in the group
    assert s["by_type"]["unanswerable"]["refusal_accuracy"] == 1.0


QUESTIONS = [
    Question(id="t1", lang="zh", question="自建房安全专项整治工作领导小组的组长是谁？", type="who",
             answer="韩加政", must_include=("韩加政",), doc_number="阳政办发〔2022〕57号",
             source="mini-gazette.txt", evidence="组 长：\t韩加政\t市政府副市长"),
    Question(id="t2", lang="zh", question="到2025年人均体育场地面积要达到多少？", type="number",
             answer="2.6平方米", must_include=("2.6平方米",), doc_number="阳政发〔2022〕21号",
             source="mini-gazette.txt", evidence="人均体育场地面积达到2.6平方米"),
    Question(id="t3", lang="en", question="What was Yangquan's 2030 budget for lunar exploration?",
             type="unanswerable", answer="Not in the gazettes.", must_include=(), doc_number=None,
             source=None, evidence=""),
]


def test_run_hybrid_and_textbook_on_the_mini_corpus(settings, fake_embedder, tmp_path):
    ingest(settings, embedder=fake_embedder, progress=False)
    cache = tmp_path / "cache"
    report = run(["hybrid", "textbook"], QUESTIONS, settings, embedder=fake_embedder, cache_dir=cache,
                 progress=False)
    assert list(report["configs"]) == ["hybrid", "textbook"]
    assert report["meta"]["n_questions"] == 3 and report["meta"]["embedder"] == "fake/bigram-64"
    for name, summary in report["configs"].items():
        overall = summary["overall"]
        assert overall["n"] == 3 and overall["n_answerable"] == 2 and overall["n_errors"] == 0
        for key in ("hit@1", "hit@5", "hit@10", "mrr@10", "doc_hit@5", "answer_accuracy",
                    "refusal_accuracy", "false_refusal_rate"):
            assert 0.0 <= overall[key] <= 1.0, (name, key)
        assert overall["hit@1"] <= overall["hit@5"] <= overall["hit@10"]
        assert overall["median_ms"] > 0 and overall["p95_ms"] >= overall["median_ms"]
        assert [r["id"] for r in report["records"][name]] == ["t1", "t2", "t3"]
    assert all(c.startswith("tb-mini-gazette.txt-")
               for r in report["records"]["textbook"] for c in r["top_chunks"])
    assert len(list(cache.glob("textbook-*.npy"))) == 1
    text = render(report)
    assert "| hybrid | 3 |" in text and "| textbook | 3 |" in text and "## By type (hybrid)" in text

    before = fake_embedder.embedded  # a rerun takes the textbook vectors from the cache
    run(["textbook"], QUESTIONS, settings, embedder=fake_embedder, cache_dir=cache, progress=False)
    assert fake_embedder.embedded - before == 2 * len(QUESTIONS)  # only queries: search, then ask (timed cold)


def test_run_rejects_unknown_config_and_empty_selection(settings, fake_embedder):
    with pytest.raises(QAError, match="valid: .*hybrid"):
        run(["bm25"], QUESTIONS, settings, embedder=fake_embedder, progress=False)
    with pytest.raises(QAError, match="no question left"):
        run(["hybrid"], QUESTIONS, settings, types={"list"}, embedder=fake_embedder, progress=False)


def test_short_answer_need_not_repeat_the_question():
    from eval.metrics import short_answer_correct

    q = "2022年第三季度全市有多少个政务新媒体账号纳入检查？"
    assert short_answer_correct("89个", ["政务新媒体账号89个"], q)
    assert not short_answer_correct("88个", ["政务新媒体账号89个"], q)
    assert short_answer_correct("1%的公租房", ["配建1%的公租房"], "新出让土地要配建多少公租房？")
    assert not short_answer_correct("", ["89个"], q) and not short_answer_correct("市长", ["市长任组长"], "Who leads it?")


def test_short_answer_figures_in_the_question_are_not_excused():
    from eval.metrics import short_answer_correct

    q = "城镇污水处理提质增效三年行动方案（2019—2021年）是哪个文号印发的？"
    assert short_answer_correct("阳政办发〔2020〕3号《…》", ["阳政办发〔2020〕3号"], q)
    assert not short_answer_correct("阳政办发〔2019〕3号", ["阳政办发〔2020〕3号"], q)


def test_short_answer_excuses_a_repeated_word_inside_the_needle():
    from eval.metrics import short_answer_correct

    question = "按2021年地震应急预案，市抗震救灾指挥部办公室设在哪个部门？"
    assert short_answer_correct("市应急管理局", ["市应急管理局"], question)  # 应急 is in the question: 市 + 管理局 remain
    assert not short_answer_correct("市统计局", ["市应急管理局"], question)


def test_short_answer_in_english():
    from eval.metrics import short_in_english

    assert short_in_english("the Mayor (市长)") and short_in_english("0.35 yuan/kWh (0.35元/千瓦时)")
    assert short_in_english("阳政办发〔2022〕57号") and short_in_english("黄海涛、王存才") and short_in_english("5:2:3")
    assert not short_in_english("市住建局分管副局长") and not short_in_english(None)


def test_an_answer_is_in_the_questions_language_or_only_a_name_or_figure():
    from eval.metrics import in_language

    assert in_language("The office director is 张华 [1].", True) and in_language("张华 [1]", True)
    assert in_language("500,000 yuan [1]", True) and not in_language("陈志杰为阳泉市公安局常务副局长[1]", True)
    assert in_language("组长是张华[1]。", False) and not in_language("The leader is 张华.", False)
