"""Load on a served gazette-qa, loopback only: N simulated users ask dev-set questions for a while,
half through the chat's Gradio queue (the `/ask` endpoint of the chat app, the same queue and worker
pool as the chat) and half through the REST API; optionally one LLM answer runs while an extractive
one is timed. Reports requests, errors, p50/p95 per path and the server's RSS (sampled every 5 s):
after warm-up (the first --warmup requests under load), at the end, its highest, and from the point
after 20 single requests before the load.

    python bench/load_bench.py [--users 20] [--seconds 120] [--requests 0] [--warmup 1000] [--llm]

`--requests N` runs until N requests are done (for the memory check: 20,000) instead of for a time.
The server is `python -m qa.cli serve` from this checkout. Writes bench/results/load.md and load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(port: int) -> subprocess.Popen:
    # all simulated users come from 127.0.0.1, which the per-client limit would count as one client
    # `python -m qa.cli` from this checkout (ROOT first on the path), not the `qa` script installed
    # next to the interpreter, which imports whichever checkout the venv was installed from
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "QA_API_KEY": "", "QA_ANSWER_MODE": "extractive", "QA_CLIENT_CONCURRENCY": "64",
           "PYTHONPATH": path}
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/documents", timeout=5):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"qa serve exited: {proc.stderr.read()[-2000:]}")
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("qa serve did not answer within 180 s")


def api_ask(base: str, question: str, mode: str = "extractive", timeout: float = 120) -> dict:
    body = json.dumps({"question": question, "mode": mode}).encode()
    request = urllib.request.Request(f"{base}/api/ask", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {"chat": [], "api": []}
        self.errors: dict[str, list[str]] = {"chat": [], "api": []}

    def add(self, path: str, seconds: float | None, error: str = "") -> None:
        with self.lock:
            (self.errors[path].append(error) if error else self.times[path].append(seconds))

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.times.values()) + sum(len(v) for v in self.errors.values())


def user(n: int, base: str, questions: list[str], stop: threading.Event, tally: Tally, limit: int) -> None:
    from gradio_client import Client

    rng = random.Random(n)
    chat = Client(base, verbose=False)
    while not stop.is_set() and not (limit and tally.count >= limit):
        question = rng.choice(questions)
        path = "chat" if rng.random() < 0.5 else "api"
        started = time.perf_counter()
        try:
            if path == "chat":
                chat.predict(question, "", "", "extractive", api_name="/ask")
            else:
                api_ask(base, question)
            tally.add(path, time.perf_counter() - started)
        except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
            tally.add(path, None, f"{type(exc).__name__}: {str(exc)[:120]}")


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else (values[0] if values else float("nan"))


def llm_probe(base: str, question: str) -> dict:
    """An extractive answer timed while an LLM answer is being written."""
    result: dict = {}

    def long_one():
        started = time.perf_counter()
        try:
            answer = api_ask(base, question, mode="llm", timeout=300)
            result["llm_mode"] = answer["mode"]
        except Exception as exc:  # noqa: BLE001
            result["llm_error"] = f"{type(exc).__name__}: {exc}"
        result["llm_seconds"] = round(time.perf_counter() - started, 2)

    thread = threading.Thread(target=long_one)
    thread.start()
    time.sleep(2.0)  # the LLM is loaded and writing
    started = time.perf_counter()
    api_ask(base, "阳政办发〔2022〕57号讲什么")
    result["extractive_during_llm_seconds"] = round(time.perf_counter() - started, 3)
    thread.join()
    return result


def memory_report(series: list[tuple[int, float]], rss_first: float, warmup: int) -> dict:
    """RSS growth after warm-up: the first `warmup` requests under full load. By then the bounded
    things have filled (Gradio's 64-event record, the 20 clients' sessions, the worker threads, the
    query-vector cache holding ~95 % of the 348 dev questions: ~20 unseen x 1.5 KB). Also from the
    20-request point (the old baseline) and the series' peak."""
    after = [(n, mb) for n, mb in series if n >= warmup]
    if not after:
        return {}
    (n0, base), end = after[0], after[-1][1]
    peak = max(mb for _, mb in after)
    return {"warmup_requests": warmup, "requests_at_warmup": n0, "rss_mb_after_warmup": base,
            "rss_mb_end": end, "rss_mb_max_after_warmup": peak, "rss_mb_min_after_warmup": min(mb for _, mb in after),
            "rss_growth": round(end / base - 1, 3), "rss_max_growth": round(peak / base - 1, 3),
            "rss_mb_at_20": round(rss_first, 1), "rss_growth_from_20": round(end / rss_first - 1, 3),
            "rss_max_growth_from_20": round(max(mb for _, mb in series) / rss_first - 1, 3)}


