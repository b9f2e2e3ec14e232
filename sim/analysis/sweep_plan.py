"""A sweep as planned: which scenario, which points, which seed and how many replications.

Every point is the scenario file with the common overrides and then the point's own settings
applied. :func:`execute` runs what is missing on a backend and saves each replication as it
finishes (if given a :class:`~sim.analysis.sweep_store.SweepStore`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.analysis.sweep import Finished, Point, pending_tasks, run_sweep
from sim.analysis.sweep_store import SweepStore
from sim.errors import Problem, ScenarioError
from sim.run.backends import Backend
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class SweepPlan:
    """What to run: ``replications`` replications of every point, with seed ``seed``."""

    scenario_file: Path
    points: tuple[Point, ...]
    seed: int
    replications: int
    base: dict[str, Any] = field(default_factory=dict)

    @property
    def tasks(self) -> int:
        """Replications in the whole sweep."""
        return len(self.points) * self.replications

    def manifest(self) -> dict[str, Any]:
        """What identifies the sweep in its results folder (``sweep.json``)."""
        return {
            "scenario_file": str(self.scenario_file),
            "scenario_sha256": hashlib.sha256(self.scenario_file.read_bytes()).hexdigest(),
            "seed": self.seed,
            "replications": self.replications,
            "overrides": self.base,
            "points": [dict(p.settings) for p in self.points],
        }


def load_points(plan: SweepPlan) -> list[Scenario]:
    """The scenario of every point; a bad point's problems name the point."""
    scenarios = []
    for point in plan.points:
        try:
            scenarios.append(load_scenario(plan.scenario_file,
                                           {**plan.base, **point.overrides()}))
        except ScenarioError as exc:
            raise ScenarioError([Problem(p.file, p.path, f"{p.message} [point {point.label}]",
                                         p.value) for p in exc.problems]) from None
    return scenarios


def execute(
    plan: SweepPlan,
    scenarios: Sequence[Scenario],
    backend: Backend,
    store: SweepStore | None = None,
    resume: bool = False,
    on_done: Callable[[Finished], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[Finished]:
    """Run the missing replications; every finished one (earlier and new), in point order."""
    earlier = store.start(plan.manifest(), resume) if store else []
    tasks = pending_tasks(len(plan.points), plan.replications,
                          ((f.point, f.replication) for f in earlier))

    def keep(result: Finished) -> None:
        if store:
            store.append(result)
        if on_done:
            on_done(result)

    new = run_sweep(scenarios, plan.seed, tasks, backend.executor, 2 * backend.slots,
                    keep, should_stop)
    return sorted([*earlier, *new], key=lambda f: (f.point, f.replication))
