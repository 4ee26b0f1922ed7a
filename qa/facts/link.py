"""Entity linking from a question to fact records: the post asked (组长, 办公室主任, where the office
sits, which unit leads), the body meant (by its name, short name or the words of the question), the
person or post of an appointment, the document field asked (施行, 有效期, 废止, 阶段)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from ..glossary import expand
from ..lexicon import question_lexicon, unit_aliases
from ..reader.people import _POST_END
from ..reader.question import Analysis
from ..text import CJK_RE, is_english, squash
from .groups import ROLES
from .records import Fact

# words that name no particular body: a question "市领导小组组长是谁" says nothing of which one
_GENERIC = re.compile(r"阳泉市?|全市|我市|市政府|市级|工作|领导小组|领导组|工作专班|专班|指挥部|委员会|联席会议|工作小组|小组|"
                      r"办公室|下设|设在|牵头|单位|部门|成员|组长|副组长|主任|指挥长|总指挥|召集人|联络员|负责人|"
                      r"那个|这个|哪个|哪里|哪儿|在哪|是谁|谁是|什么|多少|一下|请问|呢|吗|的|了|是|谁|由|和|与|"
                      r"任命|免去|免职|当上|担任|接任|被|为|哪年|哪月|时候|何时|年|月|日|\d+|"
                      r"文号|出来|以后|之后|新的|旧的|(?:新|旧)(?=预案|文件|办法|方案)|废掉|废止|作废|是啥|啥|哪份|文件|"
                      r"管几年|生效|施行|实施|开始|结束|有效期|几年|多久|按照?|根据|里面?|中的?|时(?=[^\u4e00-\u9fff]|$)")
_OFFICE = re.compile(r"办公室(?:设在|在哪|位于|设于|放在|挂靠)|办公室.*(?:哪个单位|哪个部门|哪里|哪儿)|"
                     r"office (?:is )?(?:located|based|housed|hosted|sits?|set up)|where.*\boffice\b|which.*hosts? the office",
                     re.I)
_LEADS = re.compile(r"牵头|(?:which|what) (?:unit|department|bureau|agency) (?:leads|is leading|takes the lead)|lead (?:unit|department)",
                    re.I)
_OFFICE_DIRECTOR = re.compile(r"办公室的?主任|office director|director of (?:the |its )?office|head of (?:the |its )?office|"
                              r"(?:runs|heads|leads|directs|in charge of) (?:the |its )?(?:[\w\u4e00-\u9fff]+ )*office", re.I)
_OFFICE_DEPUTY = re.compile(r"办公室的?副主任|deputy (?:office )?directors? of (?:the |its )?office|(?:deputy office|office deputy) directors?",
                            re.I)
_BODY_WORD = re.compile(r"领导小组|领导组|指挥部|委员会|联席会议|专班|leading group|headquarters|committee", re.I)
_REMOVE = re.compile(r"免去|免职|被免|卸任|不再担任|removed|dismissed|relieved|replaced|stepped down", re.I)
_APPOINT = re.compile(r"任命|当上|接任|出任|上任|担任|任职|聘任|被任|新提|提拔|新任|升任|换了|换成|转正|正式任用|confirmed|appointed|became|named|took over|new head|replaced", re.I)
_REPLACED = re.compile(r"接替|接任|replaced|succeeded|took over from|who replaced", re.I)
_FIELDS = (
    ("废止", re.compile(r"废止|作废|废除|废掉|取代|旧文件|旧预案|repeal|supersed|abolish|old document|replaced? (?:the )?(?:old|earlier)", re.I)),
    ("施行", re.compile(r"施行|实施|生效|起效|开始执行|effective|take effect|took effect|in force|come into force", re.I)),
    ("有效期", re.compile(r"有效期|有效多久|管几年|管多久|期限|多长时间有效|valid|validity|expire|how long .*(?:in force|apply|last)", re.I)),
    ("阶段", re.compile(r"阶段|\bstages?\b|\bphases?\b", re.I)),
)


def asked_roles(q: Analysis) -> list[str]:
    """The posts of a body the question asks about, in order, or 办公室 (where the office sits) /
    牵头单位 (which unit leads): "组长、办公室主任分别是谁" -> [组长, 办公室主任]."""
    text = q.text
    found: list[tuple[int, str]] = []
    for pattern, role in ((_OFFICE, "办公室"), (_OFFICE_DEPUTY, "办公室副主任")):
        if m := pattern.search(text):
            found.append((m.start(), role))
    if (m := _OFFICE_DIRECTOR.search(text)) and not any(r == "办公室副主任" for _, r in found):
        found.append((m.start(), "办公室主任"))
    if m := _LEADS.search(text):  # "…领导小组由谁牵头": its head
        found.append((m.start(), "组长" if _BODY_WORD.search(text) and "单位" not in text else "牵头单位"))
    office = any(r.startswith("办公室") for _, r in found)
    located = any(r == "办公室" for _, r in found) and q.english  # "…office, and who heads it?"
    leads = any(r in ("牵头单位", "组长") for _, r in found)  # "which department leads…" is one post, not two
    for slot in q.slots:
        if slot in ("主任", "副主任") and office or slot == "组长" and (located or leads):
            continue
        if slot in ROLES and all(slot != r for _, r in found):
            found.append((text.find(slot) if slot in text else len(text), slot))
    return [r for _, r in sorted(found)]


def topic(q: Analysis, context: str = "", literal: bool = False) -> tuple[str, ...]:
    """The Chinese character pairs that say which body or document is meant: the question's words
    (and, unless `literal`, their glossary terms and unit aliases) without asking words, posts and
    generic names."""
    text = q.text if literal else f"{q.text} {expand(q.text)} {' '.join(unit_aliases(squash(q.text)))}"
    if context:
        text = f"{text} {context} {'' if literal else expand(context)}"
    flat = " ".join(squash(w) for w in text.split())  # words stay apart: no pairs across glossary terms
    parts = [p for p in _GENERIC.split(question_lexicon().asking.sub(" ", flat)) if p]
    pairs = [a + b for part in parts for a, b in zip(part, part[1:]) if CJK_RE.match(a) and CJK_RE.match(b)]
    return tuple(dict.fromkeys(pairs))


def share(pairs: Sequence[str], text: str, fallback: str = "", weight: float = 0.8) -> float:
    """How many of the pairs the text holds (0..1); pairs found only in `fallback` (the document's
    title, say) count `weight`."""
    if not pairs:
        return 0.0
    flat = with_aliases(text)
    other = squash(fallback)
    return sum(1.0 if p in flat else weight if p in other else 0.0 for p in pairs) / len(pairs)


@lru_cache(maxsize=8192)
def with_aliases(text: str) -> str:
    """Squashed text and the other names of the units it names (cached: record names and titles
    are matched against every question)."""
    flat = squash(text)
    return f"{flat} {' '.join(unit_aliases(flat))}"


def aliases_in(q: Analysis, facts: Iterable[Fact]) -> set[str]:
    """Bodies whose short name the question uses ("市防指", "市卫片办")."""
    flat = squash(q.text)
    return {f.subject for f in facts if f.kind == "group" and f.detail and f.detail in flat
            and not re.fullmatch(r"(?:领导小组|领导组|指挥部|委员会|联席会议|专班|工作专班)", f.detail)}


def asked_fields(q: Analysis) -> list[str]:
    """The document facts asked, in the order the question asks them ("啥时候生效、管几年")."""
    found = sorted((m.start(), name) for name, pattern in _FIELDS if (m := pattern.search(q.text)))
    return [name for _, name in found]


def asks_repealing_document(text: str) -> bool:
    """"被哪个文件废止" / "which document repealed X" (not "X废止了哪个文件")."""
    return bool(re.search(r"被[^，。？?]{0,12}(?:废止|废除|取代)|which (?:document|notice|file) (?:repealed|replaced)|repealed by", text, re.I))


def asks_removal(text: str) -> bool:
    return bool(_REMOVE.search(text))


def asks_appointment(text: str) -> bool:
    return bool(_APPOINT.search(text))


def asks_successor(text: str) -> bool:
    return bool(_REPLACED.search(text))


def short_years(text: str) -> tuple[int, ...]:
    """Years written the colloquial way: "22年" -> 2022."""
    return tuple(2000 + int(y) for y in re.findall(r"(?<![\d.])(2\d)\s*年(?![度底初末]?\d)", text))


def post_core(post: str) -> str:
    """"阳泉市民政局局长" -> "民政局局长": the part a question names."""
    return re.sub(r"^(?:阳泉市|阳泉|市)", "", squash(post))


def post_match(post: str, question: str) -> float:
    """1.0 when the question names the post: whole ("民政局局长"), or its unit (by any of its names:
    一中 = 第一中学校) and its title (校长, not 副校长); else the share of the post's character pairs
    in the question. English words count by their Chinese terms (the bilingual lexicon)."""
    core = post_core(post)
    flat = with_aliases(f"{question} {expand(question)}")  # once per question (cached), not per record
    if core and core in flat:
        return 1.0
    title = re.search(rf"副?(?:{_POST_END})$", core)
    if title:
        unit = core[:title.start()]
        unit_core = re.sub(r"(?<=中学)校$|(?<=小学)校$", "", unit)
        named_unit = unit in flat or (len(unit_core) >= 3 and unit_core in flat)
        said = title.group(0) in flat and named_unit
        deputy = not title.group(0).startswith("副") and re.search(rf"副{re.escape(title.group(0))}", flat)
        if said and not deputy:
            return 1.0
        if named_unit and is_english(question):  # "deputy directors of the 强制隔离戒毒所": 副所长
            asks_deputy = bool(re.search(r"\b(?:deputy|vice)\b", question, re.I))
            if asks_deputy == title.group(0).startswith("副") and re.search(
                    r"\b(?:head|director|chief|president|principal|leader|chair)s?\b", question, re.I):
                return 1.0
    pairs = [a + b for a, b in zip(core, core[1:])]
    return sum(p in flat for p in pairs) / len(pairs) if pairs else 0.0
