"""Parameter sweeps: a grid of scenario variants, with replications of every variant (point).

Replication ``r`` of every point draws from the streams of ``(seed, r)``: the points see common
random numbers, so the differences between them are the effect of the settings, not of chance.
Each replication is one task, and its result depends only on its point, the seed and ``r``;
neither the backend, the number of workers nor the order in which tasks finish changes a number.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from typing import Any

import yaml

from sim.analysis.attainment import attainment_metrics
from sim.errors import VtsimError
from sim.model.metrics import replication_metrics
from sim.run.replication import run_replication
from sim.scenario.schema import Scenario

_RANGE = re.compile(r"^(-?\d+)\.\.(-?\d+)(?:\.\.(\d+))?$")
MOST_POINTS = 100_000
"""A grid larger than this is almost certainly a typo in a range."""


class SweepError(VtsimError):
    """A sweep that cannot be run as asked (bad axis, mismatching results folder, …)."""


class SweepInterrupted(VtsimError):
    """The sweep stopped before every replication was done; the finished ones are kept."""

    def __init__(self, finished: int, total: int) -> None:
        self.finished = finished
        self.total = total
        super().__init__(f"sweep stopped with {finished} of {total} replications done")


@dataclass(frozen=True, slots=True)
class Axis:
    """One swept field: its dotted path and the values it takes."""

    path: str
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Point:
    """One variant of the scenario: the value of every swept field."""

    index: int
    settings: tuple[tuple[str, Any], ...]

    @property
    def label(self) -> str:
        """``path=value, path=value``."""
        return ", ".join(f"{path}={value}" for path, value in self.settings)

    def overrides(self) -> dict[str, Any]:
        """The settings as scenario overrides."""
        return dict(self.settings)


@dataclass(frozen=True, slots=True)
class Finished:
    """What one replication of one point measured."""

    point: int
    replication: int
    metrics: dict[str, float]
    wall_s: float


def parse_axis(item: str) -> Axis:
    """``PATH=VALUES`` with VALUES a range ``1..4`` (``1..9..2`` with a step), a list
    ``800,1200,1600`` or one value; a value in ``[…]`` or ``{…}`` is one YAML value."""
    path, sep, text = item.partition("=")
    if not sep or not path.strip():
        raise SweepError(f"expected PATH=VALUES in --set, got {item!r}")
    try:
        return Axis(path.strip(), parse_values(text))
    except SweepError as exc:
        raise SweepError(f"{path.strip()}: {exc}") from None


def parse_values(text: str) -> tuple[Any, ...]:
    """The values of one axis (see :func:`parse_axis`)."""
    text = text.strip()
    if text.startswith(("[", "{")):
        return (yaml.safe_load(text),)
    match = _RANGE.match(text)
    if match:
        return integer_range(int(match[1]), int(match[2]), int(match[3] or 1))
    parts = [part.strip() for part in text.split(",")]
    if not all(parts):
        raise SweepError(f"empty value in {text!r}; write a list as 800,1200,1600")
    return tuple(yaml.safe_load(part) for part in parts)


def integer_range(first: int, last: int, step: int) -> tuple[int, ...]:
    """``first..last`` inclusive."""
    if last < first or step < 1:
        raise SweepError(f"the range {first}..{last} must count upwards in steps of 1 or more")
    return tuple(range(first, last + 1, step))


def grid(axes: Sequence[Axis]) -> list[Point]:
    """Every combination of the axes' values (the first axis varies slowest)."""
    paths = [axis.path for axis in axes]
    if len(set(paths)) != len(paths):
        raise SweepError("each field may be swept once; combine its values in one --set")
    size = 1
    for axis in axes:
        size *= len(axis.values)
    if size > MOST_POINTS:
        raise SweepError(f"the grid has {size} points, more than {MOST_POINTS}")
    combos = itertools.product(*(axis.values for axis in axes))
    return [Point(i, tuple(zip(paths, combo, strict=True))) for i, combo in enumerate(combos)]


def measure(scenario: Scenario, seed: int, point: int, replication: int) -> Finished:
    """Run replication ``replication`` of one point and measure it (runs on a worker)."""
    started = time.perf_counter()
    log = run_replication(scenario, seed, replication)
    metrics = replication_metrics(scenario, log)
    metrics.update(attainment_metrics(scenario, log))
    return Finished(point, replication, metrics, time.perf_counter() - started)


def pending_tasks(points: int, replications: int,
                  done: Iterable[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """``(point, replication)`` pairs still to run, point by point."""
    skip = set(done)
    return [(p, r) for p in range(points) for r in range(replications) if (p, r) not in skip]


def run_sweep(
    scenarios: Sequence[Scenario],
    seed: int,
    tasks: Sequence[tuple[int, int]],
    executor: Executor,
    in_flight: int,
    on_done: Callable[[Finished], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[Finished]:
    """Run ``tasks`` on ``executor`` with at most ``in_flight`` submitted at a time.

    ``on_done`` sees every result as it arrives (to save it at once). When ``should_stop``
    says so, or on Ctrl-C, the tasks not yet started are cancelled and
    :class:`SweepInterrupted` is raised; results already passed to ``on_done`` stay valid.
    """
    queue = iter(tasks)
    pending: dict[Future[Finished], tuple[int, int]] = {}
    finished: list[Finished] = []
    try:
        submit_more(executor, scenarios, seed, queue, pending, max(1, in_flight))
        while pending:
            for result in collect_done(pending):
                finished.append(result)
                if on_done:
                    on_done(result)
                if should_stop and should_stop():
                    raise SweepInterrupted(len(finished), len(tasks))
            submit_more(executor, scenarios, seed, queue, pending, max(1, in_flight))
    except KeyboardInterrupt:
        raise SweepInterrupted(len(finished), len(tasks)) from None
    finally:
        for future in pending:
            future.cancel()
    return sorted(finished, key=lambda f: (f.point, f.replication))


def submit_more(executor: Executor, scenarios: Sequence[Scenario], seed: int,
                queue: Iterator[tuple[int, int]], pending: dict[Future[Finished], tuple[int, int]],
                in_flight: int) -> None:
    """Keep ``in_flight`` tasks submitted while any are left."""
    while len(pending) < in_flight:
        task = next(queue, None)
        if task is None:
            return
        point, replication = task
        pending[executor.submit(measure, scenarios[point], seed, point, replication)] = task


def collect_done(pending: dict[Future[Finished], tuple[int, int]]) -> list[Finished]:
    """Wait for at least one task; the finished ones, removed from ``pending``."""
    done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
    results = []
    for future in done:
        del pending[future]
        results.append(future.result())
    return sorted(results, key=lambda f: (f.point, f.replication))
