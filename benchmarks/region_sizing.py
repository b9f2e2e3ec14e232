"""Sizing a shared centre for about 200,000 inhabitants: wall time and simulated alarm-years.

    python benchmarks/region_sizing.py                       # 7-day replications, 2 workers
    python benchmarks/region_sizing.py --horizon 28d --workers 2

Sizes the shipped five-municipality example (scenarios/region-drammen-2026.yaml, ~179,000
inhabitants) with every member's user groups scaled by ``--scale`` (1.12 by default: ~200,000
inhabitants) for "answer 97.5% within 60s" on every member and shift, as `vtsim size` does, and
prints the staffing found, the member that binds each shift, the wall time, the staffings and
replications simulated, and the alarm-years they amount to (incidents simulated / incidents a
year of the region). The goal: under 10 minutes on two cores (docs/performance.md).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.analysis.region_sizing import RegionSizer, erlang_start
from sim.analysis.targets import parse_target
from sim.run.backends import local_backend
from sim.scenario.loading import read_yaml
from sim.scenario.region import load_region

REGION = Path(__file__).resolve().parent.parent / "scenarios" / "region-drammen-2026.yaml"
LIER_GROUPS = {"alarm_only": 185, "home_care_lock": 100, "home_care_kit": 60,
               "dispenser_only": 20, "dementia_home": 25, "care_housing_night": 30}
"""Lier's user groups (scenarios/lier-2026.yaml), the member without overrides."""


def scaled_overrides(scale: float, horizon: str) -> dict[str, object]:
    """Every member's user counts x ``scale`` (as --set members.<name>.users.<group>.count)."""
    data = read_yaml(REGION)
    overrides: dict[str, object] = {"horizon": horizon}
    for member in data["members"]:
        given = member.get("set", {})
        for group, lier_count in LIER_GROUPS.items():
            count = given.get(f"users.{group}.count", lier_count)
            overrides[f"members.{member['name']}.users.{group}.count"] = round(count * scale)
    return overrides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.12)
    parser.add_argument("--horizon", default="7d")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    region = load_region(REGION, scaled_overrides(args.scale, args.horizon))
    inhabitants = sum(m.inhabitants or 0 for m in region.members) * args.scale
    target = [parse_target("answer 97.5% within 60s")]
    print(f"{region.name} x {args.scale:g}: ~{inhabitants:,.0f} inhabitants, "
          f"{len(region.members)} members; {args.horizon} replications on {args.workers} "
          f"workers; Erlang C start {erlang_start(region, target)}")
    started = time.perf_counter()
    with local_backend(args.workers) as backend:
        sizer = RegionSizer(region, target, args.seed, backend.executor, backend.slots,
                            on_progress=lambda text: print(f"  {text}", flush=True))
        result = sizer.search()
    wall = time.perf_counter() - started
    stats = result.stats
    per_day = stats.alarms / max(stats.simulated_days, 1e-9)
    alarm_years = stats.simulated_days / 365.0
    print(f"staffing {result.staffing}; binding: "
          + ", ".join(f"{s} {result.binding_member(s)}" for s in result.staffing))
    print(f"wall {wall:.0f} s, replications' processor time {stats.cpu_s:.0f} s "
          f"(/ {args.workers} workers = {stats.cpu_s / args.workers:.0f} s)")
    print(f"{stats.staffings} staffings, {stats.replications} replications, "
          f"{stats.alarms:,.0f} incidents (~{per_day:,.0f} a day) = {alarm_years:.1f} "
          "region-years of alarms simulated")


if __name__ == "__main__":
    main()
