"""The index directory: FAISS (dense), bm25s (lexical), documents, chunks and a manifest.

Layout of `index/` (the directory itself is never renamed or replaced):
  .lock           held (flock) by the one `qa ingest` writing this index
  manifest.json   embedder name/dim, chunker parameters, package version, sha256 per source file,
                  and `data`: the name of the generation directory below that holds the rest
  data-<id>/      one complete build:
    documents.json  document metadata (sections with source offsets)
    chunks.json     chunks in row order (row i <-> vector i <-> BM25 doc i)
    vectors.npy     float32 embeddings of the chunks' indexed text (kept for incremental ingest)
    dense.faiss     FAISS inner-product index over the vectors
    bm25/           bm25s index over jieba tokens
    units.json      the distinct sentences/table rows of the chunks (squashed text), row i <-> units.npy row i
    units.npy       float16 embeddings of those units, for the reader's sentence similarity (optional)
    facts.json      fact records (qa/facts/): groups, appointments, document facts, with source spans
    sources/        a copy of each source text, so offsets stay valid if data/ changes
    pdf/            for sources read from PDF: a copy of the PDF (<name>) and its page map (<name>.map:
                    text offsets -> page and box, qa/pdf.py)

With QA_LOCAL_LAYOUT=store (`manifest.json` "layout": "store") a generation holds the store layout
instead (qa/store_index.py: SQLite chunks, documents and records, memory-mapped vectors and postings),
which `open_index` opens lazily for serving and `load_index` reads whole for `qa ingest`.

A build is written to `.tmp-<id>/`, renamed to `data-<id>/`, and committed by atomically replacing
manifest.json (os.replace); older generations are deleted afterwards. A crash at any point leaves
the previous manifest pointing at the previous, complete generation. Indexes written before this
layout (data files next to manifest.json, no `data` key) are still read.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .chunk import CHUNKER_VERSION
from .config import Settings
from .corpus import ListView
from .facts import Fact, extract_all, facts_version
from .errors import IndexMismatchError, IndexMissingError, QAError
from .lexical import LexicalIndex
from .store import chunk_from_dict, document_from_dict
from .types import Chunk, Document

MANIFEST = "manifest.json"
LOCK = ".lock"
# files of the older flat layout, removed when a new generation is committed
_LEGACY = ("documents.json", "chunks.json", "vectors.npy", "dense.faiss", "bm25", "sources", "units.json", "units.npy",
           "facts.json")  # "pdf/" is only ever written inside a generation


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def chunker_params(settings: Settings) -> dict:
    return {"version": CHUNKER_VERSION, "chunk_size": settings.chunk_size,
            "chunk_overlap": settings.chunk_overlap}


def make_dense_index(vectors: np.ndarray, approx_from: int, seed: int = 0):
    """Exact IndexFlatIP below `approx_from` vectors; IVF-Flat (inner product, nlist = 4·sqrt(N),
    nprobe = 32) from there on. bench/faiss_bench.py: exact search passes ~20 ms/query near 370k
    vectors on 2 cores, while IVF keeps recall@10 at 1.000 at 100k and 1M."""
    import faiss

    n, dim = vectors.shape
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if n < max(approx_from, 1):
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = int(round(4 * math.sqrt(n)))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(seed).choice(n, min(n, 50 * nlist), replace=False)
        index.train(vectors[sample])
        index.nprobe = 32
    if n:
        index.add(vectors)
    return index


@dataclass
class UnitVectors:
    """Embeddings of the sentences and table rows of the chunks, looked up by squashed text."""

    keys: list[str]
    vectors: np.ndarray  # float16, one row per key

    def __post_init__(self) -> None:
        if len(self.keys) != len(self.vectors):
            raise ValueError(f"{len(self.keys)} unit keys but {len(self.vectors)} unit vectors")
        self.row = {k: i for i, k in enumerate(self.keys)}

    def similarity(self, texts: list[str], query: np.ndarray) -> list[float | None]:
        """Cosine of each text's vector to the query vector; None for a text without one."""
        rows = [self.row.get(t) for t in texts]
        found = [r for r in rows if r is not None]
        sims = (self.vectors[found].astype(np.float32) @ query.astype(np.float32)) if found else []
        out, it = [], iter(sims)
        for r in rows:
            out.append(None if r is None else float(next(it)))
        return out


