"""The cost–benefit appraisal of a comparison: the scenario's economic assumptions and the
simulated figures of each year, run through the pure arithmetic of :mod:`sim.benefit.economics`
for every replication (so the net present value has a confidence interval) and for the means
(the cash-flow table shown in the report).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from devices.contract.catalog import DEVICE_TYPES
from sim.benefit.economics import (
    LEVERS,
    NET_LINES,
    Assumptions,
    CashFlows,
    DevicePrices,
    OneOff,
    YearInputs,
    annualised_value,
    cash_flows,
    lever_break_even,
    net_present_value,
    payback_years,
    reachable,
    realistic,
)
from sim.benefit.gains import hours_saved_by_device, require_benefit
from sim.scenario.benefit import Benefit
from sim.scenario.loading import number_at
from sim.scenario.schema import Scenario

CENTRE_SETUP = "centre_setup"
MONTHS = 12


def assumptions_of(benefit: Benefit, first_plan_year: int) -> Assumptions:
    """The economic assumptions of a scenario's benefit section."""
    economics, costs = benefit.economics, benefit.costs
    first = economics.first_year or first_plan_year
    one_off = [OneOff(name, item.amount, item.year) for name, item in economics.one_off.items()]
    if costs.centre_setup:
        one_off.insert(0, OneOff(CENTRE_SETUP, costs.centre_setup, 0))
    return Assumptions(
        first_year=first,
        period_years=economics.period_years,
        price_year=economics.price_year or first,
        discount_rate=economics.discount_rate,
        tax_cost=economics.tax_cost,
        hourly_cost=costs.hourly_cost,
        operator_hourly_cost=costs.operator_hourly_cost,
        centre_share=costs.centre_share,
        rota_factor=costs.rota_factor,
        hours_per_arsverk=benefit.hours_per_arsverk,
        licences_per_year=costs.licences_per_year,
        devices={kind: DevicePrices(c.rent_per_month * MONTHS, c.installation, c.price,
                                    c.lifetime_years) for kind, c in costs.devices.items()},
        one_off=tuple(one_off),
        cash_share=dict(economics.cash_share),
        cash_share_default=economics.cash_share_default,
        cash_items=dict(economics.cash_items),
        ramp_up={kind: tuple(shares) for kind, shares in economics.ramp_up.items()},
    )


def year_inputs(year: int, figures: Mapping[str, float]) -> YearInputs:
    """The simulated figures of one year (one replication, or the means) the arithmetic needs."""
    return YearInputs(
        year=year,
        hours_saved=hours_saved_by_device(dict(figures)),
        devices={kind: figures[f"devices.{kind}"] for kind in DEVICE_TYPES},
        operator_hours=figures["staff.centre.on_duty_hours.per_year"],
    )


@dataclass(frozen=True, slots=True)
class BreakEven:
    """How large one assumption must be for one net present value to be zero."""

    name: str
    unit: str
    value: float
    line: str
    break_even: float | None
    reachable: bool
    description: str
    realistic: bool = False


@dataclass(frozen=True)
class Appraisal:
    """Net present values per replication, the cash-flow table of the means, and more."""

    assumptions: Assumptions
    table: CashFlows
    npv: dict[str, list[float]]
    annualised: dict[str, list[float]]
    payback: dict[str, int | None]
    break_even: tuple[BreakEven, ...]


def appraise(scenario: Scenario, per_year: Mapping[int, Sequence[Mapping[str, float]]],
             means: Mapping[int, Mapping[str, float]]) -> Appraisal:
    """The appraisal of a comparison: ``per_year`` holds every replication's figures by year,
    ``means`` the mean figures by year."""
    years = sorted(per_year)
    a = assumptions_of(require_benefit(scenario), years[0])
    replications = len(per_year[years[0]])
    npv: dict[str, list[float]] = {line: [] for line in NET_LINES}
    annualised: dict[str, list[float]] = {line: [] for line in NET_LINES}
    for i in range(replications):
        table = cash_flows(a, [year_inputs(y, per_year[y][i]) for y in years])
        for line in NET_LINES:
            value = net_present_value(table.line(line), a.discount_rate)
            npv[line].append(value)
            annualised[line].append(annualised_value(value, a.discount_rate, a.period_years))
    simulated = [year_inputs(y, means[y]) for y in years]
    table = cash_flows(a, simulated)
    payback = {line: payback_years(table.line(line), a.discount_rate) for line in NET_LINES}
    return Appraisal(a, table, npv, annualised, payback, break_evens(a, simulated))


