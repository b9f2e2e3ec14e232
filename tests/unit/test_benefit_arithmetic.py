"""Benefit arithmetic on hand-checkable scenarios: saved visits, hours, NOK, escalations, growth."""

from __future__ import annotations

import math
from typing import Any

import pytest

from reports.i18n import TEXT, format_nok, format_number, format_share
from sim.benefit.comparison import parse_years, run_comparison, sensitivity_variants
from sim.benefit.gains import BenefitError, check_benefit, compare_replication, scenario_for_year
from sim.errors import ScenarioError
from sim.scenario.schema import Scenario
from tests.scenario_factory import tiny

USERS = 10
VISITS_PER_DAY = 2
ON_SITE_MIN = 10
TRAVEL_S = 600  # the tiny scenario's constant one-way travel time
HOURLY_COST = 400.0
RENT = 900.0


def dispenser_scenario(missed: float = 0.0, visit_share: float = 1.0, users: int = USERS,
                       **benefit: Any) -> Scenario:
    """``users`` dispenser users with two medication visits a day in the baseline; doses at
    08:00 and 20:00 are missed with chance ``missed`` and a missed dose ends in a visit with
    chance ``visit_share`` (else the call settles it)."""
    outcomes = {"home_visit": visit_share, "resolved_remotely": 1.0 - visit_share}
    section: dict[str, Any] = {
        "hours_per_arsverk": 1695,
        "purposes": {"medication": {"on_site": {"kind": "constant", "value": ON_SITE_MIN,
                                                "unit": "min"},
                                    "replaced_by": "medicine_dispenser"}},
        "planned_visits": {"disp": {"medication": VISITS_PER_DAY}},
        "costs": {"hourly_cost": HOURLY_COST, "operator_hourly_cost": 0,
                  "devices": {"medicine_dispenser": {"rent_per_month": RENT,
                                                     "installation": 1000}}},
    }
    section.update(benefit)
    return tiny(
        horizon="7d",
        users=[{"name": "disp", "count": users, "devices": ["medicine_dispenser"]}],
        devices={"medicine_dispenser": {"events": {
            "dose_missed": {"at": ["08:00", "20:00"], "probability": missed, "delay": "30min",
                            "outcomes": {k: v for k, v in outcomes.items() if v > 0}},
            # too rare to happen; without any alarm at all the centre would receive nothing,
            # which a scenario file may not say (docs/device-profiles.md)
            "refill_due": {"rate_per_day": 1e-9}}}},
        benefit=section,
    )


def test_ten_dispenser_users_save_exactly_twenty_visits_a_day() -> None:
    figures = compare_replication(dispenser_scenario(), seed=3, index=0)
    assert figures["visits.saved.per_week"] == USERS * VISITS_PER_DAY * 7
    assert figures["visits.baseline.medication.per_week"] == 140
    assert figures["visits.technology.per_week"] == 0
    assert figures["visits.saved.by_device.medicine_dispenser.per_week"] == 140
    minutes_per_visit = ON_SITE_MIN + TRAVEL_S / 60
    hours_per_year = USERS * VISITS_PER_DAY * minutes_per_visit / 60 * 365
    assert figures["hours.saved.per_year"] == pytest.approx(hours_per_year, rel=1e-12)
    assert figures["arsverk.saved"] == pytest.approx(hours_per_year / 1695, rel=1e-12)
    assert figures["hours.saved.by_device.medicine_dispenser.per_year"] == pytest.approx(
        hours_per_year, rel=1e-12)
    assert figures["hours.saved.by_device.other.per_year"] == pytest.approx(0.0, abs=1e-9)
    # No cash share given: every freed hour is capacity, nothing leaves the budget.
    assert figures["nok.avoided.per_year"] == 0.0
    assert figures["nok.capacity_value.per_year"] == pytest.approx(hours_per_year * HOURLY_COST)
    assert figures["nok.net.per_year"] == -USERS * RENT * 12
    # A quarter of the dispensers' freed hours taken out of the budget is cash.
    cash = compare_replication(dispenser_scenario(
        economics={"cash_share": {"medicine_dispenser": 0.25}}), seed=3, index=0)
    avoided = 0.25 * hours_per_year * HOURLY_COST
    assert cash["hours.freed.cash.per_year"] == pytest.approx(0.25 * hours_per_year)
    assert cash["hours.freed.capacity.per_year"] == pytest.approx(0.75 * hours_per_year)
    assert cash["nok.avoided.per_year"] == pytest.approx(avoided, rel=1e-12)
    assert cash["nok.costs.rent.per_year"] == USERS * RENT * 12
    assert cash["nok.net.per_year"] == pytest.approx(avoided - USERS * RENT * 12, rel=1e-12)
    assert cash["nok.net_with_capacity.per_year"] == pytest.approx(
        hours_per_year * HOURLY_COST - USERS * RENT * 12, rel=1e-12)
    assert cash["nok.costs.one_off"] == USERS * 1000


