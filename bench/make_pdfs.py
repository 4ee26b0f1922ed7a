"""Make gazette PDFs from the text corpus: a text-layer PDF per issue (reportlab) and a scanned,
image-only version of it (pages rasterised at 170 dpi with a slight rotation and noise).

    PYTHONPATH=. python bench/make_pdfs.py OUT_DIR            # the five issues: OUT_DIR/{text,scan}/*.pdf
    PYTHONPATH=. python bench/make_pdfs.py --fixtures          # tests/data/pdf/ (small test fixtures)

Pages: a cover (masthead, 第N期), the 目录, then the documents, each starting on the page the 目录 gives
for it when the text before it is shorter than the original (the original's page breaks, where known).
Body pages carry a running head and a page number, as printed issues do. The text is set in the
Adobe-GB1 CID font STSong-Light, not embedded: reportlab cannot embed the CFF outlines of the Debian
fonts-noto-cjk fonts. pdfium draws it with a substitute system CJK font (the Noto CJK installed), and a
few characters come out in a non-simplified-Chinese glyph form (门 drawn like 門's short form, which OCR
reads as 内/內; 入 close to 人): the scans show them so, and the OCR reads them as printed.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.parse import parse_text  # noqa: E402

W, H = 595.0, 842.0  # A4, points
LEFT, RIGHT, TOP, BOTTOM = 62.0, 62.0, 72.0, 72.0
SIZE, PITCH = 11.0, 11.0 * 1.6
FONT = "STSong-Light"
_SEPARATOR = re.compile(r"^[|\-\s:]+$")


def _font():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return pdfmetrics


def _cells(line: str) -> list[str] | None:
    """Table cells of a source line (tab- or |-separated), or None for a text line."""
    if "\t" in line:
        return [c.strip() for c in line.split("\t")]
    if line.strip().startswith("|") and line.strip().endswith("|") and line.count("|") >= 3:
        return [c.strip() for c in line.strip()[1:-1].split("|")]
    return None


def _tokens(text: str) -> list[str]:
    """Units a line may break between: ASCII words (with their trailing space) and single characters."""
    return re.findall(r"[A-Za-z0-9.,%\-/]+ ?|.", text)


def _wrap(text: str, width: float, size: float, metrics) -> list[str]:
    lines, cur, cur_w = [], "", 0.0
    for tok in _tokens(text):
        w = metrics.stringWidth(tok, FONT, size)
        if cur and cur_w + w > width:
            lines.append(cur)
            cur, cur_w = "", 0.0
        cur += tok
        cur_w += w
    if cur:
        lines.append(cur)
    return lines


class Layout:
    """Lines placed on pages: [(kind, x, y, size, text)] per page; kind 'body' or 'furniture'."""

    def __init__(self, label: str) -> None:
        self.pages: list[dict] = []
        self.label = label
        self.metrics = _font()

    def new_page(self, printed: int | None) -> None:
        self.pages.append({"printed": printed, "items": [], "y": TOP})

    @property
    def page(self) -> dict:
        return self.pages[-1]

    def _room(self, height: float) -> None:
        if self.page["y"] + height > H - BOTTOM:
            printed = self.page["printed"]
            self.new_page(printed + 1 if printed is not None else None)

    def gap(self) -> None:
        if self.page["y"] > TOP:
            self.page["y"] += PITCH

    def text(self, line: str, size: float = SIZE) -> None:
        for piece in _wrap(line.strip(), W - LEFT - RIGHT, size, self.metrics):
            self._room(size * 1.6)
            self.page["items"].append((LEFT, self.page["y"] + size, size, piece))
            self.page["y"] += size * 1.6

    def table(self, rows: list[list[str]]) -> None:
        ncols = max(len(r) for r in rows)
        size = SIZE
        for _ in range(10):
            widths = [max((self.metrics.stringWidth(r[k], FONT, size) for r in rows if k < len(r)), default=0)
                      for k in range(ncols)]
            total = sum(widths) + 2 * size * (ncols - 1)
            if total <= W - LEFT - RIGHT or size <= 6:
                break
            size = max(6.0, size * (W - LEFT - RIGHT) / total)
        xs = [LEFT]
        for w in widths[:-1]:
            xs.append(xs[-1] + w + 2 * size)
        for row in rows:
            if not any(row):
                continue
            self._room(size * 1.6)
            for x, cell in zip(xs, row):
                if cell:
                    self.page["items"].append((x, self.page["y"] + size, size, cell))
            self.page["y"] += size * 1.6


def layout_issue(text: str, name: str, cover_break: bool = True) -> Layout:
    parsed = parse_text(text, name)
    lay = Layout(parsed.issue.label)
    lay.new_page(None)
    lines = text.split("\n")
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    starts = {d.start: d.page for d in parsed.documents}  # offset of a document -> its page in the 目录
    first_doc = min(starts)
    mastheads = [i for i, ln in enumerate(lines) if ln.strip() == "阳泉市人民政府公报"]
    toc = next((i for i, ln in enumerate(lines) if re.fullmatch(r"\s*目\s*录\s*", ln)), None)
    cover_end = mastheads[1] if len(mastheads) > 1 and (toc is None or mastheads[1] < toc) else toc
    i = 0
    while i < len(lines):
        line, off = lines[i], offsets[i]
        if cover_break and i == cover_end and i > 0:
            lay.new_page(None)
        doc_page = next((p for s, p in starts.items() if off <= s < off + len(line) + 1), None)
        if cover_break and off <= first_doc < off + len(line) + 1:
            lay.new_page(doc_page or 1)
        elif doc_page and cover_break and lay.page["printed"] is not None and lay.page["printed"] < doc_page:
            lay.new_page(doc_page)
        if not line.strip():
            lay.gap()
            i += 1
            continue
        if _cells(line) is not None:
            rows = []
            while i < len(lines) and _cells(lines[i]) is not None:
                if not _SEPARATOR.match(lines[i]):
                    rows.append(_cells(lines[i]))
                i += 1
            if rows:
                lay.table(rows)
            continue
        lay.text(line, 20.0 if i == 0 and line.strip() == "阳泉市人民政府公报" else SIZE)
        i += 1
    return lay


def write_pdf(lay: Layout, path: Path, max_pages: int | None = None) -> dict:
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=(W, H), invariant=1)
    pages = lay.pages[:max_pages] if max_pages else lay.pages
    for page in pages:
        for x, y, size, text in page["items"]:
            c.setFont(FONT, size)
            c.drawString(x, H - y, text)
        if page["printed"] is not None:  # running head, rule and page number
            c.setFont(FONT, 9)
            c.drawString(LEFT, H - 40, "阳泉市人民政府公报")
            c.drawRightString(W - RIGHT, H - 40, lay.label)
            c.line(LEFT, H - 46, W - RIGHT, H - 46)
            c.drawCentredString(W / 2, 40, f"— {page['printed']} —")
        c.showPage()
    c.save()
    return {"pages": len(pages), "printed": [p["printed"] for p in pages]}


def scan_pdf(src: Path, dst: Path, dpi: int = 170, seed: int = 0, noise: float = 10.0, quality: int = 70) -> int:
    """An image-only copy of `src`: each page rendered in grey at `dpi`, turned by up to ±0.5°, with
    gaussian noise (sigma `noise` grey levels), as JPEG."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    doc = pdfium.PdfDocument(str(src))
    dst.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(dst), invariant=1)
    for page in doc:
        w, h = page.get_size()
        img = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        img = img.rotate(rng.uniform(-0.5, 0.5), resample=Image.BICUBIC, fillcolor=255)
        arr = np.asarray(img, dtype=np.float32) + nrng.normal(0, noise, (img.height, img.width))
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=quality)
        buf.seek(0)
        c.setPageSize((w, h))
        c.drawImage(ImageReader(buf), 0, 0, w, h)
        c.showPage()
    c.save()
    n = len(doc)
    doc.close()
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path, default=Path("/tmp/gazette-pdfs"))
    ap.add_argument("--fixtures", action="store_true", help="write the small test PDFs to tests/data/pdf/")
    ap.add_argument("--no-scan", action="store_true")
    args = ap.parse_args()
    if args.fixtures:
        out = ROOT / "tests" / "data" / "pdf"
        mini = (ROOT / "tests" / "data" / "mini-gazette.txt").read_text(encoding="utf-8")
        info = write_pdf(layout_issue(mini, "mini-gazette.txt", cover_break=False), out / "mini-text.pdf", max_pages=2)
        write_pdf(layout_issue(mini, "mini-gazette.txt", cover_break=False), out / "page1.pdf", max_pages=1)
        scan_pdf(out / "page1.pdf", out / "mini-scan.pdf", dpi=150, noise=3.0, quality=50)
        (out / "page1.pdf").unlink()
        (out / "not-a-gazette.pdf").write_bytes(_other_pdf())
        print(json.dumps(info))
        return
    layouts = {}
    for src in sorted((ROOT / "data" / "gazettes").glob("*.txt")):
        pdf = args.out / "text" / f"{src.stem}.pdf"
        info = write_pdf(layout_issue(src.read_text(encoding="utf-8"), src.name), pdf)
        layouts[src.stem] = info
        if not args.no_scan:
            scan_pdf(pdf, args.out / "scan" / f"{src.stem}.pdf", seed=len(layouts))
        print(src.stem, info["pages"], "pages", flush=True)
    (args.out / "layout.json").write_text(json.dumps(layouts, indent=1), encoding="utf-8")


def _other_pdf() -> bytes:
    """A one-page PDF that is not a gazette issue (a meeting notice)."""
    from reportlab.pdfgen import canvas

    _font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(W, H), invariant=1)
    c.setFont(FONT, 14)
    c.drawString(LEFT, H - 100, "关于召开2024年度工作会议的通知")
    c.setFont(FONT, 11)
    c.drawString(LEFT, H - 130, "各部门：定于下周一上午九时在三楼会议室召开年度工作会议，请准时参加。")
    c.showPage()
    c.save()
    return buf.getvalue()


if __name__ == "__main__":
    main()
