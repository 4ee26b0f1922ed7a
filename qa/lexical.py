"""BM25 over jieba tokens (bm25s)."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from .text import nfkc

_WORD = re.compile(r"[\w\u3400-\u9fff]")
_STOP = frozenset("的 了 和 与 及 或 是 在 为 对 等 有 由 将 按 于 把 被 之 其 各 该 中 上 下 个 以 并 要 也 都 就 而 从 向 这 那 吗 呢 什么 哪些 哪个 多少 怎么 如何 是否 请问 谁".split())


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
    def load(cls, directory: Path) -> LexicalIndex:
        import bm25s

        return cls(bm25s.BM25.load(str(directory), show_progress=False, verbosity=0))

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
