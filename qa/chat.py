"""The chat without its widgets: conversations kept in the browser as JSON (each turn a question and
the answer's `qa ask --json` object), and one chat turn as a stream of screens. qa/ui.py wires these
to Gradio; they are tested here without a browser."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .api import Assistant, follow_up_context
from .contract import answer_from_dict, answer_to_dict
from .errors import BusyError, QAError
from .render import Turn, answer_markdown, answer_plain, error_markdown, md_text, turn_markdown
from .retrieve import Filters
from .text import is_english
from .types import Draft, Final, Preview

MAX_CONVERSATIONS = 50
TITLE_CHARS = 24


def stage(name: str, english: bool) -> str:
    """What the chat says while it works."""
    zh, en = {"search": ("检索中…", "Searching…"),
              "write": ("生成中…（每句核对后显示，下面是原文摘录的回答）", "Writing… (each sentence shown once checked; the quoted answer is below)"),
              "stopped": ("已停止。", "Stopped.")}[name]
    return en if english else zh


class Backend:
    """The Assistant, loaded lazily: a missing index is not fatal, loading is retried on the next request.
    With `watch` (a manifest.json path), a newly committed index (`qa ingest` while serving) is loaded
    on the next request and swapped in at once; requests already running finish on the old one."""

    def __init__(self, source: Assistant | Callable[[], Assistant], watch: Path | None = None) -> None:
        self._assistant = source if isinstance(source, Assistant) else None
        self._factory = None if isinstance(source, Assistant) else source
        self._watch, self._seen = watch, None
        self._lock = threading.Lock()

    def _stamp(self):
        try:
            stat = self._watch.stat()
            return stat.st_mtime_ns, stat.st_size, stat.st_ino
        except OSError:
            return None

    def get(self) -> Assistant:
        stamp = self._stamp() if self._watch is not None and self._factory is not None else None
        if self._assistant is None or stamp != self._seen:
            with self._lock:
                if self._assistant is None or stamp != self._seen:
                    fresh = self._factory()
                    self._assistant, self._seen = fresh, stamp  # one assignment: requests see old or new
        return self._assistant

    def try_get(self) -> tuple[Assistant | None, QAError | None]:
        try:
            return self.get(), None
        except QAError as exc:
            return None, exc


# --- Conversations (the browser's JSON) -------------------------------------------------------------

def empty_store() -> dict:
    return {"version": 1, "current": "", "conversations": []}


def valid(store: object) -> dict:
    """The store as saved, or an empty one when it is missing or not ours (never an exception)."""
    if not isinstance(store, dict) or not isinstance(store.get("conversations"), list):
        return empty_store()
    return store


def current(store: object) -> dict | None:
    store = valid(store)
    return next((c for c in store["conversations"] if c.get("id") == store["current"]), None)


def new_conversation(store: object) -> dict:
    store = valid(store)
    conv = {"id": uuid.uuid4().hex[:12], "title": "", "turns": [], "updated": time.time()}
    kept = [c for c in store["conversations"] if c.get("turns")][: MAX_CONVERSATIONS - 1]
    return {**store, "current": conv["id"], "conversations": [conv, *kept]}


def select(store: object, conv_id: str) -> dict:
    store = valid(store)
    if any(c.get("id") == conv_id for c in store["conversations"]):
        return {**store, "current": conv_id}
    return store


def delete(store: object, conv_id: str) -> dict:
    store = valid(store)
    rest = [c for c in store["conversations"] if c.get("id") != conv_id]
    return {**store, "conversations": rest,
            "current": store["current"] if store["current"] != conv_id else (rest[0]["id"] if rest else "")}


def add_turn(store: object, record: dict) -> dict:
    """The store with `record` appended to the current conversation (a new one when there is none)."""
    store = valid(store)
    if current(store) is None:
        store = new_conversation(store)
    conversations = []
    for conv in store["conversations"]:
        if conv["id"] == store["current"]:
            conv = {**conv, "turns": [*conv["turns"], record], "updated": time.time(),
                    "title": conv["title"] or record["q"][:TITLE_CHARS]}
        conversations.append(conv)
    conversations.sort(key=lambda c: -c.get("updated", 0))
    return {**store, "conversations": conversations}


def choices(store: object) -> list[tuple[str, str]]:
    """(label, id) of the saved conversations, newest first."""
    return [(c["title"] or "新对话 / New chat", c["id"]) for c in valid(store)["conversations"]]


def turns_of(conv: dict | None) -> list[Turn]:
    out = []
    for t in (conv or {}).get("turns", []):
        try:
            out.append(Turn(t["q"], answer_from_dict(t["a"]) if t.get("a") else None, t.get("error", "")))
        except (KeyError, TypeError):
            continue  # a record from an older or damaged store: skipped, the rest is shown
    return out


def record(turn: Turn, base: str = "") -> dict:
    """A turn as saved: the answer's JSON, and its plain text and Markdown for copy and export."""
    return {"q": turn.question, "a": answer_to_dict(turn.answer) if turn.answer else None, "error": turn.error,
            "plain": answer_plain(turn.answer, base) if turn.answer else turn.error,
            "md": turn_markdown(turn, base)}


