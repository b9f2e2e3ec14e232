"""Benefit realisation (*gevinstrealisering*): the two arms of one replication as figures.

Every gain is an arm difference within one replication (baseline minus technology, on common
random numbers), aggregated across replications with a confidence interval afterwards: saved
visits, staff hours, årsverk and NOK are never a fixed factor applied to a total. The keys are
stable and documented in ``docs/benefit-metrics.md`` (generated from :data:`BENEFIT_METRICS`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from devices.contract.catalog import DEVICE_TYPES
from sim.analysis.aggregate import key_pattern
from sim.benefit.arms import (
    ALARM,
    ARMS,
    COMPONENTS,
    GPS,
    SEARCH,
    AlarmVisit,
    ArmAccount,
    Baseline,
    alarm_visits,
    baseline_arm,
    technology_arm,
    window_incidents,
)
from sim.benefit.calibration import (
    CALIBRATION_METRICS,
    calibration_figures,
    calibration_problems,
    plan_arsverk,
)
from sim.benefit.planned_visits import draw_planned_visits, users_of
from sim.benefit.staffing import attainment_figures
from sim.errors import Problem, ScenarioError
from sim.model.fleet import Fleet, build_fleet
from sim.model.metrics import DAY, MetricSpec, replication_metrics
from sim.model.randomness import Streams
from sim.model.records import IncidentRecord, RunLog
from sim.run.replication import run_replication
from sim.scenario.benefit import Benefit
from sim.scenario.durations import format_duration
from sim.scenario.schema import Scenario
from sim.scenario.staffing import operators_on_duty

HOUR = 3600.0
WEEK_DAYS = 7.0
YEAR_DAYS = 365.0
ANSWER_BINS = (0.0, 10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, math.inf)
"""Edges of the answer-time histogram in seconds (the last bin is open)."""
SAVED = "saved"


BENEFIT_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("window.days", "d", "Length of the measurement window (horizon less warm-up)."),
    MetricSpec("users.count", "count", "Users in the year's scenario (after growth)."),
    MetricSpec("devices.{device_type}", "count", "Devices of each kind in the year's scenario."),
    MetricSpec("visits.{arm}.per_week", "1/week",
               "Home visits per week in the baseline and technology arm, and saved (their "
               "difference per replication)."),
    MetricSpec("visits.{arm}.per_year", "1/yr", "Home visits per year (per week × 365/7)."),
    MetricSpec("visits.{arm}.{purpose}.per_week", "1/week",
               "Visits per week by purpose: the scenario's planned purposes, `alarm` (sent for an "
               "alarm) and `search` (missing person: searched for, or fetched by GPS position)."),
    MetricSpec("visits.{arm}.by_device.{device_type}.per_week", "1/week",
               "Visits per week attributed to a device kind: the planned visits it replaces, "
               "the visits its alarms cause, and the searches (GPS) or extra alarm visits "
               "(safety alarm) of the baseline."),
    MetricSpec("hours.{arm}.per_year", "h/yr", "Home-care staff hours per year in the arm."),
    MetricSpec("hours.{arm}.{component}.per_year", "h/yr",
               "Hours by component: travel, on_site, key_handling, alarm_answering, search."),
    MetricSpec("key_shifts.{arm}.per_year", "1/yr",
               "Employee-shifts per year with key handling: visiting work (travel and time in "
               "the homes) at homes without an e-lock, and at e-lock homes outside key-free "
               "rounds (1 − lock_rounds_share), / benefit.key_handling.visit_hours_per_shift. "
               "Key handling hours are these × minutes_per_shift."),
    MetricSpec("hours.{arm}.by_device.{device_kind}.per_year", "h/yr",
               "Hours attributed to a technology: the planned visits it replaces (travel, time "
               "in the home, keys), keys an e-lock spares, its alarms' visits and answering, "
               "searches (GPS); `other` for time no device changes. `hours.saved.by_device.*` "
               "is each technology's freed time at full effect."),
    MetricSpec("arsverk.{arm}", "årsverk",
               "Home-care årsverk of the modelled work (hours / benefit.hours_per_arsverk); "
               "`arsverk.saved` is the gross årsverk freed."),
    MetricSpec("arsverk.freed_net", "årsverk",
               "Net årsverk freed: gross (`arsverk.saved`) less the centre's operator årsverk "
               "(with the rota factor) this municipality pays for (× centre_share)."),
    MetricSpec("hours.freed.{kind}.per_year", "h/yr",
               "Freed hours at full effect split by benefit.economics.cash_share: `cash` "
               "(taken out of the budget) and `capacity` (stays in the service to meet growth)."),
    MetricSpec("nok.avoided.per_year", "NOK/yr",
               "Avoided costs, cash-releasing only (budget costs that disappear): cash hours × "
               "hourly_cost + benefit.economics.cash_items, at full effect."),
    MetricSpec("nok.capacity_value.per_year", "NOK/yr",
               "Value of the freed capacity (capacity hours × hourly_cost): a separate line, "
               "not cash, never in `nok.net.per_year`."),
    MetricSpec("nok.costs.{cost}.per_year", "NOK/yr",
               "Running costs of the technology: rent (devices), licences, centre_staff "
               "(operator hours on duty × rota_factor × operator_hourly_cost × centre_share), "
               "running (sum)."),
    MetricSpec("nok.costs.one_off", "NOK",
               "One-off costs: installation of every device and setting up the centre."),
    MetricSpec("nok.costs.one_off_in_year", "NOK",
               "One-off costs falling in the year: the centre and every device in the first "
               "year, the devices added by growth later."),
    MetricSpec("nok.net.per_year", "NOK/yr",
               "Net effect on the budget per year at full effect: avoided (cash) less running "
               "costs; no freed capacity, no one-off costs (the economics section discounts)."),
    MetricSpec("nok.net_with_capacity.per_year", "NOK/yr",
               "`nok.net.per_year` plus the value of the freed capacity (clearly not cash)."),
    MetricSpec("nok.cumulative", "NOK",
               "Net budget effect per year (`nok.net.per_year`) less the one-off costs falling "
               "in the year, summed from the first year of the plan to this one, undiscounted "
               "(the economics section discounts)."),
    MetricSpec("staff.centre.on_duty_hours.per_year", "h/yr",
               "Operator hours on duty in the centre per year (operators × shift hours)."),
    MetricSpec("staff.centre.operator_arsverk", "årsverk",
               "Operator årsverk of the whole centre: hours on duty × rota_factor / "
               "hours_per_arsverk."),
    MetricSpec("staff.home_care.plan_arsverk", "årsverk",
               "The municipality's projected home-service årsverk (benefit.home_care_plan, "
               "interpolated)."),
    MetricSpec("staff.home_care.with_technology_arsverk", "årsverk",
               "The projection less the årsverk freed."),
    MetricSpec("alarms.per_year", "1/yr",
               "Alarms (incidents) received by the response centre per year."),
    MetricSpec("quality.answer.mean_s", "s", "Mean answer time in the response centre."),
    MetricSpec("quality.answer.within_{target}", "share",
               "Share of alarms answered within each target of targets.answer_within."),
    MetricSpec("quality.visits.response_mean_min", "min",
               "Mean visit response time (alarm to field worker at the home)."),
    MetricSpec("quality.visits.within_{target}", "share",
               "Share of alarm visits on site within each target of targets.visit_within."),
    MetricSpec("quality.missed_doses.caught.per_week", "1/week",
               "Missed doses the dispensers reported and the centre answered."),
    MetricSpec("quality.missed_doses.answer_mean_s", "s", "Mean answer time of missed doses."),
    MetricSpec("quality.missed_doses.visit_share", "share",
               "Share of missed doses that ended in a home visit (the call failed)."),
    MetricSpec("quality.gps.found.per_year", "1/yr",
               "People fetched by home care at their GPS position (wandering or SOS)."),
    MetricSpec("quality.gps.time_to_find_mean_min", "min",
               "Mean time from the GPS alarm to home care at the person."),
    MetricSpec("quality.search.baseline.per_year", "1/yr", "Searches without GPS (baseline)."),
    MetricSpec("quality.search.baseline.time_to_find_mean_min", "min",
               "Mean time to find a missing person without GPS (baseline)."),
    MetricSpec("answer.hist.{bin}", "share",
               "Share of answered alarms by answer time: bins 0_10s, 10_20s, …, 120_180s, "
               "180s_up."),
    MetricSpec("load.hour_{hh}", "operators",
               "Mean operators busy (assessing or documenting) in each hour of the day."),
    MetricSpec("staffing.hour_{hh}", "operators", "Operators on duty at the start of the hour."),
    MetricSpec("staffing.attainment.{shift}", "share",
               "Share of the alarms received in the shift answered within the time of the "
               "answer target (benefit.economics.target); `staffing` in metrics.json judges it."),
    MetricSpec("sensitivity.{n}.{side}", "NOK/yr",
               "`nok.net_with_capacity.per_year` with assumption n (benefit.sensitivity, from 0) "
               "at its low or high value, the rest unchanged (first year only)."),
    *CALIBRATION_METRICS,
)


class BenefitError(ScenarioError):
    """A scenario that cannot be compared (no benefit section, broken references)."""


@dataclass(frozen=True, slots=True)
class Variant:
    """A scenario with one assumption at its low or high value."""

    key: str
    scenario: Scenario


def require_benefit(scenario: Scenario) -> Benefit:
    """The scenario's benefit section, or an error saying how to add one."""
    if scenario.benefit is None:
        raise BenefitError([Problem(scenario.name, "benefit",
                                    "vtsim compare needs a `benefit` section (see "
                                    "docs/scenario.md and docs/benefit.md)", "")])
    return scenario.benefit


