"""The `textbook` baseline: fixed-size chunks of the raw issue text, dense retrieval only.

langchain's RecursiveCharacterTextSplitter (500 characters, 50 overlap, default separators) over each
whole file: no document or section boundaries, no context header. Each chunk is attributed to the
parsed document in which it starts (chunks in the cover/TOC go to the issue's first document), so the
same `Assistant` can answer from it. The index lives in memory only; the real index/ is never touched.
Passage vectors are cached in `<cache_dir>/textbook-<hash>.npy`, keyed by the chunk texts and embedder.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.embed import Embedder
from qa.errors import QAError
from qa.index import IndexData, make_dense_index
from qa.ingest import source_files
from qa.lexical import LexicalIndex
from qa.parse import parse_text
from qa.text import read_text
from qa.types import Chunk, Document

CHUNK_SIZE = 500
CHUNK_OVERLAP = 50
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawDocument(Document):
    """A Document whose `text(start, end)` slices the whole raw issue, so spans of textbook chunks
    that start before or run past the document (merged neighbours) stay valid."""

    raw: str = ""

    def text(self, start: int, end: int) -> str:
        return self.raw[start:end]


def split_issue(text: str, source: str, documents: list[Document]) -> tuple[list[Chunk], list[RawDocument]]:
    """Chunks of one raw issue text and its documents, each chunk pointing at a document."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP,
                                              add_start_index=True)
    docs = [RawDocument(**{f.name: getattr(d, f.name) for f in fields(Document)}, raw=text)
            for d in sorted(documents, key=lambda d: d.start)]
    chunks = []
    for i, part in enumerate(splitter.create_documents([text])):
        start = part.metadata["start_index"]
        if start < 0 or text[start:start + len(part.page_content)] != part.page_content:
            raise QAError(f"{source}: the text splitter returned chunk {i} at a wrong offset ({start}).")
        owner = next((d for d in reversed(docs) if d.start <= start), docs[0])
        chunks.append(Chunk(chunk_id=f"tb-{source}-{i}", doc_id=owner.doc_id, section="", start=start,
                            end=start + len(part.page_content), text=part.page_content, header=""))
    return chunks, docs


def cache_key(chunks: list[Chunk], embedder: Embedder) -> str:
    digest = hashlib.sha256(f"{embedder.name}|{embedder.dim}|{CHUNK_SIZE}|{CHUNK_OVERLAP}".encode())
    for chunk in chunks:
        digest.update(b"\x00" + chunk.chunk_id.encode() + b"\x01" + chunk.text.encode())
    return digest.hexdigest()[:16]


def embed_cached(chunks: list[Chunk], embedder: Embedder, cache_dir: Path | None,
                 progress: bool) -> np.ndarray:
    path = cache_dir / f"textbook-{cache_key(chunks, embedder)}.npy" if cache_dir else None
    if path and path.exists():
        vectors = np.load(path)
        if vectors.shape == (len(chunks), embedder.dim):
            log.info("textbook: %d cached vectors from %s", len(chunks), path)
            return vectors
        log.warning("textbook: ignoring %s (shape %s, expected %s)", path, vectors.shape,
                    (len(chunks), embedder.dim))
    log.info("textbook: embedding %d chunks with %s", len(chunks), embedder.name)
    vectors = embedder.embed_passages([c.text for c in chunks], progress=progress)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)
    return vectors


def build_textbook(settings: Settings, embedder: Embedder, cache_dir: Path | None = None,
                   progress: bool = True) -> IndexData:
    """An in-memory IndexData of the textbook chunks of every issue in `settings.data_dir`."""
    chunks: list[Chunk] = []
    documents: dict[str, RawDocument] = {}
    sources: dict[str, str] = {}
    n_parsed = 0
    for path in source_files([settings.data_dir]):
        try:
            text = read_text(path)
            parsed = parse_text(text, path.name)
        except QAError as exc:
            log.warning("textbook: skipping %s (%s)", path.name, exc)
            continue
        n_parsed += len(parsed.documents)
        file_chunks, docs = split_issue(text, path.name, list(parsed.documents))
        owners = {c.doc_id for c in file_chunks}
        chunks += file_chunks
        # a short document that lies inside a chunk starting in the one before owns no chunk; the
        # Retriever expects every document to have chunks, so it is left out (its text is still indexed)
        documents.update({d.doc_id: d for d in docs if d.doc_id in owners})
        sources[path.name] = text
    if not chunks:
        raise QAError(f"textbook: no gazette issue could be read from {settings.data_dir}.")
    vectors = embed_cached(chunks, embedder, cache_dir, progress)
    manifest = {"embedder": embedder.name, "dim": embedder.dim, "n_chunks": len(chunks),
                "n_documents": len(documents), "n_documents_without_chunks": n_parsed - len(documents),
                "chunker": {"version": "textbook", "chunk_size": CHUNK_SIZE, "chunk_overlap": CHUNK_OVERLAP}}
    return IndexData(manifest=manifest, documents=documents, chunks=chunks, vectors=vectors,
                     dense=make_dense_index(vectors, settings.approx_from),
                     lexical=LexicalIndex.build([c.text for c in chunks]), sources=sources)
