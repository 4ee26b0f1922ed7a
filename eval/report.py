"""Render an evaluation report (from eval.run.run) as Markdown, and write latest.md / latest.json."""

from __future__ import annotations

import json
from pathlib import Path

COLUMNS = (("hit@1", "hit@1"), ("hit@3", "hit@3"), ("hit@5", "hit@5"), ("hit@10", "hit@10"),
           ("mrr@10", "MRR@10"), ("doc_hit@5", "doc-hit@5"), ("answer_accuracy", "answer acc"), ("short_answer_acc", "short acc"),
           ("citation_precision", "cite prec"), ("refusal_accuracy", "refusal acc"),
           ("false_refusal_rate", "false refusal"), ("language_match", "same lang"), ("short_english", "short en"),
           ("llm_fallback_rate", "LLM fallback"), ("median_ttft_ms", "TTFT ms"), ("median_ms", "median ms"),
           ("p95_ms", "p95 ms"))
ANSWER_CHARS = 150


def _cell(key: str, value: float | None) -> str:
    if value is None:
        return "–"
    if key.endswith("_ms"):
        return f"{value:.0f}" if value >= 10 else f"{value:.1f}"
    return f"{value:.3f}"


def table(rows: dict[str, dict], first: str) -> list[str]:
    """A Markdown table: one row per name, the metric columns, and the question count."""
    lines = [f"| {first} | n | " + " | ".join(label for _, label in COLUMNS) + " |",
             "|---|---:|" + "---:|" * len(COLUMNS)]
    for name, metrics in rows.items():
        cells = " | ".join(_cell(key, metrics.get(key)) for key, _ in COLUMNS)
        lines.append(f"| {name} | {metrics['n']} | {cells} |")
    return lines


def _escape(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def failures(records: list[dict]) -> list[str]:
    """Answerable questions answered wrongly or refused, and unanswerable ones answered."""
    lines = []
    for r in records:
        wrong = not r["correct"] if r["answerable"] else not r["refused"]
        if not wrong:
            continue
        answer = _escape(r["error"] and f"ERROR: {r['error']}" or r["answer"])
        if len(answer) > ANSWER_CHARS:
            answer = answer[:ANSWER_CHARS] + "…"
        expected = " + ".join(r["must_include"]) if r["answerable"] else "(refusal)"
        rank = f"evidence rank {r['rank']}" if r["rank"] else ("no evidence in top 10" if r["answerable"] else "")
        lines.append(f"- **{r['id']}** ({r['type']}, {r['lang']}{', ' + rank if rank else ''}"
                     f"{', refused' if r['refused'] and r['answerable'] else ''}) {_escape(r['question'])}\n"
                     f"  - expected: {_escape(expected)}\n  - ours: {answer}")
    return lines


def _load(meta: dict) -> str:
    start, end = meta.get("load_average") or (None, None)
    return "?" if start is None else f"{start:.1f} at start, {end:.1f} at end"


def render(report: dict) -> str:
    meta = report["meta"]
    default = meta["default_config"]
    filters = {k: v for k, v in meta["filters"].items() if v}
    out = ["# gazette-qa evaluation", "",
           f"{meta['date']} · {meta['machine']}, {meta['cpus']} CPUs (load {_load(meta)}) · embedder {meta['embedder']} · "
           f"{meta['n_questions']} questions · mode {meta['mode']}"
           f"{' · filters ' + json.dumps(filters, ensure_ascii=False) if filters else ''} · "
           f"code {meta.get('code') or '?'} · {meta['seconds']:.0f} s"
           f"{' · peak RSS ' + str(meta['peak_rss_mb']) + ' MB' if meta.get('peak_rss_mb') else ''}", ""]
    errors = {name: s["overall"]["n_errors"] for name, s in report["configs"].items() if s["overall"]["n_errors"]}
    if errors:
        out += [f"**Errors** (questions that raised; counted as wrong): {errors}", ""]
    out += ["## Configurations", ""]
    out += table({name: s["overall"] for name, s in report["configs"].items()}, "config")
    out += ["", "Retrieval (hit@k = the evidence line is inside one of the top-k chunks of `search(k=10)`; "
            "MRR@10) and answer accuracy over answerable questions; doc-hit@5 over questions with a 文号; "
            "refusal accuracy over unanswerable ones; latency = wall time of `ask()`.", ""]
    summary = report["configs"][default]
    out += [f"## By language ({default})", ""] + table(summary["by_lang"], "lang") + [""]
    out += [f"## By type ({default})", ""] + table(summary["by_type"], "type") + [""]
    wrong = failures(report["records"][default])
    out += [f"## Failures ({default}): {len(wrong)}", ""] + (wrong or ["none"]) + [""]
    return "\n".join(out)


def write_report(report: dict, out_dir: Path) -> tuple[Path, Path]:
    """Write latest.md and latest.json atomically (via *.tmp files)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path, json_path = out_dir / "latest.md", out_dir / "latest.json"
    for path, text in ((md_path, render(report)),
                       (json_path, json.dumps(report, ensure_ascii=False, indent=1))):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return md_path, json_path