def benefit_problems(scenario: Scenario, file: str) -> Iterator[Problem]:
    """References in the benefit section that point nowhere, and windows of part days."""
    benefit = require_benefit(scenario)
    profiles = {u.name for u in scenario.users}
    for profile in benefit.planned_visits:
        if profile not in profiles:
            yield Problem(file, f"benefit.planned_visits.{profile}",
                          f"unknown user profile; defined: {', '.join(sorted(profiles))}",
                          repr(profile))
    kinds = [(f"benefit.purposes.{n}.replaced_by", p.replaced_by)
             for n, p in benefit.purposes.items() if p.replaced_by]
    kinds += [(f"benefit.direct_alarms.devices.{i}", k)
              for i, k in enumerate(benefit.direct_alarms.devices)]
    kinds += [(f"benefit.costs.devices.{k}", k) for k in benefit.costs.devices]
    kinds += [(f"benefit.economics.cash_share.{k}", k) for k in benefit.economics.cash_share]
    kinds += [(f"benefit.economics.ramp_up.{k}", k) for k in benefit.economics.ramp_up]
    for path, kind in kinds:
        if kind not in DEVICE_TYPES:
            yield Problem(file, path, f"unknown device kind; known: {', '.join(DEVICE_TYPES)}",
                          repr(kind))
    yield from evidence_problems(benefit, file)
    yield from staffing_problems(scenario, benefit, file)
    days = (scenario.horizon - scenario.warmup) / DAY
    if days != int(days):
        yield Problem(file, "horizon", "horizon less warmup must be whole days for planned "
                      "visits", f"{days:g} days")
    yield from calibration_problems(scenario, file)


