"""Extractive answers: pick the sentences or table rows that answer the question, verbatim, with
numbered citations; refuse when the evidence does not support the question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .glossary import expand
from .lexical import IdfTable, tokenize
from .qtype import PATTERNS
from .sections import heading_level
from .text import DOC_NUMBER_RE, find_doc_numbers, nfkc, squash, tidy
from .types import Chunk, Citation, Hit

_UNIT_END = re.compile(r"(?<=[。；！？;!?])")
_BOILERPLATE = re.compile(r"各县（区）人民政府|市直各单位|现印发给你们|请认真|遵照执行|贯彻落实。$|此件公开发布|"
                          r"已经市人民政府同意|^阳泉市人民政府(办公室)?$|^\d{4}\s*年\s*\d+\s*月\s*\d+\s*日$")
_CJK = re.compile(r"[\u3400-\u9fff]")
MAX_UNIT = 220


@dataclass(frozen=True)
class Unit:
    """A sentence or table row inside a chunk, as source offsets."""

    chunk: Chunk
    rank: int  # rank of the chunk in the evidence list
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.chunk.text[self.start - self.chunk.start:self.end - self.chunk.start]


def split_units(chunk: Chunk, rank: int) -> list[Unit]:
    """Sentences and table rows. Lines that OCR broke mid-sentence are joined first (a line that
    does not end a sentence continues on the next, unless either is a table row or a heading)."""
    units: list[Unit] = []
    for start, end in _logical_lines(chunk):
        line = chunk.text[start - chunk.start:end - chunk.start]
        is_row = "\t" in line or "|" in line
        parts = [line] if is_row or len(line) <= MAX_UNIT // 2 else _UNIT_END.split(line)
        offset = start
        for part in parts:
            text = part.strip()
            if text:
                begin = offset + part.index(text[0])
                units.append(Unit(chunk, rank, begin, begin + len(text)))
            offset += len(part)
    return units


def _logical_lines(chunk: Chunk) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = chunk.start
    open_line = False
    for raw in chunk.text.split("\n"):
        start, end = pos, pos + len(raw)
        pos = end + 1
        line = raw.strip()
        if not line:
            continue
        row = "\t" in line or "|" in line
        if open_line and not row and heading_level(line) is None:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
        open_line = not row and not line.endswith(_SENTENCE_END) and len(line) >= 8
    return spans


_SENTENCE_END = ("。", "；", ";", "：", ":", "！", "？", "!", "?", "）", ")")


def overlap(question_tokens: list[str], text: str, idf: IdfTable) -> float:
    """IDF-weighted share of the question's tokens found in the text."""
    if not question_tokens:
        return 0.0
    flat = squash(text).lower()
    total = sum(idf(t) for t in question_tokens)
    found = sum(idf(t) for t in question_tokens if t in flat)
    return found / total if total else 0.0


# The asking words of a question (not things the evidence should contain).
_ASKING = re.compile(r"多少[钱元人个家项次级名]?|几[个家项次元名人级天年月日位所条种块]?|哪[几些个位里儿家项]+\S?|"
                     r"多长时间?|多久|多大|一共|总共|分别|具体|什么|怎么|怎样|如何|是否|是谁|谁|吗|呢")


def support(question: str, hits: list[Hit], idf: IdfTable, top: int = 3) -> float:
    """How much of the question's Chinese/number vocabulary the best evidence covers (0..1).

    English words are left out: they are never in the Chinese passages. 1.0 when nothing is left.
    """
    tokens = [t for t in set(tokenize(_ASKING.sub(" ", question))) if _CJK.search(t) or t.isdigit()]
    tokens = [t for t in tokens if not any(t != o and t in o for o in tokens)]  # 自建房 covers 自建, 建房
    if not tokens:
        return 1.0
    text = " ".join(h.chunk.header + h.chunk.text for h in hits[:top])
    return overlap(tokens, text, idf)


_CN_NUM = "一二三四五六七八九十"
_CRITICAL = re.compile(rf"\d{{2,}}(?:\.\d+)?|第[{_CN_NUM}\d]+(?:次|届|批|季度|中学|人民医院|小学)")


def critical_terms(question: str) -> list[str]:
    """Specifics a question is about (years, figures, ordinals such as 第四次/第五中学/第一季度) that
    the evidence must contain; when it lacks one, the gazettes answer another question."""
    text = squash(f"{question} {expand(question)}")
    return list(dict.fromkeys(_CRITICAL.findall(text)))


def missing_terms(question: str, hits: list[Hit], top: int = 3) -> list[str]:
    evidence = squash(" ".join(h.chunk.header + h.chunk.text for h in hits[:top]))
    return [t for t in critical_terms(question) if t not in evidence]


