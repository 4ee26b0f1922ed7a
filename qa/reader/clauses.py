"""Short answers that are a clause, not one figure: for questions about what a rule says ("对水资源费
征收率有什么要求" -> 水资源费(税)征收率不低于95%, "给老人什么优惠" -> 至少在市场价基础上优惠20%),
whether something is still needed ("还要办行政许可吗" -> 免于办理行政许可) and how an amount is worked out
("房租怎么补" -> 300平方米以内房租全额补贴, "补贴咋算的" -> 给予企业实际完成投资额的20%、不超过300万元的资助).

A clause is a piece of the sentence between ，；。：and line breaks. The answering clause is the one
that names what the question asks about and states a fact (a figure, a class, a rule word); when the
clause that names the subject has no fact and the next one does, the two are joined
("再次下调…城镇土地使用税税额标准，统一按现行税额标准的90%调整")."""

from __future__ import annotations

import re
import unicodedata

from .spans import CJK, Norm, _find, _question_keys, asked_quantities

_CLAUSE_END = re.compile(r"[,;。:!?\n\t|]")
_OPENING = re.compile(rf"^(?:第[一二三四五六七八九十百零]+条|[(（][一二三四五六七八九十\d]+[)）]|\d{{1,2}}[.、](?!\d)|[①-⑳]|"
                      rf"[一二三四五六七八九十]是)*(?:其中|同时|并且|并|另外|此外|经研究|对于|对)?")
_RULE_WORD = re.compile(r"免于|免予|免收|免征|不需|无需|不再|不得|不予|不属于|须|必须|应当|需要|可以|可|禁止|严禁|实行|纳入|给予|按照")
_HOW = re.compile(r"怎么|怎样|咋|如何|什么样|哪种方式")
_COUNT = re.compile(r"多少|几[个家项名人件次所座台户类天年月倍]|几")
_YES_NO = re.compile(r"吗[?？]?$|是否|要不要|需不需要|能不能|可不可以|可以不")
_HEAD_AFTER = re.compile(rf"(?:什么|啥|哪些|哪种)([{CJK}]{{2,6}})")
_HEAD_BEFORE = re.compile(rf"([{CJK}]{{2,6}}?)(?:是)?(?:怎么|怎样|咋|如何)")
_HEAD_YES_NO = re.compile(rf"(?:还要|还需要?|需要|要|能|可以|得)?(?:办理?|申请|缴纳?|交)?([{CJK}]{{2,8}})(?:吗|不)")
_MAX_CHARS = 60  # longer than this is no longer a short answer


def clauses(s: str) -> list[tuple[int, int]]:
    """The (start, end) of every clause of normalized text `s`, opening markers and connectives left out."""
    out, start = [], 0
    for m in [*_CLAUSE_END.finditer(s), None]:
        end = m.start() if m else len(s)
        piece = s[start:end]
        lead = _OPENING.match(piece)
        a = start + (lead.end() if lead else 0)
        if re.search(rf"[{CJK}\d]", s[a:end]):
            out.append((a, end))
        start = end + 1
    return out


def _rule_pairs(question: str) -> set[str]:
    """The character pairs of what the question asks about: the words after 什么 ("什么优惠" -> 优惠),
    before 怎么/咋 ("房租怎么补" -> 房租) and before 吗 ("还要办行政许可吗" -> 行政许可)."""
    q = unicodedata.normalize("NFKC", question)
    words = [m.group(1) for m in _HEAD_AFTER.finditer(q)] + [m.group(1)[-4:] for m in _HEAD_BEFORE.finditer(q)]
    if _YES_NO.search(q):
        words += [m.group(1) for m in _HEAD_YES_NO.finditer(q)]
    return {w[i:i + 2] for w in words for i in range(len(w) - 1)}


def _facts(norm: Norm, question: str) -> list[tuple[int, int]]:
    """Figures of the text that the question does not already say ("60周岁" for "60岁以上老人")."""
    said = set(re.findall(r"\d+(?:\.\d+)?", question))
    return [(a, b) for a, b in _find(norm, "number") + _find(norm, "ratio")
            if (m := re.match(r"[\d.]+", norm.s[a:b])) is None or m.group() not in said]


def answer_clause(question: str, norm: Norm) -> str | None:
    """The clause (or two joined) of `norm` that answers a what-does-the-rule-say, yes/no or how
    question; None when no clause names what is asked about or states a fact."""
    q = unicodedata.normalize("NFKC", question)
    yes_no = bool(_YES_NO.search(q))
    keys, heads = _question_keys(q), _rule_pairs(q)
    found = clauses(norm.s)
    if not found:
        return None
    facts = _facts(norm, q)

    def has_fact(a: int, b: int) -> bool:
        return any(a <= fa < b for fa, _ in facts)

    def words(c: tuple[int, int]) -> int:
        text = norm.s[c[0]:c[1]]
        return sum(1 for k in keys if k in text) + 2 * sum(1 for h in heads if h in text)

    def stated(c: tuple[int, int]) -> bool:  # the clause states something: a rule word, or a figure
        return bool(_RULE_WORD.search(norm.s[c[0]:c[1]])) if yes_no else has_fact(*c)

    best = min(range(len(found)), key=lambda i: (-words(found[i]) - 3 * stated(found[i]), i))
    if words(found[best]) < 1:
        return None
    a, b = found[best]
    if not stated(found[best]):
        nxt = found[best + 1] if best + 1 < len(found) else None
        if yes_no or nxt is None or not stated(nxt):
            return None
        b = nxt[1]
    return norm.out(a, b) if b - a <= _MAX_CHARS else None


def number_clause(question: str, norm: Norm, a: int) -> str | None:
    """For a how-question about an amount ("房租怎么补", "补贴咋算的", not "补多少"): the whole clause
    holding the number found at `a`, which says how it is computed; None for other questions."""
    q = unicodedata.normalize("NFKC", question)
    if not _HOW.search(q) or _COUNT.search(q):
        return None
    for lo, hi in clauses(norm.s):
        if lo <= a < hi:
            return norm.out(lo, hi) if hi - lo <= _MAX_CHARS else None
    return None


_CJK_RUN = re.compile(rf"[{CJK}]{{2,}}")


def head_pairs(question: str) -> set[str]:
    """The character pairs of what a question asks about: the asked heads of a Chinese question
    (before 多少/几, after 什么, before 怎么/吗), the Chinese terms an English question quotes
    ("How many yuan is one point (点值) worth" -> 点值)."""
    q = unicodedata.normalize("NFKC", question)
    if not re.search(rf"[{CJK}]", q):
        return set()
    if re.search(r"[A-Za-z]{3,}", q) and len(re.findall(r"[A-Za-z]+", q)) > len(_CJK_RUN.findall(q)):
        words = _CJK_RUN.findall(q)  # an English question: its Chinese terms
    else:
        words = [h for h in asked_quantities(q) if len(h) >= 2]
    pairs = {w[i:i + 2] for w in words for i in range(len(w) - 1)} | _rule_pairs(q)
    return pairs - {"多少", "什么", "哪些", "阳泉", "全市", "我市", "每人", "一共", "总共"}


def head_share(question: str, text: str) -> float:
    """Share of the question's asked-about pairs (head_pairs) in `text`; 1.0 when it has none. An
    answer that names none of them ("每人每年30元补贴" for "低保节日补助每人多少钱") is about something else."""
    pairs = head_pairs(question)
    if not pairs:
        return 1.0
    flat = unicodedata.normalize("NFKC", re.sub(r"\s+", "", text))
    return sum(1 for p in pairs if p in flat) / len(pairs)
