"""Gazette issue text -> Issue, table of contents and Documents with section trees.

Documents are found by their 文号 line (`阳政办发〔2022〕57号` alone on a line); the title block
above it and the body below it are slices of the source text, so every offset points into the file.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .errors import ParseError
from .sections import parse_sections
from .text import DOC_NUMBER_RE, join_title, normalize_doc_number, read_text, squash
from .types import Document, Issue, ParsedIssue, TocEntry

_ISSUERS = ("阳泉市人民政府办公室", "阳泉市人民政府")
_DOC_NUMBER_LINE = re.compile(
    r"^[ \t*]*[\u4e00-\u9fff]{2,8}\s*[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d{1,4}\s*号[ \t*]*$", re.M
)
_DATE_LINE = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$", re.M)
_END_MARK = re.compile(r"[（(]此件[^）)]*[）)]")
_CATEGORY = re.compile(r"^\s*[-|\s]*【\s*([^】]+?)\s*】")
_TOC_ENTRY = re.compile(
    r"^(?P<title>.+?)\s*[（(]\s*(?P<num>[^()（）]*?〔\s*\d{4}\s*〕\s*\d+\s*号)\s*[)）]"
    r"[\s.…·]*[（(]\s*(?P<page>\d+)\s*[)）]\s*$"
)
# Lines that are page furniture, not document text: running heads, page numbers.
_ARTEFACT = re.compile(
    r"^\s*(阳泉市人民政府公报|YANGQUAN[A-Z ]*|[-—·•\s]*\d{1,3}[-—·•\s]*|第\s*\d+\s*页)\s*$"
)


def parse_file(path: str | Path) -> ParsedIssue:
    path = Path(path)
    return parse_text(read_text(path), path.name)


def parse_text(text: str, source: str, issue: Issue | None = None) -> ParsedIssue:
    """Parse one issue. Raises ParseError naming `source` when the text is not a gazette issue.
    `issue`: the issue's metadata when read elsewhere (a PDF's first page); else from the text's head."""
    issue = issue or parse_issue(text, source)
    anchors = [m for m in _DOC_NUMBER_LINE.finditer(text)]
    if not anchors:
        raise ParseError(f"{source}: no document number lines (e.g. 阳政发〔2022〕19号) found; "
                         "is this a 阳泉市人民政府公报 issue converted to text?")
    toc_start = _find_toc_start(text)
    starts = [_title_start(text, m.start(), floor=toc_start) for m in anchors]
    toc_end = starts[0]
    toc, toc_problems = _parse_toc(text[toc_start:toc_end]) if toc_start < toc_end else ((), [])
    problems = list(toc_problems)

    documents: list[Document] = []
    used_ids: set[str] = set()
    unmatched = list(toc)
    for i, m in enumerate(anchors):
        end = starts[i + 1] if i + 1 < len(anchors) else len(text)
        raw_number = m.group(0).strip(" \t*")
        norm = normalize_doc_number(raw_number)
        title = join_title(text[starts[i]:m.start()].splitlines())
        entry = _take_toc_entry(unmatched, norm, title)
        issuer = _issuer(title, norm)
        if not title.startswith(_ISSUERS) and issuer:
            title = issuer + title
        if entry is None:
            problems.append(f"{raw_number} 「{title}」 is in the body but not in the table of contents")
        elif normalize_doc_number(entry.doc_number or "") != norm:
            problems.append(f"{raw_number}: TOC prints 文号 {entry.doc_number} for 「{entry.title}」; "
                            "the body's 文号 is used")
        elif squash(entry.title) != squash(title):
            problems.append(f"{raw_number}: TOC title 「{entry.title}」 differs from body title 「{title}」; using the body's")
        body_start = m.end() + 1 if m.end() < len(text) else m.end()
        body = blank_artefacts(text[starts[i]:end])
        doc_id = _doc_id(issue, norm or title, used_ids)
        documents.append(Document(
            doc_id=doc_id, title=title, doc_number=raw_number, doc_number_norm=norm,
            issuer=issuer, date=_date(body), category=entry.category if entry else None,
            page=entry.page if entry else None, source=source, issue=issue,
            start=starts[i], body_start=body_start, end=end, body=body,
            sections=parse_sections(body[body_start - starts[i]:], offset=body_start),
        ))
    for entry in unmatched:
        problems.append(f"TOC entry {entry.doc_number} 「{entry.title}」 has no document in the body")
    return ParsedIssue(issue=issue, documents=tuple(documents), toc=tuple(toc), problems=tuple(problems))


