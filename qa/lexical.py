"""BM25 over jieba tokens (bm25s)."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from .text import nfkc

_WORD = re.compile(r"[\w\u3400-\u9fff]")
STOP_WORDS = _STOP = frozenset("的 了 和 与 及 或 是 在 为 对 等 有 由 将 按 于 把 被 之 其 各 该 中 上 下 个 以 并 要 也 都 就 而 从 向 这 那 吗 呢 什么 哪些 哪个 多少 怎么 如何 是否 请问 谁".split())


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """jieba search-mode tokens, NFKC-normalized and lower-cased, without punctuation or stop words.

    Spaces inside Chinese text (OCR: "组 长") are removed first so words are not broken.
    """
    text = nfkc(text).lower()
    text = re.sub(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])", "", text)
    tokens = [t for t in _jieba().lcut_for_search(text) if _WORD.search(t) and t.strip()]
    return [t for t in tokens if t not in _STOP] or [t for t in tokens]


class IdfTable:
    """Inverse document frequencies of tokens; unknown tokens count as the rarest."""

    def __init__(self, idf: dict[str, float], default: float) -> None:
        self.table = idf
        self.default = default

    def __call__(self, token: str) -> float:
        return self.table.get(token, self.default)


class LexicalIndex:
    """A bm25s index over chunk texts, addressed by row number."""

    def __init__(self, bm25) -> None:
        self._bm25 = bm25

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index([tokenize(t) for t in texts], show_progress=False)
        return cls(bm25)

    def save(self, directory: Path) -> None:
        self._bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, mmap: bool = False) -> LexicalIndex:
        import bm25s

        return cls(bm25s.BM25.load(str(directory), show_progress=False, verbosity=0, mmap=mmap))

    @property
    def vocab(self) -> dict[str, int]:
        """Token -> column of the postings."""
        return self._bm25.vocab_dict

    @property
    def postings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(scores, rows, column pointers): the precomputed BM25 matrix by token (CSC)."""
        scores = self._bm25.scores
        return scores["data"], scores["indices"], scores["indptr"]

    @property
    def n_docs(self) -> int:
        """How many chunks the BM25 index holds."""
        return int(self._bm25.scores.get("num_docs", -1))

    def idf(self) -> IdfTable:
        """BM25 (Lucene) inverse document frequency of every indexed token."""
        n = int(self._bm25.scores["num_docs"])
        df = np.diff(self._bm25.scores["indptr"])
        table = {t: float(np.log(1 + (n - df[i] + 0.5) / (df[i] + 0.5)))
                 for t, i in self._bm25.vocab_dict.items() if i < len(df)}
        return IdfTable(table, default=float(np.log(1 + (n + 0.5) / 0.5)))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for the query (0 where no token matches)."""
        tokens = [t for t in tokenize(query) if t in self._bm25.vocab_dict]
        if not tokens:
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)


def write_postings(directory: Path, token_lists, k1: float = 1.5, b: float = 0.75, batch: int = 10_000) -> int:
    """Build a bm25s-format index (method "lucene", as `LexicalIndex.build`) from an iterable of token
    lists, streamed: each document's tokens become interned ids and per-document counts at once, so no
    token string is kept per occurrence (a million chunks build in a few GB). Returns the number of
    documents; `LexicalIndex.load(directory)` reads it."""
    import json

    vocab: dict[str, int] = {}
    toks, tfs, sizes, lens = [], [], [], []
    part_t: list[np.ndarray] = []
    part_c: list[np.ndarray] = []
    n = 0
    for tokens in token_lists:
        ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in tokens), dtype=np.int32, count=len(tokens))
        unique, counts = np.unique(ids, return_counts=True)
        part_t.append(unique)
        part_c.append(counts.astype(np.float32))
        sizes.append(len(unique))
        lens.append(len(tokens))
        n += 1
        if len(part_t) >= batch:
            toks.append(np.concatenate(part_t))
            tfs.append(np.concatenate(part_c))
            part_t, part_c = [], []
    toks.append(np.concatenate(part_t) if part_t else np.zeros(0, dtype=np.int32))
    tfs.append(np.concatenate(part_c) if part_c else np.zeros(0, dtype=np.float32))
    vocab.setdefault("", len(vocab))  # bm25s' empty token (no postings)
    tok, tf = np.concatenate(toks), np.concatenate(tfs)
    del toks, tfs
    doc = np.repeat(np.arange(n, dtype=np.int32), np.asarray(sizes, dtype=np.int64))
    doc_len = np.asarray(lens, dtype=np.float32)
    df = np.bincount(tok, minlength=len(vocab))
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    norm = k1 * ((1 - b) + b * doc_len / max(float(doc_len.mean()) if n else 1.0, 1e-9))
    data = (idf[tok] * (tf / (tf + norm[doc]))).astype(np.float32)
    del tf
    order = np.argsort(tok, kind="stable")
    del tok
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    np.save(directory / "data.csc.index.npy", data[order])
    del data
    np.save(directory / "indices.csc.index.npy", doc[order])
    np.save(directory / "indptr.csc.index.npy", np.concatenate([[0], np.cumsum(df)]).astype(np.int64))
    (directory / "vocab.index.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    params = {"k1": k1, "b": b, "delta": 0.5, "method": "lucene", "idf_method": "lucene", "dtype": "float32",
              "int_dtype": "int32", "num_docs": n, "version": "0.3.16", "backend": "numpy"}
    (directory / "params.index.json").write_text(json.dumps(params, indent=4), encoding="utf-8")
    return n
