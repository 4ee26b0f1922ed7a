"""Refusal rules: each a small function that says why the evidence cannot answer the question
(a reason string) or returns None. A refusal names the reason; the closest documents are listed."""

from __future__ import annotations

import re

from collections.abc import Sequence
from dataclasses import dataclass

from ..lexical import IdfTable
from ..lexicon import places, unit_aliases
from ..text import nfkc, squash
from ..types import Hit
from .question import Analysis, has_term
from .units import overlap

SUPPORT_TOP = 3  # passages whose text counts as the evidence for support and specifics


@dataclass(frozen=True)
class Refusal:
    rule: str  # "no_evidence" | "year" | "specifics" | "named" | "support" | "answer_type" | "model" | "filters" | "ambiguous" | "llm" | "post_missing" | "year_conflict"
    detail: str  # e.g. the missing terms, in the question's words
    documents: tuple[str, ...] = ()  # "filters": the documents the filters excluded


def evidence_text(hits: Sequence[Hit], top: int = SUPPORT_TOP) -> str:
    return " ".join(f"{h.chunk.header} {h.chunk.text}" for h in hits[:top])


def support(q: Analysis, hits: Sequence[Hit], idf: IdfTable, top: int = SUPPORT_TOP) -> float:
    """How much of the question's Chinese/number vocabulary the best evidence covers (0..1);
    1.0 when the question has none (English words are never in the Chinese passages)."""
    if not q.content:
        return 1.0
    return overlap(q.content, evidence_text(hits, top), idf)


def missing_specifics(q: Analysis, hits: Sequence[Hit], top: int = SUPPORT_TOP) -> list[str]:
    """Years, figures and ordinals of the question that no single passage of the evidence holds
    together (第四次 in one passage and 2023 in another do not answer a question about both), and
    acronyms (GDP, 5G) that no passage holds."""
    flats = [squash(f"{h.chunk.header} {h.chunk.text}").lower() for h in hits[:top]]
    best = max(flats, key=lambda f: sum(has_term(t, f) for t in q.critical), default="")
    missing = [t for t in q.critical if not has_term(t, best)]
    acronyms = [t for t in q.content if t.isascii() and not t.isdigit()]  # GDP, 5G: somewhere in the evidence
    aliases = {t: [a.lower() for a in unit_aliases(t.upper())] for t in acronyms}  # DIP -> its full name
    absent = [t for t in acronyms if not any(t in f or any(a in f for a in aliases[t]) for f in flats)]
    written = {w.lower(): w for w in re.findall(r"[A-Za-z0-9]+", nfkc(q.text))}  # as the question writes it
    return missing + [written.get(t, t) for t in absent]


def named_places(q: Analysis) -> list[tuple[str, ...]]:
    """The places under Yangquan the question names (qa/lexicon/places.yaml), as their spellings."""
    text = squash(q.text)
    found = [p for p in places() if any(name in text for name in p)]
    # 高新技术产业开发区 also holds 开发区: keep only places not inside a longer one found
    return [p for p in found if not any(p != o and any(n in m and n != m for n in p for m in o) for o in found)]


def missing_names(q: Analysis, hits: Sequence[Hit], top: int = SUPPORT_TOP) -> list[str]:
    """Places the question names that the evidence does not."""
    flat = squash(evidence_text(hits, top))
    return [p[0] for p in named_places(q) if not any(name in flat for name in p)]


def conflicting_place(q: Analysis, unit_text: str) -> str | None:
    """The question names a place; the answering sentence names another place and not the asked
    one ("平定县…批了多少公顷" answered by "你县所报的盂县…"): the place the sentence is about."""
    asked = named_places(q)
    if not asked:
        return None
    flat = squash(unit_text)
    if any(name in flat for p in asked for name in p):
        return None
    others = [p[0] for p in places() if p not in asked and len(p[0]) >= 2 and any(name in flat for name in p)]
    return others[0] if others else None


_MONTH_EN = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?:19|20)\d{2}", re.I)
_YEAR_SPAN = re.compile(r"((?:19|20)\d{2})\s*(?:年)?\s*(?:[-—–－~～至到]\s*((?:19|20)\d{2}))?")


def title_years(title: str) -> set[int]:
    """Years a document's title is about: "2020年水污染治理攻坚方案" -> {2020}; "（2019—2021年）" -> 2019..2021."""
    years: set[int] = set()
    for m in _YEAR_SPAN.finditer(nfkc(title)):
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        years.update(range(first, last + 1) if 0 <= last - first <= 10 else (first, last))
    return years


def conflicting_year(q: Analysis, passage: str, title: str) -> int | None:
    """The question asks about a year; the answering document's title is about other years and the
    answering passage does not name the asked one ("2021年…" answered from a 2020 plan): the title's year."""
    if not q.years or q.months or _MONTH_EN.search(q.text):
        return None  # a month and year date an event ("after the Feb 2021 meeting"), not the topic's year
    covered = title_years(title)
    flat = squash(passage)
    if not covered or any(y in covered or str(y) in flat for y in q.years):
        return None
    return min(covered)


def focus(q: Analysis, unit_text: str, header: str, idf: IdfTable) -> float:
    """How much of the question's vocabulary the answering sentence and its document title and
    section cover: an answer from a passage about something else covers little."""
    if not q.content:
        return 1.0
    return overlap(q.content, f"{header} {unit_text}", idf)


def years_outside(q: Analysis, years: set[int], hits: Sequence[Hit]) -> list[int]:
    """Years the question asks about that no gazette issue covers and the evidence does not mention."""
    flat = squash(evidence_text(hits))
    return [y for y in q.years if y not in years and str(y) not in flat]


def check(q: Analysis, hits: Sequence[Hit], idf: IdfTable, years: set[int], min_support: float,
          routed: bool = False) -> Refusal | None:
    """The first rule the evidence breaks, or None. A question that names a known 文号 is answered
    from that document whatever else it says."""
    if not hits:
        return Refusal("no_evidence", "")
    if routed:
        return None
    outside = years_outside(q, years, hits)
    if outside:
        return Refusal("year", "、".join(str(y) for y in outside))
    missing = missing_specifics(q, hits)
    if missing:
        return Refusal("specifics", "、".join(missing))
    names = missing_names(q, hits)
    if names:
        return Refusal("named", "、".join(names))
    if support(q, hits, idf) < min_support:
        return Refusal("support", "")
    return None
