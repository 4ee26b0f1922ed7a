"""The one Python API that the CLI, the UI and the evaluation call: `Assistant.load(settings).ask(...)`."""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, replace

from .answer import Unit, compose, missing_terms, select_units, support
from .config import Settings, load_settings
from .embed import Embedder, load_embedder
from .errors import InputError
from .generate import Draft, passages_for, stream_draft
from .index import IndexData, load_index
from .llm import load_llm, translate_query
from .qtype import question_type
from .retrieve import Filters, Retriever, check_k, doc_numbers_in, merge_adjacent
from .text import find_doc_numbers
from .types import Answer, Chunk, Citation, Document, Hit

_CJK = re.compile(r"[\u3400-\u9fff]")
MAX_K = 20
MODES = ("extractive", "llm", "auto")
EVIDENCE_DEPTH = 8  # passages read for the answer; only those quoted are cited


def clean_question(question: str, limit: int) -> tuple[str, tuple[str, ...]]:
    """Strip control characters; cut very long input with a notice. Empty -> InputError."""
    if question is None:
        raise InputError("the question is missing; ask something, e.g. 阳政办发〔2022〕57号讲什么")
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\t" else ch
                   for ch in str(question))
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise InputError("the question is empty; type a question, e.g. 5G基站补贴标准是多少")
    notices: tuple[str, ...] = ()
    if len(text) > limit:
        notices = (f"the question was {len(text)} characters long; only the first {limit} were used.",)
        text = text[:limit]
    return text, notices


def is_english(question: str) -> bool:
    """More Latin letters than Chinese characters, not counting HTML tags or URLs."""
    question = re.sub(r"<[^>]*>|https?://\S+", " ", question)
    letters = sum(ch.isascii() and ch.isalpha() for ch in question)
    return letters > 2 * len(_CJK.findall(question))


