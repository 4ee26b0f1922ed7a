"""Chunk metadata on disk for a large local index: one SQLite table (read by row or chunk id, never
loaded whole) and one small integer column per filter field (memory-mapped .npy files + the list of
values each code stands for), so a filter is a few vectorised comparisons — a bitmap over all rows,
cached per filter — instead of a Python loop over chunks."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .backend import ChunkRecord
from .types import Chunk

DB = "chunks.sqlite"
COLUMNS = "columns.json"
# filter fields stored as codes into a value list (year is stored as itself)
CODED = ("city", "issue", "category", "issuer", "source", "doc_id")
_FIELDS = ("chunk_id", "doc_id", "section", "start", "end", "text", "header", "city", "year", "issue",
           "category", "issuer", "source")


class ReadConnections:
    """Read-only SQLite connections to one file, one per thread. The first is opened at once and
    shared: threads that start reading after a newer `qa ingest` removed this generation's files use
    it, as memory maps keep reading removed files."""

    def __init__(self, path: Path) -> None:
        self.uri = f"file:{path}?mode=ro"
        self._local = threading.local()
        self._first = sqlite3.connect(self.uri, uri=True, check_same_thread=False)

    def get(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.uri, uri=True, check_same_thread=False)
            except sqlite3.OperationalError:  # the file was replaced (a new index): the first one still reads
                conn = self._first
            self._local.conn = conn
        return conn


class ChunkTable:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        meta = json.loads((self.directory / COLUMNS).read_text(encoding="utf-8"))
        self.values: dict[str, list[str]] = meta["values"]
        self.n = int(meta["n"])
        self.codes = {name: np.load(self.directory / f"{name}.npy", mmap_mode="r") for name in (*CODED, "year")}
        self._connections = ReadConnections(self.directory / DB)
        self._masks: dict[object, np.ndarray] = {}

    def __len__(self) -> int:
        return self.n

    @property
    def db(self) -> sqlite3.Connection:
        return self._connections.get()

    @classmethod
    def write(cls, directory: Path, records: Iterable[ChunkRecord], batch: int = 5000) -> ChunkTable:
        """Stream records into a new table in `directory` (row i = the i-th record)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(directory / DB)
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute(f"CREATE TABLE chunks (row INTEGER PRIMARY KEY, {', '.join(f'{f}' for f in _FIELDS)})")
        values: dict[str, dict[str, int]] = {name: {} for name in CODED}
        codes: dict[str, list[np.ndarray]] = {name: [] for name in (*CODED, "year")}
        pending: list[tuple] = []
        n = 0

        def flush() -> None:
            conn.executemany(f"INSERT INTO chunks VALUES ({', '.join('?' * (len(_FIELDS) + 1))})", pending)
            for name in CODED:
                codes[name].append(np.array([values[name].setdefault(_field(p, name), len(values[name]))
                                             for p in pending], dtype=np.int32))
            codes["year"].append(np.array([p[1 + _FIELDS.index("year")] for p in pending], dtype=np.int32))
            pending.clear()

        for record in records:
            c = record.chunk
            pending.append((n, c.chunk_id, c.doc_id, c.section, c.start, c.end, c.text, c.header, record.city,
                            record.year, record.issue, record.category, record.issuer, record.source))
            n += 1
            if len(pending) >= batch:
                flush()
        if pending:
            flush()
        conn.execute("CREATE UNIQUE INDEX chunk_ids ON chunks (chunk_id)")
        conn.commit()
        conn.close()
        for name, parts in codes.items():
            np.save(directory / f"{name}.npy", np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32))
        (directory / COLUMNS).write_text(json.dumps({"n": n, "values": {k: list(v) for k, v in values.items()}},
                                                    ensure_ascii=False), encoding="utf-8")
        return cls(directory)

    def get(self, row: int) -> ChunkRecord:
        found = self.db.execute(f"SELECT {', '.join(_FIELDS)} FROM chunks WHERE row = ?", (int(row),)).fetchone()
        if found is None:
            raise IndexError(f"row {row} is not in the chunk table ({self.n} rows)")
        return _record(found)

    def row_of(self, chunk_id: str) -> int | None:
        found = self.db.execute("SELECT row FROM chunks WHERE chunk_id = ?", (chunk_id,)).fetchone()
        return None if found is None else int(found[0])

    def records(self) -> Iterable[ChunkRecord]:
        """Every record in row order (streamed)."""
        for found in self.db.execute(f"SELECT {', '.join(_FIELDS)} FROM chunks ORDER BY row"):
            yield _record(found)

    def chunk_ids(self, rows: Iterable[int]) -> list[str]:
        rows = [int(r) for r in rows]
        if not rows:
            return []
        found = dict(self.db.execute(f"SELECT row, chunk_id FROM chunks WHERE row IN ({', '.join('?' * len(rows))})",
                                     rows).fetchall())
        return [found[r] for r in rows]

    def counts_by_source(self) -> dict[str, int]:
        counts = np.bincount(self.codes["source"], minlength=len(self.values["source"]))
        return {name: int(c) for name, c in zip(self.values["source"], counts) if c}

    def mask(self, filters) -> np.ndarray | None:
        """Rows the filters (qa.retrieve.Filters) accept, as a boolean array; None when no filter is active.
        The same test as `Filters.accepts_fields`, on whole columns."""
        if filters is None or not filters.active:
            return None
        cached = self._masks.get(filters)
        if cached is not None:
            return cached
        mask = np.ones(self.n, dtype=bool)
        if filters.year is not None:
            mask &= self.codes["year"] == filters.year
        if filters.issue:
            names = {filters.issue, f"{filters.issue}.txt"}
            mask &= (self._isin("issue", lambda v: v == filters.issue) | self._isin("source", lambda v: v in names))
        if filters.category:
            mask &= self._isin("category", lambda v: filters.category in v)
        for name in ("city", "issuer", "doc_id"):
            wanted = getattr(filters, name)
            if wanted:
                mask &= self._isin(name, lambda v, wanted=wanted: v == wanted)
        if len(self._masks) >= 256:
            self._masks.pop(next(iter(self._masks)))
        self._masks[filters] = mask
        return mask

    def _isin(self, name: str, test) -> np.ndarray:
        chosen = [code for code, value in enumerate(self.values[name]) if test(value)]
        if not chosen:
            return np.zeros(self.n, dtype=bool)
        if len(chosen) == 1:
            return self.codes[name] == chosen[0]
        return np.isin(self.codes[name], np.array(chosen, dtype=np.int32))


def _field(row: tuple, name: str) -> str:
    return row[1 + _FIELDS.index(name)]


def _record(found: tuple) -> ChunkRecord:
    fields = dict(zip(_FIELDS, found))
    chunk = Chunk(chunk_id=fields["chunk_id"], doc_id=fields["doc_id"], section=fields["section"],
                  start=int(fields["start"]), end=int(fields["end"]), text=fields["text"], header=fields["header"])
    return ChunkRecord(chunk=chunk, city=fields["city"], year=int(fields["year"]), issue=fields["issue"],
                       category=fields["category"], issuer=fields["issuer"], source=fields["source"])
