"""Resource requests going up a three-level unit tree, aggregation at each level, the ranked list,
decisions and allocation, a grant becoming a task, refusals of bad input."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from duban.core.models import AuditEntry
from duban.resources import selectors, services
from duban.resources.models import ResourceRequest, Status

pytestmark = pytest.mark.django_db


def file(tree, user=None, amount="50", to=None, kind="funds", title="产业路硬化"):
    user = user or tree.town_user
    return services.request_file(actor=user, kind=kind, title=title, justification="茶叶基地运输", amount=amount,
                                 measure="万元", to_unit=to or tree.dept)


def totals(user):
    return {(r["kind"], r["status"]): (r["count"], r["amount"]) for r in selectors.subtree_totals(user)}


def test_a_request_goes_up_three_levels_and_each_level_aggregates_its_subtree(tree):
    a = file(tree)
    file(tree, user=tree.other_user, amount="30", title="冷链仓库")
    file(tree, user=tree.dept_user, amount="100", to=tree.office, title="全县产业路")
    assert totals(tree.town_user) == {("funds", "pending"): (1, Decimal("50.00"))}
    assert totals(tree.dept_user) == {("funds", "pending"): (3, Decimal("180.00"))}
    assert [r.title for r in selectors.held_ranked(tree.dept_user)] == ["产业路硬化", "冷链仓库"]
    services.request_forward(actor=tree.dept_user, request=a, to_unit=tree.office, note="同意上报")
    assert a.current_unit == tree.office
    assert sorted(r.title for r in selectors.held_ranked(tree.office_user)) == ["产业路硬化", "全县产业路"]
    assert totals(tree.office_user) == {("funds", "pending"): (3, Decimal("180.00"))}
    services.request_decide(actor=tree.office_user, request=a, outcome="part", granted_amount="40", reason="统筹")
    assert totals(tree.office_user)[("funds", "partial")] == (1, Decimal("50.00"))
    assert [s.action for s in a.steps.all()] == ["file", "forward", "decide"]


def test_the_holder_ranks_its_requests_with_reasons(tree):
    a, b = file(tree, title="甲"), file(tree, user=tree.other_user, title="乙")
    services.request_prioritise(actor=tree.dept_user, request=b, priority=1, reason="汛期前必须完工")
    services.request_prioritise(actor=tree.dept_user, request=a, priority=2, reason="可延后")
    assert [(r.title, r.priority_reason) for r in selectors.held_ranked(tree.dept_user)] == [
        ("乙", "汛期前必须完工"), ("甲", "可延后")]
    with pytest.raises(ValidationError):
        services.request_prioritise(actor=tree.dept_user, request=a, priority=3, reason="")


def test_only_the_holding_unit_acts_and_a_unit_sees_its_own_subtree_only(tree):
    a = file(tree)
    with pytest.raises(PermissionDenied):
        services.request_decide(actor=tree.office_user, request=a, outcome="full")
    assert not selectors.requests_for_user(tree.other_user).filter(pk=a.pk).exists()
    assert selectors.requests_for_user(tree.dept_user).filter(pk=a.pk).exists()


def test_bad_requests_are_refused_and_nothing_is_stored(tree):
    with pytest.raises(ValidationError) as exc:
        file(tree, to=tree.other_town)  # a sibling, not above
    assert "to_unit" in exc.value.message_dict
    with pytest.raises(ValidationError):
        file(tree, to=tree.town)  # itself
    services.ceiling_set(actor=tree.dept_user, unit=tree.town, kind="funds", amount="80")
    with pytest.raises(ValidationError) as exc:
        file(tree, amount="80.01")
    assert "上限" in exc.value.message_dict["amount"][0]
    with pytest.raises(ValidationError):
        file(tree, amount="-1")
    assert not ResourceRequest.objects.exists()
    with pytest.raises(PermissionDenied):
        services.ceiling_set(actor=tree.town_user, unit=tree.other_town, kind="funds", amount="1")


def test_decisions_need_reasons_and_a_partial_grant_less_than_asked(tree):
    a = file(tree)
    with pytest.raises(ValidationError):
        services.request_decide(actor=tree.dept_user, request=a, outcome="refused", reason=" ")
    with pytest.raises(ValidationError):
        services.request_decide(actor=tree.dept_user, request=a, outcome="part", granted_amount="50", reason="x")
    services.request_decide(actor=tree.dept_user, request=a, outcome="refused", reason="资金已用完")
    assert a.status == Status.REFUSED
    with pytest.raises(ValidationError):
        services.request_forward(actor=tree.dept_user, request=a, to_unit=tree.office)


def test_allocation_is_tracked_to_delivery_and_a_grant_becomes_a_task_for_the_granting_unit(tree):
    a = file(tree)
    services.request_forward(actor=tree.dept_user, request=a, to_unit=tree.office)
    services.request_decide(actor=tree.office_user, request=a, outcome="full")
    task = services.request_make_task(actor=tree.office_user, request=a)
    assert task.lead_unit == tree.office and task.status == "assigned" and task.target_number == Decimal("50.00")
    with pytest.raises(ValidationError):
        services.request_make_task(actor=tree.office_user, request=a)
    services.allocation_record(actor=tree.office_user, request=a, amount="20", on=date.today())
    with pytest.raises(ValidationError):
        services.allocation_record(actor=tree.office_user, request=a, amount="31", on=date.today())
    services.allocation_record(actor=tree.office_user, request=a, amount="30", on=date.today())
    assert a.status == Status.DELIVERED and a.delivered_amount == Decimal("50.00")
    events = list(AuditEntry.objects.filter(object_type="resources.resourcerequest").order_by("seq")
                  .values_list("event", flat=True))
    assert events == ["resource.request_file", "resource.request_forward", "resource.request_decide",
                      "resource.request_make_task", "resource.allocation_record", "resource.allocation_record"]


def test_the_pending_summary_counts_what_the_unit_holds(tree):
    file(tree)
    file(tree, user=tree.other_user)
    summary = selectors.pending_summary(tree.dept_user)
    assert (summary["held"], summary["pending"], summary["pending_amount"]) == (2, 2, Decimal("100.00"))
    assert selectors.pending_summary(tree.town_user)["held"] == 0


def test_the_pages_take_a_request_from_the_township_to_a_task(tree, login):
    client = login(tree.town_user)
    page = client.get("/resources/new/")
    assert page.status_code == 200
    bad = client.post("/resources/new/", {"kind": "funds", "title": "产业路", "amount": "50", "measure": "万元",
                                          "justification": "运输", "to_unit": tree.other_town.pk})
    assert bad.status_code == 400
    response = client.post("/resources/new/", {"kind": "funds", "title": "产业路", "amount": "50", "measure": "万元",
                                               "justification": "运输", "to_unit": tree.dept.pk})
    assert response.status_code == 302
    req = ResourceRequest.objects.get()
    client = login(tree.dept_user)
    assert client.post(f"/resources/{req.pk}/forward/", {"to_unit": tree.office.pk, "note": ""}).status_code == 302
    client = login(tree.office_user)
    response = client.post(f"/resources/{req.pk}/decide/", {"outcome": "full", "reason": "", "make_task": "on"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == Status.GRANTED and req.created_task.lead_unit == tree.office
    client = login(tree.town_user)
    assert "全额批准" in client.get("/resources/").content.decode()


def test_a_department_sets_a_townships_ceiling_on_the_page_and_the_township_is_held_to_it(tree, login):
    client = login(tree.dept_user)
    page = client.get("/resources/").content.decode()
    assert "红土乡" in page and "下级单位申请上限" in page
    bad = client.post("/resources/ceilings/", {"unit": tree.office.pk, "kind": "funds", "amount": "10"})
    assert bad.status_code == 400  # the office is above the department, not below
    assert client.post("/resources/ceilings/", {"unit": tree.town.pk, "kind": "funds", "amount": "10"}).status_code == 302
    client = login(tree.town_user)
    response = client.post("/resources/new/", {"kind": "funds", "title": "产业路", "amount": "11", "measure": "万元",
                                               "justification": "运输", "to_unit": tree.dept.pk})
    assert response.status_code == 400 and "上限" in response.content.decode()
    assert not ResourceRequest.objects.exists()
