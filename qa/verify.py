"""Verification of answers (extractive and LLM): every number, date, 文号, person name, post (市长,
副局长 …) and unit (市住建局 …) an answer states must appear in a passage it cites, and every [n]
must exist. LLM answers are checked sentence by sentence against the passages that sentence cites;
English sentences through the bilingual lexicon's English names and numbers compared by value
("1.2 million" is 120万)."""

from __future__ import annotations

import re
from functools import cache

from .text import CJK_RE, DOC_NUMBER_RE, find_doc_numbers, nfkc, squash
from .types import Citation

CITATION = re.compile(r"\[(\d+)\](?!\s*\d+\s*号)")  # [n], but not the year in 阳政发[2022]5号
CONTROL = re.compile(r"NOT[_\s]?FOUND|<\|[^|>]*\|>|</?s>|\[/?INST\]", re.I)  # never shown to a user

_NUMBERS = re.compile(r"\d+(?:\.\d+)?(?:万元|亿元|元|%|％|年|个月|月|日|个|家|户|人|名|项|次|天|小时|平方米|米|吨|辆|座)?")
_EN_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:\s*(hundred million|million|billion|thousand))?",
                        re.I)
_EN_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "hundred million": 1e8}
_CN_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿)?")
_CN_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_EXTRA_POSTS = ("组长", "副组长", "常务副组长", "成员", "联络员", "主任", "副主任", "局长", "副局长", "书记", "副书记",
                "部长", "副部长", "总指挥", "副总指挥", "指挥长", "副指挥长", "秘书长", "副秘书长", "市长", "副市长")


def verify(answer: str, citations: list[Citation] | tuple[Citation, ...]) -> list[str]:
    """Problems that make an answer unverifiable; [] when every checked claim is in a cited passage."""
    problems = []
    numbers = {c.n for c in citations}
    for ref in CITATION.findall(answer):
        if int(ref) not in numbers:
            problems.append(f"citation [{ref}] does not exist")
    body = CITATION.sub(" ", answer)
    return problems + claim_problems(body, passage_text(citations))


def passage_text(citations) -> str:
    """What an answer may draw on: the cited passages' titles, 文号 and quotes, squashed."""
    return squash(" ".join(f"{c.title} {c.doc_number or ''} {c.quote}" for c in citations))


def claim_problems(body: str, passages: str) -> list[str]:
    """The claims of `body` (no [n] marks) that `passages` (squashed) does not contain."""
    problems = []
    if CONTROL.search(body):
        problems.append(f"it contains a control token ({CONTROL.search(body).group()})")
    cited_numbers = set(find_doc_numbers(passages))
    for number in find_doc_numbers(body):  # any bracket or spacing variant; 政任字〔2021〕2号 is 阳政任字〔2021〕2号
        if not any(c.endswith(number) or number.endswith(c) for c in cited_numbers):
            problems.append(f"文号 {number} is not in the cited passages")
    body = DOC_NUMBER_RE.sub(" ", nfkc(body))
    if CJK_RE.search(body) and not re.search(r"[A-Za-z]{3,}", body):
        for number in _NUMBERS.findall(squash(body)):  # with its unit, not as part of a longer number
            tail = r"(?![\d])" if number[-1].isdigit() else ""  # 20 is not in 200; 2020年 is in 2020年11月
            if not re.search(rf"(?<![\d.]){re.escape(number)}{tail}", passages):
                problems.append(f"number {number} is not in the cited passages")
    else:  # English: numbers by value ("1,200,000 tonnes" is 120万吨)
        allowed = passage_values(passages)
        for value, shown in english_numbers(body):
            if not any(abs(value - v) <= 1e-9 * max(1.0, v) for v in allowed):
                problems.append(f"number {shown} is not in the cited passages")
    for name in person_names(body):
        if squash(name) not in passages:
            problems.append(f"name {name} is not in the cited passages")
    for term, kind in named_terms(body):
        if not any(_holds(passages, t) for t in _spellings(term)):
            problems.append(f"{kind} {term} is not in the cited passages")
    return problems


