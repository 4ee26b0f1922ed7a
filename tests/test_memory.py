"""What keeps the server's memory bounded (qa/memory.py): Gradio's per-session state and per-event
record, the query-vector caches, the per-client request counts, the heap trimmer."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from qa.chat import Backend
from qa.config import load_settings
from qa.embed import cached_query
from qa.errors import InputError
from qa.memory import EVENT_RECORD, HeapTrimmer, bound_queue_record
from qa.server import Limiter
from qa.ui import build_app, build_blocks


def test_gradio_keeps_state_for_at_most_ui_sessions_browser_sessions(assistant, settings):
    from gradio.state_holder import StateHolder

    blocks = build_blocks(Backend(assistant), replace(settings, ui_sessions=3))
    holder = StateHolder()
    holder.set_blocks(blocks)
    for n in range(10):
        holder[f"session-{n}"]
    assert list(holder.session_data) == ["session-7", "session-8", "session-9"]


def test_the_queue_keeps_a_short_event_record_and_never_builds_its_summary(assistant, settings, monkeypatch):
    queue = build_blocks(Backend(assistant), settings)._queue
    # Gradio's own names: if an upgrade renames them, the bound silently stops working, so fail here
    assert queue.ANALYTICS_MAX_EVENTS == EVENT_RECORD
    assert hasattr(queue, "ANAYLTICS_CACHE_FREQUENCY") and hasattr(queue, "event_analytics")
    monkeypatch.setattr(queue, "_get_df", lambda records: pytest.fail("the pandas summary was rebuilt"))
    records = [{"time": 0.0, "status": "success", "process_time": 0.1, "function": "ask", "session_hash": "s"}] * 500
    for _ in range(3):
        queue.events_recorded += 1
        assert queue.compute_analytics_summary(records) == {"functions": {}}


def test_bounding_the_record_of_a_fresh_gradio_queue():
    from gradio.queueing import Queue

    import gradio as gr

    with gr.Blocks() as blocks:
        gr.Textbox()
    queue = Queue(live_updates=False, concurrency_count=1, update_intervals=1, max_size=None, blocks=blocks)
    bound_queue_record(queue)
    assert queue.ANALYTICS_MAX_EVENTS == EVENT_RECORD


def test_gradios_monitoring_and_run_history_are_off(assistant, settings):
    from fastapi.testclient import TestClient

    client = TestClient(build_app(assistant, settings))
    assert client.get("/monitoring/summary").status_code == 403  # Gradio's default served it to anyone
    assert client.get("/gradio_api/runs").status_code == 404  # and offered to copy runs to the Hub


class _Counting:
    dim = 4

    def __init__(self):
        self.calls = 0

    def embed_queries(self, texts):
        self.calls += 1
        return np.ones((len(texts), self.dim), dtype=np.float32)


def test_the_query_vector_cache_never_exceeds_its_size():
    cache, embedder = {}, _Counting()
    for n in range(50):
        cached_query(cache, embedder, f"question {n}", 8)
        assert len(cache) <= 8
    assert list(cache) == [f"question {n}" for n in range(42, 50)]  # the oldest go first
    cached_query(cache, embedder, "question 49", 8)
    assert embedder.calls == 50  # a cached question is not embedded again


def test_per_client_counts_are_dropped_when_their_requests_end():
    limiter = Limiter(2)
    for n in range(1000):
        limiter.acquire(f"10.0.{n // 256}.{n % 256}")
        limiter.release(f"10.0.{n // 256}.{n % 256}")
    assert limiter.running == {}


def test_the_heap_trimmer_trims_or_is_a_no_op():
    assert HeapTrimmer(0).trim_now() is False  # off
    trimmer = HeapTrimmer(30)
    assert trimmer.trim_now() is trimmer.active  # glibc here; elsewhere nothing to call


@pytest.mark.parametrize("name, value", [("QA_UI_SESSIONS", "0"), ("QA_TRIM_SECONDS", "-1")])
def test_memory_settings_out_of_range_name_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(InputError, match=name):
        load_settings()
