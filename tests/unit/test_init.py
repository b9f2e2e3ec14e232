"""``vtsim init``: scripted and interactive inputs, bad inputs, and the scenarios it writes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.prompt import Confirm, FloatPrompt, IntPrompt, Prompt
from typer.testing import CliRunner

from sim.analysis.erlang import hours_of, incident_loads, service_level
from sim.scenario.draft import draft_scenario
from sim.scenario.loading import load_scenario
from sim.scenario.municipality import (
    ADOPTION,
    Municipality,
    device_counts,
    expected_load,
    user_groups,
)
from tests.conftest import ROOT, SCENARIOS
from tests.unit.test_device_profiles import _numbers_without_source

LARGE: dict[str, Any] = {  # about the size of Bærum (the figures are made up for the test)
    "name": "Storby 2026",
    "inhabitants": 130000,
    "age_bands": {"67-79": 14500, "80-89": 5300, "90+": 1300},
    "zones": [{"name": "sentrum", "share": 0.3, "drive_minutes": 10},
              {"name": "vest", "share": 0.25, "drive_minutes": 9},
              {"name": "nord", "share": 0.15, "drive_minutes": 12},
              {"name": "dalen", "share": 0.1, "drive_minutes": 18},
              {"name": "sor", "share": 0.2, "drive_minutes": 12}],
    "home_care": {"recipients": 3200, "arsverk": 520},
}
SMALL: dict[str, Any] = {
    "name": "Småby 2026",
    "inhabitants": 5000,
    "age_bands": {"67–79": 600, "80–89": 250, "90+": 70},  # en dashes, as people write them
    "zones": [{"name": "sentrum", "share": 0.6, "drive_minutes": 8},
              {"name": "fjellet", "share": 0.4, "drive_minutes": 30}],
    "home_care": {"recipients": 150, "arsverk": 25},
}
LIER_DEVICES = {"safety_alarm": 400, "e_lock": 185, "medicine_dispenser": 80,
                "gps_tracker": 25, "night_supervision": 55}


def vtsim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vtsim", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=300)


def write_input(tmp_path: Path, data: dict[str, Any], name: str = "kommune.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_init_from_a_file_writes_a_scenario_that_passes_check_and_runs(tmp_path: Path) -> None:
    out = tmp_path / "scenarios" / "storby.yaml"
    result = vtsim("init", "--from", str(write_input(tmp_path, LARGE)), "--out", str(out),
                   "--no-input")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Wrote {out}" in result.stdout.replace("\n", "")
    text = out.read_text(encoding="utf-8")
    assert _numbers_without_source(text) == []
    assert "antakelse" in text and "Helsedirektoratet IS-2552" in text
    check = vtsim("check", str(out))
    assert check.returncode == 0, check.stdout
    assert "OK (Storby 2026)" in check.stdout
    scenario = load_scenario(out)
    assert scenario.tenant == "storby" and len(scenario.zones) == 5
    alarms = sum(u.count for u in scenario.users if "safety_alarm" in u.devices)
    assert alarms == device_counts(Municipality.model_validate(LARGE))["safety_alarm"].count
    # operators: the fewest that Erlang C says meet 97.5 % within 60 s in every hour, at least 2
    loads = incident_loads(scenario)
    for shift in scenario.centre.shifts:
        hours = [loads[h] for h in hours_of(shift)]

        def meets(servers: int, hours: list[Any] = hours) -> bool:
            return all(servers > h.erlang and service_level(
                servers, h.erlang, h.mean_service_s, 60.0) >= 0.975 for h in hours)

        assert meets(shift.operators), shift.name
        assert shift.operators == 2 or not meets(shift.operators - 1), shift.name
    assert max(s.operators for s in scenario.centre.shifts) > 2  # a large centre


@pytest.mark.parametrize(("town", "most_seconds"), [(LARGE, 120.0), (SMALL, 60.0)])
def test_very_different_municipalities_run_quickly(tmp_path: Path, town: dict[str, Any],
                                                   most_seconds: float) -> None:
    out = tmp_path / "s.yaml"
    assert vtsim("init", "--from", str(write_input(tmp_path, town)), "--out", str(out),
                 "--no-input").returncode == 0
    started = time.monotonic()
    run = vtsim("run", str(out), "--replications", "2", "--out", str(tmp_path / "r"),
                "--log-format", "none", "--set", "horizon=7d")
    assert run.returncode == 0, run.stderr
    assert time.monotonic() - started < most_seconds
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())["metrics"]
    expected = expected_load(user_groups(
        {k: c.count for k, c in device_counts(Municipality.model_validate(town)).items()}))
    measured = metrics["incidents.per_day"]["mean"]
    assert abs(measured - expected.incidents_per_day) < 0.1 * expected.incidents_per_day + 3


def test_lier_device_counts_give_lier_user_groups() -> None:
    lier = load_scenario(SCENARIOS / "lier-2026.yaml")
    groups = user_groups(LIER_DEVICES)
    assert [(g.name, g.count, g.devices) for g in groups] == [
        (u.name, u.count, u.devices) for u in lier.users]
    for group, user in zip(groups, lier.users, strict=True):
        assert dict(group.multiplier) == (user.rate_multiplier if isinstance(
            user.rate_multiplier, dict) else {})


def test_expected_load_agrees_with_the_simulated_lier(tmp_path: Path) -> None:
    """The draft's arithmetic (profiles x counts) against the simulation of the same fleet."""
    result = vtsim("run", str(SCENARIOS / "lier-2026.yaml"), "--replications", "4", "--out",
                   str(tmp_path), "--log-format", "none")
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "metrics.json").read_text())["metrics"]
    load = expected_load(user_groups(LIER_DEVICES))
    for key, value in (("incidents.per_day", load.incidents_per_day),
                       ("visits.per_day", sum(load.visits))):
        figure = metrics[key]
        assert abs(figure["mean"] - value) <= 3 * figure["ci_half_width"] + 0.02 * value, key


