"""The analysed question: its language, type (who / dept / when / number / docnum / list /
procedure / general), the posts it asks about, its words and the specifics the evidence must hold."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..glossary import expand
from ..lexical import tokenize
from ..lexicon import document_words, question_lexicon, unit_aliases
from ..text import CJK_RE, is_english, nfkc, squash

_CN_NUM = "一二三四五六七八九十"
_CRITICAL = re.compile(rf"\d{{2,}}(?:\.\d+)?(?:亿元|万元|亿|万|元|%)?|第[{_CN_NUM}\d]+(?:次|届|批|季度|中学|人民医院|小学)")
# "8th" anywhere; a word ordinal only before a counted thing ("second batch", not "the first report")
_COUNTED = r"(?:national |provincial |municipal |city )?(?:census|batch|round|session|plenary|meeting|award|prize|quality award|quarter|phase|stage|group|team|school|middle school|hospital|people's hospital|congress|edition|term|inspection|five-year)"
_ORDINAL_EN = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)\b|\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)(?= {_COUNTED}\b)",
                         re.I)
_FIVE_YEAR = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\s+five[- ]year", re.I)
_ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_MONTH = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:年|年度)?(?!\d)")


@dataclass(frozen=True)
class Analysis:
    text: str
    english: bool
    qtype: str
    slots: tuple[str, ...]  # posts asked about (组长, 办公室主任 …), most specific first
    tokens: tuple[str, ...]  # words of the question and their glossary terms, for matching sentences
    content: tuple[str, ...]  # Chinese words and figures without the asking words: what evidence must cover
    critical: tuple[str, ...]  # years, figures, ordinals (第四次, 第一季度) the evidence must contain
    years: tuple[int, ...]
    months: tuple[str, ...] = ()  # "2022-09" for 2022年9月
    bigrams: tuple[str, ...] = ()  # Chinese character pairs of the content words
    measures: tuple[re.Pattern[str], ...] = ()  # what the short answer must contain (元 for 多少钱)
    qtypes: tuple[str, ...] = ()  # every type whose pattern matches, in priority order (qtype first)
    parts: int = 1  # how many things it asks ("组长、办公室主任分别是谁", "谁被免去？由谁接任？")
    count: int | None = None  # how many items a list question expects ("哪五块牌子", "which two towns")
    counted: str = ""  # what a Chinese list question counts: "国家重点镇" of "5个国家重点镇是哪几个"
    kinds: tuple[tuple[re.Pattern[str], str, str], ...] = ()  # named things asked for (医院): names, zh, en
    written: tuple[str, ...] = ()  # Chinese terms an English question writes out ("tiers (缴费档次)")


def question_type(question: str) -> str:
    """The first matching type in priority order (qa/lexicon/question.yaml), else 'general'."""
    text = question.strip()
    for name, pattern in question_lexicon().types:
        if pattern.search(text):
            return name
    return "general"


def question_types(question: str) -> tuple[str, ...]:
    """Every type whose pattern matches ("多久内报备、报给谁" is who and when), priority order."""
    found = tuple(name for name, pattern in question_lexicon().types if pattern.search(question.strip()))
    return found or ("general",)


def asked_slots(question: str) -> tuple[str, ...]:
    """Posts the question asks about (组长, 办公室主任, 指挥长…), most specific first."""
    lex = question_lexicon()
    text = squash(question).lower()
    slots = [s for s in lex.slots if s in text]
    slots = [s for s in slots if not any(s != o and s in o for o in slots)]
    taken: list[re.Match] = []
    english: list[str] = []
    for pattern, slot in lex.slots_en:  # the first, most specific reading of each English phrase
        match = pattern.search(question)
        if match and not any(slot in s for s in slots + english) and not any(
                match.start() >= m.start() and match.end() <= m.end() for m in taken):
            english.append(slot)
            taken.append(match)
    return tuple(slots + english)


def critical_terms(question: str) -> tuple[str, ...]:
    """Specifics a question is about (years, figures, ordinals such as 第四次/第五中学/第一季度) that
    the evidence must contain; when it lacks one, the gazettes answer another question."""
    text = nfkc(f"{question} {expand(question)}")
    text = re.sub(r"(?<=[\u4e00-\u9fff])\s+|\s+(?=[\u4e00-\u9fff])", "", text)  # OCR-style spaces in Chinese
    found = _CRITICAL.findall(re.sub(r"\s+", "|", text))  # "Q3 2022" is not 32022
    if is_english(question):  # "8th census" must find 第八, not the 第七 census
        plans = {int(d) for d in _FIVE_YEAR.findall(question)}
        found = [t for t in found if t not in {str(n) for n in plans}]
        for n in plans:
            found.append(chinese_number(n) + "五")  # "14th Five-Year Plan" is written 十四五
        for digits, word in _ORDINAL_EN.findall(question):
            n = int(digits) if digits else _ORDINAL_WORDS.index(word.lower()) + 1
            if 1 <= n <= 19 and n not in plans:
                found.append("第" + chinese_number(n))
    return tuple(dict.fromkeys(found))


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals: 8 -> 八, 12 -> 十二, 20 -> 二十."""
    tens, ones = divmod(n, 10)
    head = ("" if tens == 1 else _CN_NUM[tens - 1]) + "十" if tens else ""
    return head + (_CN_NUM[ones - 1] if ones else "")


