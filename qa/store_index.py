"""The `store` layout of an index generation (QA_LOCAL_LAYOUT=store) and `StoreIndex`, the `Corpus`
that serves it lazily: opening it reads no chunk, document or record; a question reads the chunks,
documents and records it retrieves, by id.

    data-<id>/
      store/         qa.local_store.LocalStore: chunk table (SQLite + filter columns), vectors (memory-
                     mapped), IVF-Flat from QA_APPROX_FROM chunks on, BM25 postings (memory-mapped)
      docs.sqlite    documents (with their text), records by doc_id, issue texts (qa/doc_table.py)
      units.npy      float16 vectors of the distinct sentences/rows and titles (memory-mapped)
      unit_hash.npy  their keys (squashed text) as sorted 64-bit hashes, unit_row.npy: the vector row of each
      unit_keys.json the keys' texts in vector order, read only by `qa ingest` (to reuse vectors)
      pdf/           as in the files layout
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from .corpus import Facets, UnitsView, doc_numbers_in, no_match
from .doc_table import DB, DocMap, DocTable
from .lexical import IdfTable
from .types import Chunk, Document

STORE = "store"
CHUNK_CACHE = 4096


def unit_hashes(keys: Sequence[str]) -> np.ndarray:
    return np.array([int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8).digest(), "little") for k in keys],
                    dtype=np.uint64)


class UnitTable:
    """Sentence/row/title vectors looked up by squashed text through sorted hashes (binary search on
    memory-mapped arrays: nothing per unit in the heap)."""

    def __init__(self, base: Path) -> None:
        self.vectors = np.load(base / "units.npy", mmap_mode="r")
        self.hash = np.load(base / "unit_hash.npy", mmap_mode="r")
        self.row = np.load(base / "unit_row.npy", mmap_mode="r")
        if not (len(self.hash) == len(self.row) <= len(self.vectors)):
            raise ValueError(f"unit_hash.npy ({len(self.hash)}), unit_row.npy ({len(self.row)}) and units.npy "
                             f"({len(self.vectors)}) disagree")
        self.chunk_ptr = self.chunk_units = None  # per chunk: the rows of its units' vectors (in split order)
        if (base / "chunk_units.npy").exists():
            self.chunk_ptr = np.load(base / "chunk_unit_ptr.npy", mmap_mode="r")
            self.chunk_units = np.load(base / "chunk_units.npy", mmap_mode="r")

    @staticmethod
    def write_chunk_units(base: Path, per_chunk: Iterable[Sequence[int]]) -> None:
        """For each chunk (row order), the rows of units.npy of its sentences and table rows."""
        ptr, rows = [0], []
        for found in per_chunk:
            rows.extend(found)
            ptr.append(len(rows))
        np.save(base / "chunk_unit_ptr.npy", np.asarray(ptr, dtype=np.int64))
        np.save(base / "chunk_units.npy", np.asarray(rows, dtype=np.int64))

    def chunk_similarity(self, rows: Sequence[int], query: np.ndarray) -> dict[int, float]:
        """row -> the best cosine of its units to the query (rows without a unit vector left out)."""
        starts, ends = np.asarray(self.chunk_ptr[rows]), np.asarray(self.chunk_ptr[np.asarray(rows) + 1])
        counts = ends - starts
        if not counts.sum():
            return {}
        units = np.concatenate([np.asarray(self.chunk_units[a:b]) for a, b in zip(starts, ends)])
        sims = self.vectors[units].astype(np.float32) @ query.astype(np.float32)
        owners = np.repeat(np.arange(len(rows)), counts)
        best = np.full(len(rows), -np.inf, dtype=np.float32)
        np.maximum.at(best, owners, sims)
        return {int(rows[i]): float(best[i]) for i in np.flatnonzero(counts)}

    @staticmethod
    def write(base: Path, keys: Sequence[str] | np.ndarray, vectors: np.ndarray, texts: bool = True) -> None:
        """`keys`: distinct squashed texts (or their hashes), row i <-> vectors[i]."""
        hashes = keys if isinstance(keys, np.ndarray) else unit_hashes(keys)
        order = np.argsort(hashes, kind="stable")
        np.save(base / "unit_hash.npy", hashes[order])
        np.save(base / "unit_row.npy", order.astype(np.int64))
        if not (isinstance(vectors, np.memmap) and Path(vectors.filename).resolve() == (base / "units.npy").resolve()):
            np.save(base / "units.npy", np.asarray(vectors, dtype=np.float16))
        if texts and not isinstance(keys, np.ndarray):
            (base / "unit_keys.json").write_text(json.dumps(list(keys), ensure_ascii=False), encoding="utf-8")

    def similarity(self, keys: list[str], query: np.ndarray) -> list[float | None]:
        if not keys or not len(self.hash):
            return [None] * len(keys)
        wanted = unit_hashes(keys)
        pos = np.minimum(np.searchsorted(self.hash, wanted), len(self.hash) - 1)
        found = self.hash[pos] == wanted
        rows = np.asarray(self.row[pos[found]])
        sims = iter((self.vectors[rows].astype(np.float32) @ query.astype(np.float32)).tolist() if len(rows) else ())
        return [float(next(sims)) if f else None for f in found]


class StoreIndex(UnitsView):
    """A store-layout generation, opened lazily (a `qa.corpus.Corpus`)."""

    whole = False

    def __init__(self, manifest: dict, base: Path) -> None:
        from .errors import QAError
        from .local_store import LocalStore

        self.manifest = manifest
        self.base = Path(base)
        try:
            self.store = LocalStore(self.base / STORE)
        except QAError as exc:  # named by load_index as a damaged index, with `qa ingest --rebuild` as the fix
            raise ValueError(str(exc)) from exc
        self.docs = DocTable(self.base / DB)
        self.documents = DocMap(self.docs)
        self.pdf_dir = self.base / "pdf" if (self.base / "pdf").is_dir() else None
        self.units = UnitTable(self.base) if (self.base / "units.npy").exists() else None
        self._chunks: OrderedDict[int, Chunk] = OrderedDict()
        self._lock = threading.Lock()
        self._years: set[int] | None = None
        self._facets: Facets | None = None
        self._idf: IdfTable | None = None
        if manifest.get("n_chunks") != len(self.store) or manifest.get("dim") != self.store.meta["dim"]:
            raise ValueError(f"the manifest says {manifest.get('n_chunks')} chunks of dimension {manifest.get('dim')}, "
                             f"the store holds {len(self.store)} of {self.store.meta['dim']}")

    @property
    def n_chunks(self) -> int:
        return len(self.store)

    def chunks_at(self, rows: Iterable[int]) -> list[Chunk]:
        rows = [int(r) for r in rows]
        with self._lock:
            have = {r: self._chunks[r] for r in rows if r in self._chunks}
        missing = sorted(set(rows) - set(have))
        if missing:
            table = self.store.table
            for i in range(0, len(missing), 500):
                part = missing[i:i + 500]
                found = table.db.execute(f"SELECT row, chunk_id, doc_id, section, start, end, text, header FROM chunks "
                                         f"WHERE row IN ({', '.join('?' * len(part))})", part).fetchall()
                for row, *fields in found:
                    have[row] = Chunk(*fields[:3], int(fields[3]), int(fields[4]), *fields[5:])
            with self._lock:
                for r in missing:
                    self._chunks[r] = have[r]
                while len(self._chunks) > CHUNK_CACHE:
                    self._chunks.popitem(last=False)
        return [have[r] for r in rows]

    def row_of(self, chunk_id: str) -> int | None:
        return self.store.table.row_of(chunk_id)

    def doc_rows(self, doc_id: str) -> list[int]:
        return [r for (r,) in self.store.table.db.execute("SELECT row FROM chunks WHERE doc_id = ? ORDER BY row",
                                                          (doc_id,))]

    def document(self, doc_id: str) -> Document | None:
        return self.docs.get(doc_id)

    def documents_sorted(self) -> Iterator[Document]:
        return self.docs.sorted()

    def documents_page(self, offset: int, limit: int) -> list[Document]:
        return self.docs.page(offset, limit)

    def facets(self) -> Facets:
        if self._facets is None:
            rows, n = self.docs.facet_rows()
            self._facets = replace(Facets.of(rows), n_documents=n)
        return self._facets

    def n_chunks_by_doc(self) -> dict[str, int]:
        table = self.store.table
        counts = np.bincount(table.codes["doc_id"], minlength=len(table.values["doc_id"]))
        return {doc_id: int(c) for doc_id, c in zip(table.values["doc_id"], counts) if c}

    def years(self) -> set[int]:
        if self._years is None:
            self._years = self.docs.years()
        return self._years

    def numbers_in(self, question: str) -> list[str]:
        return doc_numbers_in(question, lambda number: bool(self.docs.with_number(number)))

    def docs_with_number(self, number: str) -> list[str]:
        return self.docs.with_number(number)

    def idf(self) -> IdfTable:
        if self._idf is None:
            n = len(self.store)
            self._idf = IdfTable(_StoreIdf(self.store.vocab, self.store.postings[2], n),
                                 default=float(np.log(1 + (n + 0.5) / 0.5)))
        return self._idf

    def filter_mask(self, filters) -> np.ndarray | None:
        mask = self.store.table.mask(filters)
        if mask is not None and not mask.any():
            raise no_match(filters, self.years())
        return mask

    def facts_of(self, doc_ids: Iterable[str]):
        return self.docs.facts_of(doc_ids)

    def all_facts(self):
        return self.docs.all_facts()

    def has_facts(self) -> bool:
        return self.docs.db.execute("SELECT 1 FROM facts LIMIT 1").fetchone() is not None


class _StoreIdf:
    """token -> BM25 idf from the postings' document frequencies, computed when asked (as LexicalIndex.idf)."""

    def __init__(self, vocab: dict[str, int], indptr: np.ndarray, n: int) -> None:
        self.vocab, self.indptr, self.n = vocab, indptr, n

        self.memo: dict[str, float | None] = {}  # the tokens asked about, bounded below

    def get(self, token: str, default: float) -> float:
        value = self.memo.get(token, default) if token in self.memo else self._idf(token)
        return default if value is None else value

    def _idf(self, token: str) -> float | None:
        i = self.vocab.get(token)
        value = None
        if i is not None and i + 1 < len(self.indptr):
            df = float(self.indptr[i + 1] - self.indptr[i])
            value = float(np.log(1 + (self.n - df + 0.5) / (df + 0.5)))
        if len(self.memo) >= 100_000:
            self.memo.clear()
        self.memo[token] = value
        return value


