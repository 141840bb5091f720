"""Drill F9 (security-criteria.md §4): the reminder scheduler under clock jumps.

Run by drill.py in a subprocess against the drill's database (its environment): the clock of
this process is moved with time-machine to a sequence of instants — the real now, +1 day, then
an NTP step back of 1 hour, then 23:59:30 → 00:00:30 across midnight in Beijing (+08:00): the first
midnight after which the scan has something to do (found by dry runs, at most 90 days on). At each
instant the worker's scheduler runs (``duban.core.jobs.run_due``, what `duban worker` does on a
poll) and then the two reminder jobs directly, twice (``supervision.scan.scan`` and
``tasks.jobs.scan_overdue_reports``: the scheduler may not find them due after a jump, and the
second pass is the rerun that must do nothing). Measured:

* what each instant created (reminders, 督办单, listings, proposals, overdue notifications,
  notices), against the dry run's plan; a rerun at the same instant and the step back create 0;
* duplicates: reminders per (task, kind, miss kind, miss date), overdue notifications per (task,
  missed deadline), notices per dedupe key — each must be 1;
* the light (亮灯) of every task at every instant: with the date not going back, a task that was
  red (overdue) must not turn back.

Prints one JSON object on the last line of stdout.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import django
import time_machine

BEIJING = ZoneInfo("Asia/Shanghai")
MAX_DAYS = 90


def main() -> int:
    django.setup()
    from django.db.models import Count

    from duban.core import jobs
    from duban.notices.models import Notice
    from duban.supervision.models import Listing, Order, Proposal, Reminder
    from duban.supervision.scan import scan
    from duban.tasks import lights
    from duban.tasks.jobs import scan_overdue_reports
    from duban.tasks.models import Light, Notification, NotificationKind, Task

    jobs.autodiscover()

    def counts() -> dict:
        return {"reminders": Reminder.objects.count(), "orders": Order.objects.count(),
                "listings": Listing.objects.count(), "proposals": Proposal.objects.count(),
                "overdue_notifications": Notification.objects.filter(kind=NotificationKind.REPORT_OVERDUE).count(),
                "notices": Notice.objects.count()}

    def duplicates() -> dict:
        def dup(qs, *fields):
            return qs.values(*fields).annotate(n=Count("id")).filter(n__gt=1).count()

        return {"reminders": dup(Reminder.objects.all(), "task", "kind", "miss_kind", "miss_date"),
                "overdue_notifications": dup(Notification.objects.filter(kind=NotificationKind.REPORT_OVERDUE),
                                             "task", "dedupe_key"),
                "notices": dup(Notice.objects.exclude(dedupe_key=""), "recipient_key", "kind", "subject_key",
                               "dedupe_key")}

    real_now = datetime.now(BEIJING)
    d0 = real_now.date()
    plus_day = real_now + timedelta(days=1)
    # the midnight to cross: the first one after +1 day at which the scan has something to do (a dry
    # run changes nothing), so that reminders fall due exactly across it; at most MAX_DAYS ahead
    due_day = d0 + timedelta(days=2)
    for k in range(2, MAX_DAYS + 1):
        with time_machine.travel(datetime.combine(d0 + timedelta(days=k), time(0, 0, 30), BEIJING), tick=False):
            if scan(dry_run=True).total:
                due_day = d0 + timedelta(days=k)
                break
    instants = [
        ("real now", real_now),
        ("+1 day", plus_day),
        ("-1 hour (NTP step back)", plus_day - timedelta(hours=1)),
        ("23:59:30 +08:00", datetime.combine(due_day - timedelta(days=1), time(23, 59, 30), BEIJING)),
        ("00:00:30 +08:00 (across midnight)", datetime.combine(due_day, time(0, 0, 30), BEIJING)),
    ]
    steps = []
    previous_lights: dict[int, str] = {}
    previous_date = None
    flips = []
    for label, instant in instants:
        with time_machine.travel(instant, tick=True):
            today = lights.today()
            plan = scan(dry_run=True).total
            before = counts()
            ran = jobs.run_due()
            scan()
            scan_overdue_reports()
            first = counts()
            scan()
            scan_overdue_reports()
            rerun = counts()
            task_lights = dict(Task.objects.annotate(light=lights.light_annotation(today)).values_list("pk", "light"))
        made = {k: first[k] - before[k] for k in first}
        again = {k: rerun[k] - first[k] for k in rerun}
        if previous_date is not None and today >= previous_date:
            flips += [pk for pk, light in task_lights.items()
                      if previous_lights.get(pk) == Light.RED and light != Light.RED]
        previous_lights, previous_date = task_lights, today
        steps.append({"at": label, "clock": instant.isoformat(timespec="seconds"), "beijing_date": today.isoformat(),
                      "planned": plan, "made": {k: v for k, v in made.items() if v},
                      "rerun_made": {k: v for k, v in again.items() if v}, "scheduler_ran": ran,
                      "red": sum(1 for v in task_lights.values() if v == Light.RED)})
    # the step back lands on the same Beijing date as "+1 day": nothing may be made there
    step_back = steps[2]
    same_date = step_back["beijing_date"] == steps[1]["beijing_date"]
    print(json.dumps({"steps": steps, "duplicates": duplicates(), "flips": flips, "step_back_same_date": same_date},
                     ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
