"""Responsible units: names and aliases from a directory, subjects of directives ('X要…'), and
units implied by the topic of an item or its work area (a topic map passed in as data).

Named-but-not-responsible mentions are skipped with generic cues: higher-level organs (省委组织部,
州委 … — a prefix outside the directory's level), objects of work (乡(镇)人武部正规化建设),
attributive uses (市委中心工作, 市委决策), and units after 由/被/向/受 (the evaluator, the body
whose experience is studied).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources

from .model import UnitRef
from .outline import YAO, _org_phrase, subject_before

_BLOCK_BEFORE = set("省州县区乡镇村国央级委）)·")
_NOT_RESP_BEFORE = re.compile(r"(由|被|向|受|经|据|按照|根据|学习|借鉴|总结|推广|对|给|为)$")
_NOT_RESP_AFTER = re.compile(r"^(的|中心|决策|部署|常委|运行|要求|精神|文件|领导下|统一|考核|考评|通报|授予|经验|被|受到|荣获|获得|"
                             r"[^，。；]{0,6}经验|、)")
_CLAUSE_LEAD = re.compile(r"(去年|今年|目前|当前|同时|并|近年来|今后|下一步|此外|另外)$")


def default_directory() -> list[dict]:
    return json.loads(resources.files(__package__).joinpath("data/directory.json").read_text("utf-8"))


def default_topic_map() -> dict[str, list[str]]:
    return json.loads(resources.files(__package__).joinpath("data/topic_map.json").read_text("utf-8"))


@dataclass
class _Alias:
    text: str
    key: str | None
    name: str


class UnitMatcher:
    def __init__(self, directory: list[dict] | None, topic_map: dict[str, list[str]] | None,
                 speaker_org: str | None = None):
        level = (speaker_org or "市")[0]
        if directory is None:
            directory = _relevel(default_directory(), level)
        if topic_map is None:
            topic_map = {k: [_relevel_name(n, level) for n in v] for k, v in default_topic_map().items()}
        self.topic_map = topic_map
        self.by_name: dict[str, dict] = {}
        aliases: list[_Alias] = []
        for unit in directory:
            name = unit["name"]
            self.by_name[name] = unit
            for a in [name, *unit.get("aliases", [])]:
                if a:
                    aliases.append(_Alias(a, unit.get("key"), name))
        aliases.sort(key=lambda a: -len(a.text))
        self.aliases = aliases
        self.alias_map = {a.text: a for a in aliases}
        self._rx = re.compile("|".join(re.escape(a.text) for a in aliases)) if aliases else None
        self.speaker_org = speaker_org

    def ref(self, name: str, basis: str, as_written: str | None = None, s=None, e=None) -> UnitRef:
        alias = self.alias_map.get(name)
        if alias:
            return UnitRef(alias.name, basis, alias.key, as_written or name, s, e)
        unit = self.by_name.get(name)
        return UnitRef(name, basis, unit.get("key") if unit else None, as_written or name, s, e)

    def canonical(self, phrase: str) -> str:
        p = re.sub(r"的(同志|干部|人员|工作人员)$", "", phrase)
        p = re.sub(r"^(全市|全县|全区)", "", p) if p not in self.alias_map else p
        for cand in (phrase, p):
            if cand in self.alias_map:
                return self.alias_map[cand].name
        if p in self.topic_map and len(self.topic_map[p]) == 1:
            return self.topic_map[p][0]
        return phrase

    # --- named ---------------------------------------------------------------------------------
    def subjects(self, norm: str, text: str, s: int, e: int) -> list[UnitRef]:
        """Subjects of directives inside the span ('X要', 'X，要', '请X…', '是X的首要责任')."""
        out: list[UnitRef] = []
        for m in YAO.finditer(norm, s, e):
            sub = subject_before(norm, m.start(), s, self.alias_map)
            if sub:
                a, b, phrase = sub
                parts = phrase.split("、")
                # '县委督查室、县政府督查室' and '各街道、各部门' are two units each; '各级党委、党组' is one phrase
                sep = r"及|和|与|以及|、" if len(parts) > 1 and all(
                    (re.match(r"^[市县区州乡镇各]", x) and _org_phrase(x)) or x in self.alias_map for x in parts) \
                    else r"及|和|与|以及"
                out.extend(self._split(norm, text, a, b, sep))
        for m in re.finditer(r"请([\u4e00-\u9fff、]{2,16}?)(密切|积极|认真|切实|抓紧|做好|配合|支持|加强|牵头|负责)",
                             norm[s:e]):
            phrase = m.group(1)
            if _org_phrase(phrase):
                out.append(self._mk(norm, text, s + m.start(1), s + m.end(1)))
        for m in re.finditer(r"由([\u4e00-\u9fff、（）]{2,40}?)(共同)?(负责|牵头|统筹|组织实施|承担)", norm[s:e]):
            out.extend(self._split(norm, text, s + m.start(1), s + m.end(1), r"、|和|及|会同"))
        for m in re.finditer(r"是([\u4e00-\u9fff、]{2,30}?)的(份内|首要|主要|主体|直接|第一)?(之)?(责任|职责|之责|责)",
                             norm[s:e]):
            out.extend(self._split(norm, text, s + m.start(1), s + m.end(1), r"、|和|及"))
        return _dedupe(out)

    def _split(self, norm, text, a, b, sep) -> list[UnitRef]:
        pieces = [x for x in re.split(sep, norm[a:b]) if x and not re.fullmatch(sep, x)]
        if len(pieces) > 1 and not all(_org_phrase(x) or x in self.alias_map for x in pieces):
            # '市自然资源和规划局' is one organ: split only when every part is one
            whole = norm[a:b]
            return [self._mk(norm, text, a, b)] if _org_phrase(whole) or whole in self.alias_map else []
        out = []
        pos = a
        for part in re.split(f"({sep})", norm[a:b]):
            if re.fullmatch(sep, part or "x"):
                pos += len(part)
                continue
            if part and _org_phrase(part) or (part and part in self.alias_map):
                out.append(self._mk(norm, text, pos, pos + len(part)))
            pos += len(part)
        return out

    def _mk(self, norm, text, a, b) -> UnitRef:
        written = text[a:b]
        name = self.canonical(norm[a:b])
        return self.ref(name, "named", written, a, b)

    def mentions(self, norm: str, text: str, s: int, e: int) -> list[UnitRef]:
        """Directory units mentioned as actors in the span (clause-initial, 支持X, 发挥X的作用)."""
        out: list[UnitRef] = []
        if self._rx is not None:
            for m in self._rx.finditer(norm, s, e):
                a, b = m.start(), m.end()
                alias = self.alias_map[m.group(0)]
                before = norm[max(s, a - 6):a]
                prev = norm[a - 1] if a > 0 else ""
                if prev in _BLOCK_BEFORE and not alias.text.startswith(("市", "县", "区")):
                    continue
                if prev in "省州县区" or norm[max(0, a - 2):a] in ("全国", "中央"):
                    continue
                if _in_title_marks(norm, s, a):
                    continue
                if _NOT_RESP_BEFORE.search(before) or _NOT_RESP_AFTER.match(norm[b:b + 8]):
                    continue
                clause_start = a == s or prev in "，。；：、（(“\n" or bool(_CLAUSE_LEAD.search(before))
                supported = bool(re.search(r"(支持|请|协助|牵头|督促|指导)$", before))
                if clause_start or supported:
                    out.append(UnitRef(alias.name, "named", alias.key, text[a:b], a, b))
        # 发挥X的…作用/职能 (organisations only, not 党员/干部)
        for m in re.finditer(r"发挥([^，。；]{2,80})", norm[s:e]):
            base = s + m.start(1)
            pos = base
            for part in re.split(r"(、)", m.group(1)):
                pm = re.match(r"^([\u4e00-\u9fff“”]{2,12}?)的[\u4e00-\u9fff“”]{0,10}(作用|职能)", part)
                if pm and _org_phrase(pm.group(1)) and not re.search(r"(党员|干部|同志|群众)$", pm.group(1)):
                    phrase = pm.group(1)
                    name = self.canonical(phrase)
                    out.append(self.ref(name, "named", text[pos:pos + len(phrase)], pos, pos + len(phrase)))
                pos += len(part)
        return _dedupe(out)

    # --- implied -------------------------------------------------------------------------------
    def topic(self, norm_text: str) -> list[UnitRef]:
        hits: list[tuple[int, str]] = []
        for kw in sorted(self.topic_map, key=len, reverse=True):
            i = norm_text.find(kw)
            if i >= 0:
                hits.append((i, kw))
        out = []
        for _, kw in sorted(hits):
            for name in self.topic_map[kw]:
                out.append(self.ref(name, "implied"))
        return _dedupe(out)


def _relevel_name(name: str, level: str) -> str:
    """市委组织部 → 县委组织部, 团市委 → 团县委: the default directory at the speaker's level."""
    if level not in "县区":
        return name
    if name.startswith("市"):
        return level + name[1:]
    return name.replace("团市委", f"团{level}委")


def _relevel(directory: list[dict], level: str) -> list[dict]:
    if level not in "县区":
        return directory
    return [{**u, "name": _relevel_name(u["name"], level),
             "aliases": [_relevel_name(a, level) for a in u.get("aliases", [])]} for u in directory]


def _in_title_marks(norm: str, s: int, a: int) -> bool:
    seg = norm[s:a]
    return seg.count("《") > seg.count("》")


def _dedupe(refs: list[UnitRef]) -> list[UnitRef]:
    seen = set()
    out = []
    for r in refs:
        if r.name in seen:
            continue
        seen.add(r.name)
        out.append(r)
    return out


def speaker_org(post: str) -> str | None:
    """市委书记 → 市委, 县委书记 → 县委, 市长 → 市政府 …"""
    m = re.search(r"([省市州县区旗盟])委(副)?书记", post or "")
    if m:
        return m.group(1) + "委"
    m = re.search(r"([省市州县区旗盟])长", post or "")
    if m:
        return m.group(1) + "政府"
    return None