def memory_lines(report: dict) -> list[str]:
    if "rss_mb_after_warmup" not in report:
        return ["", f"Server RSS: {report['rss_mb_at_20']} MB after 20 requests (the run ended before warm-up)."]
    r = report
    return ["", f"Server RSS after warm-up (the first {r['warmup_requests']} requests under load; sampled at "
            f"{r['requests_at_warmup']}): {r['rss_mb_after_warmup']} MB; at the end {r['rss_mb_end']} MB "
            f"({r['rss_growth']:+.1%}); highest after warm-up {r['rss_mb_max_after_warmup']} MB ({r['rss_max_growth']:+.1%}), "
            f"lowest {r['rss_mb_min_after_warmup']} MB.",
            f"From the 20-request point ({r['rss_mb_at_20']} MB, before any load): {r['rss_growth_from_20']:+.1%} at the "
            f"end, {r['rss_max_growth_from_20']:+.1%} at the highest. The series (requests, MB; every 5 s) is in load.json."]


def run_load(base: str, proc: subprocess.Popen, args, questions: list[str]) -> tuple[Tally, float, list, float]:
    """The users' run with the server's RSS sampled every 5 s (and when warm-up ends): the tally,
    the seconds, the series [(requests done, MB)] and the RSS after the 20 serial requests."""
    for q in questions[:20]:  # the server's first answers (jieba, first embeddings), one at a time
        api_ask(base, q)
    rss_first = rss_mb(proc.pid)
    tally, stop = Tally(), threading.Event()
    threads = [threading.Thread(target=user, args=(n, base, questions, stop, tally, args.requests), daemon=True)
               for n in range(args.users)]
    started = time.time()
    for t in threads:
        t.start()
    series, sampled, warm = [(0, round(rss_first, 1))], time.time(), False
    while time.time() - started < (1e9 if args.requests else args.seconds) and not (
            args.requests and tally.count >= args.requests):
        time.sleep(0.5)
        if time.time() - sampled >= 5 or (not warm and tally.count >= args.warmup):
            warm = warm or tally.count >= args.warmup
            series.append((tally.count, round(rss_mb(proc.pid), 1)))
            sampled = time.time()
    stop.set()
    for t in threads:
        t.join(120)
    elapsed = time.time() - started
    series.append((tally.count, round(rss_mb(proc.pid), 1)))
    return tally, elapsed, series, rss_first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--requests", type=int, default=0, help="stop after this many requests instead")
    parser.add_argument("--warmup", type=int, default=1000, help="requests under load before the RSS baseline")
    parser.add_argument("--llm", action="store_true", help="also time an extractive answer during an LLM one")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in (ROOT / "eval" / "questions.jsonl").open(encoding="utf-8")]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()
    proc = start_server(port)
    try:
        tally, elapsed, series, rss_first = run_load(base, proc, args, questions)
        probe = llm_probe(base, "自建房安全专项整治领导小组组长是谁") if args.llm else {}
    finally:
        proc.terminate()
        proc.wait(20)
    rows = {path: {"requests": len(tally.times[path]) + len(tally.errors[path]), "errors": len(tally.errors[path]),
                   "p50_s": round(statistics.median(tally.times[path]), 3) if tally.times[path] else None,
                   "p95_s": round(pct(tally.times[path], 95), 3) if tally.times[path] else None,
                   "first_errors": tally.errors[path][:3]} for path in ("chat", "api")}
    report = {"date": datetime.now().isoformat(timespec="seconds"), "users": args.users, "seconds": round(elapsed, 1),
              "requests": tally.count, "per_second": round(tally.count / elapsed, 1), "paths": rows,
              "load_avg_before": [round(v, 2) for v in load_before],
              "load_avg_end": [round(v, 2) for v in os.getloadavg()],
              "malloc_arena_max": os.environ.get("MALLOC_ARENA_MAX", ""),
              "rss_mb_at_20": round(rss_first, 1), **memory_report(series, rss_first, args.warmup), **probe}
    report["rss_series"] = series
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    lines = [f"# Load: {args.users} users, {report['seconds']} s, {report['requests']} requests "
             f"({report['per_second']}/s), {report['date']}", "",
             "| path | requests | errors | p50 s | p95 s |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {p} | {r['requests']} | {r['errors']} | {r['p50_s']} | {r['p95_s']} |" for p, r in rows.items()]
    lines += memory_lines(report)
    lines.append(f"Load average (1/5/15 min) before the server started: {report['load_avg_before']}, at the end: "
                 f"{report['load_avg_end']}; MALLOC_ARENA_MAX={report['malloc_arena_max'] or 'unset'}.")
    if probe:
        lines.append(f"Extractive answer while an LLM answer was being written: "
                     f"{probe['extractive_during_llm_seconds']} s (the LLM answer took {probe.get('llm_seconds')} s).")
    (RESULTS / "load.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