def has_term(term: str, flat: str) -> bool:
    """A specific of the question in squashed text: numbers whole (20 is not in 2020; 20亿元 is in
    20亿 and 20亿元), other terms as substrings."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(亿元|万元|亿|万|元|%)?", term)
    if not m:
        if term.startswith("第") and term.endswith("季度"):  # 第三季度 is also printed 2022年三季度
            term = term[1:]
        return term.lower() in flat.lower()
    unit = (m.group(2) or "").rstrip("元") or ""
    return re.search(rf"(?<![\d.]){re.escape(m.group(1))}(?![\d.]){re.escape(unit)}", flat) is not None


_ACRONYM = re.compile(r"^(?=.*[a-z])[a-z0-9]*[a-z][a-z0-9]*$")


def content_tokens(question: str) -> tuple[str, ...]:
    """The question's Chinese words, figures and acronyms (GDP, 5G, PPP), without asking words; a
    word inside a longer one is dropped (自建房 covers 自建, 建房). Other English words are replaced by
    their glossary terms: Chinese passages never hold them."""
    asking = question_lexicon().asking
    english = is_english(question)
    acronyms = set() if english else {  # in a Chinese question, GDP or 5G is written as the documents write it
        w.lower() for w in re.findall(r"(?<![A-Za-z])(?:[A-Z]{2,5}|\d+[A-Za-z]{1,2})(?![A-Za-z])", nfkc(question))}
    text = f"{asking.sub(' ', question)} {expand(question)}" if english else asking.sub(" ", question)
    tokens = [t for t in dict.fromkeys(tokenize(text))
              if CJK_RE.search(t) or t.isdigit() or (t in acronyms and _ACRONYM.match(t))]
    return tuple(t for t in tokens if not any(t != o and t in o for o in tokens))


@lru_cache(maxsize=512)
def analyse(question: str) -> Analysis:
    """The analysis of a question (cached: the API, the follow-up check and the reader all ask)."""
    qtype = question_type(question)
    return Analysis(
        text=question, english=is_english(question), qtype=qtype,
        slots=asked_slots(question) if qtype in ("who", "dept") else (),
        tokens=tuple(dict.fromkeys(tokenize(f"{question} {expand(question)} {' '.join(unit_aliases(squash(question)))} "
                                             f"{' '.join(document_words(squash(question)))}"))),
        content=content_tokens(question), critical=critical_terms(question),
        years=tuple(dict.fromkeys(int(y) for y in _YEAR.findall(nfkc(question)))),
        months=tuple(dict.fromkeys(f"{y}-{int(m):02d}" for y, m in _MONTH.findall(nfkc(question)))),
        bigrams=bigrams(question), parts=asked_parts(question), qtypes=question_types(question),
        measures=tuple(a for q, a in question_lexicon().measures if q.search(question)),
        kinds=tuple((a, zh, en) for q, a, zh, en in question_lexicon().kinds if q.search(question)),
        written=written_terms(question),
        count=asked_count(question) if qtype in ("list", "procedure") else None,
        counted=counted_noun(question) if qtype in ("list", "procedure") else "")


def written_terms(question: str) -> tuple[str, ...]:
    """The Chinese terms an English question writes out ("contribution tiers (缴费档次)"): the user's
    own name for what is asked, without asking words (是谁) and question words (文号)."""
    if not is_english(question):
        return ()
    text = question_lexicon().asking.sub(" ", nfkc(question))
    return tuple(t for t in dict.fromkeys(re.findall(r"[\u4e00-\u9fff]{2,}", text)) if question_type(t) == "general")


COUNTERS = "个块家项类处条种座所位名件"  # measure words of counted items: 五块牌子, 5个重点镇
_COUNT_ZH = re.compile(rf"([两一二三四五六七八九十]|(?<![\d.])\d{{1,2}}(?![\d.]))\s*(?:[{COUNTERS}]|大|方面)")
_COUNT_EN = re.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten|\d{1,2})\s+(?![\d%\s])", re.I)
_NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def asked_count(question: str) -> int | None:
    """How many items the question expects: 哪五块牌子 / 5个国家重点镇 / which two towns -> 5, 5, 2."""
    text = nfkc(question)
    m = _COUNT_ZH.search(text)
    if m:
        word = m.group(1)
        return int(word) if word.isdigit() else (2 if word == "两" else _CN_NUM.index(word) + 1)
    m = _COUNT_EN.search(text) if is_english(question) else None
    if m:
        word = m.group(1).lower()
        return int(word) if word.isdigit() else _NUMBER_WORDS.index(word) + 1
    return None


def counted_noun(question: str) -> str:
    """The thing a Chinese question counts, as it names it after the number: "全市5个国家重点镇是哪几个"
    -> 国家重点镇; "" when the number is followed by no noun of two characters or more ("哪五块")."""
    m = _COUNT_ZH.search(nfkc(question))
    if not m:
        return ""
    rest = question_lexicon().asking.split(squash(nfkc(question))[len(squash(nfkc(question)[:m.end()])):])[0]
    noun = re.match(r"[\u4e00-\u9fff]+?(?=是|为|有|包括|分别|$)|[\u4e00-\u9fff]+", rest)
    return noun.group() if noun and len(noun.group()) >= 2 else ""


def asked_parts(question: str) -> int:
    """Questions within the question: asking words in separate clauses, or 分别/respectively."""
    text = nfkc(question)
    clauses = [c for c in re.split(r"[?？;；。]|,\s*and\b|(?:,|，|、)(?=\S*(?:谁|哪|多少|几|什么|何时|呢|啥|多长|多大))", text) if c.strip()]
    asking = [c for c in clauses if question_lexicon().asking.search(c) or re.search(r"\b(who|what|when|how|which)\b", c, re.I)]
    if "分别" in text or re.search(r"\brespectively\b", text, re.I):
        return max(2, len(asking))
    return max(1, len(asking))


def bigrams(question: str) -> tuple[str, ...]:
    """Pairs of adjacent Chinese characters of the question without its asking words: a match on
    them does not depend on how jieba cut the words (OCR text, abbreviations)."""
    text = question_lexicon().asking.sub(" ", squash(question))
    pairs = [a + b for a, b in zip(text, text[1:]) if CJK_RE.match(a) and CJK_RE.match(b)]
    return tuple(dict.fromkeys(pairs))
