"""Wall time of one replication of a shipped scenario, and its peak memory.

    python benchmarks/scenario_wall.py scenarios/lier-2026.yaml --horizon 365d
    python benchmarks/scenario_wall.py scenarios/region-50k.yaml

Runs one replication in this process (one core), without keeping the event log, and prints the
wall time, incidents, microseconds per incident and the peak resident memory.

Wall times differ between machines and with the load on them, so the script also times a
reference in the same process, before and after the replication: the minimal SimPy M/M/c model
of ``mmc_speed.py`` (a Resource and a process per customer) over ``--reference-days`` simulated
days, best of three. It prints vtsim's time per incident as a multiple of the reference's time
per customer, a figure that carries over from one machine to another far better than seconds.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

from mmc_speed import minimal_simpy

from sim.run.runner import run_one
from sim.scenario.loading import load_scenario

DAY = 86400.0


def reference_us_per_customer(days: float, repeat: int = 3) -> float:
    """Microseconds per customer of the minimal SimPy model, best of ``repeat`` runs."""
    best = float("inf")
    for i in range(repeat):
        started = time.perf_counter()
        served = minimal_simpy(days * DAY, seed=i)
        best = min(best, (time.perf_counter() - started) / served * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--horizon", help="override the scenario's horizon, e.g. 365d")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reference-days", type=float, default=10.0,
                        help="simulated days of the minimal SimPy reference (0: none)")
    args = parser.parse_args()
    overrides = {"horizon": args.horizon} if args.horizon else {}
    scenario = load_scenario(args.scenario, overrides)
    before = reference_us_per_customer(args.reference_days) if args.reference_days else None
    started = time.perf_counter()
    outcome = run_one(scenario, args.seed, 0, keep_records=False)
    wall = time.perf_counter() - started
    after = reference_us_per_customer(args.reference_days) if args.reference_days else None
    incidents = outcome.metrics["incidents.count"]
    per_incident = wall / incidents * 1e6
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    days = scenario.horizon / DAY
    print(f"{args.scenario} — {days:g} simulated days, one replication, one core")
    print(f"wall time         {wall:10.1f} s")
    print(f"incidents         {incidents:10,.0f}")
    print(f"per incident      {per_incident:10.1f} us")
    print(f"peak memory (RSS) {peak_mb:10,.0f} MB")
    if before is not None and after is not None:
        reference = min(before, after)
        print(f"reference         {reference:10.1f} us per customer (minimal SimPy M/M/c; "
              f"{before:.1f} before, {after:.1f} after)")
        print(f"per incident / reference customer {per_incident / reference:6.2f}x")
    print(f"load average      {os.getloadavg()[0]:10.2f}")


if __name__ == "__main__":
    main()
