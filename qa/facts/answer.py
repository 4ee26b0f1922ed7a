"""Answers from fact records, the reader's first strategy: a group's post ("组长：市长"), where its
office sits, who was appointed to or removed from a post (in date order, as of which notice), and a
document's effective date, validity, stages and repeals. A record answers only when it matches the
question's body/person/post with confidence; otherwise the sentence reader takes over. When several
bodies match equally, the answer lists each with its document and year."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..glossary import expand
from ..reader.question import Analysis
from ..text import squash
from . import FactBase
from ..reader.question import has_term
from .link import (aliases_in, asked_fields, asked_roles, asks_appointment, asks_removal, asks_repealing_document,
                   asks_successor, post_core, post_match, share, short_years, topic)
from .records import Fact

MIN_TOPIC = 0.5
_GROUP_WORDS = re.compile(r"领导小组|领导组|指挥部|委员会|联席会议|专班|工作组|办公室|组长|指挥长|leading group|"
                          r"headquarters|committee|task force|working group|\boffice\b", re.I)
_WHO_LEADS = re.compile(r"\bleads?\b|\bin charge\b|\bruns?\b|谁负责|谁牵头|由谁负责", re.I)  # share of the question's topic pairs a body's name (or its document's title) must hold


@dataclass(frozen=True)
class FactAnswer:
    facts: tuple[Fact, ...]  # the records quoted, the first one answers
    short_answer: str
    kind: str  # "group" | "appointment" | "document" | "ambiguous"
    score: float = 1.0


def answer_from_facts(q: Analysis, base: FactBase, docs: Sequence[str], context: str = "",
                      titles: dict[str, str] | None = None, routed: bool = False,
                      passages: dict[str, str] | None = None) -> FactAnswer | None:
    """The fact answer to an analysed question, or None. `docs`: the retrieved documents, best
    first (records are looked up in these); `titles`: doc_id -> title, for linking by document;
    `passages`: doc_id -> the text of its retrieved passages (a document's topic beyond its title)."""
    titles = titles or {}
    if short := short_years(q.text):  # "22年" is 2022
        q = replace(q, years=tuple(dict.fromkeys(q.years + short)),
                    critical=tuple(t for t in q.critical if t not in {str(y - 2000) for y in short}))
    if "提名" in q.text:
        return None  # nominations are not records
    found = _appointment(q, base, docs)
    roles = asked_roles(q)
    if found is None and roles:
        found = _group(q, roles, base, docs, context, titles)
    if found is None and q.qtype in ("when", "docnum", "general", "list", "number"):
        found = _document(q, base, docs, titles, routed, passages or {})
    if found is None:
        return None
    if q.years and not any(_in_years(f, q.years) or any(str(y) in titles.get(f.doc_id, "") for y in q.years)
                           for f in found.facts):
        return None  # the question asks about another year (not even its plan's period): the refusal rules decide
    said = squash(" ".join(f"{f.subject} {f.parent or ''} {titles.get(f.doc_id, '')} {f.value} {f.detail or ''}"
                           for f in found.facts))
    if not all(has_term(term, said) for term in q.critical if not term.isdigit() or len(term) != 4):
        return None  # "the 8th census": the records are about another one
    if not all(m.search(found.short_answer) for m in q.measures):
        return None  # "第几次常务会议": the records do not say
    return found


def _in_years(fact: Fact, years: Sequence[int]) -> bool:
    return any((fact.date or "").startswith(str(y)) for y in years)


def _group(q: Analysis, roles: Sequence[str], base: FactBase, docs: Sequence[str], context: str,
           titles: dict[str, str]) -> FactAnswer | None:
    """The body the question means and its holders of each asked post."""
    if q.parts > len(roles) and not (roles[0] == "办公室" and q.parts == 2):
        return None  # it also asks something no record holds ("链长是谁？牵头部门是哪个？")
    role = roles[0]
    rank = {d: i for i, d in enumerate(docs)}
    facts = [f for d in docs for f in base.by_doc.get(d, []) if f.kind == "group" and f.role == role]
    if topic(q):
        context = ""  # the question names its body itself; a follow-up ("副组长呢？") takes the previous one's
    pairs, literal = topic(q, context), topic(q, context, literal=True)
    if not literal or (len(literal) < 2 and not q.english):
        literal = pairs  # no Chinese words of its own: its glossary terms say what it is about
    named = aliases_in(q, base.facts)
    if named and not pairs:  # "市领导小组办公室设在哪里": every body of that short name
        facts = [f for f in base.facts if f.kind == "group" and f.role == role and f.subject in named]
        docs = list(dict.fromkeys([*docs, *(f.doc_id for f in facts)]))
        rank = {d: i for i, d in enumerate(docs)}
    if not facts:
        return _absent(q, role, base, docs, pairs, literal, titles)
    bodies: dict[tuple[str, str], float] = {}
    for fact in facts:
        key = (fact.doc_id, fact.subject)
        if key in bodies:
            continue
        name = f"{fact.subject} {fact.parent or ''} {fact.detail or ''}"
        title = titles.get(fact.doc_id, "")
        if role == "牵头单位":  # a task, not a body: its own words must match
            score = max(share(pairs, fact.subject), share(literal, fact.subject))
        else:
            score = max(share(pairs, name, title), share(literal, name, title))
        if fact.subject in named:  # the short name the question uses ("市领导小组") is this body's
            score = 1.0 if not pairs else min(1.0, score + 0.5)
        if q.years and _in_years(fact, q.years):
            score += 0.05
        bodies[key] = score - 0.01 * rank[fact.doc_id]  # the retriever's order breaks ties
    best = max(bodies.values())
    if best < MIN_TOPIC:
        return _absent(q, role, base, docs, pairs, literal, titles)
    top = [k for k, s in bodies.items() if s >= best - 0.02]
    if len({k[1] for k in top}) > 1 and len({k[0] for k in top}) > 1:  # several bodies fit equally: list each
        chosen = [next(f for f in facts if (f.doc_id, f.subject) == k) for k in top[:4]]
        lines = [f"{f.subject}（{f.date[:4] if f.date else ''}）{f.role}：{_values(facts, [f])}" for f in chosen]
        return FactAnswer(tuple(chosen), "\n".join(lines), "ambiguous", best)
    doc_id = top[0][0]
    subjects = {k[1] for k in top if k[0] == doc_id}  # one document may name its body twice
    chosen = [f for f in facts if f.doc_id == doc_id and f.subject in subjects]
    parts = [(role, chosen)]
    others = [r for r in roles[1:]] + (["办公室主任"] if role == "办公室" and "办公室主任" not in roles else [])
    broad = role == "组长" and len(roles) == 1 and bool(_WHO_LEADS.search(q.text))
    if broad:  # "who leads the 自建房 inspection?": the head, where the office sits, the working team
        others.append("办公室")
    for other in others:  # the other posts asked, of the same body
        more = [f for f in base.by_doc.get(doc_id, []) if f.kind == "group" and f.role == other and f.subject in subjects]
        if more:
            parts.append((other, more))
        elif other in roles:
            return None
    if broad:
        team = [f for f in base.by_doc.get(doc_id, []) if f.kind == "group" and f.subject.endswith("专班")
                and f.role in ("组长", "主任")]
        if team:
            parts.append(("工作专班" + team[0].role, team[:1]))
    if len(parts) == 1:
        short = _values(chosen, chosen)
    else:
        short = "；".join(f"{r}：{_values(fs, fs)}" for r, fs in parts)
    return FactAnswer(tuple(f for _, fs in parts for f in fs), short, "group", best)


PERSON_ROLES = ("组长", "常务副组长", "副组长", "办公室主任", "办公室副主任", "总指挥", "副总指挥", "指挥长", "副指挥长",
                "召集人", "副召集人", "联络员")
SURE = 0.9  # a body linked this well, with a members list that lacks the post asked: the post is not there


def _absent(q: Analysis, role: str, base: FactBase, docs: Sequence[str], pairs: Sequence[str],
            literal: Sequence[str], titles: dict[str, str]) -> FactAnswer | None:
    """"七普领导小组办公室的副主任是谁": the body is certain, its members list is there, the post is not."""
    if role not in PERSON_ROLES:
        return None
    scores: dict[tuple[str, str], float] = {}
    for doc_id in base.by_doc:  # any document: the body must be certain, wherever it is
        for f in base.by_doc[doc_id]:
            if f.kind == "group" and f.role in PERSON_ROLES and (doc_id, f.subject) not in scores:
                name = f"{f.subject} {f.parent or ''} {f.detail or ''}"
                scores[(doc_id, f.subject)] = max(share(pairs, name, titles.get(doc_id, "")),
                                                  share(literal, name, titles.get(doc_id, "")))
    sure = [k for k, s in scores.items() if s >= SURE]
    if len(sure) != 1:
        return None
    doc_id, subject = sure[0]
    listed = [f for f in base.by_doc[doc_id] if f.kind == "group" and f.subject == subject and f.person]
    if len(listed) < 3:
        return None  # no members list to speak of: the reader looks in the text
    return FactAnswer((), f"{subject}|{role}", "absent", scores[sure[0]])


def _values(facts: Sequence[Fact], like: Sequence[Fact]) -> str:
    """The holders of the post of `like[0]` in its body, each person once."""
    first = like[0]
    same = [f for f in facts if f.doc_id == first.doc_id and f.role == first.role
            and f.subject in {x.subject for x in like}]
    seen: dict[str, str] = {}
    for f in same:
        seen.setdefault(f.person or f.value, f.value)
    return "、".join(seen.values())


def _appointment(q: Analysis, base: FactBase, docs: Sequence[str]) -> FactAnswer | None:
    """A person named in the question: their appointments and removals in date order (those asked
    for); a post named with 任命/免去 words: who was appointed to (or removed from) it, and when."""
    facts = [f for f in base.facts if f.kind == "appointment"]
    flat = squash(q.text)
    people = {f.person for f in facts if f.person and f.person in flat}
    removal, appoint = asks_removal(q.text), asks_appointment(q.text)
    if people:
        mine = [f for f in facts if f.person in people]
        if q.months:
            mine = [f for f in mine if (f.date or "")[:7] in q.months] or mine
        if q.years:
            mine = [f for f in mine if _in_years(f, q.years)] or mine
        if asks_successor(q.text):  # "who replaced 张峥嵘": the next appointment to the post he left
            out = []
            for gone in (f for f in mine if f.role == "免去"):
                after = sorted((f for f in facts if f.role == "任命" and (f.date or "") >= (gone.date or "")
                                and post_core(f.post or "") == post_core(gone.post or "")), key=lambda f: f.date or "")
                out += after[:1]
            if out:  # and where the person named went
                own = [f for f in mine if f.role in ("任命", "聘任")][:2]
                return FactAnswer(tuple(out + own), "；".join(_line(f, base, person=True) for f in out + own),
                                  "appointment")
        if removal and not appoint:
            mine = [f for f in mine if f.role in ("免去", "解聘")] or mine
        elif appoint and not removal:
            mine = [f for f in mine if f.role in ("任命", "聘任")] or mine
        mine.sort(key=lambda f: (f.date or "", f.start))
        many = len(people) > 1
        return FactAnswer(tuple(mine[:6]), "；".join(_line(f, base, person=many) for f in mine[:6]), "appointment")
    if not (removal or appoint) or _GROUP_WORDS.search(q.text):
        return None  # a post of a leading group is read from the group's records
    scored = [(post_match(f.post or "", q.text), f) for f in facts]
    best = max((s for s, _ in scored), default=0.0)
    if best < 1.0:
        return None
    mine = [f for s, f in scored if s >= best]
    if q.months:
        mine = [f for f in mine if (f.date or "")[:7] in q.months]
    elif q.years:
        mine = [f for f in mine if _in_years(f, q.years)]
    if not mine:
        return None
    wanted = ("免去", "解聘") if removal and not appoint else ("任命", "聘任")
    first = sorted((f for f in mine if f.role in wanted), key=lambda f: (f.date or "", f.start)) or mine
    related = [f for f in mine if f not in first and f.doc_id in {x.doc_id for x in first}]
    chosen = first[:4] + related[:2]
    return FactAnswer(tuple(chosen), "；".join(_line(f, base, person=True) for f in chosen), "appointment")


def _line(fact: Fact, base: FactBase, person: bool = False) -> str:
    """"2021年2月25日（阳政任字〔2021〕5号）任命为阳泉市民政局局长", with the person first if asked."""
    verb = f"{fact.role}{'为' if fact.role in ('任命', '聘任') else ''}{fact.value}"
    notice = next((f.value for f in base.by_doc.get(fact.doc_id, []) if f.role == "文号"), "")
    when = _as_of(fact) + (f"（{notice}）" if notice else "")
    return f"{fact.person}：{when}{verb}" if person else f"{when}{verb}"


def _as_of(fact: Fact) -> str:
    if not fact.date:
        return ""
    y, m, d = (int(x) for x in fact.date.split("-"))
    return f"{y}年{m}月{d}日"


def _document(q: Analysis, base: FactBase, docs: Sequence[str], titles: dict[str, str],
              routed: bool, passages: dict[str, str]) -> FactAnswer | None:
    """施行 / 有效期 / 废止 / 阶段 of the document the question is about."""
    fields = asked_fields(q)
    if not fields or not docs:
        return None
    pairs = topic(q)
    if fields[0] == "废止":
        return _repeal(q, base, docs, titles, pairs)
    if fields[0] == "阶段":
        f = _stage(q, base, docs)
        return FactAnswer((f,), f"{f.subject}：{f.value}", "document") if f else None
    doc_id = docs[0]
    if not routed and share(pairs, titles.get(doc_id, ""), passages.get(doc_id, ""), 1.0) < MIN_TOPIC:
        return None
    chosen = []
    for name in fields:
        found = [f for f in base.by_doc.get(doc_id, []) if f.role == name]
        if len({f.value for f in found}) > 1:  # the document's own ("本办法…有效期5年") over others'
            found = [f for f in found if f.detail == "本文件"] or found
        if len({f.value for f in found}) != 1:
            return None  # not stated, or stated twice differently: the reader decides
        chosen.append(found[0])
    short = chosen[0].value if len(chosen) == 1 else "；".join(f"{f.role}：{f.value}" for f in chosen)
    return FactAnswer(tuple(chosen), short, "document")


def _repeal(q: Analysis, base: FactBase, docs: Sequence[str], titles: dict[str, str],
            pairs: Sequence[str]) -> FactAnswer | None:
    """"X废止了哪个文件" -> the repealed document; "X被哪个文件废止" -> the document that repealed it."""
    flat = squash(q.text)
    for doc_id in docs:
        for f in base.by_doc.get(doc_id, []):
            if f.role != "废止":
                continue
            if asks_repealing_document(q.text):
                if squash(f.value) in flat or share(pairs, f.detail or "") >= 0.6:
                    number = next((x.value for x in base.by_doc[doc_id] if x.role == "文号"), "")
                    return FactAnswer((f,), f"{number}《{titles.get(doc_id, f.subject)}》".strip(), "document")
            elif share(pairs, titles.get(doc_id, "")) >= MIN_TOPIC:
                title = f"《{f.detail}》" if f.detail and f.detail != f.value else ""
                return FactAnswer((f,), f"{title}（{f.value}）" if title else f.value, "document")
    return None


_STAGE_AT = re.compile(r"\b(first|initial|second|third|fourth|final|last|closing)\b(?=[\w\s-]{0,40}\b(?:phase|stage)s?\b)"
                       r"|第([一二三四五])阶段|(最后|最终)[一个]*阶段", re.I)
_AT = {"first": 0, "initial": 0, "second": 1, "third": 2, "fourth": 3, "final": -1, "last": -1, "closing": -1}


def _stage(q: Analysis, base: FactBase, docs: Sequence[str]) -> Fact | None:
    """The stage a question names: by its name (Chinese characters, or the glossary's Chinese for
    English words, which match a name less closely), else by position ("final phase", 第二阶段)
    among the stages of the best document that has them."""
    said = f"{q.text} {expand(q.text)}" if q.english else q.text
    stages = [(share(_pairs_of(f.subject), said), f) for d in docs[:3] for f in base.by_doc.get(d, [])
              if f.role == "阶段"]
    named = [(s, f) for s, f in stages if s >= (0.6 if q.english else 0.75)]
    if named:
        best = max(s for s, _ in named)
        return next(f for s, f in named if s == best)
    at = _STAGE_AT.search(q.text)
    if not at and q.english and stages:  # "the main fix-up phase": a glossary word (治理) names one stage alone
        best = max(s for s, _ in stages)
        top = [f for s, f in stages if s == best]
        return top[0] if best > 0 and len(top) == 1 else None
    if not at or not stages:
        return None
    of_doc = sorted((f for _, f in stages if f.doc_id == stages[0][1].doc_id), key=lambda f: f.start)
    word, digit, last = at.groups()
    i = -1 if last else "一二三四五".index(digit) if digit else _AT[word.lower()]
    return of_doc[i] if -len(of_doc) <= i < len(of_doc) else None


def _pairs_of(text: str) -> list[str]:
    flat = squash(text).removesuffix("阶段")
    return [a + b for a, b in zip(flat, flat[1:])]



def structured_facts(q: Analysis, ev, tools) -> "Candidate | None":
    """The reader strategy (qa/reader/strategies.py): a Candidate quoting the records' exact rows or
    clauses, the direct answer first; None when no record answers with confidence."""
    from ..reader.refusal import Refusal
    from ..reader.strategies import Candidate

    if ev.facts is None or ev.fact_unit is None:
        return None
    docs = list(dict.fromkeys(h.chunk.doc_id for h in ev.hits))
    passages: dict[str, str] = {}
    for hit in ev.hits:
        passages[hit.chunk.doc_id] = passages.get(hit.chunk.doc_id, "") + hit.chunk.text
    found = answer_from_facts(q, ev.facts, docs, ev.context, ev.titles, ev.routed, passages)
    if found is None:
        return None
    if found.kind == "absent":
        return Candidate("facts", refusal=Refusal("post_missing", found.short_answer))
    units = [u for f in found.facts if (u := ev.fact_unit(f)) is not None]
    if not units:
        return None
    return Candidate("facts", units=tuple(dict.fromkeys(units)), short_answer=found.short_answer, score=found.score)