def staffing_problems(scenario: Scenario, benefit: Benefit, file: str) -> Iterator[Problem]:
    """Recorded staffing must give operators for exactly the scenario's shifts."""
    names = [s.name for s in scenario.centre.shifts]
    for year, shifts in benefit.economics.staffing.items():
        if sorted(shifts) != sorted(names):
            yield Problem(file, f"benefit.economics.staffing.{year}",
                          f"give operators for the shifts {', '.join(names)}",
                          ", ".join(shifts))


def evidence_problems(benefit: Benefit, file: str) -> Iterator[Problem]:
    """Evidence of a non-priced effect must name a documented key of metrics.json."""
    patterns = [key_pattern(spec.key) for spec in BENEFIT_METRICS]
    for name, effect in benefit.economics.non_priced.items():
        for i, key in enumerate(effect.evidence):
            if not any(p.fullmatch(key) for p in patterns):
                yield Problem(file, f"benefit.economics.non_priced.{name}.evidence.{i}",
                              "not a key of metrics.json (docs/benefit-metrics.md)", repr(key))


def check_benefit(scenario: Scenario, file: str) -> None:
    """Raise :class:`BenefitError` listing every problem of the benefit section."""
    problems = list(benefit_problems(scenario, file))
    if problems:
        raise BenefitError(problems)


