"""Objects of checks and meetings for tests/test_authz_matrix.py's world, one in 芭蕉 and its
counterpart in 白果 (the inside/outside axis). To use: ``build(cast)`` after the world has its
``group`` and ``group_outside``; then the matrix can name the tokens check, finding, meeting,
decision (and their ``*_outside`` twins) instead of 'literal:0'. Checked with a copy of the
matrix test (every role, both axes) on 2026-12-03:

    OUTSIDE += {"check": "check_outside", "finding": "finding_outside",
                "meeting": "meeting_outside", "decision": "decision_outside"}
    checks:detail          allow [discipline, leader, liaison, supervisor, unit_admin]  pk: check
    checks:finding_create  allow [supervisor]  pk: check
    checks:publish         allow [supervisor]  pk: check     POST
    checks:finding_task    allow [supervisor]  pk: finding   POST
    checks:finding_propose allow [supervisor]  pk: finding   POST
    meetings:detail        allow [discipline, leader, liaison, supervisor, unit_admin]  pk: meeting
    meetings:minutes       allow [discipline, leader, liaison, supervisor, unit_admin]  pk: meeting
    meetings:decision_add  allow [supervisor, unit_admin]  pk: meeting  POST
    meetings:minutes_edit  allow [supervisor, unit_admin]  pk: meeting  POST
    meetings:decision_task allow [supervisor]  pk: decision  POST
"""

from datetime import timedelta


def build(cast):
    from duban.checks import services as checks
    from duban.meetings import services as meetings
    from duban.tasks import lights

    today = lights.today()

    def check(unit, title):
        return checks.check_create(actor=cast.supervisor, title=title, mode="open", scope="special", stage="process",
                                   start_date=today, end_date=today + timedelta(days=1), units=[unit])

    cast.check = check(cast.bajiao, "芭蕉专项督查")
    cast.check_outside = check(cast.baiguo, "白果专项督查")
    cast.finding = checks.finding_add(actor=cast.supervisor, check=cast.check, unit=cast.bajiao, description="问题")
    cast.finding_outside = checks.finding_add(actor=cast.supervisor, check=cast.check_outside, unit=cast.baiguo,
                                              description="问题")

    def meeting(group):
        m = meetings.meeting_create(actor=cast.supervisor, group=group, title=f"{group.name}会议", date=today,
                                    agenda=["议题"])
        return m, meetings.decision_add(actor=cast.supervisor, meeting=m, text="议定事项", lead_unit=group.office_unit,
                                        due_date=today + timedelta(days=30))

    cast.meeting, cast.decision = meeting(cast.group)
    cast.meeting_outside, cast.decision_outside = meeting(cast.group_outside)
    return cast
