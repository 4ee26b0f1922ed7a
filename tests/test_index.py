import json
import shutil
from dataclasses import replace

import pytest

from qa.errors import IndexMismatchError, IndexMissingError, QAError
from qa.index import chunker_params, ingest_lock, load_index
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


def test_new_sentence_rules_embed_only_sentences_not_seen_before(settings, fake_embedder, monkeypatch):
    """A new UNITS_VERSION rewrites the unit vectors, reusing every vector whose sentence text is unchanged."""
    import qa.ingest

    ingest(settings, embedder=fake_embedder, progress=False)
    before = fake_embedder.embedded
    monkeypatch.setattr(qa.ingest, "UNITS_VERSION", 999)
    report = ingest(settings, embedder=fake_embedder, progress=False)
    assert report.written and fake_embedder.embedded == before  # same split: nothing to embed again
    assert json.loads((settings.index_dir / "manifest.json").read_text())["units"] == 999
    assert load_index(settings).units is not None


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


def test_new_chunking_rules_rebuild_the_index(settings, fake_embedder):
    ingest(settings, embedder=fake_embedder, progress=False)
    path = settings.index_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["chunker"]["version"] = "sections-v0"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    report = ingest(settings, embedder=fake_embedder, progress=False)
    assert report.written and report.embedded > 0 and not report.reused_files
    assert load_index(settings).manifest["chunker"] == chunker_params(settings)


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
    leftovers = [p.name for d in (settings.index_dir, settings.index_dir.parent) for p in d.iterdir()
                 if ".tmp-" in p.name]
    assert leftovers == []


def _entries(folder):
    return sorted(p.name for p in folder.iterdir())


def test_lock_lives_inside_the_index_dir_which_is_never_replaced(settings, fake_embedder, corpus_dir, mini_text):
    parent = settings.index_dir.parent
    ingest(settings, embedder=fake_embedder, progress=False)
    assert _entries(parent) == ["gazettes", "index"]  # no .index.lock (or .old/.tmp) next to the index
    lock, first = settings.index_dir / ".lock", load_index(settings).manifest["data"]
    inodes = (settings.index_dir.stat().st_ino, lock.stat().st_ino)
    assert _entries(settings.index_dir) == [".lock", first, "manifest.json"]
    (corpus_dir / "second.txt").write_text(mini_text.replace("2022 年第 4 期", "2022 年第 5 期"), encoding="utf-8")
    ingest(settings, embedder=fake_embedder, progress=False)
    second = load_index(settings).manifest["data"]
    assert second != first and _entries(settings.index_dir) == [".lock", second, "manifest.json"]
    assert (settings.index_dir.stat().st_ino, lock.stat().st_ino) == inodes  # every ingest locks the same file


def test_crash_before_the_manifest_is_replaced_keeps_the_previous_index(settings, fake_embedder, monkeypatch):
    ingest(settings, embedder=fake_embedder, progress=False)
    before = load_index(settings)

    def killed(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr("qa.index.os.replace", killed)
    with pytest.raises(KeyboardInterrupt):
        ingest(settings, embedder=fake_embedder, rebuild=True, progress=False)
    monkeypatch.undo()
    after = load_index(settings)
    assert after.manifest == before.manifest and len(after.chunks) == len(before.chunks)
    assert _entries(settings.index_dir) == [".lock", before.manifest["data"], "manifest.json"]


def test_reader_retries_when_an_ingest_replaces_the_generation(settings, fake_embedder, monkeypatch):
    import qa.index

    ingest(settings, embedder=fake_embedder, progress=False)
    real, calls = qa.index._load_generation, []

    def racing(manifest, base):
        calls.append(base.name)
        if len(calls) == 1:  # an ingest commits (and deletes this generation) while we read it
            ingest(settings, embedder=fake_embedder, rebuild=True, progress=False)
        return real(manifest, base)

    monkeypatch.setattr(qa.index, "_load_generation", racing)
    data = load_index(settings)
    assert len(calls) == 2 and calls[0] != calls[1] == data.manifest["data"] and data.chunks


def test_older_flat_layout_is_read_then_migrated(settings, fake_embedder):
    ingest(settings, embedder=fake_embedder, progress=False)
    manifest_path = settings.index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    generation = settings.index_dir / manifest.pop("data")
    for path in generation.iterdir():  # as written before the lock moved into the index
        shutil.move(path, settings.index_dir / path.name)
    generation.rmdir()
    (settings.index_dir / ".lock").unlink()
    manifest_path.write_text(json.dumps(manifest))
    assert len(load_index(settings).chunks) > 0
    assert ingest(settings, embedder=fake_embedder, rebuild=True, progress=False).written
    new = load_index(settings).manifest["data"]
    assert _entries(settings.index_dir) == [".lock", new, "manifest.json"]


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
