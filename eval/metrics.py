"""Evaluation metrics: pure functions over strings, ranks and per-question records.

Text is compared in normalized form (`norm`): NFKC (full-width -> half-width), no whitespace at all
(OCR puts spaces inside words: "组 长"), lower case.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qa.text import is_english, squash
from qa.types import Citation

KS = (1, 3, 5, 10)
_CHINESE = re.compile(r"[\u3400-\u9fff]{2,}")


def norm(text: str) -> str:
    return squash(text or "").lower()


def is_hit(chunk_text: str, evidence: str) -> bool:
    """The chunk contains the evidence line (normalized). An empty evidence never hits."""
    needle = norm(evidence)
    return bool(needle) and needle in norm(chunk_text)


def evidence_rank(chunk_texts: Sequence[str], evidence: str, depth: int = 10) -> int | None:
    """1-based rank of the first of the top `depth` chunks that contains the evidence, else None."""
    for rank, text in enumerate(chunk_texts[:depth], start=1):
        if is_hit(text, evidence):
            return rank
    return None


def hit_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions whose evidence rank is <= k (None ranks are misses). None if no questions."""
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mrr_at(ranks: Sequence[int | None], k: int = 10) -> float | None:
    """Mean reciprocal rank, counting ranks beyond k (or None) as 0. None if no questions."""
    if not ranks:
        return None
    return sum(1 / r for r in ranks if r is not None and r <= k) / len(ranks)


def answer_correct(answer_text: str, must_include: Iterable[str]) -> bool:
    """Every must_include string appears in the answer (normalized). False when there is none."""
    needles = [norm(s) for s in must_include]
    if not needles or not all(needles):
        return False
    flat = norm(answer_text)
    return all(n in flat for n in needles)


def short_answer_correct(short: str, must_include: Iterable[str], question: str) -> bool:
    """The short answer holds every must_include string, less the words the question already says
    ("政务新媒体账号89个" for "…有多少个政务新媒体账号…" needs only "89个"): a short answer need not
    repeat the question's words. Only Chinese words count as repeated; figures never do (the 20 of
    2020 in a question does not excuse a wrong 文号). False when there is no short answer."""
    if not short:
        return False
    asked = norm(question)
    needles = []
    for needle in (norm(s) for s in must_include):
        keep = [True] * len(needle)
        for size in range(len(needle), 1, -1):  # remove the longest pieces the question repeats first
            for i in range(0, len(needle) - size + 1):
                piece = needle[i:i + size]
                if all(keep[i:i + size]) and piece in asked and _CHINESE.fullmatch(piece):
                    keep[i:i + size] = [False] * size
        # what is left, as the runs the answer must hold ("应急" of 市应急管理局 repeated: 市, 管理局)
        runs = re.findall(r"[^\x00]+", "".join(ch if k else "\x00" for ch, k in zip(needle, keep)))
        needles += runs or [needle]
    return answer_correct(short, needles)


_NAME_OR_NUMBER = re.compile(r"(?:[\u4e00-\u9fff]{2,3}(?:[、，,][\u4e00-\u9fff]{2,3})*|[^\u4e00-\u9fff]*|"
                             r"[\u4e00-\u9fff]{2,8}〔\d{4}〕\d+号)")


def short_in_english(short: str | None) -> bool:
    """A short answer fit for an English question: English words (the Chinese original may follow in
    brackets), or something with no English form — figures, a ratio, a 文号, a person's name."""
    if not short:
        return False
    if re.search(r"[A-Za-z]{2,}", short) or re.search(r"〔\d{4}〕\d+号", short):
        return True
    lines = [re.sub(r"[（(][^)）]*[)）]", "", squash(line)) for line in short.splitlines() if line.strip()]
    return all(_NAME_OR_NUMBER.fullmatch(line) for line in lines)


def in_language(text: str, english: bool) -> bool:
    """An answer's own words are in the question's language: English for an English question — or
    only a name, figure or 文号, which has no English form (as for short answers) — else Chinese."""
    if not english:
        return not is_english(text)
    bare = re.sub(r"\[\d+\]", "", text).strip()
    return is_english(bare) or (bool(bare) and short_in_english(bare))


def citation_precision(citations: Sequence[Citation], must_include: Iterable[str],
                       evidence: str) -> float | None:
    """Share of citations whose quote holds any must_include string or the evidence. None if no citations."""
    if not citations:
        return None
    needles = [n for n in (norm(s) for s in (*must_include, evidence)) if n]
    good = sum(1 for c in citations if any(n in norm(c.quote) for n in needles))
    return good / len(citations)


def share(flags: Iterable[bool]) -> float | None:
    """Fraction of True values; None for an empty input."""
    flags = list(flags)
    return sum(1 for f in flags if f) / len(flags) if flags else None


