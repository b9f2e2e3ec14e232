"""Sweep throughput: replications per second with 1 and 2 workers, and the scaling ratio.

    python benchmarks/sweep_throughput.py                         # local processes
    python benchmarks/sweep_throughput.py --dask local            # a Dask LocalCluster
    python benchmarks/sweep_throughput.py --horizon 7d --replications 8

Sweeps the shipped Lier scenario over night-shift operators 2..3 and safety-alarm users
400,800 (4 points) with the same seed on each backend, checks that every backend gives the same
numbers, and prints the wall time, replications per second and the scaling ratio. Backend start-up
(process pool, Dask cluster) is included: it is what a user waits for.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from sim.analysis.sweep import Finished, grid, parse_axis
from sim.analysis.sweep_plan import SweepPlan, execute, load_points
from sim.run.backends import Backend, dask_backend, local_backend

LIER = Path(__file__).resolve().parent.parent / "scenarios" / "lier-2026.yaml"


def backend_for(dask: str | None, workers: int) -> AbstractContextManager[Backend]:
    """Local processes, or Dask."""
    return dask_backend(dask, workers) if dask else local_backend(workers)


def timed_sweep(plan: SweepPlan, dask: str | None, workers: int) -> tuple[float, list[Finished]]:
    """Wall time of the whole sweep on ``workers`` workers, and its results."""
    scenarios = load_points(plan)
    started = time.perf_counter()
    with backend_for(dask, workers) as backend:
        results = execute(plan, scenarios, backend)
    return time.perf_counter() - started, results


def fingerprint(results: list[Finished]) -> str:
    """Every number of the sweep, for the equality check."""
    return json.dumps([(f.point, f.replication, sorted(f.metrics.items())) for f in results])


def rows(args: argparse.Namespace) -> Iterator[tuple[int, float, float]]:
    """``(workers, wall, replications per second)`` for 1 and 2 workers."""
    axes = [parse_axis("centre.shifts.night.operators=2..3"),
            parse_axis("fleet.safety_alarm.users=400,800")]
    plan = SweepPlan(LIER, tuple(grid(axes)), 7, args.replications, {"horizon": args.horizon})
    reference = None
    for workers in (1, 2):
        wall, results = timed_sweep(plan, args.dask, workers)
        text = fingerprint(results)
        if reference is not None and text != reference:
            raise SystemExit("different numbers with 2 workers than with 1")
        reference = text
        yield workers, wall, plan.tasks / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", default="7d", help="simulated time per replication")
    parser.add_argument("--replications", type=int, default=6, help="replications per point")
    parser.add_argument("--dask", help="Dask scheduler address or 'local' (default: processes)")
    args = parser.parse_args()
    backend = f"Dask {args.dask}" if args.dask else "local processes"
    print(f"Lier 2026, 4 points x {args.replications} replications of {args.horizon}, {backend}")
    measured = list(rows(args))
    for workers, wall, rate in measured:
        print(f"{workers} worker(s): {wall:6.1f} s  {rate:6.2f} replications/s")
    print(f"scaling 1 -> 2 workers: x{measured[1][2] / measured[0][2]:.2f} (same numbers: yes)")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
