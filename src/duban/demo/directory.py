"""Build the demo directory of 恩施市: units, people, posts with A/B/C holders, absences and the
twelve leading groups.

Everything is created through duban.orgs.services, never through the models, so the demo's
ledger is the same ledger a real deployment would have and ``duban verify-ledger`` passes on it.
The services run with ``actor=None`` (an internal caller: the directory exists before any account).

``build_directory()`` returns a dict that later builders (accounts, demo tasks) look objects up
in, by the stable keys of duban.demo.data:

    directory["units"][code]                 -> Unit            e.g. "BJ" (芭蕉侗族乡)
    directory["people"][(code, slot)]        -> Person          e.g. ("BJ", "office")
    directory["posts"][(code, post title)]   -> Post            e.g. ("BJ", "督办联络员")
    directory["groups"][name]                -> LeadingGroup
    directory["absences"][key]               -> Absence         "on_leave_today", "trip_next_week"
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone

from duban.demo.data import groups as group_data
from duban.demo.data import names as name_data
from duban.demo.data import units as unit_data
from duban.orgs import services
from duban.orgs.models import AbsenceKind, Person

DEFAULT_SEED = 2017

# The A holder away today (so B acts and the UI says why) and the one away next week. 芭蕉 is the
# township the speech names first; the 芭蕉 liaison demo accounts are tied to this post.
ON_LEAVE_TODAY = ("BJ", unit_data.LIAISON_POST)
TRIP_NEXT_WEEK = ("LF", unit_data.LIAISON_POST)


class NameGenerator:
    """Deterministic, unique Chinese names: the same seed always gives the same directory."""

    def __init__(self, rng: random.Random, reserved=()):
        self.rng = rng
        self.used = set(reserved)

    def __call__(self) -> str:
        for _attempt in range(1000):
            length = 1 if self.rng.random() < 0.3 else 2
            name = self.rng.choice(name_data.SURNAMES) + "".join(
                self.rng.choice(name_data.GIVEN) for _ in range(length))
            # Doubled characters ("红红") read as nicknames, not as an official's name.
            if name not in self.used and len(set(name[1:])) == len(name) - 1:
                self.used.add(name)
                return name
        raise RuntimeError("name pool exhausted")  # pragma: no cover - the pool has ~500k names


def _fixed_names():
    return {name for spec in unit_data.UNITS for _slot, _title, name in spec["staff"] if name}


def build_directory(*, seed: int = DEFAULT_SEED, today: date | None = None) -> dict:
    today = today or timezone.localdate()
    new_name = NameGenerator(random.Random(seed), reserved=_fixed_names())
    directory = {"units": {}, "people": {}, "posts": {}, "groups": {}, "absences": {}}
    _build_units(directory)
    _build_people(directory, new_name)
    _build_posts(directory)
    _build_absences(directory, today)
    _build_groups(directory)
    return directory


def _build_units(directory) -> None:
    units = directory["units"]
    siblings: dict[str | None, int] = {}
    for spec in unit_data.UNITS:
        parent_code = spec["parent"]
        # Leave gaps in sort_order so a unit added later by hand can go between two demo units.
        siblings[parent_code] = siblings.get(parent_code, 0) + 10
        units[spec["code"]] = services.unit_create(
            actor=None, name=spec["name"], parent=units[parent_code] if parent_code else None, kind=spec["kind"],
            short_name=spec["short"], code=spec["code"], sort_order=siblings[parent_code], aliases=spec["aliases"],
        )


def _build_people(directory, new_name) -> None:
    for spec in unit_data.UNITS:
        unit = directory["units"][spec["code"]]
        for slot, title, fixed_name in spec["staff"]:
            directory["people"][(spec["code"], slot)] = services.person_create(
                actor=None, name=fixed_name or new_name(), unit=unit, title=title)


def _build_posts(directory) -> None:
    people = directory["people"]
    for spec in unit_data.UNITS:
        code = spec["code"]
        for title, (a, b, c), duties in spec["posts"]:
            directory["posts"][(code, title)] = services.post_create(
                actor=None, unit=directory["units"][code], title=title, duties=duties,
                a_holder=people[(code, a)], b_holder=people[(code, b)], c_holder=people[(code, c)],
            )


def _build_absences(directory, today: date) -> None:
    away = directory["posts"][ON_LEAVE_TODAY].a_holder
    directory["absences"]["on_leave_today"] = services.absence_create(
        actor=None, person=away, kind=AbsenceKind.LEAVE, start=today - timedelta(days=1), end=today + timedelta(days=3),
        note="年休假",
    )
    # Next Monday to Friday: strictly after today whatever weekday the demo is loaded on, so
    # exactly one A holder is away today.
    monday = today + timedelta(days=7 - today.weekday())
    traveller = directory["posts"][TRIP_NEXT_WEEK].a_holder
    directory["absences"]["trip_next_week"] = services.absence_create(
        actor=None, person=traveller, kind=AbsenceKind.TRIP, start=monday, end=monday + timedelta(days=4),
        note="赴武汉对接重点项目",
    )


def _build_groups(directory) -> None:
    people, units = directory["people"], directory["units"]

    def persons(keys) -> list[Person]:
        return [people[key] for key in keys]

    for spec in group_data.GROUPS:
        directory["groups"][spec["name"]] = services.group_save(
            actor=None, name=spec["name"], leader=people[spec["leader"]], office_unit=units[spec["office"]],
            duties=spec["duties"], established=spec["established"], deputies=persons(spec["deputies"]),
            member_people=persons(spec["people"]), member_units=[units[code] for code in spec["units"]],
        )
