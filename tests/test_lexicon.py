"""The lexicons are data about this corpus: every Chinese name in them occurs in the gazettes."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from qa.lexicon import document_words, places, question_lexicon, unit_aliases, unit_names
from qa.reader.question import analyse
from qa.text import squash

CORPUS = Path(__file__).resolve().parents[1] / "data" / "gazettes"


@cache
def corpus() -> str:
    return squash("".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))))


@pytest.mark.parametrize("short, full", sorted(unit_names().items()))
def test_unit_names_occur_in_the_corpus(short, full):
    assert squash(full) in corpus()  # the short side is how people ask (七普, DIP): it need not occur


@pytest.mark.parametrize("spellings", places())
def test_places_occur_in_the_corpus(spellings):
    assert all(name in corpus() for name in spellings)


def test_unit_aliases_go_both_ways():
    assert unit_aliases("市人社局局长") == ["人力资源和社会保障局"]
    assert unit_aliases("人力资源和社会保障局") == ["人社局"]
    assert unit_aliases("自建房") == []


def test_question_lexicon_loads_once_and_compiles():
    lex = question_lexicon()
    assert lex is question_lexicon()
    assert [name for name, _ in lex.types][:4] == ["docnum", "list", "dept", "who"]  # "which bureau leads" first
    assert lex.asking.search("是谁") and lex.boilerplate.search("现印发给你们")
    assert any(q.search("多少钱") and a.search("30元") for q, a in lex.measures)


def test_everyday_words_add_the_documents_words_for_matching_only():
    assert document_words("认养文物有哪些不能做的事") == ["不得", "禁止", "严禁", "负面清单"]
    assert document_words("组长是谁") == []
    q = analyse("认养文物有哪些不能做的事？")
    assert "不得" in q.tokens and "不得" not in q.content  # matched, never required of the evidence
