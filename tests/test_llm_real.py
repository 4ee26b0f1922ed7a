"""The real default model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, ~1 GB): in this process with
llama-cpp-python, and behind `python -m llama_cpp.server` through the OpenAI-compatible backend."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow
pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: pip install '.[llm]' (or make llm-install)")

from qa.config import load_settings  # noqa: E402
from qa.llm import (LlamaCppLLM, OpenAICompatLLM, assemble_default_gguf, build_messages,  # noqa: E402
                    is_refusal, parse_citations)
from conftest import free_port  # noqa: E402

QUESTION = "组长是谁？"
PASSAGES = [(1, "关于成立阳泉市创建国家卫生城市工作领导小组的通知 > 一、领导小组组成", "组 长：韩加政 市政府副市长")]


def check(reply: str) -> None:
    assert "韩加政" in reply, reply
    assert parse_citations(reply) == [1], reply
    assert not is_refusal(reply), reply


@pytest.fixture(scope="module")
def gguf():
    return assemble_default_gguf(load_settings().llm_cache_dir)


def test_llama_cpp_answers_from_the_passage_with_a_citation(gguf):
    llm = LlamaCppLLM(gguf, n_ctx=2048, n_threads=2)
    started = time.monotonic()
    check(llm.generate(build_messages(QUESTION, PASSAGES), max_tokens=64))
    assert time.monotonic() - started < 60


def test_evidence_first_answers_in_english_and_every_sentence_verifies(gguf):
    from qa.generate import stream_checked
    from qa.llm import evidence_messages
    from qa.types import Citation, Draft

    cites = {1: Citation(1, "d", "阳泉市自建房安全专项整治实施方案", "阳政办发〔2022〕57号", "2022年第4期", 12,
                         "六、保障措施", "市长任组长", ""),
             2: Citation(2, "d", "阳泉市自建房安全专项整治实施方案", "阳政办发〔2022〕57号", "2022年第4期", 12,
                         "六、保障措施", "办公室设在市住建局", "")}
    messages = evidence_messages("who leads the 自建房 inspection?",
                                 "Head: the Mayor; Office: the Municipal Housing and Urban-Rural Development Bureau",
                                 [(n, "阳政办发〔2022〕57号", c.quote) for n, c in cites.items()])
    llm = LlamaCppLLM(gguf, n_ctx=2048, n_threads=2)
    events = list(stream_checked(llm, messages, cites, 120, 60))
    checked = events[-1]
    assert not checked.problem and not checked.refused and checked.cited, checked
    drafts = "".join(e.text for e in events if isinstance(e, Draft))
    assert "mayor" in drafts.lower(), drafts
    assert not is_refusal(drafts) and "[" in drafts



@pytest.fixture(scope="module")
def server_url(gguf, tmp_path_factory):
    """`python -m llama_cpp.server` on a free local port, serving the default model."""
    import httpx

    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
                                 "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
                                 "--n_threads", "2"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer {url}/models in 120 s:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_openai_backend_against_a_local_server(server_url):
    llm = OpenAICompatLLM(server_url, timeout=60)
    messages = build_messages(QUESTION, PASSAGES)
    started = time.monotonic()
    check(llm.generate(messages, max_tokens=64))
    pieces = list(llm.generate(messages, max_tokens=64, stream=True))
    assert len(pieces) > 1
    check("".join(pieces))
    assert time.monotonic() - started < 60
