"""Who and which unit: posts filled in table rows (`组 长：\t雷健坤\t市长`), prose (`组长由…担任`, `…任副组长`),
任免 lines (`张三为…局长`, `李四的…职务`), and the unit in charge (`办公室设在…`, `由…牵头`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.reader.spans import CJK, DELIM, Norm, clean
from qa.text import squash

SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝呼仝郜智权逯"
)
_POST_END = ("副市长|市长|书记|副局长|局长|副主任|主任|秘书长|调研员|委员(?!会)|部长|院长|校长|台长|董事长|总经理|经理|会长|"
             "支队长|队长|处长|科长|站长|所长|主席|负责人|负责同志|领导|专员|团长|行长|社长|馆长|园长|审计长|总工程师|"
             "理事长|监事长|检察长|庭长|主管|督查专员|督学|会计师|组长|指挥长|总指挥")
_POST_RE = re.compile(rf"[{CJK}()（）、]{{0,30}}?(?:{_POST_END})")
_LABEL_WORD = re.compile(r"(?:组长|主任|指挥长|总指挥|召集人|负责人|局长|联络员)$")
_LABEL_RE = re.compile(rf"((?:[{CJK}][ \u3000]*){{2,14}}?)[ \u3000]*[:：]")
_NAME_AT = re.compile(rf"^([{CJK}](?:[ \u3000]?[{CJK}]){{1,2}})(?=[\s(（]|$)")
_ASKS_POST = re.compile(r"什么职务|哪个职务|什么职位|哪个岗位|什么岗位|担任什么|任什么|出任什么|哪所|哪家|哪个单位|什么变动|"
                        r"职务变动|which post|what post|what position|which position|removed from|what role|"
                        r"what job|what title", re.I)
_CUT = r",;。:\n\t|"
_PLURAL = re.compile(r"哪些人|哪几位|哪几个人|都有谁|分别是谁|几位|\bwho (?:were|are)\b|\bwhich (?:people|persons|officials)\b", re.I)
_NAME = rf"[{''.join(sorted(SURNAMES))}][{CJK}]{{1,2}}"
_APPOINT_RE = re.compile(rf"(?:^|(?<=[:;,。\n])|(?<=免去)|(?<=任命))({_NAME})(?:为|任)([^;。\n,()]{{2,50}}"
                         rf"(?:\([^)]*\)[^;。\n,()]{{0,20}})*?)(?:\((?:试用期|兼|保留)[^)]*\))*(?=[;。,\n]|$)")
_NAME_CTX = re.compile(rf"(?:^|(?<=[:\t|\n由、])|(?<=[长任员记]))({_NAME})"
                       rf"(?=担任|兼任|同志|[,;。、(\t|\n]|$)")
_DISMISS_RE = re.compile(rf"(?:^|(?<=[:;,。\n])|(?<=免去))({_NAME})的([^;。\n,]{{2,50}}?)职务")


def is_name(word: str) -> bool:
    w = squash(word)
    return 2 <= len(w) <= 3 and w[0] in SURNAMES and not re.search(_POST_END + "|市|局|委|办|政府", w)


def _slot_rank(label: str, slots: Sequence[str]) -> int | None:
    """Position of the first slot this label fills (None: it fills none). No slots: any post label."""
    label = squash(label)
    if not _LABEL_WORD.search(label):
        return None
    if not slots:
        return 0
    for rank, slot in enumerate(slots):
        if label == slot:
            return rank * 2
        prefix = label[:-len(slot)]
        if label.endswith(slot) and not prefix.endswith("副") and (
                slot.startswith("副") or not prefix.endswith(("常务", "第一"))):
            return rank * 2 + 1
    return None


def split_top(value: str, sep: str = "、") -> list[str]:
    """Split on `sep` outside brackets: "朱风雷（兼、代）、尹亮" -> ["朱风雷（兼、代）", "尹亮"]."""
    parts, depth, cur = [], 0, ""
    for ch in value:
        depth += ch in "(（"
        depth -= ch in ")）"
        if ch == sep and depth <= 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return parts + [cur]


def _post_of(cell: str) -> str:
    post = clean(cell).strip(" 、,，;；。")
    post = re.sub(r"^[(（](.*)[)）]$", r"\1", post)
    return "" if post in ("", "兼") or post.startswith(("兼", "(兼", "（兼")) else post


def _person(value: str) -> str | None:
    """`黄海涛\t市委常委、副市长` / `尹 亮 市卫健委副主任` / `王耀东（兼）` -> `黄海涛（市委常委、副市长）` / …"""
    cells = [c.strip(" \u3000-*") for c in re.split(r"[\t|]", value) if c.strip(" \u3000-*")]
    if not cells:
        return None
    first = cells[0]
    names = [re.sub(r"[(（][^)）]*[)）]|同志$", "", p) for p in split_top(clean(first))]
    if len(names) > 1 and all(is_name(n) for n in names):  # "朱风雷（兼）、尹亮（兼）"
        return "、".join(names)
    m = _NAME_AT.match(first)
    if not (m and is_name(m.group(1))):
        post = clean(first).strip(" 、,，;；。")
        return post if post and re.search(_POST_END + "|同志", post) else None
    name = clean(m.group(1))
    rest = first[m.end():].strip()
    if not rest and len(cells) > 1 and not is_name(cells[1]):  # `雷健坤\t市长\t王 晓\t…`: the post cell
        rest = cells[1]
    rest = re.sub(r"[)）]\s*任$", ")", rest)
    post = _post_of(rest)
    return f"{name}（{post}）" if post else name


def _label_fillers(text: str, slots: Sequence[str]) -> list[tuple[int, str]]:
    found = []
    for line in text.split("\n"):
        cells = [c.strip() for c in re.split(r"[\t|]", line) if c.strip()]
        if len(cells) >= 2 and not re.search(r"[:：]", cells[0]):  # `| 副组长 | 李四 | 市发展改革委主任 |`
            rank = _slot_rank(cells[0], slots)
            who = _person("\t".join(cells[1:])) if rank is not None else None
            if who:
                found.append((rank, who))
                continue
        for m in _LABEL_RE.finditer(line):
            rank = _slot_rank(m.group(1), slots)
            if rank is None:
                continue
            value = line[m.end():]
            if not re.search(r"[\t|]", value):  # prose: the value ends with the clause
                value = re.split(r"[，,；;。]", value)[0]
            nxt = _LABEL_RE.search(value)  # another label later on the same row
            value = value[:nxt.start()] if nxt and _LABEL_WORD.search(squash(nxt.group(1))) else value
            who = _person(value)
            if who:
                found.append((rank, who))
    return found


def _tidy_filler(filler: str) -> str:
    filler = re.sub(r"\(兼\)$", "", filler)
    names = [re.sub(r"同志$", "", x) for x in re.split(r"、|和|及", filler)]
    return "、".join(names) if all(is_name(x) for x in names) else filler


def _slot_re(slot: str) -> str:
    guard = "" if slot.startswith(("副", "常务")) else r"(?<!副)(?<!常务)(?<!第一)"
    return guard + re.escape(slot)


def _prose_fillers(norm: Norm, slots: Sequence[str]) -> list[tuple[int, str]]:
    s = norm.s
    found = []
    for rank, slot in enumerate(slots or ("组长", "主任", "指挥长", "总指挥")):
        sre = _slot_re(slot)
        pats = (rf"{sre}(?:分别)?由([^{_CUT}]{{1,60}}?)(?:担任|兼任|出任)",
                rf"([^{_CUT}]{{1,60}}?)(?:担任|兼任|出任|任)(?:办公室|领导小组|指挥部)?{sre}")
        for pat in pats:
            for m in re.finditer(pat, s):
                a, b = m.span(1)
                cut = list(re.finditer(r"由|成立了?|建立|组建|决定", s[a:b]))
                if cut:
                    a += cut[-1].end()
                raw = norm.out(a, b)
                if raw and re.search(_POST_END + "|同志|^" + _NAME + "$", raw) or is_name(raw):
                    found.append((m.start(), rank, _tidy_filler(raw)))
    return [(rank, f) for _, rank, f in sorted(found, key=lambda x: (x[1], x[0]))]


def _appointments(question: str, norm: Norm) -> str | None:
    s = norm.s
    rows = []
    for m in _APPOINT_RE.finditer(s):
        if re.search(rf"(?:{_POST_END})(?:\([^)]*\))?$", m.group(2)) or (
                m.group(2).startswith(("阳泉", "市")) and re.match(r"\s*$", s[m.end():])):  # line cut short
            rows.append((m.span(1), m.span(2)))
    for m in _DISMISS_RE.finditer(s):
        rows.append((m.span(1), m.span(2)))
    if not rows:
        return None
    q = squash(question)
    qkeys = {q[i:i + 2] for i in range(len(q) - 1)}
    rows.sort(key=lambda r: -sum(k in s[r[1][0]:r[1][1]] for k in qkeys))
    if _PLURAL.search(question):  # "who were confirmed as deputy directors": every person of the best post
        best = sum(k in s[rows[0][1][0]:rows[0][1][1]] for k in qkeys)
        names = [norm.out(a, b) for (a, b), (c, d) in rows if sum(k in s[c:d] for k in qkeys) == best]
        if len(names) > 1:
            return "、".join(dict.fromkeys(names))
    (na, nb), (pa, pb) = rows[0]
    name = norm.out(na, nb)
    post = norm.out(pa, pb)
    post_core = re.sub(r"^阳泉市?|^市", "", squash(post))
    if squash(name) in q:
        return post
    if len(post_core) >= 4 and post_core[-6:] in q:
        return name
    return post if _ASKS_POST.search(question) else name


def answer_who(question: str, norm: Norm, slots: Sequence[str], strict: bool = False) -> str | None:
    slots = [squash(x) for x in slots if x and x.strip()]
    for finder in (lambda: _label_fillers(norm.text, slots), lambda: _prose_fillers(norm, slots)):
        found = finder()
        if found:
            best = min(r for r, _ in found)
            picks = list(dict.fromkeys(f for r, f in found if r == best))
            return "、".join(picks)
    if strict:
        return None
    return _appointments(question, norm)


# ---------------------------------------------------------------- units (dept)
_UNIT_SUFFIX = ("局|委员会|委|办公室|督查室|办|中心|厅|部门|部|社|政府|管委会|公司|医院|院|站|支队|大队|队|所|集团|银行|学校|协会|"
                "联合会|工作专班|专班|指挥部|领导小组")
_UNIT_RE = re.compile(rf"(?:^|(?<=[{re.escape(DELIM)}由在为和及与、]))((?:阳泉市|山西省|省|市|县|区|国网|国药)"
                      rf"[{CJK}]{{0,16}}?(?:{_UNIT_SUFFIX}))(?![{CJK}]*?(?:长|员|任|书记))")


def _is_unit(word: str) -> bool:
    return bool(re.search(rf"(?:{_UNIT_SUFFIX}|[{CJK}]公司)$", word)) and 2 <= len(word) <= 30


_DEPT_PATTERNS = (
    re.compile(r"设在([^,;。:、\t|()\n]{2,30})"),
    re.compile(r"(?:牵头单位|责任单位|主管部门|负责单位|承办单位|牵头部门|责任部门)[:\t|]*([^,;。:\t|()\n]{2,40})"),
    re.compile(r"由([^,;。:\t|()\n由]{2,40}?)(?:牵头|负责|承担|组织|统筹|会同|具体负责)"),
    re.compile(r"(?:^|[,;。:\t|\n])(?:第[一二三四五六七八九十百]+条|\d{1,2}\.|\([一二三四五六七八九十]+\))?"
               r"([^,;。:\t|()\n]{2,30}?):?(?:牵头|负责|是|代表|承担|作为|统一|具体负责|主管)"),
    re.compile(r"(?:目前|现)?为([^,;。:、\t|()\n]{2,30}?(?:公司|局|中心|委|办))"),
)


def answer_dept(question: str, norm: Norm, slots: Sequence[str]) -> str | None:
    s = norm.s
    unit = None
    for pat in _DEPT_PATTERNS:
        for m in pat.finditer(s):
            if all(_is_unit(p) for p in re.split(r"、|和|及", m.group(1))):
                unit = norm.out(*m.span(1))
                break
        if unit:
            break
    if unit is None:
        units = sorted(find(norm, "unit"), key=lambda u: bool(re.fullmatch(r"(?:阳泉)?市(?:人民)?政府", s[u[0]:u[1]])))
        if not units:
            return None
        unit = norm.out(*units[0])
    if slots:
        who = answer_who(question, norm, slots, strict=True)
        if who and who not in unit:
            return f"{unit}；{slots[0]}：{who}"
    return unit


# ---------------------------------------------------------------- spans
def find(norm: Norm, kind: str) -> list[tuple[int, int]]:
    s = norm.s
    if kind == "unit":
        return [m.span(1) for m in _UNIT_RE.finditer(s)]
    if kind == "post":
        out: list[tuple[int, int]] = []
        for m in re.finditer(rf"(?:^|(?<=[{_CUT}、由任为的兼和及(]))", s):
            pm = _POST_RE.match(s, m.end())
            if not pm:
                continue
            a, b = pm.span()
            lead = re.match(rf"{_NAME}(?:为|任|的)", s[a:b])
            a += lead.end() if lead else 0
            if (not out or a >= out[-1][1]) and s[a] not in "(（、" and not is_name(s[a:b]):
                out.append((a, b))
        return out
    spans = [m.span(1) for m in (*_APPOINT_RE.finditer(s), *_DISMISS_RE.finditer(s), *_NAME_CTX.finditer(s))]
    import jieba.posseg as pseg  # person names the patterns above miss
    pos = 0
    for word, flag in pseg.cut(s):
        if flag == "nr" and is_name(word) and not any(a < pos + len(word) and pos < b for a, b in spans):
            spans.append((pos, pos + len(word)))
        pos += len(word)
    return sorted(set(spans))