def write_generation(base: Path, data, documents: Sequence[Document], approx_from: int) -> None:
    """Write an in-memory build (qa.index.IndexData, from `qa ingest`) in the store layout into `base`."""
    from .backend import records_of
    from .local_store import LocalStore

    by_id = {d.doc_id: d for d in documents}
    LocalStore.build(base / STORE, records_of(data.chunks, by_id), np.asarray(data.vectors, dtype=np.float32),
                     approx_from=approx_from)
    index_chunks_by_doc(base / STORE)
    DocTable.write(base / DB, documents, data.facts or [], sorted(data.sources.items()))
    if data.units is not None:
        from .reader.units import split_units
        from .text import squash

        UnitTable.write(base, data.units.keys, data.units.vectors)
        row = data.units.row
        UnitTable.write_chunk_units(base, ([row[k] for k in (squash(u.text) for u in split_units(c, 0)) if k in row]
                                           for c in data.chunks))


def index_chunks_by_doc(store_dir: Path) -> None:
    """An SQLite index on the chunk table's doc_id (a document's chunks are read by it)."""
    from .chunk_table import DB as CHUNKS

    conn = sqlite3.connect(store_dir / "table" / CHUNKS)
    conn.execute("CREATE INDEX IF NOT EXISTS chunk_docs ON chunks (doc_id, row)")
    conn.commit()
    conn.close()


def load_whole(manifest: dict, base: Path):
    """Everything of a store generation in memory, as qa.index.IndexData: for `qa ingest`, which carries
    unchanged files over (serving never calls this)."""
    from .index import IndexData, UnitVectors

    index = StoreIndex(manifest, base)
    chunks = [r.chunk for r in index.store.records()]
    from .doc_table import _document

    docs = {}
    for meta, body in index.docs.db.execute("SELECT meta, body FROM documents ORDER BY rowid"):
        doc = _document(meta, body)
        docs[doc.doc_id] = doc
    units = None
    if index.units is not None and (index.base / "unit_keys.json").exists():
        units = UnitVectors(json.loads((index.base / "unit_keys.json").read_text(encoding="utf-8")),
                            np.asarray(index.units.vectors))
    return IndexData(manifest=manifest, documents=docs, chunks=chunks, vectors=np.asarray(index.store.vectors),
                     dense=None, lexical=None, sources=dict(index.docs.sources()), units=units,
                     facts=list(index.all_facts()), pdf_dir=index.pdf_dir)
