"""Extraction: turn the outline into task items with titles, deadlines, targets and units."""

from __future__ import annotations

import bisect
import re
from datetime import date

from . import deadlines as dl
from . import genre
from . import outline as ol
from .model import Deadline, Node, Target, UnitRef
from .numerals import cn_int
from .units import UnitMatcher

_STANDING = re.compile(r"保障措施|保障机制|组织保障|工作保障|工作要求|组织实施|实施保障")
_FORWARD_KINDS = {"absolute", "relative", "open_ended", "term", "day", "month"}


class Extractor:
    def __init__(self, text: str, norm: str, speech_date: date | None, term_end: date | None,
                 matcher: UnitMatcher):
        self.text, self.norm = text, norm
        self.speech_date, self.term_end = speech_date, term_end
        self.matcher = matcher
        self._group_intro: dict[int, tuple[int, int]] = {}  # id(group node) → its intro span
        self._scope_cache: dict[int, list[tuple[int, int]]] = {}
        self.warnings: list[str] = []
        self.annual: tuple[int, int, int] | None = None  # the year in an annual work list's title (span, year)

    # --- structure -----------------------------------------------------------------------------
    def decompose(self, roots: list[Node], opens) -> None:
        parents: dict[int, Node | None] = {}

        def index(n: Node, parent: Node | None):
            parents[id(n)] = parent
            for c in n.children:
                index(c, n)

        for r in roots:
            index(r, None)
        self._ctx: dict[int, bool] = {}
        self._mtype = {id(op.node): op.mtype for op in opens}
        for op in opens:
            node = op.node
            node.title = self._raw(node.title, node.start) if node.kind != "closing" else node.title
            parent = parents.get(id(node))
            in_context = bool(ol._RATIONALE_HEAD.search(self.norm[node.start:ol.heading_end(self.norm, node.start, node.end)])
                              or ol._PAST_HEAD.search(node.title)) if node.kind != "closing" else False
            if parent is not None and self._ctx.get(id(parent)):
                in_context = True
            self._ctx[id(node)] = in_context
            if ol._PAST_HEAD.search(node.title):
                node.context_kind = "past_work"
            elif in_context:
                node.context_kind = "rationale"
            leaf = not node.children
            if leaf and not in_context and node.kind != "closing" and self._paragraph_items(node, op):
                continue
            excluded: list[tuple[int, int]] = []
            task_lists = 0
            for p in op.paras:
                lo = p.marker_end if p.marker_type else p.start
                if p.marker_type:
                    he = ol.heading_end(self.norm, lo, p.end)
                    excluded.append((p.start, he))
                    lo_lists = he if he < p.end else lo
                else:
                    lo_lists = lo
                for lst in ol.layout_lists(self.norm, lo_lists, p.end, in_context):
                    g = self._list_node(node, lst)
                    node.children.append(g)
                    if lst.intro:
                        excluded.append(lst.intro)
                    excluded.append((lst.members[0][0], lst.members[-1][1]))
                    if g.role == "structure":
                        task_lists += 1
            # sentences outside lists
            excluded = _merge_intervals(excluded)
            extra: list[Node] = []
            goals_here = not leaf or task_lists > 0 or node.kind == "closing"
            # a leaf whose heading paragraph is only a heading, followed by ≥ 2 body paragraphs:
            # every body paragraph is an item
            if leaf and not in_context and not task_lists and node.kind != "closing" and len(op.paras) >= 3:
                hp = op.paras[0]
                parens = [genre.trailing_paren(self.norm, p.start, p.end) is not None for p in op.paras[1:]]
                one_item = parens[-1] and not any(parens[:-1])  # '（…按职责分工负责）' closes the whole item
                if ol.heading_end(self.norm, hp.marker_end, hp.end) >= hp.end - 1 and not one_item:
                    for p in op.paras[1:]:
                        if not _ACTION.search(self.norm[p.start:p.end]):
                            continue
                        extra.append(Node(kind="paragraph", role="task", start=p.start, end=p.end,
                                          title=self._title(p.start, p.end)))
                    node.children.extend(extra)
                    node.role, node.kind = "structure", "area"
                    continue
            org_clauses: list[Node] = []
            for p in op.paras:
                for s, e in ol.sentences(self.norm, p.start, p.end):
                    if _overlaps(excluded, s, e):
                        continue
                    extra.extend(self._sentence_tasks(s, e, in_context, goals_here, org_clauses))
            # a leaf made only of '<organisation>要…' clauses splits into them (群团 style)
            split_leaf = (leaf and not in_context and not task_lists and len(org_clauses) >= 2
                          and not self._other_directives(op, excluded, org_clauses))
            if split_leaf or goals_here:
                extra.extend(org_clauses)
            node.children.extend(extra)
            node.children.sort(key=lambda c: c.start)
            has_tasks = any(c.role in ("task", "structure") for c in node.children)
            intro_kind = self._sibling_intro_kind(node, parent, op) if leaf and not has_tasks and not in_context else ""
            if node.kind == "closing":
                node.role = "structure"
            elif in_context:
                node.role = "structure" if has_tasks else "context"
                if node.role == "context":
                    node.context_kind = node.context_kind or "rationale"
                node.kind = "point" if leaf else "section"
            elif intro_kind:
                node.role, node.kind, node.context_kind = "context", "point", intro_kind
            elif leaf and not has_tasks and _is_problem(self.norm[node.start:node.end]):
                node.role, node.kind, node.context_kind = "context", "point", "problem"
            elif leaf and not has_tasks and _is_info(self.norm, node, ol.heading_end(self.norm, node.start, node.end)):
                node.role, node.kind, node.context_kind = "context", "point", "info"  # '考评对象：各县市区、市直各部门。'
            elif leaf and not has_tasks:
                node.role, node.kind = "task", "item"
            else:
                node.role = "structure"
                node.kind = "area" if leaf or parent is not None else "section"

    def _paragraph_items(self, node: Node, op) -> bool:
        """Paragraph-led items (政府工作报告 style): under a numbered area, each body paragraph that
        opens with a short lead sentence ('深入实施提振消费专项行动。…') is one item; a paragraph
        without one continues the item before it; a 专栏 box is context up to the next lead."""
        if self._mtype.get(id(node)) not in ("part", "cn_dun", "cn_paren") or len(op.paras) < 3:
            return False
        body = op.paras[1:]
        leads = [_lead_para(self.norm, p.start, p.end) for p in body]
        if sum(leads) < 2 or not leads[0]:
            return False  # items start with the first body paragraph
        current: Node | None = None
        for p, lead in zip(body, leads):
            text = self.norm[p.start:p.end]
            if re.match(r"^专栏\s*[\d一二三四五六七八九十]*", text):
                current = Node(kind="context", role="context", start=p.start, end=p.end, context_kind="box",
                               title=self.text[p.start:p.end].strip()[:40])
            elif lead:
                current = Node(kind="paragraph", role="task", start=p.start, end=p.end,
                               title=self._title(p.start, p.end))
            elif current is not None:
                current.end = p.end
                continue
            else:
                continue
            node.children.append(current)
        node.role, node.kind = "structure", "area"
        return True

    def refine(self, roots: list[Node]) -> None:
        """Second pass: sub-tasks of items ('深入推进“三项改革”。改革…；改革…；改革…。') and named inline
        lists ('长期执政、改革开放、市场经济和外部环境“四大考验”', '“五个坚持”(坚持…、坚持…)'), which are
        context."""
        for node in [n for r in roots for n in r.walk()]:
            if node.role == "task" and not node.children:
                self._subtasks(node)
        for r in roots:
            for a, b, kind, name, members in _named_inline_lists(self.norm, r.start, r.end):
                host = _deepest(r, a, b)
                if host is None or any(c.start <= a < c.end and c.kind in ("member", "subitem") for c in host.walk()):
                    continue
                ctx = Node(kind="context", role="context", start=a, end=b, title=name, context_kind=kind,
                           marker="inline")
                ctx.children = [Node(kind="member", role="context", start=x, end=y, title=self.text[x:y])
                                for x, y in members]
                host.children.append(ctx)
                host.children.sort(key=lambda c: c.start)

    def _subtasks(self, node: Node) -> None:
        norm = self.norm
        he = ol.heading_end(norm, node.start, node.end)
        m = re.search(r"“([两二三四五六七八九十])(个|项|条|方面)([\u4e00-\u9fff]{1,6})”", norm[node.start:he])
        if not m:
            return
        n = ol.ordinal(m.group(1))
        sents = ol.sentences(norm, he, node.end)
        if not sents:
            return
        s, e = sents[0]
        clauses = ol.sentences(norm, s, e, seps="；;")
        if n and len(clauses) == n >= 2:
            for a, b in clauses:
                node.children.append(Node(kind="subitem", role="subtask", start=a, end=b,
                                          title=self._title(a, b)))

    def _sibling_intro_kind(self, node: Node, parent: Node | None, op) -> str:
        """For numbered paragraphs ('一是…' each on its own line), the sentence before the first of
        them decides like a list intro: '存在的问题主要有：' → problem, '过去一年，我们：' → past work."""
        siblings = [c for c in (parent.children if parent else []) if c.marker and op.mtype and c.kind != "group"]
        first = next((c for c in siblings if self._mtype.get(id(c)) == op.mtype), None)
        if first is None:
            return ""
        lo = parent.start if parent else 0
        a = max(lo, self.norm.rfind("。", lo, first.start - 1) + 1)
        intro = self.norm[a:first.start].strip()
        if not intro:
            return ""
        if ol._PROBLEM_INTRO.search(intro) and not re.search(r"解决|整改|破解|着力|化解|防范|攻克|处理好", intro) \
                and not ol.YAO.search(intro):
            return "problem"
        if ol._PAST_INTRO.search(intro) and "了" in self.norm[node.start:node.end] and not ol.YAO.search(intro):
            return "past_work"
        return ""

    def _other_directives(self, op, excluded, org_clauses) -> bool:
        """Does the node's text hold directives besides the per-organisation clauses? Then the
        node is one task with several units rather than a list of organisations' tasks."""
        for p in op.paras:
            for s, e in ol.sentences(self.norm, p.start, p.end, seps="。！？；"):
                if _overlaps(excluded, s, e) or any(c.start <= s < c.end or s <= c.start < e for c in org_clauses):
                    continue
                if ol.directive_yao(self.norm, s, e) is not None:
                    return True
        return False

    def _raw(self, title: str, start: int) -> str:
        i = self.norm.find(title, start)
        return self.text[i:i + len(title)] if i >= 0 else title

    def _list_node(self, parent: Node, lst: ol.InlineList) -> Node:
        s = lst.intro[0] if lst.intro else lst.members[0][0]
        e = lst.members[-1][1]
        is_task = lst.kind == "task"
        g = Node(kind="group" if is_task else "context", role="structure" if is_task else "context",
                 start=s, end=e, title=lst.name or self.text[s:lst.members[0][0]].strip()[:40],
                 context_kind="" if is_task else lst.kind)
        g.marker = lst.mtype
        for (a, b), (ms, me, n) in zip(lst.members, lst.markers):
            child = Node(kind="item" if is_task else "member", role="task" if is_task else "context",
                         start=a, end=b, marker=self.text[ms:me])
            child.title = self._title(me, b)
            g.children.append(child)
        if lst.intro:
            self._group_intro[id(g)] = lst.intro
        if is_task and lst.stated and lst.stated != len(lst.members):
            self.warnings.append(f"“{lst.name}”说有{lst.stated}项，识别到{len(lst.members)}项（第{s}字附近），请核对。")
        return g

    def _sentence_tasks(self, s: int, e: int, in_context: bool, goals_here: bool,
                        org_clauses: list[Node]) -> list[Node]:
        """Tasks among the sentences outside lists: directives in context nodes; elsewhere area
        goals (returned) and per-organisation clauses (collected in org_clauses for the caller)."""
        norm = self.norm
        st = norm[s:e]
        out: list[Node] = []
        yao = ol.directive_yao(norm, s, e)
        if in_context:
            if yao is not None and not ol.is_group_intro(norm, s, e):
                a = ol.directive_start(norm, s, yao)
                out.append(Node(kind="directive", role="task", start=a, end=e, title=self._title(yao + 1, e)))
            return out
        # area goal: a forward multi-year/dated deadline with a directive or goal cue
        allf = dl.find(norm, s, e, self.speech_date, self.term_end)
        found = [d for d in allf if d.kind in _FORWARD_KINDS]
        if not found and re.search(r"目标是|要求是|任务是", st):
            year = dl.group_year(norm, s, e, self.speech_date)
            found = [d for d in allf if d.kind == "year"] or ([year] if year else [])
        explicit_goal = bool(re.search(r"(预期|主要|总体)目标是|目标任务是", st))
        if ((found and (yao is not None or ol._GOAL_CUE.search(st)) or explicit_goal)
                and not ol.is_group_intro(norm, s, e) and goals_here):
            out.append(Node(kind="area_goal", role="task", start=s, end=e,
                            title=self._title((yao + 1) if yao is not None else s, e)))
            return out
        # per-organisation directives, split at ；
        clauses = ol.sentences(norm, s, e, seps="；;")
        for a, b in clauses:
            y = ol.directive_yao(norm, a, b)
            if y is None:
                continue
            sub = ol.subject_before(norm, y, a, self.matcher.alias_map)
            if sub and not ol.is_group_intro(norm, a, b):
                org_clauses.append(Node(kind="org_directive", role="task", start=min(a, sub[0]), end=b,
                                        title=self._title(y + 1, b)))
        return out

    def _title(self, s: int, e: int) -> str:
        """A short imperative title: the first sentence after the marker, without subject and 要."""
        norm = self.norm
        he = ol.heading_end(norm, s, e)
        semi = re.search(r"[；;]", norm[s:he])
        seg_s, seg_e = s, (s + semi.start()) if semi else he
        # drop leading punctuation / 要
        while seg_s < seg_e and norm[seg_s] in "，、：；要 ":
            seg_s += 1
        t = self.text[seg_s:seg_e].strip().rstrip("。；;！!")
        if len(t) > 40:
            cut = [m.start() for m in re.finditer(r"[,，;；]", t) if m.start() >= 8]
            t = t[:cut[0]] if cut and cut[0] <= 40 else t[:40] + "…"
        return t

    # --- attributes ----------------------------------------------------------------------------
    def attributes(self, roots: list[Node]) -> None:
        for root in roots:
            self._attr(root, [], None)

    def _attr(self, node: Node, ancestors: list[Node], group: Node | None) -> None:
        if node.role == "task":
            self._deadline(node, ancestors, group)
            node.targets = self.targets(node.start, node.end)
            node.units = self._units(node, ancestors)
        intro = self._group_intro.get(id(node))
        if intro:
            node.targets = [t for t in self.targets(*intro) if t.kind == "zero_incident"]
        for c in node.children:
            self._attr(c, ancestors + [node], node if node.kind == "group" else group)

    def _deadline(self, node: Node, ancestors: list[Node], group: Node | None) -> None:
        pick = dl.pick(dl.find(self.norm, node.start, node.end, self.speech_date, self.term_end))
        if not pick and node.kind == "area_goal":
            pick = dl.group_year(self.norm, node.start, node.end, self.speech_date)
            if pick:
                pick.inherited = False
        if pick:
            pick.text = self.text[pick.start:pick.end]
            node.deadline = pick
            return
        # inherited: the group intro, then headings / intros of ancestors (nearest first)
        scopes: list[tuple[int, int]] = []
        if group is not None and id(group) in self._group_intro:
            scopes.append(self._group_intro[id(group)])
        for anc in reversed(ancestors):
            if anc.kind in ("section", "area", "point") and anc.marker:
                scopes.extend(self._year_scopes(anc))
        for a, b in scopes:
            found = [d for d in dl.find(self.norm, a, b, self.speech_date, self.term_end) if d.kind != "periodic"]
            d = found[0] if found else dl.group_year(self.norm, a, b, self.speech_date)
            if d:
                d.inherited = True
                d.text = self.text[d.start:d.end]
                node.deadline = d
                return
        # an annual work list ('某某区2026年城市管理工作要点'): its work items are that year's, but not
        # the standing duties under 保障措施 / 工作要求
        if self.annual is not None and not any(_STANDING.search(a.title or "") for a in ancestors):
            a, b, y = self.annual
            node.deadline = Deadline(self.text[a:b], "year", date(y, 12, 31), a, b, inherited=True)

    def _year_scopes(self, anc: Node) -> list[tuple[int, int]]:
        """The heading of an enclosing node, and the sentences of its intro that name a year's work
        ('2024年经济工作的总体要求是…'); cached per node."""
        cache = self._scope_cache
        if id(anc) in cache:
            return cache[id(anc)]
        he = ol.heading_end(self.norm, anc.start, anc.end)
        scopes = [(anc.start, he)]
        first_child = min((c.start for c in anc.children
                           if c.marker and c.kind in ("section", "area", "point", "item")), default=anc.end)
        intro = ol.sentences(self.norm, he, first_child)
        for k, (a, b) in enumerate(intro):
            st = self.norm[a:b]
            if re.search(r"(\d{4}年|今年|明年)[^，。]{0,8}(工作|任务|目标)", st) or (
                    k == len(intro) - 1 and st.rstrip().endswith(("：", ":"))):
                scopes.append((a, b))
        cache[id(anc)] = scopes
        return scopes

    _NUM_TARGET = re.compile(
        r"(?P<num>\d+(?:\.\d+)?)(?P<mw>万人次|个百分点|平方米|平方公里|公里|千米|万元|亿元|万人|人次|万亩|[个家项件所座条名人户套处米亩吨元场期批支台辆张间栋%％])"
        r"(?P<obj>[\u4e00-\u9fff“”]{0,14})")
    _FORWARD_VERB = re.compile(r"完成|实现|达到|建成|新增|建立|打造|创建|培育|推出|引进|新建|改造|发展到|突破|控制在|确保|"
                               r"力争|争取|增长|提高到|超过|培训|招引|建设|开工|竣工|落地|帮扶|覆盖|创成|选树|评选")
    _CN_TARGET = re.compile(r"(?:新建|建成|打造|培育|创建|引进|新增|完成|建立|选树|扶持|创成)(?P<num>[一二两三四五六七八九十百千万]{1,6})"
                            r"(?P<mw>个|家|所|座|条|项|处|名|户|亩|公里)(?P<obj>[\u4e00-\u9fff]{2,10})")
    _LIST_WORDS = r"(重点|方面|工作|领域|关系|作用|改革|意识|着力|交账|坚持|载体|底线|目标|任务|机制|体系)"
    _PAST = re.compile(r"去年|以来|已经|已|累计|先后|共计|上年|过去|(?<!为)了(?!解)")

    def targets(self, s: int, e: int) -> list[Target]:
        norm, text = self.norm, self.text
        out: list[Target] = []
        past_sents = [(a, b) for a, b in ol.sentences(norm, s, e, seps="。；！？")
                      if re.search(r"去年|以来|已经|累计|先后|上年|过去", norm[a:b])]
        for a, b in ol.sentences(norm, s, e, seps="。；！？，"):
            clause = norm[a:b]
            if self._PAST.search(clause) or any(pa <= a < pb for pa, pb in past_sents):
                continue
            forward = bool(self._FORWARD_VERB.search(clause))
            for m in self._NUM_TARGET.finditer(clause):
                if not forward:
                    continue
                obj = re.sub(r"^(左右|以上|以内|以下)", "", m.group("obj"))
                pre_cut = re.compile(r"^((\d{4}年|今年|明年)?(\d{1,2}月)?(底|末)?(前|之前|以前)?|年底前|年内|全年)")
                obj = re.sub(r"(创建|建设|任务|目标)$", "", obj).strip("“”")
                if not obj:  # '新增规上工业企业30家': the object stands before the number
                    pre = re.split(r"[，、；。：]", clause[:m.start()])[-1]
                    obj = self._FORWARD_VERB.sub("", re.sub(r"^[一二三四五六七八九十]+是", "", pre), count=1)
                    obj = pre_cut.sub("", obj) or obj
                    obj = re.sub(r"(稳定在|控制在|达到|提高到|增长|为|在)$", "", obj)
                out.append(Target(text[a + m.start():a + m.end()], "numeric", float(m.group("num")),
                                  m.group("mw").replace("％", "%"), obj or "", a + m.start(), a + m.end()))
            for m in self._CN_TARGET.finditer(clause):
                if not re.match(self._LIST_WORDS, m.group("obj")) and norm[a + m.end():a + m.end() + 1] != "”":
                    q = cn_int(m.group("num"))
                    if q:
                        out.append(Target(text[a + m.start("num"):a + m.end()], "numeric", float(q), m.group("mw"),
                                          m.group("obj"), a + m.start("num"), a + m.end()))
            for m in re.finditer(r"(不发生|防止发生|杜绝|严防|避免发生)(?P<obj>[^，。；、（）()“”]{2,16})", clause):
                out.append(Target(text[a + m.start():a + m.end()], "zero_incident", 0.0, "起", m.group("obj"),
                                  a + m.start(), a + m.end()))
            if re.search(r"全覆盖|全部(交账|完成|达标|整改|覆盖)|100%|百分之百", clause):
                out.append(Target(text[a:b].rstrip("，。；,;"), "coverage", 100.0, "%", text[a:b].rstrip("，。；,;"), a, b))
            m = re.search(r"(研究制订|研究制定|研究出台|制定|制订|出台|起草|印发)(?P<obj>《[^》]+》|[^，。；]{2,24}?(办法|方案|规则|制度|意见|细则|规划|计划|清单))",
                          clause)
            if m:
                out.append(Target(text[a + m.start():a + m.end()], "deliverable", None, None, m.group("obj"),
                                  a + m.start(), a + m.end()))
            elif re.match(r"^(力争|争创|争取|努力)", clause) and not any(t.start >= a and t.end <= b for t in out):
                out.append(Target(text[a:b].rstrip("，。；,;"), "qualitative", None, None,
                                  re.sub(r"^(力争|争创|争取|努力)", "", text[a:b]).rstrip("，。；,;"), a, b))
        return out

    def _units(self, node: Node, ancestors: list[Node]) -> list[UnitRef]:
        m = self.matcher
        norm, text = self.norm, self.text
        subjects = [u for u in m.subjects(norm, text, node.start, node.end)]
        mentions = [u for u in m.mentions(norm, text, node.start, node.end)
                    if not any(v.start is not None and u.start is not None and v.start <= u.start < v.end
                               for v in subjects)]
        named = _merge(subjects, mentions)
        if any(not _PEOPLE.search(u.as_written or u.name) for u in subjects):
            return named  # an organisation is told what to do
        # no subject, or only people ('市级党员领导干部要…'): the topic's unit leads as well
        implied = m.topic(node.title) if node.title else []
        if not implied:
            for anc in reversed(ancestors):
                if anc.marker and anc.title:
                    implied = m.topic(anc.title)
                    if implied:
                        break
        result = _merge(named, implied)
        if result:
            return result
        # responsibility named in the intro of an enclosing node ('是各级党组织、各级纪委的份内之责')
        for anc in reversed(ancestors):
            if anc.role == "structure" and anc.marker:
                first_child = min((c.start for c in anc.children), default=anc.end)
                resp = [u for u in m.subjects(norm, text, anc.start, first_child) if u.as_written]
                resp = [u for u in resp if re.search(r"是.*的", norm[anc.start:first_child])]
                if resp:
                    return [UnitRef(u.name, "implied", u.key, None) for u in resp]
        if m.speaker_org and _SPEECH_ORG.match(m.speaker_org):
            return [m.ref(m.speaker_org, "implied")]
        return []


