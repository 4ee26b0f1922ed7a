"""The retrieval backend: where chunks, their vectors and their BM25 postings are stored and searched.

`Backend` is the contract (write, incremental upsert/delete by source file, hybrid search with
filters, fetch by id); `QA_BACKEND` picks the implementation: `local` (qa/local_backend.py, today's
FAISS + bm25s files in index/) or `milvus` (qa/milvus.py, a Milvus collection through
`pymilvus.MilvusClient`: an embedded milvus-lite file or a server/cluster URI). One contract test suite
(tests/test_backend.py) runs against every implementation.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from .config import Settings
from .errors import QAError
from .types import Chunk, Document

if TYPE_CHECKING:
    from .retrieve import Filters


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk with the fields of its document that filters read (stored next to it in a backend)."""

    chunk: Chunk
    city: str
    year: int
    issue: str  # 2022年第4期
    category: str
    issuer: str
    source: str  # the issue's file name

    @classmethod
    def of(cls, chunk: Chunk, doc: Document) -> ChunkRecord:
        return cls(chunk=chunk, city=doc.city, year=doc.issue.year, issue=doc.issue.label,
                   category=doc.category or "", issuer=doc.issuer or "", source=doc.source)


def records_of(chunks: Sequence[Chunk], documents: Mapping[str, Document]) -> list[ChunkRecord]:
    missing = sorted({c.doc_id for c in chunks} - set(documents))
    if missing:
        raise QAError(f"chunks of unknown documents {missing[:3]}: give every chunk's document.")
    return [ChunkRecord.of(c, documents[c.doc_id]) for c in chunks]


@dataclass(frozen=True)
class Scored:
    """One chunk found by a hybrid search: its fused (RRF) score, and per route its rank (1-based)
    and score where the backend knows them (None otherwise)."""

    chunk_id: str
    score: float
    dense_rank: int | None = None
    dense_score: float | None = None
    bm25_rank: int | None = None
    bm25_score: float | None = None


class Backend(Protocol):
    """Chunks + vectors + BM25 postings of one corpus."""

    name: str

    def write(self, records: Sequence[ChunkRecord], vectors: np.ndarray) -> None:
        """Replace everything with these chunks (row i of `vectors` embeds records[i].chunk.indexed_text)."""

    def upsert(self, source: str, records: Sequence[ChunkRecord], vectors: np.ndarray) -> None:
        """Replace the chunks of one source file (an issue) with these."""

    def delete(self, source: str) -> int:
        """Remove the chunks of one source file; how many were removed."""

    def search(self, query: str, vector: np.ndarray, filters: Filters | None, k: int,
               rrf_k: int = 60) -> list[Scored]:
        """Dense (cosine to `vector`) and BM25 (jieba tokens of `query`) routes, each restricted by
        the filters, each k deep, fused by reciprocal rank (1/(rrf_k + rank) per route): the union of
        both routes' top k (at most 2k chunks), best first."""

    def chunk(self, chunk_id: str) -> ChunkRecord | None:
        """One chunk by id, with its filter fields; None when there is none."""

    def count(self) -> int:
        """How many chunks are stored."""

    def counts_by_source(self) -> dict[str, int]:
        """Chunks per source file (to check the backend holds what the index lists)."""

    def close(self) -> None: ...


def open_backend(settings: Settings, dim: int) -> Backend:
    """The backend `settings.backend` names, for vectors of dimension `dim`."""
    if settings.backend == "local":
        from .local_backend import LocalBackend

        return LocalBackend(approx_from=settings.approx_from)
    if settings.backend == "milvus":
        from .milvus import MilvusBackend

        return MilvusBackend.connect(settings, dim)
    raise QAError(f"QA_BACKEND={settings.backend!r} is not one of ['local', 'milvus']; unset it or pick one.")


