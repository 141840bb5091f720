"""The demo directory of 恩施市: units in tree order, their staff slots and their posts.

Every organ, township and village here is one the 2017 speech names or one that really exists in
恩施市 (the seventeen townships and offices are the real ones). Codes are ASCII and unique; aliases
are the names the speech and everyday documents use for the same unit (市纪委 = 市纪委监委 = 纪委),
which is what the intake engine matches against.

Staff slots are stable keys ("head", "office", ...) so other modules can say "the A holder of
芭蕉's liaison post" as ("BJ", "office") without caring who was generated into it. A slot with a
fixed name is a person the speech names in that post; every other name is generated.
"""

from __future__ import annotations

from duban.orgs.models import UnitKind

LIAISON_POST = "督办联络员"
STABILITY_POST = "信访维稳联络员"

LIAISON_DUTIES = (
    "负责本单位督办任务的签收、进展报送、佐证材料上传和办结申请;"
    "及时回复督查室催办、督办单事项;A角不在岗时由B角、C角依次补位。"
)
STABILITY_DUTIES = (
    "负责本单位信访维稳信息的收集、研判和预警上报,跟踪重点群体、重点人员动态,"
    "落实矛盾纠纷排查化解;A角不在岗时由B角、C角依次补位。"
)

# A post is (title, (A slot, B slot, C slot), duties).
ORGAN_LIAISON = (LIAISON_POST, ("office", "clerk", "deputy"), LIAISON_DUTIES)
ORGAN_STABILITY = (STABILITY_POST, ("deputy", "office", "clerk"), STABILITY_DUTIES)
TOWNSHIP_LIAISON = (LIAISON_POST, ("office", "clerk", "deputy_secretary"), LIAISON_DUTIES)
TOWNSHIP_STABILITY = (STABILITY_POST, ("deputy_secretary", "office", "clerk"), STABILITY_DUTIES)


def _unit(code, name, kind, parent, *, aliases=(), short="", staff=(), posts=()):
    return {"code": code, "name": name, "kind": kind, "parent": parent, "aliases": list(aliases),
            "short": short, "staff": list(staff), "posts": list(posts)}


def _organ(code, name, kind, parent, aliases, head, deputy, *, short="", office="办公室主任", clerk="办公室干事",
           head_name=None, posts=(ORGAN_LIAISON,)):
    staff = [("head", head, head_name), ("deputy", deputy, None), ("office", office, None), ("clerk", clerk, None)]
    return _unit(code, name, kind, parent, aliases=aliases, short=short, staff=staff, posts=posts)


P, G, M, T, V, O = (UnitKind.PARTY, UnitKind.GOVERNMENT, UnitKind.MASS_ORG, UnitKind.TOWNSHIP, UnitKind.VILLAGE,
                    UnitKind.OTHER)

ROOT = _unit("ES", "恩施市", O, None, short="恩施市")

