"""Demo tasks: the 2017 speech as a source, its nine work areas as top tasks, and subtasks spread
over the demo units in every state of the lifecycle, so the todo lists, the responsibility list
and the lights have something real to show.

Everything goes through duban.tasks.services, acted out by the demo accounts (the 督查室 assigns
and reviews, unit liaisons acknowledge and report), so the ledger tells the same story the pages
do. The speech is from 2017 but the demo's deadlines are set relative to today, so the lights
are meaningful whenever the demo is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from duban.accounts import services as account_services
from duban.accounts.models import User
from duban.core.roles import Role
from duban.tasks import services
from duban.tasks.models import ReportCycle, SourceKind, Task

SPEECH = Path(__file__).parent / "data" / "speech_2017.txt"
SPEECH_DATE = date(2017, 2, 19)

# Scenarios: where each demo task ends up.
DRAFT, ASSIGNED, ACKED, PROGRESS, LATE_REPORT, NEAR_DUE, OVERDUE, REQUESTED, COMPLETED, EXTENSION = (
    "draft", "assigned", "acknowledged", "progress", "late_report", "near_due", "overdue", "requested",
    "completed", "extension")


@dataclass
class Item:
    title: str
    lead: str  # unit code (duban.demo.data.units)
    due_in: int  # days from today
    scenario: str
    co: tuple[str, ...] = ()
    target: tuple | None = None  # (number, measure, object)
    cycle: str = ReportCycle.MONTHLY
    detail: str = ""


@dataclass
class Area:
    category: str
    title: str
    lead: str
    items: list[Item] = field(default_factory=list)


AREAS = [
    Area("全面从严治党", "“两个责任”要在抓纵深、传压力上有实招", "SJW", [
        Item("完善“两个责任”清单,落实主体责任全程纪实办法", "SJW", 60, PROGRESS, co=("ZZB",)),
        Item("一届任期内对所有乡镇(办事处)和市直单位巡察全覆盖", "XCHB", 200, PROGRESS,
             target=(17, "个", "乡镇(办事处)巡察"), cycle=ReportCycle.QUARTERLY),
        Item("突出重点职能部门抓执纪,开展暗访、曝光、查处", "SJW", 25, LATE_REPORT),
        Item("芭蕉侗族乡落实“一岗双责”问效问责清单", "BJ", 20, ASSIGNED),
    ]),
    Area("组织工作", "组织工作要在抓党建、强功能上出经验", "ZZB", [
        Item("软弱涣散基层党组织分年度整改交账(芭蕉侗族乡)", "BJ", 45, PROGRESS, cycle=ReportCycle.HALF_MONTHLY),
        Item("软弱涣散基层党组织分年度整改交账(白果乡)", "BG", 45, REQUESTED),
        Item("村级集体经济三年内全部达标", "ZZB", 300, PROGRESS, co=("CZJ", "NYJ"),
             target=(100, "%", "村集体经济达标")),
        Item("推动“两学一做”学习教育常态化制度化", "ZZB", 4, NEAR_DUE),
        Item("村、社区党员群众服务中心规范化建设", "LF", -10, OVERDUE, target=(12, "个", "服务中心")),
    ]),
    Area("宣传思想", "宣传工作要在抓导向、造氛围上有声势", "XCB", [
        Item("完成10个文明乡镇创建", "XCB", 330, PROGRESS, target=(10, "个", "文明乡镇")),
        Item("完成50个文明乡村创建", "XCB", 330, ASSIGNED, co=("BJ", "BG", "LF"), target=(50, "个", "文明乡村")),
        Item("以硒都讲坛为载体创新理论政策宣讲", "XCB", 90, COMPLETED),
        Item("加强网络舆情引导,防止发生重大网络舆情事件", "XCB", 120, EXTENSION, co=("GAJ",)),
    ]),
    Area("统一战线", "统战工作要在抓提升、聚合力上显身手", "TZB", [
        Item("支持民主党派、无党派人士参政议政、建言献策", "TZB", 150, ACKED),
        Item("抓好非公经济人士理想信念教育", "TZB", 100, DRAFT),
    ]),
    Area("政法工作", "政法工作要在抓法治、保平安上敢担当", "ZFW", [
        Item("全面落实社会治安综合治理措施,实现“五个不发生”", "ZFW", 240, PROGRESS, co=("GAJ", "XFJ"),
             target=(0, "起", "重大安全事故")),
        Item("推广沐抚办事处矛盾纠纷层级调处经验", "MF", 6, NEAR_DUE),
        Item("崔家坝镇重点群体人员排查管控", "CJB", -3, OVERDUE),
    ]),
    Area("党校工作", "党校工作要在抓培训、提素质上有创新", "DX", [
        Item("推进办学机制、教学方式、教学管理三项改革", "DX", 180, PROGRESS),
    ]),
    Area("人民武装", "人民武装工作要在抓融合、促发展上有作为", "RWB", [
        Item("稳步实施乡镇(办事处)人武部正规化建设", "RWB", 210, ASSIGNED, co=("BJ", "BG")),
    ]),
    Area("群团工作", "群团工作要在抓特色、比优势上对准焦", "GH", [
        Item("构建和谐劳动关系,发挥劳模作用", "GH", 160, ACKED),
        Item("开展“最美家庭”创建和家庭助廉活动", "FL", 140, COMPLETED),
    ]),
    Area("办公室工作", "办公室工作要在抓服务、促落实上提水平", "SWB", [
        Item("研究制订《市委运行规则》", "SWB", 30, PROGRESS),
        Item("建立12个领导小组运行办法", "SWB", 14, REQUESTED, target=(12, "个", "领导小组运行办法")),
    ]),
]

# Liaisons the demo adds for the units that act on demo tasks (the directory's own accounts cover
# 芭蕉 and 白果); each is tied to the "office" person of its unit.
EXTRA_LIAISONS = {"SJW": "jiwei_ll", "XCHB": "xunchaban", "ZZB": "zuzhibu", "XCB": "xuanchuanbu",
                  "TZB": "tongzhanbu", "ZFW": "zhengfawei", "DX": "dangxiao", "RWB": "renwubu", "GH": "gonghui",
                  "FL": "fulian", "SWB": "shiweiban", "LF": "longfeng", "MF": "mufu", "CJB": "cuijiaba"}

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _evidence(name: str):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _liaisons(directory: dict, accounts: dict, password: str) -> dict[str, User]:
    """The unit-side actor for every unit code that leads a demo task."""
    sysadmin, secadmin = accounts["sysadmin"], accounts["secadmin"]
    actors = {"BJ": accounts["bajiao_b"], "BG": accounts["baiguo"]}  # BJ's A holder is on leave today
    for code, username in EXTRA_LIAISONS.items():
        unit = directory["units"][code]
        person = directory["people"].get((code, "office"))
        user = account_services.user_create(actor=sysadmin, username=username, password=password,
                                            full_name=person.name if person else unit.name, unit=unit, person=person,
                                            must_change_password=False)
        actors[code] = account_services.role_grant(actor=secadmin, user=user, role=Role.LIAISON, unit=unit)
    return actors


def _play(item: Item, task: Task, supervisor: User, actor: User, today: date) -> None:
    """Move a freshly created task through the lifecycle to the item's scenario."""
    if item.scenario == DRAFT:
        return
    services.task_assign(actor=supervisor, task=task)
    if item.scenario == ASSIGNED:
        return
    services.task_acknowledge(actor=actor, task=task)
    if item.scenario == ACKED:
        return
    if item.scenario == EXTENSION:
        services.report_submit(actor=actor, task=task, narrative="已制定网络舆情应急预案,正在完善联动机制。", percent=40)
        services.extension_request(actor=actor, task=task, requested_due=task.due_date + timedelta(days=60),
                                   reason="需与公安网安部门联合演练,申请延期两个月。")
        return
    quantity = item.target[0] * 0.4 if item.target and item.target[0] else None
    services.report_submit(actor=actor, task=task, narrative="已召开专题会议部署,明确责任人和时间节点,正在按计划推进。",
                           percent=40, quantity=quantity, files=[_evidence("工作方案.pdf")])
    task.refresh_from_db()
    if item.scenario == LATE_REPORT:
        # The unit reported once and then went quiet: its next report is already overdue (yellow).
        Task.objects.filter(pk=task.pk).update(next_report_due=today - timedelta(days=3))
        return
    if item.scenario == OVERDUE:
        # Assigned with a future deadline, now past it and not done (red). The deadline is moved
        # through the service, as a 督查室 correction, so the ledger shows it.
        services.task_update(actor=supervisor, task=task, due_date=today + timedelta(days=item.due_in))
        return
    if item.scenario in (PROGRESS, NEAR_DUE):
        return
    services.task_request_completion(actor=actor, task=task, narrative="各项工作已按要求完成,佐证材料附后。",
                                     files=[_evidence("完成情况报告.pdf")], percent=100,
                                     quantity=item.target[0] if item.target else None)
    if item.scenario == REQUESTED:
        return
    services.task_approve(actor=supervisor, task=task, reason="材料齐全,同意办结。")


