"""The refusal model's signals and the question types that decide which answers need a figure."""

from __future__ import annotations

import pytest

from qa.lexical import IdfTable
from qa.reader import analyse
from qa.reader.units import split_units
from qa.reader.verdict import SIGNALS, signals
from qa.types import Chunk, Hit

IDF = IdfTable({}, default=1.0)


def answer(text: str, question: str):
    chunk = Chunk(chunk_id="d1-c1", doc_id="d1", section="", start=0, end=len(text), text=text, header="")
    unit = split_units(chunk, 0)[0]
    return dict(zip(SIGNALS, signals(analyse(question), unit, (Hit(chunk=chunk, score=1.0),), IDF, 1.0, True, None)))


def test_a_chinese_answer_without_the_questions_words_has_little_chinese_focus():
    off_topic = answer("市级财政对参加补充养老保险个人缴费给予每人每年30元补贴。", "春节前给低保对象发的节日补助每人多少钱？")
    on_topic = answer("春节前给低保对象每人发放节日补助300元。", "春节前给低保对象发的节日补助每人多少钱？")
    assert off_topic["focus_zh"] < 0.5 < on_topic["focus_zh"]
    assert on_topic["focus_zh"] == on_topic["focus"]


def test_an_english_question_has_no_chinese_focus():
    x = answer("春节前给低保对象每人发放节日补助300元。", "How much holiday subsidy (节日补助) does each person get?")
    assert x["focus_zh"] == 0.0 and x["focus"] > 0.0


@pytest.mark.parametrize("question, qtype", [
    ("What was Yangquan's resident population according to the census?", "number"),
    ("What face value did each of the 2021 coupons have?", "number"),
    ("What is the current minimum wage in Yangquan?", "number"),
    ("What is the total investment of the hospital project?", "number"),
    ("What values guide the campaign?", "general"), ("What does the fee schedule apply to?", "procedure")])
def test_english_questions_asking_for_a_measured_thing_ask_for_a_number(question, qtype):
    assert analyse(question).qtype == qtype
