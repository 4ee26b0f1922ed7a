"""Word lists, patterns and glossaries as data (the YAML files beside this module), loaded once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources


@cache
def load(name: str) -> dict:
    """The parsed `qa/lexicon/<name>.yaml`."""
    import yaml

    path = resources.files("qa.lexicon").joinpath(f"{name}.yaml")
    if not path.is_file():
        raise FileNotFoundError(f"no lexicon {name!r} (qa/lexicon/{name}.yaml)")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(re.sub(r"\s*\n\s*", "", pattern.strip()), flags)


@dataclass(frozen=True)
class QuestionLexicon:
    types: tuple[tuple[str, re.Pattern[str]], ...]
    answer_patterns: dict[str, re.Pattern[str]]
    asking: re.Pattern[str]
    slots: tuple[str, ...]
    slots_en: tuple[tuple[re.Pattern[str], str], ...]
    boilerplate: re.Pattern[str]
    measures: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = ()
    docnum_in_text: re.Pattern[str] | None = None
    colloquial: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = ()  # everyday word -> document words
    kinds: tuple[tuple[re.Pattern[str], re.Pattern[str], str, str], ...] = ()  # asked kind -> its names, zh, en


@cache
def question_lexicon() -> QuestionLexicon:
    raw = load("question")
    return QuestionLexicon(
        types=tuple((t["name"], _compile(t["pattern"], re.I)) for t in raw["types"]),
        answer_patterns={k: _compile(v, re.M) for k, v in raw["answer_patterns"].items()},
        asking=_compile(raw["asking"]),
        slots=tuple(raw["slots"]),
        slots_en=tuple((re.compile(pattern, re.I), slot) for pattern, slot in raw["slots_en"]),
        boilerplate=_compile(raw["boilerplate"]),
        measures=tuple((re.compile(q, re.I), re.compile(a)) for q, a in raw.get("measures", ())),
        docnum_in_text=re.compile(raw["docnum_in_text"], re.I),
        colloquial=tuple((re.compile(q), tuple(words.split())) for q, words in raw.get("colloquial", ())),
        kinds=tuple((re.compile(q, re.I), re.compile(a), zh, en) for q, a, zh, en in raw.get("kinds", ())),
    )


@cache
def glossary() -> dict[str, str]:
    return dict(load("glossary")["glossary"])


@cache
def unit_names() -> dict[str, str]:
    """Short unit name -> full name (qa/lexicon/units.yaml)."""
    return dict(load("units")["units"])


def document_words(text: str) -> list[str]:
    """The words documents use for a question's everyday words: 不能 -> 不得 禁止 … (question.yaml)."""
    found: list[str] = []
    for pattern, words in question_lexicon().colloquial:
        if pattern.search(text):
            found.extend(w for w in words if w not in found and w not in text)
    return found


def unit_aliases(text: str) -> list[str]:
    """The other names of the units a text names: 人社局 -> 人力资源和社会保障局, and back."""
    found: list[str] = []
    for short, full in unit_names().items():
        if short in text and full not in text:
            found.append(full)
        elif full in text and short not in text:
            found.append(short)
    return found


@cache
def places() -> tuple[tuple[str, ...], ...]:
    """Places under Yangquan, each with the spellings that name it (qa/lexicon/places.yaml)."""
    return tuple(tuple(p) for p in load("places")["places"])


BILINGUAL_SECTIONS = ("units", "posts", "doc_types", "terms")


def _check_bilingual(raw: object) -> dict[str, dict[str, tuple[str, ...]]]:
    """Validate parsed bilingual.yaml: {section: {chinese: [english, ...]}} -> the same with tuples.

    Raises ValueError naming the section and key of the first malformed entry: a missing or
    unknown section, a key that is not a non-empty string without whitespace, a value that is not
    a non-empty list of non-empty strings, or a key that occurs in more than one section.
    """
    if not isinstance(raw, dict):
        raise ValueError(f"bilingual.yaml: expected a mapping of sections, got {type(raw).__name__}")
    unknown = [str(s) for s in raw if s not in BILINGUAL_SECTIONS]
    if unknown:
        raise ValueError(
            f"bilingual.yaml: unknown section(s) {', '.join(unknown)}; use {', '.join(BILINGUAL_SECTIONS)}"
        )
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    owner: dict[str, str] = {}  # key -> the section it was first seen in
    for section in BILINGUAL_SECTIONS:
        if section not in raw:
            raise ValueError(f"bilingual.yaml: missing section {section!r}")
        entries = raw[section]
        if not isinstance(entries, dict) or not entries:
            raise ValueError(f"bilingual.yaml: section {section!r} must be a non-empty mapping")
        checked: dict[str, tuple[str, ...]] = {}
        for key, names in entries.items():
            where = f"bilingual.yaml: {section}: key {key!r}"
            if not isinstance(key, str):
                raise ValueError(f"{where} is a {type(key).__name__}, not a string (quote it)")
            if not key or any(ch.isspace() for ch in key):
                raise ValueError(f"{where} must be non-empty and contain no whitespace")
            if key in owner:
                raise ValueError(f"{where} is duplicated: it is also in section {owner[key]!r}")
            if not isinstance(names, (list, tuple)):
                raise ValueError(f"{where} must map to a list of English names, got {type(names).__name__}")
            if not names:
                raise ValueError(f"{where} has an empty list of English names")
            for name in names:
                if not isinstance(name, str):
                    raise ValueError(f"{where} has a non-string name {name!r} ({type(name).__name__})")
                if not name.strip():
                    raise ValueError(f"{where} has an empty English name")
            owner[key] = section
            checked[key] = tuple(name.strip() for name in names)
        out[section] = checked
    return out


@cache
def bilingual() -> dict[str, dict[str, tuple[str, ...]]]:
    """Chinese term -> English names, by section (units, posts, doc_types, terms) (qa/lexicon/bilingual.yaml)."""
    return _check_bilingual(load("bilingual"))
