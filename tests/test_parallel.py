"""`qa ingest --workers N`: the chunks and sentences are embedded in N processes, each text once, and
the index is the same as a one-process build."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from qa.index import load_index
from qa.ingest import ingest
from qa.parallel import embed_passages


def test_parallel_embedding_keeps_order(settings, fake_embedder):
    texts = [f"第{i}条 阳泉市人民政府关于第{i}项工作的通知" for i in range(37)]
    got = embed_passages(texts, settings, fake_embedder, workers=2)
    assert np.allclose(got, fake_embedder.embed_passages(texts))
    assert fake_embedder.calls == [16, 16, 5]  # only the check above ran here: the workers embedded the rest


def test_ingest_with_workers_builds_the_same_index(settings, fake_embedder, tmp_path):
    one = ingest(settings, embedder=fake_embedder, progress=False)
    fake_embedder.calls.clear()
    two_settings = replace(settings, index_dir=tmp_path / "index-2")
    two = ingest(two_settings, embedder=fake_embedder, progress=False, workers=2)
    assert fake_embedder.embedded == 0  # every chunk and sentence was embedded by the two workers
    assert (one.chunks, one.documents) == (two.chunks, two.documents)
    a, b = load_index(settings), load_index(two_settings)
    assert [c.chunk_id for c in a.chunks] == [c.chunk_id for c in b.chunks]
    assert np.allclose(a.vectors, b.vectors)
    assert a.units.keys == b.units.keys and np.allclose(a.units.vectors.astype(np.float32),
                                                        b.units.vectors.astype(np.float32), atol=1e-3)