_INLINE_PREFIX = re.compile(
    r"(?P<list>[\u4e00-\u9fff]{2,14}(?:、[\u4e00-\u9fff]{2,14})+(?:(?:和|及|与)[\u4e00-\u9fff]{2,14})?)"
    r"“(?P<n>[两二三四五六七八九十])(?P<cls>大|个|项|种|条)(?P<name>[\u4e00-\u9fff]{1,6})”")
_INLINE_PAREN = re.compile(
    r"“(?P<n>[两二三四五六七八九十])(?P<cls>大|个|项|种|条)(?P<name>[\u4e00-\u9fff]{1,6})”[^（。”“]{0,6}"
    r"（(?P<list>[^（）。：]{4,400})）")
_INLINE_COLON = re.compile(
    r"（(?P<n>[两二三四五六七八九十])(?P<cls>大|个|项|种|条)(?P<name>[\u4e00-\u9fff]{1,6})：(?P<list>[^（）。]{4,200})）")


def _split_members(text: str, start: int, sep: str) -> list[tuple[int, int]]:
    parts, pos = [], start
    for piece in re.split(sep, text):
        if re.fullmatch(sep, piece or "x"):
            pos += len(piece)
            continue
        parts.append((pos, pos + len(piece)))
        pos += len(piece)
    return parts


