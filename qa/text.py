"""Text helpers shared by the pipeline: decoding, normalization, 文号 handling."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .errors import ParseError

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
CJK_RE = re.compile(rf"[{_CJK}]")  # one Chinese character; the one CJK test of the package
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}“”《》（）〔〕、，。：；]) (?=[{_CJK}“”《》（）〔〕、，。：；])")

# 文号: issuer code, year in brackets, number, 号. Brackets and spaces vary in OCR output.
DOC_NUMBER_RE = re.compile(
    r"([\u4e00-\u9fff]{1,8})\s*[〔\[［【(（]\s*(\d{4})\s*[〕\]］】)）]\s*(\d{1,4})\s*号"
)


def decode_bytes(data: bytes, name: str) -> str:
    """Decode UTF-8 (with or without BOM) or GB18030; raise ParseError naming the file otherwise."""
    if not data.strip():
        raise ParseError(f"{name}: the file is empty; give a gazette issue as text.")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise ParseError(
        f"{name}: not UTF-8 or GB18030/GBK text (binary or another encoding); "
        "convert it to UTF-8, e.g. `iconv -f <encoding> -t utf-8`."
    )


def read_text(path: str | Path) -> str:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"{path}: cannot be read ({exc.strerror}).") from exc
    return decode_bytes(data, str(path))


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def squash(text: str) -> str:
    """NFKC and no whitespace at all: the form used to compare OCR text."""
    return re.sub(r"\s+", "", nfkc(text))


def tidy(text: str) -> str:
    """Readable one-paragraph form: join lines, drop spaces OCR put between Chinese characters."""
    text = text.replace("**", "").replace("\t", "  ")
    text = re.sub(r"[ \t]*\n[ \t\n]*", "\n", text.strip())
    text = _SPACE_BETWEEN_CJK.sub("", text)
    return re.sub(r"[ \t]{2,}", " ", text)


def join_title(lines: list[str]) -> str:
    """Join a title broken over lines: no spaces between Chinese characters."""
    title = " ".join(line.strip().replace("**", "") for line in lines if line.strip())
    title = _SPACE_BETWEEN_CJK.sub("", title)
    title = re.sub(rf"(?<=[{_CJK}])\s+(?=[\d(（])|(?<=[\d)）])\s+(?=[{_CJK}])", "", title)
    return re.sub(r"\s{2,}", " ", title).strip()


def normalize_doc_number(text: str) -> str | None:
    """Unify brackets and spacing: `阳政发[2020] 5 号` -> `阳政发〔2020〕5号`. None if no 文号."""
    m = DOC_NUMBER_RE.search(re.sub(r"\s+", "", nfkc(text or "")))
    if not m:
        return None
    return f"{m.group(1)}〔{m.group(2)}〕{int(m.group(3))}号"


def find_doc_numbers(text: str) -> list[str]:
    """All normalized 文号 written in a text, in order, without repeats.

    The issuer code is cut back to where an issuing authority's abbreviation starts (阳/晋/国/中…),
    so words before it ("请问阳政发…") are not taken as part of the code.
    """
    found: list[str] = []
    for m in DOC_NUMBER_RE.finditer(nfkc(text)):
        code = _trim_code(m.group(1))
        norm = f"{code}〔{m.group(2)}〕{int(m.group(3))}号"
        if norm not in found:
            found.append(norm)
    return found


_AUTHORITY_START = "阳晋国中省市县"


def _trim_code(code: str) -> str:
    for i, ch in enumerate(code[:-1]):
        if ch in _AUTHORITY_START and len(code) - i >= 2:
            return code[i:]
    return code[-4:]


def is_english(text: str) -> bool:
    """More Latin letters than twice the Chinese characters, not counting HTML tags or URLs."""
    text = re.sub(r"<[^>]*>|https?://\S+", " ", text)
    letters = sum(ch.isascii() and ch.isalpha() for ch in text)
    return letters > 2 * len(CJK_RE.findall(text))
