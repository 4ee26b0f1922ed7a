"""Answer text and citations from the chosen units: the short answer first, then the supporting
sentences or rows, each run of one source followed by its [n]; a citation quotes exactly those units."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..text import CJK_RE
from ..types import Chunk, Citation
from .units import Unit, display

# cite(chunk, start, end, n): the Citation of the source span [start, end) inside `chunk`
Citer = Callable[[Chunk, int, int, int], Citation]


def spans_of(units: Sequence[Unit]) -> list[tuple[Chunk, int, int, list[Unit]]]:
    """Units grouped into quotable spans: passages in the order their best unit was chosen, units
    in text order inside a passage; neighbouring units (only blanks between them) share a span."""
    first_seen = {id(u.chunk): i for i, u in reversed(list(enumerate(units)))}
    order = sorted(dict.fromkeys(units), key=lambda u: (first_seen[id(u.chunk)], u.start))
    spans: list[tuple[Chunk, int, int, list[Unit]]] = []
    for unit in order:
        if spans:
            chunk, start, end, members = spans[-1]
            gap = chunk.text[end - chunk.start:unit.start - chunk.start] if chunk is unit.chunk else "x"
            if chunk is unit.chunk and unit.start >= end and not gap.strip():
                spans[-1] = (chunk, start, unit.end, members + [unit])
                continue
        spans.append((unit.chunk, unit.start, unit.end, [unit]))
    return spans


ENGLISH_LEAD = "From the gazettes (quoted in Chinese): "


def compose(units: Sequence[Unit], cite: Citer, short_answer: str | None = None,
            english: bool = False, english_lead: str = ENGLISH_LEAD) -> tuple[str, list[Citation]]:
    """The answer text and its citations (numbered 1..m in order of use). The short answer comes
    from `units[0]` and carries that unit's [n]."""
    citations: list[Citation] = []
    parts: list[str] = []
    short_n = 1
    for chunk, start, end, members in spans_of(units):
        n = len(citations) + 1
        if units and units[0] in members:
            short_n = n
        citations.append(cite(chunk, start, end, n))
        parts.append(f"{join_texts([display(u.text) for u in members])}[{n}]")
    body = join_texts(parts)
    if english and body:
        body = f"{english_lead}{body}"
    if short_answer and citations:
        lead = short_answer.strip()
        mark = "" if re.search(r"\[\d+\]$", lead) else f"[{short_n}]"
        if "\n" in lead:  # list items, one per line
            return f"{lead}\n\n{body}", citations
        return f"{lead}{mark}\n\n{body}", citations
    return body, citations


def join_texts(parts: Sequence[str]) -> str:
    out = ""
    for part in parts:
        if out and part.startswith(("（", "(")) and not re.search(r"\]$", out):
            pass  # "…通知》" + "（阳政办发〔2019〕59号）要求…": one sentence broken by OCR
        elif out and not re.search(r"[。；：！？.!?:;]$|[。；：！？.!?:;]\[\d+\]$", out):
            out += "；" if CJK_RE.search(out[-6:]) else "; "
        elif out and not out.endswith(("：", ":")):
            out += " "
        out += part
    return out
