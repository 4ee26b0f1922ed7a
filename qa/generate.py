"""LLM answers: numbered passages in, a short answer with [n] citations out — renumbered to the
passages it cites, and verified (`qa.answer.verify`) before anyone sees it as final."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .answer import CITATION, verify
from .llm import LLM, build_messages, clean_reply, is_refusal, parse_citations
from .types import Chunk, Citation, Hit


@dataclass(frozen=True)
class Draft:
    """What the LLM wrote, checked: text with renumbered [n], its citations, or why it is rejected."""

    text: str
    citations: tuple[Citation, ...]
    refused: bool = False
    problem: str = ""  # non-empty: do not show, fall back to the extractive answer


def passages_for(hits: list[Hit], k: int) -> list[Chunk]:
    """The chunks the LLM reads: the top k, one entry per chunk."""
    seen: dict[str, Chunk] = {}
    for hit in hits:
        seen.setdefault(hit.chunk.chunk_id, hit.chunk)
        if len(seen) == k:
            break
    return list(seen.values())


def stream_draft(llm: LLM, question: str, chunks: list[Chunk], citation: Callable[[Chunk, int], Citation],
                 max_tokens: int, timeout_s: float) -> Iterator[str | Draft]:
    """Yield text pieces as the model writes them, then one checked Draft.

    A reply that does not finish within `timeout_s` seconds, cites nothing, cites a passage that
    does not exist, or states a number, date, 文号 or name that is not in the passages it cites,
    becomes a Draft with `problem` set.
    """
    messages = build_messages(question, [(n, c.header, c.text) for n, c in enumerate(chunks, start=1)])
    deadline = time.monotonic() + timeout_s
    pieces: list[str] = []
    stream = llm.generate(messages, max_tokens=max_tokens, temperature=0.0, stream=True)
    try:
        for piece in stream:
            pieces.append(piece)
            yield piece
            if time.monotonic() > deadline:
                yield Draft("", (), problem=f"the LLM did not finish within {timeout_s:g} s")
                return
    finally:
        close = getattr(stream, "close", None)
        if close:
            close()
    yield check("".join(pieces), chunks, citation)


def check(reply: str, chunks: list[Chunk], citation: Callable[[Chunk, int], Citation]) -> Draft:
    """Renumber the reply's citations 1..m in order of use and verify it against those passages."""
    reply = clean_reply(reply)
    if is_refusal(reply):
        return Draft("", (), refused=True)
    cited = parse_citations(reply)
    missing = [n for n in cited if not 1 <= n <= len(chunks)]
    if missing:
        return Draft(reply, (), problem=f"it cites passage(s) {missing} that it was not given")
    if not cited:
        return Draft(reply, (), problem="it cites no passage")
    renumber = {old: new for new, old in enumerate(cited, start=1)}
    text = CITATION.sub(lambda m: f"[{renumber[int(m.group(1))]}]", reply)
    citations = tuple(citation(chunks[old - 1], new) for old, new in renumber.items())
    problems = verify(text, citations)
    if problems:
        return Draft(text, citations, problem="; ".join(problems[:3]))
    return Draft(text, citations)
