"""Synthetic dev questions generated from the corpus's structure (for learning the reader's scorer).

Each question is answered outright by one source line (``evidence``, verbatim, 15-120 chars):
leading-group rows (组长/副组长/办公室主任/总指挥…), 办公室设在/由…牵头 (dept), appointments in
任免 notices (who), 施行/有效期/deadlines/常务会议 dates (when) and numbers with units (number).
A question text that would have two different answers in the corpus is dropped.

    python -m eval.synth --out eval/synthetic.jsonl --stats
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from eval.dataset import DEFAULT_CORPUS, DEFAULT_QUESTIONS, EVIDENCE_MAX, EVIDENCE_MIN, Question, load_questions
from qa.parse import parse_file
from qa.text import squash
from qa.types import Document

C = r"\u4e00-\u9fff"
_ROLE = re.compile(
    r"^[\s|\-*]*(?P<role>(?:常\s*务\s*|第\s*一\s*)?副?\s*组\s*长|办\s*公\s*室\s*主\s*任|"
    r"(?:常\s*务\s*)?副?\s*总\s*指\s*挥|副?\s*指\s*挥\s*长)\s*(?:[:：]|\||\t)(?P<rest>.*)$")
_NAME = re.compile(rf"^(?P<name>[{C}] [{C}]|[{C}]{{2,4}})(?=[\s|（(]|$)")
_NOT_NAME = re.compile(r"^(?:市|县|省|阳泉|分管|灾害|各|由)")
_TITLE_END = tuple("长任员记席人官师理事")
_GROUP_WORDS = ("领导小组", "领导组", "指挥部", "委员会", "工作专班", "工作组")
_ENUM = re.compile(r"^(?:[-—]+|附件\d*[:：]?|[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、|(?:\d+[.、．])*\d+[.、．]?(?=[\u4e00-\u9fff])(?![年月日个万亿户家座所项名元天次条级岁倍])|\d+(?:\.\d+)*[.、．]|第[一二三四五六七八九十百]+条)")
_FOUNDED = re.compile(rf"(?:成立|调整)(?:了)?((?:阳泉市)?[^，。；：:“”]{{2,40}}?(?:{'|'.join(_GROUP_WORDS)}))")
_LIST_TAIL = re.compile(r"(?:组成人员名单|成员名单|组成人员|人员名单|名单|成员)$")
_OFFICE = re.compile(r"(?P<subj>[^，。；,;、\s]{0,12}?)办公室设在(?P<dept>[^，。；,;、（(\s]{2,16}?)(?=[，。；,;（(]|$|负责|承担)")
_LEAD = re.compile(rf"(?:牵头单位[:：])?(?P<task>[{C}“”（）()\d]{{4,30}}?)由(?P<dept>市[{C}]{{2,14}}?)牵头")
_DEPT_END = re.compile(r"(?:局|委|办|中心|室|委员会|办公室|支队|公司|政府)$")
_APPOINT = re.compile(rf"^(?:[^，。]*任命[:：])?(?P<name>[{C}] [{C}]|[{C}]{{2,3}})(?P<verb>为|任)(?P<pos>[^；;。，]{{4,60}}?)[；;。]?\s*$")
_DISMISS = re.compile(rf"^(?:免去[:：]?)?(?P<name>[{C}] [{C}]|[{C}]{{2,3}})的(?P<pos>[^；;。，]{{4,60}}?)职务[；;。]?\s*$")
_PAREN = re.compile(r"[（(][^）)]*[）)]")
_MEETING = re.compile(r"(?P<d>\d{4}年\d{1,2}月\d{1,2}日)常务会议")
_EFFECT = re.compile(r"自\s*(?P<d>\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[^，。；\s]{2,6}之日)\s*起\s*(?:施行|实施|执行)")
_VALID = re.compile(r"有效期(?:为)?\s*(?P<d>[\d一二三四五两]+\s*年)")
_DEADLINE = re.compile(r"(?P<d>(?:\d{4}\s*年\s*)?\d{1,2}\s*月\s*(?:\d{1,2}\s*日|底))\s*前")
_DEADLINE_VERB = re.compile(r"报送|上报|完成|报市|提交|建成|启动|报领导|落实到位")
_NUMBER = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<u>万元|亿元|元|%|个|座|家|万平方米|平方米|平方公里|所|户|辆|万吨|吨|公里|万亩|亩|公顷|人|项|处|条|天|小时|个工作日)")
_NUM_KEY = re.compile(r"补贴|奖励|补助|资助|标准|目标|达到|达|不低于|不少于|不超过|不得超过|不高于|提高到|控制在|新建|建成|"
                      r"累计|给予|配备|培育|完成|建设|改造|时限|压缩至|缩短至|以内|每年|最高")
_TIME_PHRASE = re.compile(r"^(?:到|至|截至)?\d{4}年(?:底|末)?(?:前)?$")
_WS = re.compile(r"\s+")
_MONTHS = "January February March April May June July August September October November December".split()

ZH_GROUP = {
    "组长": ["{g}组长是谁？", "{g}的组长由谁担任？", "谁担任{g}组长？", "{g}由谁任组长？"],
    "办公室主任": ["{g}办公室主任是谁？", "{g}办公室主任由谁担任？", "谁任{g}办公室主任？"],
    "*": ["{g}{r}是谁？", "谁担任{g}{r}？", "{g}的{r}由谁担任？"],
}
EN_GROUP = {"组长": "Who is the group leader of the {g}?", "办公室主任": "Who directs the office of the {g}?",
            "总指挥": "Who is the commander-in-chief of the {g}?", "指挥长": "Who is the commander of the {g}?"}


def short_title(title: str) -> str:
    """`阳泉市人民政府办公室关于印发阳泉市地震应急预案的通知` -> `地震应急预案`."""
    t = squash(title)
    t = re.sub(r"^阳泉市人民政府(?:办公室)?", "", t)
    t = re.sub(r"^关于(?:印发|公布|转发)?", "", t)
    t = re.sub(r"的(?:补充)?(?:通知|通报|决定|批复)$", "", t)
    t = re.sub(r"^《(.*)》$", r"\1", t)
    return re.sub(r"^阳泉市(?=.{6})", "", t)


def _clip(line: str, a: int, b: int) -> str | None:
    """The sentence of `line` holding line[a:b], cut at clause marks to <= EVIDENCE_MAX chars."""
    line = line.rstrip()
    s = max(line.rfind(p, 0, a) for p in "。；;！？") + 1
    ends = [i for i in (line.find(p, b) for p in "。；;！？") if i >= 0]
    e = min(ends) + 1 if ends else len(line)
    while e - s > EVIDENCE_MAX:
        left = max(line.rfind(p, s, a) for p in "，,：:")
        right = min([i for i in (line.find(p, b, e - 1) for p in "，,") if i >= 0] or [e])
        if left >= s and (a - left >= e - right or right >= e):
            s = left + 1
        elif right < e:
            e = right
        else:
            return None
    ev = line[s:e].strip()
    return ev if EVIDENCE_MIN <= len(ev) <= EVIDENCE_MAX else None


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.out: list[Question] = []
        self.keys: list[tuple] = []
        self.facts: dict[tuple, set[str]] = {}  # every fact seen, asked or not: key -> answers

    def fact(self, qtype: str, key: tuple, answer: str) -> None:
        self.facts.setdefault((qtype, *key), set()).add(squash(answer))

    def add(self, doc: Document, qtype: str, key: tuple, question: str, answer: str, must: list[str],
            evidence: str | None, lang: str = "zh") -> None:
        """Keep a candidate; `key` names what is asked, template aside (for the ambiguity check)."""
        self.fact(qtype, key, answer)
        must = [m.strip() for m in must if m and m.strip()]
        if not evidence or not must or not all(2 <= len(m) <= 15 and m in evidence for m in must):
            return
        self.keys.append((qtype, *key))
        self.out.append(Question(id="", lang=lang, question=question, type=qtype, answer=answer,
                                 must_include=tuple(must), doc_number=doc.doc_number_norm, source=doc.source,
                                 evidence=evidence))

    def pick(self, templates: list[str], **kw: str) -> str:
        return self.rng.choice(templates).format(**kw)


def _lines(doc: Document, text: str) -> list[str]:
    """The document's body lines as in the source; page furniture lines blanked."""
    src = text[doc.body_start:doc.end].split("\n")
    blank = doc.body[doc.body_start - doc.start:].split("\n")
    return [s if b.strip() else "" for s, b in zip(src, blank)]


