"""English renderings of short answers, for English questions: only where it can be done exactly —
dates and periods, numbers with their units, durations and frequencies converted deterministically;
posts, units and terms through the bilingual lexicon (qa/lexicon/bilingual.yaml); 文号 and names kept
as printed. The Chinese original always follows in brackets, so the answer stays checkable against
its quote: "the Mayor (市长)", "June to mid-September 2022 (2022年6月-9月中旬)"."""

from __future__ import annotations

import re
from functools import cache

from ..lexicon import bilingual
from ..text import CJK_RE, nfkc
from .people import is_name, split_top

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
_PART = {"上旬": "early", "中旬": "mid", "下旬": "late", "初": "early", "底": "end of", "末": "end of"}
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_DATE = re.compile(r"(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?:(?P<d>\d{1,2})\s*日|(?P<part>上旬|中旬|下旬|初|底|末))?"
                   r"|(?P<yo>\d{4})\s*年(?P<ypart>底|末|初)?")
_RANGE = re.compile(r"\s*(?:-|—|－|～|~|至|到)+\s*")
_COUNTERS = {"个": "", "家": "", "项": "", "件": "", "名": "", "所": "", "座": "", "条": "", "批": "", "处": "",
             "人": "people", "户": "households", "辆": "vehicles", "吨": "tonnes", "亩": "mu",
             "平方米": "m²", "平方公里": "km²", "公里": "km", "千米": "km", "米": "m", "千瓦时": "kWh",
             "千瓦": "kW", "次": "times", "天": "days", "年": "years", "小时": "hours", "分钟": "minutes", "个月": "months",
             "个工作日": "working days",
             "日": "days", "周": "weeks", "元": "yuan"}
_SCALE = {"万": 1e4, "亿": 1e8, "千": 1e3}
_NUMBER = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<scale>万|亿|千(?![瓦米]))?\s*(?P<unit>元/千瓦时|元/平方米|元/吨|元|%|％|"
                     r"个工作日|个月|小时|分钟|平方公里|平方米|公里|千米|千瓦时|千瓦|[个家项件名所座条批处人户辆吨亩天年次周日米])?"
                     r"\s*(?P<within>及以下|及以上|以内|之内|内|以上|以下|左右)?")
_EVERY = {"每日": "a day", "每天": "a day", "每周": "a week", "每月": "a month", "每年": "a year", "每季度": "a quarter"}


def render(short: str) -> str | None:
    """The English rendering of a Chinese short answer with the original in brackets, or None when
    no part of it can be rendered exactly (the Chinese short answer is then kept as it is)."""
    original = short.strip()
    if not original or not CJK_RE.search(original):
        return None
    pairs = [(_line(nfkc(line).strip()), line.strip()) for line in original.split("\n")]
    if all(rendered is None for rendered, _ in pairs):
        return None
    return "\n".join(f"{rendered} ({line})" if rendered else line for rendered, line in pairs)


def _line(text: str) -> str | None:
    valid = re.fullmatch(r"(?:有效期|执行期限|实施期限)(?:暂定)?(?:为|至)?(.+)", text)
    if valid:  # "有效期为两年" -> "valid for 2 years"
        inner = _line(valid.group(1))
        return f"valid for {inner}" if inner and not inner.startswith("from") else (f"valid {inner}" if inner else None)
    force = re.fullmatch(r"(.+?)(?:起)?(?:正式|开始)?(?:施行|实施|执行|生效)", text)
    if force and not force.group(1).endswith("之日"):  # "自2021年2月1日起施行" -> "in force from 1 February 2021"
        inner = _line("自" + re.sub(r"^(?:自|于|从)", "", force.group(1)))
        if inner:
            return f"in force {inner}" if inner.startswith(("from", "30", "within")) or "after" in inner else f"in force from {inner}"
    for part in (_period, _monthly, _since, _duration, _frequency, _amount, _term, _persons, _labelled, _phrase,
                 _listed_body, _stage, _appointments):
        found = part(text)
        if found:
            return found
    return None


