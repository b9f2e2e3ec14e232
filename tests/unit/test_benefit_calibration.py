"""The baseline reconciled with the municipality's home care: key handling per employee per shift,
the calibration guard, and the reconciliation figures, on hand-checkable scenarios."""

from __future__ import annotations

from typing import Any

import pytest

from sim.benefit.gains import compare_replication
from sim.errors import ScenarioError
from sim.scenario.schema import Scenario
from tests.scenario_factory import tiny

TRAVEL_MIN = 10  # the tiny scenario's constant one-way travel time


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


def test_a_time_per_visit_for_key_handling_is_rejected_with_the_new_form() -> None:
    with pytest.raises(ScenarioError, match="per employee per shift"):
        care_scenario(1, 1, 10, ["e_lock"],
                      key_handling={"kind": "constant", "value": 3, "unit": "min"})
