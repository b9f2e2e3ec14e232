"""Wall time of one replication of a shipped scenario, and its peak memory.

    python benchmarks/scenario_wall.py scenarios/lier-2026.yaml --horizon 365d
    python benchmarks/scenario_wall.py scenarios/region-50k.yaml

Runs one replication in this process (one core), without keeping the event log, and prints the
wall time, incidents, microseconds per incident and the peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from sim.loading import load_scenario
from sim.runner import run_one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--horizon", help="override the scenario's horizon, e.g. 365d")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    overrides = {"horizon": args.horizon} if args.horizon else {}
    scenario = load_scenario(args.scenario, overrides)
    started = time.perf_counter()
    outcome = run_one(scenario, args.seed, 0, keep_records=False)
    wall = time.perf_counter() - started
    incidents = outcome.metrics["incidents.count"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    days = scenario.horizon / 86400
    print(f"{args.scenario} — {days:g} simulated days, one replication, one core")
    print(f"wall time         {wall:10.1f} s")
    print(f"incidents         {incidents:10,.0f}")
    print(f"per incident      {wall / incidents * 1e6:10.1f} us")
    print(f"peak memory (RSS) {peak_mb:10,.0f} MB")


if __name__ == "__main__":
    main()
