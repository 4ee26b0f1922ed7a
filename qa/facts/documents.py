"""Facts about a document: its 文号, issuer and date (the title block and 落款), when it takes effect
(自…起施行), how long it is valid (有效期X年), what it repeals (…同时废止), and the stages and
deadlines it sets (第一阶段（2022年6月-9月中旬）, X月X日前报送)."""

from __future__ import annotations

import re

from ..text import find_doc_numbers, normalize_doc_number
from ..types import Document
from .records import Fact, clean

_DATE = (r"(?:(?:\d{4}\s*年\s*)?\d{1,2}\s*月(?:\s*\d{1,2}\s*日|底|末|中旬|上旬|下旬|初)?|\d{4}\.\d{1,2}|\d{4}\s*年(?:底|末)?|每月\s*\d{1,2}\s*日)"
         r"(?:前|以前|之前)?")
_EFFECTIVE = re.compile(r"(?:自|于)?\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|印发之日|发布之日|公布之日|颁布之日)\s*(起?\s*(?:[一二三四五六七八九十\d]+日后)?)\s*(?:正式|开始)?(?:施行|实施|执行|生效)")
_VALIDITY = re.compile(r"(?:有效期|执行期限|实施期限)(?:暂定)?(?:为|至)?\s*((?:自[^，。；]{2,12}?起)?[\d一二两三四五六七八九十]+\s*(?:年|个月)|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)")
_REPEAL = re.compile(r"[^。；]*?同时废止")
_STAGE = re.compile(rf"(第[一二三四五六七八九十]+阶段|[\u4e00-\u9fff“”]{{2,10}}阶段)\s*[:：]?\s*([\u4e00-\u9fff]{{2,8}})?\s*"
                    rf"[（(]\s*({_DATE}\s*(?:[-—－～~至到]+\s*{_DATE})?)\s*[)）](?:\s*[:：]\s*([\u4e00-\u9fff]{{2,10}}))?")
_PHASE = re.compile(rf"[（(][一二三四五六七八九十]+[)）]\s*([\u4e00-\u9fff]{{2,10}}?)\s*[（(]\s*({_DATE}\s*[-—－～~至到]+\s*{_DATE})\s*[)）]")
_DEADLINE = re.compile(rf"(?:于|在)?\s*({_DATE})\s*(?:前|之前|以前)")


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end) in `text`: from the previous 。；or line break to the next 。；."""
    a = max(text.rfind(c, 0, start) for c in "。；;\n") + 1
    b = min((i for i in (text.find(c, end) for c in "。；;") if i >= 0), default=len(text))
    while a < start and text[a].isspace():
        a += 1
    return a, min(b + 1, len(text))


_OWN = re.compile(r"^(?:第[一二三四五六七八九十百]+条)?\s*本\s*(?:办法|方案|细则|意见|文件|规定|预案|通知|计划|措施|决定|规划|制度|标准)")


def _own(sentence: str) -> str | None:
    """"本办法自…起施行，有效期5年": the document's own date or validity (not an enterprise's, a licence's)."""
    return "本文件" if _OWN.search(clean(sentence)) else None


def extract_document_facts(doc: Document) -> list[Fact]:
    facts: list[Fact] = []
    title = doc.title

    def add(role: str, value: str, start: int, end: int, subject: str | None = None,
            detail: str | None = None) -> None:
        if start < end:
            facts.append(Fact(kind="document", role=role, subject=subject or title, value=value, doc_id=doc.doc_id,
                              source=doc.source, start=start, end=end, date=doc.date, detail=detail))

    head = doc.text(doc.start, doc.body_start)
    if doc.doc_number:
        at = head.find(doc.doc_number)
        if at >= 0:
            add("文号", doc.doc_number_norm or doc.doc_number, doc.start + at, doc.start + at + len(doc.doc_number))
    body = doc.text(doc.body_start, doc.end)
    base = doc.body_start
    if doc.date:
        y, m, d = (int(x) for x in doc.date.split("-"))
        found = list(re.finditer(rf"{y}\s*年\s*0?{m}\s*月\s*0?{d}\s*日", body))
        if found:
            last = found[-1]
            add("成文日期", f"{y}年{m}月{d}日", base + last.start(), base + last.end(), detail=doc.issuer)
    for m in _EFFECTIVE.finditer(body):
        a, b = _sentence(body, m.start(), m.end())
        add("施行", clean(m.group(0)), base + a, base + b, detail=_own(body[a:b]))  # verbatim: "自…起施行"
    for m in _VALIDITY.finditer(body):
        a, b = _sentence(body, m.start(), m.end())
        add("有效期", clean(m.group(0)), base + a, base + b, detail=_own(body[a:b]))  # verbatim: "有效期为两年"
    for m in _REPEAL.finditer(body):
        sentence = m.group(0)
        a = m.start() + len(sentence) - len(sentence.lstrip())
        numbers = find_doc_numbers(sentence)
        titles = re.findall(r"《([^》]{4,80})》", sentence)
        repealed = [normalize_doc_number(n) or n for n in numbers] or titles
        for value in repealed:
            add("废止", value, base + a, base + m.end(), detail="、".join(titles) or None)
    for m in _STAGE.finditer(body):  # "第一阶段(2019.8—2019.10):夯实基础", "第一阶段:组织准备(8月20日-8月31日)"
        name = m.group(2) or m.group(4)
        add("阶段", clean(m.group(3)), base + m.start(), base + m.end(),
            subject=clean(m.group(1)) + (f"：{name}" if name else ""))
    for m in _PHASE.finditer(body):  # "(一)重点排查(2022年6月-9月中旬)"
        if not m.group(1).endswith("阶段"):
            add("阶段", clean(m.group(2)), base + m.start(1), base + m.end(), subject=clean(m.group(1)))
    for m in _DEADLINE.finditer(body):
        a, b = _sentence(body, m.start(), m.end())
        what = clean(body[m.end():b]).strip("，,。；;")[:60]
        if what:
            add("期限", clean(m.group(1)), base + a, base + b, detail=what)
    return facts
