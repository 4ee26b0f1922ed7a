"""One contract for every retrieval backend (qa/backend.py): write, incremental upsert and delete by
source file, hybrid search with filters, fetch by id. Run against `local`, embedded Milvus (a
milvus-lite file) and a Milvus server (`milvus-lite server` on a free port, started here)."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import FakeEmbedder, free_port

from qa.backend import ChunkRecord, open_backend, records_of
from qa.config import load_settings
from qa.errors import QAError
from qa.retrieve import Filters
from qa.types import Chunk

TEXTS = [  # text, city, year, category, source
    ("自建房安全专项整治工作领导小组组长由市长担任，副组长由分管副市长担任。", "阳泉市", 2022, "政府文件", "yq-2022-04.txt"),
    ("对5G基站用电给予0.35元/千瓦时的电价补贴，补贴资金由市财政承担。", "阳泉市", 2020, "政府文件", "yq-2020-01.txt"),
    ("任命张三为市住房和城乡建设局局长，免去李四的市住房和城乡建设局局长职务。", "阳泉市", 2021, "人事任免", "yq-2021-01.txt"),
    ("太原市人民政府关于加强城市供热管理工作的通知，供热期为每年11月1日至次年3月31日。", "太原市", 2021, "政府文件", "ty-2021-02.txt"),
    ("太原市自建房安全专项整治工作领导小组组长由市长担任。", "太原市", 2022, "政府文件", "ty-2022-03.txt"),
]


def records(texts=TEXTS) -> list[ChunkRecord]:
    out = []
    for i, (text, city, year, category, source) in enumerate(texts):
        chunk = Chunk(chunk_id=f"{source}-c{i}", doc_id=f"{source}-d{i}", section="一、总则", start=0,
                      end=len(text), text=text, header=f"{city}公报 {year}年")
        out.append(ChunkRecord(chunk=chunk, city=city, year=year, issue=f"{year}年第1期", category=category,
                               issuer="", source=source))
    return out


EMBED = FakeEmbedder()


def vectors(recs) -> np.ndarray:
    return EMBED.embed_passages([r.chunk.indexed_text for r in recs])


@pytest.fixture(scope="module")
def milvus_server(tmp_path_factory):
    """`milvus-lite server` on a free loopback port for this module; stopped afterwards."""
    port = free_port()
    data = tmp_path_factory.mktemp("milvus-server")
    proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import socket

    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"milvus-lite server did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(params=["local", "local-store", "local-store-ivf", "milvus-embedded", "milvus-server"])
def backend(request, tmp_path):
    if request.param.startswith("local-store"):  # the on-disk store for large corpora (qa/local_store.py)
        from qa.local_backend import LocalBackend

        made = LocalBackend(approx_from=1 if request.param.endswith("ivf") else 300_000, directory=tmp_path / "store")
        made.write(records(), vectors(records()))
        yield made
        return
    if request.param == "local":
        settings = load_settings(index_dir=tmp_path / "index", backend="local")
    elif request.param == "milvus-embedded":
        settings = load_settings(index_dir=tmp_path / "index", backend="milvus",
                                 milvus_uri=str(tmp_path / "t.db"))
    else:
        uri = request.getfixturevalue("milvus_server")
        settings = load_settings(index_dir=tmp_path / "index", backend="milvus", milvus_uri=uri,
                                 milvus_collection=f"t_{abs(hash(request.node.name)) % 10**9}")
    made = open_backend(settings, EMBED.dim)
    made.write(records(), vectors(records()))
    yield made
    made.close()


def search(backend, query, filters=None, k=5):
    return backend.search(query, EMBED.embed_queries([query])[0], filters, k)


def test_write_count_fetch(backend):
    assert backend.count() == 5
    assert backend.counts_by_source() == {t[4]: 1 for t in TEXTS}
    found = backend.chunk("yq-2020-01.txt-c1")
    assert found == records()[1]
    assert backend.chunk("no-such-chunk") is None


def test_hybrid_search_ranks_and_fuses(backend):
    hits = search(backend, "5G基站电价补贴")
    assert hits[0].chunk_id == "yq-2020-01.txt-c1"
    assert hits[0].dense_rank == 1 and hits[0].bm25_rank == 1
    assert hits[0].score == pytest.approx(2 / 61, rel=1e-5)  # RRF, k=60: both routes rank it first
    assert hits[0].dense_score == pytest.approx(float(vectors(records())[1] @ EMBED.embed_queries(["5G基站电价补贴"])[0]), abs=1e-4)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_filters_are_applied_in_each_route(backend):
    ids = lambda hits: {h.chunk_id for h in hits}
    assert ids(search(backend, "自建房领导小组组长", Filters(city="太原市"))) == {"ty-2021-02.txt-c3", "ty-2022-03.txt-c4"}
    assert ids(search(backend, "自建房领导小组组长", Filters(year=2022))) == {"yq-2022-04.txt-c0", "ty-2022-03.txt-c4"}
    assert ids(search(backend, "局长", Filters(category="任免"))) == {"yq-2021-01.txt-c2"}
    assert ids(search(backend, "组长", Filters(issue="yq-2022-04"))) == {"yq-2022-04.txt-c0"}
    assert ids(search(backend, "组长", Filters(city="阳泉市", year=2022, doc_id="yq-2022-04.txt-d0"))) == {"yq-2022-04.txt-c0"}
    assert search(backend, "组长", Filters(city="北京市")) == []


def test_upsert_replaces_one_source(backend):
    changed = records([("自建房整治领导小组组长由常务副市长担任。", "阳泉市", 2022, "政府文件", "yq-2022-04.txt"),
                       ("自建房整治领导小组办公室设在市住建局。", "阳泉市", 2022, "政府文件", "yq-2022-04.txt")])
    backend.upsert("yq-2022-04.txt", changed, vectors(changed))
    assert backend.count() == 6
    assert backend.counts_by_source()["yq-2022-04.txt"] == 2
    assert backend.chunk("yq-2022-04.txt-c1").chunk.text == "自建房整治领导小组办公室设在市住建局。"
    assert backend.chunk("yq-2022-04.txt-c0").chunk.text.startswith("自建房整治领导小组组长由常务副市长")
    assert search(backend, "办公室设在哪里", Filters(city="阳泉市", year=2022))[0].chunk_id == "yq-2022-04.txt-c1"
    with pytest.raises(QAError, match="upsert each source file on its own"):
        backend.upsert("other.txt", changed, vectors(changed))


def test_delete_removes_one_source(backend):
    assert backend.delete("ty-2021-02.txt") == 1
    assert backend.delete("ty-2021-02.txt") == 0
    assert backend.count() == 4
    assert "ty-2021-02.txt" not in backend.counts_by_source()
    assert all(h.chunk_id != "ty-2021-02.txt-c3" for h in search(backend, "供热管理 通知"))
    assert backend.chunk("ty-2021-02.txt-c3") is None


def test_records_need_their_documents():
    with pytest.raises(QAError, match="chunks of unknown documents"):
        records_of([records()[0].chunk], {})


def test_bad_milvus_uri_names_the_value(tmp_path):
    settings = load_settings(index_dir=tmp_path / "index", backend="milvus", milvus_uri=str(tmp_path / "x.sqlite"))
    with pytest.raises(QAError, match=r"QA_MILVUS_URI=.*x\.sqlite.*neither a server URI"):
        open_backend(settings, 8)


def test_bad_backend_setting_names_the_choices(monkeypatch):
    monkeypatch.setenv("QA_BACKEND", "elastic")
    with pytest.raises(QAError, match=r"QA_BACKEND='elastic' is not one of \['local', 'milvus'\]"):
        load_settings()
