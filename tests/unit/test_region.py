"""A region: member scenario files sharing one centre (loading, problems, the run, figures)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim.errors import ScenarioError
from sim.model.metrics import replication_metrics
from sim.run.region import run_region_replication
from sim.run.replication import run_replication
from sim.run.runner import run_replications
from sim.scenario.region import is_region_file, load_region
from tests.conftest import ROOT, SCENARIOS

LIER = SCENARIOS / "lier-2026.yaml"
LIER_SHIFTS = [
    {"name": "day", "start": "07:00", "end": "15:00", "operators": 2},
    {"name": "evening", "start": "15:00", "end": "23:00", "operators": 2},
    {"name": "night", "start": "23:00", "end": "07:00", "operators": 2},
]


def write_region(folder: Path, members: list[dict[str, object]],
                 shifts: list[dict[str, object]] | None = None, **extra: object) -> Path:
    region = {"name": "test region", "horizon": "3d", "warmup": "1h", "replications": 2,
              "seed": 5, "members": members, "centre": {"shifts": shifts or LIER_SHIFTS},
              **extra}
    path = folder / "region.yaml"
    path.write_text(yaml.safe_dump(region), encoding="utf-8")
    return path


def test_a_region_file_is_told_from_a_scenario(tmp_path: Path) -> None:
    region = write_region(tmp_path, [{"name": "lier", "scenario": str(LIER)}])
    assert is_region_file(region)
    assert not is_region_file(LIER)


def test_one_member_sharing_its_own_shifts_gives_its_own_centre_figures(tmp_path: Path) -> None:
    """A region of one member whose shared centre has the member's shifts is the member on its
    own: the same alarms (its own named streams) and the same figures, exactly."""
    region = load_region(write_region(tmp_path, [{"name": "lier", "scenario": str(LIER)}]))
    member = region.member("lier")
    alone = replication_metrics(member.scenario,
                                run_replication(member.scenario, 5, 0, namespace="lier"))
    shared = run_replications(region, 5, 1, workers=1)[0].metrics
    for key, value in alone.items():
        got = shared[f"members.lier.{key}"]
        assert got == value or (math.isnan(got) and math.isnan(value)), key
    assert shared["answer.within_1min"] == alone["answer.within_1min"]
    assert shared["operators.utilisation.all"] == pytest.approx(
        alone["operators.utilisation.all"])
    assert shared["members.lier.operators.busy_share"] == 1.0


def test_members_keep_their_alarms_and_visits_and_share_the_operators(tmp_path: Path) -> None:
    members = [{"name": "lier", "scenario": str(LIER), "inhabitants": 29_000},
               {"name": "twin", "scenario": str(LIER), "set": {"tenant": "twin"}}]
    region = load_region(write_region(tmp_path, members))
    logs = run_region_replication(region, 5, 0).members
    assert set(logs) == {"lier", "twin"}
    # Each member's own streams: the two identical municipalities see different alarms.
    first = [r.t_received for r in logs["lier"].incidents][:20]
    second = [r.t_received for r in logs["twin"].incidents][:20]
    assert first != second
    # The operators are shared: both members' incidents are answered by the same operators.
    operators = {r.operator for r in logs["lier"].incidents} & {
        r.operator for r in logs["twin"].incidents}
    assert operators
    # Visits go to each member's own zones.
    zones = {z.name for z in region.member("lier").scenario.zones}
    assert {v.zone for v in logs["twin"].visits} <= zones
    metrics = run_replications(region, 5, 1, workers=1)[0].metrics
    assert metrics["incidents.count"] == (metrics["members.lier.incidents.count"]
                                          + metrics["members.twin.incidents.count"])
    shares = metrics["members.lier.operators.busy_share"] + \
        metrics["members.twin.operators.busy_share"]
    assert shares == pytest.approx(1.0)
    assert metrics["operators.busy_h"] == pytest.approx(
        metrics["members.lier.operators.busy_h"] + metrics["members.twin.operators.busy_h"])


def test_a_member_is_the_same_in_a_region_and_on_its_own_arrivals(tmp_path: Path) -> None:
    """Common random numbers: a member's alarms do not depend on who else shares the centre.
    (Exactly so without repeats while waiting: a repeat takes a draw of the latency stream.)"""
    check = SCENARIOS / "checks" / "erlang-c.yaml"
    one = load_region(write_region(tmp_path, [{"name": "lier", "scenario": str(check)}]))
    (tmp_path / "two").mkdir()
    two = load_region(write_region(
        tmp_path / "two", [{"name": "lier", "scenario": str(check)},
                           {"name": "twin", "scenario": str(LIER)}]))
    alone = run_region_replication(one, 9, 0).members["lier"].incidents
    shared = run_region_replication(two, 9, 0).members["lier"].incidents
    # Records are in closing order, which sharing changes; the alarms themselves do not change.
    assert sorted(r.t_received for r in alone) == sorted(r.t_received for r in shared)


def test_problems_name_the_member_its_file_and_the_field(tmp_path: Path) -> None:
    bad = yaml.safe_load(LIER.read_text(encoding="utf-8"))
    bad["centre"]["shifts"][0]["operators"] = -1
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    region = write_region(tmp_path, [{"name": "lier", "scenario": str(LIER)},
                                     {"name": "drammen", "scenario": "bad.yaml"},
                                     {"name": "gone", "scenario": "missing.yaml"}])
    with pytest.raises(ScenarioError) as caught:
        load_region(region)
    lines = [p.describe() for p in caught.value.problems]
    assert any("bad.yaml: centre.shifts.0.operators: member drammen (members.1 of" in line
               for line in lines), lines
    assert any("missing.yaml" in line and "member gone" in line for line in lines), lines


def test_region_file_problems_and_duplicate_tenants(tmp_path: Path) -> None:
    region = write_region(tmp_path, [{"name": "lier", "scenario": str(LIER)},
                                     {"name": "lier", "scenario": str(LIER)}],
                          shifts=[{"name": "all", "start": "00:00", "end": "24:00",
                                   "operators": 2}])
    with pytest.raises(ScenarioError) as caught:
        load_region(region)
    lines = [p.describe() for p in caught.value.problems]
    assert any("members.1.name: member names must be unique" in line for line in lines)
    assert any(": tenant: member lier (members.1 of" in line and "already used" in line
               for line in lines), lines
    typo = write_region(tmp_path, [{"name": "lier", "scenario": str(LIER), "senario": "x"}])
    with pytest.raises(ScenarioError, match=r"members\.0\.senario: unknown field"):
        load_region(typo)


def test_overrides_reach_the_region_and_its_members(tmp_path: Path) -> None:
    path = write_region(tmp_path, [{"name": "lier", "scenario": str(LIER)}])
    region = load_region(path, {"centre.shifts.day.operators": 5,
                                "members.lier.users.0.count": 3})
    assert region.shifts[0].operators == 5
    assert region.member("lier").scenario.users[0].count == 3
    with pytest.raises(ScenarioError, match="no such member"):
        load_region(path, {"members.asker.tenant": "x"})


def vtsim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vtsim", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=300)


def test_vtsim_run_on_a_region_writes_member_figures_and_event_log(tmp_path: Path) -> None:
    check = SCENARIOS / "checks" / "erlang-c.yaml"
    path = write_region(tmp_path, [{"name": "a", "scenario": str(check), "set": {"tenant": "a"}},
                                   {"name": "b", "scenario": str(check), "set": {"tenant": "b"}}],
                        shifts=[{"name": "all", "start": "00:00", "end": "24:00",
                                 "operators": 24}], horizon="6h", warmup="30min")
    out = tmp_path / "out"
    result = vtsim("run", str(path), "--replications", "2", "--out", str(out), "--log-format",
                   "csv")
    assert result.returncode == 0, result.stderr
    assert "Members" in result.stdout and "operator time," in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    assert metrics["members.a.answer.p_wait"]["unit"] == "share"
    assert metrics["members.b.operators.busy_h"]["unit"] == "h"
    header = (out / "events" / "incidents.csv").read_text().splitlines()[0]
    assert header.startswith("member,replication,incident_id")
    staffing = (out / "events" / "staffing.csv").read_text().splitlines()
    assert sum(1 for line in staffing if ",operators," in line) == 2  # once, not per member
    again = vtsim("run", str(out / "region.resolved.yaml"), "--out", str(tmp_path / "again"),
                  "--log-format", "none")
    assert again.returncode == 0, again.stderr
    first = json.loads((out / "metrics.json").read_text())["metrics"]
    second = json.loads((tmp_path / "again" / "metrics.json").read_text())["metrics"]
    assert first == second
    check_result = vtsim("check", str(path))
    assert check_result.returncode == 0 and "2 members" in check_result.stdout


def test_vtsim_run_on_a_bad_region_exits_2_naming_the_member(tmp_path: Path) -> None:
    path = write_region(tmp_path, [{"name": "a", "scenario": str(LIER),
                                    "set": {"zones.0.share": -1}}])
    result = vtsim("run", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "zones.0.share: member a (members.0 of" in result.stdout


def test_vtsim_size_on_a_region_names_the_binding_member(tmp_path: Path) -> None:
    check = SCENARIOS / "checks" / "erlang-c.yaml"
    path = write_region(tmp_path, [{"name": "a", "scenario": str(check), "set": {"tenant": "a"}},
                                   {"name": "b", "scenario": str(check),
                                    "set": {"tenant": "b", "users.0.count": 2400}}],
                        shifts=[{"name": "all", "start": "00:00", "end": "24:00",
                                 "operators": 2}], horizon="4h", warmup="30min")
    result = vtsim("size", str(path), "--target", "answer 80% within 20s", "--workers", "1",
                   "--replications", "8", "--out", str(tmp_path / "sized"))
    assert result.returncode == 0, result.stderr
    assert "binding member" in result.stdout and "region-years simulated" in result.stdout
    document = json.loads((tmp_path / "sized" / "region-sizing.json").read_text())
    assert document["binding"]["all"]["member"] in {"a", "b"}
    assert set(document["members_alone_erlang_c"]) == {"a", "b"}
    again = vtsim("size", str(path), "--target", "answer 80% within 20s", "--out",
                  str(tmp_path / "sized"))
    assert again.returncode == 2 and "already exists" in again.stdout
    years = vtsim("size", str(path), "--target", "answer 80% within 20s", "--years", "2027")
    assert years.returncode == 2 and "as given" in years.stdout
    visit = vtsim("size", str(path), "--target", "visit 90% within 45min")
    assert visit.returncode == 2 and "answer targets only" in visit.stdout


def test_the_shipped_example_loads_and_pools_below_the_own_centres() -> None:
    from sim.analysis.region_sizing import erlang_start, members_alone
    from sim.analysis.targets import parse_target

    region = load_region(SCENARIOS / "region-drammen-2026.yaml")
    assert [m.name for m in region.members] == ["drammen", "lier", "holmestrand", "ovre_eiker",
                                                "sigdal"]
    assert sum(m.inhabitants or 0 for m in region.members) == 178_932
    target = [parse_target("answer 97.5% within 60s")]
    alone = members_alone(region, target)
    shared = erlang_start(region, target)
    for shift in shared:
        assert shared[shift] <= sum(own[shift] for own in alone.values())


def test_commands_for_one_municipality_refuse_a_region_file_clearly(tmp_path: Path) -> None:
    path = write_region(tmp_path, [{"name": "lier", "scenario": str(LIER)}])
    for args in (("compare", str(path), "--out", str(tmp_path / "c")),
                 ("sweep", str(path), "--set", "centre.shifts.day.operators=2..3")):
        result = vtsim(*args)
        assert result.returncode == 2, args
        assert "is a region file" in result.stdout, result.stdout


def test_a_region_replication_reports_its_simulated_days_without_changing_them(
        tmp_path: Path) -> None:
    region = load_region(write_region(tmp_path, [{"name": "lier", "scenario": str(LIER)}]))
    days: list[float] = []
    heard = run_region_replication(region, 5, 0, on_day=days.append).members["lier"]
    quiet = run_region_replication(region, 5, 0).members["lier"]
    assert days == [86400.0, 2 * 86400.0]  # a 3-day horizon: days 1 and 2 end inside it
    assert [r.t_answered for r in heard.incidents] == [r.t_answered for r in quiet.incidents]
    progress: list[tuple[int, float]] = []
    run_replications(region, 5, 1, workers=1, on_progress=lambda i, now: progress.append((i, now)))
    assert progress and progress[0] == (0, 86400.0)
