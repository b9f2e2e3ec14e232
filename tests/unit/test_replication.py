"""A replication leaves the garbage collector as it found it."""

from __future__ import annotations

import gc

import pytest

from sim.engine import RUN_GC_THRESHOLD, Engine
from sim.run.replication import run_replication
from sim.scenario.loading import load_scenario
from tests.conftest import SCENARIOS


def test_the_collector_is_quieter_during_a_run_and_restored_after(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[tuple[int, int, int], int]] = []
    run_until = Engine.run_until

    def noting_run_until(env: Engine, until: float) -> None:
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        run_until(env, until)

    monkeypatch.setattr(Engine, "run_until", noting_run_until)
    scenario = load_scenario(SCENARIOS / "lier-2026.yaml", {"horizon": "1d", "warmup": "1h"})
    before = gc.get_threshold()
    log = run_replication(scenario, seed=1, replication=0)
    assert len(log.incidents) > 0
    (during, frozen), = seen
    assert during == (RUN_GC_THRESHOLD, *before[1:])
    assert frozen > 0  # the fleet and models built before the run are out of the collector's way
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
