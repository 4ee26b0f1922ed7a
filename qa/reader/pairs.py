"""“分别” (respectively): two parallel lists in one sentence, paired item by item.

    对新认定为国家级、省级孵化器的，分别给予一次性 200 万元、50 万元奖励
    6月底、12月底分别报送半年、全年工作情况

The question names an item of one list ("国家级孵化器", "首次突破5亿元", "全年工作情况"); the answer is
the item of the other list at the same position ("200万元", "200万元", "12月底"). When the question names
no item, every pair is given ("国家级200万元、省级50万元"). Items are verbatim pieces of the text.
"""

from __future__ import annotations

import re
import unicodedata

from qa.reader.spans import _BEFORE_RE, _DATE_RE, CJK, Norm, _find

_STOP = ",;。:\n\t|"  # a list never runs past these
_LEAD = re.compile(r"^.*(?:对|为|是|将|把|在|从|由|给予|其中|取得|发生|突破|达到|按照|负责|应对|报送|建立|设立|发放|补助|"
                   r"压减|实现|开展|完成)")
_NOISE = set("的和及与对为是在由给予一次性分别")


class _List:
    def __init__(self, items: list[tuple[int, int]], numeric: bool):
        self.items = items  # spans into the normalized text
        self.numeric = numeric


def _lcs(a: str, b: str) -> int:
    """Length of the longest common substring."""
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


def _pieces(s: str, a: int, b: int) -> list[tuple[int, int]]:
    """`s[a:b]` split at 、 (or at one 和/及/与 when there is no 、)."""
    seg = s[a:b]
    sep = "、" if "、" in seg else next((w for w in ("和", "及", "与") if seg.count(w) == 1), None)
    if not sep:
        return []
    out, pos = [], a
    for piece in seg.split(sep):
        out.append((pos, pos + len(piece)))
        pos += len(piece) + len(sep)
    return out


def _trim(s: str, parts: list[tuple[int, int]], first: bool, last: bool) -> list[tuple[int, int]]:
    """Cut the lead-in off the first item (对新认定为|国家级) and the shared tail off the last (省级|孵化器的)."""
    parts = list(parts)
    fa, fb = parts[0]
    m = _LEAD.match(s[fa:fb])
    if first and m and fb - fa - m.end() >= 1:
        parts[0] = (fa + m.end(), fb)
    la, lb = parts[-1]
    if last:
        cut = s.find("的", la, lb)
        lb = cut if cut > la else lb
        pa, pb = parts[-2]
        end = s[pb - 1] if pb > pa else ""
        k = s.find(end, la + 1, lb) if end and re.match(rf"[{CJK}]", end) else -1
        parts[-1] = (la, k + 1 if k > 0 else lb)
    return [p for p in parts if p[1] > p[0]]


def _number_items(norm: Norm, parts: list[tuple[int, int]]) -> list[tuple[int, int]] | None:
    spans = _find(norm, "number")
    out = []
    for pa, pb in parts:
        inside = [(a, b) for a, b in spans if pa <= a and b <= pb]
        if len(inside) != 1:
            bare = re.search(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.年月日时号])", norm.s[pa:pb])  # "30、200、300毫克"
            if inside or not bare:
                return None
            inside = [(pa + bare.start(), pa + bare.end())]
        out.append(inside[0])
    return out


def _right_list(norm: Norm, start: int) -> tuple[_List, int] | None:
    s = norm.s
    end = next((i for i in range(start, len(s)) if s[i] in _STOP), len(s))
    parts = _pieces(s, start, end)
    if len(parts) < 2:
        return None
    nums = _number_items(norm, parts)
    if nums:
        return _List(nums, True), end
    return _List(_trim(s, parts, first=True, last=True), False), end