_SLOTS = ("常务副组长", "副组长", "组长", "常务副主任", "副主任", "主任", "副指挥长", "指挥长", "副总指挥", "总指挥",
          "副局长", "局长", "副校长", "校长", "副院长", "院长", "副市长", "秘书长", "副总经理", "总经理",
          "负责人", "成员", "联络员")
_SLOT_EN = {"leader": "组长", "leads": "组长", "heads": "组长", "head": "组长", "chairs": "组长",
            "director": "主任", "commander": "指挥长", "commander-in-chief": "总指挥", "principal": "校长",
            "president": "院长", "general manager": "总经理"}


def asked_slots(question: str) -> list[str]:
    """Posts the question asks about (组长, 办公室主任, 指挥长…), most specific first."""
    text = squash(question).lower()
    slots = [s for s in _SLOTS if s in text]
    slots = [s for s in slots if not any(s != o and s in o for o in slots)]
    for word, slot in _SLOT_EN.items():
        if re.search(rf"\b{re.escape(word)}\b", question, re.I) and slot not in slots:
            slots.append(slot)
    return slots


def _fills_slot(text: str, slot: str) -> bool:
    """'组 长：韩加政', '韩加政任组长', '由韩加政担任组长', '| 组长 | 张三 |', '李海民为…局长'."""
    flat = squash(text)
    if "副" not in slot and f"副{slot}" in flat and slot not in flat.replace(f"副{slot}", ""):
        return False
    return bool(re.search(rf"{slot}[：:|]+[^，。；]{{2,}}|[\u4e00-\u9fff]{{2,4}}(?:同志)?(?:任|为|兼任|担任)\S{{0,20}}{slot}|"
                          rf"由\S{{2,12}}(?:任|担任|兼任){slot}|^\|?{slot}\|", flat))


def score_units(question: str, qtype: str, units: list[Unit], idf: IdfTable,
                context: str = "") -> list[tuple[float, Unit]]:
    """Score each unit: the question's words in it, in its passage and section path; the kind of
    thing asked for (a name in the asked post, a date, an amount…); the rank of its passage.
    Boilerplate and lead-in lines ("成立…领导小组：") score low since the answer follows them."""
    qtokens = list(dict.fromkeys(tokenize(f"{question} {expand(question)}")))
    ctokens = list(dict.fromkeys(qtokens + tokenize(context))) if context else qtokens
    pattern = PATTERNS.get(qtype)
    slots = asked_slots(question) if qtype in ("who", "dept") else []
    passage_rel: dict[str, float] = {}
    scored = []
    for unit in units:
        text = unit.text.strip()
        key = unit.chunk.chunk_id
        if key not in passage_rel:
            passage_rel[key] = overlap(ctokens, f"{unit.chunk.header} {unit.chunk.text}", idf)
        score = 0.55 * overlap(qtokens, text, idf) + 0.35 * passage_rel[key]
        score += 0.2 * overlap(qtokens, unit.chunk.section, idf)
        if pattern and pattern.search(text):
            score += 0.35 if qtype in ("who", "dept", "when", "number") else 0.2
        if slots and any(_fills_slot(text, slot) for slot in slots):
            score += 0.5
        if _BOILERPLATE.search(text):
            score -= 0.6
        if text.endswith(("：", ":")) and qtype != "list":
            score -= 0.3
        if len(squash(text)) < 6:
            score -= 0.5
        score += 0.2 / (1 + unit.rank)
        scored.append((score, unit))
    scored.sort(key=lambda su: (-su[0], su[1].rank, su[1].start))
    return scored


def select_units(question: str, qtype: str, hits: list[Hit], idf: IdfTable,
                 body_start: dict[str, int] | None = None, max_units: int = 3,
                 context: str = "") -> list[Unit]:
    """The best unit, plus up to two more that are nearly as good (more for lists and procedures).
    Units before `body_start[doc_id]` (title block and 文号 line) are not candidates."""
    body_start = body_start or {}
    units = [u for rank, hit in enumerate(hits) for u in split_units(hit.chunk, rank)
             if u.start >= body_start.get(u.chunk.doc_id, 0)]
    scored = score_units(question, qtype, units, idf, context)
    if not scored:
        return []
    best_score, best = scored[0]
    chosen = [best]
    if qtype in ("list", "procedure"):  # the items that follow the best line in the same chunk
        same = sorted((u for s, u in scored if u.chunk is best.chunk and u.start > best.start
                       and s > best_score * 0.35), key=lambda u: u.start)
        chosen += same[: max_units + 1]
    limit = max_units + (2 if qtype in ("list", "procedure") else 0)
    for score, unit in scored[1:]:
        if len(chosen) >= limit:
            break
        if score >= best_score * 0.8 and unit not in chosen and len(unit.text) > 6:
            chosen.append(unit)
    return _with_lead_ins(chosen, units)


