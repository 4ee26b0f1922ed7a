"""What the question-answering path needs from an index, as one small protocol (`Corpus`), with two
implementations: `qa.index.IndexData` (the `files` layout, everything loaded; the methods below are
its `ListView` mixin) and `qa.store_index.StoreIndex` (the `store` layout: SQLite and memory-mapped
arrays, read by id). The retriever, the sources and the Assistant use only these methods, so the
same code serves 1,223 chunks from lists and a million from disk."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

import numpy as np

from .errors import InputError
from .text import DOC_NUMBER_RE, normalize_doc_number, squash
from .types import Chunk, Document

if TYPE_CHECKING:
    from .facts import Fact
    from .lexical import IdfTable
    from .retrieve import Filters


@dataclass(frozen=True)
class Facets:
    """What the documents can be filtered by (the chat's filter lists), without reading them."""

    years: tuple[int, ...]  # newest first
    issues: tuple[str, ...]  # 2022年第4期 labels, newest first
    categories: tuple[str, ...]
    cities: tuple[str, ...]
    n_documents: int

    @classmethod
    def of(cls, rows: Iterable[tuple[int, int, str | None, str]]) -> Facets:
        """From (year, issue number, category, city) rows, one per document or per distinct value."""
        rows = list(rows)
        issues = sorted({(y, n) for y, n, _, _ in rows}, reverse=True)
        return cls(years=tuple(sorted({y for y, _, _, _ in rows}, reverse=True)),
                   issues=tuple(f"{y}年第{n}期" for y, n in issues),
                   categories=tuple(sorted({c for _, _, c, _ in rows if c})),
                   cities=tuple(sorted({c for _, _, _, c in rows if c})), n_documents=len(rows))


class Corpus(Protocol):
    """An index as the question-answering path reads it: chunks by row, documents and records by id."""

    manifest: dict
    pdf_dir: Path | None
    documents: Mapping[str, Document]  # by id (lazy in the store: iterate only to list them all)
    whole: bool  # every record is in memory (FactBase over all of them); False: read per question

    @property
    def n_chunks(self) -> int: ...

    def chunks_at(self, rows: Iterable[int]) -> list[Chunk]: ...

    def row_of(self, chunk_id: str) -> int | None: ...

    def doc_rows(self, doc_id: str) -> list[int]:
        """The rows of a document's chunks, in row (= source) order."""

    def document(self, doc_id: str) -> Document | None: ...

    def documents_sorted(self) -> Iterator[Document]:
        """Every document by (year, issue number, offset): `qa docs`, the chat's document list."""

    def documents_page(self, offset: int, limit: int) -> list[Document]:
        """`limit` documents from the `offset`-th in that order (GET /api/documents pages)."""

    def facets(self) -> Facets:
        """Years, issues, categories and cities of the documents, and how many there are."""

    def n_chunks_by_doc(self) -> dict[str, int]: ...

    def years(self) -> set[int]: ...

    def numbers_in(self, question: str) -> list[str]:
        """Known normalized 文号 written in the question (any bracket/spacing variant)."""

    def docs_with_number(self, number: str) -> list[str]: ...

    def idf(self) -> IdfTable: ...

    def filter_mask(self, filters: Filters) -> np.ndarray | None:
        """Rows the filters allow (None: no filter); InputError when none is left."""

    @property
    def has_units(self) -> bool:
        """Sentence/row (and title) vectors are in the index."""

    def unit_similarity(self, keys: list[str], vector: np.ndarray) -> list[float | None]: ...

    def facts_of(self, doc_ids: Iterable[str]) -> list[Fact]:
        """The records of these documents, in extraction order."""

    def all_facts(self) -> Iterator[Fact]: ...


def doc_numbers_in(question: str, known: Mapping[str, object] | Callable[[str], bool]) -> list[str]:
    """Known normalized 文号 written in the question in any bracket/spacing variant. `known`: every
    number (a mapping: each is looked for in the question) or a test of one candidate (each 文号-shaped
    part of the question, with every shorter issuer prefix, is tested: the store's way)."""
    text = squash(question)
    text = DOC_NUMBER_RE.sub(lambda m: normalize_doc_number(m.group(0)) or m.group(0), text)
    if isinstance(known, Mapping):
        return [number for number in known if number in text]
    found: list[str] = []
    for m in DOC_NUMBER_RE.finditer(text):
        prefix, rest = m.group(1), f"〔{m.group(2)}〕{int(m.group(3))}号"
        for i in range(len(prefix)):
            candidate = prefix[i:] + rest
            if candidate not in found and known(candidate):
                found.append(candidate)
    return found


def no_match(filters: Filters, years: set[int]) -> InputError:
    return InputError(f"no document matches the filters ({filters.describe()}); "
                      f"years in the index: {sorted(years)}; widen the filters.",
                      zh=f"没有文件符合筛选条件（{filters.describe()}）；索引中的年份："
                         f"{'、'.join(map(str, sorted(years)))}。请放宽筛选条件。")


class DocFields(Mapping):
    """doc_id -> one field of the document, read on demand (`Evidence.titles`, `body_start` …)."""

    def __init__(self, corpus: Corpus, field: Callable[[Document], object]) -> None:
        self.corpus, self.field = corpus, field

    def __getitem__(self, doc_id: str):
        doc = self.corpus.document(doc_id)
        if doc is None:
            raise KeyError(doc_id)
        return self.field(doc)

    def __iter__(self):
        return iter(self.corpus.documents)

    def __len__(self) -> int:
        return len(self.corpus.documents)


class UnitsView:
    """The sentence-vector methods of both layouts (their `units`: qa.index.UnitVectors or the
    store's UnitTable, None without sentence vectors)."""

    units: object | None

    @property
    def has_units(self) -> bool:
        return self.units is not None

    def unit_similarity(self, keys: list[str], vector: np.ndarray) -> list[float | None]:
        return self.units.similarity(keys, vector)


class ListView(UnitsView):
    """The `Corpus` methods over loaded lists (mixed into `qa.index.IndexData`); lookups are built on
    first use and rebuilt when the lists change."""

    whole = True

    def _lookups(self) -> dict:
        key = (id(self.chunks), len(self.chunks), id(self.documents), len(self.documents))
        cached = self.__dict__.get("_view")
        if cached is None or cached["key"] != key:
            rows_of_doc: dict[str, list[int]] = {}
            for row, chunk in enumerate(self.chunks):
                rows_of_doc.setdefault(chunk.doc_id, []).append(row)
            by_number: dict[str, list[str]] = {}
            for doc in self.documents.values():
                if doc.doc_number_norm:
                    by_number.setdefault(doc.doc_number_norm, []).append(doc.doc_id)
            cached = {"key": key, "rows_of_doc": rows_of_doc, "row_of": {c.chunk_id: r for r, c in enumerate(self.chunks)},
                      "by_number": by_number, "years": {d.issue.year for d in self.documents.values()}}
            self.__dict__["_view"] = cached
        return cached

    @property
    def n_chunks(self) -> int:
        return len(self.chunks)

    def chunks_at(self, rows: Iterable[int]) -> list[Chunk]:
        return [self.chunks[r] for r in rows]

    def row_of(self, chunk_id: str) -> int | None:
        return self._lookups()["row_of"].get(chunk_id)

    def doc_rows(self, doc_id: str) -> list[int]:
        return self._lookups()["rows_of_doc"].get(doc_id, [])

    def document(self, doc_id: str) -> Document | None:
        return self.documents.get(doc_id)

    def documents_sorted(self) -> Iterator[Document]:
        return iter(sorted(self.documents.values(), key=lambda d: (d.issue.year, d.issue.number, d.start)))

    def documents_page(self, offset: int, limit: int) -> list[Document]:
        return list(islice(self.documents_sorted(), offset, offset + limit))

    def facets(self) -> Facets:
        return Facets.of((d.issue.year, d.issue.number, d.category, d.city) for d in self.documents.values())

    def years(self) -> set[int]:
        return self._lookups()["years"]

    def numbers_in(self, question: str) -> list[str]:
        return doc_numbers_in(question, self._lookups()["by_number"])

    def docs_with_number(self, number: str) -> list[str]:
        return self._lookups()["by_number"].get(number, [])

    def idf(self):
        return self.lexical.idf()

    def filter_mask(self, filters: Filters) -> np.ndarray | None:
        if not filters.active:
            return None
        docs = [self.documents[c.doc_id] for c in self.chunks]
        mask = np.array([filters.accepts(d) for d in docs], dtype=bool)
        if not mask.any():
            raise no_match(filters, self.years())
        return mask

    def facts_of(self, doc_ids: Iterable[str]) -> list[Fact]:
        wanted = set(doc_ids)
        return [f for f in self.facts or () if f.doc_id in wanted]

    def all_facts(self) -> Iterator[Fact]:
        return iter(self.facts or ())


class DocFacts:
    """A corpus's records read per document (the store layout), with the `by_doc.get(doc_id, [])` of
    `qa.facts.FactBase` (the document page lists a document's records)."""

    def __init__(self, corpus: Corpus) -> None:
        self.by_doc = _FactsByDoc(corpus)


class _FactsByDoc(Mapping):
    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def __getitem__(self, doc_id: str):
        return self.corpus.facts_of([doc_id])

    def __iter__(self):
        return iter(self.corpus.documents)

    def __len__(self) -> int:
        return len(self.corpus.documents)