@dataclass
class IndexData(ListView):
    """Everything in an index directory, loaded (the `files` layout; a `qa.corpus.Corpus`)."""

    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    vectors: np.ndarray
    dense: object  # faiss.Index
    lexical: LexicalIndex
    sources: dict[str, str] = field(default_factory=dict)
    units: UnitVectors | None = None
    facts: list | None = None  # qa.facts.Fact records (facts.json); None: extract them from the documents
    pdfs: dict = field(default_factory=dict)  # source name -> qa.pdf.StoredPdf, to write with the index
    pdf_dir: Path | None = None  # the loaded index's copies of PDF sources and their page maps (qa.pdf.page_map)

    def n_chunks_by_doc(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for c in self.chunks:
            counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
        return counts


def check_compatible(manifest: dict, settings: Settings, embedder_name: str | None = None) -> None:
    """Refuse an index built with another embedder or chunker than the settings ask for."""
    problems = []
    if manifest.get("embedder_kind") != settings.embedder or (
            settings.embedder == "sentence-transformers" and manifest.get("model") != settings.model):
        problems.append(f"embedder {manifest.get('embedder')!r} (settings ask for {settings.embedder!r}"
                        f"{' ' + settings.model if settings.model else ''})")
    if embedder_name and manifest.get("embedder") != embedder_name:
        problems.append(f"embedder {manifest.get('embedder')!r} != {embedder_name!r}")
    if manifest.get("chunker") != chunker_params(settings):
        problems.append(f"chunker {manifest.get('chunker')} (settings: {chunker_params(settings)})")
    if problems:
        raise IndexMismatchError(
            f"the index in {settings.index_dir} was built with other settings: {'; '.join(problems)}. "
            "Run `qa ingest --rebuild` to rebuild it with the current settings.")


def read_manifest(index_dir: Path) -> dict | None:
    path = index_dir / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexMismatchError(f"{path} is unreadable ({exc}); run `qa ingest --rebuild`.") from exc
    if not isinstance(manifest, dict):
        raise IndexMismatchError(f"{path} is not an index manifest (a JSON object); run `qa ingest --rebuild`.")
    return manifest


def open_index(settings: Settings, check: bool = True):
    """The index for serving (a `qa.corpus.Corpus`): the files layout loaded whole, the store layout
    opened lazily (qa/store_index.py) — whichever layout the index was written in."""
    return load_index(settings, check, whole=False)


def load_index(settings: Settings, check: bool = True, whole: bool = True):
    """The index in `settings.index_dir`. A store-layout index is read whole into IndexData (what
    `qa ingest` needs) unless `whole` is False: then it is a lazily opened `StoreIndex`."""
    index_dir = settings.index_dir
    for attempt in range(3):
        manifest = read_manifest(index_dir)
        if manifest is None:
            raise IndexMissingError(f"no index in {index_dir}: run `qa ingest` (or `make run`) to build it "
                                    f"from {settings.data_dir}.",
                                    zh=f"{index_dir} 中还没有索引：运行 `qa ingest`（或 `make run`），"
                                       f"从 {settings.data_dir} 建立索引。")
        if check:
            check_compatible(manifest, settings)
        try:
            base = _data_dir(index_dir, manifest)
            if check:
                check_files(manifest, base)
            if manifest.get("layout") == "store":
                from .store_index import StoreIndex, load_whole

                return load_whole(manifest, base) if whole else StoreIndex(manifest, base)
            return check_whole(_load_generation(manifest, base))
        except (OSError, KeyError, ValueError, RuntimeError, TypeError, AttributeError) as exc:
            if attempt < 2 and read_manifest(index_dir) != manifest:
                continue  # an ingest committed a new generation (and removed this one) while we read it
            raise IndexMismatchError(
                f"the index in {index_dir} is incomplete or damaged ({type(exc).__name__}: {exc}); "
                "run `qa ingest --rebuild`.") from exc
    raise AssertionError("unreachable")


def check_whole(data: IndexData) -> IndexData:
    """The index proves itself whole on load (cheap: counts, shapes, finite values): the manifest's
    fields, chunks = vectors = FAISS rows = BM25 documents, the vector dimension everywhere, every
    chunk's document present, unit keys = unit vectors. ValueError naming the first mismatch."""
    manifest = data.manifest
    if not isinstance(manifest, dict) or not all(k in manifest for k in ("embedder", "dim", "n_chunks")):
        raise ValueError(f"{MANIFEST} lacks embedder/dim/n_chunks")
    dim, n = manifest["dim"], len(data.chunks)
    if manifest["n_chunks"] != n:
        raise ValueError(f"{MANIFEST} says {manifest['n_chunks']} chunks, chunks.json has {n}")
    if data.vectors.ndim != 2 or data.vectors.shape != (n, dim):
        raise ValueError(f"vectors.npy has shape {data.vectors.shape}, expected ({n}, {dim})")
    if not np.isfinite(data.vectors).all():
        raise ValueError("vectors.npy holds NaN or infinite values")
    if data.dense.d != dim or data.dense.ntotal != n:
        raise ValueError(f"dense.faiss holds {data.dense.ntotal} vectors of dimension {data.dense.d}, expected {n} of {dim}")
    if data.lexical is not None and data.lexical.n_docs != n:
        raise ValueError(f"the BM25 index holds {data.lexical.n_docs} documents, expected {n}")
    missing = {c.doc_id for c in data.chunks} - set(data.documents)
    if missing:
        raise ValueError(f"chunks of unknown documents {sorted(missing)[:3]}")
    if data.units is not None and (data.units.vectors.ndim != 2 or data.units.vectors.shape[1] != dim
                                   or not np.isfinite(data.units.vectors.astype(np.float32)).all()):
        raise ValueError(f"units.npy has shape {data.units.vectors.shape} or non-finite values, expected (…, {dim})")
    return data


HASHED_UP_TO = 64 << 20  # larger files (a big store's vectors, postings, tables) are checked by size on load


def file_checksums(base: Path) -> dict[str, str]:
    """sha256 of every file of a generation, by path relative to it (PDF copies are left out: they
    are hard links of the user's files, and their page maps are checked); "size:N" for a file over
    HASHED_UP_TO bytes, so that opening a large store does not read it all."""
    return {p.relative_to(base).as_posix(): sha256_file(p) if p.stat().st_size <= HASHED_UP_TO
            else f"size:{p.stat().st_size}" for p in sorted(base.rglob("*")) if p.is_file() and p.suffix != ".pdf"}


def check_files(manifest: dict, base: Path) -> None:
    """Every file the manifest lists is there with the checksum it was written with; ValueError
    naming the first that is missing or changed. An index written before checksums passes."""
    recorded = manifest.get("checksums")
    if recorded is None:
        return
    if not isinstance(recorded, dict):
        raise ValueError(f"{MANIFEST} has checksums of the wrong form ({type(recorded).__name__})")
    for name, digest in recorded.items():
        path = base / name
        if not path.is_file():
            raise ValueError(f"{name} is missing")
        if digest.startswith("size:"):
            if path.stat().st_size != int(digest[5:]):
                raise ValueError(f"{name} has changed since it was written (size mismatch)")
        elif sha256_file(path) != digest:
            raise ValueError(f"{name} has changed since it was written (checksum mismatch)")


def _data_dir(index_dir: Path, manifest: dict) -> Path:
    name = manifest.get("data", "")
    if not isinstance(name, str) or Path(name).name != name:
        raise ValueError(f"bad data directory {name!r} in {MANIFEST}")
    return index_dir / name if name else index_dir  # no name: the older flat layout


def _load_generation(manifest: dict, base: Path) -> IndexData:
    import faiss

    sources = {p.name: p.read_text(encoding="utf-8") for p in (base / "sources").glob("*")}
    docs = [document_from_dict(d, sources[d["source"]])
            for d in json.loads((base / "documents.json").read_text(encoding="utf-8"))]
    chunks = [chunk_from_dict(c) for c in json.loads((base / "chunks.json").read_text(encoding="utf-8"))]
    vectors = np.load(base / "vectors.npy")
    dense = faiss.read_index(str(base / "dense.faiss"))
    lexical = LexicalIndex.load(base / "bm25") if chunks else None
    units = None
    if (base / "units.npy").exists():
        units = UnitVectors(json.loads((base / "units.json").read_text(encoding="utf-8")),
                            np.load(base / "units.npy"))
    facts = None
    if (base / "facts.json").exists() and manifest.get("facts") == facts_version():
        facts = [Fact.from_dict(f) for f in json.loads((base / "facts.json").read_text(encoding="utf-8"))]
    else:  # an index built before facts, or with other extraction rules: extract them now (fast)
        facts = extract_all(docs)
    return IndexData(manifest=manifest, documents={d.doc_id: d for d in docs}, chunks=chunks,
                     vectors=vectors, dense=dense, lexical=lexical, sources=sources, units=units, facts=facts,
                     pdf_dir=base / "pdf" if (base / "pdf").is_dir() else None)


def write_index(index_dir: Path, data: IndexData, documents_json: list[dict], chunks_json: list[dict]) -> None:
    """Write a new generation inside `index_dir`, then commit it by replacing manifest.json.
    Call it under `ingest_lock(index_dir)`: it deletes the generations it does not commit."""
    index_dir.mkdir(parents=True, exist_ok=True)
    gen = f"{time.time_ns()}-{os.getpid()}"
    tmp, final = index_dir / f".tmp-{gen}", index_dir / f"data-{gen}"
    manifest_tmp = index_dir / f".{MANIFEST}.tmp-{gen}"
    committed = False
    try:
        tmp.mkdir(parents=True)
        if data.pdfs:
            (tmp / "pdf").mkdir()
        for name, stored in data.pdfs.items():  # the PDF (hard-linked from the last generation) and its page map
            stored.write(tmp / "pdf", name, link=stored.pdf.is_relative_to(index_dir))
        if data.manifest.get("layout") == "store":
            from .store_index import write_generation

            docs = [document_from_dict(d, data.sources[d["source"]]) for d in documents_json]
            ivf = data.manifest.get("dense_index") == "ivf-flat"  # as the settings' QA_APPROX_FROM chose
            write_generation(tmp, data, docs, approx_from=0 if ivf else len(data.chunks) + 1)
        else:
            _write_files(tmp, data, documents_json, chunks_json)
        checksums = file_checksums(tmp)
        os.rename(tmp, final)
        _write_json(manifest_tmp, {**data.manifest, "data": final.name, "checksums": checksums})
        os.replace(manifest_tmp, index_dir / MANIFEST)  # the commit point
        committed = True
    finally:
        for leftover in (tmp, manifest_tmp) if committed else (tmp, final, manifest_tmp):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            elif leftover.exists():
                leftover.unlink()
    _remove_stale(index_dir, keep=final.name)


def _write_files(tmp: Path, data: IndexData, documents_json: list[dict], chunks_json: list[dict]) -> None:
    """The files layout of a generation (see the module's docstring)."""
    import faiss

    (tmp / "sources").mkdir()
    for name, text in data.sources.items():
        (tmp / "sources" / name).write_text(text, encoding="utf-8")
    _write_json(tmp / "documents.json", documents_json)
    _write_json(tmp / "chunks.json", chunks_json)
    np.save(tmp / "vectors.npy", data.vectors)
    faiss.write_index(data.dense, str(tmp / "dense.faiss"))
    if data.lexical is not None:
        data.lexical.save(tmp / "bm25")
    if data.facts is not None:
        _write_json(tmp / "facts.json", [f.to_dict() for f in data.facts])
    if data.units is not None:
        _write_json(tmp / "units.json", data.units.keys)
        np.save(tmp / "units.npy", data.units.vectors)


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=0), encoding="utf-8")


