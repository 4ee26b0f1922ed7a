"""Embedding spread over worker processes (`qa ingest --workers N`, QA_INGEST_WORKERS).

The texts are cut into contiguous slices, each embedded once by one of N spawned processes (each
loads its own embedder with cores/N threads; a C or torch model is not shared across a fork), and put
back in order. One worker: the calling process embeds, as before."""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence

import numpy as np

from .config import Settings
from .embed import Embedder, load_embedder

_worker: Embedder | None = None


def _init(settings: Settings, pickled: bytes | None, threads: int) -> None:
    global _worker
    os.environ["OMP_NUM_THREADS"] = str(threads)  # this worker's own process: its share of the cores
    _worker = pickle.loads(pickled) if pickled is not None else load_embedder(settings)


def _embed(texts: list[str]) -> np.ndarray:
    return _worker.embed_passages(texts)


def embed_passages(texts: Sequence[str], settings: Settings, embedder: Embedder | None, workers: int,
                   progress: bool = False) -> np.ndarray:
    """Passage vectors of `texts`, in order, from `workers` processes. An embedder given by the caller is
    sent to the workers when it can be pickled; otherwise each worker loads the one the settings name."""
    texts = list(texts)
    if workers <= 1 or len(texts) < 2 * workers:
        return (embedder or load_embedder(settings)).embed_passages(texts, progress=progress)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    try:
        pickled = pickle.dumps(embedder) if embedder is not None else None
    except (pickle.PicklingError, TypeError, AttributeError, ValueError):
        pickled = None  # e.g. a model behind ctypes handles: each worker loads its own
    size = max(1, -(-len(texts) // (workers * 8)))  # 8 slices per worker: even load, a live progress bar
    slices = [texts[i:i + size] for i in range(0, len(texts), size)]
    threads = max(1, (os.cpu_count() or 1) // workers)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(texts), desc=f"embedding ({workers} workers)", unit="chunk")
    out = []
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init,
                             initargs=(settings, pickled, threads)) as pool:
        for part, vectors in zip(slices, pool.map(_embed, slices)):
            out.append(vectors)
            if bar:
                bar.update(len(part))
    if bar:
        bar.close()
    return np.concatenate(out).astype(np.float32, copy=False)
