"""What kind of thing a question asks for (who / dept / when / number / docnum / list / procedure),
and what a sentence that answers it looks like."""

from __future__ import annotations

import re

_TYPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("docnum", re.compile(r"文号|哪个文件|什么文件|哪份文件|哪一份文件|哪项文件|发文字号|讲什么|讲的是什么|主要内容|什么内容|"
                          r"which document|what document|document number|which notice|which file|what is .*about|"
                          r"what does .* (say|cover)", re.I)),
    ("who", re.compile(r"谁|哪位|哪些人|姓名|名字|组长|副组长|负责人|任命|任职|免去|免职|担任|"
                       r"\bwho\b|\bwhom\b|\bname of\b|appointed|dismissed|removed from|leads?\b|heads?\b", re.I)),
    ("dept", re.compile(r"哪个部门|哪些部门|哪个单位|哪些单位|什么部门|哪家|牵头|负责单位|责任单位|主管部门|"
                        r"设在哪|设在什么|which (department|agency|office|bureau|unit|body)|responsible|in charge|"
                        r"\bwhere is\b|\bwhere\b.*\boffice\b", re.I)),
    ("when", re.compile(r"何时|什么时候|哪天|哪一天|日期|截止|期限|时限|哪年|几月|多久|多长时间|时间|"
                        r"\bwhen\b|\bdate\b|deadline|by when|what year|how long", re.I)),
    ("number", re.compile(r"多少|几个|几家|几项|几次|比例|金额|标准|补贴|奖励|资金|费用|价格|面积|人数|达到|"
                          r"how much|how many|amount|percent|rate|subsid|reward|target|number of", re.I)),
    ("procedure", re.compile(r"如何|怎么|怎样|流程|程序|步骤|办理|申请|"
                             r"\bhow (to|do|does|should|can|will)\b|procedure|process|steps?\b|apply", re.I)),
    ("list", re.compile(r"哪些|包括|包含|有什么|列举|分为|"
                        r"what are|which .*s\b|\blist\b|include|consist", re.I)),
)

# What an answering sentence contains, per type.
PATTERNS: dict[str, re.Pattern[str]] = {
    "who": re.compile(r"组\s*长|副组长|主\s*任|成\s*员|负责人|总指挥|[为任]\S{0,12}(局长|主任|市长|校长|经理|书记|院长|"
                      r"秘书长|委员|队长|处长|科长)|免去|任命|[\u4e00-\u9fff]{2,3}\s*(同志)?为"),
    "dept": re.compile(r"牵头|负责|责任单位|配合单位|主管部门|设在|市[\u4e00-\u9fff]{1,10}(局|委|办|中心|部)"),
    "when": re.compile(r"\d{4}\s*年(\s*\d{1,2}\s*月)?(\s*\d{1,2}\s*日)?|\d{1,2}\s*月\s*(\d{1,2}\s*日|底|中旬|上旬|下旬)|"
                       r"月底前|日前|年底前|之日起|以内|工作日|起施行|施行|有效期|阶段"),
    "number": re.compile(r"\d+(\.\d+)?\s*(万元|亿元|元|%|％|个|家|户|人|名|项|辆|座|台|吨|平方米|公里|千米|米|天|日|年|倍|次|万|亿|"
                         r"kW|MW|兆瓦|千瓦)|[一二三四五六七八九十百千万]+(个|家|项|人|名)"),
    "docnum": re.compile(r"[\u4e00-\u9fff]{2,6}\s*[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号|《[^》]{4,}》"),
    "list": re.compile(r"[（(][一二三四五六七八九十\d]+[）)]|^\s*\d+[.．、]|；|、.*、"),
    "procedure": re.compile(r"按照|程序|流程|提交|申请|审核|审批|受理|办理|报送|备案|公示|验收|先|再|后"),
}


def question_type(question: str) -> str:
    """The first matching type in priority order, else 'general'."""
    text = question.strip()
    for name, pattern in _TYPES:
        if pattern.search(text):
            return name
    return "general"