def base_year(scenario: Scenario) -> int:
    """The year the scenario's counts describe."""
    return scenario.growth.base_year or scenario.start.year


def scenario_for_year(scenario: Scenario, year: int) -> Scenario:
    """The scenario with every user count grown (or shrunk) to ``year``, starting in that year
    (the start date only dates the messages; the streams do not depend on it)."""
    years = year - base_year(scenario)
    users = tuple(
        u.model_copy(update={"count": round(u.count * scenario.growth.factor(u.name, years))})
        for u in scenario.users
    )
    start = scenario.start.replace(year=year, day=min(scenario.start.day, 28))
    growth = scenario.growth.model_copy(update={"base_year": year})
    return scenario.model_copy(update={"users": users, "start": start, "growth": growth})


def compare_replication(scenario: Scenario, seed: int, index: int,
                        variants: tuple[Variant, ...] = (),
                        log: RunLog | None = None) -> dict[str, float]:
    """Both arms of replication ``index`` as figures, and the net gain of every variant
    (``log``: the replication's records, if already simulated)."""
    if log is None:
        log = run_replication(scenario, seed, index)
    out = replication_benefit(scenario, log, seed, index)
    for variant in variants:
        same_model = _without_benefit(variant.scenario) == _without_benefit(scenario)
        varied = log if same_model else run_replication(variant.scenario, seed, index)
        figures = replication_benefit(variant.scenario, varied, seed, index)
        out[variant.key] = figures["nok.net_with_capacity.per_year"]
        out.update({f"{VARIANT}{variant.key}{INPUT}{key}": figures[key] for key in input_keys()})
    return out


VARIANT = "variant."
"""Prefix of a variant's inputs to the economic appraisal (kept out of metrics.json)."""
INPUT = ".input."
"""Between a variant's key and the name of one of its inputs."""


def input_keys() -> tuple[str, ...]:
    """The figures the economic appraisal reads (:func:`sim.benefit.appraisal.year_inputs`)."""
    return (*(f"hours.{SAVED}.by_device.{kind}.per_year" for kind in (*DEVICE_TYPES, OTHER)),
            *(f"devices.{kind}" for kind in DEVICE_TYPES), "staff.centre.on_duty_hours.per_year")


def _without_benefit(scenario: Scenario) -> Scenario:
    return scenario.model_copy(update={"benefit": None})


def replication_benefit(scenario: Scenario, log: RunLog, seed: int, index: int,
                        with_quality: bool = True) -> dict[str, float]:
    """Every benefit figure of one replication, computed from its records and named draws
    (without the quality figures, answer times and hourly load if not ``with_quality``: the
    probabilistic analysis re-evaluates only what the benefit section changes)."""
    benefit = require_benefit(scenario)
    streams = Streams(seed, index)
    window = (scenario.warmup, scenario.horizon)
    days = (window[1] - window[0]) / DAY
    fleet = build_fleet(scenario, streams)
    planned = draw_planned_visits(scenario, benefit, users_of(scenario, fleet), streams,
                                  int(days))
    incidents = window_incidents(log, window)
    visits = alarm_visits(scenario, log, fleet, window)
    base = baseline_arm(scenario, benefit, planned, visits, incidents, streams)
    tech = technology_arm(benefit, planned, visits)
    out: dict[str, float] = {"window.days": days}
    out.update(fleet_figures(scenario, fleet))
    out.update(visit_figures(scenario, base.arm, tech, days))
    out.update(hour_figures(base.arm, tech, days, benefit.hours_per_arsverk))
    out.update(key_shift_figures(benefit, base.arm, tech, days))
    out.update(calibration_figures(scenario, out))
    out.update(device_hour_figures(base.arm, tech, days))
    out.update(freed_hour_figures(benefit, out))
    out.update(money_figures(scenario, fleet, out))
    out.update(staff_figures(scenario, out))
    if with_quality:
        out.update(quality_figures(scenario, log, incidents, visits, base, days))
        out.update(answer_histogram(incidents))
        out.update(hourly_load(scenario, log, window))
    out.update(attainment_figures(scenario, log))
    return out