_SINCE = {"印发": "issue", "发布": "publication", "公布": "promulgation", "颁布": "promulgation", "施行": "entry into force"}


def _since(text: str) -> str | None:
    """"自印发之日起" -> "from the date of issue"; "公布之日起三十日后" -> "30 days after promulgation"."""
    m = re.fullmatch(r"自?(印发|发布|公布|颁布|施行)之日(起)?(?:([一二三四五六七八九十\d]+)日后)?", text)
    if not m:
        return None
    if m.group(3):
        return f"{_count(m.group(3))} days after {_SINCE[m.group(1)]}"
    return f"from the date of {_SINCE[m.group(1)]}"


def _count(text: str) -> int:
    """"三十" -> 30, "两" -> 2, "15" -> 15."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0)
    return _CN_DIGITS[text]


def _date(m: re.Match, year: str | None = None) -> tuple[str, str | None]:
    """"2022年6月" -> ("June 2022", "2022"); "9月中旬" -> ("mid-September", None)."""
    if m.group("yo"):
        part = m.group("ypart")
        return (f"{'end of ' if part in ('底', '末') else 'early ' if part == '初' else ''}{m.group('yo')}",
                m.group("yo"))
    y = m.group("y")
    month = MONTHS[int(m.group("m")) - 1] if 1 <= int(m.group("m")) <= 12 else None
    if month is None:
        raise ValueError("not a month")
    if m.group("d"):
        core = f"{int(m.group('d'))} {month}"
    elif m.group("part"):
        word = _PART[m.group("part")]
        core = f"{word} {month}" if word == "end of" else f"{word}-{month}"
    else:
        core = month
    return (f"{core} {y}" if y else core), y


def _period(text: str) -> str | None:
    """Dates and periods: "2021年1月1日" -> "1 January 2021"; "2022年6月-9月中旬" -> "June to
    mid-September 2022"; "2021年1月1日起" -> "from 1 January 2021"."""
    body = re.sub(r"^(?:自|从|于)", "", text)
    body, tail = re.subn(r"(?:起|以来)$", "", body)
    before = body.endswith(("前", "之前", "以前"))
    body = re.sub(r"(?:之前|以前|前)$", "", body)
    parts = _RANGE.split(body)
    if not 1 <= len(parts) <= 2 or not all(_DATE.fullmatch(p) for p in parts):
        return None
    try:
        rendered = [_date(_DATE.fullmatch(p)) for p in parts]
    except ValueError:
        return None
    if len(rendered) == 2:
        (a, ya), (b, yb) = rendered
        if ya and not yb and not b[-4:].isdigit():
            a, b = a.removesuffix(f" {ya}"), f"{b} {ya}"  # "June to mid-September 2022"
        out = f"{a} to {b}"
    else:
        out = rendered[0][0]
    if before:
        return f"by {out}"
    return f"from {out}" if tail else out


def _number(m: re.Match) -> str | None:
    n = float(m.group("n")) * _SCALE.get(m.group("scale") or "", 1)
    figure = f"{n:,.0f}" if n == int(n) and n >= 1000 else (f"{n:g}" if n < 1e6 else f"{n:,.0f}")
    if n >= 1e6 and n % 1e6 == 0 or n >= 1e8 and n % 1e8 == 0:
        figure = f"{n / 1e8:g} hundred million" if n >= 1e8 and n % 1e8 == 0 else f"{n / 1e6:g} million"
    unit = m.group("unit") or ""
    if unit in ("%", "％"):
        return f"{figure}%"
    if unit.startswith("元/"):
        per = {"千瓦时": "kWh", "平方米": "m²", "吨": "tonne"}[unit[2:]]
        return f"{figure} yuan/{per}"
    word = _COUNTERS.get(unit)
    if word is None:
        return None
    if word in ("days", "years", "hours", "minutes", "months", "working days", "weeks", "times") and n == 1:
        word = word.removesuffix("s")
    return f"{figure} {word}".strip()


