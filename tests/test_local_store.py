"""The local store's parts against the code they replace at scale: streamed BM25 postings score as
bm25s does, filter bitmaps accept the rows `Filters.accepts_fields` accepts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qa.chunk_table import ChunkTable
from qa.errors import QAError
from qa.lexical import LexicalIndex, tokenize, write_postings
from qa.local_store import LocalStore
from qa.retrieve import Filters
from test_backend import TEXTS, records, vectors


def test_streamed_postings_score_as_bm25s(tmp_path, mini_text):
    texts = [p for p in mini_text.split("\n\n") if p.strip()]
    reference = LexicalIndex.build(texts)
    assert write_postings(tmp_path / "bm25", (tokenize(t) for t in texts)) == len(texts)
    streamed = LexicalIndex.load(tmp_path / "bm25", mmap=True)
    for query in ("全民健身实施计划", "领导小组组长", "2022年", "no such words"):
        assert np.allclose(streamed.scores(query), reference.scores(query), atol=1e-5), query
    assert streamed.n_docs == reference.n_docs


def test_filter_bitmaps_match_filters(tmp_path):
    table = ChunkTable.write(tmp_path / "table", records())
    fields = [(r.chunk.doc_id, r.year, r.issue, r.source, r.category, r.issuer, r.city) for r in records()]
    cities, years = [None, "阳泉市", "太原市", "北京市"], [None, 2021, 2022]
    issues, categories = [None, "2021年第1期", "yq-2022-04", "ty-2021-02.txt"], [None, "任免", "政府"]
    for city, year, issue, category in itertools.product(cities, years, issues, categories):
        filters = Filters(city=city, year=year, issue=issue, category=category)
        mask = table.mask(filters)
        if not filters.active:
            assert mask is None
            continue
        assert mask.tolist() == [filters.accepts_fields(*f) for f in fields], filters
    assert table.mask(Filters(doc_id="yq-2020-01.txt-d1")).tolist() == [False, True, False, False, False]
    assert table.get(3) == records()[3] and table.row_of("ty-2022-03.txt-c4") == 4


def test_a_store_missing_or_short_is_named(tmp_path):
    with pytest.raises(QAError, match="holds no local store"):
        LocalStore(tmp_path / "nothing")
    with pytest.raises(QAError, match="5 chunks but 4 vectors"):
        LocalStore.build(tmp_path / "store", records(), vectors(records())[:4])
    assert len(TEXTS) == 5
