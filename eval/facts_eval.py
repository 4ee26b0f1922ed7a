"""Precision and recall of fact extraction (qa/facts/) against the annotated set eval/facts_gold.jsonl.

    python -m eval.facts_eval [--gold eval/facts_gold.jsonl] [--out eval/results/facts.md] [--show]

Recall: gold records with a matching extracted record (same document, kind and role/action/field;
same person, or the same post/unit/value; for groups also the same body). Precision: of the
extracted records whose source span lies on an annotated line, the share that match a gold record
of that line with a post/action/field annotated on that line (the gold set annotates lines, not
documents, so precision is measured where it looked). Reads the parsed documents from the index (`qa ingest` first)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from qa.config import load_settings
from qa.facts import Fact, canonical_unit, extract_all
from qa.index import load_index
from qa.text import normalize_doc_number, squash

FIELDS = {"effective": "施行", "validity": "有效期", "repeals": "废止", "deadline": "期限", "stage": "阶段"}
_REPO = Path(__file__).resolve().parents[1]


def _flat(text: str | None) -> str:
    text = squash(text or "").replace("(", "（").replace(")", "）").replace("两", "2")
    return re.sub(r"^自|起$|^阳泉市|^市", "", text)


def _same(a: str | None, b: str | None) -> bool:
    a, b = _flat(a), _flat(b)
    if not a or not b:
        return False
    return a in b or b in a or canonical_unit(a) == canonical_unit(b)


def _pairs(text: str) -> set[str]:
    flat = squash(text)
    return {flat[i:i + 2] for i in range(len(flat) - 1)}


def _same_body(gold: str, fact: Fact) -> bool:
    pairs = _pairs(re.sub(r"^阳泉市|组成人员名单$|成员名单$", "", gold))
    name = squash(f"{fact.subject}{fact.parent or ''}")
    return bool(pairs) and sum(p in name for p in pairs) / len(pairs) >= 0.5


def role_of(gold: dict) -> str:
    return gold.get("role") or gold.get("action") or FIELDS.get(gold.get("field", ""), gold.get("field", ""))


def matches(gold: dict, fact: Fact, body: bool = True) -> bool:
    if fact.kind != gold["kind"] or fact.role != role_of(gold):
        return False
    if gold["kind"] == "group":
        if body and not _same_body(gold.get("body", ""), fact):
            return False
        if gold.get("person"):
            return squash(fact.person or "") == squash(gold["person"])
        return fact.person is None and _same(fact.post or fact.value, gold.get("post"))
    if gold["kind"] == "appointment":
        return squash(fact.person or "") == squash(gold["person"]) and _same(fact.post, gold.get("post"))
    if gold.get("field") == "stage":
        return _same(fact.value, gold.get("value"))
    return _same(fact.value, gold.get("value"))


def evaluate(gold: list[dict], facts: list[Fact], documents: dict, sources: dict[str, str]) -> dict:
    by_doc: dict[str, list[Fact]] = defaultdict(list)
    for f in facts:
        by_doc[f.doc_id].append(f)
    docs_by_number: dict[tuple[str, str], list[str]] = defaultdict(list)
    for d in documents.values():
        docs_by_number[(d.source, d.doc_number_norm or "")].append(d.doc_id)
    stats: dict[str, dict] = defaultdict(lambda: {"gold": 0, "found": 0, "found_any_body": 0, "on_lines": 0, "right": 0,
                                                 "missed": [], "wrong": []})
    lines: dict[tuple[str, int, int], list[dict]] = defaultdict(list)
    for g in gold:
        text = sources[g["source"]]
        g["_docs"] = docs_by_number.get((g["source"], normalize_doc_number(g["doc_number"]) or ""), [])
        spans = [(documents[d].start, documents[d].end) for d in g["_docs"]] or [(0, len(text))]
        at = next((i for a, b in spans if (i := text.find(g["evidence"], a, b)) >= 0), text.find(g["evidence"]))
        l0 = text.rfind("\n", 0, at) + 1
        l1 = text.find("\n", at)
        g["_line"] = (g["source"], l0, len(text) if l1 < 0 else l1)
        lines[g["_line"]].append(g)
    for g in gold:
        s = stats[g["kind"]]
        s["gold"] += 1
        _, l0, l1 = g["_line"]
        near = [f for d in g["_docs"] for f in by_doc[d] if f.start < l1 and f.end > l0]
        if any(matches(g, f) for f in near):
            s["found"] += 1
        else:
            s["missed"].append(f"{g['doc_number']} {role_of(g)} {g.get('body', '')} {g.get('person') or g.get('post') or g.get('value')} | {g['evidence'][:50]}")
        if any(matches(g, f, body=False) for f in near):
            s["found_any_body"] += 1
    for (source, l0, l1), golds in lines.items():
        docs = {d for g in golds for d in g["_docs"]}
        kinds = {g["kind"] for g in golds}
        for f in (f for d in docs for f in by_doc[d] if f.start < l1 and f.end > l0 and f.kind in kinds):
            if f.kind == "document" and f.role in ("文号", "成文日期"):
                continue  # not annotated
            if f.kind == "group" and f.role == "成员单位":
                continue  # not annotated
            if not any(role_of(g) == f.role and g["kind"] == f.kind for g in golds):
                continue  # the annotator did not annotate this post on this line: not judged
            s = stats[f.kind]
            s["on_lines"] += 1
            if any(matches(g, f) for g in golds):
                s["right"] += 1
            else:
                s["wrong"].append(f"{f.role} {f.subject[:20]} {f.value[:30]} | {sources[source][f.start:f.end][:50]!r}")
    return stats


def report(stats: dict) -> str:
    out = ["# Fact extraction: precision and recall", "",
           "Against eval/facts_gold.jsonl (records annotated by reading the source, independently of the extractor). "
           "Recall counts a gold record as found when an extracted record of the same document, kind and role has the "
           "same person (or post/unit/value) and, for groups, the same body; 'recall, any body' ignores the body. "
           "Precision is measured where the annotator looked: of the records extracted on an annotated line with a "
           "post/action/field annotated on that line, the share that match a gold record of the line.", "",
           "| kind | gold | recall | recall, any body | extracted on annotated lines | precision |",
           "|---|---:|---:|---:|---:|---:|"]
    total = defaultdict(int)
    for kind in ("group", "appointment", "document"):
        s = stats.get(kind)
        if not s:
            continue
        for k in ("gold", "found", "found_any_body", "on_lines", "right"):
            total[k] += s[k]
        out.append(f"| {kind} | {s['gold']} | {s['found'] / s['gold']:.3f} | {s['found_any_body'] / s['gold']:.3f} | "
                   f"{s['on_lines']} | {s['right'] / max(s['on_lines'], 1):.3f} |")
    out.append(f"| all | {total['gold']} | {total['found'] / total['gold']:.3f} | {total['found_any_body'] / total['gold']:.3f} | "
               f"{total['on_lines']} | {total['right'] / max(total['on_lines'], 1):.3f} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", type=Path, default=_REPO / "eval" / "facts_gold.jsonl")
    ap.add_argument("--out", type=Path, default=_REPO / "eval" / "results" / "facts.md")
    ap.add_argument("--show", action="store_true", help="list missed gold records and wrong extractions")
    args = ap.parse_args(argv)
    gold = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    data = load_index(load_settings())
    facts = extract_all(data.documents.values())
    stats = evaluate(gold, facts, data.documents, data.sources)
    text = report(stats)
    print(text)
    if args.show:
        for kind, s in stats.items():
            for line in s["missed"]:
                print(f"MISSED {kind}: {line}")
            for line in s["wrong"]:
                print(f"WRONG  {kind}: {line}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
