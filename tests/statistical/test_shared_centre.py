"""A shared centre against queueing theory: identical members with Poisson arrivals pool into
one M/M/c queue.

Two members, each the M/M/c check scenario (10 Erlang of Poisson alarms with exponential
handling), share one centre: the pooled load is 20 Erlang. The test computes Erlang C itself
and checks that the 99 % confidence intervals of the shared centre's simulated P(wait) and
service level at 20 s (across replications) contain the exact values for the pooled load, for
the region and for each member (they wait in the same queue); that 24 operators reject the
25-operator value; and that sharing never needs more operators than the members' own centres
together: with the 28 operators of two own centres of 14, each member's interval for P(wait)
lies wholly below its own centre's (Erlang C: 0.063 against 0.174).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from sim.analysis.aggregate import aggregate
from sim.run.runner import run_replications
from sim.scenario.loading import load_scenario
from sim.scenario.region import load_region
from tests.conftest import SCENARIOS

CHECK = SCENARIOS / "checks" / "erlang-c.yaml"
MEMBER_LOAD = 10.0
HANDLING_S = 180.0
REPLICATIONS = 20


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load ``load`` Erlang."""
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    bottom = sum(load**k / math.factorial(k) for k in range(servers)) + top
    return top / bottom


def service_level(servers: int, load: float, mean_service: float, within: float) -> float:
    """P(wait <= within) in an M/M/c queue."""
    return 1.0 - erlang_c(servers, load) * math.exp(-(servers - load) / mean_service * within)


def fewest(load: float, share: float) -> int:
    """The fewest operators with P(wait <= 20 s) >= share (Erlang C)."""
    servers = math.floor(load) + 1
    while service_level(servers, load, HANDLING_S, 20.0) < share:
        servers += 1
    return servers


def region_file(folder: Path, operators: int) -> Path:
    members = [{"name": name, "scenario": str(CHECK), "set": {"tenant": name}}
               for name in ("east", "west")]
    region = {"name": "two identical members", "horizon": "1d", "warmup": "1h",
              "replications": REPLICATIONS, "seed": 2026, "members": members,
              "centre": {"shifts": [{"name": "all_day", "start": "00:00", "end": "24:00",
                                     "operators": operators}]},
              "targets": {"answer_within": ["20s", "60s"]}}
    path = folder / f"region-{operators}.yaml"
    path.write_text(yaml.safe_dump(region), encoding="utf-8")
    return path


def simulate_region(folder: Path, operators: int) -> dict[str, tuple[float, float]]:
    region = load_region(region_file(folder, operators))
    outcomes = run_replications(region, region.seed, REPLICATIONS, workers=2,
                                keep_records=False)
    figures = aggregate([o.metrics for o in outcomes], confidence=0.99)
    return {key: (f.low, f.high) for key, f in figures.items()}


def test_the_pooled_load_is_twice_a_members() -> None:
    scenario = load_scenario(CHECK)
    rate = scenario.users[0].count * 1.0 / 86400  # alarms per second, one member
    assert rate * HANDLING_S == pytest.approx(MEMBER_LOAD)


def test_shared_centre_reproduces_erlang_c_for_the_pooled_load(tmp_path: Path) -> None:
    intervals = simulate_region(tmp_path, 25)
    p_wait = erlang_c(25, 2 * MEMBER_LOAD)
    level = service_level(25, 2 * MEMBER_LOAD, HANDLING_S, 20.0)
    for prefix in ("", "members.east.", "members.west."):
        low, high = intervals[f"{prefix}answer.p_wait"]
        assert low <= p_wait <= high, (prefix, low, high, p_wait)
        low, high = intervals[f"{prefix}answer.within_20s"]
        assert low <= level <= high, (prefix, low, high, level)
    low, high = intervals["answer.p_wait"]
    assert high - low < 0.06  # tight enough to mean something
    low, high = intervals["operators.utilisation.all"]
    assert low <= 2 * MEMBER_LOAD / 25 <= high


