"""Index build benchmark: full build, re-ingest of an unchanged corpus, and a one-file change.

    .venv/bin/python bench/ingest_bench.py [--out bench/results/ingest.md]

Builds into a temporary directory (never over index/). Each step runs `qa ingest` in a child
process so its peak memory (max RSS) is measured separately. The full build is the baseline
the incremental runs are compared with.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QA = [sys.executable, "-m", "qa.cli"]


def run_step(args: list[str], env: dict) -> tuple[float, float, str]:
    """Seconds, peak RSS (MiB) of the child, and its last stderr line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.run(QA + args, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(f"qa {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    last = [line for line in proc.stderr.replace("\r", "\n").splitlines() if line.strip()][-1]
    return seconds, max(peak, before) / 1024, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "gazettes")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ingest.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "gazettes"
        shutil.copytree(args.data, data)
        env = {**os.environ, "QA_INDEX_DIR": str(Path(tmp) / "index"), "QA_DATA_DIR": str(data)}
        rows = [("full build (baseline)", *run_step(["ingest"], env)),
                ("re-ingest, unchanged corpus", *run_step(["ingest"], env))]
        first = sorted(data.glob("*.txt"))[0]
        first.write_text(first.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        rows.append((f"re-ingest, one file changed ({first.name})", *run_step(["ingest"], env)))
    lines = [f"Ingest benchmark, {time.strftime('%Y-%m-%d')}, {platform.machine()} {os.cpu_count()} cores, "
             f"load avg {os.getloadavg()[0]:.2f}", "",
             "| step | seconds | peak RSS MiB (max so far) | summary |", "|---|---|---|---|"]
    lines += [f"| {name} | {s:.1f} | {rss:.0f} | {last} |" for name, s, rss, last in rows]
    report = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
