"""The fact record: one row or clause of a gazette document that states who holds a post in a body,
who was appointed or removed, or a fact about the document itself, with its exact source span."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from functools import cache

from ..lexicon import unit_names
from ..text import nfkc

KINDS = ("group", "appointment", "document")


@cache
def facts_version() -> str:
    """The extraction rules' version: a digest of the modules that extract records, so an index's
    facts are extracted again whenever the rules change (it takes about a second). Read on first
    use, not on import."""
    import hashlib
    from pathlib import Path

    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("records.py", "groups.py", "appointments.py", "documents.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Fact:
    """`kind` group: `subject` is the body (领导小组, 指挥部, a sub-group), `role` the post (组长, 副组长,
    成员, 办公室主任 …, 办公室 = where the office sits, 牵头单位 = the unit that leads), `value` the
    direct answer ("雷健坤（市长）", "市住建局").
    `kind` appointment: `subject` the person, `role` 任命/免去/聘任/解聘, `value` the post.
    `kind` document: `subject` the document's title (or a stage's name), `role` 文号/发文机关/成文日期/施行/
    有效期/废止/阶段/期限, `value` the fact.
    [start, end) is the exact span in the issue's source text that states it."""

    kind: str
    role: str
    subject: str
    value: str
    doc_id: str
    source: str
    start: int
    end: int
    person: str | None = None  # OCR spaces removed
    post: str | None = None  # as printed, spaces removed
    unit: str | None = None  # canonical short unit name (市住建局)
    date: str | None = None  # ISO date of the document
    parent: str | None = None  # group: the body a sub-group belongs to
    detail: str | None = None  # appointment: 试用期一年 / 保留原职级待遇; the meeting; document: stage/what

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"fact kind {self.kind!r} is not one of {KINDS}")
        if not 0 <= self.start < self.end:
            raise ValueError(f"fact span [{self.start}, {self.end}) is empty or negative")

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, raw: dict) -> Fact:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})

    @property
    def answer(self) -> str:
        """The direct answer in Chinese: "组长：雷健坤（市长）", "任命为阳泉市民政局局长"."""
        if self.kind == "appointment":
            return f"{self.subject}：{self.role}{'为' if self.role in ('任命', '聘任') else ''}{self.value}"
        return f"{self.role}：{self.value}"


_SPACE = re.compile(r"[\s\u3000]+")


def clean(text: str) -> str:
    """Spaces and line breaks removed, half-width brackets and colons made full width."""
    text = _SPACE.sub("", nfkc(text))
    return text.replace("(", "（").replace(")", "）").replace(":", "：").replace(",", "，").replace(";", "；")


def canonical_unit(text: str) -> str:
    """A unit's canonical short name: 阳泉市住房和城乡建设局 -> 市住建局, 市政府副市长 -> 副市长."""
    unit = clean(text)
    unit = re.sub(r"^阳泉市(?!人民政府$)", "市", unit)
    for short, full in sorted(unit_names().items(), key=lambda kv: -len(kv[1])):
        if full in unit and full.endswith(("局", "委员会", "政府")):
            unit = unit.replace(full, short)
    unit = re.sub(r"^市(?:人民)?政府(?=(?:常务)?副?市长$)", "", unit)
    return unit.replace("市人民政府", "市政府")
