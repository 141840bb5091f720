"""Fixtures of the accountability tests: a 问责建议 the 督办 scan raised for an overdue task, the
一岗双责 link of 芭蕉 (李四 carries its party-building duty, 陈分管 supervises it), and a case
walked to any stage."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

BEIJING = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10):
    return time_machine.travel(datetime.combine(day, time(hour, 0), tzinfo=BEIJING), tick=False)


@pytest.fixture
def leader_person(cast):
    """The city leader who supervises 芭蕉 (the leader account is that person)."""
    from duban.accounts.models import User
    from duban.orgs import services as org

    person = org.person_create(name="陈分管", unit=cast.city, title="副市长")
    User.objects.filter(pk=cast.leader.pk).update(person=person)
    cast.leader.refresh_from_db()
    return person


@pytest.fixture
def duty(cast, leader_person):
    from duban.accountability import services

    return services.duty_link_save(actor=cast.discipline, unit=cast.bajiao, party_person=cast.p_bajiao_b,
                                   supervising_leader=leader_person)


@pytest.fixture
def proposal(cast, leader_person):
    """An overdue task of 芭蕉 climbs the 督办 ladder until the scan proposes accountability."""
    from duban.supervision.models import Proposal
    from duban.supervision.scan import scan
    from duban.tasks import services as tasks

    with at(date(2026, 6, 1), 9):
        task = tasks.task_create(actor=cast.supervisor, title="修建通村公路", lead_unit=cast.bajiao,
                                 start_date=date(2026, 6, 1), due_date=date(2026, 6, 30),
                                 responsible_post=cast.post_bajiao, responsible_leader=leader_person,
                                 reporting_cycle="none")
        tasks.task_assign(actor=cast.supervisor, task=task)
        tasks.task_acknowledge(actor=cast.bajiao_liaison, task=task)
    for day in (date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4), date(2026, 11, 5)):
        with at(day):
            scan()
    return Proposal.objects.get(task=task)


@pytest.fixture
def walk(cast):
    """walk(case, to) runs a case through its stages up to ``to`` as the discipline role."""
    from duban.accountability import services
    from duban.accountability.models import Stage

    def do(case, to, *, measure="criticism", on=None):
        on = on or case.opened_on
        order = [Stage.FILED, Stage.INVESTIGATION, Stage.TRIAL, Stage.DECIDED, Stage.EXECUTED]
        for stage in order[: order.index(to) + 1]:
            case.refresh_from_db()
            if stage == Stage.FILED:
                services.case_file(actor=cast.discipline, case=case, file=True, on=on, note="")
            elif stage == Stage.DECIDED:
                services.case_decide(actor=cast.discipline, case=case, measure=measure,
                                     decision_text="给予批评教育。", basis="《中国共产党问责条例》第八条", on=on)
            else:
                services.case_advance(actor=cast.discipline, case=case, stage=stage, on=on)
        case.refresh_from_db()
        return case

    return do
