"""Demo data for 巡察: the term from 2026, an inspector pool (people of the directory: 巡察办, 纪委,
组织部 …) with one person's history and another's relative (回避), one round fed back on two
townships with a finding each (the office assigns their rectification in the demo), and a second
round planned, not yet fed back. No person, task or source is added."""

from __future__ import annotations

from datetime import date, timedelta

from duban.inspections import services
from duban.tasks import lights


def build_inspections(directory: dict, accounts: dict) -> dict:
    office = accounts["duchashi"]
    units = directory["units"]
    today = lights.today()
    term = services.term_create(actor=office, name="市第十五届任期", start_date=date(2026, 1, 1))
    organs = ("XCHB", "SJW", "ZZB", "DX", "XCB", "TZB")
    people = [(code, p) for (code, _slot), p in directory["people"].items() if code in organs]
    pool = [p for _code, p in sorted(people, key=lambda item: (organs.index(item[0]), item[1].pk))][:6]
    for person in pool:
        services.pool_add(actor=office, person=person)
    services.history_add(actor=office, person=pool[0], unit=units["BJ"], start_year=2019, end_year=2023)
    services.relative_add(actor=office, person=pool[1], name="向小梅", relation="配偶", unit=units["BG"])
    start = today - timedelta(days=60)
    end = start + timedelta(days=150)
    first = services.round_create(actor=office, term=term, name="2026年第一轮巡察", start_date=start, end_date=end,
                                  stages=services.default_stages(start, end), units=[units["BJ"], units["BG"]])
    services.team_set(actor=office, round_=first, name="第一巡察组", leader=pool[2], deputy=pool[3],
                      members=[pool[4]], units=[units["BJ"], units["BG"]])
    finding = services.finding_add(actor=office, round_=first, unit=units["BJ"], category="discipline",
                                   description="“三重一大”事项集体决策制度执行不到位,部分项目未经党委会研究",
                                   evidence="抽查2025年党委会记录", severity="serious", responsible_person="乡党委")
    services.finding_add(actor=office, round_=first, unit=units["BG"], category="personnel",
                         description="干部人事档案专项审核发现的问题未整改到位", severity="general")
    services.round_feedback(actor=office, round_=first, on=today)
    second_start = today + timedelta(days=10)
    second_end = second_start + timedelta(days=120)
    second = services.round_create(actor=office, term=term, name="2026年第二轮巡察", start_date=second_start,
                                   end_date=second_end, stages=services.default_stages(second_start, second_end),
                                   units=[units["FGJ"], units["CZJ"]])
    return {"term": term, "rounds": [first, second], "finding": finding}