def _amount(text: str) -> str | None:
    """A number with its unit, or a ratio: "600万元" -> "6 million yuan", "5:2:3" stays, "两年" -> "2 years"."""
    small = re.fullmatch(r"([一二两三四五六七八九十]{1,3})(年|个月|天|小时|个工作日|周)(内)?", text)
    if small:
        text = f"{_count(small.group(1))}{small.group(2)}{small.group(3) or ''}"
        return _duration(text) or _amount(text)
    if re.fullmatch(r"\d+(?:\.\d+)?(?:[:：∶]\d+(?:\.\d+)?)+", text):
        return text.replace("：", ":").replace("∶", ":")
    m = _NUMBER.fullmatch(text)
    if not m or m.group("within"):
        return None
    return _number(m)


_COMPARE = (("不得低于", "at least"), ("不低于", "at least"), ("不少于", "at least"), ("至少", "at least"),
            ("不超过", "at most"), ("不高于", "at most"), ("最高", "up to"), ("最多", "up to"), ("约", "about"))
_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:万|亿|千)?\s*(?:元/千瓦时|元/平方米|元/吨|吨/日|元|%|％|倍|个工作日|个月|小时|平方公里|"
                     r"平方米|公里|千米|千瓦时|[个家项件名所座条批处人户辆吨亩天年次周日米])?(?:以内|之内|内|以上|以下|左右)?")


def _monthly(text: str) -> str | None:
    """"每月10日前" -> "by the 10th of each month"."""
    m = re.fullmatch(r"(?:于|在)?每月(\d{1,2})日(前|之前|以前)?", text)
    if not m:
        return None
    n = int(m.group(1))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{'by' if m.group(2) else 'on'} the {n}{suffix} of each month"


def _phrase(text: str) -> str | None:
    """A figure inside a few words: "累计达1500座" -> "1,500"; "不得低于4.5倍" -> "at least 4.5 times";
    "0.35元/千瓦时，5:2:3" -> "0.35 yuan/kWh; 5:2:3"."""
    parts = [p for p in re.split(r"[，,；;、]", text) if p]
    if len(parts) > 1:
        out = [_line(p) for p in parts]
        return "; ".join(out) if all(out) else None
    found = list(_FIGURE.finditer(text))
    found = [m for m in found if re.search(r"\d", m.group(0))]
    if len(found) != 1 or len(text) > len(found[0].group(0)) + 8 or text[found[0].start() - 1:found[0].start()] == "月":
        return None  # "每月10日" is a day of the month, not ten days
    m = found[0]
    figure = m.group(0)
    if figure.endswith("倍"):
        rendered = f"{figure[:-1]} times"
    elif figure.endswith("吨/日"):
        rendered = f"{figure[:-3]} tonnes a day"
    else:
        rendered = _duration(figure) or _amount(figure)
    if rendered is None:
        return None
    before = text[:m.start()]
    word = next((w for key, w in _COMPARE if key in before), None)
    return f"{word} {rendered}" if word and not rendered.startswith(("at ", "within", "up to", "about")) else rendered


_EVENT = {"开工": "construction starts", "施工": "work starts", "竣工": "completion", "验收": "acceptance",
          "申请": "the application", "受理": "acceptance of the application", "发生": "it occurs",
          "结束": "the end", "到期": "expiry", "届满": "expiry", "期满": "expiry"}


def _duration(text: str) -> str | None:
    """"1小时内" -> "within 1 hour"; "3个月内" -> "within 3 months"; "7个工作日内" -> "within 7 working days";
    "开工前一个月" -> "1 month before construction starts"; "发生后30分钟内" -> "within 30 minutes after it occurs"."""
    event = re.fullmatch(r"[\u4e00-\u9fff]{0,4}?(开工|施工|竣工|验收|申请|受理|发生|结束|到期|届满|期满)([前后])(.+)", text)
    if event:
        span = _amount(event.group(3)) or _duration(event.group(3))
        if not span:
            return None
        side = "before" if event.group(2) == "前" else "after"
        return f"{span} {side} {_EVENT[event.group(1)]}"
    m = _NUMBER.fullmatch(text)
    if not m or not m.group("within") or not m.group("unit"):
        return None
    if m.group("unit") == "年" and 1900 <= float(m.group("n")) <= 2100:  # "2020年内" is a year, not 2,020 years
        return f"within {m.group('n')}" if m.group("within") in ("内", "以内", "之内") else None
    figure = _number(m)
    if figure is None:
        return None
    word = {"以内": "within", "之内": "within", "内": "within", "以上": "at least", "以下": "at most",
            "及以下": "at most", "及以上": "at least", "左右": "about"}[m.group("within")]
    return f"{word} {figure}"


