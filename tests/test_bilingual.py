"""The bilingual lexicon (qa/lexicon/bilingual.yaml) is data about this corpus: every Chinese key
occurs in the gazettes, every English name is plain ASCII, and the loader rejects malformed entries."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

import pytest
import yaml

import qa.lexicon as lexicon
from qa.lexicon import BILINGUAL_SECTIONS, _check_bilingual, bilingual

CORPUS = Path(__file__).resolve().parents[1] / "data" / "gazettes"
MINIMUMS = {"units": 120, "posts": 60, "doc_types": 25, "terms": 200}
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 '()\-]*")  # plain ASCII: hyphens, apostrophes, parentheses


@cache
def corpus() -> str:
    """All gazette text with every whitespace character removed (OCR puts spaces inside words)."""
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt")))
    return re.sub(r"\s+", "", text)


def all_entries() -> list[tuple[str, str, tuple[str, ...]]]:
    return [(section, key, names) for section, entries in bilingual().items() for key, names in entries.items()]


def test_corpus_is_there():
    assert len(sorted(CORPUS.glob("*.txt"))) == 5 and "阳泉市人民政府" in corpus()


def test_every_chinese_key_occurs_in_the_corpus():
    missing = [f"{section}: {key}" for section, key, _ in all_entries() if key not in corpus()]
    assert not missing, f"{len(missing)} key(s) not in the gazettes (whitespace removed): {', '.join(missing)}"


def test_sections_are_big_enough():
    sizes = {section: len(entries) for section, entries in bilingual().items()}
    assert tuple(sizes) == BILINGUAL_SECTIONS
    small = {s: (sizes[s], n) for s, n in MINIMUMS.items() if sizes[s] < n}
    assert not small, f"sections below their minimum (have, need): {small}"
    assert sum(sizes.values()) >= 450


def test_keys_unique_across_sections_and_names_plain_ascii():
    seen: dict[str, str] = {}
    dupes, bad = [], []
    for section, key, names in all_entries():
        if key in seen:
            dupes.append(f"{key} ({seen[key]}, {section})")
        seen[key] = section
        if not names:
            bad.append(f"{section}: {key}: no names")
        for name in names:
            if not (isinstance(name, str) and name.isascii() and NAME_RE.fullmatch(name)):
                bad.append(f"{section}: {key}: {name!r}")
        if names and not names[0][0].isupper() and section in ("units", "posts"):
            bad.append(f"{section}: {key}: first name {names[0]!r} is not capitalised")
        if len({n.lower() for n in names}) != len(names):
            bad.append(f"{section}: {key}: repeated name in {names}")
    assert not dupes, f"keys in more than one section: {dupes}"
    assert not bad, f"malformed English names: {bad}"


def test_no_key_is_repeated_within_a_section_of_the_yaml_file():
    # yaml.safe_load silently keeps the last of two equal keys; read the file with a loader that tells.
    repeated: list[str] = []

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
        keys = [loader.construct_object(k) for k, _ in node.value]
        repeated.extend(str(k) for k in keys if keys.count(k) > 1)
        return loader.construct_mapping(node)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    text = resources.files("qa.lexicon").joinpath("bilingual.yaml").read_text(encoding="utf-8")
    yaml.load(text, Loader=Strict)
    assert not repeated, f"keys written twice: {sorted(set(repeated))}"


def test_loader_returns_tuples_and_the_examples():
    lex = bilingual()
    assert lex is bilingual()
    assert lex["posts"]["市长"][0] == "Mayor"
    assert lex["units"]["市住建局"][0] == lex["units"]["市住房和城乡建设局"][0]
    assert lex["units"]["市发改委"][0] == "Municipal Development and Reform Commission"
    assert lex["units"]["市大数据应用局"][0] == "Municipal Big Data Application Bureau"
    assert lex["doc_types"]["应急预案"][0] == "emergency plan"
    assert "manhole covers" in lex["terms"]["窨井盖"]
    assert "13710" in lex["terms"]  # a numeric key must stay a string
    assert all(isinstance(names, tuple) for _, _, names in all_entries())


def good() -> dict:
    return {
        "units": {"市住建局": ["Municipal Housing and Urban-Rural Development Bureau"]},
        "posts": {"市长": ["Mayor"]},
        "doc_types": {"通知": ["notice"]},
        "terms": {"窨井盖": ["manhole covers"]},
    }


def test_check_accepts_a_good_dict():
    assert _check_bilingual(good())["posts"] == {"市长": ("Mayor",)}


@pytest.mark.parametrize(
    "section, key, value, message",
    [
        ("posts", "副市长", "Vice Mayor", r"副市长.*list"),  # a string, not a list
        ("posts", "副市长", {"en": "Vice Mayor"}, r"副市长.*list"),
        ("posts", "副市长", None, r"副市长.*list"),
        ("posts", "副市长", [], r"副市长.*empty"),
        ("posts", "副市长", ["Vice Mayor", 3], r"副市长.*non-string"),
        ("posts", "副市长", ["Vice Mayor", None], r"副市长.*non-string"),
        ("posts", "副市长", ["  "], r"副市长.*empty"),
        ("terms", "市长", ["mayor"], r"市长.*also in section 'posts'"),  # duplicate across sections
        ("terms", 13710, ["13710 system"], r"13710.*not a string"),  # unquoted number in YAML
        ("terms", "窨井 盖", ["manhole covers"], r"窨井 盖.*whitespace"),
    ],
)
def test_check_rejects_a_malformed_entry(section, key, value, message):
    raw = good()
    raw[section][key] = value
    with pytest.raises(ValueError, match=message):
        _check_bilingual(raw)


@pytest.mark.parametrize(
    "raw, message",
    [
        (["units"], "mapping of sections"),
        ({**good(), "people": {"张三": ["Zhang San"]}}, "unknown section"),
        ({k: v for k, v in good().items() if k != "terms"}, "missing section 'terms'"),
        ({**good(), "terms": None}, "'terms' must be a non-empty mapping"),
    ],
)
def test_check_rejects_a_malformed_file(raw, message):
    with pytest.raises(ValueError, match=message):
        _check_bilingual(raw)


def test_loader_raises_on_a_malformed_file(monkeypatch):
    raw = good()
    raw["posts"]["副市长"] = []
    monkeypatch.setattr(lexicon, "load", lambda name: raw)
    bilingual.cache_clear()
    try:
        with pytest.raises(ValueError, match="副市长"):
            bilingual()
    finally:
        bilingual.cache_clear()
