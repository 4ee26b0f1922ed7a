"""List items (qa/reader/enums.py): quoted names, lists after 包括/为/是/有/：, numbered items."""

from __future__ import annotations

import pytest

from qa.reader.spans import answer_span, enumeration_items

WUCHENG = ("紧紧围绕创建“国家卫生城市”、“省级文明城市”、“国家新型智慧城市”、“国家创新型城市”、“全国双拥模范城”的目标任务，"
           "构建“五城联创”标准体系")
CITIES = ["国家卫生城市", "省级文明城市", "国家新型智慧城市", "国家创新型城市", "全国双拥模范城"]


@pytest.mark.parametrize("text, expected", [
    (WUCHENG, CITIES),
    ("一是成立“五城联创标准化示范市建设领导小组”和各牵头部门“国家卫生城市”、“省级文明城市”、“国家新型智慧城市”、"
     "“国家创新型城市”、“全国双拥模范城”，统筹协调，统一指挥", CITIES),
    ("打造普法新亮点，推出农村法治宣传教育“六个一”工程、“法律服务便民5351工程”、“法律明白人”培训工程、“银色法苑”工作室等",
     ["六个一工程", "法律服务便民5351工程", "法律明白人培训工程", "银色法苑工作室"]),
    ("重点工程项目库主要从“六新”、“两新一重”以及“七大产业板块”领域中遴选", ["六新", "两新一重", "七大产业板块"]),
    ("(三)市、县(区)行业主管部门履行监督、管理和指导责任,按照“谁审批谁负责”、“谁监管谁负责”的原则,强化本行业房屋安全鉴定机构",
     ["谁审批谁负责", "谁监管谁负责"]),
])
def test_quoted_names(text, expected):
    assert enumeration_items(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("经梳理，全市落实 13710 工作较好的单位是孟县政府、市卫健委、市大数据局", ["孟县政府", "市卫健委", "市大数据局"]),
    ("市级响应按照灾害分级由低到高设定为四级、三级、二级、一级四个等级", ["四级", "三级", "二级", "一级四个"]),
    ("3.企业从事数字经济有关业务的证明材料（包括专项审计报告、知识产权证明、相关资质证书、项目核准或备案文件及其他能够证明的材料）",
     ["专项审计报告", "知识产权证明", "相关资质证书", "项目核准或备案文件及其他能够证明的材料"]),
    ("第二条 永久基本农田不得转为林地、草地、园地等其他农用地及农业设施建设用地，严格管控一般耕地转为其他农用地",
     ["林地", "草地", "园地"]),
    ("1. 全面推进柏井镇、巨城镇、牛村镇、上社镇、裴池镇 5 个镇的生活污水处理设施和配套管网建设",
     ["柏井镇", "巨城镇", "牛村镇", "上社镇", "裴池镇5个镇"]),
    ("（二）民政、教育、人社、住建、卫健等部门要及时开展数据对比，主动发现、精准识别困难群众，将符合条件的及时纳入救助保障范围",
     ["民政", "教育", "人社", "住建", "卫健"]),
])
def test_lists_after_an_intro_or_a_long_item_mark(text, expected):
    assert enumeration_items(text) == expected


def test_list_answer_joins_items():
    assert answer_span("“五城联创”是哪五块牌子？", "list", WUCHENG) == "\n".join(CITIES)


@pytest.mark.parametrize("text", [
    "为老年人提供优质高效的社区居家养老服务",  # 为 as "for" introduces no list
    "确保长城安全是全社会的共同责任",
    "(一) 土地跟着项目走。规划和自然资源部门要坚持“土地要素跟着项目走”，增量指标配置与项目质量数量相挂钩。",
    "第十一条 市、县级文物主管部门要建立健全工作机制，适时对认养计划实施情况进行绩效评估",  # 市、县级: two levels
])
def test_no_list(text):
    assert enumeration_items(text) == []
