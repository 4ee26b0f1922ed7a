"""Procedure answers: the key clause(s) of a sentence that states a time limit or a step.

    应在 1 小时内与用户联系并约定测温时间，24 小时内提供检测服务
        -> 1小时内与用户联系并约定测温时间，24小时内提供检测服务
    应当在7个工作日内向市规划和自然资源局、市农业农村局报备 -> 7个工作日内向…报备
    免于办理行政许可，实行告知承诺和备案制管理 -> (both clauses)

A listed procedure (申报、审核、公示、认定的程序; ①…②…) is given as its items; a sentence that states no
step and no limit gives None.
"""

from __future__ import annotations

import re

from qa.reader.enums import enumeration_items
from qa.reader.spans import _CN, Norm

_N = rf"(?:\d+|[{_CN}]+)"
# a time limit or frequency: "24小时内", "7个工作日内", "开工前一个月", "每周召开1次", "每日至少2次", "之日起"
_LIMIT = re.compile(
    rf"{_N}(?:个)?(?:小时|工作日|日|天|周|个月|月|年)(?:内|以内|之内)"
    rf"|(?:前|后){_N}(?:个)?(?:小时|工作日|日|天|周|个月|月)"
    rf"|每{_N}?(?:个)?(?:日|天|周|月|季度|年|小时)[^,;。]{{0,6}}?{_N}次"
    rf"|之日起|立即")
# a step: an act the sentence requires or allows ("免于办理行政许可", "实行告知承诺和备案制管理", "进行登记")
_STEP = re.compile(r"免于|免办|免予|实行|办理|报备|备案|登记|申请|申报|提交|报送|报告|审核|审批|核查|验收|公示|复审|"
                   r"告知承诺|联系|受理|送达|移交|填写|签订|缴纳|退还|退费|提供")
_MODAL = re.compile(r"^.*?(?:应当|应|须|必须|需要|需|要)(?:于|在)?|^.*?(?:原则上)")
_CLAUSES = re.compile(r"[^,;。\n]+")


def answer_steps(norm: Norm) -> str | None:
    """Listed steps joined by newlines, else the clauses with a time limit (each with its step), else
    the clauses that state a step; None when the sentence states neither."""
    s = norm.s
    items = enumeration_items(norm.text)
    if len(items) >= 2:
        return "\n".join(items)
    clauses = [m.span() for m in _CLAUSES.finditer(s)]
    out: list[tuple[int, int]] = []
    taken: set[int] = set()
    for i, (a, b) in enumerate(clauses):
        m = _LIMIT.search(s, a, b)
        if not m or i in taken:
            continue
        out.append((_cut(s, a, b, m), b))
        rest, nxt = s[m.end():b], (s[slice(*clauses[i + 1])] if i + 1 < len(clauses) else "")
        if nxt and (len(re.findall(r"[\u4e00-\u9fff]", rest)) < 4 or not _STEP.search(rest) and _STEP.search(nxt)):
            taken.add(i + 1)  # "调出十日内，供需双方需补签购销合同": the step follows the limit
            na, nb = clauses[i + 1]
            mm = _MODAL.match(s[na:nb])
            out.append((na + mm.end() if mm and nb - na - mm.end() >= 2 else na, nb))
    if not out:
        for a, b in clauses:
            if _STEP.search(s, a, b):
                mm = _MODAL.match(s[a:b])
                out.append((a + mm.end() if mm and b - a - mm.end() >= 2 else a, b))
    pieces = list(dict.fromkeys(norm.out(a, b) for a, b in out))
    return "，".join(x for x in pieces if x) or None


def _cut(s: str, a: int, b: int, m: re.Match) -> int:
    """Start of the key part of a limit clause: after the anchor word ("应在|1小时内", "在|开工前一个月"),
    keeping 自/从 ("自发生变化之日起3个月内"), else at the limit itself ("市气象局|每日至少2次")."""
    head = s[a:m.start()]
    lead = re.search(r"[自从在于](?!.*[自从在于])", head)
    if lead:
        return a + lead.start() + (lead.group() in "在于")
    mm = _MODAL.match(head)
    if re.match(r"[前后]|之日起", m.group()):  # the event before it belongs to the limit: "验收合格后一个月内"
        return a + mm.end() if mm else a
    return a + mm.end() if mm and re.search(r"原则上$", mm.group()) else m.start()
