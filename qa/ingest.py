"""`qa ingest`: parse, chunk, embed and index the gazette files, incrementally and atomically."""

from __future__ import annotations

from collections.abc import Sequence

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .chunk import chunk_document
from .cities import city_of
from .config import Settings
from .embed import Embedder, load_embedder
from .errors import QAError
from .facts import Fact, extract_all, facts_version
from .index import (IndexData, UnitVectors, check_compatible, chunker_params, ingest_lock, load_index,
                    make_dense_index, package_version, read_manifest, sha256_file, write_index)
from .lexical import LexicalIndex
from .parallel import embed_passages
from .parse import parse_issue, parse_text
from .pdf import StoredPdf, map_to_json, read_pdf
from .store import chunk_to_dict, document_to_dict
from .reader.units import UNITS_VERSION, split_units
from .text import read_text, squash
from .types import Issue, ParsedIssue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestReport:
    files: int
    documents: int
    chunks: int
    embedded: int  # chunks embedded in this run (0 when nothing changed)
    seconds: float
    reused_files: tuple[str, ...] = ()
    changed_files: tuple[str, ...] = ()
    removed_files: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()  # "file: reason"
    problems: tuple[str, ...] = ()  # TOC/body notes from the parser
    written: bool = True
    synced: int = 0  # chunks written to a QA_BACKEND other than local (the Milvus collection)

    @property
    def chunks_per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds > 0 else 0.0


SOURCE_SUFFIXES = (".txt", ".pdf")


def source_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SOURCE_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            raise QAError(f"{path}: no such file or directory; give gazette .txt or .pdf files or a folder of them.")
    names = [f.name for f in files]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise QAError(f"two source files share the name(s) {duplicates}; rename one of them.")
    return files


