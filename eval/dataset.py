"""Offline evaluation dev set for gazette-qa: loading and validation.

Run ``python -m eval.dataset [QUESTIONS] [CORPUS_DIR]`` to print counts and problems.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

LANGS: frozenset[str] = frozenset({"zh", "en"})
TYPES: frozenset[str] = frozenset(
    {"who", "dept", "when", "number", "docnum", "list", "procedure", "appointment", "unanswerable"}
)
FIELDS: tuple[str, ...] = (
    "id",
    "lang",
    "question",
    "type",
    "answer",
    "must_include",
    "doc_number",
    "source",
    "evidence",
)
EVIDENCE_MIN, EVIDENCE_MAX = 15, 120
MUST_INCLUDE_MIN, MUST_INCLUDE_MAX = 2, 15
MAX_MUST_INCLUDE = 3

_REPO = Path(__file__).resolve().parents[1]
DEFAULT_QUESTIONS = _REPO / "eval" / "questions.jsonl"
DEFAULT_CORPUS = _REPO / "data" / "gazettes"
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Question:
    """One dev-set record."""

    id: str
    lang: str
    question: str
    type: str
    answer: str
    must_include: tuple[str, ...]
    doc_number: str | None
    source: str | None
    evidence: str

    @property
    def answerable(self) -> bool:
        """False for the ``unanswerable`` type."""
        return self.type != "unanswerable"


def _record_to_question(obj: Any) -> Question:
    """Build a Question from a decoded JSON value; raise ValueError on schema errors."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    missing = [f for f in FIELDS if f not in obj]
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    extra = sorted(set(obj) - set(FIELDS))
    if extra:
        raise ValueError(f"unknown field(s): {', '.join(extra)}")
    for name in ("id", "lang", "question", "type", "answer", "evidence"):
        if not isinstance(obj[name], str):
            raise ValueError(f"field {name!r} must be a string")
    for name in ("doc_number", "source"):
        if obj[name] is not None and not isinstance(obj[name], str):
            raise ValueError(f"field {name!r} must be a string or null")
    mi = obj["must_include"]
    if not isinstance(mi, list) or not all(isinstance(x, str) for x in mi):
        raise ValueError("field 'must_include' must be a list of strings")
    return Question(
        id=obj["id"],
        lang=obj["lang"],
        question=obj["question"],
        type=obj["type"],
        answer=obj["answer"],
        must_include=tuple(mi),
        doc_number=obj["doc_number"],
        source=obj["source"],
        evidence=obj["evidence"],
    )


def load_questions(path: str | Path) -> list[Question]:
    """Read a JSONL dev set; blank lines are skipped.

    Raises ValueError("<path> line N: <problem>") for a malformed record.
    """
    questions: list[Question] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path} line {lineno}: invalid JSON ({exc.msg})") from exc
            try:
                questions.append(_record_to_question(obj))
            except ValueError as exc:
                raise ValueError(f"{path} line {lineno}: {exc}") from exc
    return questions


def _read_corpus(corpus_dir: Path, name: str, cache: dict[str, str | None]) -> str | None:
    """Return the text of a corpus file (None if absent), cached by name."""
    if name not in cache:
        p = corpus_dir / name
        # Reject path tricks: the source must be a plain file name in corpus_dir.
        if Path(name).name != name or not p.is_file():
            cache[name] = None
        else:
            cache[name] = p.read_text(encoding="utf-8")
    return cache[name]


def _is_whole_line(evidence: str, corpus_dir: Path, source: str | None, cache: dict[str, str | None]) -> bool:
    """A short evidence is fine when it is a whole line of its source (a table row, a one-line notice)."""
    text = _read_corpus(corpus_dir, source, cache) if source else None
    return bool(evidence.strip()) and text is not None and evidence.strip() in {
        line.strip() for line in text.splitlines()}


