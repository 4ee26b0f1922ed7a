"""Tests for the offline evaluation dev set (eval/questions.jsonl) and its validator."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]
if str(REPO) not in sys.path:  # allow running pytest from any directory
    sys.path.insert(0, str(REPO))

from eval.dataset import (  # noqa: E402
    TYPES,
    Question,
    load_questions,
    main,
    validate,
)

CORPUS = Path(__file__).parents[1] / "data/gazettes"
QUESTIONS = REPO / "eval" / "questions.jsonl"

TINY_NAME = "tiny.txt"
TINY_TEXT = (
    "阳泉市人民政府 关于测试的通知\n"
    "阳政办发〔2099〕1号\n"
    "组 长：张三 市政府副市长，办公室设在市测试局，负责日常工作。\n"
    "本办法自2099年1月1日起施行，有效期5年。\n"
)


@pytest.fixture(scope="module")
def dev_set() -> list[Question]:
    return load_questions(QUESTIONS)


@pytest.fixture()
def tiny_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / TINY_NAME).write_text(TINY_TEXT, encoding="utf-8")
    return corpus


def good_q(qid: str = "t001", **changes: object) -> Question:
    base = Question(
        id=qid,
        lang="zh",
        question="测试领导小组组长是谁？",
        type="who",
        answer="张三",
        must_include=("张三",),
        doc_number="阳政办发〔2099〕1号",
        source=TINY_NAME,
        evidence="组 长：张三 市政府副市长，办公室设在市测试局",
    )
    return replace(base, **changes)


def unanswerable_q(qid: str = "t002", **changes: object) -> Question:
    base = Question(
        id=qid,
        lang="en",
        question="Who chaired the 2098 group?",
        type="unanswerable",
        answer="Not in the corpus.",
        must_include=(),
        doc_number=None,
        source=None,
        evidence="",
    )
    return replace(base, **changes)


# ---------------------------------------------------------------- real dev set


def test_real_dev_set_validates(dev_set: list[Question]) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")
    assert validate(dev_set, CORPUS) == []


def test_real_dev_set_counts(dev_set: list[Question]) -> None:
    assert len(dev_set) >= 80
    unanswerable = [q for q in dev_set if q.type == "unanswerable"]
    assert len(unanswerable) >= 10
    zh_share = sum(q.lang == "zh" for q in dev_set) / len(dev_set)
    assert 0.5 <= zh_share <= 0.8  # English grew with the English issue (q270-q308)
    assert {q.type for q in dev_set} == set(TYPES)


def test_real_dev_set_covers_all_issues(dev_set: list[Question]) -> None:
    sources = {q.source for q in dev_set if q.source}
    assert len(sources) == 5


def test_cli_exit_code(dev_set: list[Question], capsys: pytest.CaptureFixture[str]) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")
    assert main([str(QUESTIONS), str(CORPUS)]) == 0
    out = capsys.readouterr().out
    assert "by lang:" in out and "by type:" in out


# ---------------------------------------------------------------- validator


def test_valid_records_pass(tiny_corpus: Path) -> None:
    assert validate([good_q(), unanswerable_q()], tiny_corpus) == []


def test_duplicate_id(tiny_corpus: Path) -> None:
    problems = validate([good_q("dup"), good_q("dup")], tiny_corpus)
    assert any("duplicate id" in p and "dup" in p for p in problems)


def test_evidence_missing_from_source(tiny_corpus: Path) -> None:
    q = good_q(evidence="这句话在语料中根本不存在，用于测试验证器。")
    problems = validate([q], tiny_corpus)
    assert any("evidence not found" in p for p in problems)


def test_evidence_spanning_lines(tiny_corpus: Path) -> None:
    q = good_q(evidence="阳政办发〔2099〕1号\n组 长：张三 市政府副市长")
    problems = validate([q], tiny_corpus)
    assert any("more than one line" in p for p in problems)


def test_evidence_length(tiny_corpus: Path) -> None:
    problems = validate([good_q(evidence="组 长：张三")], tiny_corpus)
    assert any("evidence length" in p for p in problems)


def test_bad_type(tiny_corpus: Path) -> None:
    problems = validate([good_q(type="opinion")], tiny_corpus)
    assert any("type 'opinion'" in p for p in problems)


def test_bad_lang(tiny_corpus: Path) -> None:
    problems = validate([good_q(lang="fr")], tiny_corpus)
    assert any("lang 'fr'" in p for p in problems)


def test_must_include_not_in_source(tiny_corpus: Path) -> None:
    problems = validate([good_q(must_include=("李四",))], tiny_corpus)
    assert any("must_include '李四' not found" in p for p in problems)


def test_must_include_count(tiny_corpus: Path) -> None:
    assert any("must_include has 0" in p for p in validate([good_q(must_include=())], tiny_corpus))
    four = ("张三", "副市长", "测试局", "日常工作")
    assert any("must_include has 4" in p for p in validate([good_q(must_include=four)], tiny_corpus))


def test_unanswerable_with_must_include(tiny_corpus: Path) -> None:
    problems = validate([unanswerable_q(must_include=("张三",))], tiny_corpus)
    assert any("must_include == []" in p for p in problems)


def test_unanswerable_with_evidence(tiny_corpus: Path) -> None:
    q = unanswerable_q(evidence="组 长：张三 市政府副市长，办公室设在市测试局")
    problems = validate([q], tiny_corpus)
    assert any("empty evidence" in p for p in problems)


def test_missing_source_file(tiny_corpus: Path) -> None:
    problems = validate([good_q(source="nope.txt")], tiny_corpus)
    assert any("source file 'nope.txt' not found" in p for p in problems)


def test_doc_number_ignores_ocr_spaces(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / TINY_NAME).write_text(TINY_TEXT.replace("〕1号", "〕1 号"), encoding="utf-8")
    assert validate([good_q()], corpus) == []
    problems = validate([good_q(doc_number="阳政办发〔2099〕9号")], corpus)
    assert any("doc_number" in p for p in problems)


# ---------------------------------------------------------------- loader


def _record(qid: str) -> dict[str, object]:
    return {
        "id": qid,
        "lang": "zh",
        "question": "测试领导小组组长是谁？",
        "type": "who",
        "answer": "张三",
        "must_include": ["张三"],
        "doc_number": None,
        "source": TINY_NAME,
        "evidence": "组 长：张三 市政府副市长，办公室设在市测试局",
    }


def test_load_roundtrip(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    lines = [json.dumps(_record(f"t{i}"), ensure_ascii=False) for i in range(3)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    qs = load_questions(path)
    assert [q.id for q in qs] == ["t0", "t1", "t2"]
    assert qs[0].must_include == ("张三",)


def test_load_reports_line_of_malformed_json(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    good = json.dumps(_record("t1"), ensure_ascii=False)
    path.write_text(good + "\n" + good + "\n" + '{"id": "t3", "lang": \n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 3\b.*invalid JSON"):
        load_questions(path)


def test_load_reports_line_of_missing_field(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    bad = _record("t2")
    del bad["evidence"]
    path.write_text(
        json.dumps(_record("t1"), ensure_ascii=False) + "\n" + json.dumps(bad, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"line 2\b.*missing field.*evidence"):
        load_questions(path)


def test_load_rejects_wrong_field_type(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    bad = _record("t1")
    bad["must_include"] = "张三"
    path.write_text(json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1\b.*must_include"):
        load_questions(path)
