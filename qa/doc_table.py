"""Documents, their records (facts) and the issue texts of a `store`-layout index, in one SQLite file
read by id: a question reads the documents and records of what it retrieved, never the whole table.

    documents(doc_id, year, number, start, doc_number, meta, body)  meta: qa.store.document_to_dict JSON
    facts(doc_id, data)                                             data: Fact.to_dict JSON, extraction order
    sources(name, text)                                             the issue texts (for `qa ingest` only)
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from .chunk_table import ReadConnections
from .facts import Fact
from .store import _section, document_to_dict
from .types import Document, Issue

DB = "docs.sqlite"
CACHE = 2048  # documents kept after reading (a few hundred KB each at most)


class DocTable:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path} is missing")
        self._connections = ReadConnections(self.path)
        self._cache: OrderedDict[str, Document | None] = OrderedDict()
        self._facts: OrderedDict[str, tuple[Fact, ...]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def db(self) -> sqlite3.Connection:
        return self._connections.get()

    @classmethod
    def write(cls, path: Path, documents: Iterable[Document], facts: Iterable[Fact],
              sources: Iterable[tuple[str, str]] = (), batch: int = 2000) -> DocTable:
        """Stream documents, records and issue texts into a new file."""
        path = Path(path)
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("CREATE TABLE documents (doc_id TEXT PRIMARY KEY, year INTEGER, number INTEGER, start INTEGER, "
                     "doc_number TEXT, meta TEXT, body TEXT)")
        conn.execute("CREATE TABLE facts (doc_id TEXT, data TEXT)")
        conn.execute("CREATE TABLE sources (name TEXT PRIMARY KEY, text TEXT)")
        _insert(conn, "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((d.doc_id, d.issue.year, d.issue.number, d.start, d.doc_number_norm,
                  json.dumps(document_to_dict(d), ensure_ascii=False), d.body) for d in documents), batch)
        _insert(conn, "INSERT INTO facts VALUES (?, ?)",
                ((f.doc_id, json.dumps(f.to_dict(), ensure_ascii=False)) for f in facts), batch)
        _insert(conn, "INSERT INTO sources VALUES (?, ?)", sources, batch)
        conn.execute("CREATE INDEX fact_docs ON facts (doc_id)")
        conn.execute("CREATE INDEX doc_numbers ON documents (doc_number)")
        conn.execute("CREATE INDEX doc_order ON documents (year, number, start)")
        conn.commit()
        conn.close()
        return cls(path)

    def get(self, doc_id: str) -> Document | None:
        with self._lock:
            if doc_id in self._cache:
                self._cache.move_to_end(doc_id)
                return self._cache[doc_id]
        found = self.db.execute("SELECT meta, body FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        doc = None if found is None else _document(*found)
        with self._lock:
            self._cache[doc_id] = doc
            if len(self._cache) > CACHE:
                self._cache.popitem(last=False)
        return doc

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    def ids(self) -> Iterator[str]:
        for (doc_id,) in self.db.execute("SELECT doc_id FROM documents"):
            yield doc_id

    def sorted(self) -> Iterator[Document]:
        """Every document by (year, issue number, offset), streamed."""
        for meta, body in self.db.execute("SELECT meta, body FROM documents ORDER BY year, number, start"):
            yield _document(meta, body)

    def years(self) -> set[int]:
        return {y for (y,) in self.db.execute("SELECT DISTINCT year FROM documents")}

    def page(self, offset: int, limit: int) -> list[Document]:
        """`limit` documents from the `offset`-th by (year, issue number, offset)."""
        return [_document(meta, body) for meta, body in self.db.execute(
            "SELECT meta, body FROM documents ORDER BY year, number, start LIMIT ? OFFSET ?", (limit, offset))]

    def facet_rows(self) -> tuple[list[tuple[int, int, str | None, str]], int]:
        """Distinct (year, issue number, category, city) of the documents, and how many documents:
        one pass over the metadata column, no document bodies read."""
        rows = self.db.execute("SELECT year, number, json_extract(meta, '$.category'), json_extract(meta, '$.city'), "
                               "COUNT(*) FROM documents GROUP BY 1, 2, 3, 4").fetchall()
        return [r[:4] for r in rows], sum(r[4] for r in rows)

    def with_number(self, number: str) -> list[str]:
        return [d for (d,) in self.db.execute("SELECT doc_id FROM documents WHERE doc_number = ? ORDER BY rowid",
                                              (number,))]

    def facts_of(self, doc_ids: Iterable[str]) -> list[Fact]:
        """The records of these documents in extraction order (documents in their stored order)."""
        ids = list(dict.fromkeys(doc_ids))
        with self._lock:
            have = {d: self._facts[d] for d in ids if d in self._facts}
        missing = [d for d in ids if d not in have]
        if missing:
            found = self.db.execute(f"SELECT rowid, doc_id, data FROM facts WHERE doc_id IN ({', '.join('?' * len(missing))}) "
                                    "ORDER BY rowid", missing).fetchall()
            read: dict[str, list] = {d: [] for d in missing}
            for rowid, doc_id, data in found:
                read[doc_id].append((rowid, Fact.from_dict(json.loads(data))))
            with self._lock:
                for d, facts in read.items():
                    have[d] = self._facts[d] = tuple(facts)
                while len(self._facts) > CACHE:
                    self._facts.popitem(last=False)
        return [f for _, f in sorted((p for d in ids for p in have[d]), key=lambda p: p[0])]

    def all_facts(self) -> Iterator[Fact]:
        for (data,) in self.db.execute("SELECT data FROM facts ORDER BY rowid"):
            yield Fact.from_dict(json.loads(data))

    def sources(self) -> Iterator[tuple[str, str]]:
        yield from self.db.execute("SELECT name, text FROM sources")


class DocMap(Mapping):
    """doc_id -> Document over a DocTable (`Corpus.documents` of the store): read by id; iterating lists them all."""

    def __init__(self, table: DocTable) -> None:
        self.table = table

    def __getitem__(self, doc_id: str) -> Document:
        doc = self.table.get(doc_id)
        if doc is None:
            raise KeyError(doc_id)
        return doc

    def __iter__(self) -> Iterator[str]:
        return self.table.ids()

    def __len__(self) -> int:
        return len(self.table)

    def values(self):  # streamed, not one query per id
        return self.table.sorted()


def _document(meta: str, body: str) -> Document:
    data = json.loads(meta)
    data["issue"] = Issue(**data["issue"])
    data["sections"] = tuple(_section(s) for s in data["sections"])
    return Document(**data, body=body)


def _insert(conn: sqlite3.Connection, sql: str, rows: Iterable[tuple], batch: int) -> None:
    pending = []
    for row in rows:
        pending.append(row)
        if len(pending) >= batch:
            conn.executemany(sql, pending)
            pending.clear()
    if pending:
        conn.executemany(sql, pending)