def _ours(name: str) -> bool:
    """A name this module creates inside an index directory."""
    return name in (MANIFEST, LOCK, *_LEGACY) or name.startswith(("data-", ".tmp-", f".{MANIFEST}.tmp-"))


def _remove_stale(index_dir: Path, keep: str) -> None:
    """Delete older generations, leftovers of interrupted builds and files of the older flat layout;
    only names this module creates, so a mistaken QA_INDEX_DIR loses nothing else."""
    for path in index_dir.iterdir():
        name = path.name
        if name != keep and _ours(name) and name not in (MANIFEST, LOCK):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


@contextmanager
def ingest_lock(index_dir: Path):
    """One ingest at a time per index directory; a second one fails at once with a clear message.

    The lock file is `<index_dir>/.lock`, inside the index (so it is covered by the index's
    .gitignore entry and never litters the directory above). That is only sound because
    `index_dir` itself is never renamed or replaced: a new build is committed by swapping
    manifest.json inside it (see write_index), so every ingest locks the same inode.
    A non-empty directory that is not an index (no manifest.json, files of its own) is refused."""
    if index_dir.is_dir() and not (index_dir / MANIFEST).exists():
        foreign = sorted(p.name for p in index_dir.iterdir() if not _ours(p.name))
        if foreign:
            raise QAError(f"{index_dir} is not an index and holds other files ({', '.join(foreign[:3])}"
                          f"{', …' if len(foreign) > 3 else ''}); point QA_INDEX_DIR at a new or empty directory.",
                          zh=f"{index_dir} 不是索引目录，里面有其他文件；请把 QA_INDEX_DIR 指向新的或空的目录。")
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise QAError(f"another `qa ingest` is writing {index_dir} (lock {path}); "
                          "wait for it to finish, then run again.") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def package_version() -> str:
    return __version__
