"""The `local` retrieval backend: chunks in memory, vectors in FAISS (exact below
`Settings.approx_from`, IVF from there), BM25 over jieba tokens with bm25s — the same searchers and
fusion as `qa.retrieve` (`DenseSearcher`, `Bm25Searcher`, `rrf`), behind the `Backend` contract.

The question-answering path (`Retriever.from_settings` with QA_BACKEND=local) keeps using the index's
own searchers directly; this class is the contract's view of them (write, upsert/delete by source,
hybrid search, fetch), used by the contract tests and by tools that write chunks through a backend.
With a `directory` the chunks live in a `qa.local_store.LocalStore` there (SQLite metadata, one
memory-mapped vector copy, streamed BM25 postings, filter bitmaps): the layout that holds a million
chunks (bench/scale_bench.py); an upsert or delete rebuilds it, as `qa ingest` rebuilds the index."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .backend import ChunkRecord, Scored
from .errors import QAError
from .index import make_dense_index
from .lexical import LexicalIndex
from .local_store import LocalStore


class LocalBackend:
    name = "local"

    def __init__(self, approx_from: int = 300_000, directory: Path | None = None) -> None:
        self.approx_from = approx_from
        self.records: list[ChunkRecord] = []
        self.vectors = np.zeros((0, 0), dtype=np.float32)
        self._dense = None  # built on first search after a change
        self._lexical: LexicalIndex | None = None
        self.directory = Path(directory) if directory is not None else None
        self.store = None  # a LocalStore when there is a directory
        if self.directory is not None and (self.directory / "current").exists():
            self.store = LocalStore(self.directory / (self.directory / "current").read_text().strip())
            self.records = list(self.store.records())
            self.vectors = self.store.vectors

    def write(self, records: Sequence[ChunkRecord], vectors: np.ndarray) -> None:
        _check_rows(records, vectors)
        self.records = list(records)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._dense = self._lexical = None
        if self.directory is not None:
            self._save()

    def _save(self) -> None:
        """A new store generation in the directory, committed by rewriting `current`, the old one removed."""
        gen = f"store-{time.time_ns()}"
        old = self.store.directory if self.store is not None else None
        self.store = LocalStore.build(self.directory / gen, self.records, self.vectors, self.approx_from)
        (self.directory / "current.tmp").write_text(gen)
        os.replace(self.directory / "current.tmp", self.directory / "current")
        self.vectors = self.store.vectors
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def upsert(self, source: str, records: Sequence[ChunkRecord], vectors: np.ndarray) -> None:
        _check_rows(records, vectors)
        wrong = sorted({r.source for r in records} - {source})
        if wrong:
            raise QAError(f"upsert of {source!r} got chunks of {wrong}; upsert each source file on its own.")
        keep = [i for i, r in enumerate(self.records) if r.source != source]
        old = np.asarray(self.vectors[keep]) if self.records else np.zeros((0, vectors.shape[1]), dtype=np.float32)
        self.write([self.records[i] for i in keep] + list(records), np.concatenate([old, vectors]))

    def delete(self, source: str) -> int:
        keep = [i for i, r in enumerate(self.records) if r.source != source]
        removed = len(self.records) - len(keep)
        if removed:
            self.write([self.records[i] for i in keep], np.asarray(self.vectors[keep]))
        return removed

    def _built(self):
        if self.records and (self._dense is None or self._lexical is None):
            self._dense = make_dense_index(self.vectors, self.approx_from)
            self._lexical = LexicalIndex.build([r.chunk.indexed_text for r in self.records])
        return self._dense, self._lexical

    def search(self, query: str, vector: np.ndarray, filters, k: int, rrf_k: int = 60) -> list[Scored]:
        from .retrieve import Bm25Searcher, _is_flat, rrf, top_rows

        if not self.records:
            return []
        if self.store is not None:
            return self.store.search(query, vector, filters, k, rrf_k)
        dense, lexical = self._built()
        mask = None
        if filters is not None and filters.active:
            mask = np.array([filters.accepts_fields(r.chunk.doc_id, r.year, r.issue, r.source, r.category,
                                                    r.issuer, r.city) for r in self.records], dtype=bool)
        vec = np.asarray(vector, dtype=np.float32)
        if mask is None and not _is_flat(dense):
            found, rows = dense.search(vec.reshape(1, -1), k)
            keep = rows[0] >= 0
            dense_rows, dense_scores = rows[0][keep].tolist(), dict(zip(rows[0][keep].tolist(), found[0][keep].tolist()))
        else:
            scores = self.vectors @ vec
            dense_rows = top_rows(scores, mask, k)
            dense_scores = {r: float(scores[r]) for r in dense_rows}
        bm25 = Bm25Searcher(lexical).search(query, mask, k)
        fused = rrf([(dense_rows, 1.0), (bm25.rows, 1.0)], rrf_k)
        dense_rank = {r: i for i, r in enumerate(dense_rows, 1)}
        bm25_rank = {r: i for i, r in enumerate(bm25.rows, 1)}
        rows = sorted(fused, key=lambda r: -fused[r])
        return [Scored(self.records[r].chunk.chunk_id, fused[r], dense_rank.get(r), dense_scores.get(r),
                       bm25_rank.get(r), bm25.scores.get(r)) for r in rows]

    def chunk(self, chunk_id: str) -> ChunkRecord | None:
        if self.store is not None:
            return self.store.chunk(chunk_id)
        return next((r for r in self.records if r.chunk.chunk_id == chunk_id), None)

    def count(self) -> int:
        return len(self.records)

    def counts_by_source(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.records:
            counts[r.source] = counts.get(r.source, 0) + 1
        return counts

    def close(self) -> None:
        pass


def _check_rows(records: Sequence[ChunkRecord], vectors: np.ndarray) -> None:
    if vectors.ndim != 2 or len(records) != vectors.shape[0]:
        raise QAError(f"{len(records)} chunks but vectors of shape {vectors.shape}; give one vector per chunk.")
    ids = [r.chunk.chunk_id for r in records]
    if len(set(ids)) != len(ids):
        raise QAError(f"duplicate chunk ids {sorted({i for i in ids if ids.count(i) > 1})[:3]}; chunk ids must be unique.")

