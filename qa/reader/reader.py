"""The Reader: analyses the question, tries the answer strategies in order and composes the answer.
It needs no index: `Reader.standalone().read(question, passages)` answers from any passages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from ..contract import clean_question
from ..lexical import IdfTable
from ..types import Answer, Chunk, Citation, Hit
from .compose import ENGLISH_LEAD, Citer, compose
from .english import render
from .question import Analysis, analyse
from .refusal import Refusal
from .scorer import Scorer
from .verdict import RefusalModel
from .strategies import STRATEGIES, Candidate, Evidence, Strategy, Tools


@dataclass(frozen=True)
class Reading:
    """What the reader made of the evidence: the analysed question, the winning candidate, and the
    composed text with its citations (empty when refused)."""

    question: Analysis
    candidate: Candidate
    text: str = ""
    citations: tuple[Citation, ...] = ()
    short: str | None = None  # the short answer as shown: in English for an English question, when exact

    @property
    def refusal(self) -> Refusal | None:
        return self.candidate.refusal

    @property
    def short_answer(self) -> str | None:
        return self.short if self.short is not None else self.candidate.short_answer


class Reader:
    def __init__(self, idf: IdfTable, scorer: Scorer | None = None, years: Sequence[int] = (),
                 min_support: float | None = None, use_model: bool = True,
                 strategies: Sequence[Strategy] = STRATEGIES) -> None:
        """`min_support`: the support threshold (qa/reader/refusal.py), by default the one calibrated
        with the weights (eval/train_reader.py); `use_model`: apply the learned refusal model too."""
        scorer = scorer or Scorer.load()
        self.tools = Tools(idf=idf, scorer=scorer, years=frozenset(years),
                           min_support=scorer.meta.get("min_support", 0.4) if min_support is None else min_support,
                           refusal_model=RefusalModel.from_dict(scorer.meta.get("refusal")) if use_model else None)
        self.strategies = tuple(strategies)

    @classmethod
    def standalone(cls) -> Reader:
        """A reader for passages from anywhere: word weights from jieba's general IDF table. The
        refusal model is left out (its signals include the index's dense similarities); the
        refusal rules apply."""
        return cls(general_idf(), use_model=False)

    def read_evidence(self, question: str, evidence: Evidence, cite: Citer,
                      english_lead: str = ENGLISH_LEAD) -> Reading:
        q = analyse(question)
        for strategy in self.strategies:
            candidate = strategy(q, evidence, self.tools)
            if candidate is None:
                continue
            if candidate.refusal:
                return Reading(q, candidate)
            short = candidate.short_answer
            if q.english and short and not candidate.verbatim:  # "the Mayor (市长)", "June to mid-September 2022 (2022年6月-9月中旬)"
                short = render(short) or short
            text, citations = compose(candidate.units, cite, short, q.english, english_lead)
            return Reading(q, candidate, text, tuple(citations), short)
        raise RuntimeError("the last strategy must always answer or refuse")

    def read(self, question: str, passages: Sequence[str]) -> Answer:
        """Answer from the given passages only; citations index into them (n = passage number is
        not kept: [n] numbers the quotes used, `doc_id` is None and `section` names the passage)."""
        from .messages import refusal_text

        text, notices = clean_question(question, 1000)
        passages = [p for p in passages if isinstance(p, str)]
        hits = tuple(Hit(chunk=_passage_chunk(i, p), score=1.0 / (1 + i)) for i, p in enumerate(passages)
                     if p.strip())
        reading = self.read_evidence(text, Evidence(hits=hits), _cite_passage, "From the passages: ")
        if reading.refusal:
            return Answer(question=text, answer=refusal_text(reading.refusal, reading.question.english,
                                                             source="passages"),
                          refused=True, mode="extractive", notices=notices, refusal_rule=reading.refusal.rule)
        return Answer(question=text, answer=reading.text, refused=False, mode="extractive",
                      citations=reading.citations, notices=notices, short_answer=reading.short_answer)


def _passage_chunk(i: int, text: str) -> Chunk:
    return Chunk(chunk_id=f"passage-{i + 1}", doc_id="", section=f"passage {i + 1}", start=0, end=len(text),
                 text=text, header="")


def _cite_passage(chunk: Chunk, start: int, end: int, n: int) -> Citation:
    return Citation(n=n, doc_id=None, title="", doc_number=None, issue="", page=None, section=chunk.section,
                    quote=chunk.text[start:end], url="", chunk_id=chunk.chunk_id, start=start, end=end,
                    passage=int(chunk.chunk_id.rsplit("-", 1)[1]))


@cache
def general_idf() -> IdfTable:
    """jieba's general-language IDF table (shipped with jieba): word weights without an index."""
    import jieba.analyse

    table = jieba.analyse.default_tfidf.idf_freq
    median = jieba.analyse.default_tfidf.median_idf
    return IdfTable(table, default=median)
