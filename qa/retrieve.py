"""Retrieval as components: searchers (dense FAISS, BM25) that rank rows for one query, fusion by
reciprocal rank as a pure function, and a `Retriever` composed from searchers that adds the 文号
route, filters, a soft year preference and per-document diversity."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .config import Settings
from .embed import Embedder, cached_query
from .errors import InputError
from .glossary import expand
from .corpus import Corpus, doc_numbers_in
from .index import IndexData
from .lexical import LexicalIndex
from .text import nfkc, squash
from .types import Chunk, Document, Hit

_YEAR = re.compile(r"(20\d{2})\s*年")
YEAR_BOOST = 1.3
DOC_ROUTE_BOOST = 5.0


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval; every field is optional. `issue` is a label (2022年第4期) or a file name."""

    year: int | None = None
    issue: str | None = None
    category: str | None = None
    issuer: str | None = None
    doc_id: str | None = None  # one document (follow-up questions)
    city: str | None = None  # one city's gazettes (阳泉市)

    def __post_init__(self) -> None:
        if self.year is not None and not (isinstance(self.year, int) and 1000 <= self.year <= 9999):
            shown = str(self.year) if isinstance(self.year, int) and abs(self.year) < 10**12 else "(a long number)"
            raise InputError(f"year {shown} is not a year; give e.g. 2022, or no year for all years.",
                             zh=f"年份 {shown} 无效：请给出如 2022 的年份，或不限年份。")

    def accepts(self, doc: Document) -> bool:
        return self.accepts_fields(doc.doc_id, doc.issue.year, doc.issue.label, doc.source, doc.category,
                                   doc.issuer, doc.city)

    def accepts_fields(self, doc_id: str, year: int, issue: str, source: str, category: str | None,
                       issuer: str | None, city: str) -> bool:
        """The same test on a document's fields (a backend's stored chunk fields)."""
        if self.doc_id is not None and doc_id != self.doc_id:
            return False
        if self.year is not None and year != self.year:
            return False
        if self.issue and self.issue not in (issue, source, source.removesuffix(".txt")):
            return False
        if self.category and self.category not in (category or ""):
            return False
        if self.issuer and self.issuer != issuer:
            return False
        if self.city and self.city != city:
            return False
        return True

    @property
    def active(self) -> bool:
        return any(v is not None and v != "" for v in (self.year, self.issue, self.category, self.issuer,
                                                       self.doc_id, self.city))

    def describe(self) -> str:
        """The active filters in words, e.g. "2020年" or "2022年第4期、人事任免"."""
        parts = [self.city or "", f"{self.year}年" if self.year is not None else "", self.issue or "",
                 self.category or "", self.issuer or ""]
        return "、".join(p for p in parts if p)


@dataclass(frozen=True)
class Ranking:
    """One searcher's answer for one query: rows best first, with their scores."""

    searcher: str
    rows: tuple[int, ...]
    scores: dict[int, float] = field(default_factory=dict)
    # fused: the scores are already reciprocal-rank sums (a backend's hybrid search), added as they
    # are; `parts` are its routes' rankings (dense, bm25), kept for the hits' ranks, not fused again
    fused: bool = False
    parts: tuple[Ranking, ...] = ()


class Searcher(Protocol):
    name: str

    def search(self, query: str, mask: np.ndarray | None, k: int) -> Ranking: ...


class FilteringSearcher(Protocol):
    """A searcher that applies the filters itself (pushed into a backend's query) instead of a row mask."""

    name: str

    def search_filtered(self, query: str, filters: Filters, k: int) -> Ranking: ...


def top_rows(scores: np.ndarray, mask: np.ndarray | None, k: int, positive: bool = False) -> list[int]:
    """Rows of the k highest scores among the allowed rows (optionally only scores > 0)."""
    scores = scores.astype(np.float64).copy()
    if mask is not None:
        scores[~mask] = -np.inf
    if positive:
        scores[scores <= 0] = -np.inf
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return []
    idx = np.argpartition(-scores, k - 1)[:k]
    return [int(i) for i in idx[np.argsort(-scores[idx], kind="stable")]]


