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


def expand(question: str) -> str:
    """Chinese terms for the English words of a question ('' when it has none)."""
    terms: list[str] = []
    for match in _pattern().finditer(question):
        for term in table()[match.group(1).lower()].split():
            if term not in terms:
                terms.append(term)
    return " ".join(terms)
