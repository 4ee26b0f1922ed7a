"""Load on a served gazette-qa, loopback only: N simulated users ask dev-set questions for a while,
half through the chat's Gradio queue (the `/ask` endpoint of the chat app, the same queue and worker
pool as the chat) and half through the REST API; optionally one LLM answer runs while an extractive
one is timed. Reports requests, errors, p50/p95 per path and the server's RSS after warm-up and at
the end.

    python bench/load_bench.py [--users 20] [--seconds 120] [--requests 0] [--llm]

`--requests N` runs until N requests are done (for the memory check: 20,000) instead of for a time.
Writes bench/results/load.md and load.json.
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
QA = str(Path(sys.executable).with_name("qa"))
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
    env = {**os.environ, "QA_API_KEY": "", "QA_ANSWER_MODE": "extractive", "QA_CLIENT_CONCURRENCY": "64"}
    proc = subprocess.Popen([QA, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--requests", type=int, default=0, help="stop after this many requests instead")
    parser.add_argument("--llm", action="store_true", help="also time an extractive answer during an LLM one")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in (ROOT / "eval" / "questions.jsonl").open(encoding="utf-8")]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(port)
    try:
        for q in questions[:20]:  # warm-up
            api_ask(base, q)
        rss_start = rss_mb(proc.pid)
        tally, stop = Tally(), threading.Event()
        threads = [threading.Thread(target=user, args=(n, base, questions, stop, tally, args.requests), daemon=True)
                   for n in range(args.users)]
        started = time.time()
        for t in threads:
            t.start()
        series, sampled = [(0, round(rss_start, 1))], time.time()  # (requests done, server RSS MB)
        while time.time() - started < (1e9 if args.requests else args.seconds) and not (
                args.requests and tally.count >= args.requests):
            time.sleep(0.5)
            if time.time() - sampled >= 5:
                series.append((tally.count, round(rss_mb(proc.pid), 1)))
                sampled = time.time()
        stop.set()
        for t in threads:
            t.join(120)
        elapsed = time.time() - started
        rss_end = rss_mb(proc.pid)
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
              "rss_mb_after_warmup": round(rss_start, 1), "rss_mb_end": round(rss_end, 1),
              "rss_growth": round(rss_end / rss_start - 1, 3), **probe}
    # the caches (query vectors, question analyses, Gradio's queue) fill over the first pass over the
    # questions under load: RSS once 10 % of the run's requests are done is a second baseline
    after = next(((n, mb) for n, mb in series if n >= tally.count // 10), None)
    if after and after[0]:
        report.update(rss_mb_after_tenth=after[1], requests_at_tenth=after[0],
                      rss_growth_after_tenth=round(rss_end / after[1] - 1, 3))
    report["rss_series"] = series
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    lines = [f"# Load: {args.users} users, {report['seconds']} s, {report['requests']} requests "
             f"({report['per_second']}/s), {report['date']}", "",
             "| path | requests | errors | p50 s | p95 s |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {p} | {r['requests']} | {r['errors']} | {r['p50_s']} | {r['p95_s']} |" for p, r in rows.items()]
    lines += ["", f"Server RSS: {report['rss_mb_after_warmup']} MB after warm-up, {report['rss_mb_end']} MB at the end "
              f"({report['rss_growth']:+.1%})."]
    if "rss_mb_after_tenth" in report:
        lines.append(f"From {report['requests_at_tenth']} requests (a tenth of the run) to the end: "
                     f"{report['rss_mb_after_tenth']} → {report['rss_mb_end']} MB ({report['rss_growth_after_tenth']:+.1%}); "
                     f"the series (requests, MB) is in load.json.")
    if probe:
        lines.append(f"Extractive answer while an LLM answer was being written: "
                     f"{probe['extractive_during_llm_seconds']} s (the LLM answer took {probe.get('llm_seconds')} s).")
    (RESULTS / "load.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
