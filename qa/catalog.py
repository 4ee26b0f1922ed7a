"""The document list behind `qa docs`: parsed documents with TOC coverage and chunk counts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from .config import Settings
from .errors import QAError
from .ingest import read_source, source_files
from .cities import city_of
from .types import DEFAULT_CITY, Document


@dataclass(frozen=True)
class DocRow:
    doc_id: str
    title: str
    doc_number: str | None
    issuer: str | None
    date: str | None
    issue: str
    category: str | None
    page: int | None
    source: str
    n_chunks: int
    city: str = DEFAULT_CITY

    @classmethod
    def of(cls, doc: Document, n_chunks: int) -> DocRow:
        return cls(doc_id=doc.doc_id, title=doc.title, doc_number=doc.doc_number_norm,
                   issuer=doc.issuer, date=doc.date, issue=doc.issue.label, category=doc.category,
                   page=doc.page, source=doc.source, n_chunks=n_chunks, city=doc.city)


def catalog(settings: Settings, paths: list[Path] | None = None) -> tuple[list[DocRow], list[str]]:
    """Parse the source files; return one row per document and one summary line per file."""
    counts = _chunk_counts(settings)
    rows: list[DocRow] = []
    summaries: list[str] = []
    for path in source_files(paths or [settings.data_dir]):
        try:
            parsed = read_source(path, settings, progress=False, sha256="")[1]  # a PDF: scans from the OCR cache
        except QAError as exc:
            summaries.append(f"error: {exc}")
            continue
        matched = sum(1 for d in parsed.documents if d.page is not None)
        toc = len(parsed.toc)
        coverage = 100.0 * matched / toc if toc else 0.0
        summaries.append(f"{path.name} ({parsed.issue.label}): {len(parsed.documents)} documents, "
                         f"{toc} TOC entries, {matched} matched ({coverage:.0f}% TOC coverage)")
        summaries += [f"  note: {p}" for p in parsed.problems]
        city = city_of(path, settings.default_city)
        rows += [DocRow.of(replace(d, city=city), counts.get(d.doc_id, 0)) for d in parsed.documents]
    return rows, summaries


def _chunk_counts(settings: Settings) -> dict[str, int]:
    from .index import open_index

    try:
        return open_index(settings, check=False).n_chunks_by_doc()
    except QAError:
        return {}
