"""Verification of answers (extractive and LLM): every number, date, 文号 and person name in an
answer must appear in a cited passage, and every [n] must exist."""

from __future__ import annotations

import re

from .text import DOC_NUMBER_RE, find_doc_numbers, nfkc, squash
from .types import Citation

CITATION = re.compile(r"\[(\d+)\](?!\s*\d+\s*号)")  # [n], but not the year in 阳政发[2022]5号

_NUMBERS = re.compile(r"\d+(?:\.\d+)?(?:万元|亿元|元|%|％|年|个月|月|日|个|家|户|人|名|项|次|天|小时|平方米|米|吨|辆|座)?")


def verify(answer: str, citations: list[Citation] | tuple[Citation, ...]) -> list[str]:
    """Problems that make an answer unverifiable; [] when every checked claim is in a cited passage."""
    problems = []
    numbers = {c.n for c in citations}
    for ref in CITATION.findall(answer):
        if int(ref) not in numbers:
            problems.append(f"citation [{ref}] does not exist")
    body = CITATION.sub(" ", answer)
    passages = squash(" ".join(f"{c.title} {c.doc_number or ''} {c.quote}" for c in citations))
    cited_numbers = set(find_doc_numbers(passages))
    for number in find_doc_numbers(body):  # any bracket or spacing variant
        if number not in cited_numbers:
            problems.append(f"文号 {number} is not in the cited passages")
    body = DOC_NUMBER_RE.sub(" ", nfkc(body))
    for number in _NUMBERS.findall(squash(body)):  # with its unit, not as part of a longer number
        if not re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", passages):
            problems.append(f"number {number} is not in the cited passages")
    for name in person_names(body):
        if squash(name) not in passages:
            problems.append(f"name {name} is not in the cited passages")
    return problems


def person_names(text: str) -> list[str]:
    """Person names jieba's tagger finds (nr), for checking; short common words are left out."""
    import jieba.posseg as posseg

    names = []
    for word, flag in posseg.lcut(re.sub(r"\s+", "", text)):
        if flag == "nr" and 2 <= len(word) <= 4 and word not in names:
            names.append(word)
    return names
