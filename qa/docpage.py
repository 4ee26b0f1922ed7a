"""The source page, `/doc/{doc_id}`: the whole document, escaped, with the cited sentence highlighted
and scrolled into view, its records, and links back to the chat (the same conversation) or to ask
about this document only."""

from __future__ import annotations

import html
from collections.abc import Sequence
from urllib.parse import quote as urlquote

from .facts import Fact
from .types import Document

FONTS = '"Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", SimSun, serif'

# --- The document page --------------------------------------------------------------------------------

PAGE_CSS = f"""
body {{ font-family: {FONTS}; max-width: 52em; margin: 2em auto; padding: 0 1em; line-height: 1.8;
       color: #222; background: #fdfdfb; }}
header {{ border-bottom: 1px solid #ccc; margin-bottom: 1.5em; }}
h1 {{ font-size: 1.35em; line-height: 1.5; }}
dl {{ display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em; font-size: .92em; }}
dt {{ color: #666; }} dd {{ margin: 0; }}
.doc {{ white-space: pre-wrap; font-size: 1.05em; }}
mark {{ background: #ffe58a; padding: .1em 0; box-shadow: 0 0 0 2px #ffe58a; }}
a {{ color: #1a5fb4; }}
nav {{ margin-bottom: 1em; }}
details.records {{ margin: 0 0 1.5em; font-size: .92em; }}
details.records table {{ border-collapse: collapse; width: 100%; }}
details.records td {{ border-top: 1px solid #e4e4e0; padding: .15em .5em; vertical-align: top; }}
"""

KIND_LABELS = {"group": "机构", "appointment": "任免", "document": "文件"}


def page(title: str, content: str, doc_id: str | None = None, page_image: str | None = None) -> str:
    """A page of the site: "← 返回问答" returns to the chat's current conversation (kept in the
    browser); with `doc_id`, "就此文件提问" opens the chat limited to that document."""
    nav = '<a href="/" id="back">← 返回问答 / Back to chat</a>'
    if doc_id:
        nav += (f' · <a href="/?doc={urlquote(doc_id)}" id="ask-doc">就此文件提问 / Ask about this document</a>')
    if page_image:  # a document read from a PDF: the printed page, the cited lines boxed
        nav += f' · <a href="{html.escape(page_image)}" target="_blank" id="page-image">原文页面 / Page image</a>'
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)} · 公报问答</title><style>{PAGE_CSS}</style></head>"
            f'<body><nav>{nav}</nav>{content}</body></html>')


def not_found_page(message: str) -> str:
    return page("未找到 / Not found", f"<h1>404</h1><p>{html.escape(message)}</p>")


def records_html(doc: Document, facts: Sequence[Fact]) -> str:
    """The document's records (qa/facts/) as a folded table; each row links to its source span."""
    shown = [f for f in facts if f.role not in ("文号", "成文日期", "成员单位")]
    if not shown:
        return ""
    rows = "".join(
        f"<tr><td>{KIND_LABELS[f.kind]}</td><td>{html.escape(f.parent + ' › ' if f.parent else '')}"
        f"{html.escape(f.subject)}</td><td>{html.escape(f.role)}</td>"
        f'<td><a href="/doc/{urlquote(doc.doc_id)}?start={f.start}&amp;end={f.end}">{html.escape(f.value)}</a></td></tr>'
        for f in shown)
    return (f'<details class="records"><summary>本文件的记录 / Records ({len(shown)})</summary>'
            f"<table>{rows}</table></details>")


def document_page(doc: Document, span: tuple[int, int] | None, facts: Sequence[Fact] = (),
                  page_image: str | None = None) -> str:
    """The whole document, escaped, with the cited span (source offsets) in <mark id="cited">, and
    its records (groups, appointments, document facts) above it."""
    rows = [("文号", doc.doc_number), ("发文机关", doc.issuer), ("日期", doc.date), ("期号", doc.issue.label),
            ("类别", doc.category), ("页码", doc.page and f"第{doc.page}页"), ("来源文件", doc.source)]
    meta = "".join(f"<dt>{k}</dt><dd>{html.escape(str(v))}</dd>" for k, v in rows if v)
    body = doc.body
    if span is None:
        text = html.escape(body)
        script = ""
    else:
        a, b = span[0] - doc.start, span[1] - doc.start
        text = (html.escape(body[:a]) + '<mark id="cited">' + html.escape(body[a:b]) + "</mark>"
                + html.escape(body[b:]))
        script = ("<script>window.addEventListener('load', function () {"
                  "document.getElementById('cited').scrollIntoView({block: 'center'});});</script>")
    header = f"<header><h1>{html.escape(doc.title)}</h1><dl>{meta}</dl></header>"
    return page(doc.title, f'{header}{records_html(doc, facts)}<div class="doc">{text}</div>{script}', doc.doc_id,
                page_image)
