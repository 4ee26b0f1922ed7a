"""The store layout (QA_LOCAL_LAYOUT=store) answers as the files layout does, opens lazily, and is
kept up to date by `qa ingest` like the files layout."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

import pytest
from click.testing import CliRunner

from qa.api import Assistant
from qa.cli import main
from qa.config import load_settings
from qa.errors import InputError
from qa.index import IndexData, load_index, open_index
from qa.ingest import ingest
from qa.retrieve import Filters
from qa.store_index import StoreIndex

QUESTIONS = ["自建房安全专项整治领导小组组长是谁", "2025年人均体育场地面积达到多少", "阳政办发〔2022〕57号讲什么",
             "康健光任什么职务", "Who leads the self-built housing safety group?", "火星上有多少人口"]


@pytest.fixture
def both(settings, fake_embedder, tmp_path):
    """(files Assistant, store Assistant) over the mini gazette, each from its own `qa ingest`."""
    ingest(settings, embedder=fake_embedder, progress=False)
    store = replace(settings, index_dir=tmp_path / "store-index", local_layout="store")
    ingest(store, embedder=fake_embedder, progress=False)
    return (Assistant.load(settings, embedder=fake_embedder), Assistant.load(store, embedder=fake_embedder))


def _view(answer):
    return (answer.refused, answer.short_answer, answer.answer,
            [(c.doc_id, c.chunk_id, c.start, c.end, c.quote, c.page, c.url) for c in answer.citations])


def test_store_layout_answers_as_the_files_layout(both):
    files, store = both
    assert isinstance(files.data, IndexData) and isinstance(store.data, StoreIndex)
    for question in QUESTIONS:
        assert _view(store.ask(question)) == _view(files.ask(question)), question
    filters = Filters(year=2022, category="政府文件")
    assert _view(store.ask(QUESTIONS[1], filters)) == _view(files.ask(QUESTIONS[1], filters))
    assert [d.doc_id for d in store.documents()] == [d.doc_id for d in files.documents()]
    assert store.data.n_chunks_by_doc() == files.data.n_chunks_by_doc()
    hit = files.search(QUESTIONS[0])[0]
    assert store.chunk(hit.chunk.chunk_id) == hit.chunk and store.document(hit.chunk.doc_id) == files.document(hit.chunk.doc_id)
    with pytest.raises(InputError, match="no document matches"):
        store.ask(QUESTIONS[0], Filters(year=1999))


def test_store_lists_documents_by_page_and_facets_without_reading_them_all(both):
    files, store = both
    every = [d.doc_id for d in files.documents()]
    for a in (files, store):
        assert [d.doc_id for d in a.documents(offset=1, limit=2)] == every[1:3]
        assert a.documents(offset=len(every), limit=5) == []
    assert store.facets() == files.facets()
    facets = files.facets()
    assert facets.n_documents == len(every) and facets.cities == ("阳泉市",)
    assert list(facets.years) == sorted({d.issue.year for d in files.documents()}, reverse=True)
    assert set(facets.issues) == {d.issue.label for d in files.documents()}


def test_store_searchers_score_only_the_candidates(both):
    _, store = both
    names = [s.name for s, _ in store.retriever.searchers]
    assert names == ["dense", "bm25", "units", "facts"]
    units = store.retriever.searchers[2][0]
    ranking = units.search_rows("康健光为阳泉市审计局副局长。", [0, 1, 2], None, 5)
    assert set(ranking.rows) <= {0, 1, 2} and ranking.rows
    vector = store.retriever.dense.query_vector("康健光为阳泉市审计局副局长。")
    rows = list(range(store.data.n_chunks))
    stored = store.data.units.chunk_similarity(rows, vector)  # per-chunk unit rows written at ingest
    assert stored == pytest.approx(units._split(rows, vector)) and len(stored) == len(rows)


def test_store_idf_units_and_doc_numbers_match_the_files_layout(both):
    files, store = both
    for q in ("阳政办发[2022]57号讲什么", "请问阳政办发（2022）57号", "阳政办发〔2022〕 57 号和阳政发〔2099〕1号", "没有文号"):
        assert store.data.numbers_in(q) == files.data.numbers_in(q), q
    for token in ("组长", "阳泉市", "自建房", "没有这个词"):
        assert store.data.idf()(token) == pytest.approx(files.data.idf()(token))
    keys = list(files.data.units.keys[:20]) + ["没有这句话"]
    vector = files.retriever.dense.query_vector("领导小组")
    got, want = store.data.unit_similarity(keys, vector), files.data.unit_similarity(keys, vector)
    assert [g is None for g in got] == [w is None for w in want]
    assert [g for g in got if g is not None] == pytest.approx([w for w in want if w is not None], abs=1e-5)


def test_opening_the_store_reads_no_chunk_document_or_record(settings, fake_embedder, tmp_path, monkeypatch):
    store = replace(settings, index_dir=tmp_path / "store-index", local_layout="store")
    ingest(store, embedder=fake_embedder, progress=False)
    statements: list[str] = []
    real_connect = sqlite3.connect

    def traced(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced)
    assistant = Assistant.load(store, embedder=fake_embedder)
    opened = list(statements)
    assistant.ask(QUESTIONS[0])
    # at start: the documents' years and whether there are records; no chunk, document or record is read
    assert sorted(opened) == ["SELECT 1 FROM facts LIMIT 1", "SELECT DISTINCT year FROM documents"], opened
    asked = statements[len(opened):]
    assert any("FROM chunks WHERE row IN" in s for s in asked) and any("FROM facts WHERE doc_id IN" in s for s in asked)
    assert not [s for s in asked if s.strip().endswith("FROM chunks") or "ORDER BY year" in s]  # never all of them


def test_store_ingest_updates_and_deletes_a_file(settings, fake_embedder, corpus_dir, mini_text, tmp_path):
    store = replace(settings, index_dir=tmp_path / "store-index", local_layout="store")
    first = ingest(store, embedder=fake_embedder, progress=False)
    (corpus_dir / "second.txt").write_text(mini_text.replace("2022 年第 4 期", "2022 年第 5 期"), encoding="utf-8")
    embedded = fake_embedder.embedded
    report = ingest(store, embedder=fake_embedder, progress=False)
    assert report.reused_files == ("mini-gazette.txt",) and report.changed_files == ("second.txt",)
    index = open_index(store)
    assert isinstance(index, StoreIndex) and index.n_chunks == 2 * first.chunks
    assert {d.issue.label for d in index.documents.values()} == {"2022年第4期", "2022年第5期"}
    assert fake_embedder.embedded - embedded == first.chunks  # only the new file's chunks (units reused by text)
    mini = [d.doc_id for d in index.documents.values() if d.source == "mini-gazette.txt"]
    assert len(index.facts_of(index.documents)) == 2 * len(index.facts_of(mini)) > 0
    (corpus_dir / "second.txt").unlink()
    report = ingest(store, embedder=fake_embedder, progress=False)
    assert report.removed_files == ("second.txt",) and report.embedded == 0
    index = open_index(store)
    assert index.n_chunks == first.chunks and {d.source for d in index.documents.values()} == {"mini-gazette.txt"}
    assert Assistant.load(store, embedder=fake_embedder).ask(QUESTIONS[1]).short_answer


def test_switching_layouts_rewrites_without_embedding(settings, fake_embedder):
    ingest(settings, embedder=fake_embedder, progress=False)
    embedded = fake_embedder.embedded
    report = ingest(replace(settings, local_layout="store"), embedder=fake_embedder, progress=False)
    assert report.written and fake_embedder.embedded == embedded
    assert isinstance(open_index(settings), StoreIndex) and load_index(settings).manifest["layout"] == "store"
    ingest(settings, embedder=fake_embedder, progress=False)  # and back
    assert isinstance(open_index(settings), IndexData) and fake_embedder.embedded == embedded


def test_docs_json_contract_is_the_same_in_the_store_layout(settings, fake_embedder, monkeypatch):
    ingest(replace(settings, local_layout="store"), embedder=fake_embedder, progress=False)
    for name, value in (("INDEX_DIR", settings.index_dir), ("DATA_DIR", settings.data_dir), ("CHUNK_SIZE", 200),
                        ("CHUNK_OVERLAP", 20), ("LOCAL_LAYOUT", "store")):
        monkeypatch.setenv(f"QA_{name}", str(value))
    result = CliRunner().invoke(main, ["docs", "--json"])
    rows = json.loads(result.stdout)
    assert len(rows) == 4 and all(r["n_chunks"] > 0 for r in rows)
    assert set(rows[0]) == {"doc_id", "title", "doc_number", "issuer", "date", "issue", "category", "page",
                            "source", "n_chunks", "city"}
    facts = CliRunner().invoke(main, ["facts", "--json", "--kind", "group"])
    assert facts.exit_code == 0 and json.loads(facts.stdout)


def test_local_layout_setting_is_validated(monkeypatch):
    monkeypatch.setenv("QA_LOCAL_LAYOUT", "sqlite")
    with pytest.raises(InputError, match="QA_LOCAL_LAYOUT='sqlite' is not one of"):
        load_settings()
    monkeypatch.setenv("QA_LOCAL_LAYOUT", "store")
    monkeypatch.setenv("QA_BACKEND", "milvus")
    with pytest.raises(InputError, match="QA_LOCAL_LAYOUT=store is the local backend's layout"):
        load_settings()


def test_the_http_api_serves_the_store_layout(settings, fake_embedder):
    from fastapi.testclient import TestClient

    from qa.ui import build_app

    store = replace(settings, local_layout="store")
    ingest(store, embedder=fake_embedder, progress=False)
    assistant = Assistant.load(store, embedder=fake_embedder)
    client = TestClient(build_app(assistant, store))
    docs = client.get("/api/documents").json()
    assert len(docs) == 4 and all(d["n_chunks"] > 0 for d in docs)
    assert client.get(f"/api/documents/{docs[0]['doc_id']}").json()["doc_id"] == docs[0]["doc_id"]
    answer = client.post("/api/ask", json={"question": QUESTIONS[0]}).json()
    assert not answer["refused"] and answer["citations"]
    page = client.get(answer["citations"][0]["url"])
    assert page.status_code == 200 and answer["citations"][0]["quote"][:10] in page.text


@pytest.mark.parametrize("part", ["docs.sqlite", "store/store.json", "units.npy"])
def test_a_damaged_store_says_rebuild(settings, fake_embedder, part):
    from qa.errors import IndexMismatchError

    store = replace(settings, local_layout="store")
    ingest(store, embedder=fake_embedder, progress=False)
    (open_index(store).base / part).unlink()
    with pytest.raises(IndexMismatchError, match="run `qa ingest --rebuild`"):
        open_index(store)


def test_a_loaded_store_keeps_answering_after_a_new_ingest_removes_its_files(settings, fake_embedder):
    import shutil
    from concurrent.futures import ThreadPoolExecutor

    store = replace(settings, local_layout="store")
    ingest(store, embedder=fake_embedder, progress=False)
    assistant = Assistant.load(store, embedder=fake_embedder)
    expected = _view(assistant.ask(QUESTIONS[1]))
    shutil.rmtree(assistant.data.base)  # what `qa ingest` does to the previous generation once it commits
    with ThreadPoolExecutor(1) as pool:  # a thread that has not read from the store yet
        assert _view(pool.submit(assistant.ask, QUESTIONS[1]).result()) == expected
        assert pool.submit(assistant.ask, QUESTIONS[0]).result().citations
