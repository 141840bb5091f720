"""Deadline expressions: find them in a span of the analysis text and resolve them to dates.

Kinds: absolute (到2019年 → 2019-12-31), year (2017年/今年/年内 → 12-31), month (6月底前), day
(6月30日前), relative (三年内 → speech date + 3 years), open_ended (今后五年/未来五年 → + 5 years),
term (一届任期内 → the term end) and periodic (分年度, 分届次, 每年 → no single date).
Past references (2015年以来, 去年, years before the speech) set no deadline.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from .model import Deadline
from .numerals import cn_int

_N = r"[一二两三四五六七八九十\d]{1,3}"
_FORWARD_BEFORE = ("到", "至", "在", "于", "截至", "截止")

# (kind, regex); order matters where spans overlap (earlier wins).
_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("day", re.compile(r"(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号](?P<suf>前|之前|以前|止)?")),
    ("month", re.compile(r"(?:(?P<y>\d{4})年|(?P<rel>今年|明年))?(?P<m>\d{1,2}|十[一二]?|[一二三四五六七八九])月(?P<suf>底前|末前|底|末|份前|前|之前|以前)")),
    ("year_end", re.compile(r"(?P<y>\d{4})年(?:底|末|年底)(?:前|之前|以前)?")),
    ("absolute", re.compile(r"(?P<pre>到|至|在|(?<!关)于|截至)(?P<y>\d{4})年(?P<suf>前|以前|之前|底前|底|末)?")),
    ("absolute", re.compile(r"(?P<y>\d{4})年(?P<suf>前|以前|之前)")),
    ("plan", re.compile(r"(?P<pre>到|至|在)?“?十(?P<k>[一二三四五六七八九])五”?(?:规划)?(?P<suf>期间|时期|末期|末|期内|内|结束前)")),
    ("open_ended", re.compile(rf"(?P<w>今后|未来|再用|此后)(?P<n>{_N})年")),
    ("relative", re.compile(rf"(?:用)?(?P<n>{_N})(?P<u>年|个月|个季度|周|天)(?:内|之内|以内|时间|左右)")),
    ("this_year", re.compile(r"(?<![一二两三四五六七八九十\d])(?:今年(?:年)?(?:底前|底|内|末)|年底前|年内|本年度内?|今年(?![一二三四五六七八九十元\d]))")),
    ("next_year", re.compile(r"明年(?:底前|底|内|末)?")),
    ("half", re.compile(r"(?P<h>上半年|下半年|[一二三四]季度|第[一二三四]季度)(?:前|末|底)?")),
    ("season", re.compile(r"(?:(?P<y>\d{4})年)?(?P<w>秋季(?:学期)?开学|国庆(?:节)?|元旦|主?汛期?|春季(?:学期)?开学)(?:之?前)")),
    ("term", re.compile(r"(?:一届|本届|这一届|新一届)?任期(?:内|之内)|届内")),
    ("periodic", re.compile(r"分年度|按年度|每年度|每一年|每年|逐年|分届次|每届|每半年|每季度|每双月|每月|每半月|每旬|每周|定期")),
]

_RATE = re.compile(r"每[人户生名床亩辆吨家套间]$|[人户]均$")
_RATE_AFTER = re.compile(r"(?:提高|增加|补助|补贴|发放|给予|不低于|不超过|最高|最低)?[\d.]+(?:万|亿)?元")
_MONTHS_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
              "十一": 11, "十二": 12}


def add_years(d: date, n: int) -> date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February
        return d.replace(year=d.year + n, day=28)


def add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    y, m = d.year + m // 12, m % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def default_term_end(speech_date: date | None) -> date | None:
    """City and county party committees are elected in 2016, 2021, 2026 … for five years: the term
    running at the speech ends on 31 December of the next such year."""
    if speech_date is None:
        return None
    y = speech_date.year
    while (y - 2016) % 5:
        y += 1
    return date(y, 12, 31)


def _past_context(norm: str, s: int, e: int) -> bool:
    after = norm[e:e + 3]
    before = norm[max(0, s - 3):s]
    return after.startswith(("以来", "来")) or "去年" in before or "过去" in before


def find(norm: str, start: int, end: int, speech_date: date | None, term_end: date | None) -> list[Deadline]:
    """Every deadline expression inside norm[start:end], in text order, overlaps removed."""
    found: list[Deadline] = []
    taken: list[tuple[int, int]] = []
    seg = norm[start:end]
    for kind, rx in _PATTERNS:
        for m in rx.finditer(seg):
            s, e = start + m.start(), start + m.end()
            if any(s < te and ts < e for ts, te in taken):
                continue
            dl = _resolve(kind, m, norm, s, e, speech_date, term_end)
            if dl is None:
                continue
            taken.append((s, e))
            found.append(dl)
    found.sort(key=lambda d: d.start)
    return found


def _resolve(kind, m, norm, s, e, speech_date, term_end) -> Deadline | None:
    text = norm[s:e]
    sy = speech_date.year if speech_date else None
    g = m.groupdict()

    def year_ok(y: int) -> bool:
        return sy is None or y >= sy

    if kind == "day":
        before = norm[max(0, s - 2):s]
        if not g.get("suf") and not before.endswith(_FORWARD_BEFORE):
            return None
        y = int(g["y"]) if g.get("y") else sy
        if y is None:
            return None
        try:
            d = date(y, int(g["m"]), int(g["d"]))
        except ValueError:
            return None
        if speech_date and d < speech_date:
            if g.get("y"):
                return None
            d = d.replace(year=d.year + 1)
        return Deadline(text, "day", d, s, e)
    if kind == "month":
        mm = g["m"]
        month = int(mm) if mm.isdigit() else _MONTHS_CN.get(mm)
        if not month or not 1 <= month <= 12:
            return None
        if g.get("y"):
            y = int(g["y"])
        elif g.get("rel") == "明年" and sy:
            y = sy + 1
        else:
            y = sy
        if y is None or not year_ok(y):
            return None
        if g.get("suf") == "份" and norm[e:e + 1] != "前":
            return None
        d = month_end(y, month)
        if not g.get("y") and not g.get("rel") and speech_date and d < speech_date:
            d = month_end(y + 1, month)  # '6月底前' said in December: next June
        return Deadline(text, "month", d, s, e)
    if kind == "year_end":
        y = int(g["y"])
        if not year_ok(y) or _past_context(norm, s, e):
            return None
        return Deadline(text, "year", date(y, 12, 31), s, e)
    if kind == "absolute":
        y = int(g["y"])
        if not year_ok(y) or _past_context(norm, s, e):
            return None
        if g.get("pre") == "在" and not g.get("suf"):
            return None
        return Deadline(text, "absolute", date(y, 12, 31), s, e)
    if kind == "this_year":
        if "去年" in norm[max(0, s - 1):e] or sy is None:
            return None
        return Deadline(text, "year", date(sy, 12, 31), s, e)
    if kind == "next_year":
        if sy is None:
            return None
        return Deadline(text, "year", date(sy + 1, 12, 31), s, e)
    if kind == "half":
        if sy is None:
            return None
        h = g["h"].lstrip("第")
        month = {"上半年": 6, "下半年": 12, "一季度": 3, "二季度": 6, "三季度": 9, "四季度": 12}[h]
        return Deadline(text, "month", month_end(sy, month), s, e)
    if kind == "season":  # 秋季开学前 → 31 August, 国庆前 → 30 September, 元旦前 → 31 December, 汛前 → 31 May
        w = g["w"]
        md = (8, 31) if w.startswith("秋季") else (9, 30) if w.startswith("国庆") else (12, 31) if w == "元旦" \
            else (2, 28) if w.startswith("春季") else (5, 31)
        y = int(g["y"]) if g.get("y") else sy
        if y is None:
            return None
        d = date(y, *md)
        if speech_date and d < speech_date and not g.get("y"):
            d = date(y + 1, *md)
        return Deadline(text, "month", d, s, e, note="按节点推算（可调整）")
    if kind == "plan":  # 十四五期间 → 2025-12-31 (the k-th five-year plan ends in 1955 + 5k)
        k = cn_int(g["k"])
        y = 1955 + 5 * (10 + k) if k else None
        if not y or not year_ok(y):
            return None
        return Deadline(text, "absolute", date(y, 12, 31), s, e, note="五年规划期末")
    if kind == "open_ended":
        n = cn_int(g["n"])
        if not n or n > 30:
            return None
        d = add_years(speech_date, n) if speech_date else None
        return Deadline(text, "open_ended", d, s, e, note="" if d else "缺少讲话日期，无法推算")
    if kind == "relative":
        n = cn_int(g["n"])
        if not n or n > 30:
            return None
        if norm[max(0, s - 2):s] in ("今后", "未来") or _past_context(norm, s, e):
            return None
        unit = g["u"]
        d = None
        if speech_date:
            if unit == "年":
                d = add_years(speech_date, n)
            elif unit == "个月":
                d = add_months(speech_date, n)
            elif unit == "个季度":
                d = add_months(speech_date, 3 * n)
            else:
                from datetime import timedelta

                d = speech_date + timedelta(days=n * (7 if unit == "周" else 1))
        return Deadline(text, "relative", d, s, e, note="" if d else "缺少讲话日期，无法推算")
    if kind == "term":
        return Deadline(text, "term", term_end, s, e, note="任期届满日期（可配置）")
    if kind == "periodic":
        if text == "每年" and re.match(r"[\d一二三四五六七八九十两]", norm[e:e + 1] or "x"):
            return None  # 每年3次 … a frequency of a statistic
        if _RATE.search(norm[max(0, s - 3):s]) or _RATE_AFTER.match(norm, e):
            return None  # a rate, not a schedule: 每人每月500元, 每生每年600元, 每月提高20元
        return Deadline(text, "periodic", None, s, e, note="周期性安排，无单一截止日期")
    return None


_GROUP_YEAR = re.compile(r"(?:关于|围绕|在)?(?P<y>\d{4})年(?!以来|来|的|是|全市|全县|全区|,是|，是)")


def group_year(norm: str, start: int, end: int, speech_date: date | None) -> Deadline | None:
    """A year that governs the items under an intro or heading: '2017年，要…', '关于2017年组织工作',
    '2017年重点做好四项工作', '三、2024年重点工作'. Not '2017年，是…开局之年'."""
    seg = norm[start:end]
    for m in _GROUP_YEAR.finditer(seg):
        y = int(m.group("y"))
        if speech_date and y < speech_date.year:
            continue
        after = seg[m.end():m.end() + 4]
        if re.match(r"[，,]?是", after):
            continue
        s = start + m.start("y")
        e = start + m.end()
        return Deadline(norm[s:e], "year", date(y, 12, 31), s, e, inherited=True)
    return None


def pick(deadlines: list[Deadline]) -> Deadline | None:
    """The item's deadline: the first expression with a date; else the first periodic one."""
    dated = [d for d in deadlines if d.date is not None or d.kind == "term"]
    if dated:
        return dated[0]
    return deadlines[0] if deadlines else None