def test_every_missed_dose_ending_in_a_visit_takes_back_all_twenty() -> None:
    figures = compare_replication(dispenser_scenario(missed=1.0), seed=3, index=0)
    assert figures["visits.technology.alarm.per_week"] == 140
    assert figures["visits.saved.per_week"] == 0
    assert figures["quality.missed_doses.caught.per_week"] == 140
    assert figures["quality.missed_doses.visit_share"] == 1.0


def test_missed_doses_lower_the_saving_by_the_expected_amount() -> None:
    users, missed, share, replications = 200, 0.1, 0.5, 4
    expected_drop = users * VISITS_PER_DAY * missed * share * 7  # visits per week
    drops = []
    for i in range(replications):
        none = compare_replication(dispenser_scenario(users=users), seed=11, index=i)
        some = compare_replication(dispenser_scenario(missed, share, users=users), seed=11,
                                   index=i)
        assert some["visits.baseline.per_week"] == none["visits.baseline.per_week"]  # CRN
        drop = none["visits.saved.per_week"] - some["visits.saved.per_week"]
        assert drop == some["visits.technology.by_device.medicine_dispenser.per_week"]
        drops.append(drop)
    # Each week's drop is binomial: sd = sqrt(n p q (1 - p q)) visits, n = doses per week.
    doses = users * VISITS_PER_DAY * 7
    sd_mean = math.sqrt(doses * missed * share * (1 - missed * share) / replications)
    assert abs(sum(drops) / replications - expected_drop) < 4 * sd_mean


def test_purposes_no_device_replaces_cancel_exactly_between_the_arms() -> None:
    scenario = dispenser_scenario(
        purposes={"medication": {"replaced_by": "medicine_dispenser"}, "care": {}},
        planned_visits={"disp": {"medication": 1.5, "care": 2.5}},
        key_handling={"minutes_per_shift": 20, "visit_hours_per_shift": 4},
    )
    figures = compare_replication(scenario, seed=5, index=1)
    assert figures["visits.saved.care.per_week"] == 0
    assert figures["visits.baseline.care.per_week"] > 0
    # No e-locks: key handling happens in both arms; the employee-shifts saved are the hours of
    # the medication visits saved (travel and time in the home) / 4 h per shift.
    saved_work_h = figures["hours.saved.travel.per_year"] + figures["hours.saved.on_site.per_year"]
    assert saved_work_h > 0
    assert figures["key_shifts.saved.per_year"] == pytest.approx(saved_work_h / 4)
    assert figures["hours.saved.key_handling.per_year"] == pytest.approx(saved_work_h / 4 * 20
                                                                         / 60)


def test_e_locks_save_the_key_handling_of_every_shift_their_homes_fill() -> None:
    scenario = tiny(
        horizon="7d",
        users=[{"name": "lock", "count": 4, "devices": ["e_lock"]}],
        benefit={"purposes": {"care": {"on_site": {"kind": "constant", "value": 30,
                                                   "unit": "min"}}},
                 "planned_visits": {"lock": {"care": 3}},
                 "key_handling": {"minutes_per_shift": 25, "visit_hours_per_shift": 4}},
    )
    figures = compare_replication(scenario, seed=1, index=0)
    assert figures["visits.saved.per_week"] == 0
    # 4 users x 3 visits x (30 min + 10 min travel) = 8 h a day = 2 shifts of 4 h, 25 min each.
    assert figures["key_shifts.baseline.per_year"] == pytest.approx(2 * 365)
    assert figures["key_shifts.technology.per_year"] == 0
    assert figures["hours.saved.key_handling.per_year"] == pytest.approx(2 * 25 / 60 * 365)
    assert figures["hours.saved.per_year"] == pytest.approx(2 * 25 / 60 * 365)