def _frequency(text: str) -> str | None:
    """"每周召开1次" -> "once a week"; "每日至少2次" -> "at least twice a day"."""
    m = re.fullmatch(r"(每日|每天|每周|每月|每年|每季度)[\u4e00-\u9fff]{0,4}?(至少|不少于)?(\d+)次", text)
    if not m:
        return None
    n = int(m.group(3))
    times = {1: "once", 2: "twice"}.get(n, f"{n} times")
    return f"{'at least ' if m.group(2) else ''}{times} {_EVERY[m.group(1)]}"


@cache
def _names() -> dict[str, str]:
    """Chinese term -> its preferred English name, over every section of the lexicon; units and
    posts with "the" ("the Mayor", "the Municipal Housing … Bureau")."""
    out = {}
    for section, entries in bilingual().items():
        for zh, names in entries.items():
            name = names[0]
            out[zh] = f"the {name}" if section in ("units", "posts") and not name.startswith("the ") else name
    return out


ROLE_LABELS = {"办公室": "Office", "工作专班主任": "Working team head", "工作专班组长": "Working team head", "牵头单位": "Lead unit", "成员单位": "Member unit", "施行": "In force",
               "有效期": "Valid for", "废止": "Repeals", "阶段": "Stage", "期限": "Deadline"}


def _term(text: str) -> str | None:
    """A post, unit or term the lexicon knows: "市长" -> "the Mayor"; "所有副市长" -> "all Vice Mayors";
    a unit and its post: "市卫健委副主任" -> "the Deputy Director of the Municipal Health Commission"."""
    text = text.strip("。；，")
    names = _names()
    name = names.get(text) or names.get(re.sub(r"^阳泉市", "市", text))
    if name is None and text.startswith("所有") and text[2:] in names:
        return f"all {names[text[2:]].removeprefix('the ')}s"
    if name is None and text.startswith(("分管", "主管")) and text[2:] in names:  # "分管副市长"
        return f"{names[text[2:]]} in charge"
    if name is None and text.startswith(("市政府分管", "市政府主管")) and text[5:] in names:
        return f"{names[text[5:]]} in charge"
    if name is None:
        name = _unit_post(re.sub(r"^阳泉市", "市", text))
    return name


def _unit_post(text: str) -> str | None:
    """"市卫健委副主任" -> "the Deputy Director of the Municipal Health Commission" (the longest unit
    the lexicon knows, then a post it knows)."""
    names, units = _names(), _units()
    for cut in range(len(text) - 1, 1, -1):
        unit, post = text[:cut], text[cut:]
        if unit in units and post in names and post not in units:
            return f"{names[post]} of {names[unit]}"
        if unit in units and post.startswith("分管") and post[2:] in names:  # "市住建局分管副局长"
            return f"{names[post[2:]]} in charge at {names[unit]}"
    return None


@cache
def _units() -> frozenset[str]:
    return frozenset(bilingual().get("units", {}))


_NAME_POST = re.compile(r"^([\u4e00-\u9fff]{2,3})[（(]([^)）]+)[)）]$")


def _person(text: str) -> str | None:
    """"黄海涛（市委常委、副市长）" -> "黄海涛, Member of …, Vice Mayor"; a name alone has no rendering."""
    m = _NAME_POST.match(text)
    if not m:
        return None
    posts = [_term(p) for p in re.split(r"[、，,]", m.group(2)) if p not in ("兼",)]
    if not posts or any(p is None for p in posts):
        return None
    return f"{m.group(1)}, {', '.join(p.removeprefix('the ') for p in posts)}"