def test_groups_use_every_device_even_when_counts_do_not_fit_a_kit() -> None:
    counts = {"safety_alarm": 10, "e_lock": 40, "medicine_dispenser": 30,
              "gps_tracker": 15, "night_supervision": 0}
    groups = user_groups(counts)
    for kind, count in counts.items():
        assert sum(g.count for g in groups if kind in g.devices) == count, kind


def test_reference_rates_give_plausible_national_totals() -> None:
    """Norway's 2016 age structure (approximate, SSB) with the default safety-alarm rates gives
    about the 74,217 users SSB counted that year."""
    norway = {"67-79": 560_000, "80-89": 170_000, "90+": 43_000}
    total = sum(ADOPTION["safety_alarm"].per_100[b] / 100 * n for b, n in norway.items())
    assert 0.9 * 74_217 < total < 1.15 * 74_217


def test_init_with_options_only_and_planned_devices(tmp_path: Path) -> None:
    out = tmp_path / "o.yaml"
    result = vtsim("init", "--no-input", "--out", str(out), "--name", "Lier 2026",
                   "--inhabitants", "29200", "--age-band", "67-79=3100", "--age-band",
                   "80-89=1050", "--age-band", "90+=290", "--zone", "lierbyen=0.3,10",
                   "--zone", "resten=0.7,14", "--recipients", "800", "--arsverk", "114.8",
                   *[arg for kind, n in LIER_DEVICES.items()
                     for arg in ("--device", f"{kind}={n}")])
    assert result.returncode == 0, result.stdout
    scenario = load_scenario(out)
    assert [u.count for u in scenario.users] == [185, 100, 60, 20, 25, 30]
    assert scenario.benefit is not None and scenario.benefit.home_care_totals is not None
    assert scenario.benefit.home_care_totals.arsverk == 114.8
    assert "planned (input)" in out.read_text(encoding="utf-8")


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "s.yaml"
    out.write_text("mine\n", encoding="utf-8")
    source = str(write_input(tmp_path, SMALL))
    refused = vtsim("init", "--from", source, "--out", str(out), "--no-input")
    assert refused.returncode == 2 and "--force" in refused.stdout
    assert out.read_text(encoding="utf-8") == "mine\n"
    assert vtsim("init", "--from", source, "--out", str(out), "--no-input",
                 "--force").returncode == 0
    assert out.read_text(encoding="utf-8").startswith("# Småby 2026")


