"""Documents -> section-aware chunks with exact source spans and a context header.

A chunk never crosses a document boundary and follows the section tree; long sections are split by
langchain's RecursiveCharacterTextSplitter with Chinese separators; short neighbouring sections
under the same top-level heading are merged up to `chunk_size`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from .sections import iter_sections
from .types import Chunk, Document, Section

SEPARATORS = ["\n\n", "\n", "。", "！", "？", "；", ";", "，", ",", ""]
CHUNKER_VERSION = "sections-v3"  # v3: 5.5.1.2 nests under 5.5.1
_TABLE_LINE = re.compile(r"\t|\|")


@dataclass(frozen=True)
class _Block:
    path: tuple[str, ...]
    start: int  # offsets into the source text
    end: int


def chunk_document(doc: Document, chunk_size: int = 400, overlap: int = 40) -> list[Chunk]:
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size, chunk_overlap=overlap, separators=SEPARATORS,
        keep_separator="end", add_start_index=True, strip_whitespace=True)
    pieces: list[tuple[tuple[str, ...], int, int, str]] = []  # path, start, end, extra header line
    for block in _merge(_blocks(doc), doc, chunk_size):
        text = _slice(doc, block.start, block.end)
        if len(text) <= chunk_size:
            pieces.append((block.path, block.start, block.end, ""))
            continue
        for part in splitter.create_documents([text]):
            rel = part.metadata["start_index"]
            start = block.start + rel
            extra = _table_heading(text[:rel]) if rel and _TABLE_LINE.search(part.page_content) else ""
            pieces.append((block.path, start, start + len(part.page_content), extra))
    chunks = []
    for i, (path, start, end, extra) in enumerate(pieces):
        start, end = _trim(doc, start, end)
        if end <= start:
            continue
        section = " > ".join(path)
        chunks.append(Chunk(
            chunk_id=f"{doc.doc_id}-c{i:03d}", doc_id=doc.doc_id, section=section,
            start=start, end=end, text=_slice(doc, start, end),
            header=_header(doc, section, extra)))
    return chunks


def _header(doc: Document, section: str, extra: str) -> str:
    number = f"（{doc.doc_number_norm}）" if doc.doc_number_norm else ""
    parts = [f"{doc.title}{number}", f"{doc.issue.label} {doc.category or ''} {doc.date or ''}".strip()]
    if section:
        parts.append(section)
    if extra and extra not in section:
        parts.append(extra)  # a table's heading line, repeated in each piece of it
    return "\n".join(parts)


def _table_heading(before: str) -> str:
    """The last line before a table piece that is not itself a table row (e.g. "成立…领导小组：")."""
    for line in reversed(before.splitlines()):
        if line.strip() and not _TABLE_LINE.search(line):
            return line.strip()[:60]
    return ""


def _slice(doc: Document, start: int, end: int) -> str:
    """Source text of a body span, with page artefacts blanked (doc.body shares the source offsets)."""
    return doc.text(start, end)


def _trim(doc: Document, start: int, end: int) -> tuple[int, int]:
    text = _slice(doc, start, end)
    left = len(text) - len(text.lstrip())
    right = len(text) - len(text.rstrip())
    return start + left, end - right


def _blocks(doc: Document) -> list[_Block]:
    """Each section's own text (heading + text before its first child), in document order."""
    blocks: list[_Block] = []
    first = doc.sections[0].start if doc.sections else doc.end
    blocks.append(_Block((), doc.start, first))  # title block, 文号 line, addressees, cover letter
    for path, section in iter_sections(doc.sections):
        own_end = section.children[0].start if section.children else section.end
        blocks.append(_Block(path, section.start, own_end))
        _gap(blocks, path, section)
    return [b for b in blocks if _slice(doc, b.start, b.end).strip()]


def _gap(blocks: list[_Block], path: tuple[str, ...], section: Section) -> None:
    """Text after a section's last child but inside the section (e.g. a closing paragraph)."""
    if section.children and section.children[-1].end < section.end:
        blocks.append(_Block(path, section.children[-1].end, section.end))


def _merge(blocks: list[_Block], doc: Document, chunk_size: int) -> list[_Block]:
    merged: list[_Block] = []
    for block in sorted(blocks, key=lambda b: b.start):
        if merged:
            prev = merged[-1]
            same_top = prev.path[:1] == block.path[:1] and bool(block.path)
            tiny = prev.end - prev.start < 80 and bool(prev.path)
            if (same_top or tiny) and block.end - prev.start <= chunk_size and not _is_table(doc, block):
                merged[-1] = _Block(_common(prev.path, block.path), prev.start, block.end)
                continue
        merged.append(block)
    return merged


def _is_table(doc: Document, b: _Block) -> bool:
    """Keep a table (tab or | rows) in a block of its own so it is split row-wise with its heading."""
    text = _slice(doc, b.start, b.end)
    return sum(1 for line in text.splitlines() if _TABLE_LINE.search(line)) >= 3


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for x, y in zip(a, b):
        if x != y:
            break
        out.append(x)
    return tuple(out) or a[:1]
