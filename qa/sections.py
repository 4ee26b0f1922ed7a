"""Section headings (第一章 / 一、 / （一） / 1. / （1） / 1.1) and the section tree of a body."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .types import Section

_CN = "一二三四五六七八九十百零〇"
# (level, pattern) in the order they are tried. Levels say how headings nest.
_HEADINGS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (0, re.compile(rf"第[{_CN}]+章\s*\S")),
    (0, re.compile(r"附件\s*\d*\s*[：:]?\s*\S{0,38}$")),
    (2, re.compile(rf"[{_CN}]+\s*[、．.]\s*\S")),
    (4, re.compile(rf"第[{_CN}]+条\s*\S")),
    (6, re.compile(rf"[（(]\s*[{_CN}]+\s*[）)]\s*\S")),
    (9, re.compile(r"\d+\.\d+\.\d+\.\d+\s*[^\d.．\s]")),  # 5.5.1.2 sits under 5.5.1
    (8, re.compile(r"\d+\.\d+\.\d+\s*[^\d.．\s]")),
    (6, re.compile(r"\d+\.\d+\s*[^\d.．\s]")),
    (2, re.compile(r"\d{1,2}\s+[\u4e00-\u9fff]{2,14}$")),  # "1 总则" in emergency plans
    (8, re.compile(r"\d{1,2}\s*[.．、]\s*\S")),
    (10, re.compile(r"[（(]\s*\d{1,2}\s*[）)]\s*\S")),
)
_TITLE_STOP = re.compile(r"[。；;：:！？，,]")
_MAX_TITLE = 40


@dataclass
class _Open:
    title: str
    level: int
    start: int
    children: list[Section]


def heading_level(line: str) -> int | None:
    """The level of a heading line, or None when the line is not a heading."""
    text = line.strip().lstrip("-*• ").strip()
    if not text or len(text) < 2:
        return None
    for level, pattern in _HEADINGS:
        if pattern.match(text):
            # "2020年..." or "3月..." are not headings; a list item must be followed by text.
            if re.match(r"\d{1,4}\s*[年月日%]", text):
                return None
            return level
    return None


def heading_title(line: str) -> str:
    text = line.strip().lstrip("-*• ").strip().replace("**", "")
    cut = _TITLE_STOP.search(text)
    if cut:
        text = text[: cut.start()]
    return text[:_MAX_TITLE].strip()


def parse_sections(body: str, offset: int = 0) -> tuple[Section, ...]:
    """Build the section tree of `body`; offsets are `offset` + position in body."""
    roots: list[Section] = []
    stack: list[_Open] = []

    def close(until_level: int, at: int) -> None:
        while stack and stack[-1].level >= until_level:
            node = stack.pop()
            section = Section(node.title, node.level, node.start, at, tuple(node.children))
            (stack[-1].children if stack else roots).append(section)

    pos = 0
    for line in body.splitlines(keepends=True):
        level = heading_level(line)
        if level is not None:
            lead = len(line) - len(line.lstrip(" \t-*•"))
            start = offset + pos + lead
            close(level, offset + pos)
            stack.append(_Open(heading_title(line), level, start, []))
        pos += len(line)
    close(-1, offset + len(body.rstrip()))
    return tuple(roots)


def iter_sections(sections: tuple[Section, ...], path: tuple[str, ...] = ()):
    """Yield (path, section) depth-first, path including the section's own title."""
    for section in sections:
        here = path + (section.title,)
        yield here, section
        yield from iter_sections(section.children, here)
