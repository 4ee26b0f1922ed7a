"""The contract with callers: how a question is cleaned before use, and the JSON object of
`qa ask --json` / `qa read --json` (fields are only ever added, never renamed or dropped)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, fields

from .errors import InputError
from .text import is_english
from .types import Answer, Citation


def clean_question(question: str, limit: int) -> tuple[str, tuple[str, ...]]:
    """Strip control characters; cut very long input with a notice. Empty -> InputError."""
    if question is None:
        raise InputError("the question is missing; ask something, e.g. 阳政办发〔2022〕57号讲什么",
                         zh="没有问题：请输入问题，例如：阳政办发〔2022〕57号讲什么")
    question = str(question)
    broken = next((i for i, ch in enumerate(question) if unicodedata.category(ch) == "Cs"), None)
    if broken is not None:  # bytes that were not UTF-8 (surrogate-escaped) or a lone surrogate
        raise InputError(f"the question has an invalid character at position {broken + 1} (bytes that are not "
                         "UTF-8?); send the question as UTF-8 text.",
                         zh=f"问题第{broken + 1}个字符无效（可能不是 UTF-8 编码）；请以 UTF-8 文本提问。")
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\t" else ch
                   for ch in question)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise InputError("the question is empty; type a question, e.g. 5G基站补贴标准是多少",
                         zh="问题是空的：请输入问题，例如：5G基站补贴标准是多少")
    notices: tuple[str, ...] = ()
    if len(text) > limit:
        notices = ((f"the question was {len(text)} characters long; only the first {limit} were used."
                    if is_english(text) else f"问题长{len(text)}个字符，只用了前{limit}个。"),)
        text = text[:limit]
    return text, notices


def answer_to_dict(answer: Answer) -> dict:
    """The JSON contract of `qa ask --json` / `qa read --json`."""
    citation_fields = ("n", "doc_id", "title", "doc_number", "issue", "page", "section", "quote", "url",
                       "start", "end", "passage", "city")
    return {
        "question": answer.question, "answer": answer.answer, "short_answer": answer.short_answer,
        "refused": answer.refused, "mode": answer.mode,
        "citations": [{k: v for k, v in asdict(c).items() if k in citation_fields} for c in answer.citations],
        "timings_ms": {k: round(v, 1) for k, v in answer.timings_ms.items()},
        "notices": list(answer.notices), "suggestions": list(answer.suggestions),
        "fallback": answer.fallback or None, "refusal_rule": answer.refusal_rule,
    }


def answer_from_dict(data: dict) -> Answer:
    """The Answer of a `qa ask --json` object (the chat keeps answers in the browser as JSON)."""
    cited = {f.name for f in fields(Citation)}
    return Answer(
        question=data["question"], answer=data["answer"], refused=bool(data["refused"]), mode=data["mode"],
        citations=tuple(Citation(**{k: v for k, v in c.items() if k in cited}) for c in data.get("citations", ())),
        timings_ms=dict(data.get("timings_ms") or {}), notices=tuple(data.get("notices") or ()),
        suggestions=tuple(data.get("suggestions") or ()), fallback=data.get("fallback") or "",
        short_answer=data.get("short_answer"), refusal_rule=data.get("refusal_rule"))


def fact_to_dict(fact, document) -> dict:
    """The JSON object of one record in `qa facts --json`: the record's fields, its document, the
    exact source text it came from (`quote`) and the URL that opens the document at that span."""
    from urllib.parse import quote as urlquote

    return {
        **fact.to_dict(), "answer": fact.answer,
        "doc_number": document.doc_number_norm, "title": document.title, "issue": document.issue.label,
        "page": document.page, "quote": document.text(fact.start, fact.end),
        "url": f"/doc/{urlquote(document.doc_id)}?start={fact.start}&end={fact.end}",
    }