def fleet_figures(scenario: Scenario, fleet: Fleet) -> dict[str, float]:
    """Users and devices of the (grown) scenario."""
    out = {"users.count": float(sum(u.count for u in scenario.users))}
    for kind in DEVICE_TYPES:
        out[f"devices.{kind}"] = float(fleet.count(kind))
    return out


def purposes_of(scenario: Scenario) -> tuple[str, ...]:
    """Every purpose reported: the planned ones, then alarm and search."""
    benefit = require_benefit(scenario)
    return (*benefit.purposes, ALARM, SEARCH)


def visit_figures(scenario: Scenario, base: ArmAccount, tech: ArmAccount,
                  days: float) -> dict[str, float]:
    """Visits per week and year in both arms and saved, by purpose and by device kind."""
    per_week = WEEK_DAYS / days
    arms = {"baseline": base, "technology": tech}
    out: dict[str, float] = {}
    for arm in (*ARMS, SAVED):
        out[f"visits.{arm}.per_week"] = _visit_count(arms, arm) * per_week
        out[f"visits.{arm}.per_year"] = out[f"visits.{arm}.per_week"] * YEAR_DAYS / WEEK_DAYS
        for purpose in purposes_of(scenario):
            count = _visit_count(arms, arm, purpose=purpose)
            out[f"visits.{arm}.{purpose}.per_week"] = count * per_week
        for kind in DEVICE_TYPES:
            count = _visit_count(arms, arm, device=kind)
            out[f"visits.{arm}.by_device.{kind}.per_week"] = count * per_week
    return out


def _visit_count(arms: dict[str, ArmAccount], arm: str, purpose: str | None = None,
                 device: str | None = None) -> float:
    """Visits of an arm (or saved: baseline less technology), of a purpose or device kind."""
    if arm == SAVED:
        return (_visit_count(arms, "baseline", purpose, device)
                - _visit_count(arms, "technology", purpose, device))
    return float(sum(n for (p, d), n in arms[arm].visits.items()
                     if purpose in (None, p) and device in (None, d)))


def hour_figures(base: ArmAccount, tech: ArmAccount, days: float,
                 hours_per_arsverk: float) -> dict[str, float]:
    """Staff hours per year by component in both arms and saved, and årsverk."""
    per_year = YEAR_DAYS / days / HOUR
    out: dict[str, float] = {}
    for arm, seconds in (("baseline", base.seconds), ("technology", tech.seconds)):
        out[f"hours.{arm}.per_year"] = sum(seconds.values()) * per_year
        for component in COMPONENTS:
            out[f"hours.{arm}.{component}.per_year"] = seconds[component] * per_year
    out[f"hours.{SAVED}.per_year"] = out["hours.baseline.per_year"] - out[
        "hours.technology.per_year"]
    for component in COMPONENTS:
        out[f"hours.{SAVED}.{component}.per_year"] = (
            out[f"hours.baseline.{component}.per_year"]
            - out[f"hours.technology.{component}.per_year"])
    for arm in (*ARMS, SAVED):
        out[f"arsverk.{arm}"] = out[f"hours.{arm}.per_year"] / hours_per_arsverk
    return out


def key_shift_figures(benefit: Benefit, base: ArmAccount, tech: ArmAccount,
                      days: float) -> dict[str, float]:
    """Employee-shifts per year whose rounds open homes with keys, in both arms and saved."""
    per_year = YEAR_DAYS / days
    out = {f"key_shifts.{arm}.per_year": account.key_shifts(benefit.key_handling) * per_year
           for arm, account in (("baseline", base), ("technology", tech))}
    out[f"key_shifts.{SAVED}.per_year"] = (out["key_shifts.baseline.per_year"]
                                           - out["key_shifts.technology.per_year"])
    return out


OTHER = "other"
"""Key part of the hours no device kind changes."""


