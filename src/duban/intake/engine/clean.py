"""Cleaning: strip web/app boilerplate line by line, drop a repeated copy of the body, and read the
document header (title, subtitle, speaker, post, meeting, speech date, posting time)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .model import Meta, Removed


@dataclass
class Line:
    no: int  # 1-based
    start: int
    end: int  # end of the line's text, newline excluded
    text: str  # raw text of the line
    norm: str  # analysis text of the line


@dataclass
class Cleaned:
    lines: list[Line]  # kept lines of the body (blank lines dropped), in order
    removed: list[Removed]
    meta: Meta
    header_lines: list[int] = field(default_factory=list)  # line numbers read as header
    header_start: int = 0  # the document's own header (title, speaker, date), before the body
    body_start: int = 0  # first line after the header
    body_end: int = 0


def split_lines(text: str, norm: str) -> list[Line]:
    out = []
    pos = 0
    for no, m in enumerate(re.finditer(r"[^\n]*(?:\n|$)", text), start=1):
        if m.start() == len(text) and m.end() == len(text) and no > 1:
            break
        s = m.start()
        e = m.end()
        if text[s:e].endswith("\n"):
            e -= 1
        if text[s:e].endswith("\r"):
            e -= 1
        out.append(Line(no, s, e, text[s:e], norm[s:e]))
        pos = m.end()
        if pos >= len(text):
            break
    return out


# Short lines only (a body paragraph that mentions 分享 is never stripped).
_SHORT = 60
_BOILERPLATE: list[tuple[str, re.Pattern]] = [
    ("应用下载提示", re.compile(r"(打开|下载|安装|前往).{0,8}(APP|App|app|客户端)|^\d*步打开|^小贴士$|使用浏览器|Safari|"
                          r"点击右上角|在浏览器中打开|用浏览器打开|微信内打开")),
    ("扫码/分享", re.compile(r"扫一扫|扫码|二维码|分享到|分享至|^分享$|^点赞|^赞\s*\d*$|^收藏$|^举报$|^转发$|"
                         r"朋友圈|微信好友|QQ空间|新浪微博$")),
    ("相关阅读", re.compile(r"^(相关阅读|相关新闻|相关推荐|相关文章|推荐阅读|热门推荐|延伸阅读|猜你喜欢|热点推荐|"
                         r"更多精彩|查看更多|阅读更多|展开全文|阅读全文|点击查看)")),
    ("评论区", re.compile(r"条评论|来说两句|最热评论|最新评论|热门评论|人参与|发表评论|我要评论|网友评论|"
                       r"^评论\s*\d*$|写评论|^加载中|^表情$|^登录$|^注册$|^回复$|^发送$")),
    ("编辑信息", re.compile(r"^[（(\[【]?\s*(责任编辑|编辑|校对|审核|审校|责编|监制|编审|作者|记者|通讯员|"
                         r"来源|稿源|出处|原标题|图片来源|摄影)[:：\s]")),
    ("页面统计", re.compile(r"阅读(数|量|次数)?[:：]?\s*\d|浏览(次数|量)|^\d+\s*(阅读|浏览)$|^字号|"
                        r"^[【\[]?(打印|关闭|打印本页|关闭窗口|返回顶部|回到顶部)[】\]]?|^上一篇|^下一篇|^[【\[]?字体|排行榜?$")),
    ("网站导航", re.compile(r"^(当前位置|您的位置|您现在的位置|所在位置)|^首页\s*[>＞|｜/»]|[>＞»]\s*正文$|"
                        r"^[^|｜]{1,8}([|｜][^|｜]{1,10}){2,}$|^(网站首页|返回首页|无障碍|适老化|English|繁體|简体)")),
    ("公众号", re.compile(r"阅读原文|^在看$|点在看|点个在看|写留言|精选留言|留言区|收录于|^合集|继续滑动看下一个|向上滑动看下一个|"
                       r"轻触阅读|轻点两下|^知道了$|关注我们|关注公众号|点击关注|加关注|关注该公众号|点击蓝字|长按识别|"
                       r"预览时标签不可点|^原创\s|发表于|小程序|视频号")),
    ("信息公开栏目", re.compile(r"^(索引号|发文机关|发布机构|成文日期|发文日期|文号|发文字号|主题分类|主题词|有效性|信息来源|"
                          r"所属机构|公开方式|公开范围|生效日期|公开时限)[:：]")),
    ("版权信息", re.compile(r"版权所有|Copyright|©|ICP备|公网安备|免责声明|违法和不良信息")),
    ("网页代码", re.compile(r"template\s*'|\{\{|\}\}|function\s*\(|^var\s|javascript:|^<|/>$|\.(js|css)\b")),
]
_COLOPHON = re.compile(r"^(抄送|抄报|分送)[:：]|\d{4}年\d{1,2}月\d{1,2}日印发$")
_POSTED = re.compile(r"^(发布时间|发布日期|时间|日期|发表于)?[:：]?\s*(?P<d>\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)"
                     r"(\s*\d{1,2}[:：]\d{2}([:：]\d{2})?)?\s*(来源[:：].*)?$")
_SUBTITLE = re.compile(r"^[—\-－─]{1,4}\s*(?P<s>.*?(讲话|发言|报告|致辞|講話|会议上|大会上|会上|上))\s*$")
_MEETING = re.compile(r"在(?P<m>.+?)上(的(讲话|发言|报告|致辞|主持词))?$")
_POSTS = (r"书记|市长|县长|区长|州长|省长|旗长|盟长|主任|主席|部长|局长|镇长|乡长|厅长|院长|行长|委员|秘书长|"
          r"代表|负责人")
_SPEAKER = re.compile(rf"^(?P<post>[\u4e00-\u9fff（）()、]{{0,24}}?({_POSTS}))\s*[ \u3000]\s*(?P<name>[\u4e00-\u9fff·]{{2,4}})$")
_SPEAKER_NAME_FIRST = re.compile(rf"^(?P<name>[\u4e00-\u9fff·]{{2,4}})[ \u3000]+(?P<post>[\u4e00-\u9fff]{{0,20}}({_POSTS}))$")
_DATE = re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日")
_CN_DATE = re.compile(r"(?P<y>[〇零一二三四五六七八九]{4})年(?P<m>[一二三四五六七八九十]{1,3})月(?P<d>[一二三四五六七八九十]{1,3})日")
_HEADLINE = re.compile(r"^(?P<name>[\u4e00-\u9fff·]{2,4})[：:](?P<title>.+)$")


_OUTLINE_START = re.compile(r"^([一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十\d]{1,3}[）)]|第[一二三四五六七八九十]{1,3}[，、：]"
                            r"|\d{1,2}[.、．](?!\d)|[㈠-㈩①-⑳])")


def _is_boilerplate(line: Line) -> str | None:
    s = line.norm.strip()
    if _COLOPHON.search(s) and len(s) <= 300:
        return "公文版记"  # '抄送：市委办公室，市人大常委会办公室…' / '某某市人民政府办公室 2026年3月5日印发'
    if not s or len(s) > _SHORT or _OUTLINE_START.match(s):
        return None
    for reason, rx in _BOILERPLATE:
        if rx.search(s):
            return reason
    if re.fullmatch(r"[\W_•·…。.、，]+", s):
        return "无文字内容"
    return None


def _cn_digits(s: str) -> int:
    table = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    if all(c in table for c in s):
        return int("".join(str(table[c]) for c in s))
    from .numerals import cn_int

    return cn_int(s) or 0


def _find_duplicates(lines: list[Line]) -> dict[int, tuple[int, int]]:
    """Line index → (first, last) line numbers of the earlier copy it repeats. A repeat is a run of
    ≥ 2 identical non-blank lines or ≥ 100 characters, at least 40 characters in all."""
    content = [(i, ln) for i, ln in enumerate(lines) if ln.norm.strip()]
    keys = [re.sub(r"\s+", "", ln.norm) for _, ln in content]
    first_at: dict[str, list[int]] = {}
    dup: dict[int, tuple[int, int]] = {}
    j = 0
    while j < len(content):
        key = keys[j]
        best = (0, 0, -1)
        for i in first_at.get(key, [])[-4:]:
            k = 0
            while j + k < len(content) and i + k < j and keys[i + k] == keys[j + k]:
                k += 1
            chars = sum(len(keys[j + t]) for t in range(k))
            if (k, chars) > best[:2]:
                best = (k, chars, i)
        k, chars, i = best
        # a run of short lines (a flattened table's unit and deadline cells repeated row after row)
        # is no copy of the body: ≥ 40 characters
        if i >= 0 and (k >= 2 or chars >= 100) and chars >= 40:
            span = (content[i][1].no, content[i + k - 1][1].no)
            for t in range(k):
                dup[content[j + t][0]] = span
                first_at.setdefault(keys[j + t], []).append(j + t)
            j += k
            continue
        first_at.setdefault(key, []).append(j)
        j += 1
    return dup


def clean(text: str, norm: str, speech_date: date | None = None) -> Cleaned:
    lines = split_lines(text, norm)
    removed: list[Removed] = []
    meta = Meta()
    gone: set[int] = set()

    for idx, ln in enumerate(lines):
        reason = _is_boilerplate(ln)
        if reason:
            removed.append(Removed(ln.no, ln.start, ln.end, ln.text, reason, "boilerplate"))
            gone.add(idx)
    dups = _find_duplicates([ln if i not in gone else Line(ln.no, ln.start, ln.end, "", "")
                             for i, ln in enumerate(lines)])
    for idx, (a, b) in dups.items():
        ln = lines[idx]
        removed.append(Removed(ln.no, ln.start, ln.end, ln.text, f"重复的正文（与第{a}–{b}行相同）", "duplicate"))
        gone.add(idx)

    kept = [(i, ln) for i, ln in enumerate(lines) if i not in gone and ln.norm.strip()]

    # --- header --------------------------------------------------------------------------------
    header: set[int] = set()
    first_body = 0
    window = kept[:14]
    # the header ends at the first line that reads as body: a sentence, a long line, an outline
    # marker or a salutation ('同志们：', '各乡镇、各部门：')
    for p, (_, ln) in enumerate(window):
        t = ln.norm.strip()
        if (len(t) > 60 or re.search(r"[。！？；]$", t) or _OUTLINE_START.match(t)
                or (t.endswith("：") and len(t) <= 20 and not _SUBTITLE.match(t) and not _POSTED.match(t))):
            window = window[:p]
            break
    sub_pos = next((p for p, (_, ln) in enumerate(window) if _SUBTITLE.match(ln.norm.strip())), None)
    title_pos = None
    if sub_pos is not None:
        sub = window[sub_pos][1].norm.strip()
        meta.subtitle = window[sub_pos][1].text.strip()
        m = _MEETING.search(sub)
        if m:
            raw_sub = window[sub_pos][1].text.strip()
            meta.meeting = raw_sub[m.start("m"):m.end("m")] if len(raw_sub) == len(sub) else m.group("m")
        header.add(sub_pos)
        if sub_pos > 0:
            title_pos = sub_pos - 1
    for p, (_, ln) in enumerate(window):
        s = ln.norm.strip()
        if p in header:
            continue
        pm = _POSTED.match(s)
        if pm and not s.startswith(("(", "（")):
            meta.posted_at = ln.text.strip()
            header.add(p)
            continue
        sm = _SPEAKER.match(s) or _SPEAKER_NAME_FIRST.match(s)
        if sm and not meta.speaker and len(s) <= 30:
            meta.speaker, meta.post = sm.group("name"), re.sub(r"\s+", "", sm.group("post"))
            header.add(p)
            continue
        dm = _DATE.search(s) or _CN_DATE.search(s)
        if dm and len(s) <= 60 and (s.startswith(("（", "(", "——", "—")) or len(s) <= 16):
            if not meta.speech_date:
                try:
                    if dm.re is _DATE:
                        meta.speech_date = date(int(dm["y"]), int(dm["m"]), int(dm["d"]))
                    else:
                        meta.speech_date = date(_cn_digits(dm["y"]), _cn_digits(dm["m"]), _cn_digits(dm["d"]))
                    meta.date_text = ln.text.strip()
                except ValueError:
                    pass
            header.add(p)
            continue
    if meta.subtitle and not meta.speech_date:
        dm = _DATE.search(meta.subtitle.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
        if dm:
            meta.speech_date = date(int(dm["y"]), int(dm["m"]), int(dm["d"]))
            meta.date_text = meta.subtitle
    if title_pos is None:
        # the first short line without sentence punctuation, before any body paragraph
        for p, (_, ln) in enumerate(window):
            s = ln.norm.strip()
            if p in header:
                continue
            if len(s) <= 40 and not re.search(r"[。！？；]$", s) and not re.match(r"^(同志们|各位)", s):
                title_pos = p
                break
            break
    if title_pos is not None:
        hm = _HEADLINE.match(window[title_pos][1].norm.strip())
        if hm:  # a web headline '讲话人：标题' with the title itself on a later line
            later = next((p for p in range(title_pos + 1, len(window))
                          if window[p][1].norm.strip() == hm.group("title").strip()), None)
            if later is not None:
                title_pos = later
    if title_pos is not None:
        meta.title = window[title_pos][1].text.strip()
        tm = re.match(rf"^(?P<post>[\u4e00-\u9fff]{{0,12}}?({_POSTS}))?\s*(?P<name>[\u4e00-\u9fff·]{{2,4}}?)(同志)?在(?P<m>.+?)上的(讲话|发言|报告|致辞)",
                      window[title_pos][1].norm.strip())
        if tm and not meta.speaker:  # '张三同志在全市…大会上的讲话'
            meta.speaker = tm.group("name")
            meta.post = meta.post or (tm.group("post") or "")
        if tm and not meta.meeting:
            meta.meeting = tm.group("m")
        header.add(title_pos)
    # a web headline before the title ("讲话人:标题") and the page's repeated title are page metadata
    for p, (_, ln) in enumerate(window):
        if p in header:
            continue
        s = ln.norm.strip()
        hm = _HEADLINE.match(s)
        if meta.title and (s == _norm_title(meta.title) or (hm and _norm_title(meta.title) in hm.group("title"))
                           or (hm and hm.group("title") in _norm_title(meta.title))):
            if hm and not meta.speaker:
                meta.speaker = hm.group("name")
            header.add(p)
    if header:
        last = max(header)
        # only lines at the very top form the header; stop at the first body-looking line
        first_body = last + 1
        for p in range(last + 1):
            if p not in header:
                s = window[p][1].norm.strip()
                if len(s) > 40 or re.search(r"[。！？]$", s):
                    first_body = p
                    header = {h for h in header if h < p}
                    break
    for p in range(min(first_body, len(window))):
        if p not in header:  # page furniture above the document's own header
            _, ln = window[p]
            removed.append(Removed(ln.no, ln.start, ln.end, ln.text, "网页页眉", "metadata"))
    for r in removed:
        if r.kind == "boilerplate" and not meta.posted_at:
            pm = re.search(r"(发布时间|发布日期|发表时间|时间|来源|日期)?[:：]?\s*"
                           r"(\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(\s*\d{1,2}[:：]\d{2})?)", r.text)
            if pm:
                meta.posted_at = pm.group(2).strip()
    for p in sorted(header):
        _i, ln = window[p]
        kind_reason = "发布时间" if meta.posted_at and ln.text.strip() == meta.posted_at else None
        if kind_reason:
            removed.append(Removed(ln.no, ln.start, ln.end, ln.text, kind_reason, "metadata"))
        elif meta.title and ln.text.strip() != meta.title and _HEADLINE.match(ln.norm.strip()):
            removed.append(Removed(ln.no, ln.start, ln.end, ln.text, "网页标题", "metadata"))
    body = [ln for _, ln in kept[first_body:]]
    own_header = [window[p][1] for p in sorted(header)
                  if not any(r.line == window[p][1].no for r in removed)]
    if not meta.speech_date:
        # a document's date under its signature ('某某市人民政府\n2024年3月1日')
        for ln in reversed(body[-4:]):
            dm = _DATE.fullmatch(ln.norm.strip()) or _CN_DATE.fullmatch(ln.norm.strip())
            if dm:
                try:
                    meta.speech_date = (date(int(dm["y"]), int(dm["m"]), int(dm["d"])) if dm.re is _DATE else
                                        date(_cn_digits(dm["y"]), _cn_digits(dm["m"]), _cn_digits(dm["d"])))
                    meta.date_text = ln.text.strip()
                except ValueError:
                    pass
                break
    if speech_date:
        meta.speech_date = speech_date
        meta.date_text = meta.date_text or "由调用方指定"
    removed.sort(key=lambda r: r.line)
    return Cleaned(
        lines=body, removed=removed, meta=meta,
        header_lines=sorted(window[p][1].no for p in header),
        header_start=(own_header[0].start if own_header else body[0].start) if body else 0,
        body_start=body[0].start if body else 0, body_end=body[-1].end if body else 0,
    )


def _norm_title(t: str) -> str:
    from .load import normalise

    return normalise(t.strip())
