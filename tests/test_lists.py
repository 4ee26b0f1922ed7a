"""List questions: what they count, which enumerating unit answers them, lists that go on over
several units, names that extend the question's, and which questions are not list questions."""

from __future__ import annotations

import pytest

from qa.reader import analyse
from qa.reader.enums import enumeration_items
from qa.reader.features import list_fit, quoted_names
from qa.reader.question import counted_noun
from qa.reader.strategies import _continuation, _enumerating_first
from qa.reader.units import split_units
from qa.types import Chunk


def units_of(text: str):
    return split_units(Chunk(chunk_id="d1-c1", doc_id="d1", section="", start=0, end=len(text), text=text, header=""), 0)


@pytest.mark.parametrize("question, noun", [
    ("全市5个国家重点镇是哪几个？", "国家重点镇"), ("“五城联创”具体是创建哪五块牌子？", "牌子"),
    ("确定了哪3个试点县区？", "试点县区"), ("哪几家企业获奖？", ""), ("Which five towns?", "")])
def test_the_thing_a_list_question_counts(question, noun):
    assert counted_noun(question) == noun


def test_a_unit_stating_the_count_of_the_asked_thing_fits_better_than_one_of_another_thing():
    q = analyse("全市5个国家重点镇是哪几个？")
    assert list_fit(q, "（一）全市5个国家重点镇，即甲镇、乙镇、丙镇、丁镇、戊镇；")["counted"] == 1.0
    other = list_fit(q, "全面推进己镇、庚镇、辛镇、壬镇、癸镇5个镇的设施建设。")
    assert other["count_match"] == 1.0 and other["counted"] == 0.0


def test_a_quoted_name_longer_than_the_questions_is_another_thing():
    q = analyse("第三届阳泉市质量奖颁给了哪几家企业？")
    assert quoted_names(q, "授予甲公司、乙公司等2个组织“第三届阳泉市质量奖提名奖”。") == {
        "quoted_name": 0.0, "name_extended": 1.0}
    assert quoted_names(q, "授予丙公司、丁公司等2个组织“第三届阳泉市质量奖”；") == {"quoted_name": 1.0, "name_extended": 0.0}
    assert quoted_names(q, "按照《阳泉市质量奖管理办法》规定的程序评选。")["name_extended"] == 0.0  # a cited title


def test_the_list_with_the_asked_name_comes_before_a_better_scoring_list_with_a_longer_name():
    q = analyse("第三届阳泉市质量奖颁给了哪几家企业？")
    nominated, awarded, other = units_of("授予甲公司、乙公司、丙公司等3个组织“第三届阳泉市质量奖提名奖”。\n"
                                         "授予丁公司、戊公司、己公司等3个组织“第三届阳泉市质量奖”；\n"
                                         "希望获奖组织再接再厉。")
    order = _enumerating_first(q, [(8.2, nominated), (7.1, awarded), (6.0, other)])
    assert [u for _, u in order] == [awarded, nominated, other]
    assert [u for _, u in _enumerating_first(q, [(8.2, awarded), (7.1, nominated)])] == [awarded, nominated]


def test_a_list_that_goes_on_in_the_next_units_is_answered_whole():
    q = analyse("垃圾分类的“4+2”模式指哪些类别？")
    lead, four, two, after = units_of("我市实行“4+2”模式。\n“4”是指有害垃圾、可回收物、厨余垃圾和其他垃圾；\n"
                                      "“2”是指大件垃圾和装修垃圾。\n各县区要抓好落实。")
    scored = [(7.0, four), (6.5, lead), (5.0, after), (4.0, two)]
    assert _continuation(q, four, scored) == [two]
    assert _continuation(q, lead, scored) == []  # ends with 。: nothing to continue


def test_a_list_with_as_many_items_as_asked_does_not_go_on():
    q = analyse("全市5个国家重点镇是哪几个？")
    first, second = units_of("（一）全市5个国家重点镇，即甲镇、乙镇、丙镇、丁镇、戊镇；\n（二）8个建制镇，即己镇、庚镇。")
    assert _continuation(q, first, [(7.0, first), (6.0, second)]) == []
    assert _continuation(analyse("哪些镇要建污水设施？"), first, [(7.0, first), (6.0, second)]) == [second]


def test_a_comma_list_after_a_clause_starts_after_the_comma():
    assert enumeration_items("现决定，授予甲水泥有限责任公司、乙阀门股份有限公司、丙电气有限公司等3个组织“某奖”；") == [
        "甲水泥有限责任公司", "乙阀门股份有限公司", "丙电气有限公司"]
    items = enumeration_items("我市现存长城共有墙体21段，关堡2处（固关、娘子关），单体建筑46处。")
    assert len(items) == 2 and items[1] == "娘子关" and "墙体" not in items[0]


def test_a_list_question_about_a_posts_holders_is_not_answered_by_another_enumeration():
    from qa.reader.strategies import _passage

    q = analyse("核对工作领导小组的副组长有哪几位？")
    intro, head, deputy1, deputy2 = units_of("为规范核对工作，实现救助工作的信息化、精细化、规范化、专业化，拟调整核对工作领导小组。\n"
                                             "| 组长： | 张三 | 副市长 |\n| 副组长： | 李四 | 副秘书长 |\n| | 王五 | 局长 |\n")
    candidate = _passage(q, [(8.0, intro), (4.0, head), (3.9, deputy1), (3.8, deputy2)])
    assert deputy1 in candidate.units and "信息化" not in (candidate.short_answer or "")
    other = _passage(analyse("核对工作要实现哪些目标？"), [(8.0, intro), (4.0, head)])
    assert other.short_answer.split("\n")[:2] == ["实现救助工作的信息化", "精细化"]


@pytest.mark.parametrize("question, qtype", [
    ("创建节水型城市对水资源费征收率有什么要求？", "general"), ("疫情期间对土地使用税有什么减负措施？", "general"),
    ("董事长人选有什么变化？", "general"), ("园区有什么企业？", "list"),
    ("Which organisations won the third Yangquan Quality Award?", "list"),
    ("Which organization leads the census work?", "dept"), ("Which departments are responsible?", "dept")])
def test_asking_for_requirements_or_changes_is_not_asking_for_a_list(question, qtype):
    assert analyse(question).qtype == qtype