class DenseSearcher:
    """Cosine similarity of the query embedding to every chunk vector. Exact (one matrix product)
    while the FAISS index is exact; through the approximate FAISS index when the index builder made
    one (`Settings.approx_from`, the one exact-vs-approximate threshold) and no filter is active."""

    name = "dense"

    def __init__(self, vectors: np.ndarray, index, embedder: Embedder, cache_size: int = 512) -> None:
        self.vectors = vectors
        self.index = index
        self.embedder = embedder
        self.approximate = not _is_flat(index)
        self.cache_size = cache_size
        self._cache: dict[str, np.ndarray] = {}

    def query_vector(self, query: str) -> np.ndarray:
        return cached_query(self._cache, self.embedder, query, self.cache_size)

    def search(self, query: str, mask: np.ndarray | None, k: int) -> Ranking:
        vec = self.query_vector(query)
        if self.approximate and mask is None:
            found, rows = self.index.search(vec.reshape(1, -1).astype(np.float32), k)
            keep = rows[0] >= 0
            pairs = list(zip(rows[0][keep].tolist(), found[0][keep].tolist()))
            return Ranking(self.name, tuple(r for r, _ in pairs), dict(pairs))
        scores = self.vectors @ vec
        rows = top_rows(scores, mask, k)
        return Ranking(self.name, tuple(rows), {r: float(scores[r]) for r in rows})


def _is_flat(index) -> bool:
    import faiss

    return isinstance(index, faiss.IndexFlat)


class Bm25Searcher:
    """BM25 over jieba tokens; English words add their Chinese glossary terms."""

    name = "bm25"

    def __init__(self, lexical: LexicalIndex) -> None:
        self.lexical = lexical

    def search(self, query: str, mask: np.ndarray | None, k: int) -> Ranking:
        scores = self.lexical.scores(f"{query} {expand(query)}")
        rows = top_rows(scores, mask, k, positive=True)
        return Ranking(self.name, tuple(rows), {r: float(scores[r]) for r in rows})


class UnitSearcher:
    """Sentence-level dense search: a chunk scores the best cosine of its sentences and table rows
    (the index's unit vectors) to the query. A question matches one sentence more sharply than a
    400-character chunk — above all across languages (an English question, Chinese text)."""

    name = "units"

    def __init__(self, data: IndexData, dense: DenseSearcher) -> None:
        from .reader.units import split_units

        self.dense = dense
        self.n_chunks = len(data.chunks)
        self.vectors = np.ascontiguousarray(data.units.vectors, dtype=np.float32)  # float16 has no fast matmul
        chunk_rows, unit_rows = [], []
        for row, chunk in enumerate(data.chunks):
            for unit in split_units(chunk, 0):
                found = data.units.row.get(squash(unit.text))
                if found is not None:
                    chunk_rows.append(row)
                    unit_rows.append(found)
        self.chunk_rows = np.array(chunk_rows, dtype=np.int64)
        self.unit_rows = np.array(unit_rows, dtype=np.int64)

    def search(self, query: str, mask: np.ndarray | None, k: int) -> Ranking:
        vec = self.dense.query_vector(query).astype(np.float32)
        sims = self.vectors @ vec
        scores = np.full(self.n_chunks, -np.inf, dtype=np.float32)
        np.maximum.at(scores, self.chunk_rows, sims[self.unit_rows])
        rows = top_rows(scores, mask, k)
        return Ranking(self.name, tuple(rows), {r: float(scores[r]) for r in rows})


def rrf(rankings: Sequence[tuple[Sequence[int], float]], k: int = 60) -> dict[int, float]:
    """Reciprocal-rank fusion: sum of weight / (k + rank) over the rankings (ranks start at 1)."""
    fused: dict[int, float] = {}
    for ranking, weight in rankings:
        for rank, row in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return fused


SEARCHERS = ("dense", "bm25", "units", "facts")


