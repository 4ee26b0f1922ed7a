"""The whole question path on the milvus backend (embedded milvus-lite file): `qa ingest` keeps the
collection in step with the index (new, changed and removed files), the Assistant's retrieval goes
through Milvus with the same fused ranking as local, and the city of each gazette is stored, filtered
and cited."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qa.api import Assistant
from qa.backend import open_backend
from qa.errors import QAError
from qa.ingest import ingest
from qa.retrieve import Filters

QUESTIONS = ["全民健身实施计划的目标是什么", "自建房安全专项整治领导小组组长是谁", "Who leads the campaign?",
             "2022年第4期有哪些文件"]


def taiyuan_issue(text: str) -> str:
    """The mini gazette as another city's issue (another issue number, so both are indexed)."""
    return text.replace("阳泉市人民政府公报", "太原市人民政府公报", 1).replace("2022 年第 4 期", "2022 年第 5 期", 1)


@pytest.fixture
def milvus_settings(settings, tmp_path):
    return replace(settings, backend="milvus", milvus_uri=str(tmp_path / "milvus" / "t.db"))


def test_milvus_ranking_matches_local(settings, milvus_settings, fake_embedder):
    ingest(settings, embedder=fake_embedder, progress=False)
    report = ingest(milvus_settings, embedder=fake_embedder, progress=False)  # index up to date: only the sync
    assert not report.written and report.synced == report.chunks > 0
    local = Assistant.load(settings, embedder=fake_embedder)
    remote = Assistant.load(milvus_settings, embedder=fake_embedder)
    assert [s.name for s, _ in remote.retriever.searchers][0] == "hybrid"
    for question in QUESTIONS:
        want = local.retriever.search(question, k=8)
        got = remote.retriever.search(question, k=8)
        # the dense route is exact in both; BM25 differs in its details (Milvus' jieba analyzer and
        # parameters vs bm25s), so the best chunk agrees and the rest mostly does
        assert got[0].chunk.chunk_id == want[0].chunk.chunk_id, question
        assert len({h.chunk.chunk_id for h in got[:5]} & {h.chunk.chunk_id for h in want[:5]}) >= 3, question
        top_local, top_remote = want[0], got[0]
        assert top_remote.dense_rank == top_local.dense_rank
        assert top_remote.dense_score == pytest.approx(top_local.dense_score, abs=1e-4)
    assert remote.ask(QUESTIONS[1]).answer == local.ask(QUESTIONS[1]).answer


def test_ingest_keeps_the_collection_in_step(milvus_settings, fake_embedder, corpus_dir, mini_text):
    first = ingest(milvus_settings, embedder=fake_embedder, progress=False)
    assert first.synced == first.chunks
    (corpus_dir / "taiyuan-2022-05.txt").write_text(taiyuan_issue(mini_text), encoding="utf-8")
    (corpus_dir / "cities.yaml").write_text("taiyuan-2022-05.txt: 太原市\n", encoding="utf-8")
    second = ingest(milvus_settings, embedder=fake_embedder, progress=False)
    assert second.synced == second.chunks - first.chunks  # only the new file was written
    backend = open_backend(milvus_settings, fake_embedder.dim)
    assert backend.counts_by_source() == {"mini-gazette.txt": first.chunks, "taiyuan-2022-05.txt": first.chunks}
    assistant = Assistant.load(milvus_settings, embedder=fake_embedder)
    hits = assistant.search("全民健身实施计划", Filters(city="太原市"), k=5)
    assert hits and {assistant.document(h.chunk.doc_id).city for h in hits} == {"太原市"}
    answer = assistant.ask("全民健身实施计划的目标是什么", filters=Filters(city="太原市"))
    assert answer.citations and {c.city for c in answer.citations} == {"太原市"}
    (corpus_dir / "taiyuan-2022-05.txt").unlink()
    third = ingest(milvus_settings, embedder=fake_embedder, progress=False)
    assert third.removed_files == ("taiyuan-2022-05.txt",)
    assert backend.counts_by_source() == {"mini-gazette.txt": first.chunks}
    backend.close()


