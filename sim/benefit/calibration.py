"""The modelled baseline reconciled with the municipality's whole home service (*hjemmetjenesten*).

A comparison models some users of the home service (the profiles of ``benefit.planned_visits``);
the municipality knows its whole service from its own statistics (``benefit.home_care_totals``).
This module says which share of the service the modelled users account for (users, staff hours,
visits, direct hours) and judges whether the baseline is plausible against the totals: a baseline
that needs more than the whole service fails, one far above the service's average per recipient
gets a warning. The thresholds are in docs/decisions.md ("Benefit realisation").

The same judgement runs twice: before simulating, on the planned visits' expected hours
(``vtsim check``, and ``vtsim compare`` before it starts), and after, on the simulated baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.errors import Problem
from sim.model.metrics import MetricSpec
from sim.scenario.benefit import Benefit
from sim.scenario.schema import Scenario

YEAR_DAYS = 365.0
WEEK_DAYS = 7.0
HOUR = 3600.0
FAIL_SHARE = 1.0
"""A baseline needing more staff hours (visits, direct hours) than the whole service fails."""
WARN_SHARE = 0.5
"""Warn above this share of the service's paid hours: visiting work (travel and time in homes)
is about two thirds of paid hours, so the modelled users would take three quarters of it."""
WARN_RATIO = 2.0
"""Warn when a modelled user needs more than this many times the service's paid hours per
recipient: about three times its visiting time per recipient, the level of users with
extensive needs (IPLOS)."""
TOTALS = "benefit.home_care_totals"
PLANNED = "benefit.planned_visits"

CALIBRATION_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("home_service.recipients", "count",
               "Recipients of the municipality's home service in the year "
               "(benefit.home_care_totals, scaled to the year). The home_service.* keys are "
               "there only when the scenario has benefit.home_care_totals."),
    MetricSpec("home_service.arsverk", "årsverk", "Årsverk of the whole home service in the year."),
    MetricSpec("home_service.hours.per_year", "h/yr",
               "Paid hours of the whole home service: årsverk × benefit.hours_per_arsverk."),
    MetricSpec("home_service.modelled_users", "count",
               "Users of the profiles with planned visits (the modelled home-care users)."),
    MetricSpec("home_service.share.users", "share", "Modelled users / recipients."),
    MetricSpec("home_service.share.hours", "share",
               "Baseline staff hours / the home service's paid hours: the share of the service "
               "the modelled users account for."),
    MetricSpec("home_service.share.visits", "share",
               "Baseline visits per week / the service's visits per week (only when given)."),
    MetricSpec("home_service.share.direct_hours", "share",
               "Baseline hours in the homes per week / the service's decided hours per week "
               "(when given)."),
    MetricSpec("home_service.hours_per_user_ratio", "ratio",
               "Baseline hours per modelled user / the service's paid hours per recipient."),
)


@dataclass(frozen=True, slots=True)
class Totals:
    """The home service's totals in one year (scaled from the year they describe)."""

    year: int
    recipients: float
    arsverk: float
    hours_per_year: float
    visits_per_week: float
    hours_per_week: float


@dataclass(frozen=True, slots=True)
class Baseline:
    """What the modelled baseline needs in a year: users, staff hours, visits, direct hours."""

    users: float
    hours_per_year: float
    visits_per_week: float
    on_site_per_week: float


def base_year_of(scenario: Scenario) -> int:
    """The year the scenario's counts describe."""
    return scenario.growth.base_year or scenario.start.year


def plan_arsverk(benefit: Benefit, year: int) -> float:
    """The projected home-service årsverk in ``year`` (linear between the years given)."""
    if not benefit.home_care_plan:
        return math.nan
    years = sorted(benefit.home_care_plan)
    return float(np.interp(year, years, [benefit.home_care_plan[y] for y in years]))


def totals_for_year(scenario: Scenario, year: int) -> Totals | None:
    """The home service's totals in ``year``: as stated in their own year, scaled by the
    municipality's projection (``home_care_plan``) or else by ``growth.rate``."""
    benefit = scenario.benefit
    if benefit is None or benefit.home_care_totals is None:
        return None
    stated = benefit.home_care_totals
    own_year = stated.year
    arsverk = stated.arsverk if stated.arsverk is not None else plan_arsverk(benefit, own_year)
    if benefit.home_care_plan:
        scale = plan_arsverk(benefit, year) / plan_arsverk(benefit, own_year)
    else:
        scale = (1.0 + scenario.growth.rate) ** (year - own_year)
    return Totals(
        year, stated.recipients * scale, arsverk * scale,
        arsverk * scale * benefit.hours_per_arsverk,
        (stated.visits_per_week or math.nan) * scale, (stated.hours_per_week or math.nan) * scale,
    )


def modelled_users(scenario: Scenario) -> int:
    """Users of the profiles with planned visits in the baseline."""
    benefit = scenario.benefit
    visited = {p for p, purposes in (benefit.planned_visits if benefit else {}).items()
               if any(v > 0 for v in purposes.values())}
    return sum(u.count for u in scenario.users if u.name in visited)