@pytest.mark.parametrize(("change", "path", "words"), [
    ({"devices": {"safety_alarm": -5}}, "devices.safety_alarm", "greater than or equal to 0"),
    ({"zones": [{"name": "a", "share": 0.5, "drive_minutes": 10},
                {"name": "b", "share": 0.4, "drive_minutes": 10}]}, "zones",
     "must sum to 1 (they sum to 0.9)"),
    ({"age_bands": {"60-66": 10, "67-79": 600, "80-89": 250, "90+": 70}}, "age_bands",
     "unknown age band '60-66'"),
    ({"age_bands": {"67-79": 600, "80-89": 250}}, "age_bands", "missing age band '90+'"),
    ({"home_care": None}, "home_care", "Field required"),
    ({"home_care": {"recipients": 150}}, "home_care.arsverk", "Field required"),
    ({"devices": {"toaster": 3}}, "devices", "unknown device kind 'toaster'"),
    ({"zones": [{"name": "a", "share": 1.0, "drive": 10}]}, "zones.0.drive",
     "unknown input"),
    ({"inhabitants": 500}, "", "more inhabitants aged 67+ than inhabitants"),
    ({"adoption": {"gps_tracker": {"67-79": 1, "80-89": 2, "90+": 300}}},
     "adoption.gps_tracker.90+", "less than or equal to 100"),
])
def test_bad_inputs_name_the_field_and_write_nothing(tmp_path: Path, change: dict[str, Any],
                                                     path: str, words: str) -> None:
    data = {**SMALL, **change}
    data = {k: v for k, v in data.items() if v is not None}
    out = tmp_path / "s.yaml"
    result = vtsim("init", "--from", str(write_input(tmp_path, data)), "--out", str(out),
                   "--no-input")
    assert result.returncode == 2, result.stdout
    line = next(x for x in result.stdout.replace("\n", " ").split("error: ")[1:] if words in x)
    assert (f"kommune.yaml: {path}: " if path else "kommune.yaml: ") in line
    assert not out.exists()


def test_missing_inputs_without_a_terminal_are_errors(tmp_path: Path) -> None:
    result = vtsim("init", "--out", str(tmp_path / "s.yaml"), "--no-input", "--name", "X 2026")
    assert result.returncode == 2
    for field in ("inhabitants", "age_bands", "zones", "home_care"):
        assert f"input: {field}: Field required" in result.stdout


def test_unknown_key_in_the_input_file(tmp_path: Path) -> None:
    result = vtsim("init", "--from", str(write_input(tmp_path, {**SMALL, "population": 5})),
                   "--out", str(tmp_path / "s.yaml"), "--no-input")
    assert result.returncode == 2 and "population: unknown input" in result.stdout


def test_bad_option_formats(tmp_path: Path) -> None:
    result = vtsim("init", "--no-input", "--zone", "sentrum:0.5", "--out", str(tmp_path / "s"))
    assert result.returncode == 2 and "NAME=SHARE,DRIVE_MINUTES" in result.stdout + result.stderr


