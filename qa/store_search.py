"""The searchers of a `store`-layout index (qa/store_index.py), with the same names, scores and fusion
as qa/retrieve.py's: dense (cosine; exact, or IVF-Flat from QA_APPROX_FROM chunks) and BM25 over the
whole store, filters as bitmaps. The sentence-level and the record searchers do not scan every
sentence and record of the corpus here: they score the rows the dense and BM25 routes found (their
union, up to 2 × 40 chunks per query) — the sentences of those chunks, the records of their documents."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from .config import Settings
from .embed import Embedder, cached_query
from .glossary import expand
from .retrieve import Ranking, top_rows
from .text import squash

POOL = 200  # the dense route's top rows whose sentences the units searcher scores (besides both routes' top 40)


class StoreDense:
    name = "dense"

    def __init__(self, corpus, embedder: Embedder, cache_size: int = 512) -> None:
        self.store = corpus.store
        self.embedder = embedder
        self.cache_size = cache_size
        self._cache: dict[str, np.ndarray] = {}
        self._pool = threading.local()  # (query, the top POOL rows) of this thread's last search

    def query_vector(self, query: str) -> np.ndarray:
        return cached_query(self._cache, self.embedder, query, self.cache_size)

    def search(self, query: str, mask: np.ndarray | None, k: int) -> Ranking:
        rows, scores = self.store._dense(np.asarray(self.query_vector(query), dtype=np.float32), mask, max(k, POOL))
        self._pool.last = (query, rows)
        return Ranking(self.name, tuple(rows[:k]), {r: scores[r] for r in rows[:k]})

    def pool(self, query: str) -> list[int]:
        """The top POOL rows of the last search of this query in this thread ([] for another query)."""
        last = getattr(self._pool, "last", None)
        return last[1] if last is not None and last[0] == query else []


class StoreBm25:
    name = "bm25"

    def __init__(self, corpus) -> None:
        self.store = corpus.store

    def search(self, query: str, mask: np.ndarray | None, k: int) -> Ranking:
        rows, scores = self.store._bm25(f"{query} {expand(query)}", mask, k)
        return Ranking(self.name, tuple(rows), scores)


class StoreUnits:
    """A candidate chunk scores the best cosine of its sentences and table rows to the query."""

    name = "units"

    def __init__(self, corpus, dense: StoreDense) -> None:
        self.corpus, self.dense = corpus, dense

    def search_rows(self, query: str, rows: Sequence[int], mask: np.ndarray | None, k: int) -> Ranking:
        rows = list(dict.fromkeys([*rows, *self.dense.pool(query)]))
        if not rows:
            return Ranking(self.name, ())
        vector = self.dense.query_vector(query).astype(np.float32)
        if self.corpus.units.chunk_ptr is not None:  # each chunk's unit rows, stored at build
            best = self.corpus.units.chunk_similarity(rows, vector)
        else:
            best = self._split(rows, vector)
        order = list(best)
        found = top_rows(np.array([best[r] for r in order]), None, k)
        return Ranking(self.name, tuple(order[i] for i in found), {order[i]: best[order[i]] for i in found})

    def _split(self, rows: Sequence[int], vector: np.ndarray) -> dict[int, float]:
        """The same from the chunks' text (split into units and looked up by hash): slower."""
        from .reader.units import split_units

        owners, keys = [], []
        for row, chunk in zip(rows, self.corpus.chunks_at(rows)):
            for unit in split_units(chunk, 0):
                owners.append(row)
                keys.append(squash(unit.text))
        sims = self.corpus.unit_similarity(keys, vector)
        best: dict[int, float] = {}
        for row, sim in zip(owners, sims):
            if sim is not None and sim > best.get(row, -np.inf):
                best[row] = sim
        return best


class StoreFacts:
    """Chunks holding records that match the asked post or document field, among the records of the
    candidate chunks' documents."""

    name = "facts"

    def __init__(self, corpus) -> None:
        self.corpus = corpus

    def search_rows(self, query: str, rows: Sequence[int], mask: np.ndarray | None, k: int) -> Ranking:
        from .facts.search import asked, entry, rank_entries

        question = asked(query)
        if question is None or not rows:
            return Ranking(self.name, ())
        docs = list(dict.fromkeys(c.doc_id for c in self.corpus.chunks_at(rows)))
        wanted = question[0]
        entries = []
        for fact in (f for f in self.corpus.facts_of(docs) if f.role in wanted):
            doc_rows = self.corpus.doc_rows(fact.doc_id)
            chunks = self.corpus.chunks_at(doc_rows)
            row = next((r for r, c in zip(doc_rows, chunks) if c.start <= fact.start < c.end), None)
            if row is not None:
                doc = self.corpus.document(fact.doc_id)
                entries.append(entry(fact, row, doc.title if doc else ""))
        return rank_entries(self.name, question, entries, mask, k)


def store_searchers(corpus, embedder: Embedder | None, settings: Settings, kinds: Sequence[str]) -> list:
    searchers: list = []
    dense = None
    if "dense" in kinds:
        dense = StoreDense(corpus, embedder)
        searchers.append((dense, settings.dense_weight))
    if "bm25" in kinds:
        searchers.append((StoreBm25(corpus), settings.bm25_weight))
    if "units" in kinds and dense is not None and corpus.has_units and settings.units_weight > 0:
        searchers.append((StoreUnits(corpus, dense), settings.units_weight))
    if "facts" in kinds and settings.facts and settings.facts_weight > 0 and corpus.has_facts():
        searchers.append((StoreFacts(corpus), settings.facts_weight))
    return searchers