def _named_inline_lists(norm: str, lo: int, hi: int):
    """(start, end, kind, name, member spans) of inline lists whose count matches their name."""
    out = []
    for rx in (_INLINE_PREFIX, _INLINE_PAREN, _INLINE_COLON):
        for m in rx.finditer(norm, lo, hi):
            n = ol.ordinal(m.group("n"))
            parts = _split_members(m.group("list"), m.start("list"), r"(、)")
            if len(parts) != n:
                parts = _split_members(m.group("list"), m.start("list"), r"(、|和|及|与)")
            if len(parts) != n or any(y - x < (3 if rx is _INLINE_PREFIX else 2) for x, y in parts[1:]):
                continue
            if rx is _INLINE_PREFIX and len(parts) >= 2:
                # the first member carries the words before the list: cut it to the others' length
                width = max(y - x for x, y in parts[1:])
                x, y = parts[0]
                if y - x > width + 1:
                    parts[0] = (y - width, y)
            name = m.group("n") + m.group("cls") + m.group("name")
            first = norm[parts[0][0]:parts[0][1]]
            kind = "target" if first.startswith(("不发生", "杜绝", "防止")) else "definition"
            sent_start = max(lo, norm.rfind("。", lo, m.start()) + 1)
            if kind == "definition" and ol._PAST_INTRO.search(norm[sent_start:m.start()]):
                kind = "past_work"
            span = (min(parts[0][0], m.start()), m.end())
            if any(a < span[1] and span[0] < b for a, b, *_ in out):
                continue
            out.append((*span, kind, name, parts))
    return out


