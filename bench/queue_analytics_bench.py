"""Gradio's queue analytics alone, as under bench/load_bench.py's chat half, for the memory check
(bench/results/load-memory-series.md): per event a record as `Queue.push` keeps it and, with
`rebuild`, the monitoring summary rebuilt by Gradio's own `compute_analytics_summary` in a pool
thread as the queue does. Prints the RSS every 2,000 events; `qa serve` keeps 64 events, no rebuild.

    MALLOC_ARENA_MAX=2 python bench/queue_analytics_bench.py rebuild|norebuild [--keep 10000] [--events 10000]
"""

from __future__ import annotations

import argparse
import sys
import time
import types
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("rebuild", "norebuild"))
    parser.add_argument("--keep", type=int, default=10_000, help="events kept (Gradio's default 10,000)")
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    import pandas  # noqa: F401 - gradio imports it at start
    from gradio.queueing import Queue

    queue = types.SimpleNamespace(events_recorded=0, event_count_at_last_cache=0, events_recorded_per_fn={},
                                  ANAYLTICS_CACHE_FREQUENCY=1 if args.mode == "rebuild" else sys.maxsize,
                                  cached_event_analytics_summary={"functions": {}}, _get_df=Queue._get_df,
                                  event_analytics={})
    pool, started, out = ThreadPoolExecutor(40), time.time(), [f"start {rss_mb():.1f} MB"]
    for n in range(1, args.events + 1):
        queue.event_analytics[uuid.uuid4().hex] = {"time": time.time(), "status": "success", "process_time": 0.5,
                                                   "function": "ask", "session_hash": uuid.uuid4().hex[:11]}
        while len(queue.event_analytics) > args.keep:
            queue.event_analytics.pop(next(iter(queue.event_analytics)))
        queue.events_recorded += 1
        pool.submit(Queue.compute_analytics_summary, queue, list(queue.event_analytics.values())).result()
        if n % 2000 == 0:
            out.append(f"{n}: {rss_mb():.1f}")
    print(args.mode, f"keep {args.keep}:", ", ".join(out), f"({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
