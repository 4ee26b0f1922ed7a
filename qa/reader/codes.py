"""Numbered slogans: “131N”, “1+N”, “123工程” name a plan by the counts of its parts, and the lines
that follow spell them out: “1个抓手：…”, “3个定位：…”, “1个城市大脑：…”, “N个特色应用：…”. A question
about such a code is answered by those lines, in order, their heads as the short answer."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..text import squash
from .units import Unit

_CODE = re.compile(r"[“\"'‘「]([0-9N+]{2,8})(?:工程|模式|体系|框架|格局)?[”\"'’」]")
_PART = re.compile(r"^([0-9]{1,2}|N)个([^：:，,。]{1,12})[：:]")


def asked_code(question: str) -> str | None:
    """The numbered slogan a question quotes ("'131N' framework" -> 131N), without its + signs."""
    m = _CODE.search(question)
    return m.group(1).replace("+", "") if m else None


def code_parts(code: str, units: Sequence[Unit]) -> list[Unit]:
    """The consecutive units (document order, one document) whose leading counts spell `code`:
    “1个…：” “3个…：” “1个…：” “N个…：” for 131N; [] when no run spells it."""
    by_doc: dict[str, list[Unit]] = {}
    for unit in units:
        by_doc.setdefault(unit.chunk.doc_id, []).append(unit)
    for group in by_doc.values():
        ordered = sorted({(u.start, u.end): u for u in group}.values(), key=lambda u: u.start)
        for i in range(len(ordered)):
            run, spelled = [], ""
            for unit in ordered[i:]:
                m = _PART.match(squash(unit.text))
                if not m or not code.startswith(spelled + m.group(1)):
                    break
                run.append(unit)
                spelled += m.group(1)
                if spelled == code:
                    return run
    return []


def part_heads(parts: Sequence[Unit]) -> str:
    """“1个抓手”, “3个定位” … one a line."""
    return "\n".join(m.group(1) + "个" + m.group(2) for u in parts if (m := _PART.match(squash(u.text))))