_GENERIC = re.compile(rf"^(?:阳泉)?市?(?:{'|'.join(_GROUP_WORDS)}|联席会议|防指|工作小组|小组)$")
_BAD_GROUP = re.compile(r"任组长|负责人|由|的|^(?:山西省|省|国家|国务院)")


def _ok_group(g: str | None) -> str | None:
    return g if g and not _GENERIC.match(g) and not _BAD_GROUP.search(g) else None


_STAGE = re.compile(r"^\s*[（(]\s*[一二三四五六七八九十]+\s*[)）]\s*(?P<st>[^（()）。，]{2,14}?)\s*"
                    r"[（(](?P<d>[^）)]*\d\s*月[^）)]*)[）)]")


def _group_of_line(line: str, prev: str) -> tuple[str | None, bool]:
    """(group name, is a sub-group heading like `（1）综合协调组`) named by one line, if any."""
    raw = line.strip(" |-*")
    if "\t" in raw or re.match(rf"^[{C}]{{1,3}}\s", raw):
        return None, False  # a member row ("赵建军 市发展和改革委员会 …"), not a heading
    s = squash(raw)
    if re.fullmatch(r"第[一二三四五六七八九十]+组[:：]?", s):
        return "", False  # "第二组：" of an unnamed series: stop, the group cannot be named
    m = _FOUNDED.search(s)
    if m:
        return _ok_group(m.group(1)), False
    had_enum = bool(_ENUM.match(s))
    s = _ENUM.sub("", s).rstrip(":：")
    s = _LIST_TAIL.sub("", s)
    if s in _GROUP_WORDS and prev:
        s = _ENUM.sub("", squash(prev)) + s
    if 3 <= len(s) <= 40 and not re.search(r"[。，；,]", s):
        if _GENERIC.match(s):
            return s, True  # "市指挥部": named by the document it is in
        if s.endswith(_GROUP_WORDS) or s.endswith("小组"):
            return _ok_group(s), len(s) <= 8  # a short name ("抗震救灾指挥部") is qualified by the document
        if (had_enum or len(s) <= 8) and s.endswith("组") and len(s) <= 12:
            return s, True
    return None, False


