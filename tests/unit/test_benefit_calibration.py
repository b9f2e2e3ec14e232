"""The baseline reconciled with the municipality's home care: key handling per employee per shift,
the calibration guard, and the reconciliation figures, on hand-checkable scenarios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.benefit.calibration import calibration_warnings, expected_share_line, totals_for_year
from sim.benefit.comparison import run_comparison
from sim.benefit.gains import BenefitError, check_benefit, compare_replication
from sim.errors import ScenarioError
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario
from tests.conftest import ROOT, SCENARIOS
from tests.scenario_factory import BASE, tiny


def care_scenario(users: int, visits: float, on_site_min: float, devices: list[str],
                  **benefit: Any) -> Scenario:
    """``users`` users each visited ``visits`` times a day for ``on_site_min`` minutes."""
    section: dict[str, Any] = {
        "purposes": {"care": {"on_site": {"kind": "constant", "value": on_site_min,
                                          "unit": "min"}}},
        "planned_visits": {"home": {"care": visits}},
        "key_handling": {"minutes_per_shift": 25, "visit_hours_per_shift": 4},
    }
    section.update(benefit)
    return tiny(horizon="7d", users=[{"name": "home", "count": users, "devices": devices}],
                benefit=section)


def test_key_handling_is_counted_per_shift_not_per_visit() -> None:
    # 2 users x 3 visits x (30 + 10 travel) min = 4 h of keyed work a day = 1 shift of 4 h.
    few_long = compare_replication(care_scenario(2, 3, 30, ["safety_alarm"]), seed=1, index=0)
    # The same 4 h as 2 users x 6 visits x (10 + 10 travel) min: twice the visits, one shift.
    many_short = compare_replication(care_scenario(2, 6, 10, ["safety_alarm"]), seed=1, index=0)
    for figures in (few_long, many_short):
        assert figures["key_shifts.baseline.per_year"] == pytest.approx(365)
        assert figures["hours.baseline.key_handling.per_year"] == pytest.approx(365 * 25 / 60)
    assert many_short["visits.baseline.per_week"] == 2 * few_long["visits.baseline.per_week"]


def test_key_handling_at_homes_without_an_e_lock_stays_in_the_technology_arm() -> None:
    figures = compare_replication(care_scenario(2, 3, 30, ["safety_alarm"]), seed=1, index=0)
    assert figures["key_shifts.technology.per_year"] == pytest.approx(365)
    assert figures["hours.saved.key_handling.per_year"] == 0


def test_e_lock_homes_sharing_rounds_with_keyed_homes_still_handle_keys() -> None:
    # 4 e-lock users x 3 visits x (30 + 10 travel) min = 8 h a day = 2 shifts of 4 h; a quarter
    # of that work is planned into key-free rounds, the rest still handles keys.
    scenario = care_scenario(4, 3, 30, ["e_lock"],
                             key_handling={"minutes_per_shift": 25, "visit_hours_per_shift": 4,
                                           "lock_rounds_share": 0.25})
    figures = compare_replication(scenario, seed=1, index=0)
    assert figures["key_shifts.baseline.per_year"] == pytest.approx(2 * 365)
    assert figures["key_shifts.technology.per_year"] == pytest.approx(1.5 * 365)
    assert figures["hours.saved.key_handling.per_year"] == pytest.approx(0.5 * 365 * 25 / 60)


def test_a_leg_of_a_round_is_the_given_share_of_the_trip_from_the_base() -> None:
    scenario = care_scenario(1, 2, 10, ["safety_alarm"], key_handling={}, round_leg_share=0.5)
    figures = compare_replication(scenario, seed=1, index=0)
    assert figures["hours.baseline.travel.per_year"] == pytest.approx(2 * 5 / 60 * 365)
    assert figures["hours.baseline.per_year"] == pytest.approx(2 * 15 / 60 * 365)


def test_a_time_per_visit_for_key_handling_is_rejected_with_the_new_form() -> None:
    with pytest.raises(ScenarioError, match="per employee per shift"):
        care_scenario(1, 1, 10, ["e_lock"],
                      key_handling={"kind": "constant", "value": 3, "unit": "min"})


def totals(recipients: int, arsverk: float, **more: float) -> dict[str, Any]:
    """Home-care totals of the tiny scenario's year (its start is in 2026)."""
    return {"year": 2026, "recipients": recipients, "arsverk": arsverk, **more}


# 10 users x 2 visits a day x (10 min in the home + 10 min travel), no key handling:
# 140 visits and 140 x 20 min = 46 2/3 h a week, 2,433 1/3 h a year, 23 1/3 h a week in homes.
BASELINE_H = 10 * 2 * 20 / 60 * 365


def reconciled(arsverk: float, recipients: int = 40, **more: float) -> Scenario:
    return care_scenario(10, 2, 10, ["safety_alarm"],
                         key_handling={}, hours_per_arsverk=1000,
                         home_care_totals=totals(recipients, arsverk, **more))


def test_the_reconciliation_figures_on_a_tiny_scenario() -> None:
    scenario = reconciled(5, visits_per_week=560, hours_per_week=70)
    figures = compare_replication(scenario, seed=2, index=0)
    assert figures["hours.baseline.per_year"] == pytest.approx(BASELINE_H)
    assert figures["home_service.recipients"] == 40
    assert figures["home_service.arsverk"] == 5
    assert figures["home_service.hours.per_year"] == 5000
    assert figures["home_service.modelled_users"] == 10
    assert figures["home_service.share.users"] == 0.25
    assert figures["home_service.share.hours"] == pytest.approx(BASELINE_H / 5000)
    assert figures["home_service.share.visits"] == pytest.approx(140 / 560)
    assert figures["home_service.share.direct_hours"] == pytest.approx(140 * 10 / 60 / 70)
    # 243.3 h per modelled user against 5,000 / 40 = 125 paid hours per recipient.
    assert figures["home_service.hours_per_user_ratio"] == pytest.approx(BASELINE_H / 10 / 125)


