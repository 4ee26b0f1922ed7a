"""Refusal rules: each a small function that says why the evidence cannot answer the question
(a reason string) or returns None. A refusal names the reason; the closest documents are listed."""

from __future__ import annotations

import re

from collections.abc import Sequence
from dataclasses import dataclass

from ..lexical import IdfTable
from ..lexicon import places, unit_aliases
from ..text import DOC_NUMBER_RE, nfkc, squash
from ..types import Hit
from .question import Analysis, chinese_number, has_term
from .spans import asked_quantities
from .units import overlap

SUPPORT_TOP = 3  # passages whose text counts as the evidence for support and specifics


@dataclass(frozen=True)
class Refusal:
    rule: str  # "no_evidence" | "year" | "specifics" | "named" | "support" | "answer_type" | "model" | "filters" | "ambiguous" | "llm" | "post_missing" | "year_conflict" | "ordinal_conflict" | "kind_missing" | "relative_only"
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
    together (第四次 in one passage and 2023 in another do not answer a question about both),
    acronyms (GDP, 5G) that no passage holds, and Chinese terms of an English question that no
    passage read holds (most of)."""
    read = [squash(f"{h.chunk.header} {h.chunk.text}").lower() for h in hits]  # every passage the reader reads
    flats = read[:top]
    best = max(flats, key=lambda f: sum(has_term(t, f) for t in q.critical), default="")
    missing = [t for t in q.critical if not has_term(t, best)]
    acronyms = [t for t in q.content if t.isascii() and not t.isdigit()]  # GDP, 5G: somewhere in the evidence
    aliases = {t: [a.lower() for a in unit_aliases(t.upper())] for t in acronyms}  # DIP -> its full name
    absent = [t for t in acronyms if not any(t in f or any(a in f for a in aliases[t]) for f in flats)]
    written = {w.lower(): w for w in re.findall(r"[A-Za-z0-9]+", nfkc(q.text))}  # as the question writes it
    return missing + [written.get(t, t) for t in absent] + unmatched_terms(q, read)


TERM_SHARE = 0.5  # of a Chinese term's character pairs that one passage must hold


def unmatched_terms(q: Analysis, flats: Sequence[str]) -> list[str]:
    """Chinese terms written in an English question (`Analysis.written`) of which no passage holds at
    least TERM_SHARE of the character pairs: an abbreviation (污水提质增效 for 污水处理提质增效) passes,
    a term the gazettes never use (缴费档次: only 缴费 is there) does not."""
    missing = []
    for term in q.written:
        pairs = {a + b for a, b in zip(term, term[1:])}
        if max((sum(p in f for p in pairs) / len(pairs) for f in flats), default=0.0) < TERM_SHARE:
            missing.append(term)
    return missing


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
    # the year of a 文号 (阳政办函〔2021〕28号) dates the paper, not what it is about
    flat = squash(DOC_NUMBER_RE.sub("", nfkc(passage)))
    # "2021年度考核" asks about the year assessed: "于2021年1月…考核" of 2020 does not name it
    annual = {int(y) for y in re.findall(r"((?:19|20)\d{2})\s*年度", nfkc(q.text))}
    if not covered or any(y in covered or (f"{y}年度" if y in annual else str(y)) in flat for y in q.years):
        return None
    return min(covered)


_ORDINAL = re.compile(r"^第([一二三四五六七八九十百\d]+)(次|届|批|季度)?$")


def conflicting_ordinal(q: Analysis, passage: str, title: str) -> str | None:
    """The question asks about the n-th of something (第四次全国经济普查, the 2nd award); the answering
    document is about another one (第七次全国人口普查) and never names the asked one: the one it is about.
    A bare ordinal (from "8th" in English) is compared with the title's 第N次/届/批 only."""
    for term in q.critical:
        m = _ORDINAL.match(term)
        if not m:
            continue
        asked, counter = _arabic(m.group(1)), m.group(2)
        text = squash(f"{title} {passage}" if counter else title)
        seen = {_arabic(n): f"第{n}{c}" for n, c in re.findall(rf"第([一二三四五六七八九十百\d]+)({counter or '次|届|批'})", text)}
        if seen and asked not in seen:
            return next(iter(seen.values()))
    return None


_NUMERALS = {chinese_number(n): str(n) for n in range(1, 100)}


def _arabic(numeral: str) -> str:
    """第十二 and 第12 alike: a numeral up to 99 as digits (others as written)."""
    return str(int(numeral)) if numeral.isdigit() else _NUMERALS.get(numeral, numeral)


_NAME_START = re.compile(r"[，。；、：,;:\s（(“”\"]")
_GENERIC = re.compile(r"^(?:各|相关|有关|上述|其他|所有|全市|我市|本市|该|各类|一批)*")


def missing_kind(q: Analysis, texts: Sequence[str]) -> tuple[str, str] | None:
    """The kind of named thing the question asks for (医院, company) when the answering units name
    none: every mention of the kind is the question's own phrase ("首批试点医院" for "首批试点医院是
    哪几家") or generic (各医院, 相关企业). Returns (zh, en) of the kind, or None."""
    asked = squash(q.text)
    for names, zh, en in q.kinds:
        if not any(_names_one(names, squash(text), asked) for text in texts):
            return zh, en
    return None


def _names_one(names: re.Pattern[str], flat: str, asked: str) -> bool:
    """A mention of the kind whose words before it (back to a delimiter, generic words dropped) are
    at least two characters and do not end with words of the question."""
    for m in names.finditer(flat):
        before = _GENERIC.sub("", _NAME_START.split(flat[max(0, m.start() - 14):m.start()])[-1])
        if len(before) >= 2 and not any(before[-n:] in asked for n in range(2, len(before) + 1)):
            return True
    return False


_CHANGE = re.compile(r"提高|降低|上浮|下浮|浮动|幅度|调整|增加|减少|\b(?:increase|decrease|raise|lower|adjust|float|change)", re.I)


def relative_only(q: Analysis, unit_text: str) -> str | None:
    """A number question asks for a quantity (基准费率) that the answering unit names only as the base
    of other figures ("在基准费率的基础上提高…不低于10%"): those figures are changes, not the quantity.
    Returns the quantity; None when the question asks for a change itself."""
    if q.qtype != "number" or _CHANGE.search(q.text):
        return None
    flat = squash(unit_text)
    for head in dict.fromkeys([*asked_quantities(q.text), *q.written]):
        if len(head) >= 2 and head in flat and not re.search(rf"{re.escape(head)}(?!的?基础上)", flat):
            return head
    return None


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