class Retriever:
    """Searchers with their fusion weights, over one index (a `qa.corpus.Corpus`)."""

    def __init__(self, data: Corpus, searchers: Sequence[tuple[Searcher, float]], depth: int = 40,
                 rrf_k: int = 60) -> None:
        if not searchers:
            raise InputError("a Retriever needs at least one searcher (dense and/or bm25).")
        self.data = data
        self.searchers = list(searchers)
        self.depth = depth
        self.rrf_k = rrf_k
        self.years = data.years()
        self._seen = threading.local()  # the documents this thread's last search ranked (`candidate_docs`)

    def doc_numbers(self, question: str) -> list[str]:
        """Known 文号 written in the question."""
        return self.data.numbers_in(question)

    @classmethod
    def from_settings(cls, data: Corpus, embedder: Embedder | None, settings: Settings,
                      kinds: Sequence[str] = SEARCHERS) -> Retriever:
        """`kinds`: which searchers to run, e.g. ("bm25",) for BM25 only (no embedding at all)."""
        unknown = [k for k in kinds if k not in SEARCHERS]
        if unknown:
            raise InputError(f"unknown searcher(s) {unknown}; valid: {list(SEARCHERS)}")
        searchers: list[tuple[Searcher, float]] = []
        if "dense" in kinds and embedder is None:
            raise InputError("dense search needs an embedder; pass one or use kinds=('bm25',).")
        if not data.whole:  # the store layout: its own searchers (qa/store_search.py)
            from .store_search import store_searchers

            return cls(data, store_searchers(data, embedder, settings, kinds),
                       depth=max(settings.dense_k, settings.bm25_k), rrf_k=settings.rrf_k)
        if settings.backend != "local" and "dense" in kinds and "bm25" in kinds:
            from .backend import hybrid_searcher  # dense + BM25 as one hybrid search in the backend

            searchers.append(hybrid_searcher(data, embedder, settings))
        else:
            if "dense" in kinds:
                searchers.append((DenseSearcher(data.vectors, data.dense, embedder), settings.dense_weight))
            if "bm25" in kinds:
                searchers.append((Bm25Searcher(data.lexical), settings.bm25_weight))
        dense = next((s for s, _ in searchers if hasattr(s, "query_vector")), None)
        if "units" in kinds and dense is not None and data.units is not None and settings.units_weight > 0:
            searchers.append((UnitSearcher(data, dense), settings.units_weight))
        if "facts" in kinds and data.facts and settings.facts and settings.facts_weight > 0:
            from .facts.search import FactSearcher

            searchers.append((FactSearcher(data, data.facts), settings.facts_weight))
        return cls(data, searchers, depth=max(settings.dense_k, settings.bm25_k), rrf_k=settings.rrf_k)

    def mask(self, filters: Filters) -> np.ndarray | None:
        return self.data.filter_mask(filters)

    def search(self, question: str, filters: Filters | None = None, k: int = 5,
               extra_queries: tuple[str, ...] = (), per_doc: int = 2) -> list[Hit]:
        mask = self.mask(filters or Filters())
        rankings: list[tuple[Sequence[int], float]] = []
        best: dict[str, dict[int, float]] = {}
        ranks: dict[str, dict[int, int]] = {}
        prefused: list[tuple[Ranking, float]] = []
        for query in (question, *extra_queries):
            candidates: set[int] = set()
            for searcher, weight in self.searchers:
                if hasattr(searcher, "search_filtered"):
                    ranking = searcher.search_filtered(query, filters or Filters(), self.depth)
                elif hasattr(searcher, "search_rows"):  # scores the rows the searchers before it found
                    ranking = searcher.search_rows(query, sorted(candidates), mask, self.depth)
                else:
                    ranking = searcher.search(query, mask, self.depth)
                candidates.update(ranking.rows)
                if ranking.fused:
                    prefused.append((ranking, weight))
                else:
                    rankings.append((ranking.rows, weight))
                for part in ranking.parts or (ranking,):
                    scores, order = best.setdefault(part.searcher, {}), ranks.setdefault(part.searcher, {})
                    for rank, row in enumerate(part.rows, 1):
                        scores[row] = max(scores.get(row, -np.inf), part.scores.get(row, 0.0))
                        order[row] = min(order.get(row, rank), rank)
        fused = rrf(rankings, self.rrf_k)
        for ranking, weight in prefused:
            for row in ranking.rows:
                fused[row] = fused.get(row, 0.0) + weight * ranking.scores[row]
        chunks = self._prefer(fused, question, mask)
        rows = sorted(fused, key=lambda r: -fused[r])
        self._seen.docs = list(dict.fromkeys(chunks[r].doc_id for r in rows))
        dense, bm25 = best.get("dense", {}), best.get("bm25", {})
        hits = [Hit(chunk=chunks[r], score=fused[r], dense_rank=ranks.get("dense", {}).get(r),
                    bm25_rank=ranks.get("bm25", {}).get(r), dense_score=dense.get(r), bm25_score=bm25.get(r))
                for r in rows]
        return diversify(hits, k, per_doc)

    def candidate_docs(self) -> list[str]:
        """The documents of every row the last search in this thread ranked, best first."""
        return getattr(self._seen, "docs", [])

    @property
    def dense(self) -> DenseSearcher | None:
        """The searcher that embeds queries (a DenseSearcher, or a backend's hybrid searcher)."""
        return next((s for s, _ in self.searchers if hasattr(s, "query_vector")), None)

    @property
    def embedder(self) -> Embedder | None:
        return self.dense.embedder if self.dense else None

    def clear_cache(self) -> None:
        for searcher, _ in self.searchers:
            if hasattr(searcher, "query_vector"):
                searcher._cache.clear()

    def _prefer(self, fused: dict[int, float], question: str, mask: np.ndarray | None) -> dict[int, Chunk]:
        """文号 written in the question: that document's chunks first. A year: that year's documents.
        Returns the chunks of the fused rows (read once, here)."""
        routed = [doc_id for n in self.data.numbers_in(question) for doc_id in self.data.docs_with_number(n)]
        top = max(fused.values(), default=1.0)
        for doc_id in routed:
            for i, row in enumerate(self.data.doc_rows(doc_id)):
                if mask is None or mask[row]:
                    fused[row] = fused.get(row, 0.0) + top * DOC_ROUTE_BOOST / (1 + 0.1 * i)
        chunks = dict(zip(fused, self.data.chunks_at(list(fused))))
        years = {int(y) for y in _YEAR.findall(nfkc(question))} & self.years
        if years and not routed:
            for row in fused:
                doc = self.data.document(chunks[row].doc_id)
                if doc.issue.year in years or (doc.date or "")[:4] in {str(y) for y in years}:
                    fused[row] *= YEAR_BOOST
        return chunks


