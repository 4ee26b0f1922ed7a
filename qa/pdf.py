"""PDF issues: the text of each page in reading order, from its text layer or, for scanned pages, by
OCR (qa/ocr.py); and the offset -> (page, box) map stored with the index.

pypdfium2 (and rapidocr-onnxruntime for scans) come with the optional `pdf` extra; they are imported
when a PDF is read, so the rest of the package works without them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import ParseError, QAError
from .layout import Box, Cell, Line, Page, Span, assemble, cells_from_pieces

EXTRA_HINT = ("install the 'pdf' extra: `pip install 'gazette-qa[pdf]'` (pypdfium2, rapidocr-onnxruntime), "
              "or run `make install`")
MAP_VERSION = 1
# characters a real text layer is made of; a page with fewer than 90 % of these is garbage (a font
# without a Unicode map) and is read by OCR instead
_READABLE = re.compile(r"[\s\u0020-\u007e\u00a0-\u024f\u2000-\u206f\u2160-\u216f\u2460-\u24ff\u2500-\u25ff"
                       r"\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
MIN_CHARS = 10  # a page with fewer characters in its text layer is treated as a scan


@dataclass(frozen=True)
class PdfText:
    """A PDF issue read: its text (what qa/parse.py reads) and where each piece was printed."""

    text: str
    spans: tuple[Span, ...]
    sizes: tuple[tuple[float, float], ...]  # (width, height) of each page, points
    ocr_pages: tuple[int, ...]  # 1-based numbers of the pages read by OCR
    first_page: str  # text of page 1, where the masthead (year, 第N期) is read


def require_pdfium():
    try:
        import pypdfium2
    except ImportError:
        raise QAError(f"reading PDF files needs pypdfium2: {EXTRA_HINT}.") from None
    return pypdfium2


def open_pdf(path: Path):
    pdfium = require_pdfium()
    try:
        doc = pdfium.PdfDocument(str(path))
        if len(doc) == 0:
            raise ParseError(f"{path.name}: the PDF has no pages; give a gazette issue as PDF.")
        return doc
    except pdfium.PdfiumError as exc:
        raise ParseError(f"{path.name}: not a readable PDF ({exc}); the file is damaged or not a PDF — "
                         "download or export it again.") from None


def text_layer(page, number: int) -> Page | None:
    """The page's text layer as lines, or None when it has no usable one (a scan, or glyphs without a
    Unicode map)."""
    import pypdfium2.raw as raw

    width, height = page.get_size()
    textpage = page.get_textpage()
    n = textpage.count_chars()
    chars = []
    for i in range(n):
        if raw.FPDFText_IsGenerated(textpage.raw, i) == 1:
            continue
        ch = chr(raw.FPDFText_GetUnicode(textpage.raw, i) or 0xFFFD)
        if ch in "\r\n":
            continue
        left, bottom, right, top = textpage.get_charbox(i, loose=True)
        chars.append((ch, left, height - top, right, height - bottom))
    visible = [c for c in chars if not c[0].isspace()]
    if len(visible) < MIN_CHARS or sum(bool(_READABLE.match(c[0])) for c in visible) < 0.9 * len(visible):
        return None
    rows: list[list[tuple]] = []
    for ch in chars:  # a new line where the baseline moves by half a character or the text goes back left
        if rows:
            last = rows[-1][-1]
            size = max(last[4] - last[2], 1.0)
            if abs((ch[2] + ch[4]) / 2 - (last[2] + last[4]) / 2) <= size / 2 and ch[1] >= last[1] - size / 2:
                rows[-1].append(ch)
                continue
        rows.append([ch])
    lines = []
    for row in rows:
        size = sorted(c[4] - c[2] for c in row)[len(row) // 2]
        cells = tuple(Cell(c.text.strip(), c.box) for c in cells_from_pieces(row, number, size))
        if cells:
            lines.append(Line(cells, size))
    lines.sort(key=lambda ln: ((ln.y0 + ln.y1) / 2, ln.x0))
    return Page(number, width, height, tuple(lines))


def read_pdf(path: Path, ocr_cache: Path, dpi: int = 200, progress: bool = True,
             check_first=None) -> PdfText:
    """Read every page (text layer where usable, OCR otherwise). `check_first(text)` is called with
    page 1's text before the other pages are read, so a PDF that is not an issue fails fast."""
    doc = open_pdf(path)
    pages: list[Page] = []
    ocr_pages: list[int] = []
    engine = None
    sizes = []
    try:
        from tqdm import tqdm
        bar = tqdm(total=len(doc), desc=f"{path.name}", unit="page", disable=not progress)
        for i in range(len(doc)):
            page = doc[i]
            sizes.append(tuple(page.get_size()))
            layout = text_layer(page, i + 1)
            if layout is None:
                from .ocr import OcrEngine
                engine = engine or OcrEngine(ocr_cache, dpi)
                layout = engine.read_page(page, i + 1)
                ocr_pages.append(i + 1)
            pages.append(layout)
            if i == 0 and check_first is not None:
                check_first(page_text(layout))
            bar.update(1)
        bar.close()
    finally:
        doc.close()
    text, spans = assemble(pages)
    return PdfText(text=text, spans=tuple(spans), sizes=tuple(sizes), ocr_pages=tuple(ocr_pages),
                   first_page=page_text(pages[0]))


