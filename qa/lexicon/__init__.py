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
    )


@cache
def glossary() -> dict[str, str]:
    return dict(load("glossary")["glossary"])


@cache
def unit_names() -> dict[str, str]:
    """Short unit name -> full name (qa/lexicon/units.yaml)."""
    return dict(load("units")["units"])


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
