"""Answers as the chat shows them (Markdown with a little HTML), as plain text for the clipboard and
as a Markdown export of a conversation. Everything taken from users or documents is escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote as urlquote

from .errors import IndexMissingError, QAError
from .text import is_english
from .types import Answer, Citation

QUOTE_LIMIT = 300
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~$])")
_MD_NUMBERED = re.compile(r"^(\s*\d+)(?=[.)])", re.MULTILINE)  # "1." would start a list
_MD_BULLET = re.compile(r"^(\s*)([-+=])", re.MULTILINE)  # "-"/"+" bullets, "=" setext headings
_MARK = re.compile(r"\[(\d+)\]")
_CELLS = re.compile(r"\s*(?:\t+|\|)\s*")


@dataclass(frozen=True)
class Turn:
    """One question and what the chat answered, kept with the conversation (in the browser)."""

    question: str
    answer: Answer | None = None
    error: str = ""  # the message shown instead of an answer


def md_text(text: str) -> str:
    """Text shown literally inside Markdown: HTML-escaped, Markdown punctuation backslash-escaped."""
    text = _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    text = _MD_NUMBERED.sub(r"\1\\", text)
    return _MD_BULLET.sub(r"\1\\\2", text)


def short_quote(quote: str, limit: int = QUOTE_LIMIT) -> str:
    text = " ".join(quote.split())
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def cells(line: str) -> list[str] | None:
    """The cells of a table row ("组长 | 韩加政 | 市长", tab-separated too); None for prose."""
    if "\t" not in line and "|" not in line:
        return None
    parts = [p.strip() for p in _CELLS.split(line.strip().strip("|"))]
    parts = [p for p in parts if p and not set(p) <= set("-:")]
    return parts if len(parts) >= 2 else None


def text_html(text: str) -> str:
    """Escaped text; lines that are table rows become a small table (never raw pipes)."""
    out, rows = [], []
    for line in text.split("\n"):
        row = cells(line)
        if row:
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
            continue
        if rows:
            out.append(f'<table class="row">{"".join(rows)}</table>')
            rows = []
        out.append(html.escape(line))
    if rows:
        out.append(f'<table class="row">{"".join(rows)}</table>')
    return "<br>".join(o for o in out if o)


def url_of(c: Citation, base: str = "") -> str:
    return base.rstrip("/") + urlquote(c.url, safe="/?=&") if c.url.startswith("/") else c.url


def cite_link(c: Citation, base: str = "") -> str:
    """[n] as a link to the cited sentence in its document; the quote shows on hover/long tap."""
    return (f'<a class="cite" href="{html.escape(url_of(c, base))}" target="_blank" '
            f'title="{html.escape(short_quote(c.quote), quote=True)}">[{c.n}]</a>')


def _with_links(text: str, by_n: dict[int, Citation], base: str, strong: bool = False) -> str:
    """Answer text with each [n] as a link; table rows as tables; `strong`: the text in bold."""
    pieces = []
    for i, part in enumerate(_MARK.split(text)):
        if i % 2:
            c = by_n.get(int(part))
            pieces.append(cite_link(c, base) if c else html.escape(f"[{part}]"))
        elif part:
            shown = text_html(part) if cells(part) or "\n" in part else html.escape(part)
            pieces.append(f'<strong class="short">{shown}</strong>' if strong and part.strip() else shown)
    return "".join(pieces)


def source_label(c: Citation, english: bool = False) -> str:
    """title · 文号 · 城市 期号 · 第N页 · 章节"""
    page = (f"p. {c.page}" if english else f"第{c.page}页") if c.page else ""
    issue = f"{c.city} {c.issue}" if c.city and c.issue else c.issue
    return " · ".join(p for p in (c.title, c.doc_number or "", issue, page, c.section) if p)


def sources_html(answer: Answer, base: str = "", open_: bool = False) -> str:
    """The citations, folded under "来源 (n)": label, link, the quote (rows as rows)."""
    if not answer.citations:
        return ""
    english = is_english(answer.question)
    items = "".join(
        f'<li value="{c.n}"><a href="{html.escape(url_of(c, base))}" target="_blank">'
        f"{html.escape(source_label(c, english))}</a>"
        f'<div class="quote">{text_html(short_quote(c.quote) if not cells(c.quote) else c.quote)}</div></li>'
        for c in answer.citations)
    title = f"Sources ({len(answer.citations)})" if english else f"来源 ({len(answer.citations)})"
    return (f'<details class="sources"{" open" if open_ else ""}><summary>{title}</summary>'
            f"<ol>{items}</ol></details>")


def answer_markdown(answer: Answer, base: str = "") -> str:
    """The chat message: the short answer in bold, the supporting sentence(s) with [n] links, notices,
    the closest documents of a refusal, and the sources folded."""
    english = is_english(answer.question)
    by_n = {c.n: c for c in answer.citations}
    text, parts = answer.answer, []
    if answer.short_answer and text.startswith(answer.short_answer) and "\n\n" in text:
        head, text = text.split("\n\n", 1)
        parts.append(f'<p class="answer-head">{_with_links(head, by_n, base, strong=True)}</p>')
    if text:
        parts.append(f'<p class="support">{_with_links(text, by_n, base)}</p>')
    if answer.refused and answer.suggestions and not all(s in answer.answer for s in answer.suggestions):
        heading = "Closest documents" if english else "最接近的文件"
        parts.append(f"<p><b>{heading}</b></p><ul>"
                     + "".join(f"<li>{html.escape(s)}</li>" for s in answer.suggestions) + "</ul>")
    parts += [f'<p class="notice">{html.escape(n)}</p>' for n in answer.notices if n != answer.answer]
    parts.append(sources_html(answer, base))
    return "\n\n".join(p for p in parts if p)


def error_markdown(exc: QAError, english: bool = False) -> str:
    message = exc.message(english)
    if isinstance(exc, IndexMissingError):
        return md_text(("No index yet. " if english else "还没有索引。") + message)
    return f"⚠️ {md_text(message)}"


def _plain(text: str) -> str:
    """Table rows with full-width bars between cells, for plain text and Markdown."""
    return "\n".join(" ｜ ".join(cells(line)) if cells(line) else line for line in text.split("\n"))


def answer_plain(answer: Answer, base: str = "") -> str:
    """Plain text for the clipboard: the answer with its [n] marks, then each source in full
    (title, 文号, issue, page, section, quote, absolute link)."""
    english = is_english(answer.question)
    out = [_plain(answer.answer)]
    out += list(n for n in answer.notices if n != answer.answer)
    if answer.citations:
        out.append("Sources:" if english else "来源：")
        for c in answer.citations:
            quote = " ".join(_plain(c.quote).split())
            out.append(f"[{c.n}] {source_label(c, english)}\n    “{quote}”\n    {url_of(c, base)}")
    return "\n".join(out)


EXPORT_TITLE = "# 公报问答 · 对话记录"


def turn_markdown(turn: Turn, base: str = "") -> str:
    """One question and its answer as a Markdown section: the answer, notices, the sources in full."""
    out = [f"## {turn.question}", ""]
    answer = turn.answer
    if answer is None:
        return "\n".join(out + [turn.error]) + "\n"
    out += [_plain(answer.answer).replace("\n", "  \n"), ""]
    out += [f"> {n}" for n in answer.notices if n != answer.answer]
    if answer.citations:
        english = is_english(answer.question)
        out += ["", "Sources:" if english else "来源：", ""]
        for c in answer.citations:
            quote = " ".join(_plain(c.quote).split())
            out.append(f"{c.n}. [{source_label(c, english)}]({url_of(c, base)})  \n   “{quote}”")
    return "\n".join(out).rstrip() + "\n"


def conversation_markdown(turns: Sequence[Turn], base: str = "") -> str:
    """A conversation as a Markdown document (the chat's export)."""
    return "\n".join([EXPORT_TITLE, "", *(turn_markdown(t, base) for t in turns)])
