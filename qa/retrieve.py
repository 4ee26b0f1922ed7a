"""Hybrid retrieval: dense (FAISS) + BM25 (jieba) fused by reciprocal rank, a 文号 route,
filters, a soft year preference and per-document diversity."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .config import Settings
from .embed import Embedder
from .errors import InputError
from .glossary import expand
from .index import IndexData
from .text import DOC_NUMBER_RE, nfkc, normalize_doc_number, squash
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

    def accepts(self, doc: Document) -> bool:
        if self.year is not None and doc.issue.year != self.year:
            return False
        if self.issue and self.issue not in (doc.issue.label, doc.source, doc.source.removesuffix(".txt")):
            return False
        if self.category and self.category not in (doc.category or ""):
            return False
        if self.issuer and self.issuer != doc.issuer:
            return False
        return True

    @property
    def active(self) -> bool:
        return any(v is not None and v != "" for v in (self.year, self.issue, self.category, self.issuer))


def rrf(rankings: list[tuple[list[int], float]], k: int = 60) -> dict[int, float]:
    """Reciprocal-rank fusion: sum of weight / (k + rank) over the rankings (ranks start at 1)."""
    fused: dict[int, float] = {}
    for ranking, weight in rankings:
        for rank, row in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return fused


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


def doc_numbers_in(question: str, known: dict[str, list[str]]) -> list[str]:
    """Known normalized 文号 written in the question in any bracket/spacing variant."""
    text = squash(question)
    text = DOC_NUMBER_RE.sub(lambda m: normalize_doc_number(m.group(0)) or m.group(0), text)
    return [number for number in known if number in text]


class Retriever:
    def __init__(self, data: IndexData, embedder: Embedder, settings: Settings) -> None:
        self.data = data
        self.embedder = embedder
        self.settings = settings
        self.doc_of_row = [data.documents[c.doc_id] for c in data.chunks]
        self.rows_of_doc: dict[str, list[int]] = {}
        for row, chunk in enumerate(data.chunks):
            self.rows_of_doc.setdefault(chunk.doc_id, []).append(row)
        self.docs_by_number: dict[str, list[str]] = {}
        for doc in data.documents.values():
            if doc.doc_number_norm:
                self.docs_by_number.setdefault(doc.doc_number_norm, []).append(doc.doc_id)
        self.years = {doc.issue.year for doc in data.documents.values()}
        self._vectors: dict[str, np.ndarray] = {}

    def mask(self, filters: Filters) -> np.ndarray | None:
        if not filters.active:
            return None
        mask = np.array([filters.accepts(d) for d in self.doc_of_row], dtype=bool)
        if not mask.any():
            raise InputError(f"no document matches the filters {filters}; "
                             f"years in the index: {sorted(self.years)}.")
        return mask

    def search(self, question: str, filters: Filters | None = None, k: int = 5,
               extra_queries: tuple[str, ...] = (), per_doc: int = 2) -> list[Hit]:
        filters = filters or Filters()
        s = self.settings
        mask = self.mask(filters)
        queries = (question, *extra_queries)
        query_vecs = [self._query_vector(q) for q in queries]
        rankings: list[tuple[list[int], float]] = []
        dense_best: dict[int, float] = {}
        bm25_best: dict[int, float] = {}
        dense_rank: dict[int, int] = {}
        bm25_rank: dict[int, int] = {}
        for query, vec in zip(queries, query_vecs):
            dense_scores = self._dense_scores(vec, mask, s.dense_k)
            ranking = top_rows(dense_scores, mask, s.dense_k)
            rankings.append((ranking, s.dense_weight))
            for rank, row in enumerate(ranking, 1):
                dense_best[row] = max(dense_best.get(row, -1.0), float(dense_scores[row]))
                dense_rank[row] = min(dense_rank.get(row, rank), rank)
            bm25_scores = self.data.lexical.scores(f"{query} {expand(query)}")
            ranking = top_rows(bm25_scores, mask, s.bm25_k, positive=True)
            rankings.append((ranking, s.bm25_weight))
            for rank, row in enumerate(ranking, 1):
                bm25_best[row] = max(bm25_best.get(row, 0.0), float(bm25_scores[row]))
                bm25_rank[row] = min(bm25_rank.get(row, rank), rank)
        fused = rrf(rankings, s.rrf_k)
        self._prefer(fused, question, mask)
        order = sorted(fused, key=lambda r: -fused[r])
        hits = [Hit(chunk=self.data.chunks[r], score=fused[r], dense_rank=dense_rank.get(r),
                    bm25_rank=bm25_rank.get(r), dense_score=dense_best.get(r),
                    bm25_score=bm25_best.get(r)) for r in order]
        return diversify(hits, k, per_doc)

    def clear_cache(self) -> None:
        self._vectors.clear()

    def _query_vector(self, query: str) -> np.ndarray:
        """Query embeddings are cached: a chat retry, `search` then `ask`, the same question twice."""
        vec = self._vectors.get(query)
        if vec is None:
            vec = self.embedder.embed_queries([query])[0]
            if len(self._vectors) >= 512:
                self._vectors.pop(next(iter(self._vectors)))
            self._vectors[query] = vec
        return vec

    def _dense_scores(self, vec: np.ndarray, mask: np.ndarray | None, k: int) -> np.ndarray:
        if mask is not None or self.data.dense.ntotal <= 50_000:
            return self.data.vectors @ vec  # exact scores for every row: cheap at this size
        scores = np.full(self.data.dense.ntotal, -np.inf, dtype=np.float32)
        found, rows = self.data.dense.search(vec.reshape(1, -1).astype(np.float32), k)
        scores[rows[0][rows[0] >= 0]] = found[0][rows[0] >= 0]
        return scores

    def _prefer(self, fused: dict[int, float], question: str, mask: np.ndarray | None) -> None:
        """文号 written in the question: that document's chunks first. A year: that year's documents."""
        routed = [doc_id for n in doc_numbers_in(question, self.docs_by_number)
                  for doc_id in self.docs_by_number[n]]
        top = max(fused.values(), default=1.0)
        for doc_id in routed:
            for i, row in enumerate(self.rows_of_doc.get(doc_id, ())):
                if mask is None or mask[row]:
                    fused[row] = fused.get(row, 0.0) + top * DOC_ROUTE_BOOST / (1 + 0.1 * i)
        years = {int(y) for y in _YEAR.findall(nfkc(question))} & self.years
        if years and not routed:
            for row in fused:
                doc = self.doc_of_row[row]
                if doc.issue.year in years or (doc.date or "")[:4] in {str(y) for y in years}:
                    fused[row] *= YEAR_BOOST


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


def merge_adjacent(hits: list[Hit], data: IndexData) -> list[Hit]:
    """Join hits on neighbouring chunks of the same document and section into one passage."""
    merged: list[Hit] = []
    for hit in hits:
        for i, other in enumerate(merged):
            a, b = other.chunk, hit.chunk
            if a.doc_id == b.doc_id and a.section == b.section and (
                    0 <= b.start - a.end <= 2 or 0 <= a.start - b.end <= 2 or
                    (a.start < b.end and b.start < a.end)):
                start, end = min(a.start, b.start), max(a.end, b.end)
                doc = data.documents[a.doc_id]
                text = doc.text(start, end)
                chunk = Chunk(chunk_id=a.chunk_id if a.start <= b.start else b.chunk_id, doc_id=a.doc_id,
                              section=a.section, start=start, end=end, text=text, header=a.header)
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
