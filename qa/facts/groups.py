"""Leading bodies (领导小组, 指挥部, 委员会, 联席会议, 工作专班 …) and who holds their posts, from tab
tables (`组 长：\t雷健坤\t市长`), pipe tables (`| 组 长：王明厚 | 副市长 |`), spaced rows (`尹 亮 市卫健委副主任`),
bracket rows (`黄海涛（市委常委、常务副市长）`) and prose (`组长由市政府副市长王明厚担任`, `由市长任组长`,
`办公室设在市住建局`, `分管工业副市长任组长`, `X牵头`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..reader.people import _POST_END, is_name, split_top
from ..types import Document
from .records import Fact, canonical_unit, clean

CJK = r"\u3400-\u9fff"
MAIN_BODY = r"(?:领导小组|工作领导组|领导组|总指挥部|指挥部|委员会|联席会议|工作专班|专班|工作小组|督导组|督查组|工作组)"
ROLES = ("常务副组长", "第一副组长", "副组长", "组长", "常务副总指挥", "副总指挥", "总指挥", "常务副指挥长", "副指挥长", "指挥长",
         "办公室副主任", "办公室主任", "常务副主任", "副主任", "主任", "副召集人", "召集人", "联络员", "成员单位",
         "成员", "组员")
_TOP = r"(?:领导小组|领导组|指挥部|委员会|联席会议|专班)"
_LEADING = r"(?:领导小组|领导组|指挥部|联席会议)"
_ROLE_ALT = "|".join("[ \u3000]*".join(r) for r in ROLES)
# a post label at the start of a line or cell, or after a clause in prose
_LABEL = re.compile(rf"(?:^|(?<=[\t|，,。；;]))[-*| \u3000]*(?:[\u4e00-\u9fff]{{1,12}}?(?:领导小组|指挥部|领导组))?(?P<role>{_ROLE_ALT})[ \u3000]*(?:[:：]|(?=[\t|]))[ \u3000\t|]*")
_HEAD_NUM = re.compile(r"^(?:附件\s*\d*\s*[:：]?|[(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、|\d+(?:[.．]\d+)*[.、．]?(?=\s*[\u4e00-\u9fff“])|第[一二三四五六七八九十]+[部分][:：]?)\s*")
_HEAD_TAIL = re.compile(r"(?:组成人员名单|成员名单|人员名单|组成人员|名单|成员单位及职责|组成及职责|及职责|职责|组成)[:：]?$")
_SUB_GROUP = re.compile(rf"^(?:第[一二三四五六七八九十]+组|[{CJK}“”\"]{{2,12}}组)$")
_FOUND = re.compile(rf"(?:成立|设立|组建|建立|调整)了?")
_ALIAS = re.compile(r"[(（]以下简称[“\"]?([^”\")）]{2,12})[”\"]?[)）]")
_OFFICE = re.compile(rf"办公室(?:[(（][^)）]*[)）])?[，,]?设[在于]([{CJK}()（）]{{2,30}}?)(?=[，,。；;、(（]|$|具体|负责|承担)")
_UNIT = re.compile(rf"(?:市|阳泉|各县|县|区|国网|中国|山西)[{CJK}（）]{{1,24}}(?:局|委|办|中心|部|院|会|政府|公司|站|队|所|行|分局|管委会)")
_BY = re.compile(rf"(?P<role>{_ROLE_ALT})(?:分别)?由(?P<who>[^。；;，,]{{2,60}}?)(?:担任|兼任|出任)")
_TAKES = re.compile(rf"(?P<who>[^。；;，,由]{{2,40}}?)(?:同志)?(?:担任|兼任|出任|任)(?P<role>{_ROLE_ALT})(?![{CJK}]*(?:单位|职责))")
_POST_TAIL = re.compile(rf"(?:{_POST_END})$")
_NAME_BRACKET = re.compile(rf"^([{CJK}]{{2,3}})[(（]([^)）]*)[)）](?:任)?$")
_NOTE = re.compile(r"^[(（]?(兼|兼任)[)）]?$")


def lines(doc: Document) -> Iterator[tuple[int, str]]:
    """(source offset, text) of each line of the document body."""
    offset = doc.body_start
    for line in doc.text(doc.body_start, doc.end).split("\n"):
        yield offset, line
        offset += len(line) + 1


def body_heading(text: str) -> str | None:
    """A heading line that names a body: "附件：阳泉市数字政府建设领导小组成员名单" -> its name."""
    name = clean(text)
    if len(name) > 48 or "。" in name or re.search(r"[，；\t|]", name + text) or _LABEL.search(text):
        return None
    first = re.split(r"[ \u3000]+", text.strip())
    if is_name(clean(first[0])) or (len(first) > 1 and is_name(clean(first[0] + first[1]))):
        return None  # "赵建军 市发展和改革委员会": a member row, not a heading
    name = _HEAD_TAIL.sub("", _HEAD_NUM.sub("", name)).strip("：")
    name = re.sub(r"^关于(?:成立|调整)", "", name)
    if re.search(rf"{MAIN_BODY}$", name) and len(name) >= 4:
        return name
    return name if _SUB_GROUP.match(name) else None


def founded(text: str) -> list[tuple[str, str | None]]:
    """Bodies a sentence sets up, with their short names: "成立阳泉市…领导小组（以下简称市领导小组）"."""
    flat = clean(text)
    out = []
    for m in _FOUND.finditer(flat):
        rest = flat[m.end():m.end() + 400]
        body = re.search(MAIN_BODY, rest)
        if not body or "。" in rest[:body.start()]:
            continue
        head = rest[:body.start()]
        cut = max(head.rfind(c) for c in "的，、；由")
        name = head[cut + 1:] + body.group(0)
        bare = re.fullmatch(MAIN_BODY, name) and name not in ("工作专班", "专班", "联席会议")
        if not bare and not re.match(r"本|各|相应|相关|有关|专门", name):
            alias = _ALIAS.match(rest[body.end():])
            out.append((name, alias.group(1) if alias else None))
        else:
            out.append((None, None))  # "各县成立…的领导小组": not a body of the city's
    return out


def split_people(value: str) -> list[tuple[str | None, str | None, bool]]:
    """The people of a row's value, as (name, post, own_cell): `雷健坤\t市长\t王 晓\t市大数据局副局长`,
    `尹 亮 市卫健委副主任`, `黄海涛（市委常委、常务副市长）`, `朱风雷（兼）、尹亮（兼）`, `市应急管理局局长。`."""
    value = value.strip().rstrip("。；;，, ")
    cells = [c.strip() for c in re.split(r"[\t|]+", value) if c.strip()]
    cells = [c for c in cells if len(clean(c)) <= 30 and "。" not in c]  # prose beside a table
    tokens: list[tuple[str, bool]] = []  # (token, starts a cell)
    for cell in cells:
        parts = [p for p in re.split(r"[ \u3000]+", cell) if p]
        merged: list[str] = []
        for part in parts:  # "尹 亮" -> 尹亮, "王 晓" -> 王晓
            if merged and len(merged[-1]) == 1 and len(merged[-1] + part) <= 3 and re.fullmatch(rf"[{CJK}]+", part):
                merged[-1] += part
            else:
                merged.append(part)
        for i, part in enumerate(merged):
            for j, piece in enumerate(_split_persons(part)):
                tokens.append((piece, i == 0 and j == 0))
    people: list[list] = []
    for token, new_cell in tokens:
        tok = clean(token).strip("、，")
        if not tok:
            continue
        bracket = _NAME_BRACKET.match(tok)
        name = re.sub(r"同志$", "", tok)
        if bracket and is_name(bracket.group(1)):
            note = bracket.group(2)
            people.append([bracket.group(1), None if _NOTE.match(note) else note, new_cell])
        elif is_name(name):
            people.append([name, None, new_cell])
        elif _NOTE.match(tok) and people:
            continue
        elif people and (people[-1][1] is None or not new_cell):
            people[-1][1] = tok if people[-1][1] is None else people[-1][1] + tok
        elif _POST_TAIL.search(tok) or re.search(r"(?:局|委|办|中心|部|政府|公司)$", tok):
            people.append([None, tok, new_cell])
    return [(n, p, c) for n, p, c in people]


def _split_persons(text: str) -> list[str]:
    """Split on 、 outside brackets, only where every piece is a person ("朱风雷（兼）、尹亮（兼）")."""
    parts = split_top(text)
    names = [re.sub(r"[(（][^)）]*[)）]$|同志$", "", clean(p)) for p in parts]
    return parts if len(parts) > 1 and all(is_name(n) for n in names) else [text]


def prose_people(who: str) -> list[tuple[str | None, str | None]]:
    """"市政府副市长王明厚" -> (王明厚, 市政府副市长); "市长" -> (None, 市长); "孙金宁和王玉卿" -> two people."""
    who = clean(who)
    items = re.split(r"、|和(?=[^、]{2,3}(?:同志|$|、))|和(?=市|县|区|阳泉)", who)
    if not all(_item(i) for i in items):
        shared = re.match(rf"(.*?(?:局|委|办|科|中心|部|院|会|政府|站|队|所|室))([{CJK}]{{2,8}})$", items[-1])
        if shared and _POST_TAIL.search(shared.group(2)) and all(re.search(r"(?:局|委|办|科|中心|部|院|会|政府|站|队|所|室)$", i)
                                                              for i in items[:-1]):
            items = [i + shared.group(2) for i in items[:-1]] + [items[-1]]  # "市工信局、市生态环境局主要负责人"
        else:
            items = [who]
    out = []
    for item in items:
        found = _item(item)
        if found:
            out.append(found)
        elif item.strip("，"):
            out.append((None, item.strip("，")))
    return out


def _item(item: str) -> tuple[str | None, str | None] | None:
    """One holder in prose: a name, a post, or a post followed by a name ("市政府副市长王明厚")."""
    item = re.sub(r"[(（]兼[)）]$", "", re.sub(r"同志$", "", item.strip("，")))
    if is_name(item):
        return item, None
    for n in (3, 2):
        head, tail = item[:-n], item[-n:]
        if len(item) > n and is_name(tail) and _POST_TAIL.search(head):
            return tail, head
    return (None, item) if _POST_TAIL.search(item) else None


def _value(name: str | None, post: str | None) -> str:
    if name and post:
        return f"{name}（{post}）"
    return name or post or ""


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.facts: list[Fact] = []
        self.body = _title_body(doc.title)
        self.parent: str | None = None
        self.top = self.body
        self._names: list[str] | None = None
        self.aliases: dict[str, str] = {}

    def add(self, role: str, name: str | None, post: str | None, start: int, end: int,
            subject: str | None = None) -> None:
        if post:
            post = re.sub(r"[(（]?此件公开发布[)）]?", "", post) or None
        if not (name or post):
            return
        if role in ("主任", "副主任") and subject is None and re.search(_LEADING + "$", self.body or ""):
            role = "办公室" + role  # a leading group has no 主任 of its own: "副主任：徐志红" is its office's
        unit = canonical_unit(post) if post and role in ("办公室", "牵头单位", "成员单位") else None
        parent = self.parent if subject is None else None
        subject = subject or self.body or "（未命名机构）"
        alias = next((a for a, full in self.aliases.items() if full == subject), None)
        fact = Fact(kind="group", role=role, subject=subject, detail=alias,
                    value=_value(name, post),
                    doc_id=self.doc.doc_id, source=self.doc.source, start=start, end=end, person=name,
                    post=post, unit=unit, date=self.doc.date, parent=parent)
        if fact not in self.facts:
            self.facts.append(fact)

    def full_name(self, short: str) -> str | None:
        """The longest-named body of the document that `short` abbreviates ("市指挥部")."""
        if self._names is None:
            text = clean(self.doc.text(self.doc.start, self.doc.end))
            self._names = re.findall(rf"(?:市|阳泉市)[{CJK}]{{2,16}}?{MAIN_BODY}", text)
        found = [n for n in self._names if n != short and abbreviates(short, n) and "（" not in n]
        return max(found, key=found.count) if found else None

    def set_body(self, name: str) -> None:
        """A top-level body (领导小组, 指挥部, 委员会 …) replaces the current one; a working group
        (综合协调组, 第一组) belongs to the top-level body before it. A short form of the current
        body ("治超领导小组" for 阳泉市治理非法超限超载工作领导小组) is that body."""
        name = _HEAD_NUM.sub("", name)
        name = self.aliases.get(name, name)
        if re.fullmatch(rf"市?{MAIN_BODY}", name):  # "市指挥部": the full name the document gives it
            full = self.full_name(name)
            if full:
                self.aliases.setdefault(name, full)
                name = full
        if self.top and name != self.top and abbreviates(name, self.top):
            self.aliases.setdefault(name, self.top)
            name = self.top
        if re.search(_TOP + "$", name) or self.top is None:
            self.top, self.parent = name, None
        else:
            self.parent = self.top
        self.body = name


def abbreviates(short: str, full: str) -> bool:
    """"市防指" abbreviates 市防汛抗旱指挥部: its characters appear in order in the full name, which
    is longer, and both end in the same kind of body."""
    short, full = re.sub(r"^阳泉市?", "", clean(short)), re.sub(r"^阳泉市?", "", clean(full))
    if len(short) >= len(full) or not short:
        return False
    rest = iter(full)
    if not all(ch in rest for ch in short):
        return False
    end = re.search(MAIN_BODY + "$", short)
    return end is None or full.endswith(end.group(0)) or short.endswith(("指", "办"))


def _title_body(title: str) -> str | None:
    m = re.search(rf"(?:成立|调整)(.{{2,40}}?{MAIN_BODY})", clean(title))
    return m.group(1) if m else None


def extract_groups(doc: Document) -> list[Fact]:
    b = _Builder(doc)
    role: str | None = None  # the post that unlabelled rows continue
    previous = ""  # the last prose line: the task a 牵头单位 row belongs to
    rows = list(lines(doc))
    for i, (offset, raw) in enumerate(rows):
        text = raw.rstrip()
        stripped = text.strip(" \u3000-*|")
        if not stripped:
            continue
        lead = offset + text.index(stripped[0])
        name = body_heading(stripped)
        if clean(stripped) in ("领导小组", "领导组", "指挥部") and i:  # a heading broken over lines
            before = next((t for _, t in reversed(rows[:i]) if t.strip()), "")
            name = body_heading(before.strip() + stripped) or name
        if name:
            b.set_body(name)
            role = None
            continue
        prose = not re.search(r"[\t|]", text) and (len(clean(text)) > 40 or "。" in text)
        if prose:  # sentence by sentence: a body set up in a sentence owns the posts it names
            role = None
            for m in re.finditer(r"[^。；;]+[。；;]?", text):
                _sentence(b, m.group(0), offset + m.start(), previous)
        else:
            role = _table_line(b, text, offset, lead, role, previous, stripped)
        if prose:
            previous = clean(stripped)[:40]
    return b.facts


_NAMED = re.compile(rf"([{CJK}“”]{{2,30}}?{MAIN_BODY})[（(]以下简称[“\"]?([^”\")）]{{2,12}}?)[”\"]?[)）]")


def _sentence(b: _Builder, text: str, offset: int, previous: str) -> None:
    for m in _NAMED.finditer(clean(text)):  # "…机构为市交通事故应急指挥部（以下简称市指挥部）"
        full = re.split(r"为|的|是|由|成立|设立|组建", m.group(1))[-1]
        if len(full) > len(m.group(2)):
            b.aliases.setdefault(m.group(2), full)
    bodies = founded(text)
    if any(body is None for body, _ in bodies):
        return  # the posts of a body that is not the city's ("各县成立由县长任组长的领导小组")
    for body, alias in bodies:
        b.set_body(body)
        if alias:
            b.aliases[alias] = body
    for m in _LABEL.finditer(text):  # "办公室主任：王耀东（兼）" inside prose
        value = re.split(r"[，,。；;]", text[m.end():])[0]
        _row(b, clean(m.group("role")), value, offset + m.start("role"), offset + m.end() + len(value), previous)
    _prose(b, text, offset, previous)


def _table_line(b: _Builder, text: str, offset: int, lead: int, role: str | None, previous: str,
                stripped: str) -> str | None:
    """A table row or short line; returns the post that following unlabelled rows continue."""
    for body, alias in founded(stripped):
        if body is None:
            continue
        b.set_body(body)
        if alias:
            b.aliases[alias] = body
    for cell in re.finditer(r"[^\t|]+", text):  # prose beside a table: "杨世英\t市委编办主任\t领导小组下设办公室，…"
        if len(clean(cell.group(0))) > 30 and ("。" in cell.group(0) or "，" in cell.group(0)):
            for m in re.finditer(r"[^。；;]+[。；;]?", cell.group(0)):
                _sentence(b, m.group(0), offset + cell.start() + m.start(), previous)
            text = text[:cell.start()] + " " * len(cell.group(0)) + text[cell.end():]
    labels = list(_LABEL.finditer(text))
    if labels:
        for k, m in enumerate(labels):
            role = clean(m.group("role")).replace("第一副组长", "副组长")
            stop = labels[k + 1].start() if k + 1 < len(labels) else len(text)
            value = text[m.end():stop]
            _row(b, role, value, offset + m.start("role"), offset + m.end() + _used(value), previous)
        return role
    if role and _continues(stripped):
        _row(b, role, text, lead, offset + _used(text), previous)
        return role
    _prose(b, text, offset, previous)
    return None


def _used(value: str) -> int:
    """Length of a row's value up to the end of its last short cell (prose beside a table is not
    part of the row)."""
    end = 0
    for m in re.finditer(r"[^\t|]+", value):
        cell = m.group(0)
        if len(clean(cell)) > 30 or "。" in cell:
            break
        if cell.strip():
            end = m.start() + len(cell.rstrip(" \u3000。；;，,"))
    return end


def _continues(text: str) -> bool:
    first = [re.sub(r"[(（][^)）]*[)）]$", "", t) for t in re.split(r"[\t| \u3000]+", text.strip())]
    return bool(first) and (is_name(clean(first[0])) or (len(first) > 1 and is_name(clean(first[0] + first[1]))))


def _row(b: _Builder, role: str, value: str, start: int, end: int, task: str) -> None:
    if role in ("成员单位", "牵头单位"):
        for unit in (u for u in re.split(r"[、，,\t|]+", clean(value)) if u):
            b.add(role, None, unit, start, end, subject=task or b.body if role == "牵头单位" else None)
        return
    people = split_people(value)
    names_only = all(p is None for _, p, _ in people)
    for k, (name, post, own_cell) in enumerate(people):
        this = role
        if k and own_cell and not names_only and role not in ("成员", "组员", "联络员"):
            this = "成员"  # the second column of a two-column member table
        b.add(this, name, post, start, end)


def _prose(b: _Builder, text: str, offset: int, previous: str = "") -> None:
    for m in _BY.finditer(text):
        for name, post in prose_people(m.group("who")):
            b.add(clean(m.group("role")), name, post, offset + m.start(), offset + m.end())
    for m in _TAKES.finditer(text):
        who = re.split(r"由|成立了?|建立|决定|其中|[:：]", m.group("who"))[-1]
        if not who or "办公室设在" in who:
            continue
        for name, post in prose_people(who):
            if name or (post and _POST_TAIL.search(post) and len(post) <= 24):
                b.add(clean(m.group("role")), name, post, offset + m.start("who") + m.group("who").rfind(who),
                      offset + m.end())
    for m in _OFFICE.finditer(text):
        body = b.body
        owner = re.search(rf"([{CJK}]{{1,20}}?{MAIN_BODY}|市[{CJK}]{{1,4}})(?:下设)?办公室", text[:m.start() + 3])
        name = clean(owner.group(1)) if owner else ""
        if name and name not in b.aliases and b.body and abbreviates(name, b.body) and not re.fullmatch(MAIN_BODY, name):
            b.aliases[name] = b.body  # "市领导小组办公室设在…": the short name of the body
        if name in b.aliases:
            body = b.aliases[name]
        b.add("办公室", None, m.group(1), offset + m.start(), offset + m.end(), subject=body)
    for m in re.finditer(r"牵头", text):
        clause_start = max(text.rfind(c, 0, m.start()) for c in "（(，,。；;：:由") + 1
        units = [u for u in re.split(r"[、和]", clean(text[clause_start:m.start()]).removesuffix("负责")) if u]
        if not units or not all(_UNIT.fullmatch(u) for u in units):
            continue
        stops = "。；;，," if text[clause_start - 1:clause_start] == "由" else "。；;"
        sentence_start = max(text.rfind(c, 0, clause_start - 1) for c in stops) + 1
        task = re.sub(r"^[^：:]{0,8}单位[：:]|^[(（]?[一二三四五六七八九十\d]+[)）.、]", "",
                      clean(text[sentence_start:clause_start]).strip("（(，,由"))[:40] or previous or b.body
        if re.search(r"成立|建立|组建", text) and b.body and re.search(MAIN_BODY, text):
            task = b.body  # "建立联席会议制度，由市能源局牵头"
        for unit in units:
            b.add("牵头单位", None, unit, offset + clause_start, offset + m.end(), subject=task)
