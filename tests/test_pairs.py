"""“分别” (respectively) pairing (qa/reader/pairs.py) on real gazette sentences."""

from __future__ import annotations

import pytest

from qa.reader.pairs import respectively
from qa.reader.spans import Norm, answer_span

FUHUAQI = "对新认定为国家级、省级孵化器的，分别给予一次性 200 万元、50 万元奖励，对入住孵化器及众创空间的初创期企业给予租金及创业补贴"
TUPO = "对年度主营业务收入首次突破1亿元、5亿元、10亿元的数字经济企业，分别给予100万元、200万元、300万元的一次性奖励"
JISHU = "新认定为国家级企业技术中心、省级企业技术中心的，分别给予一次性 150 万元、30 万元奖励"
PAIFANG = ("清洁生产方面，物料堆场实现密闭存储，生产环节要配套除尘装置，排放标准达到强制性排放要求，"
           "颗粒物、二氧化硫、氮氧化物排放限值分别不高于30、200、300毫克/立方米")
FEILV = ("1. 投保的生产经营单位投保前一个保险年度发生一般、较大、重大、特别重大生产安全事故的，"
         "当年保险费率在基准费率的基础上提高幅度分别不低于10%、20%、30%、50%")
JIANGFU = "5. 前一个保险年度内投保的生产经营单位取得一级、二级安全生产标准化资格的，保险费率在基准费率的基础上降幅分别不低于15%、10%"
BAOSONG = "有关部门向市发改委月度报送工作进展情况，6月底、12月底分别报送半年、全年工作情况"
HUISHANG = "办公室增设防汛会商小组、抗旱会商小组，组长分别由市水利局、市农业农村局分管负责人担任"
YIYANG = "对医养结合机构中医疗卫生机构和养老机构分别由卫生健康部门和民政部门负责进行行业监管"


@pytest.mark.parametrize("question, text, expected", [
    ("新认定的国家级孵化器能拿到多少奖励", FUHUAQI, "200万元"),
    ("省级孵化器奖励多少？", FUHUAQI, "50万元"),
    ("首次突破5亿元奖励多少", TUPO, "200万元"),
    ("主营业务收入首次突破10亿元的企业奖励多少？", TUPO, "300万元"),
    ("省级企业技术中心奖励多少？", JISHU, "30万元"),
    ("国家级企业技术中心给多少钱？", JISHU, "150万元"),
    ("二氧化硫排放限值是多少？", PAIFANG, "不高于200毫克/立方米"),
    ("发生特别重大事故的费率提高多少？", FEILV, "不低于50%"),
    ("发生重大事故的费率提高多少？", FEILV, "不低于30%"),
    ("取得二级标准化资格的降幅多少？", JIANGFU, "不低于10%"),
])
def test_number_named_item(question, text, expected):
    assert answer_span(question, "number", text) == expected


@pytest.mark.parametrize("question, text, expected", [
    ("孵化器认定奖励多少？", FUHUAQI, "国家级200万元、省级50万元"),
    ("数字经济企业收入突破奖励多少？", TUPO, "1亿元100万元、5亿元200万元、10亿元300万元"),
])
def test_number_all_pairs_when_no_item_is_named(question, text, expected):
    assert answer_span(question, "number", text) == expected


def test_other_types():
    assert answer_span("全年工作情况什么时候报送？", "when", BAOSONG) == "12月底"
    assert answer_span("半年工作情况什么时候报送？", "when", BAOSONG) == "6月底"
    assert answer_span("抗旱会商小组组长由哪个单位的负责人担任？", "dept", HUISHANG) == "市农业农村局"
    assert answer_span("防汛会商小组组长由哪个单位的负责人担任？", "dept", HUISHANG) == "市水利局"
    assert answer_span("养老机构由哪个部门监管？", "dept", YIYANG) == "民政部门"


@pytest.mark.parametrize("question, text", [
    ("初创期企业有什么补贴？", FUHUAQI),  # the question is about the other half of the sentence
    ("每个县发多少？", "各县（区）、高新区分别发放资金规模 500 万元的数字消费券，全市合计 3000 万元"),  # one amount only
    ("哪些部门分别负责？", "各级抗震救灾指挥部按照分级响应原则，分别负责相应级别地震灾害信息发布工作"),
])
def test_no_pairs(question, text):
    assert respectively(question, "number", Norm(text)) is None


def test_one_amount_falls_back_to_the_number_rules():
    text = "各县（区）、高新区分别发放资金规模 500 万元的数字消费券，全市合计 3000 万元"
    assert answer_span("一共发了多少钱？", "number", text) == "合计3000万元"