def refusal_accuracy(refused: Iterable[bool], answerable: Iterable[bool]) -> float | None:
    """Share of the unanswerable questions that were refused."""
    return share(r for r, a in zip(refused, answerable, strict=True) if not a)


def false_refusal_rate(refused: Iterable[bool], answerable: Iterable[bool]) -> float | None:
    """Share of the answerable questions that were refused."""
    return share(r for r, a in zip(refused, answerable, strict=True) if a)


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def p95(values: Sequence[float]) -> float | None:
    """95th percentile with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = 0.95 * (len(ordered) - 1)
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


@dataclass(frozen=True)
class Record:
    """The outcome of one question under one configuration."""

    id: str
    lang: str
    type: str
    answerable: bool
    rank: int | None  # evidence rank in the top 10 search hits
    doc_hit5: bool | None  # a top-5 hit is in the expected document; None when no 文号 is expected
    refused: bool
    correct: bool | None  # None for unanswerable questions
    citation_precision: float | None  # None when there are no citations or the question is unanswerable
    ms: float  # wall time of ask()
    retrieve_ms: float = 0.0  # the retrieval part of it, as ask() reports it
    question: str = ""
    must_include: tuple[str, ...] = ()
    answer: str = ""
    top_chunks: tuple[str, ...] = ()  # chunk ids of the search hits, best first
    mode: str = "extractive"  # how the shown answer was made
    fallback: bool = False  # an LLM answer failed verification and the extractive one is shown
    ttft_ms: float | None = None  # time to the first LLM text piece
    language_ok: bool | None = None  # answer written in the question's language (None when refused)
    error: str | None = None
    short_correct: bool | None = None  # the short answer alone holds every must_include (None: unanswerable)
    short_present: bool = False
    short_english: bool | None = None  # English question answered: its short answer is in English (None otherwise)

    @property
    def failed(self) -> bool:
        return not self.correct if self.answerable else not self.refused


METRICS = ("hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "doc_hit@5", "answer_accuracy", "short_answer_acc",
           "citation_precision", "refusal_accuracy", "false_refusal_rate", "language_match", "short_english",
           "llm_fallback_rate",
           "median_ttft_ms", "median_ms", "p95_ms")


def aggregate(records: Sequence[Record]) -> dict[str, float | int | None]:
    """All metrics over a set of records. Retrieval and answer metrics use the answerable questions;
    doc_hit@5 those that name a document; refusal accuracy the unanswerable ones. Questions that
    raised an error count as misses and wrong answers, and are left out of the latencies."""
    answerable = [r for r in records if r.answerable]
    ranks = [r.rank for r in answerable]
    ms = [r.ms for r in records if not r.error]
    out: dict[str, float | int | None] = {f"hit@{k}": hit_at(ranks, k) for k in KS}
    out["mrr@10"] = mrr_at(ranks, 10)
    out["doc_hit@5"] = share(r.doc_hit5 for r in records if r.doc_hit5 is not None)
    out["answer_accuracy"] = share(bool(r.correct) for r in answerable)
    out["short_answer_acc"] = share(bool(r.short_correct) for r in answerable)
    out["citation_precision"] = mean(r.citation_precision for r in answerable)
    out["refusal_accuracy"] = refusal_accuracy([r.refused for r in records], [r.answerable for r in records])
    out["false_refusal_rate"] = false_refusal_rate([r.refused for r in records],
                                                   [r.answerable for r in records])
    out["language_match"] = share(r.language_ok for r in records if r.language_ok is not None)
    out["short_english"] = share(r.short_english for r in records if r.short_english is not None)
    tried = [r for r in records if r.mode == "llm" or r.fallback]
    out["llm_fallback_rate"] = share(r.fallback for r in tried) if tried else None
    ttft = [r.ttft_ms for r in records if r.ttft_ms is not None]
    out["median_ttft_ms"] = median(ttft) if ttft else None
    out["median_ms"] = median(ms)
    out["p95_ms"] = p95(ms)
    out["n"] = len(records)
    out["n_answerable"] = len(answerable)
    out["n_errors"] = sum(1 for r in records if r.error)
    return out


def summarize(records: Sequence[Record]) -> dict[str, dict]:
    """Aggregate metrics overall and grouped by language and by question type."""
    def grouped(key: str) -> dict[str, dict]:
        groups: dict[str, list[Record]] = {}
        for r in records:
            groups.setdefault(getattr(r, key), []).append(r)
        return {name: aggregate(group) for name, group in sorted(groups.items())}

    return {"overall": aggregate(records), "by_lang": grouped("lang"), "by_type": grouped("type")}
