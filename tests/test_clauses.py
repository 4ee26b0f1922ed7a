"""Clause short answers (qa/reader/clauses.py): what a rule says, yes/no, how an amount is worked out,
and the asked-about words the refusal model checks."""

import pytest

from qa.reader.clauses import answer_clause, head_pairs, head_share
from qa.reader.spans import Norm, answer_span


@pytest.mark.parametrize("question, text, expected", [
    ("对水资源费（税）征收率有什么要求？", "水资源费(税)征收率不低于95%，污水处理费(含自备水)收缴率不低于93%，收费标准不低于国家标准。",
     "水资源费(税)征收率不低于95%"),
    ("对滹沱河闫家庄大桥断面提出什么水质目标？", "2020 年，滹沱河闫家庄大桥断面达到 II 类水质，桃河白羊墅断面达到 V 类水质。",
     "滹沱河闫家庄大桥断面达到II类水质"),
    # the figure the question already says (60岁) is not the answer
    ("给60岁以上老人什么优惠？", "第十一条运营主体要本着爱老敬老的原则,为60周岁以上老年人提供一定便利,至少在市场价基础上优惠20%。",
     "至少在市场价基础上优惠20%"),
    # the clause naming the subject has no figure: the next one, which has, joins it
    ("疫情期间对城镇土地使用税有什么减负措施？", "（七）在国家规定的税额幅度内，再次下调我市城镇土地使用税税额标准，统一按现行税额标准的90%调整。",
     "再次下调我市城镇土地使用税税额标准，统一按现行税额标准的90%调整"),
    ("10千伏及以下的电力接入工程还要办行政许可吗？", "供电电压等级在10千伏及以下的电力接入工程项目，免于办理行政许可，实行告知承诺制。",
     "免于办理行政许可"),
])
def test_the_answering_clause(question, text, expected):
    assert answer_clause(question, Norm(text)) == expected
    assert answer_span(question, "general", text) == expected


@pytest.mark.parametrize("question, text", [
    ("对水资源费征收率有什么要求？", "市水利局负责组织实施，各县区配合。"),  # names nothing asked, states no figure
    ("还要办行政许可吗？", "供电电压等级在10千伏及以下的电力接入工程项目。"),  # no rule word
])
def test_no_clause_when_none_answers(question, text):
    assert answer_clause(question, Norm(text)) is None


def test_a_how_question_about_an_amount_gets_the_whole_clause():
    text = "将“5G+应用”纳入技术改造资金支持范畴，给予企业实际完成投资额的 20%、不超过 300 万元的资助。"
    assert answer_span("5G+应用技改补贴咋算的？", "number", text) == "给予企业实际完成投资额的20%、不超过300万元的资助"
    rent = "市政府按年给予租金补贴，其中300平方米以内房租全额补贴，300平方米至1000平方米房租减半补贴。"
    assert answer_span("入驻标准厂房，房租怎么补？", "number", rent) == "300平方米以内房租全额补贴"
    # "how much" still asks for the figure alone
    assert answer_span("5G+应用技改补贴最多多少？", "number", text) == "不超过300万元"


def test_head_pairs_and_share():
    assert {"单车", "投放"} <= head_pairs("阳泉共享单车最多能投放多少辆？")
    assert head_pairs("How many yuan is one point (点值) worth?") == {"点值"}
    assert head_pairs("Who leads the census group?") == set()
    assert head_share("阳泉共享单车最多能投放多少辆？", "300户以上要配置1-2辆分类收集车") == 0.0
    assert head_share("How many yuan is one point (点值) worth?", "每个点值为10元") == 1.0
    assert head_share("Who leads the census group?", "组长：黄海涛") == 1.0