def english_numbers(text: str) -> list[tuple[float, str]]:
    """Numbers written in English text, by value: "1,200,000" -> 1200000, "6 million" -> 6e6."""
    out = []
    for m in _EN_NUMBER.finditer(text):
        value = float(m.group(1).replace(",", "") + (m.group(2) or ""))
        out.append((value * _EN_SCALE.get((m.group(3) or "").lower(), 1), m.group().strip()))
    return out


def passage_values(passages: str) -> set[float]:
    """Every number a passage states, also scaled by its 万/亿, and the small Chinese numerals."""
    values: set[float] = set()
    for digits, scale in _CN_NUMBER.findall(passages):
        n = float(digits)
        values |= {n, n * 1e4 if scale == "万" else n, n * 1e8 if scale == "亿" else n}
    values |= {float(v) for c, v in _CN_DIGIT.items() if c in passages}
    return values


@cache
def _terms() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(text as written, kind, Chinese spellings that support it), longest first: Chinese posts and
    units, and their English names from the bilingual lexicon."""
    from .lexicon import bilingual

    lex = bilingual()
    rows: dict[tuple[str, str], set[str]] = {}
    for kind, section in (("post", "posts"), ("unit", "units")):
        for chinese, names in lex[section].items():
            rows.setdefault((chinese, kind), set()).add(chinese)
            for name in names:
                if len(name) >= 5:
                    rows.setdefault((name.lower(), kind), set()).add(chinese)
    for post in _EXTRA_POSTS:
        rows.setdefault((post, "post"), set()).add(post)
    from .reader.english import ROLE_LABELS  # the renderer's labels ("Working team head": 工作专班主任)

    for chinese, label in ROLE_LABELS.items():
        if len(label) >= 5 and re.search(r"head|office|unit", label, re.I):
            rows.setdefault((label.lower(), "post"), set()).add(chinese)
    return tuple(sorted(((t, k, tuple(s)) for (t, k), s in rows.items()), key=lambda r: -len(r[0])))


def named_terms(text: str) -> list[tuple[str, str]]:
    """The posts and units a text names, longest first, each span counted once."""
    flat = squash(text)
    lower = re.sub(r"\s+", " ", text.lower())
    found = []
    for term, kind, _ in _terms():
        if CJK_RE.search(term):
            if term in flat:
                found.append((term, kind))
                flat = flat.replace(term, "\0")
        elif re.search(rf"\b{re.escape(term)}\b", lower):
            found.append((term, kind))
            lower = re.sub(rf"\b{re.escape(term)}\b", "\0", lower)
    return found


def _holds(passages: str, term: str) -> bool:
    """`term` occurs in `passages` on its own, not only inside a longer post (市长 in 副市长)."""
    if term not in passages:
        return False
    for longer, kind, _ in _terms():
        if kind == "post" and term in longer and longer != term and longer in passages:
            passages = passages.replace(longer, "\0")
    return term in passages


def _spellings(term: str) -> list[str]:
    """The Chinese texts that support a post or unit: itself (or the Chinese it names) and the
    other names of those units (市住建局 = 市住房和城乡建设局)."""
    from .lexicon import unit_aliases

    chinese = next((spell for t, _, spell in _terms() if t == term), (term,))
    return [s for c in chinese for s in (c, *unit_aliases(c))]


def person_names(text: str) -> list[str]:
    """Person names jieba's tagger finds (nr), for checking; short common words are left out."""
    import jieba.posseg as posseg

    names = []
    for word, flag in posseg.lcut(re.sub(r"\s+", "", text)):
        if flag == "nr" and 2 <= len(word) <= 4 and word not in names and CJK_RE.search(word):
            names.append(word)
    return names


def split_sentences(text: str) -> list[str]:
    """Sentences with the [n] marks that follow them: "A[1]。B。[2]" -> ["A[1]。", "B。[2]"]."""
    out, start = [], 0
    for m in re.finditer(r"[。！？!?；;]|\.(?=\s|$|\[)|\n+", text):
        if m.start() < start:
            continue
        end = m.end()
        marks = re.match(r"(?:\s*\[\d+\])+", text[end:])
        end += marks.end() if marks else 0
        if text[start:end].strip():
            out.append(text[start:end].strip())
        start = end
    if text[start:].strip():
        out.append(text[start:].strip())
    return out
