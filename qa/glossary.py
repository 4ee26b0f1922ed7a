"""English -> Chinese vocabulary of municipal government documents (qa/lexicon/glossary.yaml), for
lexical matching of English questions (the dense side is multilingual already)."""

from __future__ import annotations

import re
from functools import cache

from .lexicon import glossary


@cache
def _pattern() -> re.Pattern[str]:
    words = sorted(glossary(), key=len, reverse=True)  # longest phrases first
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.I)


def expand(question: str) -> str:
    """Chinese terms for the English words of a question ('' when it has none)."""
    table = glossary()
    terms: list[str] = []
    for match in _pattern().finditer(question):
        for term in table[match.group(1).lower()].split():
            if term not in terms:
                terms.append(term)
    return " ".join(terms)