def expected_baseline(scenario: Scenario) -> Baseline:
    """The planned visits' expected visits, hours and key handling (no simulation): what
    ``vtsim check`` can judge before anything runs. Alarms and searches add a little more."""
    benefit = scenario.benefit
    if benefit is None:
        return Baseline(0.0, 0.0, 0.0, 0.0)
    counts = {u.name: u.count for u in scenario.users}
    visits = on_site = work = keyed = 0.0
    for profile, purposes in benefit.planned_visits.items():
        travel = mean_travel_s(scenario, profile)
        for purpose, per_day in purposes.items():
            spec = benefit.purposes[purpose]
            n = counts.get(profile, 0) * per_day * YEAR_DAYS
            leg = travel * benefit.round_leg_share if spec.travel else 0.0
            seconds = n * (spec.on_site.mean + leg)
            visits += n
            on_site += n * spec.on_site.mean
            work += seconds
            keyed += seconds if spec.keys else 0.0
    hours = (work + benefit.key_handling.seconds_for(keyed)) / HOUR
    per_week = WEEK_DAYS / YEAR_DAYS
    return Baseline(float(modelled_users(scenario)), hours, visits * per_week,
                    on_site / HOUR * per_week)


def mean_travel_s(scenario: Scenario, profile: str) -> float:
    """The mean one-way travel time of a profile's users, by its zone weights."""
    user = next((u for u in scenario.users if u.name == profile), None)
    zones = {z.name: z for z in scenario.zones}
    if user is not None and user.zones is not None:
        weights = {name: float(w) for name, w in user.zones.items() if name in zones}
    else:
        weights = {z.name: z.share for z in scenario.zones}
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w * zones[name].travel_time.mean for name, w in weights.items()) / total


def simulated_baseline(figures: dict[str, float], users: float) -> Baseline:
    """The simulated baseline of one replication (or the mean of several)."""
    return Baseline(users, figures["hours.baseline.per_year"],
                    figures["visits.baseline.per_week"],
                    figures["hours.baseline.on_site.per_year"] * WEEK_DAYS / YEAR_DAYS)


def calibration_figures(scenario: Scenario, figures: dict[str, float]) -> dict[str, float]:
    """The share of the home service the modelled users account for, in the scenario's year
    (nothing without ``benefit.home_care_totals``; visits and direct hours only when given)."""
    totals = totals_for_year(scenario, base_year_of(scenario))
    if totals is None:
        return {}
    users = float(modelled_users(scenario))
    base = simulated_baseline(figures, users)
    out = {
        "home_service.recipients": totals.recipients,
        "home_service.arsverk": totals.arsverk,
        "home_service.hours.per_year": totals.hours_per_year,
        "home_service.modelled_users": users,
        "home_service.share.users": _ratio(users, totals.recipients),
        "home_service.share.hours": _ratio(base.hours_per_year, totals.hours_per_year),
        "home_service.hours_per_user_ratio": hours_per_user_ratio(base, totals),
    }
    if not math.isnan(totals.visits_per_week):
        out["home_service.share.visits"] = _ratio(base.visits_per_week, totals.visits_per_week)
    if not math.isnan(totals.hours_per_week):
        out["home_service.share.direct_hours"] = _ratio(base.on_site_per_week,
                                                        totals.hours_per_week)
    return out


def hours_per_user_ratio(base: Baseline, totals: Totals) -> float:
    """Baseline hours per modelled user over the service's paid hours per recipient."""
    return _ratio(_ratio(base.hours_per_year, base.users),
                  _ratio(totals.hours_per_year, totals.recipients))


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole and not math.isnan(whole) and whole > 0 else math.nan


def baseline_problems(base: Baseline, totals: Totals, file: str) -> list[Problem]:
    """A baseline that needs more than the municipality's whole home service."""
    problems = []
    if base.users > totals.recipients:
        problems.append(Problem(
            file, f"{TOTALS}.recipients",
            f"the scenario models {base.users:,.0f} home-care users (the profiles of "
            f"{PLANNED}) but the home service has {totals.recipients:,.0f} recipients in "
            f"{totals.year}", f"{totals.recipients:,.0f}"))
    if _ratio(base.hours_per_year, totals.hours_per_year) > FAIL_SHARE:
        problems.append(Problem(
            file, PLANNED,
            f"the modelled baseline needs {base.hours_per_year:,.0f} staff hours a year in "
            f"{totals.year}, more than the municipality's whole home service "
            f"({totals.arsverk:,.1f} årsverk = {totals.hours_per_year:,.0f} h, {TOTALS}); "
            "lower the visits per day or their times, or correct the totals",
            f"{base.hours_per_year / totals.hours_per_year:.0%} of the home service"))
    if _ratio(base.visits_per_week, totals.visits_per_week) > FAIL_SHARE:
        problems.append(Problem(
            file, PLANNED,
            f"the modelled baseline makes {base.visits_per_week:,.0f} visits a week in "
            f"{totals.year}, more than the whole home service ({TOTALS}.visits_per_week "
            f"{totals.visits_per_week:,.0f})", f"{base.visits_per_week:,.0f}"))
    if _ratio(base.on_site_per_week, totals.hours_per_week) > FAIL_SHARE:
        problems.append(Problem(
            file, PLANNED,
            f"the modelled baseline spends {base.on_site_per_week:,.0f} h a week in the homes "
            f"in {totals.year}, more than the home service's decided hours ({TOTALS}."
            f"hours_per_week {totals.hours_per_week:,.0f})", f"{base.on_site_per_week:,.0f}"))
    return problems