def _persons(text: str) -> str | None:
    """People listed with 、: each rendered ("雷健坤（市长）、尹亮（市卫健委副主任）"), names kept as they are."""
    people = [p for p in split_top(text) if p]
    if len(people) < 2 and not _NAME_POST.match(text):
        return None
    out = []
    for person in people:
        rendered = _person(person) or (person if _is_name(person) else None)
        if rendered is None:
            return None
        out.append(rendered)
    return "; ".join(out) if any(o != p for o, p in zip(out, people)) else None


_APPOINTED = re.compile(r"(?:([\u4e00-\u9fff]{2,4})[：:])?(\d{4})年(\d{1,2})月(\d{1,2})日[（(]([^)）]+)[)）]"
                        r"(任命为|聘任为|免去|解聘)(.+)")
_VERB = {"任命为": "appointed", "聘任为": "engaged as", "免去": "removed as", "解聘": "dismissed as"}


def _appointments(text: str) -> str | None:
    """Appointment records: "康建光：2021年2月4日（阳政任字〔2021〕2号）任命为阳泉市政务服务中心主任" ->
    "康建光 was appointed the Director of the Municipal Government Affairs Service Center on 4 February
    2021 (阳政任字〔2021〕2号)"; several records separated by "；"."""
    out = []
    for part in re.split(r"[；;]", text):
        m = _APPOINTED.fullmatch(part.strip())
        if not m or not 1 <= int(m.group(3)) <= 12:
            return None
        name, y, mo, d, number, verb, post = m.groups()
        title = _term(post)
        if title is None:
            return None
        what = f"{_VERB[verb]} {title.removeprefix('the ') if verb != '任命为' else title}"
        out.append(f"{f'{name} was {what}' if name else what[0].upper() + what[1:]} "
                   f"on {int(d)} {MONTHS[int(mo) - 1]} {y} ({number})")
    return "; ".join(out) or None


def _stage(text: str) -> str | None:
    """A stage and its dates: "核查验收阶段：2020年11月1日至11月30日" -> "1 November to 30 November 2020"
    (the stage's Chinese name stays in the bracketed original)."""
    m = re.fullmatch(r"[\u4e00-\u9fff“”]{2,12}(?:[：:][\u4e00-\u9fff]{2,8})?[：:](.+)", text)
    return _period(m.group(1)) if m else None


def _listed_body(text: str) -> str | None:
    """A line of a list of bodies: "市防汛抗旱指挥部（2022）办公室主任：…" -> "市防汛抗旱指挥部 (2022) — Office Director: …"."""
    m = re.fullmatch(r"(.+?)[（(](\d{4})[)）](.+)", text)
    if not m:
        return None
    rest = _labelled(m.group(3))
    return f"{m.group(1)} ({m.group(2)}) — {rest}" if rest else None


def _labelled(text: str) -> str | None:
    """"组长：市长；办公室主任：市住建局局长" -> each part rendered, when every part can be."""
    parts = [p for p in re.split(r"[；;]", text) if p]
    out = []
    for part in parts:
        m = re.fullmatch(r"([^：:]{1,8})[：:](.+)", part)
        if not m:
            return None
        label = ROLE_LABELS.get(m.group(1)) or _names().get(m.group(1))
        value = _line_value(m.group(2))
        if value is None and (_is_name(m.group(2)) or not CJK_RE.search(m.group(2))):
            value = m.group(2)  # a name, or a 文号, is the same in English
        if label is None or value is None:
            return None
        out.append(f"{label.removeprefix('the ')}: {value}")
    return "; ".join(out) if len(out) > 1 or (out and len(parts) == 1) else None


def _is_name(text: str) -> bool:
    return all(is_name(n) for n in re.split(r"[、，,]", re.sub(r"[（(][^)）]*[)）]", "", text)))


def _line_value(text: str) -> str | None:
    for part in (_period, _since, _duration, _frequency, _amount, _term, _persons, _person, _phrase):
        found = part(text)
        if found:
            return found
    return None
