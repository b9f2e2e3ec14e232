"""Every scenario shipped in scenarios/ loads, and runs on a short horizon."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.run.runner import run_one
from sim.scenario.loading import load_scenario
from sim.scenario.region import is_region_file, load_region
from tests.conftest import SCENARIOS

SHIPPED = sorted(SCENARIOS.rglob("*.yaml"))


def test_scenarios_are_shipped() -> None:
    names = {p.relative_to(SCENARIOS).as_posix() for p in SHIPPED}
    assert {"lier-2026.yaml", "region-50k.yaml", "checks/erlang-c.yaml"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(SCENARIOS).as_posix())
def test_shipped_scenario_runs(path: Path) -> None:
    if is_region_file(path):
        region = load_region(path, {"horizon": "2d", "warmup": "2h"})
        outcome = run_one(region, region.seed, 0, keep_records=True)
        assert outcome.region_log is not None
        for member in region.members:
            assert outcome.metrics[f"members.{member.name}.incidents.count"] > 0
        return
    scenario = load_scenario(path)
    short = load_scenario(path, {"horizon": "2d", "warmup": "2h"})
    assert short.horizon == 2 * 86400
    outcome = run_one(short, scenario.seed, 0, keep_records=True)
    assert outcome.metrics["incidents.count"] > 0
    assert outcome.log is not None and outcome.log.incidents
    closed = [r for r in outcome.log.incidents if r.state == "closed"]
    assert closed, "no incident was handled"
