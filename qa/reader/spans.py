"""Short answers inside one sentence or table row: dates, periods, numbers, units, 文号, people.

Everything works on a normalized copy of the text (NFKC, no whitespace inside Chinese, "∶" -> ":")
that keeps a map back to the original offsets, so spans are always slices of the text given and
answers are built from verbatim pieces (whitespace inside Chinese removed).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from qa.text import DOC_NUMBER_RE

KINDS = ("date", "period", "number", "ratio", "person", "post", "unit", "docnum")
CJK = r"\u3400-\u9fff"
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9.%]")
_CHAR_MAP = {"∶": ":", "﹕": ":", "－": "-", "–": "-", "～": "~", "〜": "~", "﹣": "-",
             **{chr(c): chr(c) for c in range(0x2460, 0x2474)}}  # keep ①…⑳ (NFKC makes them digits)


@dataclass(frozen=True)
class Span:
    kind: str  # "date" | "period" | "number" | "ratio" | "person" | "post" | "unit" | "docnum"
    start: int  # offsets into the text given
    end: int
    text: str  # == text[start:end]


class Norm:
    """`s`: normalized text; `idx[i]`: offset in the original of s[i] (plus one sentinel)."""

    def __init__(self, text: str):
        self.text = text
        chars: list[str] = []
        idx: list[int] = []
        n = len(text)
        for i, c in enumerate(text):
            if c in "\t\n":
                chars.append(c), idx.append(i)
                continue
            if c.isspace():  # keep one space only between two ASCII words/numbers ("2293306 2297688")
                j = i + 1
                while j < n and text[j].isspace() and text[j] not in "\t\n":
                    j += 1
                prev = chars[-1] if chars else ""
                if prev and j < n and _ASCII_ALNUM.match(prev) and _ASCII_ALNUM.match(text[j]) and prev != " ":
                    chars.append(" "), idx.append(i)
                continue
            for ch in _CHAR_MAP.get(c) or unicodedata.normalize("NFKC", c):
                chars.append(ch), idx.append(i)
        idx.append(n)
        self.s = "".join(chars)
        self.idx = idx

    def orig(self, start: int, end: int) -> tuple[int, int]:
        return self.idx[start], (self.idx[end - 1] + 1 if end > start else self.idx[start])

    def span(self, kind: str, start: int, end: int) -> Span:
        a, b = self.orig(start, end)
        return Span(kind, a, b, self.text[a:b])

    def out(self, start: int, end: int) -> str:
        """The original text for s[start:end], whitespace inside Chinese removed."""
        a, b = self.orig(start, end)
        return clean(self.text[a:b])


def clean(piece: str) -> str:
    piece = re.sub(r"\s+", lambda m: " " if _between_ascii(piece, m) else "", piece.strip())
    return piece.replace("**", "")


def _between_ascii(piece: str, m: re.Match) -> bool:
    a, b = m.start(), m.end()
    return a > 0 and b < len(piece) and bool(_ASCII_ALNUM.match(piece[a - 1])) and bool(
        _ASCII_ALNUM.match(piece[b]))


# ---------------------------------------------------------------- numbers, dates, periods
NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CN = "一二三四五六七八九十两百"
UNIT = (r"(?:元/千瓦时|元/吨|元/平方米|元/亩|元/人|元/月|万吨/年|吨/年|吨/日|吨/天|万元|亿元|千元|元|%|‰|万吨|吨|"
        r"平方公里|平方米|平米|公顷|万亩|亩|公里|千米|米|千瓦及以下|千伏|千瓦|兆瓦|kW|MW|kV|万千瓦|°C|℃|万人次|人次|万人|万户|"
        r"个工作日|工作日|个月|小时|分钟|周岁|岁|个|家|户|人|名|项|件|辆|座|台|套|张|次|倍|天|周|年|处|所|条|份|批|类|床|万|亿|度|分)")
_NUMBER_RE = re.compile(rf"(?<![\d.A-Za-z])(?:{NUM})(?:(?:-|~|—|至|到)(?:{NUM}))?{UNIT}(?:/(?:千瓦时|吨|年|日|天|人|月))?")
_RATIO_RE = re.compile(rf"(?<![\d.:])(?:{NUM})(?::(?:{NUM})){{1,3}}(?![\d:])")
_CLASS_RE = re.compile(r"(?<![A-Za-z])(?:IV|V|I{1,3})\s?类(?:水质|水体)?")
_BARE_RE = re.compile(r"(?<![\d.A-Za-z])\d{5,}(?![\d.])")
_D = r"\d{1,2}"
_DATE1 = (rf"(?:\d{{4}}年(?:{_D}月(?:{_D}日)?)?|{_D}月{_D}日|{_D}月)"
          rf"(?:零时|{_D}时|底|末|初|中旬|上旬|下旬|上半年|下半年)?(?:前|以前|之前)?")
_DATE_RE = re.compile(rf"(?<!\d)(?:{_DATE1}|\d{{4}}\.\d{{1,2}}(?:\.\d{{1,2}})?)")
_DATE_RANGE = rf"(?:{_DATE1}|\d{{4}}\.\d{{1,2}})"
_PERIOD_RE = re.compile(
    rf"(?<!\d){_DATE_RANGE}(?:开始)?(?:-|~|—|至|到)+{_DATE_RANGE}(?:结束|止)?"
    rf"|(?:有效期(?:为|至)?|为期|期限为|期限|试用期)(?:\d+|[{_CN}]+)(?:个)?(?:年|月|天|日|小时|工作日)"
    rf"|(?:开工|施工|竣工|验收|申请|受理|发生|结束|到期|届满|期满)(?:前|后)(?:\d+|[{_CN}]+)(?:个)?(?:工作日|小时|分钟|天|日|个月|周|年)(?:内|以内|之内)?"
    rf"|(?:每年|每月|每季度?)?(?<!\d)(?:\d+|[{_CN}]+)(?:个)?(?:工作日|小时|分钟|天|日|个月|周|年)(?:内|以内|之内)"
    rf"|每(?:年|季度|月|周)(?:(?:\d{{1,2}}|[{_CN}]{{1,3}})月)?(?:底|末|初|\d{{1,2}}日)?(?:前|以前)"
    rf"|(?:自|从)?(?:发布|印发|公布|颁布|下发)之日起?(?:施行|实施|执行)?")
_WHEN_SUFFIX = re.compile(r"(?:起施行|起执行|起实施|开始施行|起|开始|之前|前|结束)")

_KEEP_BEFORE = ("不低于|不少于|不高于|不超过|不得低于|不得少于|不得超过|不大于|不小于|低于|高于|超过|少于|小于|大于|"
                "达到|累计达|突破|至少|最低|最高|最多|最长|最短|约|共计|合计|累计|总计|共|达|有效期为|有效期|期限为|期限|"
                "每人每年|每户每年|每人每月|每人|每户|每年|每月|每天|每日|每亩|每平方米|每辆|每座|每家|每个|每次|优惠")
_BEFORE_RE = re.compile(rf"(?:{_KEEP_BEFORE})+$")
_AFTER_RE = re.compile(r"^(?:及以下|及以上|以下|以内|以上|之内|内|左右|\(含\))")
_COUNTED_RE = re.compile(rf"^[{CJK}]{{2,4}}(?=$|[,;。、:)\n\t|])")
DELIM = ",;。:、\t|\n()《》“”\"'[]"


def _find(norm: Norm, kind: str) -> list[tuple[int, int]]:
    s = norm.s
    if kind == "date":
        return [m.span() for m in _DATE_RE.finditer(s) if re.search(r"\d", m.group())
                and not (m.group().endswith("月") and "年" not in m.group() and "日" not in m.group()
                         and not re.search(r"[底末初旬]", m.group()))]
    if kind == "period":
        return [m.span() for m in _PERIOD_RE.finditer(s)]
    if kind == "ratio":
        return [m.span() for m in _RATIO_RE.finditer(s)]
    if kind == "number":
        dates = _find(norm, "date") + _docnum_spans(s)
        out = []
        for m in _NUMBER_RE.finditer(s):
            if any(a <= m.start() < b or a < m.end() <= b for a, b in dates) or s[m.start() - 1:m.start()] == "第" \
                    or re.fullmatch(r"(19|20)\d\d年", m.group()) or s[m.end():m.end() + 1] == "岁":
                continue
            out.append(m.span())
        return out + [m.span() for m in _CLASS_RE.finditer(s)]
    if kind == "docnum":
        return _docnum_spans(s)
    from qa.reader import people
    return people.find(norm, kind)


def find_spans(text: str, kind: str) -> list[Span]:
    """All spans of one kind, in text order."""
    if kind not in KINDS:
        raise ValueError(f"unknown span kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    norm = Norm(text or "")
    return [norm.span(kind, a, b) for a, b in sorted(set(_find(norm, kind)))]


# ---------------------------------------------------------------- 文号, titles, units
_AUTHORITY = "阳晋国中省市县"
_TITLE_RE = re.compile(r"《([^《》]{2,80})》")


def _docnum_spans(s: str) -> list[tuple[int, int]]:
    out = []
    for m in DOC_NUMBER_RE.finditer(s):
        code, start = m.group(1), m.start(1)
        cut = next((i for i, ch in enumerate(code[:-1]) if ch in _AUTHORITY and len(code) - i >= 2),
                   max(0, len(code) - 4))
        out.append((start + cut, m.end()))
    return out


def _docnum_text(s: str, a: int, b: int) -> str:
    m = DOC_NUMBER_RE.search(s[a:b])
    return f"{s[a:b][:m.start(2) - 1].strip()}〔{m.group(2)}〕{int(m.group(3))}号"


# ---------------------------------------------------------------- choosing among candidates
_EN_HINTS = {"subsid": "补贴补助", "reward": "奖励", "price": "价", "rate": "率", "station": "基站", "area": "面积",
             "fail": "不合格", "electric": "电", "insur": "保险", "capacity": "能力", "load": "千瓦",
             "leverage": "带动比", "fee": "费", "compens": "补偿", "share": "比例", "tax": "税"}


def _question_keys(question: str) -> set[str]:
    q = unicodedata.normalize("NFKC", question)
    cjk = re.sub(rf"[^{CJK}]", " ", q)
    keys = {w[i:i + 2] for w in cjk.split() for i in range(len(w) - 1)}
    low = q.lower()
    for en, zh in _EN_HINTS.items():
        if en in low:
            keys |= {zh[i:i + 2] for i in range(0, len(zh) - 1, 2)} | {zh}
    return keys - {"多少", "什么", "哪个", "哪些", "是多", "少个", "几个", "阳泉", "全市", "我市"}


def _overlap(keys: set[str], s: str, a: int, b: int, before: int = 12, after: int = 8,
             others: Sequence[tuple[int, int]] = ()) -> int:
    lo, hi = max(0, a - before), b + after
    for oa, ob in others:  # do not borrow the words that belong to a neighbouring number
        if ob <= a:
            lo = max(lo, ob)
        elif oa >= b and s[b:oa] != "、":  # "200万元、50万元奖励": siblings share the noun
            hi = min(hi, oa)
    window = s[lo:hi]
    return sum(1 for k in keys if k in window)


# ---------------------------------------------------------------- answers per type
_PREP_RE = re.compile(r"^.*(?:按照|依照|按|对|将|把|在|从|由|给予|其中)")


def _subject(s: str, a: int) -> int:
    """Start of a short subject right before a number ("合格率为", "现行税额标准的"), else `a`."""
    window = s[max(0, a - 14):a]
    parts = re.split(rf"([{re.escape(DELIM)}—])", window)
    seg = parts[-1]
    if len(parts) > 1 and parts[-2] == "、" or not seg or re.search(r"\d", seg):
        return a
    bounded = len(parts) > 1 or a - len(window) == 0
    seg = _PREP_RE.sub("", seg)
    if bounded and 2 <= len(seg) <= 8 or len(seg) <= 8 and len(seg) < len(parts[-1]):
        return a - len(seg) if re.fullmatch(rf"[{CJK}]+", seg) else a
    m = re.search(rf"(?:比例|[{CJK}]{{0,2}}率)(?:为|是|达到|达)?$", seg)
    return a - len(m.group()) if m else a


def _number_phrase(norm: Norm, a: int, b: int, ratio: bool) -> tuple[int, int]:
    s = norm.s
    m = _BEFORE_RE.search(s[max(0, a - 12):a])
    if m:  # a comparator / "每人每年": keep it, and a 比例/…率 right before it
        a -= len(m.group())
        r = re.search(rf"(?:比例|[{CJK}]{{0,2}}率)(?:为|是)?$", s[max(0, a - 6):a])
        a -= len(r.group()) if r and not ratio else 0
    elif not ratio:
        a = _subject(s, a)
    every = re.search(rf"每[{CJK}]{{1,2}}?(?:[{CJK}]{{0,4}}?)$", s[max(0, a - 8):a])
    if every and s[b - 1:b] == "次":  # a frequency: "每周召开1次", not "1次"
        a -= len(every.group())
    m = _AFTER_RE.search(s[b:])
    if m:
        b += len(m.group())
    elif not ratio and re.search(r"(个|家|项|名|户|件|人|处|元)$", s[a:b]):
        m = _COUNTED_RE.search(s[b:])
        if m and not re.match(r"的|以|及|和|为|是", m.group()):
            b += len(m.group())
    elif not ratio and s[b - 1] == "%" and s[b:b + 1] == "的":  # "1%的公租房"
        m = _COUNTED_RE.search(s[b + 1:])
        b += len(m.group()) + 1 if m else 0
    return a, b


def _answer_number(question: str, norm: Norm) -> str | None:
    s = norm.s
    q = question.lower()
    keys = _question_keys(question)
    q_nums = set(re.findall(r"\d+(?:\.\d+)?", unicodedata.normalize("NFKC", question)))
    cands = [(a, b, True) for a, b in _find(norm, "ratio")] + [(a, b, False) for a, b in _find(norm, "number")]
    if not cands:
        cands = [(m.start(), m.end(), False) for m in _BARE_RE.finditer(s)]
    if not cands:
        return None
    want_ratio = bool(re.search(r"比例|分担|分摊|怎么分|比$|shared?|split|ratio|proportion", q))
    want_pct = bool(re.search(r"率|比例|百分|percent|share|%", q))
    want_money = bool(re.search(r"钱|元|金额|奖励|奖补|补贴|补助|费|价|reward|subsid|price|cost|fee|budget", q))
    want_total = bool(re.search(r"一共|总共|合计|总计|累计|total|in all", q))
    want_target = bool(re.search(r"[到至达]多少|达到|目标|target|goal", q))
    heads = asked_quantities(question)
    unit_q = re.findall(r"(?:多少|几)(个|家|户|人|名|项|件|辆|座|台|天|次|倍|平方米|亩|吨)", question)

    def score(c):
        a, b, is_ratio = c
        t, before = s[a:b], s[max(0, a - 4):a]
        sc = _overlap(keys, s, a, b, 8, others=[c[:2] for c in cands]) * 2
        sc += 3 * (is_ratio and want_ratio) + 2 * ("%" in t and want_pct)
        sc += 2 * (bool(re.search(r"元", t)) and want_money) + 3 * any(t.endswith(u) for u in unit_q)
        sc += 6 * (want_total and bool(re.search(r"合计|共|累计|总", before)))
        sc += 2 * (want_target and bool(re.search(r"[到至达]|突破", before)))
        sc += 4 * (want_target and bool(re.search(r"[到至]$", before)) and bool(re.search(r"[到至]多少", q)))
        sc -= 6 * (re.match(r"[\d.]+", t).group() in q_nums if re.match(r"[\d.]+", t) else 0)
        sc += 3 * min(3, _head_match(heads, s, a)[0]) + _clause_hits(s, keys, a)
        return sc

    ranked = sorted(cands, key=lambda c: (-score(c), c[0]))
    picks = ranked[:1]
    asks = len(re.findall(r"多少|几[个家项名人]|what|how (?:much|many|is|are)|how\b", q))
    if len(ranked) > 1 and (asks >= 2 or (re.search(r"和|与|及|、|\band\b", q) and _own_hits(s, keys, ranked[1]) >= 2
                                          and _own_hits(s, keys, ranked[0]) >= 2)):
        picks = sorted(ranked[:2])
    from qa.reader.clauses import number_clause
    if len(picks) == 1 and not picks[0][2] and (whole := number_clause(question, norm, picks[0][0])):
        return whole  # "房租怎么补": the clause says how, the number alone does not (a ratio does)
    out = []
    for a, b, r in picks:
        pa, pb = _number_phrase(norm, a, b, r)
        hit, wa = _head_match(heads, s, a)
        out.append(norm.out(wa if hit >= 2 and wa < pa < a else pa, pb))  # "营业收入" + "突破800亿元"
    return "，".join(out)


_HEAD_RE = re.compile(rf"([{CJK}]{{2,}}?)(?:要|能|应|需|将|可以?|大概|大约|约|一共|总共|共)?"
                      rf"(?:达到|到|达|为|是|有|拿到|拿|给|发了|发|提高|降低|降到|压减到)?(?:多少|几)")
_SUBJ_END = re.compile(rf"(?:{_KEEP_BEFORE}|为|是|的|增加到|提高到|降低到|降至|增至|至|到)+$")


def asked_quantities(question: str) -> list[str]:
    """The quantities a question asks for: the words right before 多少/几 ("营收要达到多少" -> 营收),
    and those right after 几+classifier ("有几家不合格" -> 不合格)."""
    q = unicodedata.normalize("NFKC", question)
    heads = [m.group(1)[-8:] for m in _HEAD_RE.finditer(q)]
    heads += re.findall(rf"几[个家项名人件次所座台户类][{CJK}]*?([{CJK}]{{2,8}})(?=[^{CJK}]|$)", q)
    return [h for h in heads if h not in ("一共", "总共", "一年")]


def _head_match(heads: list[str], s: str, a: int) -> tuple[int, int]:
    """How well the words right before the number at `a` name an asked quantity: (length, start).
    Exact shared endings count ("合格率为" / "合格率"), and so do abbreviations by character order
    ("营业收入突破" / "营收": first characters equal, the rest in order within twice the length)."""
    lo = max([s.rfind(c, 0, a) for c in DELIM] + [m.end() for m in re.finditer(r"\d", s[:a])] + [-1]) + 1
    seg = s[lo:a]
    best = (0, a)
    if re.search(r"(?:由|从)(?:目前的?)?$", seg):  # "由40亿元增加到50亿元": the starting value
        return best
    seg = seg[:len(seg) - len(m.group())] if (m := _SUBJ_END.search(seg)) else seg
    for head in heads:
        n = 0
        while n < min(len(head), len(seg)) and head[-1 - n] == seg[-1 - n]:
            n += 1
        if n >= 2:
            best = max(best, (n, lo + len(seg) - n))
            continue
        for k in range(len(head) + 1, min(len(seg), 2 * len(head) + 1) + 1):
            w = seg[-k:]
            it = iter(w[1:])
            if w[0] == head[0] and all(ch in it for ch in head[1:]) and head[-1] in w[-2:] and head not in w:
                best = max(best, (len(head), lo + len(seg) - k))
                break
    return best


def _clause_hits(s: str, keys: set[str], a: int) -> int:
    """Question words in the same ;-clause as the number ("88个政务新媒体账号中，…合格率为97.7%")."""
    lo = max(s.rfind(";", 0, a), s.rfind("。", 0, a)) + 1
    hi = min([i for i in (s.find(";", a), s.find("。", a)) if i >= 0] + [len(s)])
    return min(3, sum(1 for k in keys if k in s[lo:hi]))


def _own_hits(s: str, keys: set[str], cand) -> int:
    a = cand[0]
    seg = re.split(rf"[{re.escape(DELIM)}\d]", s[max(0, a - 8):a])[-1]
    return sum(1 for k in keys if k in seg)


_DURATION_Q = re.compile(r"多久|多长|期限|时限|有效期|为期|几天|几个月|几年|how long|valid|duration|period|within")


def _is_range(s: str, a: int, b: int) -> bool:
    return bool(re.search(r"\d.*(?:至|到|-|~|—).*\d", s[a:b]))


def _answer_when(question: str, norm: Norm) -> str | None:
    s = norm.s
    periods = _find(norm, "period")
    dates = [d for d in _find(norm, "date") if not any(a <= d[0] and d[1] <= b for a, b in periods)]
    cands = [(a, b, True) for a, b in periods] + [(a, b, False) for a, b in dates]
    if not cands:
        return None
    keys = _question_keys(question)
    duration = bool(_DURATION_Q.search(question.lower()))

    def score(c):
        a, b, is_period = c
        t = s[a:b]
        sc = _overlap(keys, s, a, b, 10, 6)
        if duration:
            sc += 4 * bool(re.match(r"有效期|为期|期限|试用期", t)) + 3 * is_period
        else:
            sc += 2 * bool(re.search(r"\d{4}年|\d{4}\.", t)) + 1 * is_period
        return sc

    ranked = sorted(cands, key=lambda c: (-score(c), c[0]))
    asks = len(re.findall(r"什么时[候间]|啥时候|何时|哪天|哪一天|\bwhen\b", question.lower()))
    picks = sorted(ranked[:2]) if asks >= 2 and not _is_range(s, *ranked[0][:2]) else ranked[:1]
    out = []
    for a, b, is_period in picks:
        if s[a - 1:a] == "到" and re.search(r"[底末]$", s[a:b]):  # a deadline: "到2022年底"
            a -= 1
        m = _WHEN_SUFFIX.match(s[b:])
        if m and not (is_period and m.group() in ("开始", "结束")):
            b += len(m.group())
        out.append(norm.out(a, b))
    return "，".join(out)


def _answer_docnum(question: str, norm: Norm) -> str | None:
    s = norm.s
    qn = Norm(question).s
    q_nums = {_docnum_text(qn, a, b) for a, b in _docnum_spans(qn)}
    nums = [(a, b, _docnum_text(s, a, b)) for a, b in _docnum_spans(s)]
    nums = [n for n in nums if n[2] not in q_nums]
    titles = [(m.start(), m.end()) for m in _TITLE_RE.finditer(s)]
    if q_nums and titles:  # the question names the 文号: it asks what the document is
        a, b = titles[0]
        after = [n for n in nums if 0 <= n[0] - b <= 2]
        return norm.out(a, b) + (f"（{after[0][2]}）" if after else "")
    if nums:
        a, b, num = nums[0]
        before = [t for t in titles if 0 <= a - t[1] <= 2]
        if not before or re.search(r"文号|字号|document number|\bnumber\b", question, re.I):
            return num
        return norm.out(*before[-1]) + f"（{num}）"
    if titles:
        return norm.out(*titles[0])
    return None


# ---------------------------------------------------------------- enumerations (enums.py)
def enumeration_items(text: str) -> list[str]:
    """Items of 一是…二是…, （一）…（二）…, 1.…2.…, ①②…, quoted names, or a 、-list after 包括/为/：… (enums.py)."""
    from qa.reader import enums
    return enums.enumeration_items(text)


# ---------------------------------------------------------------- entry point
def answer_span(question: str, qtype: str, text: str, slots: Sequence[str] = ()) -> str | None:
    """The shortest text in `text` that answers a question of type `qtype`, or None."""
    if not text or not text.strip():
        return None
    norm = Norm(text)
    from qa.reader import pairs, people  # these build on this module
    if qtype in ("number", "when", "who", "dept") and "分别" in norm.s:
        paired = pairs.respectively(question, qtype, norm)
        if paired:
            return paired
    if qtype == "who":
        return people.answer_who(question, norm, slots)
    if qtype == "dept":
        return people.answer_dept(question, norm, slots)
    if qtype == "when":
        return _answer_when(question, norm)
    if qtype == "number":
        return _answer_number(question, norm)
    if qtype == "docnum":
        return _answer_docnum(question, norm)
    if qtype == "procedure":
        from qa.reader import steps
        return steps.answer_steps(norm)
    if qtype == "list":
        items = enumeration_items(text)
        return "\n".join(items) if items else None
    if qtype == "general":
        from qa.reader.clauses import answer_clause
        return answer_clause(question, norm)
    return None
