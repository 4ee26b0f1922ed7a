"""List items: 一是…二是…, （一）…（二）…, 1.…2.…, ①②…, a 、-list after 包括/为/是/有/：, quoted names
(“国家卫生城市”、“省级文明城市”), and the key clauses of a procedure (time limits, steps)."""

from __future__ import annotations

import re

from qa.reader.spans import _CN, CJK, Norm

_ENUM_RES = (
    re.compile(rf"(?:^|(?<=[,;。:\s]))[{_CN[:-2]}]+是"),
    re.compile(rf"\([{_CN[:-2]}]+\)"),
    re.compile(r"(?:^|(?<=[,;。:\s]))\d{1,2}[.、](?!\d)"),
    re.compile(r"[①-⑳]"),
    re.compile(r"\(\d{1,2}\)"),
)
_STRIP = " ,;。:、“”\"'‘’\t|\n"


def enumeration_items(text: str) -> list[str]:
    """Items of 一是…二是…, （一）…（二）…, 1.…2.…, ①②…, quoted names (“A”、“B”), or a 、-list after
    包括/为/是/有/：."""
    norm = Norm(text or "")
    s = norm.s
    for pat in _ENUM_RES:
        marks = list(pat.finditer(s))
        if len(marks) >= 2:
            ends = [m.start() for m in marks[1:]] + [len(s)]
            items = [x for x in (_item(norm, m.end(), e) for m, e in zip(marks, ends)) if x]
            if len(items) >= 2:
                return items
    start = 0
    for pat in _ENUM_RES:
        marks = list(pat.finditer(s))
        if len(marks) == 1 and marks[0].start() == len(s) - len(s.lstrip()):  # one short item line: "8.不得…;"
            item = _item(norm, marks[0].end(), len(s))
            if item and len(item) <= 40 and not re.search(r"。.", s):
                return [item]
            start = marks[0].end()  # a long item: look for a list inside it
            break
    for intro in reversed(list(_INTRO_RE.finditer(s, start))):
        items = _comma_list(norm, intro.end(), len(s), colon=True)
        if items:
            return items
    return _quoted_list(norm) or _comma_list(norm, start, len(s), colon=False, short=True)


_INTRO_RE = re.compile(r"[:]|包括|包含|是指|即|(?:分别|主要|依次|重点|共|还|另|其中)[是为有]|分为|有(?=[:])"
                       r"|(?:设定|划分|确定|认定|评定)为|(?<=[位的象类围])[是为](?![否了主准])")
_QUOTED_RE = re.compile(r"“([^“”]{1,30})”(?:([^“”、,;。的]{1,6}?)(?<!以)(?=、|以及|和|及|等))?")
_QUOTE_SEP = re.compile(r"、|以及|和|及")


def _quoted_list(norm: Norm) -> list[str]:
    """The longest run of quoted names joined by 、/和/及: “国家卫生城市”、“省级文明城市”…; a short word right
    after a quote stays with it (“法律明白人”培训工程 -> 法律明白人培训工程), except after the last one."""
    s = norm.s
    runs: list[list[re.Match]] = []
    for m in _QUOTED_RE.finditer(s):
        if runs and _QUOTE_SEP.fullmatch(s[runs[-1][-1].end():m.start()]):
            runs[-1].append(m)
        else:
            runs.append([m])
    best = max(runs, key=len, default=[])
    if len(best) < 2:
        return []
    items = []
    for i, m in enumerate(best):
        tail = m.group(2) and (i < len(best) - 1 or s[m.end():m.end() + 1] == "等")
        items.append(norm.out(*m.span(1)) + (norm.out(*m.span(2)) if tail else ""))
    return [x for x in items if x]


def _item(norm: Norm, a: int, b: int) -> str:
    piece = norm.s[a:b]
    lead = len(piece) - len(piece.lstrip(_STRIP))
    trail = len(piece) - len(piece.rstrip(_STRIP))
    if piece.count(")") > piece.count("(") and piece.rstrip(_STRIP).endswith(")"):
        trail += 1
    return norm.out(a + lead, b - trail) if b - trail > a + lead else ""


_LEAD_VERB = (re.compile(r"^.*(?:授予|包括|包含|围绕|推动|推进|按照|建成|涉及|分为|是指|主营业务为|加强|开展|派遣|打击)"), re.compile(r"^.*(?:是|即|为)"))


def _comma_list(norm: Norm, a: int, b: int, colon: bool, short: bool = False) -> list[str]:
    s = norm.s
    end = min([i for i in (s.find("。", a), s.find(";", a)) if i >= 0] + [b])
    seg = s[a:end]
    if seg.count("、") < (1 if colon else 2):
        return []
    head = seg.split("、", 1)[0]
    if "," in head:  # "现决定,授予A、B、C等3个组织", "…,关堡2处(固关、娘子关)": the list starts after the clause before it
        a += head.rindex(",") + 1
        seg = s[a:end]
    parts, pos = [], a
    for piece in seg.split("、"):
        parts.append((pos, pos + len(piece)))
        pos += len(piece) + 1
        if "等" in piece or "," in piece:  # "…等3个组织" / "…等领域" / "…，…": the list ends here
            break
    la, lb = parts[-1]
    tail = re.search(r"等.*$|[,，].*$|(?<=[{CJK}]{{2}})的[{CJK}]{{2,}}$".format(CJK=CJK), s[la:lb])
    if tail and tail.start() > 0:
        parts[-1] = (la, la + tail.start())
    la, lb = parts[-1]
    m = re.fullmatch(rf"([{CJK}“”\"]{{2,10}})(?:和|及|以及)([{CJK}“”\"]{{2,10}})", s[la:lb])
    if m:
        parts[-1:] = [(la, la + m.end(1)), (la + m.start(2), lb)]
    lens = sorted(pb - pa for pa, pb in parts[1:])
    fa, fb = parts[0]
    if lens and fb - fa > lens[len(lens) // 2] + 1:  # "授予A公司、B公司" -> "A公司"
        v = _LEAD_VERB[0].match(s[fa:fb]) or _LEAD_VERB[1].match(s[fa:fb])
        parts[0] = (fa + v.end(), fb) if v and fb - fa - v.end() >= 2 else parts[0]
    fa, fb = parts[0]
    article = re.match(r"第[一二三四五六七八九十百零]+条", s[fa:fb])  # "第十一条市、县级…" opens an article
    parts[0] = (fa + article.end(), fb) if article else parts[0]
    items = [x for x in (_item(norm, pa, pb) for pa, pb in parts) if x]
    if any(len(x) < 2 for x in items):  # "市、县级文物主管部门": one word of two levels, not a list
        return []
    if len(items) < 2 or (short or not colon) and any(len(x) > 20 for x in items) or colon and len(items[0]) > 25:
        return []
    return items