def test_one_operator_fewer_rejects_the_pooled_value(tmp_path: Path) -> None:
    low, high = simulate_region(tmp_path, 24)["answer.p_wait"]
    assert not low <= erlang_c(25, 2 * MEMBER_LOAD) <= high
    assert low <= erlang_c(24, 2 * MEMBER_LOAD) <= high, (low, high)


@pytest.mark.parametrize("share", [0.8, 0.9, 0.95, 0.98])
def test_pooling_never_needs_more_operators_by_erlang_c(share: float) -> None:
    assert fewest(2 * MEMBER_LOAD, share) <= 2 * fewest(MEMBER_LOAD, share)
    assert fewest(6 * MEMBER_LOAD, share) <= 6 * fewest(MEMBER_LOAD, share)


def test_sharing_the_operators_of_two_own_centres_serves_each_member_better(
        tmp_path: Path) -> None:
    """Own centres of 14 each against one shared centre of 28."""
    shared = simulate_region(tmp_path, 28)
    own = load_scenario(CHECK, {"centre.shifts.0.operators": 14})
    own = own.model_copy(update={"horizon": 86400.0, "warmup": 3600.0})
    alone = aggregate([o.metrics for o in run_replications(own, 2026, REPLICATIONS, workers=2,
                                                           keep_records=False)],
                      confidence=0.99)
    for member in ("east", "west"):
        low, high = shared[f"members.{member}.answer.p_wait"]
        assert high < alone["answer.p_wait"].low, (member, high, alone["answer.p_wait"])
        assert low <= erlang_c(28, 2 * MEMBER_LOAD) <= high


def test_sizing_the_shared_centre_needs_no_more_than_the_own_centres(tmp_path: Path) -> None:
    """The sizing search on the region against the same search on each member alone (a region
    of one), target 80 % within 20 s: Erlang C gives 14 for one member and 24 for both."""
    from concurrent.futures import ThreadPoolExecutor

    from sim.analysis.region_sizing import RegionSizer
    from sim.analysis.targets import parse_target

    target = [parse_target("answer 80% within 20s")]
    (tmp_path / "one").mkdir()
    two = load_region(region_file(tmp_path, 2), {"horizon": "12h"})
    single = region_file(tmp_path / "one", 2)
    data = yaml.safe_load(single.read_text(encoding="utf-8"))
    data["members"] = data["members"][:1]
    single.write_text(yaml.safe_dump(data), encoding="utf-8")
    one = load_region(single, {"horizon": "12h"})
    with ThreadPoolExecutor(1) as pool:
        shared = RegionSizer(two, target, 11, pool, 1).search()
        alone = RegionSizer(one, target, 11, pool, 1).search()
    assert shared.erlang["all_day"] == fewest(2 * MEMBER_LOAD, 0.8) == 24
    assert alone.erlang["all_day"] == fewest(MEMBER_LOAD, 0.8) == 14
    assert shared.staffing["all_day"] <= 2 * alone.staffing["all_day"]
    assert abs(shared.staffing["all_day"] - 24) <= 1
    assert abs(alone.staffing["all_day"] - 14) <= 1
    assert shared.binding_member("all_day") in {"east", "west"}


def test_direct_response_by_home_care_is_erlang_c_on_the_zone_workers() -> None:
    """No centre: the check scenario's alarms answered by 14 home-care workers of its one zone
    (no visits) form the same M/M/14 queue as 14 operators."""
    from sim.model.metrics import replication_metrics
    from sim.run.replication import run_replication

    scenario = load_scenario(CHECK, {"zones.0.field_staff": 14,
                                     "centre.shifts.0.operators": 1})
    runs = [replication_metrics(scenario, run_replication(scenario, 2026, i, direct=True))
            for i in range(REPLICATIONS)]
    figures = aggregate(runs, confidence=0.99)
    p_wait = erlang_c(14, MEMBER_LOAD)
    assert figures["answer.p_wait"].low <= p_wait <= figures["answer.p_wait"].high
    level = service_level(14, MEMBER_LOAD, HANDLING_S, 20.0)
    assert figures["answer.within_20s"].low <= level <= figures["answer.within_20s"].high
    # The one operator on duty in the scenario plays no part.
    assert figures["operators.utilisation.all"].n == 0