def ingest(settings: Settings, paths: list[Path] | None = None, rebuild: bool = False,
           embedder: Embedder | None = None, progress: bool = True, workers: int | None = None,
           shard: bool = False) -> IngestReport:
    """Bring `settings.index_dir` in line with the source files; embed only new or changed files,
    in `workers` processes (default QA_INGEST_WORKERS). `shard`: one of several ingests writing the
    same Milvus collection (a back-fill across machines): files this index does not hold are left there."""
    started = time.perf_counter()
    workers = settings.ingest_workers if workers is None else workers
    files = source_files(paths or [settings.data_dir])
    with ingest_lock(settings.index_dir):
        old = None if rebuild else _load_previous(settings)
        old_files = old.manifest["files"] if old else {}
        hashes = {f.name: sha256_file(f) for f in files}
        reused = [f for f in files if old_files.get(f.name) == hashes[f.name]]
        changed = [f for f in files if f not in reused]
        removed = sorted(set(old_files) - set(hashes))
        units_stale = settings.unit_vectors and old is not None and old.manifest.get("units") != UNITS_VERSION
        facts_stale = old is not None and old.manifest.get("facts") != facts_version()
        cities = {f.name: city_of(f, settings.default_city) for f in files}
        # a file whose city setting changed (city.txt / cities.yaml) is rewritten, not re-embedded
        recity = sorted({d.source for d in old.documents.values()
                         if d.source in cities and d.city != cities[d.source]}) if old else []
        relayout = old is not None and old.manifest.get("layout", "files") != settings.local_layout
        if old and not changed and not removed and not units_stale and not facts_stale and not recity and not relayout:
            synced = _sync(settings, old, (), shard)
            return IngestReport(files=len(files), documents=len(old.documents), chunks=len(old.chunks),
                                embedded=0, seconds=time.perf_counter() - started,
                                reused_files=tuple(f.name for f in reused), written=False, synced=synced)

        docs_json, chunks, vectors, sources, failed, problems = [], [], [], {}, [], []
        facts: list[Fact] = []
        pdfs: dict[str, StoredPdf] = {}
        issues: dict[tuple[int, int], str] = {}  # (year, 第N期) -> the file it is read from

        def carry(name: str) -> None:  # documents, chunks, vectors, facts of a file as indexed before
            rows = [i for i, c in enumerate(old.chunks) if old.documents[c.doc_id].source == name]
            city = cities.get(name, settings.default_city)
            docs_json.extend(document_to_dict(replace(d, city=city)) for d in old.documents.values() if d.source == name)
            chunks.extend(old.chunks[i] for i in rows)
            vectors.append(old.vectors[rows])
            sources[name] = old.sources[name]
            docs = [d for d in old.documents.values() if d.source == name]
            kept = [x for x in old.facts or () if x.source == name] if not facts_stale else None
            facts.extend(kept if kept is not None else extract_all(docs))  # facts of unchanged files are kept
            if docs:
                issues.setdefault((docs[0].issue.year, docs[0].issue.number), name)
            if old.pdf_dir is not None and (old.pdf_dir / f"{name}.map").exists():
                pdfs[name] = StoredPdf.from_index(old.pdf_dir, name)

        for f in reused:  # unchanged files
            carry(f.name)
        new_chunks = []
        for f in sorted(changed, key=lambda f: f.suffix.lower() == ".pdf"):  # a text file first: it wins a tie
            try:
                text, parsed, stored = read_source(f, settings, progress, hashes[f.name])
                other = issues.setdefault((parsed.issue.year, parsed.issue.number), f.name)
                if other != f.name:
                    raise QAError(f"{f.name}: the same issue ({parsed.issue.label}) as {other}, which is "
                                  f"used; skipped (remove one of the two files).")
            except QAError as exc:
                if old is not None and f.name in old_files and f.name in old.sources and "the same issue" not in str(exc):
                    carry(f.name)  # a damaged copy of an indexed file: the good version stays
                    hashes[f.name] = old_files[f.name]  # retried at the next ingest
                    failed.append(f"{exc} The version indexed before is kept.")
                else:
                    failed.append(str(exc))
                    hashes.pop(f.name)
                continue
            parsed = replace(parsed, documents=tuple(replace(d, city=cities[f.name]) for d in parsed.documents))
            if stored is not None:
                pdfs[f.name] = stored
            sources[f.name] = text
            problems += [f"{f.name}: {p}" for p in parsed.problems]
            facts += extract_all(parsed.documents)
            for doc in parsed.documents:
                docs_json.append(document_to_dict(doc))
                new_chunks += chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
        if new_chunks:
            if workers <= 1:
                embedder = embedder or load_embedder(settings)
            vectors.append(embed_passages([c.indexed_text for c in new_chunks], settings, embedder, workers, progress))
        chunks += new_chunks
        if embedder is None and new_chunks:  # embedded by workers: this process names the embedder
            embedder = load_embedder(settings)
        if embedder is not None:
            embedder_name, dim = embedder.name, embedder.dim
        elif old:
            embedder_name, dim = old.manifest["embedder"], old.manifest["dim"]
        else:
            raise QAError("nothing to index: no source file could be parsed.\n" + "\n".join(failed))
        matrix = np.concatenate(vectors) if vectors else np.zeros((0, dim), dtype=np.float32)
        manifest = {
            "package_version": package_version(), "embedder": embedder_name,
            "embedder_kind": settings.embedder, "model": settings.model, "dim": dim,
            "chunker": chunker_params(settings), "files": hashes,
            "n_documents": len(docs_json), "n_chunks": len(chunks),
            "facts": facts_version(), "n_facts": len(facts),
            "dense_index": "ivf-flat" if len(chunks) >= settings.approx_from else "flat",
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "layout": settings.local_layout,
        }
        units = None
        if settings.unit_vectors and chunks:
            # vectors are keyed by the unit's text: reusable whatever split it, for the same embedder
            previous = old.units if old and old.manifest.get("embedder") == manifest.get("embedder") else None
            titles = [d["title"] for d in docs_json]  # for 'which document' questions (qa/api.py)
            if embedder is None and _unit_keys(chunks, previous, titles):
                embedder = load_embedder(settings)
            units = unit_vectors(chunks, previous, embedder, progress, settings, workers, titles)
            manifest["units"] = UNITS_VERSION
            manifest["n_units"] = len(units.keys)
        files = settings.local_layout == "files"  # the store layout builds its own (qa/store_index.py)
        data = IndexData(manifest=manifest, documents={}, chunks=chunks, vectors=matrix,
                         dense=make_dense_index(matrix, settings.approx_from) if files else None,
                         lexical=LexicalIndex.build([c.indexed_text for c in chunks]) if chunks and files else None,
                         sources=sources, units=units, facts=facts, pdfs=pdfs)
        write_index(settings.index_dir, data, docs_json, [chunk_to_dict(c) for c in chunks])
        synced = _sync(settings, None, [f.name for f in changed] + recity, shard, removed) if chunks else 0
    return IngestReport(
        files=len(hashes), documents=len(docs_json), chunks=len(chunks), embedded=len(new_chunks),
        seconds=time.perf_counter() - started, reused_files=tuple(f.name for f in reused),
        changed_files=tuple(f.name for f in changed if f.name in hashes), removed_files=tuple(removed),
        failed=tuple(failed), problems=tuple(problems), synced=synced)


