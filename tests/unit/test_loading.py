"""Scenario files: every problem reported at once, with file, field path and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.scenario.loading import load_scenario, staffing_warnings
from tests.conftest import SCENARIOS
from tests.scenario_factory import BASE, tiny

GOOD = SCENARIOS / "checks" / "erlang-c.yaml"


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [p.describe() for p in info.value.problems]


def test_every_structural_problem_is_reported_with_path_and_value(tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8")
    text = text.replace("operators: 14", "operators: -3")
    text = text.replace("rate_per_day: 1.0", "rate_per_day: lots")
    text = text.replace("horizon: 1d", "horizon: 1 fortnight")
    text = text.replace("tenant: check", "tenant: check\nreplicatons: 5")
    problems = problems_of(tmp_path, text)
    assert len(problems) == 4, problems
    joined = "\n".join(problems)
    assert all(p.startswith(str(tmp_path / "bad.yaml") + ": ") for p in problems)
    assert "centre.shifts.0.operators: " in joined and "(got -3)" in joined
    assert "devices.safety_alarm.events.button_need.rate_per_day: " in joined
    assert "(got 'lots')" in joined
    assert "horizon: expected a duration" in joined and "(got '1 fortnight')" in joined
    assert "replicatons: unknown field" in joined


def test_cross_reference_problems_name_what_is_defined(tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8")
    text = text.replace("devices: [safety_alarm]", "devices: [safety_alarm, jetpack]")
    text = text.replace("button_need:", "button_neeed:")
    problems = problems_of(tmp_path, text)
    assert len(problems) == 2, problems
    assert any("users.0.devices.1: unknown device kind" in p and "'jetpack'" in p
               for p in problems)
    assert any("devices.safety_alarm.events.button_neeed: unknown event of safety_alarm" in p
               and "button_need" in p for p in problems)


def test_yaml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "name: x\nzones: [\n  - a\n")
    assert len(problems) == 1 and "line " in problems[0] and "invalid YAML" in problems[0]


def test_not_a_mapping(tmp_path: Path) -> None:
    assert "must be a YAML mapping" in problems_of(tmp_path, "- just\n- a list\n")[0]


def test_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load_scenario(tmp_path / "nowhere.yaml")


def test_outcomes_must_sum_to_one() -> None:
    centre = {**BASE["centre"], "defaults": {"outcomes": {"home_visit": 0.5,
                                                          "resolved_remotely": 0.4}}}
    with pytest.raises(ScenarioError, match="sum to 1"):
        tiny(centre=centre)


def test_profile_needs_24_hours() -> None:
    with pytest.raises(ScenarioError, match=r"profiles\.peak: needs 24 hourly weights"):
        tiny(profiles={"peak": [1, 2, 3]})


def test_distribution_parameters_are_checked() -> None:
    zones = [{"name": "z", "travel_time": {"kind": "triangular", "low": 5, "mode": 2,
                                           "high": 9}}]
    with pytest.raises(ScenarioError, match=r"zones\.0\.travel_time"):
        tiny(zones=zones)


def test_overrides_set_dotted_paths_and_reject_unknown_ones() -> None:
    scenario = load_scenario(GOOD, {"centre.shifts.0.operators": 12, "horizon": "2d"})
    assert scenario.centre.shifts[0].operators == 12 and scenario.horizon == 172800.0
    with pytest.raises(ScenarioError, match=r"centre\.shifts\.5\.operators: no such field"):
        load_scenario(GOOD, {"centre.shifts.5.operators": 1})


def test_staffing_warning_below_two_operators() -> None:
    centre = {**BASE["centre"], "min_operators": 2, "shifts": [
        {"name": "day", "start": "07:00", "end": "19:00", "operators": 2},
        {"name": "night", "start": "19:00", "end": "07:00", "operators": 1},
    ]}
    warnings = staffing_warnings(tiny(centre=centre))
    assert len(warnings) == 2  # 00:00–07:00 and 19:00–24:00
    assert all("1 operator(s) on duty" in w and "IS-2552" in w for w in warnings)
    assert staffing_warnings(load_scenario(GOOD)) == []


def test_unquoted_clock_time_is_read_as_a_time(tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8").replace(
        '{name: all_day, start: "00:00", end: "24:00", operators: 14}',
        "{name: all_day, start: 15:00, end: 15:00, operators: 14}")
    path = tmp_path / "clock.yaml"
    path.write_text(text, encoding="utf-8")
    shift = load_scenario(path).centre.shifts[0]
    assert (shift.start, shift.end, shift.length_s) == ("15:00", "15:00", 86400.0)


def test_settings_that_would_be_ignored_are_errors() -> None:
    users = [{"name": "u", "count": 1, "devices": ["medicine_dispenser"],
              "rate_multiplier": {"safety_alarms": 5}}]
    devices = {"medicine_dispenser": {"events": {
        "dose_taken": {"rate_per_day": 3, "priority": 1},
        "dose_missed": {"rate_per_day": 0.1, "delay": "30min"},
    }}}
    with pytest.raises(ScenarioError) as info:
        tiny(users=users, devices=devices)
    text = str(info.value)
    assert "`delay` applies only to scheduled events" in text
    with pytest.raises(ScenarioError) as info:
        tiny(users=users, devices={"medicine_dispenser": {"events": {
            "dose_taken": {"rate_per_day": 3, "priority": 1}}}})
    lines = str(info.value).splitlines()
    assert any("users.0.rate_multiplier.safety_alarms: not a device kind" in li for li in lines)
    assert any("events.dose_taken.priority: this event carries information only" in li
               for li in lines)


@pytest.mark.parametrize("field", ["field_staff", "rate_multiplier"])
def test_negative_counts_are_rejected(field: str) -> None:
    if field == "field_staff":
        change = {"zones": [{"name": "z", "field_staff": -3}]}
    else:
        change = {"users": [{"name": "u", "count": 1, "devices": ["safety_alarm"],
                             "rate_multiplier": -2}]}
    with pytest.raises(ScenarioError, match="greater than or equal to 0"):
        tiny(**change)