def build_tasks(directory: dict, accounts: dict, password: str) -> dict:
    """Create the demo source, categories and task tree; returns what it made."""
    from duban.tasks.models import Category

    today = timezone.localdate()
    supervisor = accounts["duchashi"]
    leader = directory["people"].get(("SW", "secretary"))
    actors = _liaisons(directory, accounts, password)
    units = directory["units"]
    source = services.source_create(
        actor=supervisor, kind=SourceKind.SPEECH, title="抓好“最大政绩” 担当发展使命——在2017年全市党建暨经济工作会议上的讲话",
        date=SPEECH_DATE, issuer="市委书记 向前进", text=SPEECH.read_text(encoding="utf-8"))
    made = {"source": source, "tasks": []}
    far = max(item.due_in for area in AREAS for item in area.items) + 30
    for order, area in enumerate(AREAS, start=1):
        category = services.category_create(actor=supervisor, name=area.category, sort_order=order) \
            if not Category.objects.filter(name=area.category).exists() else Category.objects.get(name=area.category)
        lead = units[area.lead]
        post = directory["posts"].get((area.lead, "督办联络员"))
        parent = services.task_create(
            actor=supervisor, title=area.title, detail=f"{area.category}:落实市委书记讲话部署的年度重点工作。",
            category=category, source=source, lead_unit=lead, responsible_leader=leader, responsible_post=post,
            start_date=today - timedelta(days=30), due_date=today + timedelta(days=far),
            reporting_cycle=ReportCycle.QUARTERLY)
        services.task_assign(actor=supervisor, task=parent)
        services.task_acknowledge(actor=actors[area.lead], task=parent)
        made["tasks"].append(parent)
        for item in area.items:
            # An overdue item is created with a future deadline and assigned, then falls behind.
            due = today + timedelta(days=max(item.due_in, 7))
            child = services.task_create(
                actor=supervisor, parent=parent, title=item.title, detail=item.detail or item.title,
                category=category, source=source, lead_unit=units[item.lead],
                co_units=[units[c] for c in item.co], responsible_leader=leader,
                responsible_post=directory["posts"].get((item.lead, "督办联络员")),
                start_date=today - timedelta(days=20), due_date=due, reporting_cycle=item.cycle,
                target_number=item.target[0] if item.target else None,
                target_measure=item.target[1] if item.target else "",
                target_object=item.target[2] if item.target else "")
            _play(item, child, supervisor, actors[item.lead], today)
            made["tasks"].append(child)
    instruction_task = made["tasks"][1]
    shuji = accounts.get("shuji")
    if shuji is not None:
        services.instruction_add(actor=shuji, task=instruction_task, text="请市委督查室跟踪督办,每季度通报一次进展。")
    return made
