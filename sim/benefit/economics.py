"""Cost–benefit arithmetic (*samfunnsøkonomisk analyse*) after DFØ's *Veileder i
samfunnsøkonomiske analyser* and Finansdepartementet's rundskriv R-109/2021.

Pure functions, separate from the simulation, so that the report, the spreadsheet and the
probabilistic sensitivity analysis reuse them: the simulated figures of each year
(:class:`YearInputs`) and the economic assumptions (:class:`Assumptions`) give a cash-flow table
per year of the analysis period (:func:`cash_flows`); discounting it gives the net present value
(:func:`net_present_value`), the annualised value (:func:`annualised_value`), the payback year
(:func:`payback_years`) and, for any assumption, the value at which the net present value is zero
(:func:`break_even`).

Conventions (docs/benefit.md, "Method"):

- Fixed prices of ``price_year`` (real kroner); the kalkulasjonsrente is real.
- Year ``t = 0`` is the first year of the analysis period (the comparison year,
  *sammenligningsår*); a flow in year ``t`` is discounted by ``(1 + r) ** -t``.
- Three kinds of gain are kept apart: cash-releasing gains (a budget cost disappears), freed
  capacity (hours that meet growth in demand; its value is a separate line, never in the cash
  figures) and quality (not priced; see the plus/minus table).
- Skattekostnad is ``tax_cost`` times the net public spending of the year (costs less cash
  gains); it is negative in a year the budget saves money.
- Years of the period after the last simulated year repeat its figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

OTHER = ""
"""Key of the freed hours not attributed to a device kind."""


@dataclass(frozen=True, slots=True)
class DevicePrices:
    """What one device of a kind costs, and how long it lasts."""

    rent_per_year: float = 0.0
    installation: float = 0.0
    price: float = 0.0
    lifetime_years: int = 5

    @property
    def investment(self) -> float:
        """Purchase and installation of one device (first time and at each reinvestment)."""
        return self.price + self.installation


@dataclass(frozen=True, slots=True)
class OneOff:
    """A one-off cost (project, procurement, integration, training) in year ``year`` of the
    period (0 = the first year)."""

    name: str
    amount: float
    year: int = 0


@dataclass(frozen=True, slots=True)
class Assumptions:
    """The economic assumptions of one analysis (prices, rates, shares, period)."""

    first_year: int
    period_years: int = 10
    price_year: int | None = None
    discount_rate: float = 0.04
    tax_cost: float = 0.20
    hourly_cost: float = 413.0
    operator_hourly_cost: float = 413.0
    centre_share: float = 1.0
    rota_factor: float = 1.0
    hours_per_arsverk: float = 1695.0
    licences_per_year: float = 0.0
    devices: Mapping[str, DevicePrices] = field(default_factory=dict)
    one_off: tuple[OneOff, ...] = ()
    cash_share: Mapping[str, float] = field(default_factory=dict)
    cash_share_default: float = 0.0
    cash_items: Mapping[str, float] = field(default_factory=dict)
    ramp_up: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    gain_scale: float = 1.0

    @property
    def years(self) -> tuple[int, ...]:
        """Calendar years of the analysis period."""
        return tuple(range(self.first_year, self.first_year + self.period_years))

    def share_in_cash(self, kind: str) -> float:
        """Share of the hours a device kind frees that leaves the budget."""
        return self.cash_share.get(kind, self.cash_share_default)

    def ramp(self, kind: str, t: int) -> float:
        """Share of a device kind's full effect reached in year ``t`` of the period."""
        shares = self.ramp_up.get(kind, ())
        return shares[t] if t < len(shares) else 1.0


@dataclass(frozen=True, slots=True)
class YearInputs:
    """What the simulation gives for one calendar year (one replication, or the means)."""

    year: int
    hours_saved: Mapping[str, float]
    """Home-care hours freed per year at full effect, by device kind (``""``: not attributed)."""
    devices: Mapping[str, float]
    """Devices in use, by kind."""
    operator_hours: float
    """Operator hours on duty in the centre per year (before the rota factor)."""


@dataclass(frozen=True, slots=True)
class CashFlows:
    """The cash-flow table: one value per year of the period for each line (NOK unless the
    line is in hours or årsverk; see :data:`LINES`)."""

    years: tuple[int, ...]
    lines: dict[str, tuple[float, ...]]

    def line(self, name: str) -> tuple[float, ...]:
        """One line (zeros for a line not present, such as a one-off item never used)."""
        return self.lines.get(name, (0.0,) * len(self.years))