def _find_group(lines: list[str], i: int, doc: Document, role: str) -> tuple[str | None, bool]:
    for j in range(i - 1, max(-1, i - 40), -1):
        m = _ROLE.match(lines[j])
        if m and role == "组长" and squash(m.group("role")) == "组长":
            break  # the previous group's row: this group's heading was not found in between
        prev = next((lines[k] for k in range(j - 1, max(-1, j - 3), -1) if lines[k].strip()), "")
        g, sub = _group_of_line(lines[j], prev)
        if g is not None:
            return g or None, sub
    m = _FOUNDED.search(squash(doc.title))
    return (_ok_group(m.group(1)), False) if m else (None, False)


def _single_row(lines: list[str], i: int) -> bool:
    """True when the row after line i starts another labelled row (one holder of the role)."""
    nxt = next((ln for ln in lines[i + 1:i + 4] if ln.strip()), "")
    return bool(re.match(r"^[\s|\-*]*(?:[^\s|：:]\s*){1,10}[:：|\t]", nxt)) and not _NAME.match(nxt.strip(" |-*\t"))


def _group_rows(g: _Gen, doc: Document, lines: list[str]) -> None:
    short = short_title(doc.title)
    for i, line in enumerate(lines):
        m = _ROLE.match(line)
        if not m:
            continue
        role, rest = squash(m.group("role")), m.group("rest").strip(" |\t")
        if role.startswith("副") and not _single_row(lines, i):
            continue
        group, sub = _find_group(lines, i, doc, role)
        if not group:
            continue
        group = group if not sub else f"《{short}》中{group}"
        ev = line.strip()
        if not EVIDENCE_MIN <= len(ev) <= EVIDENCE_MAX:
            continue
        nm = _NAME.match(rest)
        if nm and not _NOT_NAME.match(nm.group("name")):
            name = nm.group("name")
            tail = rest[len(name):]
            pm = re.match(r"\s*[（(]([^）)]+)[）)]", tail)
            title = pm.group(1) if pm else next((t for t in re.split(r"[\t|]|\s{2,}|\s", tail) if t.strip()), "")
            title = title.strip() if title.strip().endswith(_TITLE_END) else ""
            ans, must = squash(name) + (f"（{title}）" if title else ""), [name]
        else:
            post = rest.strip().rstrip("。")
            if not post or len(post) > 60 or re.search(r"\d", post) or not re.search("长|主任|负责人|书记", post):
                continue
            ans, must = post, [post.split("、")[0][:15]]
        key = ("group", group, role)
        if role in EN_GROUP and not sub and g.rng.random() < 0.3:
            en = ans.replace("（", " (").replace("）", ")")
            g.add(doc, "who", key, EN_GROUP[role].format(g=group), en, must, ev, "en")
        else:
            g.add(doc, "who", key, g.pick(ZH_GROUP.get(role, ZH_GROUP["*"]), g=group, r=role), ans, must, ev)


