"""Sweeps: grid parsing, the same numbers on every backend, and resuming an interrupted sweep."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from sim.analysis.sweep import Axis, Finished, SweepError, SweepInterrupted, grid, parse_axis
from sim.analysis.sweep_plan import SweepPlan, execute, load_points
from sim.analysis.sweep_store import SweepStore
from sim.run.backends import dask_backend, local_backend
from tests.conftest import SCENARIOS

LIER = SCENARIOS / "lier-2026.yaml"
SHORT = {"horizon": "3d", "warmup": "2h"}


def small_plan(replications: int = 3) -> SweepPlan:
    axes = [parse_axis("centre.shifts.day.operators=1..2"),
            parse_axis("fleet.safety_alarm.users=400,800")]
    return SweepPlan(LIER, tuple(grid(axes)), seed=11, replications=replications, base=SHORT)


def as_text(results: list[Finished]) -> str:
    """Every number of every replication, exactly (NaN written as NaN)."""
    return json.dumps([(f.point, f.replication, sorted(f.metrics.items())) for f in results])


def test_ranges_lists_and_single_values_are_read() -> None:
    assert parse_axis("centre.shifts.night.operators=1..4").values == (1, 2, 3, 4)
    assert parse_axis("x=2..10..4").values == (2, 6, 10)
    assert parse_axis("fleet.safety_alarm.users=800, 1200,1600").values == (800, 1200, 1600)
    assert parse_axis("horizon=2d").values == ("2d",)
    assert parse_axis("targets.answer_within=[20s, 60s]").values == (["20s", "60s"],)
    for bad in ("nothing", "=3", "x=4..1", "x=1,,2"):
        with pytest.raises(SweepError):
            parse_axis(bad)


def test_grid_is_the_cartesian_product_first_axis_slowest() -> None:
    points = grid([Axis("a", (1, 2)), Axis("b", ("x", "y", "z"))])
    assert [p.overrides() for p in points][:4] == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 1, "b": "z"}, {"a": 2, "b": "x"}]
    assert len(points) == 6 and points[4].label == "a=2, b=y"
    with pytest.raises(SweepError, match="once"):
        grid([Axis("a", (1,)), Axis("a", (2,))])


def test_points_apply_named_shifts_and_the_fleet_shorthand() -> None:
    scenarios = load_points(small_plan())
    day = [s.centre.shifts[0].operators for s in scenarios]
    alarms = [sum(u.count for u in s.users if "safety_alarm" in u.devices) for s in scenarios]
    assert day == [1, 1, 2, 2] and alarms == [400, 800, 400, 800]


def test_common_random_numbers_across_points() -> None:
    plan = small_plan(replications=1)
    scenarios = load_points(plan)
    with local_backend(1) as backend:
        results = execute(plan, scenarios, backend)
    # Points 0 and 2 differ only in day-shift staffing: the same alarms arrive.
    assert results[0].metrics["incidents.count"] == results[2].metrics["incidents.count"]
    assert results[0].metrics["answer.mean_s"] > results[2].metrics["answer.mean_s"]


def test_same_numbers_on_local_processes_and_dask(tmp_path: Path) -> None:
    plan = small_plan()
    scenarios = load_points(plan)
    with local_backend(1) as backend:
        inline = execute(plan, scenarios, backend)
    with local_backend(2) as backend:
        processes = execute(plan, scenarios, backend, SweepStore(tmp_path / "local"))
    with dask_backend("local", workers=2, processes=False) as backend:
        dask = execute(plan, scenarios, backend, SweepStore(tmp_path / "dask"))
    assert len(inline) == plan.tasks == 12
    assert as_text(processes) == as_text(inline)
    assert as_text(dask) == as_text(inline)
    saved = SweepStore(tmp_path / "dask").read_finished()
    assert as_text(saved) == as_text(inline)


def test_interrupted_sweep_resumes_without_recomputing(tmp_path: Path) -> None:
    plan = small_plan()
    scenarios = load_points(plan)
    with local_backend(1) as backend:
        whole = execute(plan, scenarios, backend, SweepStore(tmp_path / "whole"))
        seen: list[Finished] = []
        with pytest.raises(SweepInterrupted) as stopped:
            execute(plan, scenarios, backend, SweepStore(tmp_path / "cut"),
                    on_done=seen.append, should_stop=lambda: len(seen) >= 5)
        assert stopped.value.finished == 5
        store = SweepStore(tmp_path / "cut")
        assert len(store.read_finished()) == 5
        with pytest.raises(SweepError, match="--resume"):
            execute(plan, scenarios, backend, store)
        redone: list[Finished] = []
        resumed = execute(plan, scenarios, backend, store, resume=True, on_done=redone.append)
    assert len(redone) == plan.tasks - 5
    assert as_text(resumed) == as_text(whole)


def test_resume_drops_a_cut_short_line_and_refuses_another_sweep(tmp_path: Path) -> None:
    plan = small_plan(replications=1)
    scenarios = load_points(plan)
    store = SweepStore(tmp_path)
    with local_backend(1) as backend:
        whole = execute(plan, scenarios, backend, store)
        lines = store.results_path.read_text().splitlines(keepends=True)
        store.results_path.write_text("".join(lines[:2]) + lines[2][:40])
        assert len(store.read_finished()) == 2
        resumed = execute(plan, scenarios, backend, store, resume=True)
        assert as_text(resumed) == as_text(whole)
        other = SweepPlan(LIER, plan.points, seed=12, replications=1, base=SHORT)
        with pytest.raises(SweepError, match="seed"):
            execute(other, scenarios, backend, store, resume=True)


def test_attainment_is_measured_per_shift_and_zone() -> None:
    plan = small_plan(replications=1)
    with local_backend(1) as backend:
        result = execute(plan, load_points(plan), backend)[0]
    shares = [result.metrics[f"attainment.answer.within_1min.{s}"]
              for s in ("day", "evening", "night")]
    assert all(0.0 <= v <= 1.0 for v in shares)
    overall = result.metrics["answer.within_1min"]
    assert min(shares) <= overall <= max(shares)
    zone = result.metrics["attainment.visits.within_45min.lierbyen"]
    assert math.isnan(zone) or 0.0 <= zone <= 1.0
