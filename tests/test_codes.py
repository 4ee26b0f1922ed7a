"""Numbered slogans (qa/reader/codes.py): “131N” spelled out by the lines “1个…：” “3个…：” “1个…：” “N个…：”,
read on into the next chunk of the document when the passage ends first."""

from qa.reader import Reader
from qa.reader.codes import asked_code, code_parts, part_heads
from qa.reader.units import split_units
from qa.types import Chunk

LEAD = "充分利用既有建设成果，构建从城市大脑到特色应用的“131N”阳泉数字政府一体化建设新格局。"
PARTS = ["1个抓手：以率先打造数字政府阳泉样板为抓手。", "3个定位：以高效政府、宜居城市、法治社会为创新定位。",
         "1个城市大脑：建设阳泉市城市大脑，包含城市数据中台。", "N个特色应用：建成一体化在线政务服务平台等行业示范应用。"]


def _chunks() -> list[Chunk]:
    first = "\n".join([LEAD, *PARTS[:2]])
    second = "\n".join(PARTS[2:])
    return [Chunk("d-c000", "d", "三、整体框架", 0, len(first), first, ""),
            Chunk("d-c001", "d", "三、整体框架", len(first) + 1, len(first) + 1 + len(second), second, "")]


def test_the_code_a_question_quotes():
    assert asked_code("What does the '131N' framework stand for?") == "131N"
    assert asked_code("“1+N”模式是什么？") == "1N"
    assert asked_code("社区居家养老怎么搞？") is None


def test_parts_spell_the_code_across_chunks():
    units = [u for c in _chunks() for u in split_units(c, 0)]
    parts = code_parts("131N", units)
    assert [p.text for p in parts] == PARTS
    assert part_heads(parts) == "1个抓手\n3个定位\n1个城市大脑\nN个特色应用"
    assert code_parts("131N", units[:3]) == []  # the passage alone stops at 3个定位: no answer from half a list
    assert code_parts("2N", units) == []


def test_the_reader_answers_a_code_with_its_parts_when_given_the_next_chunk():
    from qa.reader.strategies import Evidence
    from qa.types import Hit

    first, second = _chunks()
    reader = Reader.standalone()
    question = "What does the '131N' framework stand for?"
    ev = Evidence(hits=(Hit(chunk=first, score=1.0),), following=lambda chunk: [second] if chunk is first else [])
    reading = reader.read_evidence(question, ev, lambda chunk, a, b, n: None)
    assert reading.short_answer == "1个抓手\n3个定位\n1个城市大脑\nN个特色应用"
