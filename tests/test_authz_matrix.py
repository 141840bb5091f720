"""AC-05: deny by default, checked route by route against the checked-in tests/authz_matrix.yaml.

Every named route must be in the matrix (a new route without an entry fails the build). For each
route the test signs in as every role of the fixed cast and makes the request the matrix names:
roles listed under ``allow`` must not be refused (no 401/403/404), every other role must be (403 or
404), and anonymous users are sent to the login page (302) or get 401 from the API — except on
routes marked ``public``, and where ``anonymous`` says otherwise (``login`` for the API's
browser docs, ``404`` for a route that answers nobody). Each request runs in a savepoint that is rolled back, so a POST that an
allowed role may make changes nothing for the next role.

To record what the application does today (for review, never to paste blindly):
``DUBAN_AUTHZ_RECORD=/tmp/observed.yaml pytest tests/test_authz_matrix.py -k record`` writes a YAML of
what each role gets today, keeping the method/kwargs already in the file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

MATRIX_PATH = Path(__file__).with_name("authz_matrix.yaml")
ROLES = {  # role → attribute of the cast
    "supervisor": "supervisor",
    "unit_admin": "bajiao_admin",
    "liaison": "bajiao_liaison",
    "leader": "leader",
    "discipline": "discipline",
    "sysadmin": "sysadmin",
    "secadmin": "secadmin",
    "auditor": "auditor",
}
ALL = sorted(ROLES)


def named_routes():
    def walk(patterns, namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or namespace
                if namespace and p.namespace:
                    ns = f"{namespace}:{p.namespace}"
                yield from walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                yield f"{namespace}:{p.name}" if namespace else p.name

    return sorted(set(walk(get_resolver().url_patterns)))


def load_matrix() -> dict:
    return yaml.safe_load(MATRIX_PATH.read_text(encoding="utf-8")) or {}


# --- the objects route arguments refer to ----------------------------------------------------
@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The cast plus one object of every kind the routes take, built once per module inside a
    transaction that is rolled back at the end."""
    from castlib import build_cast

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build_world(build_cast())
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _build_world(cast):
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from duban.core import ledger
    from duban.orgs import services as org
    from duban.tasks import services as tasks
    from duban.tasks.models import SourceKind

    today = timezone.localdate()
    cast.group = org.group_save(name="测试领导小组", leader=cast.p_bajiao_a, office_unit=cast.bajiao,
                                member_units=[cast.bajiao])
    cast.absence = org.absence_create(person=cast.p_bajiao_a, kind="leave", start=today + timedelta(days=30),
                                      end=today + timedelta(days=31))
    cast.source = tasks.source_create(actor=cast.supervisor, kind=SourceKind.DOCUMENT, title="授权矩阵测试文件",
                                      text="测试")
    cast.task = tasks.task_create(actor=cast.supervisor, title="芭蕉的任务", lead_unit=cast.bajiao,
                                  source=cast.source, start_date=today, due_date=today + timedelta(days=60),
                                  responsible_post=cast.post_bajiao)
    tasks.task_assign(actor=cast.supervisor, task=cast.task)
    tasks.task_acknowledge(actor=cast.bajiao_liaison, task=cast.task)
    report = tasks.report_submit(actor=cast.bajiao_liaison, task=cast.task, narrative="进展", percent=10,
                                 files=[SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")])
    cast.evidence = report.evidence.get()
    cast.notification = cast.task.notifications.get(unit=cast.bajiao)
    cast.extension = tasks.extension_request(actor=cast.bajiao_liaison, task=cast.task,
                                             requested_due=today + timedelta(days=90), reason="需要更多时间")
    cast.instruction = tasks.instruction_add(actor=cast.leader, task=cast.task, text="请报告进展")
    cast.milestone = tasks.task_update(actor=cast.supervisor, task=cast.task, milestones=[
        {"name": "方案制定", "date": today + timedelta(days=10)}]).milestones.get()
    cast.task.refresh_from_db()
    _outside(cast, today)
    _intake(cast)
    cast.audit_entry = ledger.append(event="matrix_probe")
    return cast


def _outside(cast, today):
    """The same kinds of object in another township (白果乡), for the inside/outside axis."""
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile

    from duban.orgs import services as org
    from duban.tasks import services as tasks
    from duban.tasks.models import SourceKind

    cast.post_outside = org.post_create(unit=cast.baiguo, title="白果联络员", a_holder=cast.p_baiguo)
    cast.group_outside = org.group_save(name="白果领导小组", leader=cast.p_baiguo, office_unit=cast.baiguo,
                                        member_units=[cast.baiguo])
    cast.absence_outside = org.absence_create(person=cast.p_baiguo, kind="leave", start=today + timedelta(days=30),
                                              end=today + timedelta(days=31))
    cast.source_outside = tasks.source_create(actor=cast.supervisor, kind=SourceKind.DOCUMENT, title="白果的文件",
                                              text="白果")
    task = tasks.task_create(actor=cast.supervisor, title="白果的任务", lead_unit=cast.baiguo,
                             source=cast.source_outside, start_date=today, due_date=today + timedelta(days=60),
                             milestones=[{"name": "白果节点", "date": today + timedelta(days=10)}])
    tasks.task_assign(actor=cast.supervisor, task=task)
    tasks.task_acknowledge(actor=cast.baiguo_liaison, task=task)
    report = tasks.report_submit(actor=cast.baiguo_liaison, task=task, narrative="进展", percent=10,
                                 files=[SimpleUploadedFile("b.pdf", PDF, content_type="application/pdf")])
    cast.evidence_outside = report.evidence.get()
    cast.notification_outside = task.notifications.get(unit=cast.baiguo)
    cast.extension_outside = tasks.extension_request(actor=cast.baiguo_liaison, task=task,
                                                     requested_due=today + timedelta(days=90), reason="白果")
    cast.milestone_outside = task.milestones.get()
    cast.instruction_outside = tasks.instruction_add(actor=cast.leader, task=task, text="白果")
    task.refresh_from_db()
    cast.task_outside = task


def _intake(cast):
    from duban.intake import services as intake

    text = "关于做好重点工作的通知\n一、加强组织领导。各乡镇要在年底前完成整改。\n二、强化督促检查。\n".encode()
    cast.draft = intake.draft_create(actor=cast.supervisor, raw=text, file_name="通知.txt")
    cast.topic = intake.topic_mapping_create(actor=cast.supervisor, keyword="矩阵测试", units=[cast.bajiao])


def resolve_token(world, token):
    """'task' → world.task.pk; 'unit:baiguo' → world.baiguo.pk; 'audit' → the probe entry's seq."""
    kind, _, which = str(token).partition(":")
    if kind == "literal":
        return which
    if kind == "unit":
        return getattr(world, which).pk
    if kind == "user":
        return getattr(world, ROLES.get(which, which)).pk
    if kind == "person":
        return getattr(world, which).pk
    if kind == "audit":
        return world.audit_entry.seq
    obj = getattr(world, kind)
    return obj.pk if obj is not None else 0


def url_for(world, name, spec):
    kwargs = {k: resolve_token(world, v) for k, v in (spec.get("kwargs") or {}).items()}
    return reverse(name, kwargs=kwargs) + spec.get("query", "")


def request(client, method, url):
    if method == "GET":
        return client.get(url)
    return client.generic(method, url, data=b"", content_type="application/x-www-form-urlencoded")


def outcome(world, name, spec, role):
    method = spec.get("method", "GET")
    url = url_for(world, name, spec)
    with transaction.atomic():
        client = Client()
        if role is not None:
            client.force_login(getattr(world, ROLES[role]))
        response = request(client, method, url)
        transaction.set_rollback(True)
    return response


REFUSED = (401, 403, 404)


# --- the tests --------------------------------------------------------------------------------
def test_every_route_is_in_the_matrix_and_nothing_else():
    matrix = load_matrix()
    routes = set(named_routes())
    assert sorted(routes - set(matrix)) == [], "routes missing from tests/authz_matrix.yaml"
    assert sorted(set(matrix) - routes) == [], "stale entries in tests/authz_matrix.yaml"


@pytest.mark.parametrize("name", sorted(load_matrix()) if MATRIX_PATH.exists() else [])
def test_the_route_admits_exactly_the_roles_of_the_matrix(world, db, name):
    spec = load_matrix()[name]
    anonymous = outcome(world, name, spec, None)
    expected_anonymous = spec.get("anonymous", "401" if name.startswith("api:") else "login")
    if spec.get("public"):
        assert anonymous.status_code < 500, f"{name}: anonymous got {anonymous.status_code}"
    elif expected_anonymous == "404":
        assert anonymous.status_code == 404, f"{name}: anonymous got {anonymous.status_code}"
    elif expected_anonymous == "401":
        assert anonymous.status_code in (401, 403), f"{name}: anonymous got {anonymous.status_code}"
    else:
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"], \
            f"{name}: anonymous got {anonymous.status_code}"
    allow = ALL if spec.get("allow") == "all" else (spec.get("allow") or [])
    problems = []
    for role in ALL:
        status = outcome(world, name, spec, role).status_code
        if status >= 500:
            problems.append(f"{role}: server error {status}")
        elif role in allow and status in REFUSED:
            problems.append(f"{role}: refused ({status}) but the matrix allows it")
        elif role not in allow and status not in REFUSED and not spec.get("public"):
            problems.append(f"{role}: allowed ({status}) but the matrix refuses it")
    assert problems == [], f"{name} ({spec.get('method', 'GET')} {url_for(world, name, spec)}): {problems}"


# --- the inside/outside-subtree axis -------------------------------------------------------------
# A township's roles name an object of another township: the answer is 404 (403 where the role
# lacks the function altogether), exactly as for an object that does not exist, and nothing
# changes but the ``authz_denied`` rows. Each object token maps to its counterpart in 白果乡.
TOWNSHIP_ROLES = ("liaison", "unit_admin")
OUTSIDE = {
    "task": "task_outside", "evidence": "evidence_outside", "extension": "extension_outside",
    "milestone": "milestone_outside", "notification": "notification_outside", "source": "source_outside",
    "instruction": "instruction_outside",
    "post_bajiao": "post_outside", "group": "group_outside", "absence": "absence_outside",
    "unit:bajiao": "unit:baiguo", "unit:xiaojiaping": "unit:banzhuyuan", "person:p_bajiao_a": "person:p_baiguo",
}


def outside_spec(spec: dict) -> dict | None:
    """The route's request with every object it names taken from another township, or None when
    it names no township object (global objects, literals)."""
    kwargs = spec.get("kwargs") or {}
    if not any(str(v) in OUTSIDE for v in kwargs.values()):
        return None
    return {**spec, "kwargs": {k: OUTSIDE.get(str(v), v) for k, v in kwargs.items()}}


def world_state() -> dict:
    """Row counts of every model, the sum of every version column, and the ledger without its
    ``authz_denied`` rows: what a refused request must leave as it was."""
    from django.apps import apps

    from duban.core.models import AuditEntry

    out = {}
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed or model._meta.label in ("sessions.Session",
                                                                                 "core.AuditEntry"):
            continue
        qs = model._base_manager.all()
        out[model._meta.label] = qs.count()
        if any(f.name == "version" for f in model._meta.concrete_fields):
            from django.db.models import Sum

            out[f"{model._meta.label}.version"] = qs.aggregate(s=Sum("version"))["s"]
    out["ledger"] = AuditEntry.objects.exclude(event="authz_denied").count()
    return out


OBJECT_ROUTES = sorted(name for name, spec in load_matrix().items() if outside_spec(spec)) \
    if MATRIX_PATH.exists() else []


def test_the_axis_covers_every_object_route_of_the_township_objects():
    assert len(OBJECT_ROUTES) > 40
    assert {"tasks:detail", "api:task_get", "api:evidence_download", "tasks:evidence_download",
            "api:source_get", "tasks:source_detail"} <= set(OBJECT_ROUTES)


def missing_spec(spec: dict) -> dict:
    """The same request naming objects that do not exist."""
    return {**spec, "kwargs": {k: ("literal:987654" if str(v) in OUTSIDE else v)
                               for k, v in (spec.get("kwargs") or {}).items()}}


@pytest.mark.parametrize("name", OBJECT_ROUTES)
def test_an_object_of_another_township_is_a_404_and_changes_nothing(world, db, name):
    """Answered like a missing object: 404 (403 for a role without the function; a body-less
    POST may be refused as a bad request before any lookup, then for a missing object too)."""
    spec = load_matrix()[name]
    outside = outside_spec(spec)
    allow = ALL if spec.get("allow") == "all" else (spec.get("allow") or [])
    url, missing_url = url_for(world, name, outside), url_for(world, name, missing_spec(spec))
    method = outside.get("method", "GET")
    problems = []
    for role in TOWNSHIP_ROLES:
        with transaction.atomic():
            client = Client()
            client.force_login(getattr(world, ROLES[role]))
            before = world_state()
            status = request(client, method, url).status_code
            after = world_state()
            missing = request(client, method, missing_url).status_code
            transaction.set_rollback(True)
        if status != missing:
            problems.append(f"{role}: {status} where a missing object gets {missing}")
        if status not in ((404, 400, 422) if role in allow else (403, 404)):
            problems.append(f"{role}: {status}")
        if after != before:
            problems.append(f"{role}: changed {sorted(k for k in after if after[k] != before.get(k))}")
    assert problems == [], f"{name} ({method} {url}): {problems}"


if os.environ.get("DUBAN_AUTHZ_RECORD"):  # a tool, collected only when asked for

    def test_record(world, db):
        _record(world)


def _record(world):  # pragma: no cover - run by hand
    matrix = load_matrix() if MATRIX_PATH.exists() else {}
    for name in named_routes():
        spec = dict(matrix.get(name) or {})
        try:
            allowed = [r for r in ALL if outcome(world, name, spec, r).status_code not in REFUSED]
        except Exception as exc:  # noqa: BLE001
            print(f"# {name}: {exc!r}")
            continue
        spec["allow"] = "all" if allowed == ALL else allowed
        matrix[name] = spec
    Path(os.environ["DUBAN_AUTHZ_RECORD"]).write_text(
        yaml.safe_dump(matrix, allow_unicode=True, sort_keys=True, default_flow_style=None), encoding="utf-8")
