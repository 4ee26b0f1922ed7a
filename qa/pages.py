"""The "原文页面" view: the PDF page a document (or a cited span) was printed on, as a PNG image with the
cited lines boxed. Routes for a FastAPI app; the UI links to them (see `page_url`).

    add_page_routes(app, get_assistant)
    GET /page/{doc_id}.png?page=N&start=S&end=E&scale=1.5   the page image; boxes around text [S, E)
    GET /page/{doc_id}.json?start=S&end=E                   {"pages": 12, "page": 3, "boxes": [...], "url": ...}

404 with a message when the document is unknown or was ingested from a text file (no pages to show).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from .errors import QAError
from .layout import Box
from .pdf import PageMap, open_pdf, page_map

MAX_SCALE = 4.0  # 288 dpi
HIGHLIGHT = (230, 40, 40)


class PageError(QAError):
    """A page that cannot be shown; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.status = status


def source_pages(assistant, doc_id: str) -> tuple[object, PageMap]:
    """The document and the page map of its PDF; PageError (404) when there is none."""
    doc = assistant.data.documents.get(doc_id)
    if doc is None:
        raise PageError(f"no document {doc_id!r} in the index; the document list is at /api/documents.")
    pages = page_map(assistant.data.pdf_dir, doc.source)
    if pages is None:
        raise PageError(f"document {doc_id} was ingested from the text file {doc.source}, so it has no page "
                        "images; put the issue's PDF in the data directory and run `qa ingest` to see them.")
    return doc, pages


def page_url(assistant, doc_id: str, start: int | None = None, end: int | None = None) -> str | None:
    """Link to the page image of a document (its first page, or the page where `start` was printed, with
    [start, end) boxed); None when the document did not come from a PDF."""
    try:
        doc, pages = source_pages(assistant, doc_id)
    except PageError:
        return None
    page = pages.page_of(doc.start if start is None else start)
    url = f"/page/{quote(doc_id)}.png?page={page}"
    if start is not None and end is not None:
        url += f"&start={start}&end={end}"
    return url


def _check_page(pages: PageMap, page: int) -> None:
    if not 1 <= page <= len(pages.sizes):
        raise PageError(f"page={page} is out of range: the PDF has pages 1 to {len(pages.sizes)}.", 400)


@lru_cache(maxsize=6)
def _render(pdf: Path, page: int, scale: float, mtime: float):
    doc = open_pdf(pdf)
    try:
        return doc[page - 1].render(scale=scale).to_pil().convert("RGB")
    finally:
        doc.close()


def page_png(pages: PageMap, page: int, boxes: list[Box], scale: float = 1.5) -> bytes:
    """The PDF page rendered at `scale` (1 = 72 dpi) with the boxes on that page outlined and tinted."""
    from PIL import Image, ImageDraw

    _check_page(pages, page)
    if not 0.25 <= scale <= MAX_SCALE:
        raise PageError(f"scale={scale} is out of range: give 0.25 to {MAX_SCALE}.", 400)
    if not pages.pdf.exists():
        raise PageError(f"the index's copy of the PDF ({pages.pdf}) is missing; run `qa ingest --rebuild`.", 410)
    image = _render(pages.pdf, page, scale, pages.pdf.stat().st_mtime).copy()
    mine = [b for b in boxes if b.page == page]
    if mine:
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        for b in mine:
            rect = [b.x0 * scale - 2, b.y0 * scale - 2, b.x1 * scale + 2, b.y1 * scale + 2]
            draw.rectangle(rect, fill=HIGHLIGHT + (50,), outline=HIGHLIGHT + (255,), width=2)
        image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def add_page_routes(app, get_assistant: Callable[[], object]) -> None:
    """Register GET /page/{doc_id}.png and /page/{doc_id}.json on a FastAPI `app`. `get_assistant()`
    returns the loaded qa.api.Assistant (raising QAError when there is no index)."""
    from fastapi.responses import JSONResponse, Response

    def failure(exc: QAError) -> JSONResponse:
        status = exc.status if isinstance(exc, PageError) else 503
        return JSONResponse({"error": {"message": str(exc), "type": "page_error"}}, status_code=status)

    @app.get("/page/{doc_id}.png", tags=["pages"], response_model=None)
    def page_image(doc_id: str, page: int | None = None, start: int | None = None, end: int | None = None,
                   scale: float = 1.5):
        try:
            doc, pages = source_pages(get_assistant(), doc_id)
            if page is None:
                page = pages.page_of(doc.start if start is None else start)
            boxes = pages.boxes(start, end) if start is not None and end is not None else []
            png = page_png(pages, page, boxes, scale)
        except QAError as exc:
            return failure(exc)
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/page/{doc_id}.json", tags=["pages"], response_model=None)
    def page_info(doc_id: str, start: int | None = None, end: int | None = None):
        try:
            assistant = get_assistant()
            doc, pages = source_pages(assistant, doc_id)
        except QAError as exc:
            return failure(exc)
        first = pages.page_of(doc.start if start is None else start)
        boxes = pages.boxes(start, end) if start is not None and end is not None else []
        return {"doc_id": doc_id, "source": doc.source, "pages": len(pages.sizes), "page": first,
                "ocr": first in pages.ocr_pages,
                "boxes": [{"page": b.page, "x0": b.x0, "y0": b.y0, "x1": b.x1, "y1": b.y1} for b in boxes],
                "url": page_url(assistant, doc_id, start, end)}