PARTY_AND_GOVERNMENT = [
    _unit("SW", "中共恩施市委员会", P, "ES", aliases=["市委", "恩施市委", "中共恩施市委"], short="市委",
          staff=[("secretary", "市委书记", "向前进"), ("deputy_secretary", "市委副书记", None)]),
    _organ("SWB", "市委办公室", P, "SW", ["市委办", "中共恩施市委办公室"], "市委副秘书长、市委办公室主任",
           "市委办公室副主任", short="市委办", office="秘书科科长", clerk="秘书科科员"),
    # The supervision office sits inside the party committee's office; its staff are the 督查室 users.
    _organ("DCS", "市委督查室", P, "SWB", ["督查室", "市委办督查室"], "督查室主任", "督查室副主任",
           short="督查室", office="督查专员", clerk="督查科员", posts=()),
    _organ("SJW", "市纪委监委", P, "SW", ["市纪委", "纪委", "市监委", "市纪委监察委", "中共恩施市纪律检查委员会"],
           "市委常委、市纪委书记、市监委主任", "市纪委副书记、市监委副主任", short="市纪委"),
    _organ("ZZB", "市委组织部", P, "SW", ["组织部"], "市委常委、组织部部长", "组织部副部长", short="组织部"),
    _organ("XCB", "市委宣传部", P, "SW", ["宣传部"], "市委常委、宣传部部长", "宣传部副部长、市文明办主任",
           short="宣传部"),
    _organ("TZB", "市委统战部", P, "SW", ["统战部"], "市委常委、统战部部长", "统战部副部长", short="统战部"),
    _organ("ZFW", "市委政法委", P, "SW", ["政法委", "市委政法委员会"], "市委常委、政法委书记", "政法委副书记",
           short="政法委", posts=(ORGAN_LIAISON, ORGAN_STABILITY)),
    _organ("XCHB", "市委巡察办", P, "SW", ["巡察办", "市委巡察工作领导小组办公室"], "市委巡察办主任",
           "市委巡察办副主任", short="巡察办"),
    _organ("DX", "市委党校", P, "SW", ["党校", "中共恩施市委党校"], "市委党校常务副校长", "市委党校副校长",
           short="党校"),
    # 部长董高 is named in the speech for the 2016 flood rescue at 斑竹园村.
    _organ("RWB", "市人武部", O, "SW", ["人武部", "恩施市人民武装部"], "市人武部部长", "市人武部副部长",
           short="人武部", head_name="董高"),
    _unit("ZF", "恩施市人民政府", G, "ES", aliases=["市政府"], short="市政府",
          staff=[("mayor", "市委副书记、市长", "苏勇"), ("executive", "市委常委、常务副市长", None),
                 ("vice_a", "副市长", None), ("vice_b", "副市长", None)]),
    _organ("ZFB", "市政府办公室", G, "ZF", ["市政府办"], "市政府办公室主任", "市政府办公室副主任", short="市政府办",
           office="秘书科科长", clerk="秘书科科员"),
    _organ("FGJ", "市发展和改革局", G, "ZF", ["发改局", "市发改局"], "局长", "副局长", short="市发改局"),
    _organ("RSJ", "市人力资源和社会保障局", G, "ZF", ["人社局", "市人社局"], "局长", "副局长", short="市人社局"),
    _organ("WJJ", "市卫生和计划生育局", G, "ZF", ["卫计局", "市卫计局"], "局长", "副局长", short="市卫计局"),
    _organ("CZJ", "市财政局", G, "ZF", ["财政局"], "局长", "副局长", short="财政局"),
    _organ("FPB", "市扶贫开发办公室", G, "ZF", ["扶贫办", "市扶贫办"], "主任", "副主任", short="市扶贫办",
           office="综合股股长", clerk="综合股干事"),
    _organ("XFJ", "市信访局", G, "ZF", ["信访局"], "局长", "副局长", short="信访局",
           posts=(ORGAN_LIAISON, ORGAN_STABILITY)),
    _organ("GAJ", "市公安局", G, "ZF", ["公安局"], "局长", "政委", short="公安局"),
    _organ("MZJ", "市民政局", G, "ZF", ["民政局"], "局长", "副局长", short="民政局"),
    _organ("JYJ", "市教育局", G, "ZF", ["教育局"], "局长", "副局长", short="教育局"),
    _organ("NYJ", "市农业局", G, "ZF", ["农业局"], "局长", "副局长", short="农业局"),
    _organ("ZJJ", "市住房和城乡建设局", G, "ZF", ["住建局", "市住建局"], "局长", "副局长", short="市住建局"),
    _organ("HBJ", "市环境保护局", G, "ZF", ["环保局", "市环保局"], "局长", "副局长", short="市环保局"),
    _organ("AJJ", "市安全生产监督管理局", G, "ZF", ["安监局", "市安监局"], "局长", "副局长", short="市安监局"),
]

MASS_ORGS = [
    _organ("GH", "市总工会", M, "ES", ["工会", "总工会"], "市总工会主席", "市总工会副主席", short="市总工会"),
    _organ("TSW", "团市委", M, "ES", ["共青团恩施市委", "共青团恩施市委员会"], "团市委书记", "团市委副书记",
           short="团市委"),
    _organ("FL", "市妇联", M, "ES", ["妇联", "恩施市妇女联合会"], "市妇联主席", "市妇联副主席", short="市妇联"),
    _organ("CL", "市残联", M, "ES", ["残联", "恩施市残疾人联合会"], "市残联理事长", "市残联副理事长",
           short="市残联"),
    _organ("KX", "市科协", M, "ES", ["科协", "恩施市科学技术协会"], "市科协主席", "市科协副主席", short="市科协"),
]

