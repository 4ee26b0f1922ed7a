"""Records as a retrieval signal: the chunks that hold the records a question asks about (the post or
document field it names, of the body or document its words name) rank first. A searcher like the
others in qa/retrieve.py (same `search(query, mask, k) -> Ranking`), fused by reciprocal rank."""

from __future__ import annotations

import numpy as np

from ..index import IndexData
from ..reader.question import analyse
from .link import asked_fields, asked_roles, share, topic
from .records import Fact

MIN_SHARE = 0.5


class FactSearcher:
    name = "facts"

    def __init__(self, data: IndexData, facts: list[Fact]) -> None:
        self.n_chunks = len(data.chunks)
        titles = {d.doc_id: d.title for d in data.documents.values()}
        rows_of_doc: dict[str, list[int]] = {}
        for row, chunk in enumerate(data.chunks):
            rows_of_doc.setdefault(chunk.doc_id, []).append(row)
        self.entries: list[tuple[Fact, int, str, str]] = []  # fact, chunk row, its names, its document's title
        for fact in facts:
            row = next((r for r in rows_of_doc.get(fact.doc_id, ()) if data.chunks[r].start <= fact.start
                        < data.chunks[r].end), None)
            if row is not None:
                self.entries.append(entry(fact, row, titles.get(fact.doc_id, "")))

    def search(self, query: str, mask: np.ndarray | None, k: int):
        return rank_entries(self.name, asked(query), self.entries, mask, k)


def asked(query: str) -> tuple[set[str], list, list] | None:
    """The posts/fields a question asks about and its topic (as pairs, and literal); None: no record can rank."""
    q = analyse(query)
    wanted = set(asked_roles(q)) | set(asked_fields(q))
    pairs = topic(q)
    if not wanted or not pairs:
        return None
    return wanted, pairs, topic(q, literal=True) or pairs


def entry(fact: Fact, row: int, title: str) -> tuple[Fact, int, str, str]:
    return fact, row, f"{fact.subject} {fact.parent or ''} {fact.detail or ''}", title


def rank_entries(name: str, question, entries, mask: np.ndarray | None, k: int):
    """Rows holding the records that match what the question asks (`asked`), best first."""
    from ..retrieve import Ranking

    if question is None:
        return Ranking(name, ())
    wanted, pairs, literal = question
    scores: dict[int, float] = {}
    for fact, row, names, title in entries:
        if fact.role not in wanted or (mask is not None and not mask[row]):
            continue
        score = max(share(pairs, names, title), share(literal, names, title))
        if score >= MIN_SHARE and score > scores.get(row, 0.0):
            scores[row] = score
    rows = sorted(scores, key=lambda r: -scores[r])[:k]
    return Ranking(name, tuple(rows), {r: scores[r] for r in rows})
