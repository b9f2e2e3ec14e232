"""Sharing the shared centre's cost among its members, by the usual keys of inter-municipal
agreements, and each member's net gain against running its own centre.

The total a year is the shared centre's operator hours on duty x the rota factor x the hourly
cost, plus its fixed cost. Each key splits exactly that total (the shares of a key sum to one):

- ``inhabitants``: by the members' inhabitants (the region file's ``inhabitants``);
- ``devices``: by the devices in each member's fleet;
- ``alarms``: by the incidents each member's devices opened (simulated);
- ``operator_minutes``: by the operator time each member's incidents used (simulated);
- ``fixed_variable``: ``costs.fixed_share`` of the total per inhabitant, the rest per
  operator-minute used (a base amount and a use-based amount).

A member's own centre costs the operator hours on duty of its own scenario's shifts x the rota
factor x the hourly cost, plus ``costs.own_fixed_per_year``; its net gain under a key is that
less its share. The simulated keys vary between replications: every figure is computed per
replication, so that it gets a confidence interval like any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sim.analysis.aggregate import unit_of
from sim.scenario.region import Region
from sim.scenario.schema import Scenario, Shift

YEAR_H = 365.0 * 24.0
KEYS = ("inhabitants", "devices", "alarms", "operator_minutes", "fixed_variable")
"""The cost-sharing keys, in report order."""


class CostSharingError(ValueError):
    """A key cannot be computed (for example inhabitants not given for every member)."""


def operator_hours_per_year(shifts: Sequence[Shift]) -> float:
    """Operator hours on duty in a year of these shifts."""
    return sum(s.operators * s.length_s / 3600.0 for s in shifts) * 365.0


def centre_cost(region: Region, shifts: Sequence[Shift], fixed: float) -> float:
    """A year of a centre with these shifts: paid operator hours and the fixed cost."""
    costs = region.spec.costs
    return (operator_hours_per_year(shifts) * costs.rota_factor * costs.operator_hourly_cost
            + fixed)


def device_count(scenario: Scenario) -> int:
    """Devices in a scenario's fleet: each user group's count x its devices."""
    return sum(u.count * len(u.devices) for u in scenario.users)


def key_weights(region: Region, metrics: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """Each key's weight per member (not yet normalised), from one replication's metrics."""
    inhabitants = {m.name: m.inhabitants for m in region.members}
    weights: dict[str, dict[str, float]] = {
        "devices": {m.name: float(device_count(m.scenario)) for m in region.members},
        "alarms": {m.name: metrics[f"members.{m.name}.incidents.count"]
                   for m in region.members},
        "operator_minutes": {m.name: 60.0 * metrics[f"members.{m.name}.operators.busy_h"]
                             for m in region.members},
    }
    if all(v is not None for v in inhabitants.values()):
        weights["inhabitants"] = {k: float(v or 0) for k, v in inhabitants.items()}
    return weights


def shares(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights as shares summing to one."""
    total = sum(weights.values())
    if total <= 0:
        raise CostSharingError("a cost-sharing key has no weight: nothing to split by")
    return {k: v / total for k, v in weights.items()}


def cost_split(region: Region, metrics: Mapping[str, float]) -> dict[str, float]:
    """One replication's cost figures: ``costs.total``, ``costs.<member>.own`` and, for every
    key, ``costs.<member>.<key>`` (its share of the total) and ``gain.<member>.<key>`` (own
    centre less its share)."""
    costs = region.spec.costs
    total = centre_cost(region, region.shifts, costs.fixed_per_year)
    out = {"costs.total": total}
    weights = key_weights(region, metrics)
    split = {key: shares(w) for key, w in weights.items()}
    if "inhabitants" in split:
        split["fixed_variable"] = {
            m: costs.fixed_share * split["inhabitants"][m]
            + (1 - costs.fixed_share) * split["operator_minutes"][m] for m in split["alarms"]}
    for member in region.members:
        own = centre_cost(region, member.scenario.centre.shifts, costs.own_fixed_per_year)
        out[f"costs.{member.name}.own"] = own
        for key in KEYS:
            if key in split:
                share = split[key][member.name] * total
                out[f"costs.{member.name}.{key}"] = share
                out[f"gain.{member.name}.{key}"] = own - share
    out["costs.own_total"] = sum(out[f"costs.{m.name}.own"] for m in region.members)
    out["gain.region"] = out["costs.own_total"] - total
    return out


def available_keys(region: Region) -> tuple[str, ...]:
    """The keys that can be computed for this region (the inhabitant keys need every member's
    inhabitants)."""
    if all(m.inhabitants is not None for m in region.members):
        return KEYS
    return tuple(k for k in KEYS if k not in ("inhabitants", "fixed_variable"))


def region_unit(key: str) -> str:
    """The unit of a region run's figure: NOK a year for costs and gains, NOK for a net present
    value, else the metric's."""
    if ".npv_" in key:
        return "NOK"
    return "NOK/yr" if key.startswith(("costs.", "gain.")) else unit_of(key)
