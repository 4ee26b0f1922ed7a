"""👍/👎 on answers, kept as JSON lines outside the index (a re-ingest replaces the index directory and
must never lose feedback), and the `qa feedback` report that turns wrong answers into dev questions."""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .errors import InputError
from .text import is_english

REASONS = ("答案错误 / wrong", "引用不对 / wrong source", "应当拒答 / should refuse", "没找到 / missed it",
           "太长 / too long")
_lock = threading.Lock()


@dataclass(frozen=True)
class Feedback:
    """One rating of one answer: the question, what was answered (the `qa ask --json` object) and why."""

    question: str
    liked: bool
    answer: dict = field(default_factory=dict)
    reason: str = ""
    filters: str = ""
    time: str = ""


def record(path: Path, feedback: Feedback) -> Feedback:
    """Append one line (the directory is created; the write is flushed to disk)."""
    feedback = feedback if feedback.time else Feedback(**{**asdict(feedback), "time": _now()})
    line = json.dumps(asdict(feedback), ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _lock, open(path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise InputError(f"cannot write feedback to {path} ({exc.strerror}); set QA_FEEDBACK_PATH to a "
                         "writable file.", zh=f"无法写入反馈文件 {path}（{exc.strerror}）；"
                                              "请把 QA_FEEDBACK_PATH 设为可写的文件。") from None
    return feedback


def load(path: Path) -> tuple[list[Feedback], list[str]]:
    """The ratings in the file, and a message for each line that could not be read (they are skipped)."""
    if not path.exists():
        return [], []
    items, problems = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            items.append(Feedback(question=str(data["question"]), liked=bool(data["liked"]),
                                  answer=dict(data.get("answer") or {}), reason=str(data.get("reason") or ""),
                                  filters=str(data.get("filters") or ""), time=str(data.get("time") or "")))
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{path}:{n}: skipped, not a feedback record ({type(exc).__name__}: {exc})")
    return items, problems


def report(items: Sequence[Feedback]) -> str:
    """Counts of 👍/👎 and of the reasons, then each 👎 with what was answered."""
    up = sum(f.liked for f in items)
    down = [f for f in items if not f.liked]
    lines = [f"{len(items)} ratings: 👍 {up}, 👎 {len(down)}"]
    reasons = Counter(f.reason for f in down if f.reason)
    lines += [f"  {count:>4}  {reason}" for reason, count in reasons.most_common()]
    for f in down:
        answer = (f.answer.get("short_answer") or f.answer.get("answer") or "").replace("\n", " ")
        lines.append(f"👎 {f.time[:16]}  {f.question}\n     → {answer[:120]}"
                     + (f"\n     ({f.reason})" if f.reason else ""))
    return "\n".join(lines)


def dev_candidates(items: Iterable[Feedback]) -> list[dict]:
    """The 👎 questions in the dev set's shape (eval/questions.jsonl), to be checked and completed by
    hand: `answer`/`must_include` empty, the rejected answer and the reason as a `note`."""
    out, seen = [], set()
    for f in items:
        if f.liked or f.question in seen:
            continue
        seen.add(f.question)
        lang = "en" if is_english(f.question) else "zh"
        rejected = f.answer.get("short_answer") or f.answer.get("answer") or ""
        out.append({"id": f"fb{len(out) + 1:03d}", "lang": lang, "question": f.question, "type": "",
                    "answer": "", "must_include": [], "doc_number": None, "source": None, "evidence": "",
                    "note": f"👎 {f.reason or 'no reason'}; answered: {rejected[:200]}"})
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