def message(turn: Turn, base: str = "") -> list[dict]:
    content = answer_markdown(turn.answer, base) if turn.answer else turn.error
    return [{"role": "user", "content": md_text(turn.question)}, {"role": "assistant", "content": content}]


def messages(turns: Sequence[Turn], base: str = "") -> list[dict]:
    return [m for t in turns for m in message(t, base)]


# --- One chat turn ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Screen:
    """What the chat shows during a turn; `done` with the saved `record` at the end."""

    messages: list
    done: bool = False
    record: dict | None = None


def respond(backend: Backend, question: str, turns: Sequence[Turn], filters: Filters | None = None,
            mode: str | None = "extractive", base: str = "") -> Iterator[Screen]:
    """One chat turn over the conversation so far: a "searching" screen at once, in LLM mode the
    quoted answer while the LLM writes (its verified sentences above it), then the answer."""
    shown = messages(turns, base)
    english = is_english(question)
    user = {"role": "user", "content": md_text(question)}
    yield Screen([*shown, user, {"role": "assistant", "content": f"*{stage('search', english)}*"}])
    previous = [t.question for t in turns if t.answer is not None]
    preview, draft, quoted = "", "", None
    try:
        assistant = backend.get()
        for event in assistant.ask_stream(question, filters=filters, mode=mode,
                                          context=follow_up_context(question, previous)):
            if isinstance(event, Preview):
                preview, quoted = answer_markdown(event.answer, base), event.answer
            elif isinstance(event, Draft):
                draft += event.text
            elif isinstance(event, Final):
                turn = Turn(question, event.answer)
                yield Screen([*shown, *message(turn, base)], done=True, record=record(turn, base))
                return
            if preview:  # LLM mode: the quoted answer at once, the verified sentences as they come
                writing = f"*{stage('write', english)}*\n\n" + (f"{md_text(draft)}\n\n---\n\n" if draft else "")
                yield Screen([*shown, user, {"role": "assistant", "content": writing + preview}])
    except BusyError as exc:  # the LLM's queue is full: the quoted answer, saying why
        if quoted is None:
            yield failed(question, exc, turns, base)
            return
        turn = Turn(question, replace(quoted, notices=quoted.notices + (exc.message(english),)))
        yield Screen([*shown, *message(turn, base)], done=True, record=record(turn, base))
    except QAError as exc:
        yield failed(question, exc, turns, base)


def failed(question: str, exc: QAError, turns: Sequence[Turn] = (), base: str = "") -> Screen:
    """The end of a turn that could not be answered: the error, in the asker's language, as its reply."""
    turn = Turn(question, None, error_markdown(exc, is_english(question)))
    return Screen([*messages(turns, base), *message(turn, base)], done=True, record=record(turn, base))


def stopped(question: str) -> Turn:
    """The turn saved when the user stops an answer."""
    return Turn(question, None, f"*{stage('stopped', is_english(question))}*")
