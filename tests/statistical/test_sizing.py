"""Sizing: target strings, Erlang C per hour, the fleet shorthand, and the staffing search
checked against the exact M/M/c answer (A = 10 Erlang, 80 % within 20 s -> 14 operators)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from reports.i18n import reason_text
from sim.analysis.erlang import erlang_c, fewest_servers, incident_loads, service_level
from sim.analysis.sizing import (
    DEFAULT_GROWTH,
    FEWEST_OPERATORS,
    growth_of,
    growth_overrides,
    search,
    shift_dimensions,
    size_year,
    sweep_evaluator,
)
from sim.analysis.targets import Target, TargetError, parse_target
from sim.errors import ScenarioError
from sim.run.backends import local_backend
from sim.scenario.loading import load_scenario
from sim.scenario.overrides import scale_counts
from tests.conftest import SCENARIOS
from vtsim.cli.main import app

ERLANG = SCENARIOS / "checks" / "erlang-c.yaml"
LIER = SCENARIOS / "lier-2026.yaml"
SHORT = {"horizon": "12h", "warmup": "1h"}
EIGHTY_IN_20S = parse_target("answer 80% within 20s")


def test_targets_are_read_into_typed_values() -> None:
    assert parse_target("answer 98.5% within 60s") == Target("answer", 0.985, 60.0)
    assert parse_target("visit 90% within 45min") == Target("visit", 0.90, 2700.0)
    assert parse_target("  Answer 97.5 % within 1min ").metric == "answer.within_1min"
    assert parse_target("visit 90% within 45min").metric == "visits.within_45min"
    for bad, hint in (("answer 98.5 within 60s", "write it as"),
                      ("reply 90% within 60s", "write it as"),
                      ("answer 120% within 60s", "at most 100"),
                      ("answer 90% within soon", "duration"),
                      ("answer 90% within 0s", "longer than 0")):
        with pytest.raises(TargetError, match=hint):
            parse_target(bad)


def test_erlang_c_matches_the_published_values() -> None:
    for servers, p_wait, level in ((12, 0.4494, 0.6402), (13, 0.2853, 0.7956),
                                   (14, 0.1741, 0.8884), (15, 0.1020, 0.9415)):
        assert erlang_c(servers, 10.0) == pytest.approx(p_wait, abs=5e-5)
        assert service_level(servers, 10.0, 180.0, 20.0) == pytest.approx(level, abs=5e-5)
    assert fewest_servers(10.0, 180.0, 20.0, 0.80) == 14
    assert fewest_servers(10.0, 180.0, 20.0, 0.795) == 13


def test_hourly_load_of_the_check_scenario_is_ten_erlang() -> None:
    loads = incident_loads(load_scenario(ERLANG))
    assert [round(h.erlang, 9) for h in loads] == [10.0] * 24
    dims = shift_dimensions(load_scenario(ERLANG), [EIGHTY_IN_20S])
    assert [(d.name, d.analytic, d.start) for d in dims] == [("all_day", 14, 14)]


def test_size_finds_fourteen_operators_for_ten_erlang() -> None:
    with local_backend(2) as backend:
        result = size_year(ERLANG, SHORT, None, [EIGHTY_IN_20S], 2026, 8, backend)
    assert result.staffing == {"all_day": 14}
    assert result.dimensions[0].analytic == 14
    assert result.dimensions[0].floor == FEWEST_OPERATORS < 14  # the IS-2552 floor: not binding
    (judgement,) = result.judgements
    assert judgement.met and judgement.low >= 0.80
    assert result.reasons["all_day"].key == "agrees_shift"
    assert reason_text(result.reasons["all_day"], "en") == "agrees with Erlang C per hour"
    assert reason_text(result.reasons["all_day"], "nb") == "stemmer med Erlang C time for time"


@pytest.mark.parametrize("start", [11, 17])
def test_search_by_simulation_reaches_fourteen_from_either_side(start: int) -> None:
    scenario = load_scenario(ERLANG, SHORT)
    (dim,) = shift_dimensions(scenario, [EIGHTY_IN_20S])
    dim = type(dim)(dim.name, dim.kind, dim.path, dim.floor, start, dim.peak_hour, dim.targets)
    overrides = {**SHORT, "targets.answer_within": [20.0]}
    with local_backend(2) as backend:
        evaluate = sweep_evaluator(ERLANG, overrides, [dim], 2026, 8, backend)
        staffing, _judgements, unreachable, _points = search([dim], evaluate, 0.95)
    assert staffing == {"all_day": 14} and not unreachable


def test_growth_scales_every_user_group() -> None:
    lier = load_scenario(LIER)
    grown = growth_overrides(lier, 2030)
    assert grown["users.alarm_only.count"] == round(185 * lier.growth.factor("alarm_only", 4))
    assert growth_overrides(lier, 2026)["users.alarm_only.count"] == 185
    check = load_scenario(ERLANG)  # no growth section: the documented default applies
    assert growth_of(check)[0] == DEFAULT_GROWTH
    later = growth_overrides(check, check.start.year + 2)
    assert later["users.everyone.count"] == round(4800 * (1 + DEFAULT_GROWTH) ** 2)


def test_fleet_shorthand_keeps_proportions_and_names_unknown_paths() -> None:
    assert scale_counts([185, 100, 60, 25, 30], 800) == [370, 200, 120, 50, 60]
    assert sum(scale_counts([1, 1, 1], 10)) == 10
    scenario = load_scenario(LIER, {"fleet.gps_tracker.users": 50,
                                    "centre.shifts.night.operators": 3,
                                    "zones.lierbyen.field_staff": 4})
    assert [u.count for u in scenario.users if "gps_tracker" in u.devices] == [50]
    assert scenario.centre.shifts[2].operators == 3 and scenario.zones[0].field_staff == 4
    for path, message in (("fleet.toaster.users", "unknown device kind"),
                          ("fleet.safety_alarm.count", "fleet.<device kind>.users"),
                          ("centre.shifts.nite.operators", "no such field")):
        with pytest.raises(ScenarioError, match=message):
            load_scenario(LIER, {path: 3})


def test_size_command_prints_both_estimates(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [
        "size", str(ERLANG), "--target", "answer 80% within 20s", "--replications", "4",
        "--workers", "1", "--set", "horizon=4h", "--set", "warmup=30min"])
    assert result.exit_code == 0, result.output
    assert "Erlang C" in result.output and "all_day" in result.output
    bad = CliRunner().invoke(app, ["size", str(ERLANG), "--target", "answer fast"])
    assert bad.exit_code == 2 and "write it as" in bad.output


def test_sweep_command_writes_tables_and_charts(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    args = ["sweep", str(ERLANG), "--set", "centre.shifts.all_day.operators=13..14",
            "--set", "horizon=2h", "--replications", "2", "--workers", "1", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for name in ("points.csv", "points.parquet", "attainment.png", "attainment.svg",
                 "replications.jsonl", "sweep.json"):
        assert (out / name).stat().st_size > 0, name
    rows = (out / "points.csv").read_text().splitlines()
    assert len(rows) == 3 and rows[0].startswith("point,centre.shifts.all_day.operators,horizon")
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2 and "--resume" in again.output
    resumed = CliRunner().invoke(app, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
