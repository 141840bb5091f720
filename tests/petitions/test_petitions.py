"""Petition early warning: the regulations' deadlines, each warning rule on a fixture with a
near-miss that must not warn (time-travel for the deadline rules), notices to the responsible
unit's acting holder with escalation by level, masking and the audit of every view, bad input."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from duban.core.models import AuditEntry
from duban.notices.models import Notice
from duban.orgs import services as org
from duban.orgs.models import AbsenceKind
from duban.petitions import selectors, services
from duban.petitions.models import Petition, Warning, WarningRule

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)
# Valid GB 11643 numbers (check digits worked by hand with the MOD 11-2 weights).
ID1 = "11010519491231002X"
ID2 = "440524188001010014"
ID3 = "42280119900101123X"


def register(cast, *, people=1, ids=(ID1,), place="芭蕉乡集镇", matter_type="征地拆迁", received=DAY, **kw):
    with time_machine.travel(received + timedelta(hours=4), tick=False):
        return services.petition_register(
            actor=cast.supervisor, received_on=received, channel="visit", place=place, matter_type=matter_type,
            matter="对征地补偿标准有异议", people_count=people, responsible_unit=cast.bajiao,
            petitioners=[{"name": f"信访人{i}", "id_number": n, "phone": "13800001111"} for i, n in enumerate(ids)],
            **kw)


def rules(petition):
    return sorted((w.rule, w.level) for w in petition.warnings.all())


def test_id_numbers_are_checked_by_their_check_digit():
    assert services.id_number_valid(ID1) and services.id_number_valid(ID2) and services.id_number_valid(ID3)
    assert not services.id_number_valid("110105194912310021")  # wrong check digit
    assert not services.id_number_valid("110105194913310028")  # month 13
    assert services.mask_id(ID3) == "4228**********123X"


def test_a_petition_with_a_bad_id_number_or_a_deadline_before_receipt_is_refused(cast):
    with pytest.raises(ValidationError) as exc:
        register(cast, ids=("110105194912310021",))
    assert "校验位" in exc.value.message_dict["petitioners"][0]
    with pytest.raises(ValidationError) as exc:
        register(cast, accept_deadline=DAY - timedelta(days=1))
    assert "accept_deadline" in exc.value.message_dict
    assert not Petition.objects.exists()


def test_the_regulations_set_the_deadlines(cast):
    petition = register(cast)
    assert petition.accept_deadline == DAY + timedelta(days=15)
    with time_machine.travel(DAY + timedelta(days=5), tick=False):
        services.petition_accept(actor=cast.bajiao_liaison, petition=petition, on=DAY + timedelta(days=5))
    assert petition.handle_deadline == DAY + timedelta(days=65)


def test_a_group_petition_at_the_threshold_warns_orange_and_one_below_does_not(cast):
    near = register(cast, people=4, place="白果乡")
    assert rules(near) == []
    group = register(cast, people=5, ids=(ID2,), place="斑竹园村")
    assert rules(group) == [("group", "orange")]


def test_the_orange_warning_reaches_the_acting_holder_and_the_petitions_office(cast):
    org.absence_create(person=cast.p_bajiao_a, kind=AbsenceKind.LEAVE, start=DAY - timedelta(days=1),
                       end=DAY + timedelta(days=3))
    petition = register(cast, people=8)
    notices = Notice.objects.filter(title__contains="橙色预警")
    assert notices.filter(post=cast.post_bajiao, reached=cast.p_bajiao_b).exists()  # A on leave: B acts
    assert notices.filter(user=cast.supervisor).exists()
    assert not notices.filter(user=cast.leader).exists()  # leaders only from red
    assert petition.warnings.get().notices == Notice.objects.filter(url=f"/petitions/{petition.pk}/").count()


def test_a_repeat_by_the_same_person_within_the_window_warns_and_outside_it_does_not(cast):
    register(cast, received=DAY - timedelta(days=91), place="甲地", matter_type="甲事")
    outside = register(cast, received=DAY, place="乙地", matter_type="乙事")
    assert rules(outside) == []  # 91 days before: outside the 90-day window
    inside = register(cast, received=DAY + timedelta(days=10), place="丙地", matter_type="丙事")
    assert rules(inside) == [("repeat_person", "yellow")]
    assert ID1 not in inside.warnings.get().reason  # the reason shows the number masked


def test_a_repeat_by_place_and_matter_warns_from_the_configured_count(cast):
    register(cast, ids=(ID1,))
    second = register(cast, ids=(ID2,), received=DAY + timedelta(days=1))
    assert rules(second) == []  # one before: below the threshold of 2
    third = register(cast, ids=(ID3,), received=DAY + timedelta(days=2))
    assert rules(third) == [("repeat_matter", "yellow")]


def test_a_petition_in_a_sensitive_period_warns_and_the_day_after_does_not(cast):
    services.sensitive_period_add(actor=cast.supervisor, name="全国两会", start=DAY, end=DAY + timedelta(days=10))
    inside = register(cast, received=DAY + timedelta(days=10))
    after = register(cast, ids=(ID2,), place="别处", received=DAY + timedelta(days=11))
    assert rules(inside) == [("sensitive", "yellow")]
    assert rules(after) == []


def test_deadline_rules_warn_blue_when_close_and_red_when_overdue(cast):
    petition = register(cast)  # 受理期限 = DAY + 15
    with time_machine.travel(DAY + timedelta(days=11), tick=False):
        assert services.warnings_scan() == 0  # 4 days left: a near miss
    with time_machine.travel(DAY + timedelta(days=12), tick=False):
        assert services.warnings_scan() == 1
    assert rules(petition) == [("deadline_soon", "blue")]
    with time_machine.travel(DAY + timedelta(days=16), tick=False):
        services.warnings_scan()
        services.warnings_scan()  # twice: nothing twice
    assert rules(petition) == [("deadline_soon", "blue"), ("overdue", "red")]
    red = Notice.objects.filter(title__contains="红色预警")
    assert red.filter(user=cast.leader).exists() and red.filter(user=cast.supervisor).exists()


def test_a_rule_the_office_changes_applies_to_the_next_petition(cast):
    rule = WarningRule.objects.get(key="group")
    services.rule_update(actor=cast.supervisor, rule=rule, enabled=True, level="red", threshold=3, window_days=0)
    assert rules(register(cast, people=3)) == [("group", "red")]
    with pytest.raises(ValidationError):
        services.rule_update(actor=cast.supervisor, rule=rule, enabled=True, level="purple", threshold=3,
                             window_days=0)


def test_lists_mask_id_numbers_and_every_view_is_audited(cast, login):
    petition = register(cast, ids=(ID3,))
    client = login(cast.bajiao_liaison)
    page = client.get("/petitions/").content.decode()
    assert "4228**********123X" in page and ID3 not in page
    detail = client.get(f"/petitions/{petition.pk}/").content.decode()
    assert ID3 not in detail  # a unit sees the number masked on the record too
    client = login(cast.supervisor)
    assert ID3 not in client.get("/petitions/").content.decode()
    assert ID3 in client.get(f"/petitions/{petition.pk}/").content.decode()
    views = AuditEntry.objects.filter(event="petition.viewed").order_by("seq")
    assert [(v.actor_id, v.data["page"]) for v in views] == [
        (cast.bajiao_liaison.pk, "list"), (cast.bajiao_liaison.pk, "detail"),
        (cast.supervisor.pk, "list"), (cast.supervisor.pk, "detail")]
    assert all(v.data["petitions"] == [petition.pk] for v in views)


def test_another_township_cannot_open_the_petition(cast, login):
    petition = register(cast)
    client = login(cast.baiguo_liaison)
    assert client.get(f"/petitions/{petition.pk}/").status_code == 404
    assert AuditEntry.objects.filter(event="authz_denied", object_id=str(petition.pk)).exists()


def test_the_office_registers_a_group_petition_through_the_page(cast, login):
    client = login(cast.supervisor)
    data = {"received_on": date.today().isoformat(), "channel": "visit", "place": "芭蕉乡政府", "matter_type": "劳资纠纷",
            "matter": "拖欠工资", "people_count": 12, "responsible_unit": cast.bajiao.pk,
            "petitioners": f"王某,{ID1},13800001111\n李某,{ID2}"}
    bad = client.post("/petitions/new/", {**data, "petitioners": "王某,110105194912310021"})
    assert bad.status_code == 400 and "校验位" in bad.content.decode()
    response = client.post("/petitions/new/", data)
    assert response.status_code == 302
    assert Warning.objects.get().level == "orange"
    assert selectors.warning_counts(cast.leader)["orange"] == 1
    assert selectors.warning_counts(cast.baiguo_liaison)["total"] == 0


def test_the_responsible_unit_accepts_and_closes_through_the_pages(cast, login):
    petition = register(cast, received=date.today())
    client = login(cast.bajiao_liaison)
    bad = client.post(f"/petitions/{petition.pk}/accept/", {"on": (date.today() - timedelta(days=1)).isoformat()})
    assert bad.status_code == 400
    assert client.post(f"/petitions/{petition.pk}/accept/", {"on": date.today().isoformat()}).status_code == 302
    petition.refresh_from_db()
    assert petition.status == "accepted" and petition.handle_deadline == date.today() + timedelta(days=60)
    assert client.post(f"/petitions/{petition.pk}/close/", {"on": date.today().isoformat(), "outcome": ""}).status_code == 400
    assert client.post(f"/petitions/{petition.pk}/close/",
                       {"on": date.today().isoformat(), "outcome": "已协调补发"}).status_code == 302
    petition.refresh_from_db()
    assert petition.status == "closed"
    assert login(cast.baiguo_liaison).post(f"/petitions/{petition.pk}/close/", {}).status_code == 404


def test_the_office_edits_a_rule_and_adds_a_sensitive_period_on_the_rules_page(cast, login):
    client = login(cast.supervisor)
    rule = WarningRule.objects.get(key="group")
    assert client.get("/petitions/rules/").status_code == 200
    client.post(f"/petitions/rules/{rule.pk}/", {f"r{rule.pk}-enabled": "on", f"r{rule.pk}-level": "red",
                                                  f"r{rule.pk}-threshold": "1", f"r{rule.pk}-window_days": "0"})
    rule.refresh_from_db()
    assert rule.threshold == 5  # below 2 is refused, the rule is unchanged
    client.post(f"/petitions/rules/{rule.pk}/", {f"r{rule.pk}-enabled": "on", f"r{rule.pk}-level": "red",
                                                  f"r{rule.pk}-threshold": "10", f"r{rule.pk}-window_days": "0"})
    rule.refresh_from_db()
    assert (rule.level, rule.threshold) == ("red", 10)
    client.post("/petitions/rules/periods/", {"name": "国庆", "start": "2026-10-01", "end": "2026-09-30"})
    client.post("/petitions/rules/periods/", {"name": "国庆", "start": "2026-09-28", "end": "2026-10-08"})
    assert [p.name for p in selectors.sensitive_periods()] == ["国庆"]
    assert login(cast.bajiao_liaison).get("/petitions/rules/").status_code == 403
