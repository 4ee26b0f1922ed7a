"""OCR of scanned PDF pages with rapidocr-onnxruntime (PP-OCR Chinese models shipped in its wheel):
render the page, find and read text lines, order them into lines and table rows (qa/layout.py).

Results are cached by the hash of the rendered page (and the OCR settings), so ingesting the same scan
again does not run the models.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import statistics
from pathlib import Path

from .errors import QAError
from .layout import Line, Page, cells_from_pieces

OCR_VERSION = "rapidocr-onnxruntime-1.4/ppocrv4/1"  # part of the cache key: bump when reading changes
MIN_SCORE = 0.5
# 文号 print the year in 六角括号 (GB/T 9704: 阳政办发〔2022〕57号); OCR reads them as [ ] or ( )
_DOC_NUMBER_BRACKETS = re.compile(r"(?<=[\u4e00-\u9fff])\s*[\[［【(（〔]\s*((?:19|20)\d{2})\s*[\]］】)）〕]\s*(?=\d{1,4}\s*号)")


def fix_doc_numbers(text: str) -> str:
    """阳政办发[2022]57号 -> 阳政办发〔2022〕57号: the brackets of a 文号 as printed."""
    return _DOC_NUMBER_BRACKETS.sub(r"〔\1〕", text)


class OcrEngine:
    """One loaded OCR model, reading pages rendered at `dpi`; results cached in `cache_dir`."""

    def __init__(self, cache_dir: Path, dpi: int = 200) -> None:
        self._ocr = None  # loaded on the first page not in the cache
        self.cache_dir = Path(cache_dir)
        self.dpi = dpi

    @staticmethod
    def _make():
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError:
            from .pdf import EXTRA_HINT
            raise QAError(f"this PDF has scanned pages; reading them needs rapidocr-onnxruntime: {EXTRA_HINT}.") from None
        return RapidOCR(use_cls=False)

    def read_page(self, page, number: int) -> Page:
        """OCR one pypdfium2 page into lines (boxes in PDF points)."""
        import numpy as np

        width, height = page.get_size()
        scale = self.dpi / 72
        image = page.render(scale=scale, grayscale=True).to_numpy()
        key = hashlib.sha256(f"{OCR_VERSION}|{self.dpi}|{image.shape}".encode() + image.tobytes()).hexdigest()
        path = self.cache_dir / key[:2] / f"{key}.json"
        if path.exists():
            boxes = json.loads(path.read_text(encoding="utf-8"))
        else:
            if self._ocr is None:
                self._ocr = self._make()
            if image.ndim == 3:
                image = image[:, :, 0]
            rgb = np.ascontiguousarray(np.repeat(image[:, :, None], 3, axis=2))
            result, _ = self._ocr(rgb, use_cls=False)
            boxes = [[[[round(float(x) / scale, 2), round(float(y) / scale, 2)] for x, y in pts], text, float(score)]
                     for pts, text, score in result or []]
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(boxes, ensure_ascii=False), encoding="utf-8")
            tmp.replace(path)
        return Page(number, width, height, lines_from_boxes(boxes, number, width, height), ocr=True)


def lines_from_boxes(boxes: list, number: int, width: float, height: float) -> tuple[Line, ...]:
    """OCR boxes (4 corner points, text, score) -> lines in reading order. The page's skew is the
    median slope of the wide boxes; lines are grouped on deskewed coordinates."""
    boxes = [b for b in boxes if b[2] >= MIN_SCORE and b[1].strip()]
    if not boxes:
        return ()
    slopes = []
    for pts, _, _ in boxes:
        (x0, y0), (x1, y1) = pts[0], pts[1]
        h = math.dist(pts[0], pts[3])
        if x1 - x0 > 3 * h:
            slopes.append(math.atan2(y1 - y0, x1 - x0))
    angle = statistics.median(slopes) if slopes else 0.0
    cos, sin = math.cos(-angle), math.sin(-angle)
    cx, cy = width / 2, height / 2
    items = []
    for pts, text, _ in boxes:
        mx = sum(p[0] for p in pts) / 4 - cx
        my = sum(p[1] for p in pts) / 4 - cy
        rx, ry = mx * cos - my * sin + cx, mx * sin + my * cos + cy
        w, h = math.dist(pts[0], pts[1]), max(math.dist(pts[0], pts[3]), 1.0)
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        items.append((ry, rx, w, h, fix_doc_numbers(text.strip()), (min(xs), min(ys), max(xs), max(ys))))
    items.sort()
    rows: list[list[tuple]] = []
    for item in items:
        if rows:
            row_y = statistics.mean(i[0] for i in rows[-1])
            if abs(item[0] - row_y) < 0.5 * min(item[3], statistics.median(i[3] for i in rows[-1])):
                rows[-1].append(item)
                continue
        rows.append([item])
    lines = []
    for row in rows:
        row.sort(key=lambda i: i[1])
        size = statistics.median(i[3] for i in row) * 0.8  # a box is a little taller than its characters
        pieces = [(t, rx - w / 2, ry - h / 2, rx + w / 2, ry + h / 2) for ry, rx, w, h, t, _ in row]
        cells = cells_from_pieces(pieces, number, size, draw=[i[5] for i in row])
        if cells:
            lines.append(Line(cells, size))
    return tuple(lines)
