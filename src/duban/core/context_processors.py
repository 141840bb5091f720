from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from duban.core import permissions as p

# The sidebar: (section, [(label, url name, permission, icon)]). Items a user may not use are hidden.
NAVIGATION = [
    (_("工作台"), [
        (_("首页"), "core:home", None, "house"),
        (_("驾驶舱"), "dashboard:index", p.DASHBOARD_VIEW, "speedometer2"),
        (_("年度考评"), "evaluation:index", p.EVALUATION_VIEW, "trophy"),
    ]),
    (_("督办"), [
        (_("我的待办"), "tasks:todo", p.TASKS_VIEW, "inbox"),
        (_("责任清单"), "tasks:list", p.TASKS_VIEW, "list-check"),
        (_("任务来源"), "tasks:sources", p.TASKS_VIEW, "journal-text"),
        (_("讲话/文件导入"), "intake:upload", p.INTAKE_USE, "file-earmark-arrow-up"),
        (_("督办单"), "supervision:orders", p.SUPERVISION_REPLY, "file-earmark-text"),
        (_("挂牌督办"), "supervision:listed", p.SUPERVISION_LISTED, "flag"),
        (_("问责建议"), "supervision:proposals", p.SUPERVISION_PROPOSALS, "exclamation-octagon"),
        (_("督办规则"), "supervision:rules", p.SUPERVISION_MANAGE, "sliders"),
        (_("督办设置"), "tasks:settings", p.TASKS_MANAGE, "gear"),
        (_("督查"), "checks:list", p.CHECKS_VIEW, "binoculars"),
        (_("巡察"), "inspections:rounds", p.INSPECTIONS_VIEW, "shield-check"),
        (_("领导小组会议"), "meetings:groups", p.MEETINGS_VIEW, "people-fill"),
        (_("“316”指标"), "indicators:list", p.INDICATORS_VIEW, "graph-up"),
        (_("要素配置"), "resources:list", p.RESOURCES_VIEW, "box-seam"),
        (_("信访维稳预警"), "petitions:list", p.PETITIONS_VIEW, "megaphone"),
        (_("大数据监督"), "datacheck:leads", p.DATACHECK_USE, "database-check"),
        (_("SQL规则审批"), "datacheck:approvals", p.DATACHECK_APPROVE_SQL, "database-lock"),
        (_("问责事项"), "accountability:list", p.CASES_VIEW, "shield-exclamation"),
        (_("我的问责事项"), "accountability:mine", p.TASKS_VIEW, "person-exclamation"),
    ]),
    (_("组织机构"), [
        (_("单位"), "orgs:unit_tree", p.DIRECTORY_VIEW, "diagram-3"),
        (_("人员"), "orgs:person_list", p.DIRECTORY_VIEW, "people"),
        (_("岗位(ABC角)"), "orgs:post_list", p.DIRECTORY_VIEW, "person-badge"),
        (_("领导小组"), "orgs:group_list", p.DIRECTORY_VIEW, "collection"),
        (_("导入导出"), "orgs_io:directory_io", p.DIRECTORY_EDIT, "file-earmark-spreadsheet"),
    ]),
    (_("系统"), [
        (_("账户管理"), "accounts:user_list", p.ACCOUNTS_MANAGE, "person-gear"),
        (_("角色授权"), "accounts:role_list", p.ROLES_GRANT, "shield-lock"),
        (_("审计日志"), "core:audit_list", p.AUDIT_VIEW, "journal-check"),
        (_("问责查阅记录"), "accountability:view_log", p.AUDIT_VIEW, "eye"),
    ]),
]


_URLS: dict[tuple, str | None] = {}


def _url(name: str) -> str | None:
    """reverse(name), remembered: the menu's URLs take no arguments, so they change only with the
    URLconf and the script prefix (both in the key). Reversing the ~30 entries again on every
    page cost ~0.3 ms (issue 10)."""
    key = (settings.ROOT_URLCONF, get_urlconf(), get_script_prefix(), name)
    try:
        return _URLS[key]
    except KeyError:
        pass
    try:
        url = reverse(name)
    except NoReverseMatch:
        url = None
    _URLS[key] = url
    return url


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_sections": []}
    sections = []
    for title, items in NAVIGATION:
        visible = []
        for label, name, perm, icon in items:
            if perm is not None and not p.can(user, perm):
                continue
            url = _url(name)
            if url is None:  # an app not built yet simply has no menu entry
                continue
            visible.append({"label": label, "url": url, "icon": icon,
                            "active": request.path.startswith(url) and url != "/" or request.path == url})
        if visible:
            sections.append({"title": title, "items": visible})
    return {"nav_sections": sections}