def break_evens(a: Assumptions, simulated: Sequence[YearInputs]) -> tuple[BreakEven, ...]:
    """The break-even of every lever for the cash NPV and the NPV with freed capacity."""
    out = []
    for line in ("net.cash", "net.with_capacity"):
        for lever in LEVERS:
            value = lever_break_even(lever, a, simulated, line)
            base = lever.value(a, simulated)
            out.append(BreakEven(lever.name, lever.unit, base, line, value,
                                 reachable(lever, value), lever.description,
                                 realistic(lever, value, base)))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class SensitivityNpv:
    """One sensitivity assumption at its low and high value: the net present values and where,
    interpolated linearly between them, the net present value is zero."""

    n: int
    path: str
    base: float | None
    low: float
    high: float
    npv: dict[str, tuple[float, float]]
    break_even: dict[str, float | None]
    within_range: dict[str, bool]


def shifted(inputs: YearInputs, base: YearInputs, variant: YearInputs) -> YearInputs:
    """A year's inputs moved by the difference a variant makes in the first year."""
    kinds = set(inputs.hours_saved) | set(variant.hours_saved) | set(base.hours_saved)
    devices = set(inputs.devices) | set(variant.devices) | set(base.devices)
    return YearInputs(
        inputs.year,
        {k: inputs.hours_saved.get(k, 0.0) + variant.hours_saved.get(k, 0.0)
         - base.hours_saved.get(k, 0.0) for k in kinds},
        {k: inputs.devices.get(k, 0.0) + variant.devices.get(k, 0.0) - base.devices.get(k, 0.0)
         for k in devices},
        inputs.operator_hours + variant.operator_hours - base.operator_hours,
    )


def variant_npv(variant: Scenario, per_year: Mapping[int, Sequence[Mapping[str, float]]],
                inputs: Sequence[Mapping[str, float]], line: str) -> float:
    """Mean net present value of one variant: its own assumptions, every simulated year moved
    by the difference the variant makes in the first year, replication by replication."""
    years = sorted(per_year)
    a = assumptions_of(require_benefit(variant), years[0])
    values = []
    for i, figures in enumerate(inputs):
        base = year_inputs(years[0], per_year[years[0]][i])
        moved = year_inputs(years[0], figures)
        simulated = [shifted(year_inputs(y, per_year[y][i]), base, moved) for y in years]
        values.append(net_present_value(cash_flows(a, simulated).line(line), a.discount_rate))
    return sum(values) / len(values)


def zero_between(low: float, high: float, npv_low: float, npv_high: float) -> float | None:
    """Where the straight line through (low, npv_low) and (high, npv_high) crosses zero."""
    if npv_high == npv_low:
        return None
    return low - npv_low * (high - low) / (npv_high - npv_low)


def sensitivity_npvs(scenario: Scenario, variants: Mapping[str, Scenario],
                     per_year: Mapping[int, Sequence[Mapping[str, float]]],
                     variant_inputs: Mapping[str, Sequence[Mapping[str, float]]]
                     ) -> list[SensitivityNpv]:
    """The net present values of every sensitivity item at its low and high value, and its
    break-even by linear interpolation (exact where the value is linear in the assumption)."""
    out = []
    data = scenario.model_dump(mode="json", by_alias=True)
    for n, item in enumerate(require_benefit(scenario).sensitivity):
        keys = (f"sensitivity.{n}.low", f"sensitivity.{n}.high")
        if not all(k in variants and k in variant_inputs for k in keys):
            continue
        npv, zero, within = {}, {}, {}
        for line in ("net.cash", "net.with_capacity"):
            low, high = (variant_npv(variants[k], per_year, variant_inputs[k], line)
                         for k in keys)
            npv[line] = (low, high)
            zero[line] = zero_between(item.low, item.high, low, high)
            found = zero[line]
            within[line] = found is not None and min(item.low, item.high) <= found <= max(
                item.low, item.high)
        current = number_at(data, item.path)
        value = None if current is None else float(current)
        out.append(SensitivityNpv(n, item.path, value, item.low, item.high, npv, zero, within))
    return out