def _with_lead_ins(chosen: list[Unit], units: list[Unit]) -> list[Unit]:
    """A chosen table row or list item is shown after the line that introduces it ("组长：" rows
    after "成立…领导小组："), when that line is in the same passage."""
    out = list(chosen)
    for unit in chosen:
        before = [u for u in units if u.chunk is unit.chunk and u.end <= unit.start]
        row = "\t" in unit.text or "|" in unit.text or re.match(r"\S{1,6}\s*[：:]", unit.text)
        if row and before:
            lead = next((u for u in reversed(before) if u.text.rstrip().endswith(("：", ":"))
                         and "\t" not in u.text and "|" not in u.text
                         and not _BOILERPLATE.search(u.text)), None)
            if lead and lead not in out:
                out.append(lead)
    return out


def compose(units: list[Unit], source_chunk, citation) -> tuple[str, list[Citation]]:
    """Answer text and the citations it uses: passages in the order their best unit was chosen,
    units in text order inside a passage, each run of one passage followed by its [n].

    `source_chunk(unit)` gives the indexed chunk a unit is quoted from; `citation(chunk, n)` its Citation.
    """
    first_seen = {id(u.chunk): i for i, u in reversed(list(enumerate(units)))}
    order = sorted(units, key=lambda u: (first_seen[id(u.chunk)], u.start))  # best passage first
    numbers: dict[str, int] = {}
    cited: list[Chunk] = []
    groups: list[tuple[int, list[str]]] = []  # consecutive units of one source share one [n]
    for unit in order:
        chunk = source_chunk(unit)
        if chunk.chunk_id not in numbers:
            numbers[chunk.chunk_id] = len(numbers) + 1
            cited.append(chunk)
        n = numbers[chunk.chunk_id]
        text = tidy(unit.text).replace("\n", " ")
        if groups and groups[-1][0] == n:
            groups[-1][1].append(text)
        else:
            groups.append((n, [text]))
    parts = [f"{_join(texts)}[{n}]" for n, texts in groups]
    return _join(parts), [citation(chunk, n) for n, chunk in enumerate(cited, start=1)]


def _join(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if out and not re.search(r"[。；：！？.!?:;]$|[。；：！？.!?:;]\[\d+\]$", out):
            out += "；" if _CJK.search(out[-6:]) else "; "
        elif out and not out.endswith(("：", ":")):
            out += " "
        out += part
    return out


CITATION = re.compile(r"\[(\d+)\](?!\s*\d+\s*号)")  # [n], but not the year in 阳政发[2022]5号

# Verification (also used for LLM answers): every number, date, 文号 and person name in an answer
# must appear in a cited passage, and every [n] must exist.
_NUMBERS = re.compile(r"\d+(?:\.\d+)?(?:万元|亿元|元|%|％|年|个月|月|日|个|家|户|人|名|项|次|天|小时|平方米|米|吨|辆|座)?")


def verify(answer: str, citations: list[Citation] | tuple[Citation, ...]) -> list[str]:
    """Problems that make an answer unverifiable; [] when every checked claim is in a cited passage."""
    problems = []
    numbers = {c.n for c in citations}
    for ref in CITATION.findall(answer):
        if int(ref) not in numbers:
            problems.append(f"citation [{ref}] does not exist")
    body = CITATION.sub(" ", answer)
    passages = squash(" ".join(f"{c.title} {c.doc_number or ''} {c.quote}" for c in citations))
    cited_numbers = set(find_doc_numbers(passages))
    for number in find_doc_numbers(body):  # any bracket or spacing variant
        if number not in cited_numbers:
            problems.append(f"文号 {number} is not in the cited passages")
    body = DOC_NUMBER_RE.sub(" ", nfkc(body))
    for number in _NUMBERS.findall(squash(body)):  # with its unit, not as part of a longer number
        if not re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", passages):
            problems.append(f"number {number} is not in the cited passages")
    for name in person_names(body):
        if squash(name) not in passages:
            problems.append(f"name {name} is not in the cited passages")
    return problems


def person_names(text: str) -> list[str]:
    """Person names jieba's tagger finds (nr), for checking; short common words are left out."""
    import jieba.posseg as posseg

    names = []
    for word, flag in posseg.lcut(re.sub(r"\s+", "", text)):
        if flag == "nr" and 2 <= len(word) <= 4 and word not in names:
            names.append(word)
    return names