def _deepest(node: Node, a: int, b: int) -> Node | None:
    if not (node.start <= a and b <= node.end):
        return None
    for c in node.children:
        if c.role != "context" or c.kind != "member":
            d = _deepest(c, a, b)
            if d is not None:
                return d
    return node


def _merge_intervals(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _overlaps(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    """Does [s, e) overlap any of the sorted, disjoint spans?"""
    i = bisect.bisect_right(spans, (s, float("inf"))) - 1
    if i >= 0 and spans[i][1] > s:
        return True
    return i + 1 < len(spans) and spans[i + 1][0] < e


# a party secretary speaks for the committee that carries the work out; a 政府工作报告 item without a
# named unit is left for the review (the government as a whole is no lead unit)
_SPEECH_ORG = re.compile(r".*委$")
_PEOPLE = re.compile(r"(干部|党员|同志|成员|领导|人员|人士|群众|职工)$")
_ACTION = re.compile(r"要|推进|加强|加快|实施|建设|完善|提升|坚持|深化|抓好|推动|强化|落实|开展|做好|确保|力争|健全|建立")


_VERB = re.compile(r"推行|制定|规范|开展|组织|实现|完成|建立|提高|提升|打造|培育|实行|开发|新建|新增|整治|优化|促进|保障|"
                   r"支持|鼓励|引导|发展|严格|压实|压减|压缩|建成|突破|扩大|增加|改善|保护|治理")


def _is_info(norm: str, node: Node, body_start: int) -> bool:
    """A short section that states a fact, not a task ('考评对象：各县（市、区）人民政府，市直各部门。')."""
    body = norm[body_start:node.end]
    return (0 < len(body.strip()) <= 60 and not _ACTION.search(body) and not _VERB.search(body)
            and not _ACTION.search(node.title) and not _VERB.search(node.title)
            and genre.trailing_paren(norm, node.start, node.end) is None
            and not dl.find(norm, node.start, node.end, date(2000, 1, 1), None))


def _lead_para(norm: str, s: int, e: int) -> bool:
    """Does the paragraph open with a short lead sentence that names a task ('提高教育质量。…')?"""
    m = re.match(r"[^。！？：；]{4,32}。", norm[s:e])
    if not m:
        return False
    lead = m.group(0)
    par = genre.trailing_paren(norm, s, e)
    if not norm[s + m.end():par[0] - 1 if par else e].strip():
        return False  # a one-sentence paragraph is not led by a sentence: it continues the item
    if lead.count("，") > 1 or re.match(r"^(过去|去年|一年来|五年来|我们|今年是|这|同时|此外|其中)", lead):
        return False
    return bool(_ACTION.search(lead) or re.match(r"^[\u4e00-\u9fff]{2}", lead) and len(lead) <= 20)


def _is_problem(text: str) -> bool:
    """A numbered paragraph that states a problem rather than a task ('一是产业结构不优…')."""
    return bool(ol._PROBLEM_MEMBER.search(text)) and not _ACTION.search(text) and not _GOAL_BY.search(text)


# a goal with its date ('2026年底前，…实现“双下降”，坚决遏制较大…事故') is no problem statement,
# whatever shortfall words its object carries
_GOAL_BY = re.compile(r"(20\d{2}年(底|末)?前|到20\d{2}年|年底前|年内)[^。]{0,60}(实现|达到|遏制|控制在|降低|提高|下降|增长|突破)")


def _merge(*lists: list[UnitRef]) -> list[UnitRef]:
    seen, out = set(), []
    for lst in lists:
        for u in lst:
            if u.name not in seen:
                seen.add(u.name)
                out.append(u)
    return out
