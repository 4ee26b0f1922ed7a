"""What a refusal says, in the question's language."""

from __future__ import annotations

from collections.abc import Sequence

from .refusal import Refusal


def refusal_text(refusal: Refusal, english: bool, suggestions: Sequence[str] = (),
                 years: Sequence[int] = (), source: str = "gazettes", asked_years: Sequence[int] = ()) -> str:
    """e.g. "公报收录的是2020–2022年的文件，没有2023年的内容。最接近的文件：…". `source`: "gazettes",
    or "passages" for passages given to `qa read`."""
    if source == "passages":
        return ("The given passages do not answer this question." if english else
                "给定的段落中没有找到能回答这个问题的内容。")
    covered = (f"{min(years)}–{max(years)}" if min(years) != max(years) else str(years[0])) if years else ""
    if refusal.rule == "year" and covered:
        text = (f"The gazettes cover {covered}; nothing from {refusal.detail}." if english else
                f"公报收录的是{covered}年的文件，没有{refusal.detail}年的内容。")
    elif refusal.rule in ("specifics", "named") and refusal.detail:
        text = (f"The gazettes say nothing about “{refusal.detail}” in this context." if english else
                f"公报中没有找到与“{refusal.detail}”有关的内容。")
    elif refusal.rule == "year_conflict" and refusal.detail:
        text = (f"The passages that come closest are about {refusal.detail}, not the year asked." if english else
                f"最接近的内容讲的是{refusal.detail}年的情况，不是所问的年份。")
    elif refusal.rule == "ordinal_conflict" and refusal.detail:
        text = (f"The closest passages are about the {refusal.detail} (as the gazettes number it), not the one asked."
                if english else f"最接近的内容讲的是{refusal.detail}，不是所问的那一次（届、批）。")
    elif refusal.rule == "relative_only" and refusal.detail:
        text = (f"The closest passages give changes relative to the {refusal.detail}, not the {refusal.detail} itself."
                if english else f"最接近的内容只给出在{refusal.detail}基础上的调整，没有{refusal.detail}本身。")
    elif refusal.rule == "kind_missing" and "|" in refusal.detail:
        zh, en = refusal.detail.split("|", 1)
        text = (f"The closest passages name no {en} that answers this." if english else
                f"最接近的内容中没有点出具体的{zh}。")
    elif refusal.rule == "post_missing" and "|" in refusal.detail:
        body, post = refusal.detail.split("|", 1)
        text = (f"The gazettes list the members of {body}, but no {post}." if english else
                f"公报列出了{body}的组成人员，但其中没有{post}。")
    elif refusal.rule == "filters":
        docs = ("; " if english else "；").join(refusal.documents)
        text = (f"The filters ({refusal.detail}) exclude the documents that answer this question best: {docs}." if english
                else f"筛选条件（{refusal.detail}）排除了更相关的文件：{docs}。")
    else:
        text = ("The gazettes do not contain an answer to this question." if english else
                "公报中没有找到能回答这个问题的内容。")
    outside = [y for y in asked_years if years and not min(years) <= y <= max(years)]
    if outside and refusal.rule != "year":
        text += (f" The gazettes here cover {covered}." if english else f"公报收录的是{covered}年的文件。")
    if suggestions:
        text += (" Closest documents: " if english else "最接近的文件：") + ("; " if english else "；").join(suggestions)
    return text
