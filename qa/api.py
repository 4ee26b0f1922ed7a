"""The one Python API that the CLI, the UI and the evaluation call: `Assistant.load(settings).ask(...)`.
A thin composition: retrieval (qa/retrieve.py) -> reader strategies (qa/reader/) -> optional LLM
writer (qa/generate.py), with gazette metadata from qa/sources.py."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from .config import Settings, load_settings
from .contract import answer_to_dict, clean_question  # noqa: F401 - re-exported: the API's contract
from .embed import Embedder, load_embedder
from .generate import Writer, write
from .corpus import Corpus, DocFacts, DocFields, Facets
from .index import open_index
from .facts import Fact, FactBase
from .facts.answer import structured_facts
from .reader import Evidence, Reader, Reading, analyse, refusal_text
from .reader.strategies import STRATEGIES
from .reader.units import Unit, overlap
from .reader.refusal import Refusal
from .reader.scorer import Scorer
from .retrieve import Filters, Retriever, check_k, merge_adjacent
from .sources import Sources, label
from .reader.features import bigram_share
from .text import squash
from .types import Answer, Chunk, Document, Draft, Final, Hit, Preview, StreamEvent

MAX_K = 20
EVIDENCE_DEPTH = 8  # passages read for the answer; only the sentences quoted are cited
FACT_DOCS = 40  # store layout: the records of this many retrieved documents are read for an answer


_REFERENCE = re.compile(r"它|该|这个|这些|其|上述|\b(?:it|its|this|that|these|those|they)\b", re.IGNORECASE)


def follow_up_context(question: str, previous: Sequence[str]) -> str | None:
    """The previous question of a conversation when this one is short or refers back (它/该/this/that …):
    the context `Assistant.ask` steers retrieval and the reader with. The UI and the chat API use it."""
    if not previous:
        return None
    if len(question.strip()) <= 8 or _REFERENCE.search(question):
        return previous[-1]
    return None


def _by_doc(data: Corpus, field) -> Mapping:
    """doc_id -> a field of the document: a dict of every loaded document (files), or read on demand (store)."""
    return {d.doc_id: field(d) for d in data.documents.values()} if data.whole else DocFields(data, field)


class Assistant:
    """Loaded index + retriever + reader (+ LLM on demand); answers questions with citations."""

    def __init__(self, settings: Settings, data: Corpus, embedder: Embedder | None,
                 retriever: Retriever | None = None, reader: Reader | None = None) -> None:
        self.settings = settings
        self.data = data
        self.retriever = retriever or Retriever.from_settings(data, embedder, settings)
        self.sources = Sources(data)
        # per document: plain dicts of the loaded documents (files); read when a question needs them (store)
        self._body_start = _by_doc(data, lambda d: d.body_start)
        self._doc_dates = _by_doc(data, lambda d: d.date or str(d.issue.year))
        if reader is None:
            scorer = Scorer.load()
            # the refusal model reads dense similarities: only with the embedder it was trained
            # with, dense search on and sentence vectors in the index; otherwise the rules decide
            fits = (scorer.meta.get("embedder") == data.manifest.get("embedder")
                    and self.retriever.dense is not None and data.has_units)
            reader = Reader(data.idf(), scorer, years=sorted(self.retriever.years),
                            min_support=None if settings.refuse_support < 0 else settings.refuse_support,
                            use_model=fits, strategies=((structured_facts,) if settings.facts else ()) + STRATEGIES)
        self.reader = reader
        self.writer = Writer(settings)
        # every record in memory (files), or a document's records read when asked for (store)
        self.facts = FactBase(data.facts or []) if data.whole else DocFacts(data)
        self._titles = _by_doc(data, lambda d: d.title)

    @classmethod
    def load(cls, settings: Settings | None = None, embedder: Embedder | None = None) -> Assistant:
        settings = settings or load_settings()
        data = open_index(settings)
        return cls(settings, data, embedder or load_embedder(settings))

    def documents(self, offset: int = 0, limit: int | None = None) -> list[Document]:
        """The documents by (year, issue, position); `limit` of them from the `offset`-th (a page:
        a store-layout index may hold ~100k documents, each read with its text)."""
        if limit is None:
            return list(self.data.documents_sorted())
        return self.data.documents_page(offset, limit)

    def facets(self) -> Facets:
        """Years, issues, categories and cities to filter by, and the number of documents."""
        return self.data.facets()

    def document(self, doc_id: str) -> Document | None:
        return self.data.document(doc_id)

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self.sources.by_id(chunk_id)

    def search(self, question: str, filters: Filters | None = None, k: int | None = None) -> list[Hit]:
        text, _ = clean_question(question, self.settings.max_question_chars)
        return self.retriever.search(text, filters, check_k(k or self.settings.k, MAX_K))

    def read(self, question: str, passages: Sequence[str]) -> Answer:
        """Answer from the given passages only (no index needed: see `Reader.standalone()`)."""
        return self.reader.read(question, passages)

    def ask(self, question: str, filters: Filters | None = None, k: int | None = None,
            context: str | None = None, mode: str | None = None) -> Answer:
        """Answer a question. `context` (the previous question in a chat) steers retrieval and the
        reader towards the same topic. `mode`: "extractive", "llm" or "auto" (LLM when installed)."""
        final = None
        for event in self.ask_stream(question, filters, k, context, mode):
            if isinstance(event, Final):
                final = event.answer
        return final

    def ask_stream(self, question: str, filters: Filters | None = None, k: int | None = None,
                   context: str | None = None, mode: str | None = None) -> Iterator[StreamEvent]:
        """In LLM mode a `Preview` (the extractive answer, at once) and `Draft` events (the LLM's
        sentences, each once it verifies); always one `Final` with the answer, last."""
        started = time.perf_counter()
        text, notices = clean_question(question, self.settings.max_question_chars)
        k = check_k(k if k is not None else self.settings.k, MAX_K)
        filters = filters or Filters()
        llm = self.writer.for_mode(mode or self.settings.answer_mode)
        context = clean_question(context, self.settings.max_question_chars)[0] if context and context.strip() else ""
        timings: dict[str, float] = {}
        extra = (f"{context} {text}",) if context else ()
        if llm is not None and self.settings.llm_translate:
            extra += self.writer.keywords(llm, text, timings)
        t = time.perf_counter()
        hits = self._follow_up(text, context, filters, max(k, EVIDENCE_DEPTH), extra) if context else []
        hits = hits or self.retriever.search(text, filters, max(k, EVIDENCE_DEPTH), extra_queries=extra)
        timings["retrieve"] = (time.perf_counter() - t) * 1000
        which = self._which_group(text, context, hits) if context else None
        if which is not None:
            timings["total"] = (time.perf_counter() - started) * 1000
            yield Final(replace(which, notices=notices, timings_ms=timings))
            return
        t = time.perf_counter()
        reading = self._read(text, hits, context, filters)
        if filters.active:
            reading = self._check_filters(text, filters, extra, context, reading)
        answer = self._answer(text, reading, hits, notices)
        timings["answer"] = (time.perf_counter() - t) * 1000
        if llm is not None and not answer.refused:
            yield Preview(replace(answer, timings_ms=dict(timings)))
            with self.writer.lane():  # one LLM answer at a time, a bounded queue (BusyError past it)
                t = time.perf_counter()
                for event in write(llm, text, answer, self.settings):  # only a question the reader answered
                    if isinstance(event, Draft):
                        yield event
                    else:
                        answer = event.answer
            timings["generate"] = (time.perf_counter() - t) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        yield Final(replace(answer, timings_ms=timings))

    def _follow_up(self, question: str, context: str, filters: Filters, depth: int,
                   extra: tuple[str, ...]) -> list[Hit]:
        """A short follow-up ("副组长呢？") is read in the document the previous question was about,
        when that document has passages for it; [] otherwise (then the whole index is searched)."""
        if len(analyse(question).content) > 3:
            return []
        previous = self.retriever.search(context, filters, 1)
        if not previous:
            return []
        scoped = replace(filters, doc_id=previous[0].chunk.doc_id)
        return self.retriever.search(question, scoped, depth, extra_queries=extra)

    def _evidence(self, question: str, hits: list[Hit], context: str, filters: Filters | None = None) -> Evidence:
        routed = self.retriever.doc_numbers(question)
        lead = self.sources.lead(hits[0].chunk.doc_id if routed else self._lead_doc(question, hits)) if hits else None
        # files: every record; store: the records of the documents retrieved and ranked (up to FACT_DOCS)
        facts = self.facts if self.data.whole else FactBase(self.data.facts_of(list(dict.fromkeys(
            [h.chunk.doc_id for h in hits] + self.retriever.candidate_docs()))[:FACT_DOCS]))
        if filters is not None and filters.active:  # records of the documents the filters allow
            facts = FactBase([f for f in facts.facts if filters.accepts(self.data.document(f.doc_id))])
        return Evidence(hits=tuple(merge_adjacent(hits, self.data)), body_start=self._body_start,
                        lead=lead[0] if lead else None, lead_label=lead[1] if lead else None,
                        routed=bool(routed), context=context, doc_dates=self._doc_dates,
                        unit_similarity=self._unit_similarity(question), facts=facts,
                        fact_unit=self._fact_unit, titles=self._titles, following=self.sources.following)

    def _lead_doc(self, question: str, hits: list[Hit], docs: int = 6) -> str:
        """The document a 'which document…' question is about: of the first `docs` documents of
        the evidence, the one whose title is most like the question (cosine of the title's vector to
        the question's plus the share of the question's words in it), not merely the one with the
        best passage (an English question's best passage is often in a neighbouring plan)."""
        q = analyse(question)
        order = list(dict.fromkeys(h.chunk.doc_id for h in hits[:10]))[:docs]
        if q.qtype != "docnum" or len(order) < 2:
            return hits[0].chunk.doc_id
        idf = self.reader.tools.idf
        score = {d: overlap(q.tokens, self._titles[d], idf) for d in order}
        dense = self.retriever.dense
        if dense is not None and self.data.has_units:  # titles have sentence vectors (ingest)
            sims = self.data.unit_similarity([squash(self._titles[d]) for d in order], dense.query_vector(question))
            for d, sim in zip(order, sims):
                score[d] += sim or 0.0  # None: an index built before titles had vectors (`qa ingest` adds them)
        return max(order, key=lambda d: (score[d], -order.index(d)))

    def _fact_unit(self, fact: Fact) -> Unit | None:
        """A record's exact source span as a unit of the chunk that holds it."""
        chunk = self.sources.holder(fact.doc_id, fact.start, fact.end)
        if chunk is None or fact.end > chunk.end:
            doc = self.data.document(fact.doc_id)
            if doc is None:
                return None
            chunk = Chunk(chunk_id=chunk.chunk_id if chunk else f"{fact.doc_id}-fact", doc_id=fact.doc_id,
                          section=chunk.section if chunk else "", start=fact.start, end=fact.end,
                          text=doc.text(fact.start, fact.end), header="")
        return Unit(chunk, 0, fact.start, fact.end)

    def _unit_similarity(self, question: str):
        """Cosines of units to the question, from the index's unit vectors and the (cached) query vector."""
        data, dense = self.data, self.retriever.dense
        if not data.has_units or dense is None:
            return None
        vector = dense.query_vector(question)
        return lambda keys: data.unit_similarity(keys, vector)

    def _which_group(self, question: str, context: str, hits: list[Hit]) -> Answer | None:
        """A follow-up about a post ("副组长呢？") in a document with several bodies that have that
        post, when the previous question named none of them: ask which one instead of guessing."""
        q = analyse(question)
        if not hits or len(q.slots) != 1 or len(q.content) > 3:
            return None
        doc_id = hits[0].chunk.doc_id
        if any(h.chunk.doc_id != doc_id for h in hits[:3]):
            return None  # not scoped to one document
        groups = self.sources.groups_with(doc_id, q.slots[0])
        named = [g for g in groups if bigram_share(analyse(g), squash(context)) >= 0.6]
        if len(groups) < 2 or named:
            return None
        slot, listing = q.slots[0], "；".join(groups)
        text = (f"The previous question's document has several bodies with a {slot}: {listing}. Which one?"
                if q.english else f"上一问涉及的文件中有多个机构设有{slot}：{listing}。请问是哪一个的{slot}？")
        return Answer(question=question, answer=text, refused=True, mode="extractive",
                      suggestions=tuple(groups), refusal_rule="ambiguous")

    def _read(self, question: str, hits: list[Hit], context: str, filters: Filters | None = None) -> Reading:
        return self.reader.read_evidence(question, self._evidence(question, hits, context, filters), self.sources.cite)

    def _check_filters(self, question: str, filters: Filters, extra: tuple[str, ...], context: str,
                       reading: Reading) -> Reading:
        """When the filters exclude the document that answers best, say so instead of answering
        from what is left."""
        unfiltered = self._read(question, self.retriever.search(question, None, EVIDENCE_DEPTH, extra), context)
        if unfiltered.refusal or not unfiltered.candidate.units:
            return reading
        best_doc = self.data.document(unfiltered.candidate.units[0].chunk.doc_id)
        if filters.accepts(best_doc):
            return reading
        if unfiltered.candidate.strategy == "facts":  # a record of the excluded document answers best
            weaker = (reading.refusal is not None or reading.candidate.strategy != "facts"
                      or reading.candidate.score < unfiltered.candidate.score - 0.1)
        else:  # the reader's scores (logits)
            weaker = reading.refusal is not None or reading.candidate.score < unfiltered.candidate.score - 1.0
        if weaker:
            refusal = Refusal("filters", filters.describe(), (label(best_doc),))
            return replace(reading, candidate=replace(reading.candidate, units=(), refusal=refusal))
        return reading

    def _answer(self, question: str, reading: Reading, hits: list[Hit], notices: tuple[str, ...]) -> Answer:
        if reading.refusal:
            refusal, english = reading.refusal, reading.question.english
            suggestions = refusal.documents + tuple(s for s in self.sources.closest(hits) if s not in refusal.documents)
            text = refusal_text(refusal, english, () if refusal.documents else suggestions,
                                sorted(self.retriever.years), asked_years=reading.question.years)
            if refusal.rule == "filters":  # shown by the UI next to the answer as well
                notices = notices + (text,)
            return Answer(question=question, answer=text, refused=True, mode="extractive", notices=notices,
                          suggestions=suggestions[:4], refusal_rule=refusal.rule)
        return Answer(question=question, answer=reading.text, refused=False, mode="extractive",
                      citations=reading.citations, notices=notices, short_answer=reading.short_answer)

    def llm(self):
        """The configured LLM, loaded on first use; None when none is installed or configured."""
        return self.writer.llm()
