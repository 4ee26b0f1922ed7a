"""Gazette facts as records: leading bodies and their posts, appointments and removals, and facts
about documents, each with the exact source span it came from. Extracted at ingest (`extract`),
stored in the index (facts.json), searched by `FactBase` and answered by `qa/facts/answer.py`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..lexicon import unit_aliases
from ..text import squash
from ..types import Document
from .appointments import extract_appointments
from .documents import extract_document_facts
from .groups import extract_groups
from .records import KINDS, Fact, canonical_unit, clean, facts_version

__all__ = ["KINDS", "facts_version", "Fact", "FactBase", "canonical_unit", "clean", "extract", "extract_all"]


def extract(doc: Document) -> list[Fact]:
    """Every fact of one document, in source order."""
    facts = extract_groups(doc) + extract_appointments(doc) + extract_document_facts(doc)
    return sorted(facts, key=lambda f: (f.start, f.kind, f.role))


def extract_all(documents: Iterable[Document]) -> list[Fact]:
    return [f for doc in sorted(documents, key=lambda d: (d.source, d.start)) for f in extract(doc)]


class FactBase:
    """The index's facts, looked up by document and searched by text."""

    def __init__(self, facts: Sequence[Fact]) -> None:
        self.facts = list(facts)
        self.by_doc: dict[str, list[Fact]] = {}
        for fact in self.facts:
            self.by_doc.setdefault(fact.doc_id, []).append(fact)
        self._keys: list[str] | None = None  # for `search`, made on its first call

    @staticmethod
    def _key(fact: Fact) -> str:
        text = " ".join(x for x in (fact.subject, fact.parent, fact.role, fact.value, fact.person, fact.post,
                                    fact.unit, fact.detail) if x)
        return squash(f"{text} {' '.join(unit_aliases(squash(text)))}")

    def __len__(self) -> int:
        return len(self.facts)

    def search(self, text: str = "", kind: str | None = None, year: int | None = None,
               limit: int | None = None) -> list[Fact]:
        """Facts of a kind (and year) whose fields hold every word of `text` (spaces separate words;
        unit short names match full ones: 市住建局 finds 市住房和城乡建设局), in source order."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown fact kind {kind!r}: use one of {', '.join(KINDS)}")
        words = [squash(w) for w in text.split() if w.strip()]
        words = [(w, [squash(a) for a in unit_aliases(w)]) for w in words]
        if self._keys is None:
            self._keys = [self._key(f) for f in self.facts]
        found = []
        for fact, key in zip(self.facts, self._keys):
            if kind and fact.kind != kind:
                continue
            if year and not (fact.date or "").startswith(str(year)):
                continue
            if all(w in key or any(a in key for a in aliases) for w, aliases in words):
                found.append(fact)
                if limit and len(found) >= limit:
                    break
        return found
