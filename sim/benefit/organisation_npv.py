"""The net present value of each organisation model (own centre, shared centre, direct
response by home care, purchased service) for every member with a benefit section, discounted
as its benefit analysis discounts (:mod:`sim.benefit.economics`).

The technology's gains (saved visits and hours) are the same whichever way the alarms are
answered, so the models differ only by what answering costs. Each model's yearly cost is taken
from the organisation comparison of the same replication (:mod:`sim.analysis.organisation`),
with one change: the home-care time that direct response consumes is valued at the member's
home-care hourly cost (``benefit.costs.hourly_cost``), as the benefit analysis values home-care
hours, not at the operators' cost. Every year of the appraisal period repeats the simulated
year (as the benefit analysis does after its last simulated year); the cost is public spending,
so it carries the *skattefinansieringskostnad* (``economics.tax_cost``), and year ``t`` of the
period is discounted by ``(1 + discount_rate) ** -t``:

    NPV = −cost × (1 + tax_cost) × Σ_{t=0}^{T−1} (1 + r)^−t

A model's NPV is therefore negative (a cost); the paired difference from the own centre
(``<model>_vs_own``) is the change in the member's benefit-analysis NPV if it answered its
alarms that way instead of in its own centre. Keys: ``models.<member>.<model>.npv_<first>_<last>``
(NOK), and ``models.region.…`` when every member has a benefit section with the same period.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from sim.benefit.appraisal import assumptions_of
from sim.benefit.economics import Assumptions, discount_factors
from sim.scenario.region import Member, Region

MODELS = ("own", "shared", "direct", "purchased")
HOURS_PER_ARSVERK = 1695.0
"""The hours per årsverk the organisation comparison counts in (its ``arsverk`` figures)."""


def npv_key(a: Assumptions) -> str:
    """``npv_2026_2035``: the figure's name, with the appraisal period's first and last year."""
    return f"npv_{a.years[0]}_{a.years[-1]}"


def member_assumptions(member: Member) -> Assumptions | None:
    """The economic assumptions of a member's benefit section (``None`` without one)."""
    benefit = member.scenario.benefit
    if benefit is None:
        return None
    return assumptions_of(benefit, member.scenario.start.year)


def yearly_costs(region: Region, member: Member, a: Assumptions,
                 figures: Mapping[str, float]) -> dict[str, float]:
    """Each model's cost a year for the appraisal: the comparison's cost, with direct response's
    home-care time at the home-care hourly cost."""
    prefix = f"models.{member.name}."
    costs = {model: figures[f"{prefix}{model}.cost"] for model in MODELS}
    home_care_hours = figures[f"{prefix}direct.arsverk"] * HOURS_PER_ARSVERK  # rota included
    costs["direct"] = home_care_hours * a.hourly_cost + region.spec.costs.own_fixed_per_year
    return costs


def present_cost(yearly: float, a: Assumptions) -> float:
    """The net present value of paying ``yearly`` in every year of the period (negative)."""
    return -yearly * (1.0 + a.tax_cost) * math.fsum(discount_factors(a.discount_rate,
                                                                     a.period_years))


def organisation_npvs(region: Region, figures: Mapping[str, float]) -> dict[str, float]:
    """One replication's NPV of every model for every member with a benefit section (and the
    region, when all have one with the same period), with the paired differences from the own
    centre. ``figures`` are the replication's ``models.…`` figures."""
    out: dict[str, float] = {}
    keys: set[str] = set()
    for member in region.members:
        a = member_assumptions(member)
        if a is None or f"models.{member.name}.own.cost" not in figures:
            continue
        key = npv_key(a)
        keys.add(key)
        for model, cost in yearly_costs(region, member, a, figures).items():
            out[f"models.{member.name}.{model}.{key}"] = present_cost(cost, a)
    complete = all(member_assumptions(m) is not None for m in region.members)
    if complete and len(keys) == 1:
        key = keys.pop()
        for model in MODELS:
            out[f"models.region.{model}.{key}"] = math.fsum(
                out[f"models.{m.name}.{model}.{key}"] for m in region.members)
    for name in {k.split(".")[1] for k in out}:
        for key in {k.rsplit(".", 1)[1] for k in out if k.startswith(f"models.{name}.")}:
            own = out[f"models.{name}.own.{key}"]
            for model in MODELS[1:]:
                mine = out[f"models.{name}.{model}.{key}"]
                out[f"models.{name}.{model}_vs_own.{key}"] = mine - own
    return out
