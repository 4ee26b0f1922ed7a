"""Small frozen dataclasses that cross module boundaries."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_CITY = "阳泉市"  # the city of a gazette without a city setting (Settings.default_city, qa/cities.py)


@dataclass(frozen=True)
class Issue:
    """One gazette issue (第N期)."""

    source: str  # file name, e.g. "yangquan-gazette-2022-04.txt"
    year: int
    number: int  # 第N期
    running_number: int | None  # 总第N期
    published: str | None  # ISO date of publication

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.number}期"


@dataclass(frozen=True)
class TocEntry:
    """One line of an issue's table of contents (目录)."""

    title: str
    doc_number: str | None
    page: int | None
    category: str | None


@dataclass(frozen=True)
class Section:
    """A heading (一、/（一）/1./（1）/1.1) and its extent, as offsets into the source text."""

    title: str  # heading text, e.g. "（一）加强组织领导"
    level: int
    start: int  # offset of the heading's first character in the source
    end: int  # offset just past the section's last character
    children: tuple[Section, ...] = ()


@dataclass(frozen=True)
class Document:
    """One government document inside an issue."""

    doc_id: str
    title: str
    doc_number: str | None  # 文号 as printed
    doc_number_norm: str | None  # normalized 文号 (see text.normalize_doc_number)
    issuer: str | None
    date: str | None  # 落款 date, ISO
    category: str | None  # the issue's own heading: 政府文件, 人事任免 …
    page: int | None  # from the table of contents
    source: str  # file name of the issue
    issue: Issue
    start: int  # offset of the document (title block) in the source text
    body_start: int  # offset of the body (after the 文号 line)
    end: int
    body: str  # source[start:end] (title block + body) with page artefacts blanked (same length)
    sections: tuple[Section, ...] = ()
    city: str = DEFAULT_CITY  # the city whose gazette this is (qa/cities.py)

    def text(self, start: int, end: int) -> str:
        """The document's text between two source offsets."""
        return self.body[start - self.start:end - self.start]


@dataclass(frozen=True)
class ParsedIssue:
    """The result of parsing one issue file."""

    issue: Issue
    documents: tuple[Document, ...]
    toc: tuple[TocEntry, ...]
    problems: tuple[str, ...] = ()  # TOC/body mismatches and other notes


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: a span of one document's source text."""

    chunk_id: str
    doc_id: str
    section: str  # section path, e.g. "六、保障措施 > （一）加强组织领导"
    start: int  # span in the source file (characters)
    end: int
    text: str  # the original text shown to users (quote)
    header: str  # context header prefixed for embedding/BM25

    @property
    def indexed_text(self) -> str:
        return f"{self.header}\n{self.text}"


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and per-retriever ranks."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None
    dense_score: float | None = None
    bm25_score: float | None = None


@dataclass(frozen=True)
class Citation:
    """A numbered source: `quote` is the exact source text [start, end) shown to the user."""

    n: int
    doc_id: str | None  # None for passages given to `qa read`
    title: str
    doc_number: str | None
    issue: str
    page: int | None
    section: str
    quote: str
    url: str
    chunk_id: str = ""
    start: int | None = None  # source offsets of the quote (in the issue file; in the passage for `qa read`)
    end: int | None = None
    passage: int | None = None  # `qa read`: the 1-based number of the given passage quoted
    city: str | None = None  # the gazette's city (None for passages given to `qa read`)


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    refused: bool
    mode: str  # "extractive" | "llm"
    citations: tuple[Citation, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    notices: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()  # closest document titles, when refused
    fallback: str = ""  # why an LLM answer was replaced by the extractive one (mode is then "extractive")
    short_answer: str | None = None  # the shortest verbatim text that answers, when one was found
    refusal_rule: str | None = None  # which refusal rule held (qa/reader/refusal.py), when refused


@dataclass(frozen=True)
class Draft:
    """Stream event: a piece of LLM text, unverified (show it as a draft)."""

    text: str


@dataclass(frozen=True)
class Preview:
    """Stream event: the extractive answer, sent before an LLM starts writing (show it at once;
    the LLM's `Draft`s and the `Final` follow)."""

    answer: Answer


@dataclass(frozen=True)
class Final:
    """Stream event: the final, verified answer; always the last event."""

    answer: Answer


StreamEvent = Draft | Preview | Final