def parse_issue(text: str, source: str) -> Issue:
    """The issue (year, 第N期, 总第N期, publication date) from the masthead in the first 3000 characters."""
    head = text[:3000]
    m = re.search(r"(\d{4})\s*年?\s*_?\{?\s*第\s*(\d+)\s*期", head)
    if "公报" not in head or not m:
        raise ParseError(f"{source}: not a gazette issue (no 公报 masthead with 'YYYY 年第 N 期' "
                         "in the first lines).")
    running = re.search(r"总第\s*0*(\d+)\s*期", head)
    pub = re.search(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*出版", head)
    published = f"{pub.group(1)}-{int(pub.group(2)):02d}-{int(pub.group(3)):02d}" if pub else None
    return Issue(source=source, year=int(m.group(1)), number=int(m.group(2)),
                 running_number=int(running.group(1)) if running else None, published=published)


def _find_toc_start(text: str) -> int:
    m = re.search(r"^\s*目\s*录\s*$", text, re.M)
    return m.end() if m else 0


def _title_start(text: str, number_pos: int, floor: int) -> int:
    """Walk back from a 文号 line over the title block; return the offset where the title begins."""
    lines: list[tuple[int, str]] = []  # (offset, stripped line), bottom-up
    pos = number_pos
    while pos > floor and len(lines) < 6:
        line_start = text.rfind("\n", floor, pos - 1) + 1
        line = text[line_start:pos].strip().strip("*").strip()
        pos = line_start
        if not line:
            continue
        if (_END_MARK.search(line) or _DATE_LINE.match(line) or len(line) > 90
                or line[-1] in "。；;：:，,、" or re.search(r"〔\s*\d{4}\s*〕", line)):
            break
        lines.append((line_start, line))
    start = None
    for offset, line in lines:  # bottom-up: the topmost issuer or 关于 line begins the title
        if line.startswith(_ISSUERS) or line.startswith("关于"):
            start = offset
    if start is None:
        start = lines[0][0] if lines else number_pos
    return start


def _parse_toc(toc_text: str) -> tuple[list[TocEntry], list[str]]:
    entries: list[TocEntry] = []
    problems: list[str] = []
    category: str | None = None
    buffer = ""
    for raw in toc_text.splitlines():
        line = raw.strip()
        if not line or re.fullmatch(r"[|\-\s:]*", line):
            continue
        cat = _CATEGORY.match(line)
        if cat:
            if buffer:
                problems.append(f"TOC text not understood: 「{buffer}」")
            category, buffer = cat.group(1), ""
            continue
        line = re.sub(r"^[-•]\s+", "", line.strip("| ").replace("|", " "))
        buffer = f"{buffer}{line}" if not buffer else join_title([buffer, line])
        m = _TOC_ENTRY.match(buffer)
        if m:
            entries.append(TocEntry(title=join_title([m.group("title")]),
                                    doc_number=m.group("num").strip(), page=int(m.group("page")),
                                    category=category))
            buffer = ""
    if buffer:
        problems.append(f"TOC text not understood: 「{buffer}」")
    return entries, problems


def _take_toc_entry(entries: list[TocEntry], norm: str | None, title: str) -> TocEntry | None:
    """Remove and return the TOC entry for a body document: by 文号, else by title."""
    for i, entry in enumerate(entries):
        if norm and normalize_doc_number(entry.doc_number or "") == norm:
            return entries.pop(i)
    for i, entry in enumerate(entries):
        if squash(entry.title).endswith(squash(title)[-12:]):
            return entries.pop(i)
    return None


def _issuer(title: str, norm: str | None) -> str | None:
    for name in _ISSUERS:
        if title.startswith(name):
            return name
    if norm:
        code = DOC_NUMBER_RE.match(norm).group(1)
        return "阳泉市人民政府办公室" if "政办" in code else "阳泉市人民政府"
    return None


def _date(body: str) -> str | None:
    m = _DATE_LINE.search(body)
    if not m:
        return None
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"


def blank_artefacts(body: str) -> str:
    """Replace page furniture with spaces of the same length, so offsets stay valid."""
    out = []
    for line in body.split("\n"):
        if line.strip() and _ARTEFACT.match(line):
            line = " " * len(line)
        out.append(line.replace("**", "  "))
    return "\n".join(out)


def _doc_id(issue: Issue, key: str, used: set[str]) -> str:
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]
    base = f"{issue.year}-{issue.number:02d}-{digest}"
    doc_id, n = base, 2
    while doc_id in used:
        doc_id, n = f"{base}-{n}", n + 1
    used.add(doc_id)
    return doc_id