def _left_list(norm: Norm, stop: int, k: int) -> tuple[_List, int] | None:
    s = norm.s
    b = stop
    while b > 0:
        a = max(s.rfind(c, 0, b) for c in _STOP) + 1
        parts = _pieces(s, a, b)
        if len(parts) == k:
            nums = _number_items(norm, parts)
            if nums:
                return _List(nums, True), a
            return _List(_trim(s, parts, first=True, last=True), False), a
        if parts or a == 0 or s[a - 1] in "。;\n":
            return None
        b = a - 1
    return None


def _named(question: str, norm: Norm, lst: _List) -> tuple[int, int]:
    """(score, index) of the item the question names best; score 0: it names none."""
    q = unicodedata.normalize("NFKC", question)
    q_nums = set(re.findall(r"\d+(?:\.\d+)?", q))
    scores = []
    for a, b in lst.items:
        t = norm.s[a:b]
        if lst.numeric:
            n = re.match(r"\d+(?:\.\d+)?", t)
            scores.append(10 if n and n.group() in q_nums else 0)
        else:
            core = "".join(c for c in t if c not in _NOISE) or t
            scores.append(100 + len(t) if t in q else (_lcs(core, q) if _lcs(core, q) >= 2 else 0))
    best = max(scores)
    return (best, scores.index(best)) if best and scores.count(best) == 1 else (0, -1)


def _fits(qtype: str, norm: Norm, lst: _List) -> bool:
    texts = [norm.s[a:b] for a, b in lst.items]
    if qtype == "number":
        return lst.numeric
    if qtype == "when":
        return all(_DATE_RE.search(t) or re.search(r"月底|年底|季度", t) for t in texts)
    return not lst.numeric and not any(re.search(r"\d", t) for t in texts)


def _keys(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1) if re.fullmatch(rf"[{CJK}]{{2}}", text[i:i + 2])}


def respectively(question: str, qtype: str, norm: Norm) -> str | None:
    """The item paired with the one the question names, or every pair; None when no 分别 lists fit."""
    s = norm.s
    q = unicodedata.normalize("NFKC", question)
    for m in re.finditer("分别", s):
        right = _right_list(norm, m.end())
        if not right:
            continue
        rlist, rend = right
        left = _left_list(norm, m.start(), len(rlist.items))
        if not left:
            continue
        llist, lstart = left
        region = s[lstart:rend]
        rest = s[:lstart] + "|" + s[rend:]
        qk = _keys(q) - {"多少", "什么"}
        if not any(k in region for k in qk) or sum(k in rest for k in qk) > sum(k in region for k in qk):
            continue  # the question is about another part of the sentence
        lnamed, rnamed = _named(question, norm, llist), _named(question, norm, rlist)
        if lnamed[0] >= rnamed[0] and lnamed[0] and _fits(qtype, norm, rlist):
            return _out(norm, rlist, lnamed[1], m.end(), qtype)
        if rnamed[0] > lnamed[0] and _fits(qtype, norm, llist):
            return _out(norm, llist, rnamed[1], m.end(), qtype)
        if not lnamed[0] and not rnamed[0] and (_fits(qtype, norm, rlist) or _fits(qtype, norm, llist)):
            return "、".join(norm.out(*la) + _out(norm, rlist, i, m.end(), qtype)
                            for i, la in enumerate(llist.items))
    return None


def _out(norm: Norm, lst: _List, i: int, after: int, qtype: str) -> str:
    a, b = lst.items[i]
    text = norm.out(a, b)
    if lst.numeric and qtype == "number" and a >= after:  # "分别不低于10%、20%": the comparator is shared
        comp = _BEFORE_RE.search(norm.s[after:lst.items[0][0]])
        text = (norm.out(after + comp.start(), after + comp.end()) if comp else "") + text
        la, lb = lst.items[-1]
        unit = re.match(r"[^\d\s、,;。]{1,8}", norm.s[lb:]) if not re.search(r"\D$", norm.s[a:b]) else None
        text += norm.out(lb, lb + unit.end()) if unit and lb - la == len(re.match(r"[\d.]*", norm.s[la:]).group()) else ""
    return text