def test_without_totals_there_are_no_shares_and_check_warns() -> None:
    scenario = care_scenario(10, 2, 10, ["safety_alarm"])
    figures = compare_replication(scenario, seed=2, index=0)
    assert not any(key.startswith("home_service.") for key in figures)
    assert "home_service.share.visits" not in compare_replication(reconciled(5), seed=2, index=0)
    assert any("home_care_totals is missing" in w for w in calibration_warnings(scenario))


def test_the_guard_rejects_a_baseline_that_exceeds_the_municipalitys_home_care() -> None:
    inflated = reconciled(2)  # 2,000 paid hours for a baseline of 2,433 h
    with pytest.raises(BenefitError) as caught:
        check_benefit(inflated, "tiny.yaml")
    message = str(caught.value)
    assert "tiny.yaml: benefit.planned_visits" in message
    assert "more than the municipality's whole home service" in message
    assert "2,433 staff hours" in message and "2,000 h" in message
    with pytest.raises(BenefitError, match=r"benefit\.planned_visits"):
        run_comparison(inflated, "tiny.yaml", seed=1, replications=1, years=(2026,), workers=1)


def test_the_guard_rejects_more_users_visits_or_direct_hours_than_the_service_has() -> None:
    with pytest.raises(BenefitError, match=r"home_care_totals\.recipients.*10 home-care users"):
        check_benefit(reconciled(50, recipients=8), "tiny")
    with pytest.raises(BenefitError, match="140 visits a week"):
        check_benefit(reconciled(50, visits_per_week=100), "tiny")
    with pytest.raises(BenefitError, match="23 h a week in the homes"):
        check_benefit(reconciled(50, hours_per_week=20), "tiny")


def test_the_guard_accepts_a_plausible_baseline_and_warns_about_a_large_one() -> None:
    plausible = reconciled(20)  # 12 % of 20,000 paid hours, 0.49 x the hours per recipient
    check_benefit(plausible, "tiny")
    assert calibration_warnings(plausible) == []
    large = reconciled(4)  # 61 % of 4,000 h for 25 % of the recipients: 2.4 x per recipient
    check_benefit(large, "tiny")
    warnings = calibration_warnings(large)
    assert len(warnings) == 2
    assert "61% of the home service's paid hours" in warnings[0]
    assert "2.4 times" in warnings[1]


def test_totals_follow_the_municipal_projection_into_the_plan_years() -> None:
    scenario = care_scenario(10, 2, 10, ["safety_alarm"], home_care_plan={2026: 4, 2028: 6},
                             home_care_totals={"year": 2026, "recipients": 40})
    later = totals_for_year(scenario, 2027)
    assert later is not None
    assert later.arsverk == 5 and later.recipients == 50
    assert later.hours_per_year == 5 * 1695


def test_check_fails_with_the_field_and_compare_warns(tmp_path: Path) -> None:
    data = dict(BASE, horizon="7d", users=[{"name": "home", "count": 10,
                                            "devices": ["safety_alarm"]}])
    # almost no alarms, so that the planned visits alone make the share (without settings the
    # alarms would follow the shipped profile)
    data["devices"] = {"safety_alarm": {"events": {"button_accidental": {"rate_per_day": 1e-6}}}}
    data["benefit"] = {
        "hours_per_arsverk": 1000,
        "purposes": {"care": {"on_site": {"kind": "constant", "value": 10, "unit": "min"}}},
        "planned_visits": {"home": {"care": 2}},
        "home_care_totals": totals(40, 2),
    }
    path = tmp_path / "inflated.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    run = [sys.executable, "-m", "vtsim"]
    bad = subprocess.run([*run, "check", str(path)], cwd=ROOT, text=True, capture_output=True,
                         timeout=120)
    assert bad.returncode == 2
    assert "benefit.planned_visits" in bad.stdout and "whole home service" in bad.stdout
    plausible = subprocess.run([*run, "check", str(path), "--set",
                                "benefit.home_care_totals.arsverk=4"],
                               cwd=ROOT, text=True, capture_output=True, timeout=120)
    assert plausible.returncode == 0
    assert "benefit: 10 modelled home-care users of 40 recipients" in plausible.stdout
    assert "61\u00a0% of the home service's 4,000 paid hours in 2026" in plausible.stdout
    warned = subprocess.run([*run, "compare", str(path), "--replications", "2", "--workers",
                             "1", "--out", str(tmp_path / "gain"), "--set",
                             "benefit.home_care_totals.arsverk=4"],
                            cwd=ROOT, text=True, capture_output=True, timeout=300)
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert "warning: benefit.planned_visits" in warned.stdout
    assert "account for 60.8\u00a0% of the home service's paid hours" in warned.stdout.replace(
        "\n", " ")


def test_the_shipped_lier_baseline_is_plausible_against_its_home_service() -> None:
    scenario = load_scenario(SCENARIOS / "lier-2026.yaml")
    check_benefit(scenario, "lier-2026.yaml")
    assert calibration_warnings(scenario) == []
    line = expected_share_line(scenario)
    assert line is not None and "235 modelled home-care users of 800 recipients" in line