def test_a_collection_out_of_step_is_named(milvus_settings, fake_embedder):
    ingest(milvus_settings, embedder=fake_embedder, progress=False)
    backend = open_backend(milvus_settings, fake_embedder.dim)
    backend.delete("mini-gazette.txt")
    backend.close()
    with pytest.raises(QAError, match=r"the milvus backend holds 0 chunks, the index .* run `qa ingest`"):
        Assistant.load(milvus_settings, embedder=fake_embedder)


def test_unequal_fusion_weights_are_refused(milvus_settings, fake_embedder):
    ingest(milvus_settings, embedder=fake_embedder, progress=False)
    with pytest.raises(QAError, match="QA_DENSE_WEIGHT=2.0 and QA_BM25_WEIGHT=1.0 differ"):
        Assistant.load(replace(milvus_settings, dense_weight=2.0), embedder=fake_embedder)


def test_shards_share_one_collection(settings, milvus_settings, fake_embedder, tmp_path, mini_text):
    """A back-fill on two machines: each ingests its own files into the same collection (--shard)."""
    other_dir = tmp_path / "other-gazettes"
    other_dir.mkdir()
    (other_dir / "taiyuan-2022-05.txt").write_text(taiyuan_issue(mini_text), encoding="utf-8")
    first = ingest(milvus_settings, embedder=fake_embedder, progress=False, shard=True)
    second_settings = replace(milvus_settings, data_dir=other_dir, index_dir=tmp_path / "index-b")
    second = ingest(second_settings, embedder=fake_embedder, progress=False, shard=True)
    backend = open_backend(milvus_settings, fake_embedder.dim)
    assert backend.counts_by_source() == {"mini-gazette.txt": first.chunks, "taiyuan-2022-05.txt": second.chunks}
    ingest(replace(second_settings, index_dir=tmp_path / "index-c"), embedder=fake_embedder, progress=False)
    assert backend.counts_by_source() == {"taiyuan-2022-05.txt": second.chunks}  # not a shard: its files only
    backend.close()


def test_a_released_collection_is_loaded_on_open(milvus_settings, fake_embedder):
    """Another process or a server restart leaves the collection released; opening it loads it."""
    ingest(milvus_settings, embedder=fake_embedder, progress=False)
    backend = open_backend(milvus_settings, fake_embedder.dim)
    backend.client.release_collection(backend.collection)
    backend.close()
    assistant = Assistant.load(milvus_settings, embedder=fake_embedder)
    assert assistant.search("全民健身实施计划", k=3)


def test_a_new_city_setting_reaches_the_index_and_the_collection(milvus_settings, fake_embedder, corpus_dir):
    first = ingest(milvus_settings, embedder=fake_embedder, progress=False)
    (corpus_dir / "city.txt").write_text("太原市\n", encoding="utf-8")
    again = ingest(milvus_settings, embedder=fake_embedder, progress=False)
    assert again.written and again.embedded == 0 and again.synced == first.chunks  # rewritten, not re-embedded
    assistant = Assistant.load(milvus_settings, embedder=fake_embedder)
    assert {d.city for d in assistant.documents()} == {"太原市"}
    assert assistant.search("全民健身实施计划", Filters(city="太原市"), k=3)
    backend = open_backend(milvus_settings, fake_embedder.dim)
    assert {backend.chunk(h.chunk.chunk_id).city for h in assistant.search("全民健身", k=3)} == {"太原市"}
    backend.close()


def test_a_replaced_assistant_closes_its_milvus_client(milvus_settings, fake_embedder, monkeypatch):
    """`qa serve` swaps in a new Assistant for a new index; the old one's client is closed once nothing
    holds it (requests running on it finish first), not left open."""
    import gc

    from qa import milvus

    ingest(milvus_settings, embedder=fake_embedder, progress=False)
    closed = []
    original = milvus.MilvusBackend.close
    monkeypatch.setattr(milvus.MilvusBackend, "close", lambda self: (closed.append(self), original(self)))
    old = Assistant.load(milvus_settings, embedder=fake_embedder)
    old.ask(QUESTIONS[0])
    assert not closed
    del old
    gc.collect()
    assert len(closed) == 1
