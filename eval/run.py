"""Offline evaluation: every configuration answers the same dev-set questions; metrics per config.

    python -m eval.run [--config NAME ...] [--limit N] [--type T] [--lang zh|en]
                       [--questions PATH] [--out DIR] [--mode extractive]

Writes `<out>/latest.md` (tables) and `<out>/latest.json` (everything, with per-question records).
Progress and logs go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import re
import resource
import sys
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from qa.api import Assistant
from qa.retrieve import SEARCHERS as RETRIEVER_SEARCHERS, Retriever
from qa.config import ROOT, Settings, load_settings
from qa.embed import Embedder, load_embedder
from qa.errors import QAError
from qa.index import IndexData, open_index
from qa.text import normalize_doc_number
from qa.types import Answer, Draft, Final

from .dataset import DEFAULT_QUESTIONS, TYPES, Question, load_questions
from .metrics import (Record, answer_correct, citation_precision, evidence_rank, in_language, norm, short_answer_correct,
                      short_in_english, summarize)
from .report import write_report

CONFIGS = ("hybrid", "bm25-only", "dense-only", "textbook")
DEFAULT_CONFIG = "hybrid"
MODES = ("extractive", "llm")  # llm: each configuration is also evaluated with LLM answers ("<name>+llm")
DEFAULT_OUT = ROOT / "eval" / "results"
DEFAULT_CACHE = ROOT / "eval" / ".cache"
SEARCH_DEPTH = 10
log = logging.getLogger("eval")


SEARCHERS = {"hybrid": RETRIEVER_SEARCHERS, "bm25-only": ("bm25",), "dense-only": ("dense",),
             "textbook": ("dense",)}


def check_configs(configs: Sequence[str]) -> list[str]:
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        raise QAError(f"unknown configuration(s) {unknown}; valid: {list(CONFIGS)}")
    return list(dict.fromkeys(configs))


def select(questions: Sequence[Question], limit: int | None = None, types: Collection[str] | None = None,
           langs: Collection[str] | None = None) -> list[Question]:
    chosen = [q for q in questions if (not types or q.type in types) and (not langs or q.lang in langs)]
    return chosen[:limit] if limit is not None else chosen


def asker(mode: str) -> Callable[[Assistant, str], tuple[Answer, float | None]]:
    """How a configuration answers: (answer, ms to the first LLM text piece or None)."""
    if mode not in MODES:
        raise QAError(f"unknown mode {mode!r}; valid: {list(MODES)}")

    def ask(assistant: Assistant, question: str) -> tuple[Answer, float | None]:
        started, first, answer = time.perf_counter(), None, None
        for event in assistant.ask_stream(question, mode=mode):
            if isinstance(event, Draft):
                first = first if first is not None else (time.perf_counter() - started) * 1000
            elif isinstance(event, Final):
                answer = event.answer
        return answer, first
    return ask


def own_words(answer: Answer) -> str:
    """The answer's own words: the text before the quoted evidence (the quotes stay in Chinese),
    without the bracketed Chinese originals an English rendering carries ("500,000 yuan (50万元)")."""
    lead = answer.answer.split("\n\n", 1)[0]
    lead = lead if not lead.startswith(("From the gazettes", "公报原文")) else answer.answer
    return re.sub(r"[（(][^()（）]*[\u4e00-\u9fff][^()（）]*[)）]", " ", lead)


def evaluate(assistant: Assistant, question: Question, ask: Callable[[Assistant, str], Answer]) -> Record:
    """Search (retrieval metrics) and ask (answer metrics, latency) one question."""
    expected_doc = normalize_doc_number(question.doc_number) if question.doc_number else None
    base = dict(id=question.id, lang=question.lang, type=question.type, answerable=question.answerable,
                question=question.question, must_include=question.must_include)
    try:
        hits = assistant.search(question.question, k=SEARCH_DEPTH)
        assistant.retriever.clear_cache()  # latency includes embedding the question, as for a new one
        started = time.perf_counter()
        answer, ttft = ask(assistant, question.question)
        ms = (time.perf_counter() - started) * 1000
    except Exception as exc:  # noqa: BLE001 - one broken question must not end a long run
        if isinstance(exc, QAError):
            log.warning("%s: %s", question.id, exc)
        else:
            log.exception("%s: %s", question.id, type(exc).__name__)
        return Record(**base, rank=None, doc_hit5=False if expected_doc else None, refused=False,
                      correct=False if question.answerable else None, citation_precision=None,
                      ms=0.0, error=f"{type(exc).__name__}: {exc}")
    doc_hit5 = None
    if expected_doc:
        numbers = {assistant.data.documents[h.chunk.doc_id].doc_number_norm for h in hits[:5]}
        doc_hit5 = norm(expected_doc) in {norm(n) for n in numbers if n}
    precision = None
    if question.answerable and not answer.refused:
        precision = citation_precision(answer.citations, question.must_include, question.evidence)
    return Record(
        **base, rank=evidence_rank([h.chunk.text for h in hits], question.evidence, SEARCH_DEPTH),
        doc_hit5=doc_hit5, refused=answer.refused,
        correct=(not answer.refused and answer_correct(answer.answer, question.must_include))
        if question.answerable else None,
        short_correct=(not answer.refused and short_answer_correct(answer.short_answer or "", question.must_include,
                                                                   question.question))
        if question.answerable else None, short_present=bool(answer.short_answer),
        citation_precision=precision, ms=ms, retrieve_ms=answer.timings_ms.get("retrieve", 0.0),
        answer=answer.answer, mode=answer.mode, fallback=bool(answer.fallback), ttft_ms=ttft,
        language_ok=None if answer.refused else in_language(own_words(answer), question.lang == "en"),
        short_english=short_in_english(answer.short_answer) if question.lang == "en" and not answer.refused else None,
        top_chunks=tuple(h.chunk.chunk_id for h in hits))


def build_assistant(name: str, settings: Settings, embedder: Embedder, shared: dict[str, IndexData],
                    cache_dir: Path | None, progress: bool) -> Assistant:
    """An Assistant for one configuration; the real index is loaded once and shared."""
    if name == "textbook":
        from .textbook import build_textbook

        data = build_textbook(settings, embedder, cache_dir=cache_dir, progress=progress)
    else:
        if "index" not in shared:
            shared["index"] = open_index(settings)
        data = shared["index"]
    retriever = Retriever.from_settings(data, embedder, settings, SEARCHERS[name])
    return Assistant(settings, data, embedder, retriever=retriever)


def run(configs: Sequence[str], questions: Sequence[Question], settings: Settings,
        limit: int | None = None, types: Collection[str] | None = None,
        langs: Collection[str] | None = None, *, embedder: Embedder | None = None,
        mode: str = "extractive", cache_dir: Path | None = DEFAULT_CACHE, progress: bool = True) -> dict:
    """Evaluate each configuration on the same questions. Returns a JSON-ready report:
    {"meta": {...}, "configs": {name: {"overall", "by_lang", "by_type"}}, "records": {name: [...]}}."""
    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    configs = check_configs(configs)
    runs = [(name, "extractive") for name in configs]
    if mode == "llm":  # LLM answers next to the extractive ones, in the same run
        runs += [(name, "llm") for name in configs if name != "textbook"]
    chosen = select(questions, limit, types, langs)
    if not chosen:
        raise QAError(f"no question left after the filters (types={types}, langs={langs}, limit={limit}).")
    embedder = embedder or load_embedder(settings)
    shared: dict[str, IndexData] = {}
    summaries: dict[str, dict] = {}
    records: dict[str, list[Record]] = {}
    seconds: dict[str, float] = {}
    for base_name, run_mode in runs:
        name = base_name if run_mode == "extractive" else f"{base_name}+llm"
        t0 = time.perf_counter()
        log.info("config %s: preparing", name)
        assistant = build_assistant(base_name, settings, embedder, shared, cache_dir, progress)
        ask = asker(run_mode)
        rows = []
        for question in _progress(chosen, name, progress):
            rows.append(evaluate(assistant, question, ask))
        records[name] = rows
        summaries[name] = summarize(rows)
        seconds[name] = time.perf_counter() - t0
        overall = summaries[name]["overall"]
        log.info("config %s: hit@5=%s accuracy=%s (%.0f s)", name, _fmt(overall["hit@5"]),
                 _fmt(overall["answer_accuracy"]), seconds[name])
    meta = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
        "load_average": [round(load_at_start, 2), round(os.getloadavg()[0], 2)],
        "embedder": embedder.name, "mode": mode, "n_questions": len(chosen),
        "configs": list(records), "default_config": DEFAULT_CONFIG if DEFAULT_CONFIG in configs else configs[0],
        "filters": {"limit": limit, "types": sorted(types or []), "langs": sorted(langs or [])},
        "index": {k: shared["index"].manifest.get(k) for k in ("n_documents", "n_chunks", "built_at")}
        if "index" in shared else None,
        "code": code_version(),
        "seconds_per_config": {k: round(v, 1) for k, v in seconds.items()},
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    return {"meta": meta, "configs": summaries,
            "records": {name: [asdict(r) for r in rows] for name, rows in records.items()}}


def code_version() -> str | None:
    """The git commit of the repository, with "+dirty" when qa/ or eval/ has uncommitted changes."""
    import subprocess

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "qa", "eval"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


def _progress(items: list[Question], name: str, enabled: bool):
    if not enabled:
        return items
    from tqdm import tqdm  # stderr

    return tqdm(items, desc=name, unit="q")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="qa eval", description="Offline evaluation of gazette-qa on the dev set.")
    ap.add_argument("--config", action="append", choices=CONFIGS,
                    help="configuration to evaluate (repeatable; default: all)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N questions (after filters)")
    ap.add_argument("--type", action="append", dest="types", choices=sorted(TYPES), help="only this question type (repeatable)")
    ap.add_argument("--lang", action="append", dest="langs", choices=("zh", "en"),
                    help="only this language (repeatable)")
    ap.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="dev set (JSONL)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory for latest.md / latest.json")
    ap.add_argument("--mode", choices=MODES, default="extractive", help="how answers are produced")
    args = ap.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        ap.error(f"--limit must be at least 1, got {args.limit}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)  # our progress; libraries (faiss' loader) stay at WARNING
    try:
        questions = load_questions(args.questions)
    except (OSError, ValueError) as exc:
        print(f"error: cannot read the questions: {exc}", file=sys.stderr)
        return 1
    try:
        settings = load_settings()
        report = run(args.config or CONFIGS, questions, settings, limit=args.limit, types=args.types,
                     langs=args.langs, mode=args.mode)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    md_path, json_path = write_report(report, args.out)
    print(md_path.read_text(encoding="utf-8"))
    print(f"wrote {md_path} and {json_path} in {report['meta']['seconds']:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