# How each kind of township names its leaders: (secretary, head, deputy secretary).
_TOWNSHIP_TITLES = {
    "乡": ("乡党委书记", "乡长", "乡党委副书记"),
    "镇": ("镇党委书记", "镇长", "镇党委副书记"),
    "办": ("党工委书记", "办事处主任", "党工委副书记"),
}


def _township(code, name, level, aliases, villages=()):
    secretary, head, deputy = _TOWNSHIP_TITLES[level]
    staff = [("secretary", secretary, None), ("head", head, None), ("deputy_secretary", deputy, None),
             ("office", "党政办主任", None), ("clerk", "党政办副主任", None)]
    return _unit(code, name, T, "ES", aliases=aliases, short=aliases[0] if aliases else "", staff=staff,
                 posts=(TOWNSHIP_LIAISON, TOWNSHIP_STABILITY)), [_village(code, v) for v in villages]


def _village(township_code, spec):
    suffix, name = spec
    community = name.endswith("社区")
    staff = ([("secretary", "社区党委书记", None), ("director", "社区居委会主任", None)] if community
             else [("secretary", "村党支部书记", None), ("director", "村委会主任", None)])
    return _unit(f"{township_code}{suffix}", name, V, township_code, staff=staff)


# The seventeen real townships and offices of 恩施市. Villages come from the speech (肖家坪村 of
# 白果乡, 斑竹园村 of 崔家坝镇) and the real places around them; 芭蕉 and 白果 each have the
# 社区 the speech mentions.
_TOWNSHIPS = [
    _township("WYB", "舞阳坝街道办事处", "办", ["舞阳坝街道", "舞阳坝办事处", "舞阳坝"],
              [("SQ", "舞阳坝社区"), ("TQB", "土桥坝社区"), ("DQ", "大桥社区")]),
    _township("LJT", "六角亭街道办事处", "办", ["六角亭街道", "六角亭办事处", "六角亭"]),
    _township("XDC", "小渡船街道办事处", "办", ["小渡船街道", "小渡船办事处", "小渡船"]),
    _township("LF", "龙凤镇", "镇", ["龙凤"],
              [("LM", "龙马村"), ("QB", "青堡村"), ("SLB", "三龙坝村"), ("LFB", "龙凤坝社区")]),
    _township("CJB", "崔家坝镇", "镇", ["崔家坝"],
              [("BZY", "斑竹园村"), ("GLB", "滚龙坝村"), ("YQS", "鸦鹊水村"), ("SQ", "崔家坝社区")]),
    _township("BQ", "板桥镇", "镇", ["板桥"]),
    _township("BYP", "白杨坪镇", "镇", ["白杨坪"]),
    _township("SC", "三岔镇", "镇", ["三岔"]),
    _township("XT", "新塘乡", "乡", ["新塘"]),
    _township("HT", "红土乡", "乡", ["红土"]),
    _township("SD", "沙地乡", "乡", ["沙地"]),
    _township("TYH", "太阳河乡", "乡", ["太阳河"]),
    _township("TB", "屯堡乡", "乡", ["屯堡"]),
    _township("BG", "白果乡", "乡", ["白果"],
              [("XJP", "肖家坪村"), ("JTB", "见天坝村"), ("MB", "茅坝村"), ("SQ", "白果社区")]),
    _township("BJ", "芭蕉侗族乡", "乡", ["芭蕉乡", "芭蕉"],
              [("GGQ", "高拱桥村"), ("ZSX", "朱砂溪村"), ("HNT", "黄泥塘村"), ("SQ", "芭蕉社区")]),
    _township("SJB", "盛家坝乡", "乡", ["盛家坝"],
              [("EGZ", "二官寨村"), ("XX", "小溪村"), ("DJC", "大集场村")]),
    _township("MF", "沐抚办事处", "办", ["沐抚", "沐抚街道"],
              [("YS", "营上村"), ("MG", "木贡村"), ("GT", "高台村")]),
]

TOWNSHIPS = [township for township, _villages in _TOWNSHIPS]
VILLAGES = [village for _township_spec, villages in _TOWNSHIPS for village in villages]

# Parents always come before their children, so the tree can be built in one pass.
UNITS = [ROOT, *PARTY_AND_GOVERNMENT, *MASS_ORGS, *TOWNSHIPS, *VILLAGES]
