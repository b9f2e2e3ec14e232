"""Running replications, in parallel processes when there are several.

Replication ``i`` always draws from the streams of ``(seed, i)``, so results do not depend on the
number of worker processes or the order in which replications finish.
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import Manager

from sim.model.member_metrics import region_metrics
from sim.model.metrics import replication_metrics
from sim.model.records import RunLog
from sim.run.progress import DayReporter, DirectSink, ProgressCallback, ProgressSink
from sim.run.region import RegionLog, run_region_replication
from sim.run.replication import run_replication
from sim.scenario.region import Region
from sim.scenario.schema import Scenario


@dataclass(frozen=True, slots=True)
class ReplicationOutcome:
    """What one replication produced: its metrics, its records (if kept) and its wall time."""

    index: int
    metrics: dict[str, float]
    log: RunLog | None
    wall_s: float
    region_log: RegionLog | None = None
    """A region's records (one log per member), when a region was run."""


POLL_S = 0.2
"""Wall seconds between looks at the progress reports of worker processes."""


def run_one(scenario: Scenario | Region, seed: int, index: int, keep_records: bool,
            progress: ProgressSink | None = None) -> ReplicationOutcome:
    """Run and measure replication ``index`` of a scenario or a region; report its simulated
    days to ``progress``."""
    started = time.perf_counter()
    on_day = DayReporter(index, progress) if progress is not None else None
    if isinstance(scenario, Region):
        region_log = run_region_replication(scenario, seed, index, on_day=on_day)
        metrics = region_metrics(scenario, region_log.members)
        return ReplicationOutcome(index, metrics, None, time.perf_counter() - started,
                                  region_log if keep_records else None)
    log = run_replication(scenario, seed, index, on_day=on_day)
    metrics = replication_metrics(scenario, log)
    return ReplicationOutcome(index, metrics, log if keep_records else None,
                              time.perf_counter() - started)


def default_workers(replications: int) -> int:
    """One process per core, never more than there are replications."""
    return max(1, min(replications, os.cpu_count() or 1))


def run_replications(
    scenario: Scenario | Region,
    seed: int,
    replications: int,
    workers: int | None = None,
    keep_records: bool = True,
    on_done: Callable[[ReplicationOutcome], None] | None = None,
    on_progress: ProgressCallback | None = None,
) -> list[ReplicationOutcome]:
    """Run ``replications`` replications; outcomes are returned in replication order.

    ``on_progress(index, simulated_seconds)``, when given, hears how far each running
    replication has got, about once a simulated day and at most a few times a wall second."""
    workers = workers or default_workers(replications)
    outcomes: list[ReplicationOutcome] = []
    if workers == 1:
        sink = DirectSink(on_progress) if on_progress else None
        for index in range(replications):
            outcome = run_one(scenario, seed, index, keep_records, sink)
            outcomes.append(outcome)
            if on_done:
                on_done(outcome)
        return outcomes
    with progress_queue(on_progress is not None) as reports, \
            ProcessPoolExecutor(max_workers=workers) as pool:
        pending: set[Future[ReplicationOutcome]] = {
            pool.submit(run_one, scenario, seed, i, keep_records, reports)
            for i in range(replications)}
        while pending:
            done, pending = wait(pending, timeout=POLL_S if reports else None,
                                 return_when=FIRST_COMPLETED)
            if reports is not None and on_progress is not None:
                pass_on(reports, on_progress)
            for future in done:
                outcome = future.result()
                outcomes.append(outcome)
                if on_done:
                    on_done(outcome)
    return sorted(outcomes, key=lambda o: o.index)


@contextmanager
def progress_queue(wanted: bool) -> Iterator[queue.Queue[tuple[int, float]] | None]:
    """A queue that worker processes can put progress reports on (a manager's queue), or
    ``None`` when nobody listens."""
    if not wanted:
        yield None
        return
    with Manager() as manager:
        yield manager.Queue()


def pass_on(reports: queue.Queue[tuple[int, float]], on_progress: ProgressCallback) -> None:
    """Hand every waiting report to ``on_progress``."""
    while True:
        try:
            index, now = reports.get_nowait()
        except queue.Empty:
            return
        on_progress(index, now)