def _depts(g: _Gen, doc: Document, lines: list[str]) -> None:
    short = short_title(doc.title)
    for i, line in enumerate(lines):
        for m in _OFFICE.finditer(line):
            dept, head = m.group("dept"), squash(line[:m.start()])
            last = squash(re.split(r"[\t，。；,;]", line[:m.start()].rstrip("，, "))[-1])
            if not _DEPT_END.search(dept):
                continue
            named = _FOUNDED.search(head) or re.search(
                rf"^([{C}“”]{{2,30}}?(?:{'|'.join(_GROUP_WORDS)}|联席会议))(?:（[^）]*）)?下设办公室", last)
            group, sub = (_ok_group(named.group(1)), False) if named else (None, False)
            if not group and not re.search(r"总链长|联席会议", head + m.group("subj")):
                group, sub = _find_group(lines, i, doc, "")
            if not group:
                continue
            group = f"《{short}》中{group}" if sub else group
            q = g.pick(["{g}办公室设在哪里？", "{g}的办公室设在哪个部门？", "{g}办公室设在什么单位？"], g=group)
            g.add(doc, "dept", ("office", group), q, dept, [dept], _clip(line, m.start("dept"), m.end("dept")))
        for m in _LEAD.finditer(line):
            task, dept = m.group("task"), m.group("dept")
            task = re.sub(r"^(?:[，,；;：:]|工作|由)", "", _ENUM.sub("", task))
            if len(task) < 4 or not _DEPT_END.search(dept) or re.search(r"^[和、及]|[和、及]$", task):
                continue
            q = g.pick(["{t}由哪个部门牵头？", "{t}的牵头单位是哪个？", "哪个部门牵头负责{t}？"], t=task)
            q = f"按照《{short}》，{q}" if len(task) < 8 else q
            g.add(doc, "dept", ("lead", task, short if len(task) < 8 else ""), q, dept, [dept],
                  _clip(line, m.start("task"), m.end("dept")))