def diversify(hits: list[Hit], k: int, per_doc: int) -> list[Hit]:
    """Best hits first; the best document may fill up to k-1 places, every other one at most
    `per_doc`, so one document cannot crowd out the others when the question is about another."""
    chosen: list[Hit] = []
    counts: dict[str, int] = {}
    top_doc = hits[0].chunk.doc_id if hits else None
    for hit in hits:
        doc = hit.chunk.doc_id
        cap = max(k - 1, per_doc) if doc == top_doc else per_doc
        if counts.get(doc, 0) < cap:
            chosen.append(hit)
            counts[doc] = counts.get(doc, 0) + 1
        if len(chosen) == k:
            return chosen
    rest = [h for h in hits if h not in chosen]
    return chosen + rest[: k - len(chosen)]


def merge_adjacent(hits: list[Hit], data: Corpus) -> list[Hit]:
    """Join hits on neighbouring chunks of the same document and section into one passage."""
    merged: list[Hit] = []
    for hit in hits:
        for i, other in enumerate(merged):
            a, b = other.chunk, hit.chunk
            if a.doc_id == b.doc_id and a.section == b.section and (
                    0 <= b.start - a.end <= 2 or 0 <= a.start - b.end <= 2 or
                    (a.start < b.end and b.start < a.end)):
                start, end = min(a.start, b.start), max(a.end, b.end)
                doc = data.document(a.doc_id)
                chunk = Chunk(chunk_id=a.chunk_id if a.start <= b.start else b.chunk_id, doc_id=a.doc_id,
                              section=a.section, start=start, end=end, text=doc.text(start, end), header=a.header)
                merged[i] = Hit(chunk=chunk, score=max(other.score, hit.score), dense_rank=other.dense_rank,
                                bm25_rank=other.bm25_rank, dense_score=other.dense_score,
                                bm25_score=other.bm25_score)
                break
        else:
            merged.append(hit)
    return merged


def check_k(k: int, limit: int = 20) -> int:
    if not 1 <= k <= limit:
        raise InputError(f"k={k} is out of range; give a number of sources from 1 to {limit}.")
    return k
