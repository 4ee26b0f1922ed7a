"""A local index on disk that holds a million chunks on one machine (the `local` backend at scale).

    store/
      table/         chunk metadata: SQLite rows + filter columns (qa/chunk_table.py)
      vectors.npy    the chunk vectors, memory-mapped (float32), never copied to the heap
      dense.faiss    IVF-Flat from `approx_from` chunks on (qa.index.make_dense_index), memory-mapped
                     too (its lists hold the vectors again, on disk); none below: exact search
      bm25/          BM25 postings in bm25s' format, memory-mapped, built streamed (qa.lexical.write_postings)

Search is the same hybrid as the index's searchers (cosine + BM25 over jieba tokens, fused by RRF, k
deep per route) with three changes for size: filters are bitmaps over columns (cached per filter); a
filter that leaves few rows is searched exactly on those rows, a broad one through the IVF index
with the bitmap as its ID selector; BM25 scores are summed with one `bincount` over the query tokens'
postings."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from .backend import ChunkRecord, Scored
from .chunk_table import ChunkTable
from .errors import QAError
from .glossary import expand
from .lexical import LexicalIndex, tokenize, write_postings

META = "store.json"
EXACT_BELOW = 50_000  # a filter leaving fewer rows than this is searched exactly on them
NPROBE = 32


class LocalStore:
    def __init__(self, directory: Path) -> None:
        import faiss

        self.directory = Path(directory)
        meta_path = self.directory / META
        if not meta_path.exists():
            raise QAError(f"{self.directory} holds no local store ({META} missing); build one with "
                          "LocalStore.build or `python bench/scale_bench.py`.")
        self.meta = json.loads(meta_path.read_text(encoding="utf-8"))
        self.table = ChunkTable(self.directory / "table")
        self.vectors = np.load(self.directory / "vectors.npy", mmap_mode="r")
        self.dense = None
        if (self.directory / "dense.faiss").exists():
            self.dense = faiss.read_index(str(self.directory / "dense.faiss"), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
            self.dense.nprobe = NPROBE
        lexical = LexicalIndex.load(self.directory / "bm25", mmap=True)
        self.vocab, self.postings = lexical.vocab, lexical.postings
        if not (len(self.table) == len(self.vectors) == lexical.n_docs == self.meta["n"]):
            raise QAError(f"the local store in {self.directory} is damaged: {len(self.table)} chunks, "
                          f"{len(self.vectors)} vectors, {lexical.n_docs} BM25 documents; build it again.")

    @classmethod
    def build(cls, directory: Path, records: Iterable[ChunkRecord], vectors: np.ndarray,
              approx_from: int = 300_000, workers: int = 1,
              tokens: Iterable[list[str]] | None = None) -> LocalStore:
        """Write a store from records (streamed) and their vectors (an array or a memory-mapped .npy;
        row i embeds records[i]). `workers` processes tokenize for BM25; `tokens`: the records' BM25
        tokens already made (row-aligned), instead."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        table = ChunkTable.write(directory / "table", records)
        if len(table) != len(vectors):
            raise QAError(f"{len(table)} chunks but {len(vectors)} vectors; give one vector per chunk.")
        # the texts are read back from the table in slices: no list of every text or token is kept
        if tokens is None:
            tokens = _tokens((r.chunk.indexed_text for r in table.records()), workers)
        n = write_postings(directory / "bm25", tokens)
        if n != len(table):
            raise QAError(f"{n} token lists for {len(table)} chunks; give one per chunk.")
        target = directory / "vectors.npy"
        if getattr(vectors, "filename", None) is None or Path(vectors.filename).resolve() != target.resolve():
            out = np.lib.format.open_memmap(target, mode="w+", dtype=np.float32, shape=vectors.shape)
            for i in range(0, len(vectors), 100_000):
                out[i:i + 100_000] = vectors[i:i + 100_000]
            out.flush()
            del out
        dense = "flat"
        if n >= max(approx_from, 1):
            _write_ivf(directory / "dense.faiss", np.load(target, mmap_mode="r"))
            dense = "ivf-flat"
        (directory / META).write_text(json.dumps({"n": n, "dim": int(vectors.shape[1]), "dense": dense,
                                                  "build_s": round(time.perf_counter() - started, 1)}),
                                      encoding="utf-8")
        return cls(directory)

    def __len__(self) -> int:
        return len(self.table)

    def search(self, query: str, vector: np.ndarray, filters, k: int, rrf_k: int = 60) -> list[Scored]:
        from .retrieve import rrf

        mask = self.table.mask(filters)
        vec = np.asarray(vector, dtype=np.float32)
        dense_rows, dense_scores = self._dense(vec, mask, k)
        bm25_rows, bm25_scores = self._bm25(f"{query} {expand(query)}", mask, k)
        fused = rrf([(dense_rows, 1.0), (bm25_rows, 1.0)], rrf_k)
        rows = sorted(fused, key=lambda r: -fused[r])
        ids = self.table.chunk_ids(rows)
        d_rank = {r: i for i, r in enumerate(dense_rows, 1)}
        b_rank = {r: i for i, r in enumerate(bm25_rows, 1)}
        return [Scored(i, fused[r], d_rank.get(r), dense_scores.get(r), b_rank.get(r), bm25_scores.get(r))
                for r, i in zip(rows, ids)]

    def _dense(self, vec: np.ndarray, mask: np.ndarray | None, k: int) -> tuple[list[int], dict[int, float]]:
        allowed = None if mask is None else np.flatnonzero(mask)
        if self.dense is None or (allowed is not None and len(allowed) < EXACT_BELOW):
            if allowed is None:
                scores = np.asarray(self.vectors) @ vec
                top = _top(scores, k)
                return top.tolist(), {int(r): float(scores[r]) for r in top}
            scores = self.vectors[allowed] @ vec
            top = _top(scores, k)
            return allowed[top].tolist(), {int(allowed[t]): float(scores[t]) for t in top}
        import faiss

        params = None
        if mask is not None:
            bitmap = np.packbits(mask, bitorder="little")
            params = faiss.SearchParametersIVF(sel=faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmap)),
                                               nprobe=NPROBE)
        found, rows = self.dense.search(vec.reshape(1, -1), k, params=params)
        keep = rows[0] >= 0
        return rows[0][keep].tolist(), dict(zip(rows[0][keep].tolist(), found[0][keep].tolist()))

    def _bm25(self, query: str, mask: np.ndarray | None, k: int) -> tuple[list[int], dict[int, float]]:
        ids = [self.vocab[t] for t in tokenize(query) if t in self.vocab]
        if not ids:
            return [], {}
        data, indices, indptr = self.postings
        spans = [(int(indptr[i]), int(indptr[i + 1])) for i in ids]
        scores = np.bincount(np.concatenate([indices[a:b] for a, b in spans]),
                             weights=np.concatenate([data[a:b] for a, b in spans]), minlength=len(self.table))
        if mask is not None:
            scores[~mask] = 0.0
        top = _top(scores, k, positive=True)
        return top.tolist(), {int(r): float(scores[r]) for r in top}

    def chunk(self, chunk_id: str) -> ChunkRecord | None:
        row = self.table.row_of(chunk_id)
        return None if row is None else self.table.get(row)

    def count(self) -> int:
        return len(self.table)

    def counts_by_source(self) -> dict[str, int]:
        return self.table.counts_by_source()

    def records(self) -> Iterable[ChunkRecord]:
        return self.table.records()


