"""Positioned text of PDF pages -> the issue text qa/parse.py reads, plus a map from text offsets to
(page, box).

Both readers produce the same layout: the text layer (qa/pdf.py) and OCR (qa/ocr.py) give each page as
lines of cells with boxes in PDF points (origin top-left). `assemble()` drops running heads and page
numbers, rebuilds table rows (cells joined by tabs, empty columns kept), joins lines wrapped at the right
margin back into paragraphs and marks paragraph gaps with a blank line.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# page numbers as printed: "5", "- 5 -", "— 5 —", "第 5 页"
_PAGE_NUMBER = re.compile(r"^[-—–·•一\s]*(?:第\s*)?\d{1,4}(?:\s*页)?[-—–·•一\s]*$")  # OCR reads — as 一
BAND = 0.08  # running heads and page numbers sit in the top/bottom 8 % of the page


@dataclass(frozen=True)
class Box:
    """A rectangle on a PDF page, in points from the top-left corner; `page` is 1-based."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Cell:
    text: str
    box: Box


@dataclass(frozen=True)
class Line:
    """One printed line: one cell, or several for a table row (cells separated by wide gaps)."""

    cells: tuple[Cell, ...]
    size: float  # character height, points

    @property
    def x0(self) -> float:
        return self.cells[0].box.x0

    @property
    def x1(self) -> float:
        return self.cells[-1].box.x1

    @property
    def y0(self) -> float:
        return min(c.box.y0 for c in self.cells)

    @property
    def y1(self) -> float:
        return max(c.box.y1 for c in self.cells)

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.cells)


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    width: float  # points
    height: float
    lines: tuple[Line, ...]
    ocr: bool = False  # read by OCR (no usable text layer)


@dataclass(frozen=True)
class Span:
    """Source text [start, end) was printed in `box`."""

    start: int
    end: int
    box: Box


def furniture(pages: list[Page]) -> set[tuple[int, int]]:
    """(page, line index) of running heads and page numbers: lines in the top or bottom band that are a
    page number, or repeat (digits aside) on at least 3 pages and a quarter of them; on the first page (the
    cover, with the masthead and 第N期) only a page number."""
    def key(line: Line) -> str:
        return re.sub(r"\d+", "#", re.sub(r"\s+", "", line.text))

    def in_band(page: Page, line: Line) -> bool:
        return line.y1 <= page.height * BAND or line.y0 >= page.height * (1 - BAND)

    counts: dict[str, int] = {}
    for page in pages:
        for k in {key(ln) for ln in page.lines if in_band(page, ln)}:
            counts[k] = counts.get(k, 0) + 1
    repeated = {k for k, n in counts.items() if n >= 3 and n >= len(pages) / 4}
    drop = set()
    for page in pages:
        for i, line in enumerate(page.lines):
            if in_band(page, line) and (_PAGE_NUMBER.match(line.text) or key(line) in repeated and page.number != 1):
                drop.add((page.number, i))
    return drop


def _columns(rows: list[Line]) -> list[float]:
    """Left edges of a table's columns: the cells' x0, merged when within a character of each other."""
    size = statistics.median(r.size for r in rows)
    starts: list[float] = []
    for x in sorted(c.box.x0 for r in rows for c in r.cells):
        if not starts or x - starts[-1] > size:
            starts.append(x)
    return starts


def _table_rows(lines: list[Line]) -> dict[int, list[float]]:
    """Line index -> the column starts of its table, for lines that are table rows: runs of lines with
    two or more cells, extended by neighbouring single cells that sit in a column right of the first."""
    tables: dict[int, list[float]] = {}
    i = 0
    while i < len(lines):
        if len(lines[i].cells) < 2:
            i += 1
            continue
        j = i
        while j + 1 < len(lines) and len(lines[j + 1].cells) >= 2:
            j += 1
        cols = _columns(lines[i:j + 1])
        tol = statistics.median(ln.size for ln in lines[i:j + 1])
        lo, hi = i, j
        while hi + 1 < len(lines) and len(lines[hi + 1].cells) == 1 and lines[hi + 1].x0 > cols[0] + tol \
                and any(abs(lines[hi + 1].x0 - c) <= tol for c in cols[1:]):
            hi += 1
        while lo - 1 >= 0 and len(lines[lo - 1].cells) == 1 and lines[lo - 1].x0 > cols[0] + tol \
                and any(abs(lines[lo - 1].x0 - c) <= tol for c in cols[1:]):
            lo -= 1
        for k in range(lo, hi + 1):
            tables[k] = cols
        i = hi + 1
    return tables


