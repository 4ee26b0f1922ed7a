"""Refusal rules: each a small function that says why the evidence cannot answer the question
(a reason string) or returns None. A refusal names the reason; the closest documents are listed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from ..lexical import IdfTable
from ..text import squash
from ..types import Hit
from .question import Analysis
from .units import overlap

SUPPORT_TOP = 3  # passages whose text counts as the evidence for support and specifics


@dataclass(frozen=True)
class Refusal:
    rule: str  # "no_evidence" | "year" | "specifics" | "named" | "support" | "answer_type" | "filters"
    detail: str  # e.g. the missing terms, in the question's words


def evidence_text(hits: Sequence[Hit], top: int = SUPPORT_TOP) -> str:
    return " ".join(f"{h.chunk.header} {h.chunk.text}" for h in hits[:top])


def support(q: Analysis, hits: Sequence[Hit], idf: IdfTable, top: int = SUPPORT_TOP) -> float:
    """How much of the question's Chinese/number vocabulary the best evidence covers (0..1);
    1.0 when the question has none (English words are never in the Chinese passages)."""
    if not q.content:
        return 1.0
    return overlap(q.content, evidence_text(hits, top), idf)


def missing_specifics(q: Analysis, hits: Sequence[Hit], top: int = SUPPORT_TOP) -> list[str]:
    """Years, figures and ordinals of the question that the evidence lacks."""
    flat = squash(evidence_text(hits, top))
    return [t for t in q.critical if t not in flat]


_PLACE = re.compile(r"[\u4e00-\u9fff]{1,4}(?:县|区|镇|乡|村|街道)")
_GENERIC_PLACE = {"县区", "各县区", "县（区）", "城区", "矿区", "郊区", "开发区", "市区", "社区", "园区", "景区",
                  "乡镇", "全市", "农村", "城乡", "各县"}


@cache
def _place_words() -> frozenset[str]:
    return frozenset(_GENERIC_PLACE)


def named_terms(q: Analysis) -> list[str]:
    """Places and people the question names (jieba's ns/nr/nt tags, and X县/X区 words): the
    evidence must name them too."""
    import jieba.posseg as posseg

    text = squash(q.text)
    names: list[str] = []
    for word, flag in posseg.lcut(text):
        if flag in ("ns", "nr", "nt") and len(word) >= 2 and word not in names and not word.isascii():
            names.append(word)
    for m in _PLACE.finditer(text):
        word = m.group(0)
        if word not in names:
            names.append(word)
    return [n for n in names if n not in _place_words() and not n.startswith(("阳泉", "山西"))]


def missing_names(q: Analysis, hits: Sequence[Hit], top: int = SUPPORT_TOP) -> list[str]:
    flat = squash(evidence_text(hits, top))
    return [n for n in named_terms(q) if n not in flat and not _short_form_in(n, flat)]


def _short_form_in(name: str, flat: str) -> bool:
    """平定县 also matches 平定; 阳泉市第五中学 also 五中 is not tried (too loose)."""
    core = re.sub(r"(县|区|镇|乡|村|街道)$", "", name)
    return len(core) >= 2 and core in flat


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
