"""What the sentence scorer sees of a unit: named features, each a small testable function of the
analysed question and the unit. The weights that combine them are learned (qa/reader/scorer.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..lexical import IdfTable
from ..lexicon import question_lexicon
from ..sections import heading_level
from ..text import squash
from .question import COUNTERS, Analysis, chinese_number, has_term
from .enums import enumeration_items
from .spans import answer_span
from .units import Unit, overlap

FEATURES = ("q_overlap", "bigram", "passage_overlap", "section_overlap", "type_pattern", "span", "slot_fill",
            "slot_word", "critical", "date_match", "boilerplate", "lead_in", "tiny", "heading", "row", "rank",
            "dense", "unit_dense", "length", "q_rel", "bigram_rel", "key", "lead_overlap",
        "bm25_rank", "dense_rank", "first", "enum", "count_match", "counted")
# every feature again, times "the question asks for a fact (who/dept/when/number)": the weights can
# differ between fact questions and list/procedure/document questions
BASE = FEATURES
FEATURES = BASE + tuple(f"{name}*fact" for name in BASE) + tuple(f"{name}*en" for name in BASE)
FACT_TYPES = ("who", "dept", "when", "number")
# columns rescaled within one question's candidates (see `relative`)
_DENSE = (BASE.index("dense"), BASE.index("unit_dense"))
_RELATIVE = ((BASE.index("q_overlap"), BASE.index("q_rel")), (BASE.index("bigram"), BASE.index("bigram_rel")))


@dataclass(frozen=True)
class Context:
    """What is known about the passages of one question: relevance of each passage to the question
    (and the previous turn), passage dense scores."""

    idf: IdfTable
    context_tokens: tuple[str, ...] = ()  # words of the previous turn, for follow-ups


def fills_slot(text: str, slot: str) -> bool:
    """The unit names who holds `slot`: '组 长：韩加政', '韩加政任组长', '由韩加政担任组长',
    '| 组长 | 张三 |', '市长任组长'. A 副组长 row does not fill 组长."""
    flat = squash(text)
    if "副" not in slot and f"副{slot}" in flat and slot not in flat.replace(f"副{slot}", ""):
        return False
    return bool(re.search(rf"{slot}[：:|]+[^，。；]{{2,}}|[\u4e00-\u9fff]{{2,8}}(?:同志)?(?:任|为|兼任|担任)\S{{0,20}}{slot}|"
                          rf"由\S{{2,16}}(?:任|担任|兼任){slot}|{slot}由\S{{2,16}}(?:担任|兼任)|^\|?{slot}\|", flat))


def is_lead_in(text: str) -> bool:
    """A line that introduces what follows ("成立…领导小组：")."""
    return text.rstrip().endswith(("：", ":"))


def date_match(q: Analysis, doc_date: str | None) -> float:
    """1 when the document's date has the month the question names, 0.75 its year only, 0 neither;
    0.5 when the question names no date or the document has none."""
    if not (q.years or q.months) or not doc_date:
        return 0.5
    if any(doc_date.startswith(m) for m in q.months):
        return 1.0
    return 0.75 if any(doc_date.startswith(str(y)) for y in q.years) and not q.months else (
        0.5 if any(doc_date.startswith(str(y)) for y in q.years) else 0.0)


def bigram_share(q: Analysis, flat: str) -> float:
    if not q.bigrams:
        return 0.0
    return sum(b in flat for b in q.bigrams) / len(q.bigrams)


LIST_TYPES = ("list", "procedure")


def list_fit(q: Analysis, text: str) -> dict[str, float]:
    """For list and procedure questions: how many items the unit enumerates ("enum", 0 below two,
    up to 1 at eight), and whether it enumerates as many as the question asks for ("哪五块牌子" and
    five items, or "5个…" stated) ("count_match")."""
    if q.qtype not in LIST_TYPES:
        return {"enum": 0.0, "count_match": 0.0, "counted": 0.0}
    n = item_count(text)
    number = (rf"(?:(?<![\d.]){q.count}\s*|(?<![一二三四五六七八九十]){chinese_number(q.count)})[{COUNTERS}]"
              if q.count is not None else "")
    stated = q.count is not None and re.search(number, squash(text))
    counted = bool(q.counted) and re.search(number + re.escape(q.counted[:2]), squash(text)) is not None
    return {"enum": min(n, 8) / 8 if n >= 2 else 0.0,
            "count_match": float(q.count is not None and (n == q.count or bool(stated))), "counted": float(counted)}


@lru_cache(maxsize=8192)
def item_count(text: str) -> int:
    """How many items a unit enumerates (cached: the scorer and the list strategy both ask)."""
    items = enumeration_items(text)
    if len(items) == 1:  # one numbered line, "（一）全市5个国家重点镇，即娘子关镇、荫营镇…": its own list
        items = enumeration_items(items[0])
    return len(items)


_QUOTED_NAME = re.compile(r"[“\"]([^“”\"]{3,40})[”\"]")  # not 《…》: a cited title is not what the unit is about


def quoted_names(q: Analysis, text: str) -> dict[str, float]:
    """Names the unit quotes (“第三届阳泉市质量奖”) against the question: "quoted_name" when
    the question says one of them whole; "name_extended" when a name starts with four or more
    characters of the question and goes on past them (“第三届阳泉市质量奖提名奖” for a question
    about 第三届阳泉市质量奖: another, longer-named thing)."""
    asked = squash(q.text)
    exact = extended = False
    for m in _QUOTED_NAME.finditer(squash(text)):
        name = m.group(1)
        if name in asked:
            exact = True
        elif next((k for k in range(len(name) - 1, 3, -1) if name[:k] in asked), 0):
            extended = True
    return {"quoted_name": float(exact), "name_extended": float(extended and not exact)}


def key_terms(q: Analysis, idf: IdfTable, n: int = 2) -> tuple[str, ...]:
    """The question's rarest content words (highest IDF): what the question is really about."""
    return tuple(sorted(q.content, key=lambda t: -idf(t))[:n])