def _top(scores: np.ndarray, k: int, positive: bool = False) -> np.ndarray:
    """Indices of the k highest scores, best first (ties: lower index first); only > 0 if `positive`."""
    candidates = np.flatnonzero(scores > 0) if positive else np.arange(len(scores))
    if len(candidates) > k:
        part = np.argpartition(-scores[candidates], k - 1)[:k]
        candidates = candidates[part]
    return candidates[np.lexsort((candidates, -scores[candidates]))]


def _write_ivf(path: Path, vectors: np.ndarray) -> None:
    """IVF-Flat as qa.index.make_dense_index makes it, trained on a sample and filled in slices of the
    memory-mapped vectors (never a second in-memory copy of them all)."""
    import math

    import faiss

    n, dim = vectors.shape
    nlist = max(1, min(n, int(round(4 * math.sqrt(n)))))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    sample = np.sort(np.random.default_rng(0).choice(n, min(n, 50 * nlist), replace=False))
    index.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
    for i in range(0, n, 100_000):
        index.add(np.ascontiguousarray(vectors[i:i + 100_000], dtype=np.float32))
    faiss.write_index(index, str(path))


def _tokens(texts: Iterable[str], workers: int, batch: int = 20_000) -> Iterator[list[str]]:
    """jieba tokens of each text, in order; `workers` processes, fed one slice at a time."""
    if workers <= 1:
        yield from (tokenize(t) for t in texts)
        return
    import itertools
    import multiprocessing

    texts = iter(texts)
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        while part := list(itertools.islice(texts, batch)):
            yield from pool.map(tokenize, part, chunksize=256)


def disk_bytes(directory: Path) -> int:
    return sum(os.path.getsize(Path(root) / f) for root, _, files in os.walk(directory) for f in files)