def page_text(page: Page) -> str:
    return assemble([page])[0]


# --- the offset -> (page, box) map, stored with the index ------------------------------------------------

@dataclass(frozen=True)
class StoredPdf:
    """A PDF source as the index keeps it: the file and its page map (map_to_json)."""

    pdf: Path
    page_map: dict

    @classmethod
    def from_index(cls, pdf_dir: Path, source: str) -> StoredPdf:
        return cls(pdf_dir / source, json.loads((pdf_dir / f"{source}.map").read_text(encoding="utf-8")))

    def write(self, folder: Path, source: str, link: bool) -> None:
        target = folder / source
        if link:
            try:
                os.link(self.pdf, target)
            except OSError:
                shutil.copyfile(self.pdf, target)
        else:
            shutil.copyfile(self.pdf, target)
        (folder / f"{source}.map").write_text(json.dumps(self.page_map, ensure_ascii=False), encoding="utf-8")


def map_to_json(pdf: PdfText, sha256: str) -> dict:
    return {"version": MAP_VERSION, "sha256": sha256, "sizes": [list(s) for s in pdf.sizes],
            "ocr_pages": list(pdf.ocr_pages),
            "spans": [[s.start, s.end, s.box.page, round(s.box.x0, 1), round(s.box.y0, 1),
                       round(s.box.x1, 1), round(s.box.y1, 1)] for s in pdf.spans]}


@dataclass(frozen=True)
class PageMap:
    """Where the text of one PDF source was printed; `pdf` is the index's copy of the file."""

    pdf: Path
    sizes: tuple[tuple[float, float], ...]
    ocr_pages: tuple[int, ...]
    spans: tuple[Span, ...]

    def page_of(self, offset: int) -> int | None:
        """The 1-based PDF page the text at `offset` was printed on (the next printed text's page when
        the offset falls between spans, e.g. on a line break)."""
        if not self.spans:
            return None
        i = bisect_right([s.start for s in self.spans], offset) - 1
        if i >= 0 and offset < self.spans[i].end:
            return self.spans[i].box.page
        return self.spans[min(i + 1, len(self.spans) - 1)].box.page

    def boxes(self, start: int, end: int) -> list[Box]:
        """Boxes of the printed pieces that overlap the text [start, end), in text order."""
        return [s.box for s in self.spans if s.start < end and s.end > start]


@lru_cache(maxsize=32)
def _load_map(path: Path, mtime: float) -> PageMap:
    data = json.loads(path.read_text(encoding="utf-8"))
    spans = tuple(Span(a, b, Box(p, x0, y0, x1, y1)) for a, b, p, x0, y0, x1, y1 in data["spans"])
    return PageMap(pdf=path.with_suffix(""), sizes=tuple(tuple(s) for s in data["sizes"]),
                   ocr_pages=tuple(data["ocr_pages"]), spans=spans)


def page_map(pdf_dir: Path | None, source: str) -> PageMap | None:
    """The page map of a source read from a PDF, or None (a text source, or an index without PDFs)."""
    if pdf_dir is None:
        return None
    path = pdf_dir / f"{source}.map"
    if not path.exists():
        return None
    return _load_map(path, path.stat().st_mtime)
