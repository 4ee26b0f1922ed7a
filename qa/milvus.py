"""The `milvus` retrieval backend: one Milvus collection through `pymilvus.MilvusClient`.

The same code serves an embedded milvus-lite file (`QA_MILVUS_URI=/path/gazette.db`, or empty: next to
the index) and a Milvus server or cluster (`QA_MILVUS_URI=http://host:19530`, `QA_MILVUS_TOKEN`).
The collection holds per chunk: its text and span, the dense vector (inner product = cosine, the
vectors are normalized), a BM25 function over the indexed text with the jieba analyzer (stop words
as in qa/lexical.py), and scalar fields for filters (city — the partition key —, year, issue,
category, issuer, doc_id, source). A search is one `hybrid_search`: the dense and the BM25 route,
each with the filters as its expression, fused by RRF in Milvus.

Install with `pip install 'gazette-qa[milvus]'` (pymilvus + milvus-lite)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .backend import ChunkRecord, Scored
from .config import Settings
from .errors import QAError
from .glossary import expand
from .lexical import STOP_WORDS
from .text import nfkc
from .types import Chunk

BATCH = 256  # rows per insert
_SERVER = re.compile(r"^(https?|tcp|grpc|unix)://", re.IGNORECASE)
_SCALARS = ("chunk_id", "doc_id", "section", "start", "end", "text", "header", "city", "year", "issue",
            "category", "issuer", "source")


def _pymilvus():
    try:
        import pymilvus
    except ImportError:
        raise QAError("QA_BACKEND=milvus needs pymilvus (and milvus-lite for a local file): "
                      "pip install 'gazette-qa[milvus]', or set QA_BACKEND=local.") from None
    return pymilvus


def default_uri(settings: Settings) -> str:
    """QA_MILVUS_URI, or an embedded milvus-lite file next to the index: <index_dir>/../.milvus/<name>.db."""
    if settings.milvus_uri:
        return settings.milvus_uri
    return str(Path(settings.index_dir).parent / ".milvus" / f"{Path(settings.index_dir).name}.db")


def search_text(text: str) -> str:
    """The text the BM25 function reads: NFKC, lower case, spaces inside Chinese removed (as qa/lexical.py)."""
    text = nfkc(text).lower()
    return re.sub(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])", "", text)


def _quoted(value: str) -> str:
    return json.dumps(str(value), ensure_ascii=False)  # a Milvus string literal: "…" with \" and \\ escaped


def filter_expr(filters) -> str:
    """The Milvus boolean expression of `qa.retrieve.Filters` ("" when no filter is active)."""
    if filters is None or not filters.active:
        return ""
    parts = []
    if filters.city:
        parts.append(f"city == {_quoted(filters.city)}")
    if filters.year is not None:
        parts.append(f"year == {int(filters.year)}")
    if filters.issue:
        names = [filters.issue, f"{filters.issue}.txt"]
        parts.append(f"(issue == {_quoted(filters.issue)} or source in [{', '.join(map(_quoted, names))}])")
    if filters.category:
        pattern = filters.category.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        parts.append(f"category like {_quoted('%' + pattern + '%')}")
    if filters.issuer:
        parts.append(f"issuer == {_quoted(filters.issuer)}")
    if filters.doc_id is not None:
        parts.append(f"doc_id == {_quoted(filters.doc_id)}")
    return " and ".join(parts)


class MilvusBackend:
    name = "milvus"

    def __init__(self, client, collection: str, dim: int, index_type: str = "FLAT") -> None:
        self.client = client
        self.collection = collection
        self.dim = dim
        self.index_type = index_type
        if not client.has_collection(collection):
            self._create()
        else:
            self._check_dim()
            client.load_collection(collection)  # a server restart or another process may have released it

    @classmethod
    def connect(cls, settings: Settings, dim: int) -> MilvusBackend:
        pymilvus = _pymilvus()
        uri = default_uri(settings)
        if not _SERVER.match(uri):
            if not uri.endswith(".db"):
                raise QAError(f"QA_MILVUS_URI={uri!r} is neither a server URI (http://host:19530) nor a "
                              "milvus-lite file ending in .db; give one of the two.")
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            client = pymilvus.MilvusClient(uri=uri, token=settings.milvus_token or "")
        except Exception as exc:  # pymilvus raises MilvusException and grpc errors
            raise QAError(f"cannot connect to Milvus at QA_MILVUS_URI={uri!r} ({type(exc).__name__}: {exc}); "
                          "start the server, fix the URI/token (QA_MILVUS_TOKEN), or set QA_BACKEND=local.") from exc
        return cls(client, settings.milvus_collection, dim, settings.milvus_index.upper())

    def _create(self) -> None:
        from pymilvus import DataType, Function, FunctionType

        analyzer = {"tokenizer": {"type": "jieba", "mode": "search"},
                    "filter": ["removepunct", {"type": "stop", "stop_words": sorted(STOP_WORDS)}]}
        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("chunk_id", DataType.VARCHAR, is_primary=True, max_length=512)
        for name, length in (("doc_id", 512), ("section", 4096), ("header", 4096), ("text", 65535),
                             ("issue", 128), ("category", 512), ("issuer", 512), ("source", 1024)):
            schema.add_field(name, DataType.VARCHAR, max_length=length)
        schema.add_field("search_text", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                         analyzer_params=analyzer)
        schema.add_field("city", DataType.VARCHAR, max_length=128, is_partition_key=True)
        for name in ("year", "start", "end"):
            schema.add_field(name, DataType.INT64)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.dim)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                     input_field_names=["search_text"], output_field_names=["sparse"]))
        index = self.client.prepare_index_params()
        index.add_index("dense", index_type=self.index_type, metric_type="IP")
        # bm25s' parameters (qa/lexical.py), on milvus-lite and on a server alike (Milvus' default k1 is 1.2)
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                        params={"bm25_k1": 1.5, "bm25_b": 0.75})
        for name in ("source", "doc_id", "year"):
            index.add_index(name, index_type="INVERTED")
        self.client.create_collection(self.collection, schema=schema, consistency_level="Strong")
        # the collection is empty: its indexes exist at once (pymilvus would poll every 0.5 s per index)
        self.client.create_index(self.collection, index, sync=False)
        self.client.load_collection(self.collection)

    def _check_dim(self) -> None:
        info = self.client.describe_collection(self.collection)
        dense = next((f for f in info.get("fields", ()) if f.get("name") == "dense"), None)
        found = int((dense or {}).get("params", {}).get("dim", self.dim))
        if found != self.dim:
            raise QAError(f"the Milvus collection {self.collection!r} holds vectors of dimension {found}, the "
                          f"embedder makes {self.dim}; run `qa ingest --rebuild` or set QA_MILVUS_COLLECTION.")

    def _rows(self, records: Sequence[ChunkRecord], vectors: np.ndarray) -> list[dict]:
        if vectors.ndim != 2 or len(records) != len(vectors):
            raise QAError(f"{len(records)} chunks but vectors of shape {vectors.shape}; give one vector per chunk.")
        return [{"chunk_id": r.chunk.chunk_id, "doc_id": r.chunk.doc_id, "section": r.chunk.section,
                 "header": r.chunk.header, "text": r.chunk.text, "start": r.chunk.start, "end": r.chunk.end,
                 "search_text": search_text(r.chunk.indexed_text), "city": r.city, "year": r.year,
                 "issue": r.issue, "category": r.category, "issuer": r.issuer, "source": r.source,
                 "dense": v.astype(np.float32).tolist()} for r, v in zip(records, vectors)]

    def _insert(self, rows: list[dict]) -> None:
        for i in range(0, len(rows), BATCH):
            self.client.insert(self.collection, rows[i:i + BATCH])

    def write(self, records: Sequence[ChunkRecord], vectors: np.ndarray) -> None:
        rows = self._rows(records, vectors)
        self.client.drop_collection(self.collection)
        self._create()
        self._insert(rows)

    def upsert(self, source: str, records: Sequence[ChunkRecord], vectors: np.ndarray) -> None:
        wrong = sorted({r.source for r in records} - {source})
        if wrong:
            raise QAError(f"upsert of {source!r} got chunks of {wrong}; upsert each source file on its own.")
        rows = self._rows(records, vectors)
        self.delete(source)
        self._insert(rows)

    def delete(self, source: str) -> int:
        before = self._count(f"source == {_quoted(source)}")
        if before:
            self.client.delete(self.collection, filter=f"source == {_quoted(source)}")
        return before

    def search(self, query: str, vector: np.ndarray, filters, k: int, rrf_k: int = 60) -> list[Scored]:
        from pymilvus import AnnSearchRequest, RRFRanker

        expr = filter_expr(filters)
        text = search_text(f"{query} {expand(query)}".strip())
        vec = np.asarray(vector, dtype=np.float32).tolist()
        routes = [AnnSearchRequest(data=[vec], anns_field="dense", param={"metric_type": "IP"}, limit=k, expr=expr),
                  AnnSearchRequest(data=[text], anns_field="sparse", param={"metric_type": "BM25"}, limit=k,
                                   expr=expr)]
        # limit 2k: the union of both routes' top k, so each route's ranks can be recovered below
        found = self.client.hybrid_search(self.collection, routes, RRFRanker(rrf_k), limit=2 * k,
                                          output_fields=["chunk_id"])[0]
        ids = [hit["entity"]["chunk_id"] for hit in found]
        if not ids:
            return []
        return _with_routes(ids, [float(hit["distance"]) for hit in found], self._vectors(ids), vector, k, rrf_k)

    def _vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        rows = self.client.get(self.collection, ids=ids, output_fields=["chunk_id", "dense"])
        return {row["chunk_id"]: np.asarray(row["dense"], dtype=np.float32) for row in rows}

    def chunk(self, chunk_id: str) -> ChunkRecord | None:
        rows = self.client.get(self.collection, ids=[chunk_id], output_fields=list(_SCALARS))
        if not rows:
            return None
        row = rows[0]
        chunk = Chunk(chunk_id=row["chunk_id"], doc_id=row["doc_id"], section=row["section"],
                      start=int(row["start"]), end=int(row["end"]), text=row["text"], header=row["header"])
        return ChunkRecord(chunk=chunk, city=row["city"], year=int(row["year"]), issue=row["issue"],
                           category=row["category"], issuer=row["issuer"], source=row["source"])

    def _count(self, expr: str = "") -> int:
        rows = self.client.query(self.collection, filter=expr, output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def count(self) -> int:
        return self._count()

    def counts_by_source(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        iterator = self.client.query_iterator(self.collection, batch_size=1000, filter="",
                                              output_fields=["source"])
        try:
            while batch := iterator.next():
                for row in batch:
                    counts[row["source"]] = counts.get(row["source"], 0) + 1
        finally:
            iterator.close()
        return counts

    def close(self) -> None:
        self.client.close()


def _with_routes(ids: list[str], fused: list[float], vectors: dict[str, np.ndarray], query: np.ndarray,
                 k: int, rrf_k: int) -> list[Scored]:
    """Per-route ranks of a hybrid result (the reader weighs them): Milvus returns only the fused RRF
    score. The result holds both routes' top k (limit 2k), so with an exact dense index the dense
    route's ranks are the cosine order of the result's vectors (ranks past k: not in that route), and
    the BM25 rank is what the fused score leaves: 1/(rrf_k + bm25_rank) = fused - 1/(rrf_k + dense_rank)."""
    cosine = {i: float(vectors[i] @ query) for i in ids if i in vectors}
    dense_rank = {i: n for n, i in enumerate(sorted(cosine, key=lambda i: -cosine[i])[:k], 1)}
    out = []
    for i, score in zip(ids, fused):
        rest = score - (1.0 / (rrf_k + dense_rank[i]) if i in dense_rank else 0.0)
        bm25_rank = int(round(1.0 / rest - rrf_k)) if rest > 1e-7 else None
        out.append(Scored(i, score, dense_rank.get(i), cosine.get(i), bm25_rank if bm25_rank and bm25_rank >= 1 else None))
    return out