def test_growth_scales_user_counts_per_year() -> None:
    scenario = dispenser_scenario().model_copy(
        update={"growth": dispenser_scenario().growth.model_copy(
            update={"rate": 0.1, "base_year": 2026})})
    assert scenario_for_year(scenario, 2028).users[0].count == round(USERS * 1.1 ** 2)
    assert parse_years("2026-2028", scenario) == (2026, 2027, 2028)
    assert parse_years(None, scenario) == (2026,)
    with pytest.raises(BenefitError):
        parse_years("2030-2026", scenario)


def test_plan_years_accumulate_net_gain_less_one_off_costs() -> None:
    scenario = dispenser_scenario()
    scenario = scenario.model_copy(update={"growth": scenario.growth.model_copy(
        update={"rate": 0.5, "base_year": 2026})})
    result = run_comparison(scenario, "tiny", seed=2, replications=2, years=(2026, 2027),
                            workers=1)
    first, second = result.per_year[2026][0], result.per_year[2027][0]
    assert second["users.count"] == 15
    assert second["nok.costs.one_off_in_year"] == 5 * 1000  # five new dispensers
    assert second["nok.cumulative"] == pytest.approx(
        first["nok.net.per_year"] - first["nok.costs.one_off"]
        + second["nok.net.per_year"] - 5 * 1000)


def test_a_sensitivity_on_the_hourly_cost_moves_net_gain_by_hours_times_price() -> None:
    scenario = dispenser_scenario(sensitivity=[
        {"path": "benefit.costs.hourly_cost", "low": 300, "high": 500}])
    variants = sensitivity_variants(scenario, "tiny")
    figures = compare_replication(scenario, seed=4, index=0, variants=variants)
    hours = figures["hours.saved.per_year"]
    net = figures["nok.net_with_capacity.per_year"]
    assert figures["sensitivity.0.high"] - net == pytest.approx(hours * (500 - HOURLY_COST))
    assert figures["sensitivity.0.low"] == pytest.approx(net - hours * (HOURLY_COST - 300))


def test_bad_benefit_sections_are_reported_with_their_paths() -> None:
    with pytest.raises(BenefitError, match="benefit"):
        compare_replication(tiny(), seed=1, index=0)
    scenario = dispenser_scenario(planned_visits={"nobody": {"medication": 1}})
    with pytest.raises(BenefitError) as caught:
        check_benefit(scenario, "tiny")
    assert "benefit.planned_visits.nobody" in str(caught.value)
    with pytest.raises(ScenarioError, match="must name a number"):
        sensitivity_variants(dispenser_scenario(sensitivity=[
            {"path": "benefit.costs.no_such", "low": 1, "high": 2}]), "tiny")
    with pytest.raises(ScenarioError, match="unknown purpose"):
        dispenser_scenario(planned_visits={"disp": {"unknown": 1}})


def test_norwegian_number_formats() -> None:
    assert format_nok(1234567, "nb") == "1\u00a0234\u00a0567\u00a0kr"
    assert format_nok(1234567, "en") == "NOK\u00a01,234,567"
    assert format_number(12.25, "nb", 1) in ("12,2", "12,3")
    assert format_number(1234.5, "nb", 1) == "1\u00a0234,5"
    assert format_share(0.934, "nb") == "93,4\u00a0%"
    assert format_number(float("nan"), "nb") == "–"


def test_both_languages_have_every_phrase() -> None:
    assert set(TEXT["nb"]) == set(TEXT["en"])
    assert all(TEXT[lang][key].strip() for lang in TEXT for key in TEXT[lang])
    for word in ("gevinstrealisering", "årsverk", "responssenter", "trygghetsalarm", "e-lås",
                 "medisindispenser", "digitalt tilsyn", "hjemmetjenesten"):
        assert any(word in phrase.lower() for phrase in TEXT["nb"].values()), word
