"""Warm per-question latency of retrieval and of the whole extractive `ask`, on the dev set.

    .venv/bin/python bench/ask_bench.py [--repeat 1] [--out bench/results/ask.md]

Baselines in the same run: chunk dense + BM25 (the default before sentence-level and record
search), BM25-only and dense-only retrieval (same index, same questions), and the reader without
its sentence vectors (the reader's share of the cost). Needs the real index
(`qa ingest`). Reports medians and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.api import Assistant  # noqa: E402
from qa.config import load_settings  # noqa: E402
from qa.embed import load_embedder  # noqa: E402
from qa.retrieve import SEARCHERS, Retriever  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def time_calls(fn, questions: list[str], repeat: int, before=None) -> list[float]:
    """Wall time per call in ms; `before` runs untimed ahead of each call (e.g. clearing a cache)."""
    times = []
    for _ in range(repeat):
        for q in questions:
            if before:
                before()
            t = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - t) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ask.md")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    settings = load_settings()
    embedder = load_embedder(settings)
    t = time.perf_counter()
    hybrid = Assistant.load(settings, embedder=embedder)
    load_ms = (time.perf_counter() - t) * 1000
    rows = []
    no_units = replace(hybrid.data, units=None)
    for name, data, kinds in [("hybrid", hybrid.data, SEARCHERS),
                              ("dense + bm25 (the default before sentence and record search)", hybrid.data,
                               ("dense", "bm25")),
                              ("hybrid, reader without sentence vectors", no_units, SEARCHERS),
                              ("bm25-only", hybrid.data, ("bm25",)), ("dense-only", hybrid.data, ("dense",))]:
        retriever = Retriever.from_settings(data, embedder, settings, kinds)
        assistant = hybrid if name == "hybrid" else Assistant(settings, data, embedder, retriever=retriever)
        assistant.ask(questions[0])  # warm-up: jieba dictionary, first embedding
        cold = assistant.retriever.clear_cache  # every call embeds its question, as a new question would
        search = time_calls(assistant.search, questions, args.repeat, before=cold)
        ask = time_calls(assistant.ask, questions, args.repeat, before=cold)
        embed = time_calls(lambda q: embedder.embed_queries([q]), questions, 1) if name == "hybrid" else []
        rows.append((name, search, ask, embed))
    lines = [f"Ask latency, {time.strftime('%Y-%m-%d')}, {platform.machine()} {os.cpu_count()} cores, "
             f"{len(questions)} questions x {args.repeat}, embedder {embedder.name}, index load {load_ms:.0f} ms, "
             f"load avg {os.getloadavg()[0]:.2f}", "",
             "| config | retrieval median ms | retrieval p95 ms | ask median ms | ask p95 ms | query embedding median ms |",
             "|---|---|---|---|---|---|"]
    for name, search, ask, embed in rows:
        fmt = (lambda v: f"{statistics.median(v):.1f}") 
        lines.append(f"| {name} | {fmt(search)} | {percentile(search, 0.95):.1f} | "
                     f"{fmt(ask) if ask else '-'} | {f'{percentile(ask, 0.95):.1f}' if ask else '-'} | "
                     f"{fmt(embed) if embed else '-'} |")
    report = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