def test_interactive_prompts_fill_in_what_is_missing(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    answers: dict[str, Any] = {
        "Municipality and year": "Fjordby 2027",
        "Year the figures": 2027,
        "Inhabitants (innbyggere)": 12000,
        "Inhabitants aged 67-79": 1400,
        "Inhabitants aged 80-89": 500,
        "Inhabitants aged 90+": 120,
        "How many zones": 2,
        "Zone 1: name": "Byen Sentrum",
        "Zone 1: share": 0.7,
        "Zone 1: typical drive": 9,
        "Zone 2: name": "Bygda/Nord-Øst",
        "Zone 2: share": 0.3,
        "Zone 2: typical drive": 25,
        "Recipients of home services": 320,
        "Årsverk of the home service": 55.5,
        "Do you know the planned number": True,
        "Planned safety_alarm": 240,
        "Planned e_lock": 80,
        "Planned medicine_dispenser": 30,
        "Planned gps_tracker": 10,
        "Planned night_supervision": 20,
    }
    asked: list[str] = []

    def answer(prompt: str, **_: Any) -> Any:
        key = next(k for k in answers if prompt.startswith(k))
        asked.append(key)
        return answers[key]

    for cls in (Prompt, IntPrompt, FloatPrompt, Confirm):
        monkeypatch.setattr(cls, "ask", classmethod(lambda cls, prompt, **kw: answer(prompt)))
    from vtsim.cli.main import app

    out = tmp_path / "fjordby.yaml"
    result = CliRunner().invoke(app, ["init", "--interactive", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(asked) == sorted(answers)
    scenario = load_scenario(out)
    assert scenario.name == "Fjordby 2027" and scenario.start.year == 2027
    assert [z.name for z in scenario.zones] == ["byen_sentrum", "bygda_nord_ost"]
    assert sum(u.count for u in scenario.users if "gps_tracker" in u.devices) == 10


def test_interactive_asks_only_for_what_the_file_leaves_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def answer(prompt: str) -> Any:
        asked.append(prompt)
        return {"Recipients": 150, "Årsverk": 25.0}[prompt.split(" ")[0]]

    for cls in (Prompt, IntPrompt, FloatPrompt, Confirm):
        monkeypatch.setattr(cls, "ask", classmethod(lambda cls, prompt, **kw: answer(prompt)))
    from vtsim.cli.main import app

    data = {k: v for k, v in SMALL.items() if k != "home_care"}
    data["devices"] = {"safety_alarm": 100}
    out = tmp_path / "s.yaml"
    result = CliRunner().invoke(app, ["init", "--interactive", "--from",
                                      str(write_input(tmp_path, data)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [a.split(" ")[0] for a in asked] == ["Recipients", "Årsverk"]


def test_draft_is_deterministic_and_names_its_inputs() -> None:
    town = Municipality.model_validate(SMALL)
    assert draft_scenario(town) == draft_scenario(town)
    text = draft_scenario(town)
    assert "aged 80-89             250" in text and "150 recipients, 25 årsverk" in text


def test_norwegian_written_numbers_and_zone_names_are_read(tmp_path: Path) -> None:
    data = {**SMALL, "inhabitants": "5 000", "home_care": {"recipients": "150", "arsverk": "25,5"},
            "zones": [{"name": "Flå sentrum", "share": "0,6", "drive_minutes": 8},
                      {"name": "Fjellet Øst", "share": "0,4", "drive_minutes": "30,5"}]}
    out = tmp_path / "s.yaml"
    result = vtsim("init", "--from", str(write_input(tmp_path, data)), "--out", str(out),
                   "--no-input")
    assert result.returncode == 0, result.stdout
    scenario = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert [z["name"] for z in scenario["zones"]] == ["flaa_sentrum", "fjellet_ost"]
    assert [z["share"] for z in scenario["zones"]] == [0.6, 0.4]
    assert scenario["zones"][1]["travel_time"]["mean"] == 30.5
    assert scenario["benefit"]["home_care_totals"]["arsverk"] == 25.5
    assert "5,000 inhabitants" in scenario["description"]


def test_a_share_in_per_cent_is_one_error_per_zone(tmp_path: Path) -> None:
    data = {**SMALL, "zones": [{"name": "a", "share": 70, "drive_minutes": 8},
                               {"name": "b", "share": 30, "drive_minutes": 30}]}
    result = vtsim("init", "--from", str(write_input(tmp_path, data)), "--out",
                   str(tmp_path / "s.yaml"), "--no-input")
    assert result.returncode == 2
    assert "zones.0.share: Input should be less than or equal to 1 (got 70)" in result.stdout
    assert "at least 1 item" not in result.stdout
    assert "2 problem(s) in the inputs" in result.stdout


def test_error_lines_show_brackets_in_values(tmp_path: Path) -> None:
    data = {**SMALL, "devices": {"[b]toaster": 3}}
    result = vtsim("init", "--from", str(write_input(tmp_path, data)), "--out",
                   str(tmp_path / "s.yaml"), "--no-input")
    assert result.returncode == 2 and "unknown device kind '[b]toaster'" in result.stdout


def test_decimal_commas_in_options(tmp_path: Path) -> None:
    args = ["init", "--no-input", "--name", "Småby 2026", "--inhabitants", "5000",
            "--age-band", "67-79=600", "--age-band", "80-89=250", "--age-band", "90+=70",
            "--recipients", "150", "--arsverk", "25,5", "--zone", "Sentrum=0.6,8"]
    mixed = vtsim(*args, "--zone", "fjellet=0,4,30", "--out", str(tmp_path / "a.yaml"))
    said = " ".join(mixed.stderr.replace("│", " ").split())  # rich wraps it in a box
    assert mixed.returncode == 2 and "write decimals with a point" in said
    out = tmp_path / "b.yaml"
    assert vtsim(*args, "--zone", "fjellet=0.4,30", "--out", str(out)).returncode == 0
    scenario = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert scenario["benefit"]["home_care_totals"]["arsverk"] == 25.5
    assert scenario["zones"][0]["name"] == "sentrum"


def _drafted(tmp_path: Path, town: dict[str, Any]) -> Any:
    path = tmp_path / "drafted.yaml"
    path.write_text(draft_scenario(Municipality.model_validate(town)), encoding="utf-8")
    return load_scenario(path)


def test_init_writes_sources_so_the_report_shows_documents_and_own_figures(
        tmp_path: Path) -> None:
    from reports.benefit.assumptions import source_text
    from reports.benefit.outputs import assumptions

    scenario = _drafted(tmp_path, SMALL)
    rows = {row["path"]: row["source"] for row in assumptions(scenario)}
    shown = {path: source_text(source, "nb") for path, source in rows.items()}
    assert "R-109/2021" in shown["benefit.economics.discount_rate"]
    for own in ("benefit.home_care_totals.recipients", "benefit.home_care_totals.arsverk"):
        assert shown[own].startswith("kommunens egne tall"), own
    assert shown["benefit.key_handling.minutes_per_shift"].startswith("Difi")
    # every row has a source or a reason: none is the bare word
    assert [p for p, text in shown.items() if text == "Antakelse"] == []
    assert shown["benefit.searches.share"].startswith("Antakelse: ")
    assert source_text(rows["benefit.economics.discount_rate"], "en").startswith(
        "Finansdepartementet")


def test_init_writes_a_sensitivity_section_with_ranges_around_the_values(
        tmp_path: Path) -> None:
    from sim.benefit.psa import psa_inputs, sensitivity_problems

    scenario = _drafted(tmp_path, LARGE)
    assert list(sensitivity_problems(scenario, "drafted.yaml")) == []
    drawn, left_out = psa_inputs(scenario, "drafted.yaml")
    assert len(drawn) >= 9 and left_out == ()
    assert any(i.distribution.name.endswith("night_round") for i in drawn)
    for item in scenario.benefit.sensitivity:
        assert item.low < item.high and item.labels["nb"] and item.labels["en"], item.path


def test_rate_multiplier_comments_match_their_direction() -> None:
    from sim.scenario.draft import multiplier_reason

    assert "more often" in multiplier_reason({"safety_alarm": 1.2})
    lowered = multiplier_reason({"safety_alarm": 0.7})
    assert "less often" in lowered and "more" not in lowered
    text = draft_scenario(Municipality.model_validate(LARGE))
    care = text.split("name: care_housing_night")[1].split("rate_multiplier:")[1]
    care = care.splitlines()[0]
    assert "x0.7" in care and "more" not in care and "door" not in care