def unit_features(q: Analysis, unit: Unit, ctx: Context, passage_rel: float, dense: float,
                  doc_date: str | None = None, unit_dense: float | None = None, lead: str = "",
                  ranks: tuple[int | None, int | None] = (None, None), first: bool = False) -> np.ndarray:
    """The base feature row of one unit (BASE order). `dense`: the passage's cosine to the question;
    `unit_dense`: the sentence's own (None when the index has no sentence vectors: the passage's is
    used); `lead`: the line that introduces the unit ("成立…领导小组：") when it has one; `ranks`:
    the passage's (BM25, dense) ranks; `first`: the unit opens its passage (after a heading)."""
    lex = question_lexicon()
    text = unit.text.strip()
    flat = squash(text)
    pattern = lex.answer_patterns.get(q.qtype)
    values = {
        "q_overlap": overlap(q.tokens, text, ctx.idf),
        "bigram": bigram_share(q, flat),
        "passage_overlap": passage_rel,
        "section_overlap": overlap(q.tokens, unit.chunk.section, ctx.idf),
        "type_pattern": float(bool(pattern and pattern.search(text))),
        "span": float(answer_span(q.text, q.qtype, unit.flowing, q.slots) is not None),
        "slot_fill": float(any(fills_slot(text, s) for s in q.slots)),
        "slot_word": float(any(s in flat for s in q.slots)),
        "critical": (sum(has_term(t, flat) for t in q.critical) / len(q.critical)) if q.critical else 1.0,
        "date_match": date_match(q, doc_date),
        "boilerplate": float(bool(lex.boilerplate.search(text))),
        "lead_in": float(is_lead_in(text)),
        "tiny": float(len(flat) < 6),
        "heading": float(heading_level(text) is not None and len(flat) < 30),
        "row": float(unit.is_row),
        "rank": 1.0 / (1 + unit.rank),
        "dense": dense,
        "unit_dense": dense if unit_dense is None else unit_dense,
        "length": min(len(flat), 200) / 200,
        "q_rel": 0.0, "bigram_rel": 0.0,  # filled in by `relative`
        "key": overlap(key_terms(q, ctx.idf), text, ctx.idf) if q.content else 0.0,
        "lead_overlap": overlap(q.tokens, lead, ctx.idf) if lead else 0.0,
        "bm25_rank": 1.0 / ranks[0] if ranks[0] else 0.0,  # the passage's rank in each searcher
        "dense_rank": 1.0 / ranks[1] if ranks[1] else 0.0,
        "first": float(first),  # the first sentence of its passage after the heading
        **list_fit(q, text),
    }
    return np.array([values[name] for name in BASE], dtype=np.float64)


def with_interactions(matrix: np.ndarray, qtype: str, english: bool = False) -> np.ndarray:
    """BASE columns -> FEATURES columns: the base block, then the same block when the question asks
    for a fact (zeros otherwise), then again when the question is in English (its words overlap
    the Chinese text little; the sentence vectors carry more)."""
    zeros = np.zeros_like(matrix)
    return np.hstack([matrix, matrix if qtype in FACT_TYPES else zeros, matrix if english else zeros])


def relative(matrix: np.ndarray) -> np.ndarray:
    """Features that only mean something next to the other candidates of the same question: cosines
    as distance below the best one (x10: they vary by hundredths), overlaps as a share of the best
    one (English questions overlap little everywhere, yet one sentence overlaps most)."""
    if not len(matrix):
        return matrix
    out = matrix.copy()
    for col in _DENSE:
        out[:, col] = (matrix[:, col] - matrix[:, col].max()) * 10
    for src, dst in _RELATIVE:
        top = matrix[:, src].max()
        out[:, dst] = matrix[:, src] / top if top > 0 else 0.0
    return out
