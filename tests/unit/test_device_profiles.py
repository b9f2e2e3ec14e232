"""Shipped device profiles: resolution, partial overrides, sources, and the empty-centre trap."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from devices.contract.catalog import DEVICE_TYPES
from sim.errors import ScenarioError
from sim.scenario.library import (
    DEFAULT_PROFILE,
    apply_device_profiles,
    daily_profiles,
    device_profile,
    merge_settings,
    profile_names,
)
from sim.scenario.loading import load_scenario, load_scenario_noting, validate_scenario
from tests.conftest import ROOT, SCENARIOS

BARE: dict[str, Any] = {
    "name": "bare",
    "horizon": "2d",
    "zones": [{"name": "a"}],
    "users": [{"name": "u", "count": 300, "devices": ["safety_alarm", "e_lock"]}],
    "centre": {"shifts": [{"name": "all", "start": "00:00", "end": "24:00", "operators": 2}]},
}


def write(tmp_path: Path, data: dict[str, Any], name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def vtsim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vtsim", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=300)


def test_merge_lays_mappings_over_each_other_and_replaces_the_rest() -> None:
    base = {"a": {"rate_per_day": 1.0, "profile": "night", "at": ["08:00", "14:00"],
                  "handling": {"kind": "lognormal", "mean": 4, "sd": 2, "unit": "min"},
                  "outcomes": {"resolved_remotely": 0.5, "home_visit": 0.5}},
            "b": {"rate_per_day": 2.0}}
    override = {"a": {"rate_per_day": 0.5, "at": ["09:00"],
                      "handling": {"mean": 6},
                      "outcomes": {"resolved_remotely": 1.0}, "profile": None},
                "c": {"interval": 60}}
    merged = merge_settings(base, override)
    assert merged["a"] == {"rate_per_day": 0.5, "at": ["09:00"],
                           "handling": {"kind": "lognormal", "mean": 6, "sd": 2, "unit": "min"},
                           "outcomes": {"resolved_remotely": 1.0}}
    assert merged["b"] == {"rate_per_day": 2.0} and merged["c"] == {"interval": 60}
    assert base["a"]["rate_per_day"] == 1.0  # the shipped profile is not changed
    swapped = merge_settings(base["a"]["handling"], {"kind": "constant", "value": 60})
    assert swapped == {"kind": "constant", "value": 60}


@pytest.mark.parametrize("kind", list(DEVICE_TYPES))
def test_every_device_kind_has_a_valid_shipped_standard_profile(kind: str) -> None:
    assert DEFAULT_PROFILE in profile_names(kind)
    profile = device_profile(kind, DEFAULT_PROFILE)
    assert set(profile.events) <= set(DEVICE_TYPES[kind].events)
    data = {**BARE, "users": [{"name": "u", "count": 10, "devices": [kind]}],
            "devices": {kind: {"based_on": "standard"}}}
    apply_device_profiles(data, "x")
    scenario = validate_scenario(data, "x")
    assert scenario.devices[kind].events and scenario.devices[kind].based_on == "standard"
    for event in scenario.devices[kind].events.values():
        assert event.profile in scenario.profiles or event.profile == "flat"


def _numbers_without_source(text: str) -> list[str]:
    """Lines giving a number with no comment of their own or on the line above (a quoted
    string is text, such as a source, not a number)."""
    bad, previous = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        value = re.sub(r'"(?:[^"\\]|\\.)*"', '""', stripped).partition("#")[0]
        if re.search(r":\s*[\[{]?\s*-?\d", value) and "#" not in stripped \
                and "#" not in previous:
            bad.append(line)
        if stripped:
            previous = stripped
    return bad


def test_every_number_in_a_shipped_profile_names_a_source_or_an_antakelse() -> None:
    root = resources.files("sim.scenario").joinpath("device_profiles")
    files = [root.joinpath("daily.yaml")] + [
        root.joinpath(kind, f"{name}.yaml")
        for kind in DEVICE_TYPES for name in profile_names(kind)]
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert _numbers_without_source(text) == [], file
        comments = " ".join(line for line in text.splitlines() if "#" in line)
        assert "antakelse" in comments
        assert "assumption" not in comments
    assert _numbers_without_source("rate_per_day: 0.2\n") == ["rate_per_day: 0.2"]
    assert _numbers_without_source('note: "text: 4 %"\n') == []


def test_shipped_scenarios_name_profiles_and_resolve_every_value() -> None:
    lier = load_scenario(SCENARIOS / "lier-2026.yaml")
    assert {c.based_on for c in lier.devices.values()} == {"standard"}
    assert lier.devices["safety_alarm"].events["button_need"].rate_per_day == 0.112
    assert set(lier.profiles) == set(daily_profiles())
    region = load_scenario(SCENARIOS / "region-50k.yaml")
    missed = region.devices["medicine_dispenser"].events["dose_missed"]
    assert missed.probability == 0.006 and len(missed.at or ()) == 10
    assert missed.delay == 1800 and missed.outcomes == lier.devices[
        "medicine_dispenser"].events["dose_missed"].outcomes  # the rest from the profile


def test_resolved_scenario_loads_back_to_the_same_values(tmp_path: Path) -> None:
    lier = load_scenario(SCENARIOS / "lier-2026.yaml")
    dumped = write(tmp_path, lier.model_dump(mode="json", by_alias=True))
    assert load_scenario(dumped) == lier


def test_unknown_override_key_is_reported_with_its_field_path(tmp_path: Path) -> None:
    data = {**BARE, "devices": {"safety_alarm": {
        "based_on": "standard", "events": {"button_need": {"rate_per_dya": 0.3}}}}}
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, data))
    paths = [p.path for p in caught.value.problems]
    assert paths == ["devices.safety_alarm.events.button_need.rate_per_dya"]


def test_unknown_profile_name_lists_the_shipped_ones(tmp_path: Path) -> None:
    data = {**BARE, "devices": {"e_lock": {"based_on": "deluxe"}}}
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, data))
    (problem,) = caught.value.problems
    assert problem.path == "devices.e_lock.based_on" and "standard" in problem.message


def test_partial_override_and_set_act_on_the_profile_values(tmp_path: Path) -> None:
    data = {**BARE, "devices": {"safety_alarm": {
        "based_on": "standard",
        "events": {"button_need": {"handling": {"mean": 7}}, "fall_detected": None}}}}
    path = write(tmp_path, data)
    scenario = load_scenario(path, {"devices.safety_alarm.events.button_need.rate_per_day": 0.3})
    events = scenario.devices["safety_alarm"].events
    assert "fall_detected" not in events and "button_accidental" in events
    assert events["button_need"].rate_per_day == 0.3
    assert events["button_need"].handling is not None
    assert events["button_need"].handling.mean == 7 * 60


def test_kinds_without_settings_get_the_shipped_profile_and_say_so(tmp_path: Path) -> None:
    scenario, uses = load_scenario_noting(write(tmp_path, BARE))
    assert [(u.kind, u.implicit) for u in uses] == [("safety_alarm", True), ("e_lock", True)]
    assert scenario.devices["e_lock"].events["door_open_too_long"].rate_per_day == 0.02
    # a bare `e_lock:` with nothing under it is no settings either
    _, bare = load_scenario_noting(write(tmp_path, {**BARE, "devices": {"e_lock": None}}))
    assert ("e_lock", True) in [(u.kind, u.implicit) for u in bare]
    # a kind added by --set gets its profile too
    _, more = load_scenario_noting(write(tmp_path, BARE),
                                   {"users.0.devices": ["safety_alarm", "gps_tracker"]})
    assert ("gps_tracker", True) in [(u.kind, u.implicit) for u in more]
    result = vtsim("check", str(write(tmp_path, BARE)))
    assert result.returncode == 0, result.stdout
    assert "devices.safety_alarm: the scenario has no settings; the shipped profile " \
           "'standard' applies" in result.stdout


def test_a_scenario_without_device_settings_runs_with_incidents(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = vtsim("run", str(write(tmp_path, BARE)), "--replications", "2", "--out", str(out),
                   "--log-format", "none")
    assert result.returncode == 0, result.stderr
    metrics = yaml.safe_load((out / "metrics.json").read_text())["metrics"]
    assert metrics["incidents.per_day"]["mean"] > 30  # 300 alarms x ~0.2 presses a day
    resolved = yaml.safe_load((out / "scenario.resolved.yaml").read_text())
    assert resolved["devices"]["safety_alarm"]["events"]["button_need"]["rate_per_day"] == 0.112


@pytest.mark.parametrize("change", [
    {"users": [{"name": "u", "count": 0, "devices": ["safety_alarm"]}]},
    {"devices": {"safety_alarm": {"events": {}}}, "users": [
        {"name": "u", "count": 10, "devices": ["safety_alarm"]}]},
    {"devices": {"safety_alarm": {"events": {"heartbeat": {"interval": 3600}}}}, "users": [
        {"name": "u", "count": 10, "devices": ["safety_alarm"]}]},
])
def test_a_centre_that_would_receive_nothing_is_an_error(tmp_path: Path,
                                                          change: dict[str, Any]) -> None:
    path = write(tmp_path, {**BARE, **change})
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert "the centre would receive no alarm" in caught.value.problems[0].message
    check = vtsim("check", str(path))
    assert check.returncode == 2 and "would receive no alarm" in check.stdout


def test_size_refuses_a_centre_that_receives_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, {**BARE, "users": [{"name": "u", "count": 0,
                                               "devices": ["safety_alarm"]}]})
    result = vtsim("size", str(path), "--target", "answer 98.5% within 60s",
                   "--out", str(tmp_path / "size"))
    assert result.returncode == 2
    assert "would receive no alarm" in result.stdout
    assert "operators" not in result.stdout.lower().replace("give the groups", "")
    assert not (tmp_path / "size" / "sizing.json").exists()
