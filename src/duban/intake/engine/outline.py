"""Outline: the enumeration layers of Chinese official texts as a tree of nodes with exact spans.

Paragraph-level markers (一、 / ㈠ (一) （一） / 1. / （1） / ① / 第一，/ 首先…最后 / 一是 at a paragraph
start) are nested by order of first appearance (a marker type already open closes everything
below it). Inside each node's own paragraphs the engine then finds embedded lists (一是…二是…,
一要…二要…, 第一，…第二，…, 首先…其次…最后) with the intro that names them ("三个重点领域：",
"重点做到“四个着力”。"), decides whether a list is tasks or context (problems, past work,
definitions, reasons), and finds task sentences outside lists: directives ("各级党组织要…"), area
goals with a multi-year deadline ("今后五年，要…") and per-organisation directives ("工会组织要…；
共青团要…；").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from . import deadlines as dl
from .clean import Line
from .model import Node
from .numerals import ordinal

CN = "一二三四五六七八九十"

_PARA_MARKERS: list[tuple[str, re.Pattern]] = [
    ("part", re.compile(rf"^第(?P<n>[{CN}]{{1,3}})(部分|章|篇)")),
    ("cn_dun", re.compile(rf"^(?P<n>[{CN}]{{1,3}})[、．.]")),
    ("cn_paren", re.compile(rf"^(?:(?P<c>[㈠-㈩])|[（(](?P<n>[{CN}]{{1,3}})[）)])")),
    ("num_dot", re.compile(r"^(?P<n>\d{1,2})[、.．](?!\d)")),
    ("num_paren", re.compile(r"^[（(](?P<n>\d{1,2})[）)]")),
    ("circled", re.compile(r"^(?P<c>[①-⑳])")),
    ("di", re.compile(rf"^第(?P<n>[{CN}]{{1,3}})[，、：:]")),
    ("seq", re.compile(r"^(?P<w>首先|其次|再次|再者|最后)[，、：]")),
    ("shi", re.compile(rf"^(?P<n>[{CN}]{{1,2}})是")),
]
_BOX = re.compile(r"^专栏\s*[\d一二三四五六七八九十]+")
_SEQ_ORD = {"首先": 1, "其次": 2, "再次": 3, "再者": 3, "最后": 99}

# Inline list markers at a clause start.
_INLINE: list[tuple[str, re.Pattern]] = [
    ("shi", re.compile(rf"(?P<n>[{CN}]{{1,2}})是")),
    ("yao", re.compile(rf"(?P<n>[{CN}]{{1,2}})要(?![求素义点件闻])")),
    ("di", re.compile(rf"第(?P<n>[{CN}]{{1,2}})[，、：]")),
    ("seq", re.compile(r"(?P<w>首先|其次|再次|最后)[，、：]")),
    ("fangmian", re.compile(r"(?P<w>一方面|另一方面)[，、：]?")),
    ("num_paren", re.compile(r"[（(](?P<n>\d{1,2})[）)]")),
    ("circled", re.compile(r"(?P<c>[①-⑳])")),
]
_CLAUSE_START = set("。；：！？，“（”、\n") | {"\ufeff"}

_PROBLEM_INTRO = re.compile(r"问题|不足|差距|短板|弱项|困难|矛盾|考验|危险|隐患|症结")
_PROBLEM_MEMBER = re.compile(r"没有|未能|尚未|未[^来]|不到位|不够|不足|不理想|仍然存在|依然存在|不在少数|薄弱|滞后|"
                             r"不强|不高|欠缺|偏低|较低|不充分|不达标|不规范|不平衡|不适应|不明显|较大|突出|乏力|不严")
_PAST_INTRO = re.compile(r"去年|过去|近年来|近几年|以来|上年|一年来|五年来|上一届|回顾")
_DEF_INTRO = re.compile(r"(是|就是|包括|即|指)$|是指")  # matched on the intro without its colon
_GOAL_CUE = re.compile(r"要求是|目标是|任务是|力争|确保|争取|实现")
_RATIONALE_HEAD = re.compile(r"[，,]是.{0,40}(之义|要求|所在|手段|保障|前提|基础|关键|根本|必然|需要|意义|途径|体现|"
                             r"使命|法宝|动力|源泉|保证|方向)|认识|意义|必要性|紧迫性|重要性|形势")
_PAST_HEAD = re.compile(r"回顾|过去一年|过去五年|工作成绩|主要成绩|取得的成绩|成效")
_STOP_SENT = re.compile(r"^(这说明|由此可见|总之|综上|以上|要通过“|通过“|通过这|“[^”]{1,16}”是[：:]|同志们)")
_COUNT_NAME = re.compile(r"“?(?P<cnt>[两二三四五六七八九十]{1,2})(?P<cls>个|项|条|大|种|点|方面|件|类)(?P<rest>[的]?[\u4e00-\u9fff]{0,8})”?"
                         r"|(?P<what>[\u4e00-\u9fff]{1,6})有(?P<cnt2>[两二三四五六七八九十]{1,2})(条|点|个)")

# A directive 要 (not 重要/主要/需要/只要/要求/要素 …), and a conditional 要…，关键在.
YAO = re.compile(r"(?<![需重主只必纲概扼摘紧首机切将想])要(?![求素义点件闻害领务员犯道])")
_CONDITIONAL = re.compile(r"^要[^，。]{0,40}，(关键|必须|就要|就必须|首先|根本)")
_COGNITIVE = re.compile(r"(深刻|清醒|充分|正确|客观|辩证|冷静)?地?(认识到|看到|意识到|明白|懂得|知道|相信|记住|铭记|承认)")
ORG_SUFFIX = re.compile(
    r"(党组织|党委|党组|党工委|党总支|党支部|党小组|纪委|监委|纪委监委|政府|部门|单位|机关|组织|系统|中心组|干部|党员|"
    r"巡察组|工作组|小组|办公室|办事处|办|局|委|部|院|厅|署|站|所|中心|协会|联合会|工会|共青团|团委|团市委|妇联|残联|科协|"
    r"乡镇|街道|企业|学校|医院|班子|成员|同志|公司|集团|社区|村|室|科|股|队|团|会|社|馆|县市区|区县|县区|市县|"
    r"县（市、区）|市（州）|乡镇（街道）|镇（街道）|（街道）)$")
_NOT_SUBJECT = re.compile(r"^(我们|我|大家|你们|各位|同志们|我们大家)$")
_SUBJECT_LEAD = re.compile(r"^(同时|此外|另外|其中|特别是|尤其是|并且|而且|因此|所以|今后|下一步|当前|目前)")


@dataclass
class Para:
    start: int  # first non-blank character
    end: int
    marker_type: str = ""
    marker_end: int = 0  # end of the marker text
    n: int = 0


@dataclass
class _Open:
    node: Node
    mtype: str
    n: int
    paras: list[Para] = field(default_factory=list)


@lru_cache(maxsize=16)
def _sentence_rx(seps: str) -> re.Pattern:
    cls = re.escape(seps)
    return re.compile(rf"[^{cls}]*[{cls}][”’」）)]*|[^{cls}]+$")


def sentences(norm: str, start: int, end: int, seps: str = "。！？") -> list[tuple[int, int]]:
    """(s, e) spans; e is after the terminal punctuation and any closing quote/bracket; leading
    whitespace is left out, blank pieces are dropped."""
    out = []
    for m in _sentence_rx(seps).finditer(norm, start, end):
        a, b = m.span()
        if a == b:
            continue
        piece = norm[a:b]
        stripped = piece.lstrip()
        if stripped.strip():
            out.append((a + len(piece) - len(stripped), b))
    return out


def _para_of(line: Line) -> Para:
    lead = len(line.norm) - len(line.norm.lstrip())
    return Para(line.start + lead, line.end - (len(line.norm) - len(line.norm.rstrip())))


def _marker(norm: str, p: Para) -> tuple[str, int, int] | None:
    text = norm[p.start:p.end]
    for mtype, rx in _PARA_MARKERS:
        m = rx.match(text)
        if not m:
            continue
        g = m.groupdict()
        if g.get("w"):
            n = _SEQ_ORD[g["w"]]
        else:
            n = ordinal(g.get("c") or g.get("n") or "")
        if not n:
            continue
        return mtype, n, p.start + m.end()
    return None


def heading_end(norm: str, start: int, end: int) -> int:
    """End of a heading: the first sentence (。！？), or the paragraph if it has none."""
    nl = norm.find("\n", start, end)
    end = nl if nl >= 0 else end
    m = re.search(r"[。！？]", norm[start:end])
    return start + m.end() if m else end


def build(norm: str, lines: list[Line]) -> tuple[list[Node], list[_Open]]:
    """The paragraph-level tree: (top-level nodes with the preamble first, the numbered nodes and
    the closing in document order with their own paragraphs)."""
    paras = [_para_of(ln) for ln in lines if ln.norm.strip()]
    root = Node(kind="root", role="structure", start=0, end=0)
    stack: list[_Open] = [_Open(root, "", 0)]
    last_n: dict[tuple[int, str], int] = {}  # (id of parent node, type) → last ordinal
    last_any: dict[str, int] = {}  # type → last ordinal anywhere
    preamble = Node(kind="preamble", role="context", start=paras[0].start if paras else 0,
                    end=paras[0].start if paras else 0, context_kind="intro", title="开场白")
    opens: list[_Open] = []
    in_box = False
    seen_marker = False
    closing: _Open | None = None
    saved_stack: list[_Open] = []
    # a signature at the end ('某某县人民政府' / '2024年5月20日') belongs to the closing part
    tail = len(paras)
    while tail > 0:
        t = norm[paras[tail - 1].start:paras[tail - 1].end].strip()
        if re.fullmatch(r"[（(]?\d{4}年\d{1,2}月\d{1,2}日[）)]?|[〇零一二三四五六七八九十]{4}年[一二三四五六七八九十]{1,3}月"
                        r"[一二三四五六七八九十]{1,3}日", t) \
                or (tail < len(paras) and len(t) <= 24 and not re.search(r"[。！？，；：]", t) and ORG_SUFFIX.search(t)):
            tail -= 1
            continue
        break
    for idx, p in enumerate(paras):
        if idx >= tail and seen_marker:
            if closing is None:
                node = Node(kind="closing", role="structure", start=p.start, end=p.end, title="落款")
                closing = _Open(node, "closing", 0, [])
                root.children.append(node)
                opens.append(closing)
            closing.paras.append(Para(p.start, p.end))
            continue
        mk = _marker(norm, p)
        text = norm[p.start:p.end]
        if _BOX.match(text):
            in_box = True
        elif in_box:
            # a 专栏 box's own numbered lines ('1.交通强省工程：…') are its content, not the outline;
            # the box ends at an outer marker or the first line that is not numbered
            if mk and not any(o.mtype == mk[0] for o in stack[1:]):
                mk = None
            else:
                in_box = False
        if mk and mk[0] in _CONTINUES and mk[1] == 1 and _CONTINUES[mk[0]].search(text):
            mk = None  # '首先，…其次，…' inside one paragraph is an inline list
        if mk and closing is not None:
            # numbering goes on after a '同志们，…' paragraph: that was not the closing after all
            cont = next((i for i, o in enumerate(saved_stack) if o.mtype == mk[0]), None)
            if cont is not None and mk[1] == last_n.get((id(saved_stack[cont - 1].node), mk[0]), -9) + 1:
                closing.node.kind, closing.node.title = "paragraph", ""
                root.children.remove(closing.node)
                opens.remove(closing)
                saved_stack[-1].paras.extend(closing.paras)
                stack[:] = saved_stack
                closing = None
            elif root.children and mk[1] == 1 and mk[0] == next(
                    (o.mtype for o in opens if o.node in root.children and o.mtype != "closing"), None):
                closing = None  # a new numbered part after a closing passage
                del stack[1:]
        if mk and closing is None:
            mtype, n, mend = mk
            # position in the stack
            depth = next((i for i, o in enumerate(stack) if o.mtype == mtype), None)
            parent_idx = (depth - 1) if depth is not None else len(stack) - 1
            parent = stack[parent_idx].node
            prev = last_n.get((id(parent), mtype), 0)
            ok = (n == 1 and mtype != "seq") or n == prev + 1 or (mtype == "seq" and prev >= 1 and n == 99)
            if not ok and prev == 0 and mtype in ("num_dot", "num_paren", "circled") and n > 1 \
                    and n == last_any.get(mtype, -9) + 1 and parent_idx > 0:
                ok = True  # numbering that runs on across sections ('4.' opening the second (二))
            if ok:
                seen_marker = True
                del stack[parent_idx + 1:]
                last_n[(id(parent), mtype)] = n
                last_any[mtype] = n
                label = norm[p.start:mend].rstrip("，、：:,.．")
                node = Node(kind="section", role="structure", start=p.start, end=p.end, marker=label)
                he = heading_end(norm, mend, p.end)
                node.title = norm[mend:he].strip().rstrip("。")
                op = _Open(node, mtype, n, [Para(p.start, p.end, mtype, mend, n)])
                parent.children.append(node)
                stack.append(op)
                opens.append(op)
                continue
        if seen_marker and closing is None and re.match(r"^(同志们|各位代表|各位委员|同志们、朋友们)[，！!：]", text):
            node = Node(kind="closing", role="structure", start=p.start, end=p.end, title="结束语", marker="")
            closing = _Open(node, "closing", 0, [Para(p.start, p.end)])
            root.children.append(node)
            opens.append(closing)
            saved_stack = stack[:]
            del stack[1:]
            stack.append(closing)
            continue
        if not seen_marker:
            preamble.end = p.end
            continue
        if re.match(r"^(谢谢大家|谢谢各位|谢谢|（完）|\(完\))[！!。]?$", text):
            if closing is None:
                node = Node(kind="closing", role="structure", start=p.start, end=p.end, title="结束语")
                closing = _Open(node, "closing", 0, [Para(p.start, p.end)])
                root.children.append(node)
                opens.append(closing)
            else:
                closing.paras.append(Para(p.start, p.end))
            continue
        stack[-1].paras.append(Para(p.start, p.end))
    for op in opens:
        op.node.end = max(pp.end for pp in op.paras)
    _fix_ends(root)
    out = []
    if preamble.end > preamble.start:
        out.append(preamble)
    if not seen_marker:
        return out, []
    out.extend(root.children)
    return out, opens


def _fix_ends(node: Node) -> None:
    for c in node.children:
        _fix_ends(c)
        node.end = max(node.end, c.end)


# --- inline lists ----------------------------------------------------------------------------------
@dataclass
class InlineList:
    mtype: str
    markers: list[tuple[int, int, int]]  # (start, marker_end, n)
    members: list[tuple[int, int]] = field(default_factory=list)
    intro: tuple[int, int] | None = None
    name: str = ""
    stated: int | None = None
    kind: str = "task"  # task | problem | past_work | definition | rationale


def _at_clause_start(norm: str, i: int, lo: int) -> bool:
    return i == lo or norm[i - 1] in _CLAUSE_START or norm[i - 1].isspace() or norm[max(lo, i - 2):i] == "我们"


_CONTINUES = {"seq": re.compile(r"[。；，！？](其次|再次|最后)[，、：]"), "shi": re.compile(r"[。；，！？：]二是"),
              "di": re.compile(r"[。；！？]第二[，、：]")}


def find_lists(norm: str, lo: int, hi: int) -> list[InlineList]:
    """Embedded lists in norm[lo:hi] (one paragraph, or a node's own text)."""
    cands: list[tuple[int, int, str, int]] = []
    for mtype, rx in _INLINE:
        for m in rx.finditer(norm, lo, hi):
            if not _at_clause_start(norm, m.start(), lo):
                continue
            g = m.groupdict()
            if g.get("w"):
                n = {"首先": 1, "其次": 2, "再次": 3, "最后": 99, "一方面": 1, "另一方面": 2}[g["w"]]
            else:
                n = ordinal(g.get("c") or g["n"])
            if n:
                cands.append((m.start(), m.end(), mtype, n))
    cands.sort()
    lists: list[InlineList] = []
    used: set[int] = set()
    for idx, (s, e, mtype, n) in enumerate(cands):
        if n != 1 or s in used:
            continue
        markers = [(s, e, 1)]
        want = 2
        for s2, e2, t2, n2 in cands[idx + 1:]:
            if t2 != mtype or s2 in used:
                continue
            if n2 == want or (mtype == "seq" and n2 == 99 and want >= 2):
                markers.append((s2, e2, n2))
                want = n2 + 1
                if n2 == 99:
                    break
            elif n2 == 1:
                break  # a new list of the same type starts
        if len(markers) >= 2:
            for mk in markers:
                used.add(mk[0])
            lists.append(InlineList(mtype, markers))
    lists.sort(key=lambda x: x.markers[0][0])
    # drop lists nested inside a member of an earlier list of another type (kept as sub-lists later)
    return lists


def _sentence_start(norm: str, i: int, lo: int) -> int:
    j = i
    while j > lo and norm[j - 1] not in "。！？\n":
        j -= 1
    return j


def _classify_list(norm: str, lst: InlineList, in_context: bool) -> str:
    intro = norm[lst.intro[0]:lst.intro[1]] if lst.intro else ""
    members = [norm[a:b] for a, b in lst.members]
    neg = sum(1 for m in members if _PROBLEM_MEMBER.search(m))
    directive = sum(1 for m in members if YAO.search(m))
    if _PROBLEM_INTRO.search(intro) and not re.search(r"解决|整改|破解|着力|化解|防范|攻克|处理好", intro):
        return "problem"
    if neg * 2 > len(members) and directive * 2 < len(members):
        return "problem"
    if _PAST_INTRO.search(intro) and sum(1 for m in members if "了" in m) * 2 >= len(members) \
            and not YAO.search(intro):
        return "past_work"
    if intro and _DEF_INTRO.search(intro.rstrip("：: ")) and not YAO.search(intro):
        return "definition"
    if in_context and not YAO.search(intro):
        return "rationale"
    return "task"


def layout_lists(norm: str, lo: int, hi: int, in_context: bool) -> list[InlineList]:
    lists = find_lists(norm, lo, hi)
    # drop a list that starts inside a member of an enclosing earlier list (different marker type)
    kept: list[InlineList] = []
    for lst in lists:
        first = lst.markers[0][0]
        if any(k.markers[0][0] < first < k.markers[-1][0] and k.mtype != lst.mtype for k in kept):
            continue
        kept.append(lst)
    lists = kept
    for i, lst in enumerate(lists):
        s0 = lst.markers[0][0]
        # intro: the clause up to a colon right before the marker, or the previous sentence
        before = norm[lo:s0]
        if before.rstrip().endswith(("：", ":")):
            a = s0 - 1
            while a > lo and norm[a - 1] not in "。！？；\n":
                a -= 1
            lst.intro = (a, s0)
        else:
            b = s0
            while b > lo and norm[b - 1].isspace():
                b -= 1
            a = _sentence_start(norm, b - 1, lo) if b > lo else lo
            lst.intro = (a, b) if b > a else None
        if lst.intro:
            intro_text = norm[lst.intro[0]:lst.intro[1]]
            ms = list(_COUNT_NAME.finditer(intro_text))
            if ms:
                count = len(lst.markers)
                exact = [m for m in ms if ordinal(m.group("cnt") or m.group("cnt2") or "") == count]
                m = exact[0] if exact else ms[-1]
                lst.name = m.group(0).strip("“”")
                lst.stated = ordinal(m.group("cnt") or m.group("cnt2"))
                if m.group("what"):
                    lst.name = m.group("what")
    for i, lst in enumerate(lists):
        nxt = lists[i + 1].intro[0] if i + 1 < len(lists) and lists[i + 1].intro else (
            lists[i + 1].markers[0][0] if i + 1 < len(lists) else hi)
        limit = min(hi, nxt)
        ms = lst.markers
        for k, (s, e, n) in enumerate(ms):
            if k + 1 < len(ms):
                lst.members.append((s, ms[k + 1][0]))
            else:
                lst.members.append((s, limit))
        lst.kind = _classify_list(norm, lst, in_context)
        # the last member: one sentence for context lists; for task lists up to a stop sentence
        s, e = lst.members[-1]
        sents = sentences(norm, s, e)
        if sents:
            if lst.kind != "task":
                end = sents[0][1]
                # a member may be ；-terminated: keep to the first 。
            else:
                end = sents[0][1]
                for a, b in sents[1:]:
                    st = norm[a:b]
                    if _STOP_SENT.match(st) or (lst.name and len(lst.name) >= 3 and f"“{lst.name}”" in st) \
                            or (lst.name and lst.name in st and re.match(r"^(要)?通过", st)):
                        break
                    end = b
            lst.members[-1] = (s, end)
        # trailing whitespace out of member spans
        lst.members = [(a, b - (len(norm[a:b]) - len(norm[a:b].rstrip()))) for a, b in lst.members]
    return lists


# --- sentence-level tasks ------------------------------------------------------------------------
def subject_before(norm: str, yao: int, lo: int, known: frozenset | dict = frozenset()) -> tuple[int, int, str] | None:
    """The named subject of a 要 at `yao`: 'X要' or 'X，要' where X is an organisation phrase."""
    a = yao
    while a > lo and norm[a - 1] not in "，。；：！？“”\n":
        a -= 1
    seg = norm[a:yao]
    if not seg.strip():
        # 'X，要…': the previous clause is the subject
        if a - 1 > lo and norm[a - 1] == "，":
            b = a - 1
            a2 = b
            while a2 > lo and norm[a2 - 1] not in "，。；：！？\n":
                a2 -= 1
            seg2 = norm[a2:b]
            if _org_phrase(seg2) or seg2 in known:
                return a2, b, seg2
        return None
    seg_clean = re.sub(r"(进一步|切实|真正|更加|更要|还要|也|都|必须|一定|应|应当|务必|首先|重点|就|既|更|还|要)+$", "", seg)
    m = _SUBJECT_LEAD.match(seg_clean)
    off = m.end() if m else 0
    phrase = seg_clean[off:]
    if _org_phrase(phrase) or phrase in known:
        return a + off, a + off + len(phrase), phrase
    return None


def _org_phrase(seg: str) -> bool:
    seg = seg.strip()
    if not 2 <= len(seg) <= 24 or _NOT_SUBJECT.match(seg):
        return False
    if re.search(r"[是在对把将从为了的]$", seg) or re.search(r"[，。；：！？]", seg):
        return False
    # a verb makes it a clause, unless inside a relative clause ending in an org noun ('已经接受巡察的单位')
    if re.search(r"(是|有|在|对|把|将|通过|围绕|按照|根据|结合|为了|作为)", seg) \
            and not re.search(r"的[\u4e00-\u9fff]{1,6}$", seg):
        return False
    return bool(ORG_SUFFIX.search(seg))


def directive_yao(norm: str, s: int, e: int) -> int | None:
    """Position of the first directive 要 in a sentence, or None."""
    st = norm[s:e]
    if _CONDITIONAL.match(st):
        return None
    for m in YAO.finditer(st):
        i = m.start()
        if _COGNITIVE.match(st, i + 1):
            continue  # '我们要清醒地看到…' states a view, not a task
        # '要在…上' inside a heading-like clause is still a directive; '重点要' fine; '不要' is a directive too
        return s + i
    return None


def directive_start(norm: str, s: int, yao: int) -> int:
    """Trim a directive sentence to the clause that carries the 要, keeping a preceding subject
    clause or deadline clause ('到2019年，我们要…', '全市各级党组织…，要…')."""
    a = yao
    while a > s and norm[a - 1] not in "，；：":
        a -= 1
    while a > s:
        b = a - 1  # the comma
        c = b
        while c > s and norm[c - 1] not in "，；：":
            c -= 1
        clause = norm[c:b]
        if _org_phrase(clause) or (dl.find(norm, c, b, None, None) and len(clause) <= 12):
            a = c
            continue
        break
    return a


def is_group_intro(norm: str, s: int, e: int) -> bool:
    st = norm[s:e]
    return bool(re.search(r"[两二三四五六七八九十]{1,2}(个|项|条|大|种|点|方面)[\u4e00-\u9fff“”]{0,10}[。：]?$", st.rstrip("。：: ")
                          + "。")) and len(st) < 80