def _appointments(g: _Gen, doc: Document, lines: list[str]) -> None:
    if "任" not in (doc.doc_number_norm or ""):
        return
    y, mo = (doc.date or "0000-00")[:4], int((doc.date or "0000-00")[5:7] or 0)
    when_zh = f"{y}年{mo}月" if mo else ""
    when_en = f" in {_MONTHS[mo - 1]} {y}" if mo else ""
    for line in lines:
        ev = line.strip()
        mm = _MEETING.search(squash(line))
        if mm and EVIDENCE_MIN <= len(ev) <= EVIDENCE_MAX:
            subj = short_title(doc.title)
            q = g.pick(["{s}是经哪天的市政府常务会议决定的？", "关于{s}的决定出自哪天的市政府常务会议？"], s=subj)
            d = mm.group("d")
            g.add(doc, "when", ("meeting", subj), q, d, [d], ev if d in ev else None)
        for pat, kind in ((_APPOINT, "任命"), (_DISMISS, "免去")):
            m = pat.match(ev)
            if not m or not EVIDENCE_MIN <= len(ev) <= EVIDENCE_MAX or ev.startswith(("经", "免去")):
                continue
            name, pos_full = m.group("name"), m.group("pos").strip()
            pos = _PAREN.sub("", squash(pos_full))
            if not re.search(r"(?:长|主任|书记|督学|董事|经理|秘书|委员|专员|调研员)$", pos):
                continue
            core = re.sub(r"^阳泉市", "", pos)
            ask_who = g.rng.random() < 0.5  # one question per line: who holds the post, or which post
            g.fact("who", (kind, when_zh, pos), squash(name))  # both facts count for the ambiguity check
            g.fact("who", (kind + "职务", when_zh, squash(name)), pos_full)
            if ask_who and kind == "任命" and g.rng.random() < 0.25:
                g.add(doc, "who", (kind, when_zh, pos), f"Who was appointed {pos}{when_en}?", squash(name),
                      [name], ev, "en")
            elif ask_who:
                tpl = (["{w}谁被任命为{p}？", "{w}谁出任{p}？", "{w}被任命为{p}的是谁？"] if kind == "任命"
                       else ["{w}谁被免去了{p}职务？", "{w}哪位被免去{p}职务？"])
                g.add(doc, "who", (kind, when_zh, pos), g.pick(tpl, w=when_zh, p=pos), squash(name), [name], ev)
            else:
                tpl = (["{w}{n}被任命为什么职务？", "{n}{w}被任命担任什么职务？"] if kind == "任命"
                       else ["{w}{n}被免去了什么职务？", "{n}{w}被免去的是哪个职务？"])
                g.add(doc, "who", (kind + "职务", when_zh, squash(name)), g.pick(tpl, w=when_zh, n=squash(name)),
                      pos_full, [core] if core in ev else [], ev)


def _clause(line: str, a: int) -> tuple[int, str]:
    """Start offset and text of the clause of `line` that holds offset a, up to a."""
    s = max(line.rfind(p, 0, a) for p in "，。；;,：:") + 1
    return s, line[s:a]


_KIND = re.compile(r"本(操作细则|实施细则|办法|方案|细则|规定|意见|预案|计划|文件|通知|决定)")
_SUBJECT = re.compile(r"率|比例|占比|能力|面积|数量|数|量|标准|奖励|补贴|补助|资助|收入|投资|规模|资金|费|价|额|值|累计|新建|建成|"
                      r"时限|时间|办结|培育|改造|建设|配备|公路|学校|企业|站|中心|设施|项目|床位|人员")


def _own_rule(line: str, short: str) -> bool:
    """The 施行/有效期 line is about this document (本办法 in a 办法), not an attachment's rule."""
    k = _KIND.search(line)
    return bool(k) and (k.group(1) in ("文件", "通知", "决定") or _PAREN.sub("", short).endswith(k.group(1)))