def _sync(settings: Settings, data: IndexData | None, changed: list[str] | tuple, shard: bool,
          removed: list[str] | tuple = ()) -> int:
    """Keep a QA_BACKEND other than local in step with the committed index; chunks written."""
    if settings.backend == "local":
        return 0
    from .backend import sync_backend

    return sum(sync_backend(settings, data or load_index(settings, check=False), changed,
                            only_removed=removed if shard else None).values())


def read_source(path: Path, settings: Settings, progress: bool,
                sha256: str) -> tuple[str, ParsedIssue, StoredPdf | None]:
    """Text, parsed issue and (for a PDF) the stored file with its page map, of one source file.
    A PDF's issue (year, 第N期) is read from its first page; QAError when it is not an issue."""
    if path.suffix.lower() != ".pdf":
        text = read_text(path)
        return text, parse_text(text, path.name), None
    first: list[Issue] = []

    def check_first(page_text: str) -> None:
        try:
            first.append(parse_issue(page_text, path.name))
        except QAError:
            raise QAError(f"{path.name}: not a gazette issue: its first page has no 公报 masthead with "
                          "'YYYY 年第 N 期'; skipped. Give a 阳泉市人民政府公报 issue as PDF.") from None

    pdf = read_pdf(path, settings.ocr_cache_dir, settings.ocr_dpi, progress, check_first)
    parsed = parse_text(pdf.text, path.name, issue=first[0])
    return pdf.text, parsed, StoredPdf(path, map_to_json(pdf, sha256))


def _unit_keys(chunks: list, previous: UnitVectors | None, titles: Sequence[str] = ()) -> list[str]:
    """Squashed texts of the chunks' units (and titles) that `previous` has no vector for, without repeats."""
    keys = dict.fromkeys([*(squash(u.text) for c in chunks for u in split_units(c, 0)), *map(squash, titles)])
    return [k for k in keys if previous is None or k not in previous.row]


def unit_vectors(chunks: list, previous: UnitVectors | None, embedder: Embedder | None,
                 progress: bool, settings: Settings | None = None, workers: int = 1,
                 titles: Sequence[str] = ()) -> UnitVectors:
    """Vectors of every unit (sentence or table row) of the chunks and of the documents' titles:
    reused from the previous index where the text is unchanged, embedded otherwise (as passages,
    stored as float16)."""
    texts: dict[str, str] = {}
    for chunk in chunks:
        for unit in split_units(chunk, 0):
            texts.setdefault(squash(unit.text), unit.text)
    for title in titles:
        texts.setdefault(squash(title), title)
    missing = [k for k in texts if previous is None or k not in previous.row]
    new = None
    if missing:
        new = (embed_passages([texts[k] for k in missing], settings, embedder, workers, progress)
               if settings is not None and workers > 1 else embedder.embed_passages([texts[k] for k in missing], progress=progress))
    fresh = {k: i for i, k in enumerate(missing)}
    dim = new.shape[1] if new is not None else previous.vectors.shape[1]
    matrix = np.zeros((len(texts), dim), dtype=np.float16)
    for i, key in enumerate(texts):
        matrix[i] = new[fresh[key]] if key in fresh else previous.vectors[previous.row[key]]
    return UnitVectors(list(texts), matrix)


def _load_previous(settings: Settings) -> IndexData | None:
    manifest = read_manifest(settings.index_dir)
    if manifest is None:
        return None
    built, now = manifest.get("chunker") or {}, chunker_params(settings)
    if built.get("version") != now["version"] and {**built, "version": now["version"]} == now:
        # this version chunks differently (the settings did not change): chunk and embed again
        log.warning("the index was chunked by %s rules, this version uses %s: rebuilding it",
                    built.get("version"), now["version"])
        return None
    check_compatible(manifest, settings)
    return load_index(settings, check=False)

