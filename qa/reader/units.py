"""Units of evidence: the sentences and table rows of a passage, as source offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..lexical import IdfTable
from ..sections import heading_level
from ..text import squash, tidy
from ..types import Chunk

_UNIT_END = re.compile(r"(?<=[。；！？;!?])")
_SENTENCE_END = ("。", "；", ";", "：", ":", "！", "？", "!", "?", "）", ")")
_CONTINUES = ("、", "，", ",")  # a line ending mid-list or mid-clause
MAX_UNIT = 220
UNITS_VERSION = 3  # bump when split_units changes (new unit texts are embedded at the next ingest); 3: titles too
# v2: a line ending in 、/， continues even after a heading mark


@dataclass(frozen=True)
class Unit:
    """A sentence or table row inside a passage (chunk), as source offsets."""

    chunk: Chunk
    rank: int  # rank of the passage in the evidence list
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.chunk.text[self.start - self.chunk.start:self.end - self.chunk.start]

    @property
    def is_row(self) -> bool:
        return "\t" in self.text or "|" in self.text

    @property
    def flowing(self) -> str:
        """The text with OCR line breaks closed ("…保障局\n局长" -> "…保障局局长"); rows keep theirs."""
        return self.text if self.is_row else re.sub(r"[ \t]*\n[ \t]*", "", self.text)


def is_row(text: str) -> bool:
    return "\t" in text or "|" in text


def split_units(chunk: Chunk, rank: int) -> list[Unit]:
    """Sentences and table rows. Lines that OCR broke mid-sentence are joined first (a line that
    does not end a sentence continues on the next, unless either is a table row or a heading)."""
    units: list[Unit] = []
    for start, end in logical_lines(chunk):
        line = chunk.text[start - chunk.start:end - chunk.start]
        parts = [line] if is_row(line) or len(line) <= MAX_UNIT // 2 else _UNIT_END.split(line)
        offset = start
        for part in parts:
            text = part.strip()
            if text:
                begin = offset + part.index(text[0])
                units.append(Unit(chunk, rank, begin, begin + len(text)))
            offset += len(part)
    return units


def logical_lines(chunk: Chunk) -> list[tuple[int, int]]:
    """(start, end) source offsets of the chunk's lines, OCR-broken lines joined."""
    spans: list[tuple[int, int]] = []
    pos = chunk.start
    open_line = False
    for raw in chunk.text.split("\n"):
        start, end = pos, pos + len(raw)
        pos = end + 1
        line = raw.strip()
        if not line:
            continue
        row = is_row(line)
        if open_line and not row and heading_level(line) is None:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
        open_line = not row and (line.endswith(_CONTINUES) or (  # "（一）全市5个重点镇，即娘子关镇、" goes on
            not line.endswith(_SENTENCE_END) and len(line) >= 8 and heading_level(line) is None))
    return spans


def overlap(tokens: tuple[str, ...] | list[str], text: str, idf: IdfTable) -> float:
    """IDF-weighted share of the tokens found in the text."""
    if not tokens:
        return 0.0
    flat = squash(text).lower()
    total = sum(idf(t) for t in tokens)
    found = sum(idf(t) for t in tokens if t in flat)
    return found / total if total else 0.0


def display(text: str) -> str:
    """A unit as the answer shows it: one line, OCR spaces closed, table cells joined with spaces
    (never raw `|` pipes): "| 组 长：王明厚 | 副市长 |" -> "组长：王明厚 副市长"."""
    if is_row(text):
        cells = [tidy(c).replace("\n", "") for c in re.split(r"\t|\|", text)]
        return " ".join(c for c in cells if c)
    text = re.sub(r"(?<=[\u4e00-\u9fff，、；：])\n(?=[\u4e00-\u9fff])", "", tidy(text))
    return text.replace("\n", " ")