class BackendSearcher:
    """Dense + BM25 as one hybrid search in a backend, filters pushed into it (a FilteringSearcher for
    `qa.retrieve.Retriever`): its ranking is already fused by RRF, with both routes' ranks as parts.
    Chunks are mapped to the rows of the loaded index; a chunk the index does not hold is skipped."""

    name = "hybrid"

    def __init__(self, backend: Backend, embedder, chunk_ids: Sequence[str], rrf_k: int = 60,
                 cache_size: int = 512) -> None:
        self.backend = backend
        self.embedder = embedder
        self.rrf_k = rrf_k
        self.row = {chunk_id: row for row, chunk_id in enumerate(chunk_ids)}
        self.cache_size = cache_size
        self._cache: dict[str, np.ndarray] = {}

    def query_vector(self, query: str) -> np.ndarray:
        from .embed import cached_query

        return cached_query(self._cache, self.embedder, query, self.cache_size)

    def search_filtered(self, query: str, filters, k: int):
        from .retrieve import Ranking

        found = [(self.row[s.chunk_id], s) for s in
                 self.backend.search(query, self.query_vector(query), filters, k, self.rrf_k) if s.chunk_id in self.row]
        dense = sorted(((r, s) for r, s in found if s.dense_rank is not None), key=lambda p: p[1].dense_rank)
        bm25 = sorted(((r, s) for r, s in found if s.bm25_rank is not None), key=lambda p: p[1].bm25_rank)
        parts = (Ranking("dense", tuple(r for r, _ in dense), {r: s.dense_score or 0.0 for r, s in dense}),
                 Ranking("bm25", tuple(r for r, _ in bm25), {r: s.bm25_score or 0.0 for r, s in bm25}))
        return Ranking(self.name, tuple(r for r, _ in found), {r: s.score for r, s in found}, fused=True, parts=parts)


def hybrid_searcher(data, embedder, settings: Settings) -> tuple[BackendSearcher, float]:
    """The backend's hybrid searcher over a loaded index (qa.index.IndexData), with its fusion weight.
    The backend must hold exactly the index's chunks (`qa ingest` keeps it in step)."""
    if settings.dense_weight != settings.bm25_weight:
        raise QAError(f"QA_BACKEND={settings.backend} fuses dense and BM25 in the backend with equal weights; "
                      f"QA_DENSE_WEIGHT={settings.dense_weight} and QA_BM25_WEIGHT={settings.bm25_weight} differ: "
                      "set them equal, or use QA_BACKEND=local.")
    backend = open_backend(settings, int(data.manifest["dim"]))
    held = backend.count()
    if held != len(data.chunks):
        backend.close()
        raise QAError(f"the {backend.name} backend holds {held} chunks, the index in {settings.index_dir} "
                      f"{len(data.chunks)}; run `qa ingest` to bring it in step.")
    searcher = BackendSearcher(backend, embedder, [c.chunk_id for c in data.chunks], settings.rrf_k)
    # `qa serve` swaps in a new Assistant for a new index while requests finish on the old one: the
    # old one's client is closed when nothing uses the searcher any more, not left open
    weakref.finalize(searcher, backend.close)
    return searcher, settings.dense_weight


def sync_backend(settings: Settings, data, changed: Sequence[str] = (),
                 only_removed: Sequence[str] | None = None) -> dict[str, int]:
    """Bring the backend in step with a loaded index (qa.index.IndexData): the chunks of `changed`
    source files and of any file whose chunk count differs are replaced, files the index does not hold
    are deleted — or, for one shard of several ingests into one collection, only `only_removed`.
    Returns chunks written per source file (deleted: 0)."""
    backend = open_backend(settings, int(data.manifest["dim"]))
    try:
        by_source: dict[str, list[int]] = {}
        for row, chunk in enumerate(data.chunks):
            by_source.setdefault(data.documents[chunk.doc_id].source, []).append(row)
        held = backend.counts_by_source()
        done: dict[str, int] = {}
        gone = set(held) - set(by_source) if only_removed is None else set(only_removed) & set(held)
        for source in sorted(gone):
            backend.delete(source)
            done[source] = 0
        for source, rows in sorted(by_source.items()):
            if source in changed or held.get(source) != len(rows):
                chunks = [data.chunks[r] for r in rows]
                backend.upsert(source, records_of(chunks, data.documents), data.vectors[rows])
                done[source] = len(rows)
        return done
    finally:
        backend.close()