def _dates_numbers(g: _Gen, doc: Document, lines: list[str]) -> None:
    short = short_title(doc.title)
    for line in lines:
        for m in _EFFECT.finditer(line):
            if not _own_rule(line, short):
                continue
            d, ans = m.group("d"), squash(m.group(0))
            if g.rng.random() < 0.2:
                q = f"When does the 《{short}》 take effect?"
                g.add(doc, "when", ("effect", short), q, ans, [d], _clip(line, m.start(), m.end()), "en")
            else:
                q = g.pick(["{t}什么时候开始施行？", "{t}自何时起施行？", "{t}从哪天起施行？"], t=short)
                g.add(doc, "when", ("effect", short), q, ans, [d], _clip(line, m.start(), m.end()))
        for m in _VALID.finditer(line):
            if _own_rule(line, short):
                q = g.pick(["{t}的有效期是多长？", "{t}有效期多久？"], t=short)
                g.add(doc, "when", ("valid", short), q, f"有效期{squash(m.group('d'))}", [m.group("d")],
                      _clip(line, m.start(), m.end()))
        st = _STAGE.match(line)
        if st:
            d = st.group("d").strip()
            must = d if len(d) <= 15 else re.split(r"\s*(?:至|—|-|－)\s*", d)[0]
            q = g.pick(["按照《{t}》，{s}安排在什么时间？", "《{t}》中{s}是什么时间段？"], t=short, s=squash(st.group("st")))
            g.add(doc, "when", ("stage", short, squash(st.group("st"))), q, squash(d), [must],
                  _clip(line, st.start("d"), st.end("d")))
        for m in _DEADLINE.finditer(line):
            cs, before = _clause(line, m.start())
            after = re.split(r"[，。；;,]", line[m.end():])[0]
            subj = re.sub(r"[于在要]+$", "", squash(_ENUM.sub("", before.strip())))
            cut = m.end() + len(after) >= len(line.rstrip())  # the sentence runs on to the next line
            if (not _DEADLINE_VERB.search(after) or len(after) > 40 or cut or 0 < len(subj) < 3
                    or (not subj and squash(before))):
                continue
            ask = re.sub(r"^[（(][^）)]*[）)]", "", squash(before)) + "什么时间前" + squash(after)
            q = g.pick(["按照《{t}》，{a}？", "《{t}》要求{a}？"], t=short, a=ask)
            g.add(doc, "when", ("deadline", short, ask), q, squash(m.group("d")) + "前", [m.group("d")],
                  _clip(line, cs, m.end() + len(after)))
        for m in _NUMBER.finditer(line):
            cs, before = _clause(line, m.start())
            pre = _ENUM.sub("", squash(_PAREN.sub("", before)))
            nxt = line[m.end():m.end() + 3]
            if (not _NUM_KEY.search(pre) or len(pre) < 6 or re.search(r"\d", pre[-3:]) or "分别" in pre
                    or re.match(r"(?:其中|其|对|并|且|和|及|或|、)", pre) or re.search(r"[≥≤<>、]", pre)
                    or re.match(r"\s*、\s*\d", nxt) or (m.group("u") == "个" and nxt[:1] in "月工")
                    or _TIME_PHRASE.match(pre) or re.search(r"\d(?!\d*年)", pre)
                    or len(re.sub(r"^(?:到|至)?\d{4}年(?:底|末)?", "", pre)) <= 4):
                continue
            if cs > 0 and line[cs - 1] in "：:":
                head = _ENUM.sub("", squash(_clause(line, cs - 1)[1]))
                pre = head + pre if 2 <= len(head) <= 12 and not _TIME_PHRASE.match(head) else pre
            elif cs > 0:
                prev = squash(_clause(line, cs - 1)[1])
                if _TIME_PHRASE.match(prev) and not re.search(r"\d{4}年", pre):
                    pre = prev + "，" + pre
            if not _SUBJECT.search(pre):
                continue
            q = g.pick(["按照《{t}》，{p}多少？", "《{t}》中，{p}多少？", "根据{t}，{p}多少？"], t=short, p=pre)
            num = m.group(0)
            g.add(doc, "number", ("number", short, pre), q, squash(num), [num], _clip(line, m.start(), m.end()))


_LIST = re.compile(rf"(?P<subj>[{C}“”\d+]{{3,20}}?)[,，]?(?:(?<![立随当])即|(?<!不)包括|(?<!不)包含|分为|主要有|分别是|是指)[:：]?(?=[{C}“])")
_LIST_SUBJ_BAD = re.compile(r"^(?:其中|主要|重点|并|和|及|等|要|应|将|按照|通过|根据)|[的了]$|[为要]|提供|(?<!\d)\d+(?!\d*个)")


