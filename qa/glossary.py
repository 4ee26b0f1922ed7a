"""English -> Chinese vocabulary of municipal government documents, for lexical matching of English
questions (the dense side is multilingual already): the search glossary (qa/lexicon/glossary.yaml)
and the English names of units, posts, document types and policy terms (qa/lexicon/bilingual.yaml)."""

from __future__ import annotations

import re
from functools import cache

from .lexicon import bilingual, glossary

MIN_NAME = 5  # shorter English names ("head", "plan") say too little to pick a Chinese term


@cache
def table() -> dict[str, str]:
    """Lower-case English word or phrase -> Chinese terms (space-separated)."""
    merged: dict[str, list[str]] = {}
    for section in bilingual().values():
        for chinese, names in section.items():
            for name in names:
                if len(name) >= MIN_NAME:
                    merged.setdefault(name.lower(), []).append(chinese)
    out = {name: " ".join(dict.fromkeys(terms)) for name, terms in merged.items()}
    out.update({k.lower(): v for k, v in glossary().items()})  # the search glossary has the last word
    return out


@cache
def _pattern() -> re.Pattern[str]:
    words = sorted(table(), key=len, reverse=True)  # longest phrases first
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.I)


_CN = "一二三四"
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
# numbered forms the glossary cannot list: "Q3" (2022年三季度 / 第三季度), "Level IV" response (Ⅳ级响应)
_QUARTER = re.compile(r"\bQ([1-4])\b|\b([1-4])Q\b", re.I)
_LEVEL = re.compile(r"\b(?:level|grade|class|tier)[- ]?(iv|i{1,3}|[1-4])\b|\b(iv|i{1,3}|[1-4])[- ](?:level|grade)\b", re.I)


def numbered(question: str) -> list[str]:
    """Chinese forms of the quarters and response levels a question names."""
    out: list[str] = []
    for a, b in _QUARTER.findall(question):
        n = _CN[int(a or b) - 1]
        out += [f"第{n}季度", f"{n}季度"]
    for a, b in _LEVEL.findall(question):
        n = _ROMAN[(a or b).lower()]
        out += [f"{chr(0x215F + n)}级", f"{n}级", f"{_CN[n - 1]}级"]
    return out


def expand(question: str) -> str:
    """Chinese terms for the English words of a question ('' when it has none)."""
    terms: list[str] = numbered(question)
    for match in _pattern().finditer(question):
        for term in table()[match.group(1).lower()].split():
            if term not in terms:
                terms.append(term)
    return " ".join(terms)
