"""Running replications, in parallel processes when there are several.

Replication ``i`` always draws from the streams of ``(seed, i)``, so results do not depend on the
number of worker processes or the order in which replications finish.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

from sim.model.metrics import replication_metrics
from sim.model.records import RunLog
from sim.run.replication import run_replication
from sim.scenario.schema import Scenario


@dataclass(frozen=True, slots=True)
class ReplicationOutcome:
    """What one replication produced: its metrics, its records (if kept) and its wall time."""

    index: int
    metrics: dict[str, float]
    log: RunLog | None
    wall_s: float


def run_one(scenario: Scenario, seed: int, index: int, keep_records: bool) -> ReplicationOutcome:
    """Run and measure replication ``index``."""
    started = time.perf_counter()
    log = run_replication(scenario, seed, index)
    metrics = replication_metrics(scenario, log)
    return ReplicationOutcome(index, metrics, log if keep_records else None,
                              time.perf_counter() - started)


def default_workers(replications: int) -> int:
    """One process per core, never more than there are replications."""
    return max(1, min(replications, os.cpu_count() or 1))


def run_replications(
    scenario: Scenario,
    seed: int,
    replications: int,
    workers: int | None = None,
    keep_records: bool = True,
    on_done: Callable[[ReplicationOutcome], None] | None = None,
) -> list[ReplicationOutcome]:
    """Run ``replications`` replications; outcomes are returned in replication order."""
    workers = workers or default_workers(replications)
    outcomes: list[ReplicationOutcome] = []
    if workers == 1:
        for index in range(replications):
            outcome = run_one(scenario, seed, index, keep_records)
            outcomes.append(outcome)
            if on_done:
                on_done(outcome)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(run_one, scenario, seed, i, keep_records)
                       for i in range(replications)]
            for future in as_completed(futures):
                outcome = future.result()
                outcomes.append(outcome)
                if on_done:
                    on_done(outcome)
    return sorted(outcomes, key=lambda o: o.index)