def baseline_warnings(base: Baseline, totals: Totals) -> list[str]:
    """A baseline that fits within the service but is implausibly large against it."""
    warnings = []
    share = _ratio(base.hours_per_year, totals.hours_per_year)
    if WARN_SHARE < share <= FAIL_SHARE:
        warnings.append(
            f"{PLANNED}: the modelled baseline is {share:.0%} of the home service's paid hours "
            f"in {totals.year} ({base.hours_per_year:,.0f} of {totals.hours_per_year:,.0f} h) "
            f"for {_ratio(base.users, totals.recipients):.0%} of its recipients; visiting work "
            f"is about two thirds of paid hours, so little is left for the others (warning "
            f"above {WARN_SHARE:.0%}, docs/decisions.md)")
    ratio = hours_per_user_ratio(base, totals)
    if ratio > WARN_RATIO:
        warnings.append(
            f"{PLANNED}: a modelled user needs {base.hours_per_year / base.users:,.0f} staff "
            f"hours a year in {totals.year}, {ratio:.1f} times the home service's "
            f"{totals.hours_per_year / totals.recipients:,.0f} paid hours per recipient "
            f"(warning above {WARN_RATIO:g}: the level of users with extensive needs; "
            "docs/decisions.md)")
    return warnings


def calibration_problems(scenario: Scenario, file: str) -> list[Problem]:
    """Problems of the planned baseline against the totals, before anything is simulated."""
    totals = totals_for_year(scenario, base_year_of(scenario))
    if totals is None:
        return []
    if math.isnan(totals.arsverk):
        return [Problem(file, f"{TOTALS}.arsverk", "give the home service's årsverk, or "
                        "benefit.home_care_plan for the year of the totals", "missing")]
    return baseline_problems(expected_baseline(scenario), totals, file)


def calibration_warnings(scenario: Scenario) -> list[str]:
    """Warnings about the planned baseline against the totals, before anything is simulated."""
    if scenario.benefit is None:
        return []
    totals = totals_for_year(scenario, base_year_of(scenario))
    if totals is None:
        return [f"{TOTALS} is missing: the modelled baseline is not reconciled with the "
                "municipality's home care (docs/benefit.md)"]
    if math.isnan(totals.arsverk):
        return []
    return baseline_warnings(expected_baseline(scenario), totals)


def simulated_findings(scenario: Scenario, means: dict[str, float],
                       file: str) -> tuple[list[Problem], list[str]]:
    """Problems and warnings of one year's simulated baseline (mean across replications)."""
    totals = totals_for_year(scenario, base_year_of(scenario))
    if totals is None:
        return [], calibration_warnings(scenario)
    if math.isnan(totals.arsverk):
        return [], []
    base = simulated_baseline(means, float(modelled_users(scenario)))
    return baseline_problems(base, totals, file), baseline_warnings(base, totals)


@dataclass(frozen=True, slots=True)
class ExpectedShare:
    """The planned baseline against the whole home service, for ``vtsim check`` to print in
    the user's language."""

    users: float
    recipients: float
    hours_per_year: float
    share: float
    paid_hours: float
    year: int


def expected_share(scenario: Scenario) -> ExpectedShare | None:
    """The planned baseline's users and staff hours against the home service's totals."""
    totals = totals_for_year(scenario, base_year_of(scenario))
    if totals is None or math.isnan(totals.arsverk):
        return None
    base = expected_baseline(scenario)
    return ExpectedShare(base.users, totals.recipients, base.hours_per_year,
                         base.hours_per_year / totals.hours_per_year, totals.hours_per_year,
                         totals.year)


def expected_share_line(scenario: Scenario) -> str | None:
    """One line for ``vtsim check``: the planned baseline's share of the home service."""
    totals = totals_for_year(scenario, base_year_of(scenario))
    if totals is None or math.isnan(totals.arsverk):
        return None
    base = expected_baseline(scenario)
    return (f"benefit: {base.users:,.0f} modelled home-care users of {totals.recipients:,.0f} "
            f"recipients; their planned visits need ~{base.hours_per_year:,.0f} staff hours a "
            f"year, {base.hours_per_year / totals.hours_per_year:.0%} of the home service's "
            f"{totals.hours_per_year:,.0f} paid hours in {totals.year} (alarms and searches "
            "add to it in compare)")
