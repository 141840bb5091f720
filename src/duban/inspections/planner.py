"""The coverage planner: propose the remaining rounds so that every uncovered unit is inspected
before the term ends, within the capacity and the conflict-of-interest (回避) rules.

The problem. Units U (still uncovered), inspectors P (the pool), conflict pairs C ⊆ P × U (p may
not inspect u), R round slots left in the term, K teams per round, at most ``units_per_team``
units per team and exactly ``members_per_team`` inspectors per team; an inspector serves in at
most one team of a round. Assign every unit to one (round, team) and inspectors to the teams so
that no team holds an inspector in conflict with one of its units, using as few rounds as possible.

Two methods, one answer format (:class:`Plan`):

* **MIP** (PuLP + the CBC solver PuLP bundles), when the model is small enough (``MIP_LIMIT``
  variables): binaries x[u,r,k] (unit u in team k of round r), y[p,r,k] (inspector p in that
  team), z[r] (round r is used)::

      min Σ z[r]
      Σ_{r,k} x[u,r,k] = 1                     every unit once
      Σ_u x[u,r,k] ≤ units_per_team · z[r]      team capacity
      Σ_p y[p,r,k] = members_per_team · z[r]    team size
      Σ_k y[p,r,k] ≤ 1                          one team per inspector per round
      x[u,r,k] + y[p,r,k] ≤ 1   for (p,u) ∈ C   回避
      z[r] ≥ z[r+1]                             rounds are used in order

  The optimum is exact; "infeasible" from the solver means no assignment exists at all.

* **Greedy** (province scale): round after round, teams are formed from the pool in rotation and
  the units are placed most-constrained first into a team with room and no conflicting member; a
  unit no team of this round may take waits for the next round. Bound: every plan needs at least
  ``lower_bound = ⌈|U| / (K · units_per_team)⌉`` rounds; without conflicts the greedy fills every
  round and meets the bound exactly, with conflicts it reports its own count next to the bound
  (``Plan.rounds`` vs ``Plan.lower_bound``), so the gap is visible.

Before either method runs, the necessary conditions are checked and each failure becomes a
reason in words: a capacity of zero, a pool too small to form one team, a unit for which fewer
than ``members_per_team`` inspectors are free of conflict, more units than the rounds left can hold.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

MIP_LIMIT = 6000  # variables; above it the greedy runs


@dataclass(frozen=True)
class Capacity:
    units_per_team: int
    teams_per_round: int
    rounds_per_year: int
    members_per_team: int = 3


@dataclass
class PlannedTeam:
    members: list[int]  # person ids; the first is the 组长, the second the 副组长
    units: list[int]


@dataclass
class PlannedRound:
    index: int  # 1-based, among the proposed rounds
    teams: list[PlannedTeam]

    @property
    def units(self) -> list[int]:
        return [u for t in self.teams for u in t.units]


@dataclass
class Plan:
    feasible: bool
    method: str  # "mip", "greedy" or "" (refused before solving)
    lower_bound: int
    rounds_available: int
    rounds: list[PlannedRound] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0
    unit_count: int = 0

    @property
    def round_count(self) -> int:
        return len(self.rounds)


class CapacityError(ValueError):
    """A capacity that cannot plan anything (zero or negative); ``field`` names the input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def validate_capacity(capacity: Capacity) -> None:
    labels = {"units_per_team": _("每组巡察单位数"), "teams_per_round": _("每轮巡察组数"),
              "rounds_per_year": _("每年轮次数"), "members_per_team": _("每组人数")}
    for name, label in labels.items():
        value = getattr(capacity, name)
        if not isinstance(value, int) or value <= 0:
            raise CapacityError(name, _("%(label)s必须是正整数。") % {"label": label})


