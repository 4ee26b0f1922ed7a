"""Answer strategies, tried in order by the Reader: each a pure function from (analysed question,
evidence, tools) to a Candidate or None. Structured facts come first when they exist, then the
refusal rules, the document lead for 'which document' questions, the sentence/row reader, and the
final refusal when nothing that answers was found."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from ..lexical import IdfTable, tokenize
from ..lexicon import question_lexicon
from ..sections import heading_level
from ..text import find_doc_numbers, squash
from ..types import Hit
from .codes import asked_code, code_parts, part_heads
from .features import (FEATURES, Context, fills_slot, is_lead_in, item_count, list_fit, quoted_names, relative,
                       unit_features, with_interactions)
from .question import Analysis, asked_slots
from .refusal import (Refusal, check, conflicting_ordinal, conflicting_place, conflicting_year, focus,
                      missing_kind, relative_only)
from .scorer import Scorer
from .spans import answer_span
from .units import Unit, display, overlap, split_units
from .verdict import RefusalModel, signals

FACTOID = ("who", "dept", "when", "number")
MARGIN = 1.0  # units scoring within this of the best (logit scale) may join it


@dataclass(frozen=True)
class Evidence:
    hits: tuple[Hit, ...]  # passages, best first (neighbouring chunks merged)
    body_start: Mapping[str, int] = field(default_factory=dict)  # doc_id -> where the body starts
    lead: Unit | None = None  # title block of the document the question names (文号) or is about
    lead_label: str | None = None  # "阳政发〔2020〕4号《…》"
    routed: bool = False  # the question names a known 文号
    context: str = ""  # the previous turn, for follow-ups
    doc_dates: Mapping[str, str] = field(default_factory=dict)  # doc_id -> ISO date of the document
    # cosine of each unit's own vector to the question (None where the index has none); None: no vectors
    unit_similarity: Callable[[list[str]], list[float | None]] | None = None
    facts: object | None = None  # qa.facts.FactBase of the documents the filters allow (qa/facts/answer.py)
    fact_unit: Callable[[object], Unit | None] | None = None  # a record's source span as a unit
    titles: Mapping[str, str] = field(default_factory=dict)  # doc_id -> title
    following: Callable[[object], list] | None = None  # chunk -> the chunks right after it (qa/sources.py)


@dataclass(frozen=True)
class Tools:
    idf: IdfTable
    scorer: Scorer
    years: frozenset[int] = frozenset()
    min_support: float = 0.4
    refusal_model: RefusalModel | None = None  # refuses answers that fit the question badly (verdict.py)


@dataclass(frozen=True)
class Candidate:
    strategy: str
    units: tuple[Unit, ...] = ()  # the first one holds the short answer
    short_answer: str | None = None
    score: float = 0.0
    refusal: Refusal | None = None
    focus: float = 1.0  # share of the question's words in the answering unit and its title/section
    signals: np.ndarray | None = None  # the refusal model's inputs (verdict.SIGNALS)
    verbatim: bool = False  # the short answer is names to show as written (“1个城市大脑”), not rendered in English


Strategy = Callable[[Analysis, Evidence, Tools], "Candidate | None"]


def rules(q: Analysis, ev: Evidence, tools: Tools) -> Candidate | None:
    refusal = check(q, ev.hits, tools.idf, set(tools.years), tools.min_support, routed=ev.routed)
    return Candidate("rules", refusal=refusal) if refusal else None


def candidate_units(q: Analysis, ev: Evidence, tools: Tools) -> tuple[list[Unit], np.ndarray]:
    """Every unit of the evidence body (title blocks excluded) and its feature row."""
    ctx = Context(tools.idf)
    context_tokens = tuple(dict.fromkeys(q.tokens + tuple(tokenize(ev.context)))) if ev.context else q.tokens
    units, passage = [], []
    for rank, hit in enumerate(ev.hits):
        rel = overlap(context_tokens, f"{hit.chunk.header} {hit.chunk.text}", tools.idf)
        lead, opened = "", False
        for unit in split_units(hit.chunk, rank):
            heading = heading_level(unit.text) is not None and len(unit.text) < 30
            if unit.start >= ev.body_start.get(unit.chunk.doc_id, 0):
                units.append(unit)
                passage.append((rel, hit.dense_score or 0.0, lead, (hit.bm25_rank, hit.dense_rank),
                                not heading and not opened))
            opened = opened or not heading
            if is_lead_in(unit.text) and not unit.is_row:
                lead = unit.text
    sims = ev.unit_similarity([squash(u.text) for u in units]) if ev.unit_similarity and units else [None] * len(units)
    rows = [unit_features(q, u, ctx, rel, dense, ev.doc_dates.get(u.chunk.doc_id), sim, lead, ranks, first)
            for u, (rel, dense, lead, ranks, first), sim in zip(units, passage, sims)]
    if not rows:
        return units, np.zeros((0, len(FEATURES)))
    return units, with_interactions(relative(np.vstack(rows)), q.qtype, q.english)


def scored_units(q: Analysis, ev: Evidence, tools: Tools) -> list[tuple[float, Unit]]:
    """Every candidate unit with its learned score, best first."""
    units, matrix = candidate_units(q, ev, tools)
    if not units:
        return []
    scores = tools.scorer.score(matrix)
    order = sorted(range(len(units)), key=lambda i: (-scores[i], units[i].rank, units[i].start))
    return [(float(scores[i]), units[i]) for i in order]


def document_lead(q: Analysis, ev: Evidence, tools: Tools) -> Candidate | None:
    """'Which document…' / '阳政办发〔2022〕57号讲什么': the title block with its 文号, then the best
    content sentence of that document."""
    if ev.lead is None:
        return None
    if q.qtype != "docnum" and not (ev.routed and (q.qtype == "general" or len(q.content) <= 2)):
        return None
    if not ev.routed and question_lexicon().docnum_in_text.search(q.text):
        return None  # the document it repeals or cites: a sentence names it (read_sentences)
    doc_id = ev.lead.chunk.doc_id
    boilerplate = question_lexicon().boilerplate  # "现印发给你们，请认真贯彻落实" says nothing of the content
    content = [u for _, u in scored_units(q, ev, tools)
               if u.chunk.doc_id == doc_id and not boilerplate.search(u.text) and not is_lead_in(u.text)][:1]
    return Candidate("document", units=(ev.lead, *content), short_answer=ev.lead_label)


def read_sentences(q: Analysis, ev: Evidence, tools: Tools) -> Candidate | None:
    """The best-scoring sentence or row that holds an answer of the asked type; for lists and
    procedures the items that follow it. None when no unit holds the kind of answer asked for; a
    refusal when the answering unit is about something else than the question."""
    scored = scored_units(q, ev, tools)
    if not scored:
        return None
    candidate = _factoid(q, scored) if q.qtype in FACTOID else _passage(q, scored, ev.following)
    if candidate is None:
        return None
    first = candidate.units[0]
    share = focus(q, first.text, f"{first.chunk.header} {first.chunk.section}", tools.idf)
    sim = ev.unit_similarity([squash(first.text)])[0] if ev.unit_similarity else None
    x = signals(q, first, ev.hits, tools.idf, candidate.score, candidate.short_answer is not None, sim)
    candidate = replace(candidate, focus=share, signals=x)
    if not ev.routed:
        place = conflicting_place(q, first.text)
        if place:
            return replace(candidate, refusal=Refusal("named", place))
        title = ev.titles.get(first.chunk.doc_id, first.chunk.header)
        year = conflicting_year(q, first.chunk.text, title)
        if year:
            return replace(candidate, refusal=Refusal("year_conflict", str(year)))
        ordinal = conflicting_ordinal(q, first.chunk.text, title)
        if ordinal:
            return replace(candidate, refusal=Refusal("ordinal_conflict", ordinal))
        base = relative_only(q, first.text)
        if base:
            return replace(candidate, refusal=Refusal("relative_only", base))
        kind = missing_kind(q, [u.text for u in candidate.units])
        if kind:
            return replace(candidate, refusal=Refusal("kind_missing", "|".join(kind)))
    if tools.refusal_model is not None and not ev.routed and tools.refusal_model.refuses(x):
        return replace(candidate, refusal=Refusal("model", f"{tools.refusal_model.probability(x):.2f}"))
    return candidate


def _coded_parts(q: Analysis, scored: list[tuple[float, Unit]], following) -> tuple[tuple[Unit, ...], str] | None:
    """“131N”: the unit naming the code the question quotes, and the lines “1个…：” “3个…：” “1个…：”
    “N个…：” that spell it out (read on into the next chunks when the passage ends first)."""
    code = asked_code(q.text)
    if not code:
        return None
    for _, named in scored[:12]:
        if code not in squash(named.text):
            continue
        chunks = [named.chunk, *(following(named.chunk) if following else [])]
        units = [u for c in chunks for u in split_units(c, named.rank) if u.start >= named.end]
        parts = code_parts(code, units)
        if parts:
            return (named, *parts), part_heads(parts)
    return None


def _passage(q: Analysis, scored: list[tuple[float, Unit]], following=None) -> Candidate:
    """Lists and procedures: the best unit that states the items or steps itself (its span is the
    short answer), else the lead-in and the items that follow it. Other questions: the best unit and
    up to two nearly as good."""
    best_score, best = scored[0]
    if q.qtype == "docnum":  # the sentence that names the cited or repealed document, its 文号 first
        for score, unit in scored[:3]:
            span = answer_span(q.text, "docnum", unit.flowing, q.slots)
            if span and score >= best_score - MARGIN:
                units = [unit]
                after = _next_unit(unit, scored)
                numbers = find_doc_numbers(after.text[:30]) if after and not find_doc_numbers(span) else []
                if numbers:  # "按照《…通知》" + next line "（阳政办发〔2019〕59号）要求…"
                    units.append(after)
                    span = f"{span}（{numbers[0]}）"
                return Candidate("sentences", units=tuple(units), short_answer=span, score=best_score)
    if q.qtype not in ("list", "procedure"):
        chosen = [best] + [u for s, u in scored[1:3] if s >= best_score - MARGIN / 2 and len(u.text) > 6]
        short = answer_span(q.text, q.qtype, best.flowing, q.slots) if not q.english else None
        return Candidate("sentences", units=tuple(_with_lead_ins(chosen, scored)), short_answer=short,
                         score=best_score)
    if q.qtype == "list":
        coded = _coded_parts(q, scored, following)
        if coded:
            return Candidate("sentences", units=coded[0], short_answer=coded[1], score=best_score, verbatim=True)
        scored = _enumerating_first(q, scored)
        best_score, best = scored[0]
    near = [u for s, u in scored[1:3] if s >= best_score - MARGIN / 2 and len(u.text) > 6]  # more items elsewhere
    for score, unit in scored[:3]:
        if score < best_score - MARGIN:
            break
        span = answer_span(q.text, q.qtype, unit.flowing, q.slots)
        if span and not is_lead_in(unit.text) and _names_asked_post(q, unit):
            more = _continuation(q, unit, scored)
            spans = [answer_span(q.text, q.qtype, u.flowing, q.slots) or display(u.text) for u in more]
            units = [unit, *more, *(u for u in near if u is not unit and u not in more)]
            return Candidate("sentences", units=tuple(_with_lead_ins(units, scored)),
                             short_answer="\n".join([span, *spans]), score=best_score)
    items = _items_after(best, scored)
    short = "\n".join(display(u.text) for u in items) if len(items) >= 2 else None
    units = [best, *items, *(u for u in near if u not in items)]
    return Candidate("sentences", units=tuple(_with_lead_ins(units, scored)), short_answer=short, score=best_score)


_PARALLEL = (re.compile(r"^[“\"‘][^”\"’]{1,8}[”\"’](?:是指|指|包括|为|是)"), re.compile(r"^[（(][一二三四五六七八九十]+[）)]"),
             re.compile(r"^\d{1,2}[.．、](?!\d)"), re.compile(r"^[一二三四五六七八九十]是"))


def _continuation(q: Analysis, unit: Unit, scored: list[tuple[float, Unit]], limit: int = 3) -> list[Unit]:
    """The units that go on with a list the answering unit begins: it ends with a semicolon and the
    next units open the same way (“4”是指…；“2”是指…, （一）…；（二）…), up to `limit`; none when the
    unit already enumerates as many items as the question asks for."""
    if not unit.text.rstrip().endswith(("；", ";")) or (q.count is not None and item_count(unit.text) >= q.count):
        return []
    opening = next((p for p in _PARALLEL if p.match(squash(unit.text))), None)
    out: list[Unit] = []
    current = unit
    while opening is not None and len(out) < limit:
        current = _next_unit(current, scored)
        if current is None or not opening.match(squash(current.text)):
            break
        out.append(current)
        if not current.text.rstrip().endswith(("；", ";")):
            break
    return out


def _names_asked_post(q: Analysis, unit: Unit) -> bool:
    """A list question about the holders of a post ("副组长有哪几位") is answered by items that name
    the post (rows, "X任副组长"), not by any enumeration ("信息化、精细化、规范化"); other list
    questions by any unit."""
    posts = asked_slots(q.text)
    return not posts or is_lead_in(unit.text) or any(p in squash(unit.text) for p in posts)


def _enumerating_first(q: Analysis, scored: list[tuple[float, Unit]]) -> list[tuple[float, Unit]]:
    """A list question is answered by a unit that enumerates (or a lead-in line followed by items):
    among the units scoring within MARGIN of the best, those come first, the ones enumerating as many
    items as the question asks for ahead of the rest, and those quoting a longer name than the
    question's (“第三届…质量奖提名奖” for 第三届…质量奖) last: they neither lead nor set the bar; each keeps
    its score (sorting is stable)."""
    extended = {id(u) for _, u in scored[:8] if quoted_names(q, u.text)["name_extended"]}
    best_score = next((s for s, u in scored if id(u) not in extended), scored[0][0])
    fit = {id(u): list_fit(q, u.text) for s, u in scored[:8] if s >= best_score - MARGIN}
    lists = [(s, u) for s, u in scored[:8] if id(u) in fit and _names_asked_post(q, u) and (fit[id(u)]["enum"] > 0 or (
        is_lead_in(u.text) and len(_items_after(u, scored)) >= 2))]
    if not lists:
        return scored
    lists.sort(key=lambda su: (id(su[1]) in extended, -fit[id(su[1])]["count_match"] - fit[id(su[1])]["counted"]))
    return lists + [su for su in scored if all(su[1] is not u for _, u in lists)]


def _factoid(q: Analysis, scored: list[tuple[float, Unit]]) -> Candidate | None:
    """The best unit holding a span of the asked kind, its span as the short answer. A question
    about several posts gets the best unit for each ("组长：刘文华；办公室主任：石峥"); a question in
    several parts may take a second unit that states another part."""
    if q.qtype == "who" and len(q.slots) > 1:
        return _per_slot(q, scored)
    spans = []
    for qtype in _answer_types(q):  # the asked type first; "谁管/谁发" may be answered by a unit (dept)
        spans = [(score, unit, span) for score, unit in scored[:12]
                 if (span := answer_span(q.text, qtype, unit.flowing, q.slots)) and all(m.search(span) for m in q.measures)]
        if spans:
            break
    if not spans:
        return None
    best_score, best, short = spans[0]
    chosen = [best]
    margin = MARGIN * (2 if q.parts > 1 else 0.5)
    for score, unit, span in spans[1:]:
        if len(chosen) >= max(2, q.parts) or score < best_score - margin:
            break
        if squash(span) not in squash(short):
            chosen.append(unit)
            if q.parts > 1:
                short = f"{short}；{span}"
    return Candidate("sentences", units=tuple(_with_lead_ins(chosen, scored)), short_answer=short,
                     score=best_score)


def _answer_types(q: Analysis) -> list[str]:
    types = [t for t in q.qtypes if t in FACTOID] or [q.qtype]
    if "who" in types and "dept" not in types and not q.slots:
        types.insert(types.index("who") + 1, "dept")
    return list(dict.fromkeys(types))


def _per_slot(q: Analysis, scored: list[tuple[float, Unit]]) -> Candidate | None:
    found: list[tuple[str, float, Unit, str]] = []
    for slot in q.slots:
        for score, unit in scored[:20]:
            span = answer_span(q.text, q.qtype, unit.flowing, (slot,))
            if span and fills_slot(unit.text, slot):
                found.append((slot, score, unit, span))
                break
    if not found:
        return None
    units = list(dict.fromkeys(unit for _, _, unit, _ in found))
    short = "；".join(f"{slot}：{span}" for slot, _, _, span in found) if len(found) > 1 else found[0][3]
    return Candidate("sentences", units=tuple(_with_lead_ins(units, scored)), short_answer=short,
                     score=max(score for _, score, _, _ in found))


def _next_unit(unit: Unit, scored: list[tuple[float, Unit]]) -> Unit | None:
    """The unit right after `unit` in the same passage."""
    after = [u for _, u in scored if u.chunk is unit.chunk and u.start >= unit.end]
    return min(after, key=lambda u: u.start, default=None)


def _items_after(best: Unit, scored: list[tuple[float, Unit]], limit: int = 8) -> list[Unit]:
    """The list items that follow a lead-in line in the same passage: rows, （一）… items, 1. items."""
    same = sorted((u for _, u in scored if u.chunk is best.chunk and u.start > best.start), key=lambda u: u.start)
    items = []
    for unit in same[:limit]:
        if is_lead_in(unit.text) and items:
            break
        items.append(unit)
    return items if is_lead_in(best.text) or len(items) >= 2 else items[:3]


def _with_lead_ins(chosen: list[Unit], scored: list[tuple[float, Unit]]) -> list[Unit]:
    """A chosen table row or 'X：Y' line is shown after the line that introduces it ("成立…领导小组："),
    when that line is in the same passage."""
    out = list(chosen)
    units = [u for _, u in scored]
    for unit in chosen:
        if not (unit.is_row or fills_slot(unit.text, "组长") or "：" in unit.text[:8]):
            continue
        before = sorted((u for u in units if u.chunk is unit.chunk and u.end <= unit.start), key=lambda u: u.start)
        lead = next((u for u in reversed(before) if is_lead_in(u.text) and not u.is_row), None)
        if lead and lead not in out:
            out.append(lead)
    return out


def refuse(q: Analysis, ev: Evidence, tools: Tools) -> Candidate:
    """Nothing in the evidence holds the kind of answer asked for."""
    return Candidate("refusal", refusal=Refusal("answer_type", q.qtype))


STRATEGIES: tuple[Strategy, ...] = (rules, document_lead, read_sentences, refuse)
