"""Gazette metadata around the reader: citations of exact source spans, the title block of a
document, the closest documents of a refusal."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote

from .corpus import Corpus
from .pdf import page_map
from .reader.units import Unit
from .text import squash
from .types import Chunk, Citation, Document, Hit


_BODY = re.compile(r"[\u4e00-\u9fff“”（）()]{2,40}?(?:领导小组|工作领导组|指挥部|委员会|工作专班|联席会议|工作组)")


class Sources:
    def __init__(self, data: Corpus) -> None:
        self.data = data

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        """A document's chunks in row order."""
        return self.data.chunks_at(self.data.doc_rows(doc_id))

    def by_id(self, chunk_id: str) -> Chunk | None:
        row = self.data.row_of(chunk_id)
        return None if row is None else self.data.chunks_at([row])[0]

    def holder(self, doc_id: str, start: int, end: int) -> Chunk | None:
        """The indexed chunk that holds a span (evidence passages may be merged neighbours)."""
        chunks = self.chunks_of(doc_id)
        holders = [c for c in chunks if c.start <= start < c.end]
        return next((c for c in holders if end <= c.end), holders[0] if holders else None)

    def following(self, chunk: Chunk, limit: int = 2) -> list[Chunk]:
        """Up to `limit` chunks of the same document right after `chunk` (which may be a merge of
        neighbours): a list that goes on past the end of the passage found."""
        after = [c for c in self.chunks_of(chunk.doc_id) if c.start >= chunk.end]
        return sorted(after, key=lambda c: c.start)[:limit]

    def cite(self, chunk: Chunk, start: int, end: int, n: int) -> Citation:
        """Citation of the source span [start, end) of a passage: quote = exactly that text; the
        URL opens the document with the span highlighted."""
        doc = self.data.document(chunk.doc_id)
        source = self.holder(doc.doc_id, start, end) or chunk
        return Citation(n=n, doc_id=doc.doc_id, title=doc.title, doc_number=doc.doc_number_norm,
                        issue=doc.issue.label, page=self.page(doc, start), section=source.section, quote=doc.text(start, end),
                        url=f"/doc/{quote(doc.doc_id)}?chunk={quote(source.chunk_id)}&start={start}&end={end}",
                        chunk_id=source.chunk_id, start=start, end=end, city=doc.city)

    def page(self, doc: Document, start: int) -> int | None:
        """The page a cited span starts on: the PDF's page for a source read from PDF, else the page the
        issue's 目录 gives for the document."""
        pages = page_map(self.data.pdf_dir, doc.source)
        return pages.page_of(start) if pages is not None else doc.page

    def cite_chunk(self, chunk: Chunk, n: int) -> Citation:
        return self.cite(chunk, chunk.start, chunk.end, n)

    def lead(self, doc_id: str) -> tuple[Unit, str] | None:
        """The title block (title + 文号) of a document as a unit, and its label "文号《title》"."""
        doc = self.data.document(doc_id)
        rows = self.data.doc_rows(doc_id)
        if not rows:
            return None
        first = self.data.chunks_at(rows[:1])[0]
        end = min(doc.body_start, first.end)
        while end > doc.start and doc.text(end - 1, end).isspace():
            end -= 1
        label = f"{doc.doc_number_norm}《{doc.title}》" if doc.doc_number_norm else f"《{doc.title}》"
        return Unit(first, -1, max(doc.start, first.start), end), label

    def groups_with(self, doc_id: str, slot: str) -> list[str]:
        """Names of the bodies in a document whose member list fills `slot` ("成立…领导小组：" lines
        followed by a 副组长 row), in document order."""
        from .reader.features import fills_slot, is_lead_in
        from .reader.units import split_units

        groups: list[str] = []
        for chunk in self.chunks_of(doc_id):
            lead = None
            for unit in split_units(chunk, 0):
                if is_lead_in(unit.text) and _BODY.search(unit.text):
                    lead = re.sub(r"^.*?(?:成立|设立|组建)", "", squash(_BODY.search(unit.text).group(0)))
                elif lead and fills_slot(unit.text, slot) and lead not in groups:
                    groups.append(lead)
        return groups

    def closest(self, hits: Sequence[Hit], limit: int = 3, exclude: Sequence[str] = ()) -> tuple[str, ...]:
        seen: list[Document] = []
        for hit in hits:
            doc = self.data.document(hit.chunk.doc_id)
            if doc not in seen and doc.doc_id not in exclude:
                seen.append(doc)
        return tuple(label(d) for d in seen[:limit])


def label(doc: Document) -> str:
    return f"{doc.title}（{doc.doc_number_norm or '无文号'}，{doc.issue.label}）"
