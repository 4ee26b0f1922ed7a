"""(De)serialization of documents and chunks for the index directory (JSON, no pickles)."""

from __future__ import annotations

from dataclasses import asdict

from .parse import blank_artefacts
from .types import Chunk, Document, Issue, Section


def document_to_dict(doc: Document) -> dict:
    data = asdict(doc)
    data.pop("body")  # restored from the stored source text
    return data


def document_from_dict(data: dict, source_text: str) -> Document:
    data = dict(data)
    data["issue"] = Issue(**data["issue"])
    data["sections"] = tuple(_section(s) for s in data["sections"])
    data["body"] = blank_artefacts(source_text[data["start"]:data["end"]])
    return Document(**data)


def _section(data: dict) -> Section:
    return Section(title=data["title"], level=data["level"], start=data["start"], end=data["end"],
                   children=tuple(_section(c) for c in data["children"]))


def chunk_to_dict(chunk: Chunk) -> dict:
    return asdict(chunk)


def chunk_from_dict(data: dict) -> Chunk:
    return Chunk(**data)