LINES: dict[str, tuple[str, str]] = {
    "costs.investment": ("NOK", "Purchase and installation of devices: new devices and "
                                "reinvestment at the end of each device's lifetime."),
    "costs.residual_value": ("NOK", "Value left in the devices at the end of the period "
                                    "(straight-line over the lifetime), negative, last year."),
    "costs.one_off": ("NOK", "One-off project, procurement, integration and training costs."),
    "costs.rent": ("NOK", "Device rent or service fees."),
    "costs.licences": ("NOK", "Software licences."),
    "costs.centre_staff": ("NOK", "Operator hours on duty × rota factor × operator hourly "
                                  "cost × centre share."),
    "costs.total": ("NOK", "Sum of the costs."),
    "gains.cash.hours": ("NOK", "Cash-releasing share of the freed home-care hours × hourly "
                                "cost (the hours taken out of the budget)."),
    "gains.cash.items": ("NOK", "Other budget costs that disappear (benefit.economics."
                                "cash_items)."),
    "gains.cash": ("NOK", "Cash-releasing gains: hours and items."),
    "budget.net": ("NOK", "Net effect on the budget: cash gains less costs."),
    "tax_cost": ("NOK", "Skattekostnad: tax_cost × net public spending (costs less cash gains)."),
    "net.cash": ("NOK", "Net priced effect, cash only: budget.net less tax_cost."),
    "capacity.hours": ("h", "Freed home-care hours that stay in the service (not cash), after "
                            "ramp-up."),
    "capacity.value": ("NOK", "Freed capacity valued at the hourly cost: a separate line, "
                              "never part of the cash figures."),
    "net.with_capacity": ("NOK", "net.cash plus capacity.value."),
    "arsverk.freed_gross": ("årsverk", "Home-care årsverk freed (all freed hours after ramp-up "
                                       "/ hours_per_arsverk)."),
    "arsverk.centre": ("årsverk", "Operator årsverk of the centre with the rota factor, this "
                                  "municipality's share."),
    "arsverk.freed_net": ("årsverk", "Gross freed årsverk less the centre's operator årsverk."),
    "discount_factor": ("1", "(1 + discount_rate) ** -t, t = 0 in the first year."),
}
"""Every line of the cash-flow table: unit and meaning."""

NET_LINES = ("budget.net", "net.cash", "net.with_capacity")
"""The lines that are discounted into a net present value."""


def inputs_for_years(simulated: Sequence[YearInputs], years: Sequence[int]) -> list[YearInputs]:
    """The simulated figures for each year of the period: the latest simulated year at or
    before it (the first simulated year for earlier years)."""
    ordered = sorted(simulated, key=lambda y: y.year)
    out = []
    for year in years:
        earlier = [y for y in ordered if y.year <= year]
        out.append(earlier[-1] if earlier else ordered[0])
    return out