def _joiner(left: str, right: str) -> str:
    return " " if left[-1:].isascii() and left[-1:].isalpha() and right[:1].isascii() and right[:1].isalpha() else ""


def assemble(pages: list[Page]) -> tuple[str, list[Span]]:
    """The issue text of the pages and where each piece of it was printed."""
    drop = furniture(pages)
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0

    def emit(text: str, box: Box | None = None) -> None:
        nonlocal pos
        if box is not None and text:
            spans.append(Span(pos, pos + len(text), box))
        parts.append(text)
        pos += len(text)

    kept = {p.number: [ln for i, ln in enumerate(p.lines) if (p.number, i) not in drop and ln.text.strip()]
            for p in pages}
    ends = sorted(ln.x1 for lines in kept.values() for ln in lines if len(ln.cells) == 1)
    margin = ends[int(len(ends) * 0.9)] if ends else 0.0  # the text block's right edge, most pages
    prev: Line | None = None
    prev_wraps = False
    for page in pages:
        lines = kept[page.number]
        if not lines:
            continue
        size = statistics.median(ln.size for ln in lines)
        single = [ln.x1 for ln in lines if len(ln.cells) == 1]
        right = max(single + [margin])
        tables = _table_rows(lines)
        for i, line in enumerate(lines):
            table = tables.get(i)
            if prev is not None:
                same_page = prev.cells[0].box.page == page.number
                gap = line.y0 - prev.y1 if same_page else 0.0
                if prev_wraps and table is None and gap <= size:
                    emit(_joiner(prev.cells[-1].text, line.cells[0].text))
                else:
                    emit("\n\n" if gap > size else "\n")
            if table is None:
                emit(line.cells[0].text, line.cells[0].box)
                for cell in line.cells[1:]:
                    emit(" ")
                    emit(cell.text, cell.box)
            else:
                col = 0
                for n, cell in enumerate(line.cells):
                    k = max([k for k, x in enumerate(table) if x <= cell.box.x0 + size] or [0])
                    k = max(k, col + 1) if n else k
                    emit("\t" * (k - col))
                    emit(cell.text, cell.box)
                    col = k
            prev = line
            prev_wraps = table is None and len(line.cells) == 1 and line.x1 >= right - 1.5 * size
    text = "".join(parts)
    return (text + "\n" if text and not text.endswith("\n") else text), spans


def cells_from_pieces(pieces: list[tuple[str, float, float, float, float]], page: int, size: float,
                      draw: list[tuple[float, float, float, float]] | None = None) -> tuple[Cell, ...]:
    """Pieces of one line (text, x0, y0, x1, y1), left to right, merged into cells: a gap wider than
    1.5 characters starts a new cell (a table column). A cell's box is the union of its pieces' boxes,
    or of their `draw` boxes when given (OCR: gaps measured on the deskewed line, boxes as printed)."""
    cells: list[Cell] = []
    text, last_x1, box = "", None, None
    for n, (piece, x0, y0, x1, y1) in enumerate(pieces):
        d = draw[n] if draw is not None else (x0, y0, x1, y1)
        if last_x1 is not None and x0 - last_x1 > 1.5 * size:
            cells.append(Cell(text, Box(page, *box)))
            text, last_x1, box = "", None, None
        if last_x1 is None:
            text, box = piece, list(d)
        else:
            gap = x0 - last_x1
            sep = "" if gap < 0.3 * size or _CJK.match(text[-1:]) and _CJK.match(piece[:1]) else " "
            text += sep + piece
            box = [min(box[0], d[0]), min(box[1], d[1]), max(box[2], d[2]), max(box[3], d[3])]
        last_x1 = max(last_x1 or x1, x1)
    if box is not None:
        cells.append(Cell(text, Box(page, *box)))
    return tuple(c for c in cells if c.text.strip())
