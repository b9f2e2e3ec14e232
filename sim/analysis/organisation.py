"""The four ways to organise alarm response, side by side for every member and the region, on
common random numbers (Helsedirektoratet IS-2552 describes the choice):

- ``own``: each member runs its own centre, staffed as its scenario file says;
- ``shared``: the region's shared centre (its figures from the region run);
- ``direct``: no centre; each zone's home-care workers answer its alarms between visits
  (:mod:`sim.model.direct_response`): the answer time is the wait for one of them, and the
  time spent answering is home-care time;
- ``purchased``: an alarm-reception service bought per device and month; its answer times are
  what the contract promises (not simulated: ``costs.purchased_answer_share`` within
  ``costs.purchased_answer_within``), visits stay with the member's home care.

Replication ``i`` of every model draws each member's alarms from the same named streams, so the
differences between models (``models.<member>.<model>_vs_own.*``) are paired per replication and
their intervals are narrower than the models' own.

Figures per member and model: ``answer.within_<t>`` (the region's first answer target at or
above 60 s, else its last), ``answer.mean_s``, ``visits.response_mean_s``, ``arsverk`` (the
municipality's own paid operator or home-care time for answering, a year) and ``cost`` (NOK a
year: own centre, its share of the shared centre by the fixed + variable key, or the price of
the purchased service; direct response is costed as the home-care time it takes plus the
alarm-reception system of an own centre, ``costs.own_fixed_per_year``).
"""

from __future__ import annotations

from collections.abc import Mapping

from sim.analysis.cost_sharing import centre_cost, cost_split, device_count
from sim.model.member_metrics import operator_time
from sim.model.metrics import replication_metrics
from sim.run.replication import run_replication
from sim.scenario.durations import format_duration
from sim.scenario.region import Member, Region

MODELS = ("own", "shared", "direct", "purchased")
HOURS_PER_ARSVERK = 1695.0
"""Paid hours a year of one full-time post: 37.5 h a week less holidays, a common planning
figure (assumption, as lier-2026.yaml's benefit.hours_per_arsverk)."""
DAY = 86400.0


def answer_key(region: Region) -> str:
    """The answer target the comparison shows: the first at or above 60 s, else the last."""
    targets = sorted(region.spec.targets.answer_within)
    chosen = next((t for t in targets if t >= 60.0), targets[-1])
    return f"answer.within_{format_duration(chosen)}"


def member_models(region: Region, member: Member, seed: int, index: int,
                  shared: Mapping[str, float], costs: Mapping[str, float]) -> dict[str, float]:
    """One replication of one member under every model (keys ``<model>.<figure>``)."""
    key = answer_key(region)
    spec = region.spec.costs
    days = (region.horizon - region.warmup) / DAY
    window = (region.warmup, region.horizon)
    out: dict[str, float] = {}
    own_log = run_replication(member.scenario, seed, index, namespace=member.name)
    own = replication_metrics(member.scenario, own_log)
    direct_log = run_replication(member.scenario, seed, index, namespace=member.name,
                                 direct=True)
    direct = replication_metrics(member.scenario, direct_log)
    prefix = f"members.{member.name}."
    for model, figures in (("own", own), ("direct", direct),
                           ("shared", {k.removeprefix(prefix): v for k, v in shared.items()
                                       if k.startswith(prefix)})):
        for figure in (key, "answer.mean_s", "visits.response_mean_s"):
            out[f"{model}.{figure}"] = figures[figure]
    paid = spec.rota_factor * spec.operator_hourly_cost
    own_hours = sum(s.operators * s.length_s / 3600.0 for s in member.scenario.centre.shifts)
    out["own.arsverk"] = own_hours * 365.0 * spec.rota_factor / HOURS_PER_ARSVERK
    out["own.cost"] = centre_cost(region, member.scenario.centre.shifts,
                                  spec.own_fixed_per_year)
    shared_hours = sum(s.operators * s.length_s / 3600.0 for s in region.shifts) * 365.0
    out["shared.arsverk"] = (shared[f"{prefix}operators.busy_share"] * shared_hours
                             * spec.rota_factor / HOURS_PER_ARSVERK)
    sharing = "fixed_variable" if f"costs.{member.name}.fixed_variable" in costs \
        else "operator_minutes"
    out["shared.cost"] = costs[f"costs.{member.name}.{sharing}"]
    answering_h = operator_time(direct_log, window)["operators.busy_h"] * 365.0 / days
    out["direct.arsverk"] = answering_h * spec.rota_factor / HOURS_PER_ARSVERK
    out["direct.cost"] = answering_h * paid + spec.own_fixed_per_year  # alarm reception too
    out[f"purchased.{key}"] = spec.purchased_answer_share
    out["purchased.visits.response_mean_s"] = own["visits.response_mean_s"]
    out["purchased.arsverk"] = 0.0
    out["purchased.cost"] = (spec.purchased_price_per_device_month * 12.0
                             * device_count(member.scenario))
    for model in ("shared", "direct", "purchased"):
        for figure in (key, "answer.mean_s", "visits.response_mean_s", "arsverk", "cost"):
            mine, theirs = out.get(f"{model}.{figure}"), out.get(f"own.{figure}")
            if mine is not None and theirs is not None:
                out[f"{model}_vs_own.{figure}"] = mine - theirs
    return out


def organisation_replication(region: Region, seed: int, index: int,
                             shared: Mapping[str, float]) -> dict[str, float]:
    """One replication of every model for every member and the region (``models.…`` keys);
    ``shared`` is the region run's metrics of the same replication."""
    costs = cost_split(region, shared)
    out: dict[str, float] = {}
    totals: dict[str, float] = {}
    for member in region.members:
        figures = member_models(region, member, seed, index, shared, costs)
        for key, value in figures.items():
            out[f"models.{member.name}.{key}"] = value
            if key.endswith((".arsverk", ".cost")):
                totals[key] = totals.get(key, 0.0) + value
    out.update({f"models.region.{k}": v for k, v in totals.items()})
    return out