def _validate_one(q: Question, corpus_dir: Path, cache: dict[str, str | None]) -> list[str]:
    """Problems of a single record (ids and cross-record checks excluded)."""
    p: list[str] = []
    tag = q.id or "<no id>"
    if not q.id.strip():
        p.append(f"{tag}: empty id")
    if q.lang not in LANGS:
        p.append(f"{tag}: lang {q.lang!r} not in {sorted(LANGS)}")
    if q.type not in TYPES:
        p.append(f"{tag}: type {q.type!r} not in {sorted(TYPES)}")
    if not q.question.strip():
        p.append(f"{tag}: empty question")
    if not q.answer.strip():
        p.append(f"{tag}: empty answer")

    if not q.answerable:
        if q.must_include:
            p.append(f"{tag}: unanswerable question must have must_include == []")
        if q.evidence:
            p.append(f"{tag}: unanswerable question must have empty evidence")
        if q.source is not None:
            p.append(f"{tag}: unanswerable question must have source null")
        if q.doc_number is not None:
            p.append(f"{tag}: unanswerable question must have doc_number null")
        return p

    n = len(q.must_include)
    if not 1 <= n <= MAX_MUST_INCLUDE:
        p.append(f"{tag}: must_include has {n} items, expected 1-{MAX_MUST_INCLUDE}")
    for s in q.must_include:
        if not MUST_INCLUDE_MIN <= len(s) <= MUST_INCLUDE_MAX:
            p.append(
                f"{tag}: must_include item {s!r} has length {len(s)}, "
                f"expected {MUST_INCLUDE_MIN}-{MUST_INCLUDE_MAX}"
            )
    if "\n" in q.evidence or "\r" in q.evidence:
        p.append(f"{tag}: evidence spans more than one line")
    if not EVIDENCE_MIN <= len(q.evidence) <= EVIDENCE_MAX and not (
            len(q.evidence) <= EVIDENCE_MAX and _is_whole_line(q.evidence, corpus_dir, q.source, cache)):
        p.append(
            f"{tag}: evidence length {len(q.evidence)}, expected {EVIDENCE_MIN}-{EVIDENCE_MAX} (or a whole short line)"
        )

    if not q.source:
        p.append(f"{tag}: answerable question has no source")
        return p
    text = _read_corpus(corpus_dir, q.source, cache)
    if text is None:
        p.append(f"{tag}: source file {q.source!r} not found in {corpus_dir}")
        return p
    if q.evidence and not any(q.evidence in line for line in text.splitlines()):
        p.append(f"{tag}: evidence not found verbatim on a single line of {q.source}")
    for s in q.must_include:
        if s and s not in text:
            p.append(f"{tag}: must_include {s!r} not found verbatim in {q.source}")
    # 文号 may carry OCR spaces in the body ("5 号"), so compare without whitespace.
    if q.doc_number is not None and _WS.sub("", q.doc_number) not in _WS.sub("", text):
        p.append(f"{tag}: doc_number {q.doc_number!r} not found in {q.source}")
    return p


def validate(questions: Iterable[Question], corpus_dir: str | Path) -> list[str]:
    """Return human-readable problems; an empty list means the dev set is valid."""
    corpus = Path(corpus_dir)
    problems: list[str] = []
    if not corpus.is_dir():
        return [f"corpus directory {corpus} does not exist"]
    cache: dict[str, str | None] = {}
    seen: Counter[str] = Counter()
    for q in questions:
        seen[q.id] += 1
        problems.extend(_validate_one(q, corpus, cache))
    for qid, count in sorted(seen.items()):
        if count > 1:
            problems.append(f"{qid}: duplicate id ({count} records)")
    return problems


def summarize(questions: Iterable[Question]) -> dict[str, Counter[str]]:
    """Counts by lang and by type."""
    qs = list(questions)
    return {"lang": Counter(q.lang for q in qs), "type": Counter(q.type for q in qs)}


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: print counts and problems; return 1 if any problem."""
    ap = argparse.ArgumentParser(prog="python -m eval.dataset", description=__doc__)
    ap.add_argument("questions", nargs="?", default=str(DEFAULT_QUESTIONS))
    ap.add_argument("corpus_dir", nargs="?", default=str(DEFAULT_CORPUS))
    args = ap.parse_args(argv)
    try:
        questions = load_questions(args.questions)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    counts = summarize(questions)
    print(f"{len(questions)} questions from {args.questions}")
    for key in ("lang", "type"):
        print(f"by {key}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts[key].items())))
    problems = validate(questions, args.corpus_dir)
    if problems:
        print(f"{len(problems)} problem(s) against {args.corpus_dir}:")
        for prob in problems:
            print(f"  - {prob}")
        return 1
    print(f"no problems against {args.corpus_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