def device_hour_figures(base: ArmAccount, tech: ArmAccount, days: float) -> dict[str, float]:
    """Hours per year attributed to each device kind in both arms, and freed."""
    per_year = YEAR_DAYS / days / HOUR
    out: dict[str, float] = {}
    for kind in (*DEVICE_TYPES, OTHER):
        key = "" if kind == OTHER else kind
        values = {"baseline": base.device_seconds.get(key, 0.0) * per_year,
                  "technology": tech.device_seconds.get(key, 0.0) * per_year}
        values[SAVED] = values["baseline"] - values["technology"]
        for arm, value in values.items():
            out[f"hours.{arm}.by_device.{kind}.per_year"] = value
    return out


def hours_saved_by_device(figures: dict[str, float]) -> dict[str, float]:
    """Freed hours per year at full effect by device kind (``""``: not attributed)."""
    return {("" if kind == OTHER else kind): figures[f"hours.{SAVED}.by_device.{kind}.per_year"]
            for kind in (*DEVICE_TYPES, OTHER)}


def freed_hour_figures(benefit: Benefit, figures: dict[str, float]) -> dict[str, float]:
    """Freed hours split into cash-releasing and capacity by the cash share of each kind."""
    economics = benefit.economics
    cash = sum(hours * economics.cash_share.get(kind, economics.cash_share_default)
               for kind, hours in hours_saved_by_device(figures).items())
    return {"hours.freed.cash.per_year": cash,
            "hours.freed.capacity.per_year": figures[f"hours.{SAVED}.per_year"] - cash}


def operator_hours_per_day(scenario: Scenario) -> float:
    """Operator hours on duty in the centre per day."""
    return sum((end - start) * count for start, end, count
               in operators_on_duty(scenario.centre.shifts)) / HOUR


def money_figures(scenario: Scenario, fleet: Fleet, figures: dict[str, float]) -> dict[str, float]:
    """Avoided (cash) costs, the value of freed capacity, running and one-off costs, net in NOK."""
    benefit = require_benefit(scenario)
    costs = benefit.costs
    rent = sum(fleet.count(k) * c.rent_per_month * 12 for k, c in costs.devices.items())
    centre = operator_hours_per_day(scenario) * YEAR_DAYS * costs.rota_factor \
        * costs.operator_hourly_cost * costs.centre_share
    running = rent + costs.licences_per_year + centre
    one_off = sum(fleet.count(k) * (c.installation + c.price) for k, c in costs.devices.items()) \
        + costs.centre_setup + sum(item.amount for item in benefit.economics.one_off.values())
    avoided = figures["hours.freed.cash.per_year"] * costs.hourly_cost \
        + sum(benefit.economics.cash_items.values())
    capacity = figures["hours.freed.capacity.per_year"] * costs.hourly_cost
    net = avoided - running
    return {
        "nok.avoided.per_year": avoided,
        "nok.capacity_value.per_year": capacity,
        "nok.costs.rent.per_year": rent,
        "nok.costs.licences.per_year": costs.licences_per_year,
        "nok.costs.centre_staff.per_year": centre,
        "nok.costs.running.per_year": running,
        "nok.costs.one_off": one_off,
        "nok.net.per_year": net,
        "nok.net_with_capacity.per_year": net + capacity,
    }


def staff_figures(scenario: Scenario, figures: dict[str, float]) -> dict[str, float]:
    """Staff needed: centre operators, and the home-service projection with the årsverk freed."""
    benefit = require_benefit(scenario)
    plan = plan_arsverk(benefit, scenario.start.year)
    on_duty = operator_hours_per_day(scenario) * YEAR_DAYS
    operators = on_duty * benefit.costs.rota_factor / benefit.hours_per_arsverk
    return {
        "staff.centre.on_duty_hours.per_year": on_duty,
        "staff.centre.operator_arsverk": operators,
        "arsverk.freed_net": figures[f"arsverk.{SAVED}"] - operators * benefit.costs.centre_share,
        "staff.home_care.plan_arsverk": plan,
        "staff.home_care.with_technology_arsverk": plan - figures[f"arsverk.{SAVED}"],
    }


