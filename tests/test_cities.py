"""Several cities' gazettes in one corpus: the city comes from city.txt (per folder) or cities.yaml
(per file), else QA_DEFAULT_CITY; it is filtered on and shown in citations."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qa.cities import city_of
from qa.cli import main
from qa.errors import QAError
from qa.render import source_label
from qa.retrieve import Filters
from qa.types import Citation


def test_city_settings(tmp_path):
    issue = tmp_path / "a.txt"
    assert city_of(issue, "阳泉市") == "阳泉市"
    (tmp_path / "city.txt").write_text("太原市\n", encoding="utf-8")
    assert city_of(issue, "阳泉市") == "太原市"
    (tmp_path / "cities.yaml").write_text("a.txt: 大同市\nb.txt: 晋中市\n", encoding="utf-8")
    assert city_of(issue, "阳泉市") == "大同市"
    assert city_of(tmp_path / "c.txt", "阳泉市") == "太原市"


def test_bad_city_settings_name_the_file(tmp_path):
    (tmp_path / "cities.yaml").write_text("- a.txt\n", encoding="utf-8")
    with pytest.raises(QAError, match=r"cities.yaml must map file names to cities"):
        city_of(tmp_path / "a.txt", "阳泉市")
    (tmp_path / "cities.yaml").write_text("a.txt: ''\n", encoding="utf-8")
    with pytest.raises(QAError, match=r"\(a.txt\): '' is not a city name"):
        city_of(tmp_path / "a.txt", "阳泉市")


def test_city_filter_and_citation(assistant):
    assert {d.city for d in assistant.documents()} == {"阳泉市"}
    answer = assistant.ask("全民健身实施计划的目标是什么", filters=Filters(city="阳泉市"))
    assert answer.citations and all(c.city == "阳泉市" for c in answer.citations)
    with pytest.raises(QAError, match=r"no document matches the filters \(太原市\)"):
        assistant.search("全民健身", Filters(city="太原市"))


@pytest.fixture
def cli_env(settings, fake_embedder, monkeypatch):
    from qa.ingest import ingest

    ingest(settings, embedder=fake_embedder, progress=False)
    for name, value in (("INDEX_DIR", settings.index_dir), ("DATA_DIR", settings.data_dir), ("CHUNK_SIZE", 200),
                        ("CHUNK_OVERLAP", 20)):
        monkeypatch.setenv(f"QA_{name}", str(value))
    monkeypatch.setattr("qa.api.load_embedder", lambda s: fake_embedder)
    return settings


def test_city_in_label_and_json(cli_env):
    c = Citation(n=1, doc_id="d", title="关于…的通知", doc_number="阳政发〔2022〕1号", issue="2022年第4期", page=3,
                 section="", quote="q", url="/doc/d", city="阳泉市")
    assert source_label(c) == "关于…的通知 · 阳政发〔2022〕1号 · 阳泉市 2022年第4期 · 第3页"
    result = CliRunner().invoke(main, ["ask", "全民健身实施计划的目标是什么", "--json", "--city", "阳泉市"])
    assert result.exit_code == 0, result.output
    assert {c["city"] for c in json.loads(result.stdout)["citations"]} == {"阳泉市"}
    result = CliRunner().invoke(main, ["ask", "全民健身实施计划的目标是什么", "--json", "--city", "太原市"])
    assert result.exit_code == 2 and "太原市" in result.output


def _city_dropdown(app) -> dict | None:
    from fastapi.testclient import TestClient

    config = TestClient(app).get("/config").json()
    return next((c["props"] for c in config["components"] if c.get("props", {}).get("elem_id") == "city"), None)


def test_ui_city_filter_shows_with_several_cities(settings, fake_embedder, corpus_dir, mini_text):
    from qa.api import Assistant
    from qa.ingest import ingest
    from qa.ui import build_app, make_filters

    ingest(settings, embedder=fake_embedder, progress=False)
    assert _city_dropdown(build_app(Assistant.load(settings, embedder=fake_embedder), settings))["visible"] is False
    other = mini_text.replace("阳泉市人民政府公报", "太原市人民政府公报", 1).replace("2022 年第 4 期", "2022 年第 5 期", 1)
    (corpus_dir / "taiyuan-2022-05.txt").write_text(other, encoding="utf-8")
    (corpus_dir / "cities.yaml").write_text("taiyuan-2022-05.txt: 太原市\n", encoding="utf-8")
    ingest(settings, embedder=fake_embedder, progress=False)
    assistant = Assistant.load(settings, embedder=fake_embedder)
    dropdown = _city_dropdown(build_app(assistant, settings))
    assert dropdown["visible"] is True and [c[1] for c in dropdown["choices"]] == ["", "太原市", "阳泉市"]
    answer = assistant.ask("全民健身实施计划的目标是什么", filters=make_filters(city="太原市"))
    assert answer.citations and {c.city for c in answer.citations} == {"太原市"}
