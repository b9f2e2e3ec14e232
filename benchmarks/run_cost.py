"""Measure the constants of :mod:`sim.analysis.run_cost`: bytes and seconds per simulated message.

Run by hand on an otherwise quiet machine:

    python benchmarks/run_cost.py [scenarios/lier-2026.yaml] [--days 60,240]

Each measurement is ``vtsim run`` in a fresh process (one replication, one process) with a short
and a long horizon, with ``--log-format none`` and ``parquet``; the difference between the two
horizons, divided by the difference in expected messages, is the cost of one message
(start-up cost cancels out). It prints peak memory (ru_maxrss) and wall time of each run and the
constants per message. Time is CPU time (user and system) of the process: on a loaded machine
the wall time grows with the load and the CPU time hardly, so CPU time is close to the wall
time of one process on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from sim.analysis.run_cost import events_per_day
from sim.scenario.loading import load_scenario

MEASURE = """
import json, resource, sys, time
from vtsim.cli.main import app
started = time.perf_counter()
try:
    app(sys.argv[1:], standalone_mode=False)
finally:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"wall_s": time.perf_counter() - started,
                      "cpu_s": usage.ru_utime + usage.ru_stime,
                      "max_rss_bytes": usage.ru_maxrss * 1024}), file=sys.stderr)
"""


def measure(scenario: Path, days: int, log_format: str, out: Path) -> dict[str, float]:
    """Peak memory and wall time of one replication of ``days`` days."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, "run", str(scenario), "--replications", "1",
         "--workers", "1", "--set", f"horizon={days}d", "--log-format", log_format,
         "--out", str(out), "--force"],
        capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(done.stderr.strip().splitlines()[-1])
    return figures


def main() -> None:
    """Measure and print the constants."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="scenarios/lier-2026.yaml", type=Path)
    parser.add_argument("--days", default="60,360")
    args = parser.parse_args()
    short, long = (int(d) for d in args.days.split(","))
    per_day = events_per_day(load_scenario(args.scenario))
    extra = (long - short) * per_day
    print(f"{args.scenario}: {per_day:,.1f} simulated messages a day")
    slopes: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for log_format in ("none", "parquet"):
            a = measure(args.scenario, short, log_format, Path(folder) / "a")
            b = measure(args.scenario, long, log_format, Path(folder) / "b")
            for days, m in ((short, a), (long, b)):
                print(f"  {log_format:8} {days:5} days: {m['max_rss_bytes'] / 1e6:8.1f} MB, "
                      f"{m['wall_s']:6.2f} s wall, {m['cpu_s']:6.2f} s CPU")
            slopes[log_format] = ((b["max_rss_bytes"] - a["max_rss_bytes"]) / extra,
                                  (b["cpu_s"] - a["cpu_s"]) / extra)
    (bytes_none, wall_none), (bytes_kept, wall_kept) = slopes["none"], slopes["parquet"]
    print(f"BYTES_PER_EVENT ~ {bytes_none:.0f}")
    print(f"KEPT_BYTES_PER_EVENT ~ {bytes_kept - bytes_none:.0f}")
    print(f"SECONDS_PER_EVENT ~ {wall_none * 1e6:.0f} µs")
    print(f"WRITE_SECONDS_PER_EVENT ~ {(wall_kept - wall_none) * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
