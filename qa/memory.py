"""What keeps `qa serve`'s memory flat under load (bench/load_bench.py, bench/results/load-memory-series.md).

- Gradio's queue records every chat event for its /monitoring page (up to 10,000 of them) and, after
  each event, rebuilds a pandas summary of the whole record in a worker thread: the record grew for
  the first 10,000 chat answers and the rebuilds left freed memory the allocators kept (RSS +34 % over
  20,000 requests). `queue_bounded` keeps the record at EVENT_RECORD events and never rebuilds the
  summary (the page itself is turned off in qa/ui.py).
- Gradio keeps one session state per browser session (a copy of the page's config, ~50 KB) until
  `state_session_capacity` sessions exist (default 10,000, ~0.5 GB): `queue_bounded` lowers that to
  QA_UI_SESSIONS.
- Freed C-heap pages glibc keeps: `HeapTrimmer` hands them back every QA_TRIM_SECONDS (14 MB lower and
  as flat in the A/B runs of load-memory-series.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading

EVENT_RECORD = 64  # chat events Gradio's queue remembers for its (disabled) monitoring page


def queue_bounded(blocks, concurrency: int, sessions: int) -> None:
    """`blocks.queue(default_concurrency_limit=concurrency)`, keeping at most `sessions` browser
    sessions' state (read when the app is created) and a short event record."""
    blocks.state_session_capacity = sessions
    blocks.queue(default_concurrency_limit=concurrency)
    bound_queue_record(blocks._queue)


def bound_queue_record(queue) -> None:
    """Gradio's queue (gradio.queueing.Queue): keep the last EVENT_RECORD events, never rebuild the
    summary (Gradio's attribute names, misspelling included; tests/test_memory.py checks they exist)."""
    queue.ANALYTICS_MAX_EVENTS = EVENT_RECORD
    queue.ANAYLTICS_CACHE_FREQUENCY = sys.maxsize


def _malloc_trim():
    """glibc's malloc_trim, or None on another C library."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


class HeapTrimmer:
    """Every `seconds`, return the C heap's free pages to the system (glibc malloc_trim(0), a few ms,
    in a daemon thread). A no-op without glibc or with `seconds` = 0."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._trim = _malloc_trim() if seconds > 0 else None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def active(self) -> bool:
        return self._trim is not None

    def trim_now(self) -> bool:
        """Trim once; False when there is nothing to call."""
        if self._trim is None:
            return False
        self._trim(0)
        return True

    def start(self) -> None:
        if self._trim is not None and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="qa-heap-trim", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            self.trim_now()
