import json
import shutil
from dataclasses import replace

import pytest

from qa.errors import IndexMismatchError, IndexMissingError, QAError
from qa.index import ingest_lock, load_index
from qa.ingest import ingest


def test_ingest_builds_a_loadable_index(settings, fake_embedder):
    report = ingest(settings, embedder=fake_embedder, progress=False)
    assert (report.files, report.documents) == (1, 4) and report.chunks == report.embedded > 0
    data = load_index(settings)
    assert len(data.chunks) == data.dense.ntotal == len(data.vectors) == report.chunks
    assert set(data.n_chunks_by_doc()) == set(data.documents)  # every document has chunks
    manifest = json.loads((settings.index_dir / "manifest.json").read_text())
    assert manifest["embedder"] == "fake/bigram-64" and manifest["dim"] == 64
    assert manifest["chunker"]["chunk_size"] == 200 and len(manifest["files"]["mini-gazette.txt"]) == 64
    assert manifest["dense_index"] == "flat"
    doc = data.documents[data.chunks[0].doc_id]
    assert data.sources[doc.source][data.chunks[0].start:data.chunks[0].end] == data.chunks[0].text


def test_reingest_unchanged_embeds_nothing(settings, fake_embedder):
    ingest(settings, embedder=fake_embedder, progress=False)
    before = fake_embedder.embedded
    report = ingest(settings, embedder=fake_embedder, progress=False)
    assert report.embedded == 0 and not report.written and fake_embedder.embedded == before


def test_incremental_embeds_only_changed_and_drops_removed(settings, fake_embedder, corpus_dir, mini_text):
    ingest(settings, embedder=fake_embedder, progress=False)
    first = load_index(settings)
    (corpus_dir / "second.txt").write_text(mini_text.replace("2022 年第 4 期", "2022 年第 5 期"), encoding="utf-8")
    before = fake_embedder.embedded
    report = ingest(settings, embedder=fake_embedder, progress=False)
    assert report.reused_files == ("mini-gazette.txt",) and report.changed_files == ("second.txt",)
    assert fake_embedder.embedded - before == report.embedded == len(first.chunks)
    both = load_index(settings)
    assert len(both.chunks) == 2 * len(first.chunks) and len(both.documents) == 8
    (corpus_dir / "second.txt").unlink()
    report = ingest(settings, embedder=fake_embedder, progress=False)
    assert report.removed_files == ("second.txt",) and report.embedded == 0
    again = load_index(settings)
    assert [c.chunk_id for c in again.chunks] == [c.chunk_id for c in first.chunks]
    assert (again.vectors == first.vectors).all()


def test_bad_file_is_reported_and_rest_indexed(settings, fake_embedder, corpus_dir):
    (corpus_dir / "broken.txt").write_bytes(b"\xff\xfe\x00\x01" * 50)
    report = ingest(settings, embedder=fake_embedder, progress=False)
    assert report.documents == 4 and len(report.failed) == 1 and "broken.txt" in report.failed[0]


def test_manifest_mismatch_is_refused(settings, fake_embedder):
    ingest(settings, embedder=fake_embedder, progress=False)
    other = replace(settings, chunk_size=500)
    with pytest.raises(IndexMismatchError, match="qa ingest --rebuild"):
        load_index(other)
    with pytest.raises(IndexMismatchError, match="qa ingest --rebuild"):
        ingest(other, embedder=fake_embedder, progress=False)
    st = replace(settings, embedder="sentence-transformers", model="x")
    with pytest.raises(IndexMismatchError, match="embedder"):
        load_index(st)
    assert ingest(other, embedder=fake_embedder, rebuild=True, progress=False).written


def test_missing_index_says_run_ingest(settings):
    with pytest.raises(IndexMissingError, match="qa ingest"):
        load_index(settings)


class Boom(Exception):
    pass


def test_interrupted_build_leaves_previous_index_loadable(settings, fake_embedder, corpus_dir, mini_text):
    ingest(settings, embedder=fake_embedder, progress=False)
    before = load_index(settings)
    (corpus_dir / "second.txt").write_text(mini_text.replace("2022 年第 4 期", "2022 年第 5 期"), encoding="utf-8")

    def explode(texts, is_query):
        raise KeyboardInterrupt  # Ctrl-C in the middle of embedding

    fake_embedder._embed_batch = explode
    with pytest.raises(KeyboardInterrupt):
        ingest(settings, embedder=fake_embedder, progress=False)
    after = load_index(settings)
    assert len(after.chunks) == len(before.chunks)
    leftovers = [p.name for p in settings.index_dir.parent.iterdir() if ".tmp-" in p.name]
    assert leftovers == []


def test_crash_between_renames_is_recovered(settings, fake_embedder):
    ingest(settings, embedder=fake_embedder, progress=False)
    old = settings.index_dir.parent / f".{settings.index_dir.name}.old"
    shutil.move(settings.index_dir, old)  # as if killed after the first rename of a swap
    assert len(load_index(settings).chunks) > 0


def test_second_concurrent_ingest_gets_a_clear_message(settings, fake_embedder):
    with ingest_lock(settings.index_dir):
        with pytest.raises(QAError, match="another `qa ingest`"):
            ingest(settings, embedder=fake_embedder, progress=False)


def test_approximate_index_from_threshold():
    import numpy as np

    from qa.index import make_dense_index

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 16)).astype("float32")
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    exact = make_dense_index(x, approx_from=10_000)
    approx = make_dense_index(x, approx_from=1_000)
    assert type(exact).__name__ == "IndexFlatIP" and type(approx).__name__ == "IndexIVFFlat"
    assert approx.nprobe == 32 and approx.ntotal == 2000
    _, a = approx.search(x[:20], 1)
    assert (a[:, 0] == np.arange(20)).mean() >= 0.9  # each vector finds itself