def _lists(g: _Gen, doc: Document, lines: list[str]) -> None:
    """'全市5个国家重点镇，即娘子关镇、荫营镇…' / '“4”是指有害垃圾、可回收物…' / 'X包括A、B、C': a list
    question about the subject, answered by the items (the first and last must be found)."""
    from qa.reader.enums import enumeration_items

    short = short_title(doc.title)
    for line in lines:
        for m in _LIST.finditer(line):
            subj = _ENUM.sub("", squash(m.group("subj"))).strip("“”")
            end = min([i for i in (line.find(p, m.end()) for p in "。；;") if i >= 0] or [len(line)])
            items = enumeration_items(line[m.end():end])
            if (len(items) < 3 or len(subj) < 3 or _LIST_SUBJ_BAD.search(subj)
                    or not all(2 <= len(x) <= 15 and x.count("（") == x.count("）") and not re.search("[“”]", x) for x in items)
                    or not line[m.end():].lstrip("：: ").startswith(items[0][:2])):  # the list right after
                continue
            ask = "是哪几个" if re.search(r"\d+个|[一二三四五六七八九十]个", subj) else g.rng.choice(["有哪些", "包括哪些"])
            q = g.pick(["按照《{t}》，{s}{a}？", "《{t}》中{s}{a}？"], t=short, s=subj, a=ask)
            g.add(doc, "list", ("list", short, subj), q, "、".join(items), [items[0], items[-1]],
                  _clip(line, m.start(), end))


def _dedupe(qs: list[Question], keys: list[tuple], facts: dict[tuple, set[str]]) -> list[Question]:
    """Drop every question whose key (or text) has two different answers; keep the first of repeats."""
    answers: dict[object, set[str]] = dict(facts)
    for q, k in zip(qs, keys):
        for kk in (k, squash(q.question)):
            answers.setdefault(kk, set()).add(squash(q.answer))
    seen: set[object] = set()
    out = []
    for q, k in zip(qs, keys):
        kq = squash(q.question)
        if len(answers[k]) == 1 and len(answers[kq]) == 1 and k not in seen and kq not in seen:
            seen.update((k, kq))
            out.append(q)
    return out


def generate(data_dir: Path | None = None, seed: int = 0, exclude: list[Question] | None = None) -> list[Question]:
    """Questions from every issue in `data_dir` (default: the corpus); ids s0001… in corpus order.

    `exclude`: questions (e.g. the dev set) whose evidence lines are left out, to keep them unseen.
    """
    g = _Gen(seed)
    for path in sorted(Path(data_dir or DEFAULT_CORPUS).glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for doc in parse_file(path).documents:
            lines = _lines(doc, text)
            for step in (_group_rows, _depts, _appointments, _dates_numbers, _lists):
                step(g, doc, lines)
    banned = {(q.source, squash(q.evidence)) for q in exclude or [] if q.evidence}
    qs = [q for q in _dedupe(g.out, g.keys, g.facts)
          if not any(src == q.source and (ev in squash(q.evidence) or squash(q.evidence) in ev)
                     for src, ev in banned)]
    return [Question(**{**asdict(q), "id": f"s{i:04d}"}) for i, q in enumerate(qs, 1)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.synth", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--out", type=Path, help="JSONL file to write (default: stdout)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep-dev-overlap", action="store_true",
                    help="keep questions whose evidence is also evidence of a dev-set question")
    ap.add_argument("--stats", action="store_true", help="print counts per type and lang to stderr")
    args = ap.parse_args(argv)
    exclude = [] if args.keep_dev_overlap or not DEFAULT_QUESTIONS.exists() else load_questions(DEFAULT_QUESTIONS)
    qs = generate(args.data_dir, args.seed, exclude=exclude)
    lines = [json.dumps({**asdict(q), "must_include": list(q.must_include)}, ensure_ascii=False) for q in qs]
    if args.out:
        args.out.write_text("".join(f"{ln}\n" for ln in lines), encoding="utf-8")
    else:
        print("\n".join(lines))
    if args.stats:
        print(f"{len(qs)} questions", file=sys.stderr)
        for key in ("type", "lang"):
            c = Counter(getattr(q, key) for q in qs)
            print(f"by {key}: " + ", ".join(f"{k}={v}" for k, v in sorted(c.items())), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