def plan(*, units: dict[int, str], inspectors: dict[int, str], conflicts: set[tuple[int, int]],
         rounds_available: int, capacity: Capacity, method: str = "auto") -> Plan:
    """Propose rounds covering ``units`` ({id: name}) with ``inspectors`` ({id: name}).

    ``conflicts`` holds (person id, unit id) pairs. ``method``: "auto", "mip" or "greedy"."""
    validate_capacity(capacity)
    started = time.perf_counter()
    m = capacity.members_per_team
    teams = min(capacity.teams_per_round, len(inspectors) // m)
    per_round = teams * capacity.units_per_team
    lower = math.ceil(len(units) / per_round) if per_round else 0
    result = Plan(feasible=False, method="", lower_bound=lower, rounds_available=rounds_available,
                  unit_count=len(units))
    if not units:
        result.feasible = True
        return result
    reasons = result.reasons
    if teams == 0:
        reasons.append(_("巡察干部库只有 %(n)s 人,不足以组成一个 %(m)s 人的巡察组。") % {"n": len(inspectors), "m": m})
    conflicted: dict[int, set[int]] = {}
    for person, unit in conflicts:
        if person in inspectors and unit in units:
            conflicted.setdefault(unit, set()).add(person)
    for unit_id, people in conflicted.items():
        free = len(inspectors) - len(people)
        if free < m:
            reasons.append(_("“%(unit)s”只有 %(free)s 名无需回避的巡察干部,少于每组 %(m)s 人。") % {
                "unit": units[unit_id], "free": free, "m": m})
    if rounds_available <= 0:
        reasons.append(_("本届任期已没有可安排的巡察轮次。"))
    elif teams and lower > rounds_available:
        reasons.append(_("还有 %(n)s 个单位未巡察,每轮最多巡察 %(c)s 个(%(k)s 个组 × 每组 %(u)s 个),"
                         "至少需要 %(lb)s 轮,任期内只剩 %(r)s 轮。") % {
            "n": len(units), "c": per_round, "k": teams, "u": capacity.units_per_team, "lb": lower,
            "r": rounds_available})
    if reasons:
        result.seconds = time.perf_counter() - started
        return result
    size = (len(units) + len(inspectors)) * teams * rounds_available
    if method == "mip" or (method == "auto" and size <= MIP_LIMIT):
        _solve_mip(result, units, inspectors, conflicted, teams, capacity)
    else:
        _solve_greedy(result, units, inspectors, conflicted, teams, capacity)
    result.seconds = time.perf_counter() - started
    return result


def _solve_mip(result: Plan, units, inspectors, conflicted, teams: int, capacity: Capacity) -> None:
    import pulp

    result.method = "mip"
    unit_ids = sorted(units)
    people = sorted(inspectors)
    rounds = range(result.rounds_available)
    team_ids = range(teams)
    prob = pulp.LpProblem("inspection_coverage", pulp.LpMinimize)
    x = {(u, r, k): pulp.LpVariable(f"x_{u}_{r}_{k}", cat="Binary") for u in unit_ids for r in rounds for k in team_ids}
    y = {(p, r, k): pulp.LpVariable(f"y_{p}_{r}_{k}", cat="Binary") for p in people for r in rounds for k in team_ids}
    z = {r: pulp.LpVariable(f"z_{r}", cat="Binary") for r in rounds}
    prob += pulp.lpSum(z.values())
    for u in unit_ids:
        prob += pulp.lpSum(x[u, r, k] for r in rounds for k in team_ids) == 1
    for r in rounds:
        for k in team_ids:
            prob += pulp.lpSum(x[u, r, k] for u in unit_ids) <= capacity.units_per_team * z[r]
            prob += pulp.lpSum(y[p, r, k] for p in people) == capacity.members_per_team * z[r]
        for p in people:
            prob += pulp.lpSum(y[p, r, k] for k in team_ids) <= 1
        if r + 1 < result.rounds_available:
            prob += z[r] >= z[r + 1]
    for u, blocked in conflicted.items():
        for p in blocked:
            for r in rounds:
                for k in team_ids:
                    prob += x[u, r, k] + y[p, r, k] <= 1
    status = prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=60))
    if pulp.LpStatus[status] != "Optimal":
        result.reasons.append(_("在回避规则下,任期内剩余的 %(r)s 轮无法覆盖全部 %(n)s 个单位(求解器判定无可行方案)。") % {
            "r": result.rounds_available, "n": len(unit_ids)})
        return
    for r in rounds:
        if (z[r].value() or 0) < 0.5:
            continue
        planned = []
        for k in team_ids:
            members = [p for p in people if (y[p, r, k].value() or 0) > 0.5]
            team_units = [u for u in unit_ids if (x[u, r, k].value() or 0) > 0.5]
            if team_units:
                planned.append(PlannedTeam(members=members, units=team_units))
        result.rounds.append(PlannedRound(index=len(result.rounds) + 1, teams=planned))
    result.feasible = True


def _solve_greedy(result: Plan, units, inspectors, conflicted, teams: int, capacity: Capacity) -> None:
    result.method = "greedy"
    m = capacity.members_per_team
    people = sorted(inspectors)
    # Most constrained first: the units with most conflicting inspectors, then by id.
    waiting = sorted(units, key=lambda u: (-len(conflicted.get(u, ())), u))
    shift = 0
    for _r in range(result.rounds_available):
        if not waiting:
            break
        # Rotate the pool so the teams differ from round to round.
        order = people[shift:] + people[:shift]
        shift = (shift + teams * m) % len(people)
        members = [order[k * m:(k + 1) * m] for k in range(teams)]
        member_sets = [set(ms) for ms in members]
        placed: list[list[int]] = [[] for _k in range(teams)]
        left = []
        for u in waiting:
            blocked = conflicted.get(u)
            for k in range(teams):
                if len(placed[k]) < capacity.units_per_team and not (blocked and blocked & member_sets[k]):
                    placed[k].append(u)
                    break
            else:
                left.append(u)
        if len(left) == len(waiting):
            continue  # nobody placeable with this round's teams; the rotation tries others
        result.rounds.append(PlannedRound(index=len(result.rounds) + 1, teams=[
            PlannedTeam(members=members[k], units=placed[k]) for k in range(teams) if placed[k]]))
        waiting = left
    if waiting:
        names = "、".join(units[u] for u in waiting[:5])
        result.reasons.append(_("按回避规则,任期内剩余的 %(r)s 轮仍有 %(n)s 个单位无法安排:%(names)s。") % {
            "r": result.rounds_available, "n": len(waiting), "names": names})
        return
    result.feasible = True