def quality_figures(scenario: Scenario, log: RunLog, incidents: list[IncidentRecord],
                    visits: list[AlarmVisit], base: Baseline, days: float) -> dict[str, float]:
    """Answer and visit times against target, missed doses caught, people found by GPS."""
    run = replication_metrics(scenario, log)
    out = {"alarms.per_year": len(incidents) * YEAR_DAYS / days,
           "quality.answer.mean_s": run["answer.mean_s"],
           "quality.visits.response_mean_min": run["visits.response_mean_s"] / 60}
    for target in scenario.targets.answer_within:
        key = f"within_{format_duration(target)}"
        out[f"quality.answer.{key}"] = run[f"answer.{key}"]
    for target in scenario.targets.visit_within:
        key = f"within_{format_duration(target)}"
        out[f"quality.visits.{key}"] = run[f"visits.{key}"]
    out.update(missed_dose_figures(incidents, days))
    found = [v.response_s for v in visits if v.device == GPS and not math.isnan(v.response_s)]
    searches = base.search_durations_s
    out["quality.gps.found.per_year"] = len(found) * YEAR_DAYS / days
    out["quality.gps.time_to_find_mean_min"] = _mean(found) / 60
    out["quality.search.baseline.per_year"] = len(searches) * YEAR_DAYS / days
    out["quality.search.baseline.time_to_find_mean_min"] = _mean(searches) / 60
    return out


def missed_dose_figures(incidents: list[IncidentRecord], days: float) -> dict[str, float]:
    """Missed doses reported by dispensers and answered, and how they ended."""
    missed = [r for r in incidents
              if r.device_type == "medicine_dispenser" and r.event == "dose_missed"]
    answered = [r for r in missed if not math.isnan(r.t_answered)]
    decided = [r for r in missed if r.outcome]
    return {
        "quality.missed_doses.caught.per_week": len(answered) * WEEK_DAYS / days,
        "quality.missed_doses.answer_mean_s": _mean([r.t_answered - r.t_received
                                                     for r in answered]),
        "quality.missed_doses.visit_share":
            sum(r.outcome == "home_visit" for r in decided) / len(decided) if decided
            else math.nan,
    }


def answer_bin_names() -> tuple[str, ...]:
    """Key parts of the answer-time bins: ``0_10s`` … ``180s_up``."""
    names = []
    for low, high in itertools.pairwise(ANSWER_BINS):
        names.append(f"{low:g}s_up" if math.isinf(high) else f"{low:g}_{high:g}s")
    return tuple(names)


def answer_histogram(incidents: list[IncidentRecord]) -> dict[str, float]:
    """Share of answered incidents in each answer-time bin."""
    waits = np.asarray([r.t_answered - r.t_received for r in incidents
                        if not math.isnan(r.t_answered)], dtype=float)
    counts, _ = np.histogram(waits, bins=np.asarray(ANSWER_BINS))
    total = waits.size
    return {f"answer.hist.{name}": (float(c) / total if total else math.nan)
            for name, c in zip(answer_bin_names(), counts, strict=True)}


def hourly_load(scenario: Scenario, log: RunLog, window: tuple[float, float]) -> dict[str, float]:
    """Mean operators busy in each hour of the day, and operators on duty."""
    busy = np.zeros(24)
    for r in log.incidents:
        if r.shift:
            end = window[1] if math.isnan(r.t_closed) else r.t_closed
            add_busy(busy, max(r.t_answered, window[0]), min(end, window[1]))
    days = (window[1] - window[0]) / DAY
    out = {f"load.hour_{h:02d}": float(busy[h] / (days * HOUR)) for h in range(24)}
    segments = operators_on_duty(scenario.centre.shifts)
    for h in range(24):
        out[f"staffing.hour_{h:02d}"] = float(next(c for s, e, c in segments if s <= h * HOUR < e))
    return out


def add_busy(busy: np.ndarray, start: float, end: float) -> None:
    """Spread a busy interval over the hours of the day it covers."""
    t = start
    while t < end:
        boundary = (math.floor(t / HOUR) + 1) * HOUR
        busy[int(t // HOUR) % 24] += min(end, boundary) - t
        t = boundary


def _mean(values: list[float] | tuple[float, ...]) -> float:
    return float(np.mean(values)) if len(values) else math.nan