def device_investment(assumptions: Assumptions, counts: Sequence[Mapping[str, float]]
                      ) -> tuple[list[float], float]:
    """Investment per year (new devices, and reinvestment at the end of each lifetime) and the
    residual value at the end of the period (straight-line)."""
    period = len(counts)
    invest = [0.0] * period
    residual = 0.0
    for kind, prices in assumptions.devices.items():
        life = max(1, prices.lifetime_years)
        previous = 0.0
        for t, year_counts in enumerate(counts):
            added = max(0.0, year_counts.get(kind, 0.0) - previous)
            previous = max(previous, year_counts.get(kind, 0.0))
            for bought in range(t, period, life):
                invest[bought] += added * prices.investment
            last = t + ((period - 1 - t) // life) * life
            left = (last + life - period) / life
            residual += added * prices.investment * left
    return invest, residual


def discount_factors(rate: float, periods: int) -> tuple[float, ...]:
    """``(1 + rate) ** -t`` for t = 0 … periods − 1."""
    return tuple((1.0 + rate) ** -t for t in range(periods))


def cash_flows(assumptions: Assumptions, simulated: Sequence[YearInputs]) -> CashFlows:
    """The cash-flow table of the analysis period (see :data:`LINES`)."""
    if not simulated:
        raise ValueError("cash_flows needs the figures of at least one simulated year")
    a = assumptions
    years = a.years
    inputs = inputs_for_years(simulated, years)
    invest, residual = device_investment(a, [y.devices for y in inputs])
    lines: dict[str, list[float]] = {name: [] for name in LINES}
    for t, year in enumerate(inputs):
        freed = {k: h * a.gain_scale * a.ramp(k, t) for k, h in year.hours_saved.items()}
        cash_hours = sum(h * a.share_in_cash(k) for k, h in freed.items())
        one_off = sum(item.amount for item in a.one_off if item.year == t)
        rent = sum(year.devices.get(k, 0.0) * p.rent_per_year for k, p in a.devices.items())
        centre = year.operator_hours * a.rota_factor * a.operator_hourly_cost * a.centre_share
        last = t == len(years) - 1
        row = {
            "costs.investment": invest[t],
            "costs.residual_value": -residual if last else 0.0,
            "costs.one_off": one_off,
            "costs.rent": rent,
            "costs.licences": a.licences_per_year,
            "costs.centre_staff": centre,
            "gains.cash.hours": cash_hours * a.hourly_cost,
            "gains.cash.items": sum(a.cash_items.values()) * a.gain_scale,
            "capacity.hours": sum(freed.values()) - cash_hours,
            "arsverk.freed_gross": sum(freed.values()) / a.hours_per_arsverk,
            "arsverk.centre": year.operator_hours * a.rota_factor * a.centre_share
            / a.hours_per_arsverk,
            "discount_factor": (1.0 + a.discount_rate) ** -t,
        }
        add_totals(row, a)
        for name in LINES:
            lines[name].append(row[name])
    return CashFlows(years, {name: tuple(values) for name, values in lines.items()})


def add_totals(row: dict[str, float], a: Assumptions) -> None:
    """The sums and nets of one year's row."""
    row["costs.total"] = sum(row[k] for k in ("costs.investment", "costs.residual_value",
                                              "costs.one_off", "costs.rent", "costs.licences",
                                              "costs.centre_staff"))
    row["gains.cash"] = row["gains.cash.hours"] + row["gains.cash.items"]
    row["budget.net"] = row["gains.cash"] - row["costs.total"]
    row["tax_cost"] = a.tax_cost * -row["budget.net"]
    row["net.cash"] = row["budget.net"] - row["tax_cost"]
    row["capacity.value"] = row["capacity.hours"] * a.hourly_cost
    row["net.with_capacity"] = row["net.cash"] + row["capacity.value"]
    row["arsverk.freed_net"] = row["arsverk.freed_gross"] - row["arsverk.centre"]


def present_values(flows: Sequence[float], rate: float) -> tuple[float, ...]:
    """Each year's flow discounted to the first year."""
    return tuple(f * d for f, d in zip(flows, discount_factors(rate, len(flows)), strict=True))


def net_present_value(flows: Sequence[float], rate: float) -> float:
    """Sum of the discounted flows (*netto nåverdi*)."""
    return math.fsum(present_values(flows, rate))


def annualised_value(npv: float, rate: float, periods: int) -> float:
    """The same amount every year of the period with the same net present value (*årlig
    nettoverdi*, the annuity): ``npv / sum of the discount factors``."""
    return npv / math.fsum(discount_factors(rate, periods))


def payback_years(flows: Sequence[float], rate: float) -> int | None:
    """Years until the cumulative discounted flow is no longer negative (1 = within the first
    year); ``None`` when it stays negative over the whole period."""
    total = 0.0
    for t, value in enumerate(present_values(flows, rate)):
        total += value
        if total >= 0.0:
            return t + 1
    return None


def npv_of(assumptions: Assumptions, simulated: Sequence[YearInputs],
           line: str = "net.cash") -> float:
    """The net present value of one net line for these assumptions."""
    table = cash_flows(assumptions, simulated)
    return net_present_value(table.line(line), assumptions.discount_rate)


def break_even(npv_at: Callable[[float], float], base: float, tolerance: float = 1e-9,
               most_steps: int = 60) -> float | None:
    """The value of an assumption at which the net present value is zero (secant method, exact
    in one step where the value is linear in the assumption); ``None`` where it does not
    depend on the assumption or no zero is found."""
    x0 = base
    x1 = base * 1.1 if base else 1.0
    f0, f1 = npv_at(x0), npv_at(x1)
    for _ in range(most_steps):
        if f1 == f0:
            return None
        x2 = x1 - f1 * (x1 - x0) / (f1 - f0)
        x0, f0 = x1, f1
        x1, f1 = x2, npv_at(x2)
        if abs(f1) <= tolerance * max(1.0, abs(f0)) or abs(x1 - x0) <= tolerance * max(
                1.0, abs(x1)):
            return x1 if math.isfinite(x1) else None
    return None


@dataclass(frozen=True, slots=True)
class Lever:
    """An assumption a break-even is asked for: its name, unit and how to set it."""

    name: str
    unit: str
    value: Callable[[Assumptions, Sequence[YearInputs]], float]
    apply: Callable[[Assumptions, float], Assumptions]
    description: str
    valid: tuple[float, float] = (0.0, math.inf)
    """The values the assumption can take; a break-even outside them is not reachable."""
    realistic_factor: float | None = None
    """A break-even more than this factor above or below the scenario's value is outside the
    realistic range (costs); ``None``: every reachable value is realistic (shares)."""


def _set_cash_share(a: Assumptions, share: float) -> Assumptions:
    return replace(a, cash_share=dict.fromkeys(a.cash_share, share), cash_share_default=share)


def _mean_cash_share(a: Assumptions, simulated: Sequence[YearInputs]) -> float:
    """The cash share of all freed hours together (weighted by the hours of the first year)."""
    hours = simulated[0].hours_saved if simulated else {}
    total = sum(hours.values())
    if not total:
        return a.cash_share_default
    return sum(h * a.share_in_cash(k) for k, h in hours.items()) / total


def _scale_one_off(a: Assumptions, total: float) -> Assumptions:
    now = sum(item.amount for item in a.one_off)
    if now == 0:
        return replace(a, one_off=(OneOff("break_even", total, 0),))
    return replace(a, one_off=tuple(replace(i, amount=i.amount * total / now) for i in a.one_off))


REALISTIC_FACTOR = 3.0
"""A cost's break-even more than three times, or less than a third of, the scenario's value
is outside the realistic range: no municipality's cost differs that much from its own
estimate (docs/benefit.md, "Break-even")."""

LEVERS: tuple[Lever, ...] = (
    Lever("hourly_cost", "NOK/h", lambda a, _s: a.hourly_cost,
          lambda a, v: replace(a, hourly_cost=v),
          "Home-care hourly cost (values the cash-releasing hours and the freed capacity).",
          realistic_factor=REALISTIC_FACTOR),
    Lever("cash_share", "share", _mean_cash_share, _set_cash_share,
          "Share of the freed hours taken out of the budget, the same for every technology "
          "(value: the share of all freed hours now).", (0.0, 1.0)),
    Lever("gain_scale", "share", lambda a, _s: a.gain_scale,
          lambda a, v: replace(a, gain_scale=v),
          "Share of the simulated gain (freed hours and cash items) that is realised.",
          (0.0, 1.0)),
    Lever("operator_hourly_cost", "NOK/h", lambda a, _s: a.operator_hourly_cost,
          lambda a, v: replace(a, operator_hourly_cost=v),
          "Cost of one operator hour in the centre.", realistic_factor=REALISTIC_FACTOR),
    Lever("one_off", "NOK", lambda a, _s: sum(i.amount for i in a.one_off), _scale_one_off,
          "All one-off project, procurement, integration and training costs together.",
          realistic_factor=REALISTIC_FACTOR),
)
"""The assumptions whose break-even value is reported."""


def lever_break_even(lever: Lever, assumptions: Assumptions, simulated: Sequence[YearInputs],
                     line: str) -> float | None:
    """How large ``lever`` must be for the net present value of ``line`` to be zero."""
    return break_even(lambda v: npv_of(lever.apply(assumptions, v), simulated, line),
                      lever.value(assumptions, simulated))


def reachable(lever: Lever, value: float | None) -> bool:
    """Whether a break-even value lies within the values the assumption can take."""
    return value is not None and lever.valid[0] <= value <= lever.valid[1]


def realistic(lever: Lever, value: float | None, base: float) -> bool:
    """Whether a reachable break-even is also realistic: a cost within
    :data:`REALISTIC_FACTOR` of the scenario's value (``base / 3`` to ``3 x base``); a share
    is realistic wherever it is reachable (0 to 100 %)."""
    if not reachable(lever, value) or value is None:
        return False
    factor = lever.realistic_factor
    if factor is None or base <= 0:
        return True
    return base / factor <= value <= base * factor
