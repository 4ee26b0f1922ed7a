"""Appointments and removals (人事任免): `程建军为阳泉市商务局副局长；`, `免去：\n周万谨的…副主任职务；`,
`因机构改革，杜俊德的…所长职务自行免去`, with the notice's 文号, date and the meeting that decided it."""

from __future__ import annotations

import re

from ..reader.people import _POST_END, is_name
from ..types import Document
from .records import Fact, clean

_NOTICE = re.compile(r"任免|任职|免职|任命|聘任|解聘|职务")
_ACTION = re.compile(r"(决定)?(任命|免去|聘任|解聘)[:：]")
_MEETING = re.compile(r"经([^。；，,]{4,60}?(?:会议|常务会议))(?:研究)?(?:决定|审议通过)|已经([^。；]{4,60}?会议)审议通过")
_NOTE = re.compile(r"[（(](试用期[^)）]*|保留原职级待遇|兼)[)）]")
_NAME = r"[\u4e00-\u9fff](?:[ \u3000]?[\u4e00-\u9fff]){1,2}"
_APPOINT = re.compile(rf"(?:^|(?<=[：:，,]))(?:同意)?(?P<name>{_NAME})(?:同志)?为(?P<post>[^；;。]{{2,80}})$")
_REMOVE = re.compile(rf"(?:^|(?<=[：:，,])|(?<=免去)|(?<=解聘))(?P<name>{_NAME})(?:同志)?的(?P<post>[^；;。]{{2,80}}?)职务(?P<tail>.*)$")


def is_notice(doc: Document) -> bool:
    return bool(doc.doc_number and "任" in doc.doc_number) or bool(_NOTICE.search(doc.title)) or (
        doc.category or "").startswith("人事")


def _post(raw: str) -> tuple[str, str | None]:
    """The post without its notes: "…主任（试用期一年）" -> ("…主任", "试用期一年")."""
    post = clean(raw)
    notes = [m.group(1) for m in _NOTE.finditer(post)]
    post = _NOTE.sub("", post).rstrip("，,")
    return post, "、".join(notes) or None


def extract_appointments(doc: Document) -> list[Fact]:
    if not is_notice(doc):
        return []
    text = doc.text(doc.body_start, doc.end)
    flat = clean(text)
    meeting = _MEETING.search(flat)
    detail_meeting = (meeting.group(1) or meeting.group(2)) if meeting else None
    facts: list[Fact] = []
    action = "任命"
    # entries end at ；/。/line-ending colons; each may span several lines
    for m in re.finditer(r"[^；;。]+", text):
        entry = m.group(0)
        base = doc.body_start + m.start()
        pieces = [(p.start(), p.group(0)) for p in re.finditer(r"[^：:]+[：:]?", entry)]
        # OCR dropped a "；" between two entries: a new line that starts "张三的…" or "张三为…"
        pieces = [(at + q.start(), q.group(0)) for at, piece in pieces
                  for q in re.finditer(rf"(?:^|\n\s*)(?:(?!\n\s*{_NAME}(?:的|为)).)+", piece, re.S)]
        for at, chunk in pieces:
            head = clean(chunk)
            found = _ACTION.search(head)
            if found and head.endswith(("：", ":")):
                action = found.group(2)
                continue
            if not head:
                continue
            start = base + at + (len(chunk) - len(chunk.lstrip()))
            end = base + at + len(chunk.rstrip())
            _entry(doc, head, action, start, end, detail_meeting, facts)
    return facts


def _entry(doc: Document, head: str, action: str, start: int, end: int, meeting: str | None,
           facts: list[Fact]) -> None:
    head = re.sub(r"^(?:因[^，,]{2,12}[，,])", "", head)  # 因机构改革，…
    removed = _REMOVE.search(head)
    if removed and is_name(removed.group("name")):
        tail = removed.group("tail")
        post, note = _post(removed.group("post") + "".join(m.group(0) for m in _NOTE.finditer(tail)))
        self_removed = "自行免去" in tail or "自然免除" in tail
        kind = "解聘" if action == "解聘" else "免去"
        post = "原任职务" if post == "原任" else post  # "胡长卿的原任职务自行免去": the post is not named
        _add(doc, facts, kind, removed.group("name"), post or "原任职务", start, end, meeting,
             "、".join(x for x in (note, "自行免去" if self_removed else None) if x) or None)
        return
    appointed = _APPOINT.search(head)
    if appointed and is_name(appointed.group("name")) and action in ("任命", "聘任"):
        post, note = _post(appointed.group("post"))
        if not re.search(rf"(?:{_POST_END}|成员|委员)(?:（[^）]*）)*$", post):
            return
        _add(doc, facts, action, appointed.group("name"), post, start, end, meeting, note)


def _add(doc: Document, facts: list[Fact], role: str, name: str, post: str, start: int, end: int,
         meeting: str | None, note: str | None) -> None:
    details = "；".join(x for x in (note, meeting) if x) or None
    facts.append(Fact(kind="appointment", role=role, subject=clean(name), value=post, doc_id=doc.doc_id,
                      source=doc.source, start=start, end=end, person=clean(name), post=post,
                      date=doc.date, detail=details))