class Assistant:
    """Loaded index + embedder; answers questions with citations."""

    def __init__(self, settings: Settings, data: IndexData, embedder: Embedder) -> None:
        self.settings = settings
        self.data = data
        self.retriever = Retriever(data, embedder, settings)
        self.idf = data.lexical.idf()
        self.body_start = {d.doc_id: d.body_start for d in data.documents.values()}
        self._chunks_by_id = {c.chunk_id: c for c in data.chunks}
        self._llm = None
        self._llm_loaded = False

    @classmethod
    def load(cls, settings: Settings | None = None, embedder: Embedder | None = None) -> Assistant:
        settings = settings or load_settings()
        data = load_index(settings)
        return cls(settings, data, embedder or load_embedder(settings))

    # --- documents -----------------------------------------------------------------------------
    def documents(self) -> list[Document]:
        return sorted(self.data.documents.values(), key=lambda d: (d.issue.year, d.issue.number, d.start))

    def document(self, doc_id: str) -> Document | None:
        return self.data.documents.get(doc_id)

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self._chunks_by_id.get(chunk_id)

    # --- questions -----------------------------------------------------------------------------
    def search(self, question: str, filters: Filters | None = None, k: int | None = None) -> list[Hit]:
        text, _ = clean_question(question, self.settings.max_question_chars)
        return self.retriever.search(text, filters, check_k(k or self.settings.k, MAX_K))

    def ask(self, question: str, filters: Filters | None = None, k: int | None = None,
            context: str | None = None, mode: str | None = None) -> Answer:
        """Answer a question. `context` (e.g. the previous question in a chat) also steers retrieval,
        but the answer is chosen for `question` and grounded in the passages found. `mode`:
        "extractive", "llm" or "auto" (LLM when installed); default `settings.answer_mode`."""
        answer = None
        for item in self.ask_stream(question, filters, k, context, mode):
            answer = item
        return answer

    def ask_stream(self, question: str, filters: Filters | None = None, k: int | None = None,
                   context: str | None = None, mode: str | None = None) -> Iterator[str | Answer]:
        """Like `ask`, but first yields the LLM's text pieces as a draft (unverified: show it as
        such), then the final, verified Answer."""
        started = time.perf_counter()
        text, notices = clean_question(question, self.settings.max_question_chars)
        k = check_k(k if k is not None else self.settings.k, MAX_K)
        llm = self._llm_for(mode or self.settings.answer_mode)
        timings: dict[str, float] = {}
        extra = (f"{clean_question(context, self.settings.max_question_chars)[0]} {text}",) if (
            context and context.strip()) else ()
        if llm is not None and is_english(text) and not find_doc_numbers(text):
            t = time.perf_counter()
            keywords = translate_query(llm, text)
            timings["translate"] = (time.perf_counter() - t) * 1000
            extra += (keywords,) if keywords else ()
        t = time.perf_counter()
        hits = self.retriever.search(text, filters, max(k, EVIDENCE_DEPTH), extra_queries=extra)
        timings["retrieve"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        context_text = extra[0] if extra else ""
        answer = self._extractive(text, hits, notices, context=context_text)
        if llm is not None and not answer.refused:
            for item in self._generated(llm, text, hits, k, answer):
                if isinstance(item, str):
                    yield item
                else:
                    answer = item
            timings["generate"] = (time.perf_counter() - t) * 1000
        else:
            timings["answer"] = (time.perf_counter() - t) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        yield replace(answer, timings_ms=timings)

    def llm(self):
        """The configured LLM, loaded on first use; None when none is installed or configured."""
        if not self._llm_loaded:
            self._llm = load_llm(self.settings)
            self._llm_loaded = True
        return self._llm

    def _llm_for(self, mode: str):
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

    def _generated(self, llm, question: str, hits: list[Hit], k: int, extractive: Answer) -> Iterator[str | Answer]:
        """The LLM's answer when it verifies; else the extractive one, saying why."""
        chunks = passages_for(hits, k)
        draft = None
        try:
            for item in stream_draft(llm, question, chunks, self._citation,
                                     self.settings.llm_max_tokens, self.settings.llm_timeout):
                if isinstance(item, str):
                    yield item
                else:
                    draft = item
        except Exception as exc:  # noqa: BLE001 - a broken backend must not lose the answer
            draft = Draft("", (), problem=f"the LLM failed ({type(exc).__name__}: {exc})")
        if draft.refused:
            yield self._refusal(question, hits, is_english(question), extractive.notices, mode="llm")
        elif draft.problem:
            note = f"LLM answer not shown: {draft.problem}. This is the extractive answer."
            yield replace(extractive, notices=extractive.notices + (note,), fallback=draft.problem)
        else:
            yield Answer(question=question, answer=draft.text, refused=False, mode="llm",
                         citations=draft.citations, notices=extractive.notices)

    def _extractive(self, question: str, hits: list[Hit], notices: tuple[str, ...],
                    context: str = "") -> Answer:
        english = is_english(question)
        routed = doc_numbers_in(question, self.retriever.docs_by_number)
        if self.should_refuse(question, hits) and not routed:
            return self._refusal(question, hits, english, notices)
        qtype = question_type(question)
        evidence = merge_adjacent(hits, self.data)
        units = select_units(question, qtype, evidence, self.idf, self.body_start, context=context)
        if qtype == "docnum" or routed:
            units = self._document_lead(hits[0].chunk.doc_id, units)
        text, citations = compose(units, self._source_chunk, self._citation)
        if english:
            text = f"From the gazettes (quoted in Chinese): {text}"
        return Answer(question=question, answer=text, refused=False, mode="extractive",
                      citations=tuple(citations), notices=notices)

    def should_refuse(self, question: str, hits: list[Hit]) -> bool:
        if not hits:
            return True
        best_dense = max((h.dense_score or 0.0) for h in hits)
        return (support(question, hits, self.idf) < self.settings.refuse_support
                or best_dense < self.settings.refuse_dense or bool(missing_terms(question, hits)))

    def _document_lead(self, doc_id: str, units: list[Unit]) -> list[Unit]:
        """For 'which document / what is X about': the title block with its 文号 first, then the
        best content sentence from that document."""
        doc = self.data.documents[doc_id]
        rows = self.retriever.rows_of_doc.get(doc_id)
        if not rows:
            return units
        first = self.data.chunks[rows[0]]
        lead = Unit(first, -1, doc.start, min(doc.body_start, first.end))
        content = [u for u in units if u.chunk.doc_id == doc_id and u.start >= doc.body_start][:1]
        return [lead] + content

    def _source_chunk(self, unit: Unit) -> Chunk:
        """The indexed chunk that holds a unit (evidence passages may be merged neighbours)."""
        rows = self.retriever.rows_of_doc.get(unit.chunk.doc_id, [])
        holders = [self.data.chunks[r] for r in rows
                   if self.data.chunks[r].start <= unit.start < self.data.chunks[r].end]
        whole = [c for c in holders if unit.end <= c.end]
        return (whole or holders or [unit.chunk])[0]

    def _citation(self, chunk: Chunk, n: int) -> Citation:
        doc = self.data.documents[chunk.doc_id]
        return Citation(n=n, doc_id=doc.doc_id, title=doc.title, doc_number=doc.doc_number_norm,
                        issue=doc.issue.label, page=doc.page, section=chunk.section, quote=chunk.text,
                        url=f"/doc/{doc.doc_id}?chunk={chunk.chunk_id}", chunk_id=chunk.chunk_id)

    def _refusal(self, question: str, hits: list[Hit], english: bool, notices: tuple[str, ...],
                 mode: str = "extractive") -> Answer:
        seen: list[Document] = []
        for hit in hits:
            doc = self.data.documents[hit.chunk.doc_id]
            if doc not in seen:
                seen.append(doc)
        suggestions = tuple(f"{d.title}（{d.doc_number_norm or '无文号'}，{d.issue.label}）" for d in seen[:3])
        if english:
            text = "The gazettes do not contain an answer to this question."
            if suggestions:
                text += " Closest documents: " + "; ".join(suggestions)
        else:
            text = "公报中没有找到能回答这个问题的内容。"
            if suggestions:
                text += "最接近的文件：" + "；".join(suggestions)
        return Answer(question=question, answer=text, refused=True, mode=mode,
                      notices=notices, suggestions=suggestions)


def answer_to_dict(answer: Answer) -> dict:
    """The JSON contract of `qa ask --json`."""
    return {
        "question": answer.question, "answer": answer.answer, "refused": answer.refused,
        "mode": answer.mode,
        "citations": [{k: v for k, v in asdict(c).items() if k != "chunk_id"} for c in answer.citations],
        "timings_ms": {k: round(v, 1) for k, v in answer.timings_ms.items()},
        "notices": list(answer.notices), "suggestions": list(answer.suggestions),
        "fallback": answer.fallback or None,
    }
