"""PDF issues (qa/pdf.py, qa/ocr.py, qa/layout.py, qa/pages.py): text-layer and scanned PDFs through
ingest to cited answers on the right page; bad PDFs reported with the index left as it was.

Fixtures in tests/data/pdf/ are made by `bench/make_pdfs.py --fixtures` from tests/data/mini-gazette.txt:
mini-text.pdf (2 pages, text layer), mini-scan.pdf (page 1 as a 150 dpi image, no text layer),
not-a-gazette.pdf (a one-page notice).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from qa.config import load_settings
from qa.ingest import ingest
from qa.layout import Box, Cell, Line, Page, assemble
from qa.text import squash

pdfium = pytest.importorskip("pypdfium2")

PDFS = Path(__file__).parent / "data" / "pdf"
MINI = Path(__file__).parent / "data" / "mini-gazette.txt"


@pytest.fixture
def pdf_settings(tmp_path):
    data = tmp_path / "gazettes"
    data.mkdir()
    return load_settings(data_dir=data, index_dir=tmp_path / "index", ocr_cache_dir=tmp_path / "ocr",
                         chunk_size=200, chunk_overlap=20)


def _add(settings, *names: str) -> None:
    for name in names:
        shutil.copy(PDFS / name if name.endswith(".pdf") else MINI, settings.data_dir / name)


def _printed_on(pdf: Path, quote: str) -> int:
    """The page whose own text layer holds the start of `quote` (found without qa)."""
    key = squash(quote)[:12]
    doc = pdfium.PdfDocument(str(pdf))
    pages = [i + 1 for i in range(len(doc)) if key in squash(doc[i].get_textpage().get_text_range())]
    assert len(pages) == 1, (key, pages)
    return pages[0]


def _assistant(settings, embedder):
    from qa.api import Assistant
    return Assistant.load(settings, embedder=embedder)


# --- layout: reading order, tables, running heads ------------------------------------------------------

def _line(page: int, y: float, *cells: tuple[float, str], size: float = 10.0) -> Line:
    return Line(tuple(Cell(t, Box(page, x, y, x + size * len(t), y + size)) for x, t in cells), size)


def test_assemble_keeps_table_columns_joins_wrapped_lines_and_drops_furniture():
    pages = []
    for n in (2, 3, 4):
        lines = [_line(n, 20, (60, "阳泉市人民政府公报"), (400, "2020年第1期")),  # running head
                 _line(n, 800, (290, f"— {n} —"))]  # page number
        if n == 3:
            lines += [_line(n, 100, (60, "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四")),
                      _line(n, 115, (60, "续行。")),
                      _line(n, 140, (60, "组长："), (160, "张三"), (260, "市长")),
                      _line(n, 155, (160, "李四"), (260, "副市长")),
                      _line(n, 170, (60, "成员："), (160, "王五"))]
        pages.append(Page(n, 595, 842, tuple(sorted(lines, key=lambda ln: ln.y0))))
    text, spans = assemble(pages)
    assert text == ("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四续行。\n\n"
                    "组长：\t张三\t市长\n\t李四\t副市长\n成员：\t王五\n")
    cell = next(s for s in spans if text[s.start:s.end] == "李四")
    assert cell.box == Box(3, 160, 155, 180, 165)


def test_ocr_boxes_on_a_skewed_page_come_out_in_lines():
    import math

    from qa.ocr import lines_from_boxes
    angle = math.radians(0.8)

    def box(x, y, w, text):  # a text line's four corners, turned by `angle` about the page centre
        def turn(px, py):
            dx, dy = px - 297, py - 421
            return [297 + dx * math.cos(angle) - dy * math.sin(angle), 421 + dx * math.sin(angle) + dy * math.cos(angle)]
        return [[turn(x, y), turn(x + w, y), turn(x + w, y + 12), turn(x, y + 12)], text, 0.95]

    boxes = [box(60, 100, 300, "第一行左边的文字"), box(420, 100, 100, "右列"),
             box(60, 120, 460, "第二行文字很长很长很长"), box(60, 140, 80, "第三行")]
    lines = lines_from_boxes(boxes[::-1], 1, 595, 842)
    assert [[c.text for c in ln.cells] for ln in lines] == [["第一行左边的文字", "右列"], ["第二行文字很长很长很长"], ["第三行"]]


def test_ocr_brackets_of_a_doc_number_are_the_printed_ones():
    from qa.ocr import fix_doc_numbers
    assert fix_doc_numbers("（阳政任字[2022]25号）") == "（阳政任字〔2022〕25号）"
    assert fix_doc_numbers("阳政办发(2020) 3号") == "阳政办发〔2020〕3号"
    assert fix_doc_numbers("见表[2021]第3条") == "见表[2021]第3条"  # no 号: not a 文号


# --- text-layer PDF ----------------------------------------------------------------------------------

def test_text_pdf_ingests_to_a_cited_answer_on_its_pdf_page(pdf_settings, fake_embedder):
    _add(pdf_settings, "mini-text.pdf")
    report = ingest(pdf_settings, embedder=fake_embedder, progress=False)
    assert report.failed == () and report.files == 1
    assistant = _assistant(pdf_settings, fake_embedder)
    docs = {d.doc_number_norm: d for d in assistant.data.documents.values()}
    assert set(docs) == {"阳政发〔2022〕21号", "阳政办发〔2022〕57号"}
    assert docs["阳政办发〔2022〕57号"].issue.label == "2022年第4期"
    assert docs["阳政办发〔2022〕57号"].title == "阳泉市人民政府办公室关于印发阳泉市自建房安全专项整治实施方案的通知"
    answer = assistant.ask("到2025年人均体育场地面积达到多少？")
    assert not answer.refused and "2.6平方米" in answer.answer
    cite = answer.citations[0]
    assert cite.doc_number == "阳政发〔2022〕21号"
    assert cite.page == 2 == _printed_on(PDFS / "mini-text.pdf", cite.quote)  # the document starts on page 1
    first = assistant.sources.page(docs["阳政发〔2022〕21号"], docs["阳政发〔2022〕21号"].start)
    assert first == 1


def test_reingesting_an_unchanged_pdf_reads_nothing(pdf_settings, fake_embedder, monkeypatch):
    _add(pdf_settings, "mini-text.pdf")
    ingest(pdf_settings, embedder=fake_embedder, progress=False)
    import qa.ingest
    monkeypatch.setattr(qa.ingest, "read_pdf", lambda *a, **k: pytest.fail("read again"))
    report = ingest(pdf_settings, embedder=fake_embedder, progress=False)
    assert report.written is False and report.reused_files == ("mini-text.pdf",)


def test_a_pdf_and_a_text_file_of_one_issue_are_one_issue(pdf_settings, fake_embedder):
    _add(pdf_settings, "mini-text.pdf", "mini-gazette.txt")
    report = ingest(pdf_settings, embedder=fake_embedder, progress=False)
    assert report.failed == ("mini-text.pdf: the same issue (2022年第4期) as mini-gazette.txt, which is used; "
                             "skipped (remove one of the two files).",)
    assert report.files == 1


# --- bad PDFs -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, content, message", [
    ("not-a-gazette.pdf", None, "not-a-gazette.pdf: not a gazette issue: its first page has no 公报 masthead"),
    ("broken.pdf", b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntruncated", "broken.pdf: not a readable PDF ("),
])
def test_bad_pdf_is_reported_and_the_index_is_left_intact(pdf_settings, fake_embedder, name, content, message):
    _add(pdf_settings, "mini-gazette.txt")
    ingest(pdf_settings, embedder=fake_embedder, progress=False)
    before = {d.doc_id for d in _assistant(pdf_settings, fake_embedder).data.documents.values()}
    if content is None:
        _add(pdf_settings, name)
    else:
        (pdf_settings.data_dir / name).write_bytes(content)
    report = ingest(pdf_settings, embedder=fake_embedder, progress=False)
    assert len(report.failed) == 1 and report.failed[0].startswith(message)
    assert {d.doc_id for d in _assistant(pdf_settings, fake_embedder).data.documents.values()} == before


def test_without_the_pdf_extra_a_pdf_says_what_to_install(pdf_settings, fake_embedder, monkeypatch):
    _add(pdf_settings, "mini-gazette.txt", "mini-text.pdf")
    monkeypatch.setitem(sys.modules, "pypdfium2", None)
    report = ingest(pdf_settings, embedder=fake_embedder, progress=False)
    assert report.failed == ("reading PDF files needs pypdfium2: install the 'pdf' extra: "
                             "`pip install 'gazette-qa[pdf]'` (pypdfium2, rapidocr-onnxruntime), or run `make install`.",)
    assert report.files == 1


# --- scanned PDF --------------------------------------------------------------------------------------

class FakeOCR:
    """Stands in for RapidOCR: the lines of the mini gazette's page 1 as the text layer of mini-text.pdf
    places them (boxes in pixels at the engine's dpi), so the scanned path runs without the model."""

    calls = 0

    def __init__(self, **kwargs) -> None:
        doc = pdfium.PdfDocument(str(PDFS / "mini-text.pdf"))
        from qa.pdf import text_layer
        self.page = text_layer(doc[0], 1)

    def __call__(self, image, use_cls=False):
        FakeOCR.calls += 1
        scale = image.shape[1] / self.page.width
        out = []
        for line in self.page.lines:
            for c in line.cells:
                b = c.box
                pts = [[b.x0 * scale, b.y0 * scale], [b.x1 * scale, b.y0 * scale],
                       [b.x1 * scale, b.y1 * scale], [b.x0 * scale, b.y1 * scale]]
                out.append([pts, c.text, 0.9])
        return out, [0.0, 0.0, 0.0]


def test_scanned_pdf_is_read_by_ocr_cached_and_cited_on_its_page(pdf_settings, fake_embedder, monkeypatch):
    import qa.ocr
    monkeypatch.setattr(qa.ocr.OcrEngine, "_make", staticmethod(lambda: FakeOCR()))
    _add(pdf_settings, "mini-scan.pdf")
    FakeOCR.calls = 0
    report = ingest(pdf_settings, embedder=fake_embedder, progress=False)
    assert report.failed == () and FakeOCR.calls == 1
    assistant = _assistant(pdf_settings, fake_embedder)
    (doc,) = assistant.data.documents.values()
    assert doc.doc_number_norm == "阳政发〔2022〕21号" and doc.issue.label == "2022年第4期"
    answer = assistant.ask("全民健身实施计划由谁印发？")
    assert answer.citations and {c.page for c in answer.citations} == {1}
    ingest(pdf_settings, embedder=fake_embedder, progress=False, rebuild=True)
    assert FakeOCR.calls == 1  # the page's OCR came from the cache


@pytest.mark.slow
def test_scanned_page_with_the_real_ocr_model(pdf_settings, fake_embedder):
    pytest.importorskip("rapidocr_onnxruntime")
    _add(pdf_settings, "mini-scan.pdf")
    report = ingest(pdf_settings, embedder=fake_embedder, progress=False)
    assert report.failed == ()
    assistant = _assistant(pdf_settings, fake_embedder)
    (doc,) = assistant.data.documents.values()
    assert doc.doc_number_norm == "阳政发〔2022〕21号" and doc.date == "2022-07-22"
    answer = assistant.ask("全民健身实施计划是哪个机关印发的？")
    assert answer.citations and answer.citations[0].page == 1


# --- the 原文页面 view --------------------------------------------------------------------------------

def test_page_routes_show_the_pdf_page_and_refuse_text_documents(pdf_settings, fake_embedder):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from qa.pages import add_page_routes, page_url
    _add(pdf_settings, "mini-text.pdf")
    ingest(pdf_settings, embedder=fake_embedder, progress=False)
    assistant = _assistant(pdf_settings, fake_embedder)
    app = FastAPI()
    add_page_routes(app, lambda: assistant)
    client = TestClient(app)
    cite = assistant.ask("到2025年人均体育场地面积达到多少？").citations[0]
    url = page_url(assistant, cite.doc_id, cite.start, cite.end)
    assert url == f"/page/{cite.doc_id}.png?page=2&start={cite.start}&end={cite.end}"
    image = client.get(url)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content[:8] == b"\x89PNG\r\n\x1a\n"
    info = client.get(f"/page/{cite.doc_id}.json?start={cite.start}&end={cite.end}").json()
    assert info["page"] == 2 and info["pages"] == 2 and info["boxes"][0]["page"] == 2
    assert client.get(f"/page/{cite.doc_id}.png?page=9").json()["error"]["message"] == (
        "page=9 is out of range: the PDF has pages 1 to 2.")
    assert client.get("/page/nope.png").status_code == 404
    from qa.ui import build_app  # the chat's source page links to the printed page, cited lines boxed

    served = TestClient(build_app(assistant, pdf_settings))
    page = served.get(cite.url).text
    assert f'href="{url.replace("&", "&amp;")}"' in page and "原文页面" in page
    assert served.get(url).status_code == 200

    _add(pdf_settings, "mini-gazette.txt")
    (pdf_settings.data_dir / "mini-text.pdf").unlink()
    ingest(pdf_settings, embedder=fake_embedder, progress=False)
    text_assistant = _assistant(pdf_settings, fake_embedder)
    app = FastAPI()
    add_page_routes(app, lambda: text_assistant)
    doc_id = next(iter(text_assistant.data.documents))
    response = TestClient(app).get(f"/page/{doc_id}.png")
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith(
        f"document {doc_id} was ingested from the text file mini-gazette.txt, so it has no page images")
    assert page_url(text_assistant, doc_id) is None
