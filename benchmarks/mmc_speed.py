"""Speed of vtsim's full centre against a minimal SimPy M/M/c model and ciw, in one process.

    python benchmarks/mmc_speed.py [--days 10] [--repeat 3] [--no-ciw]

All three simulate the same queue: the shipped Erlang C scenario (Poisson arrivals at 200 per
hour, exponential handling with mean 3 min, 14 servers). vtsim runs its whole centre (messages
encoded and validated, deduplication, correlation, priority queue, shifts, records, metrics).
The models take turns, one run each per round, for ``--repeat`` rounds; printed are each
model's best rate (customers per second), its ratio to the minimal model's best, and the range
of that ratio within the rounds (the runs of a round see the same machine load). Ten simulated
days by default: over three, the set-up of vtsim's 4,800-device fleet and each device's first
message are about a tenth of its time, which the per-alarm comparison is not about (both
horizons are in docs/performance.md).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import simpy

from sim.run.runner import run_one
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
LAMBDA = 200 / 3600
MEAN_SERVICE = 180.0
SERVERS = 14


def minimal_simpy(horizon: float, seed: int) -> int:
    """The textbook SimPy M/M/c: a Resource and a process per customer."""
    env = simpy.Environment()
    rng = np.random.default_rng(seed)
    operators = simpy.Resource(env, capacity=SERVERS)
    served = [0]

    def customer() -> simpy.events.ProcessGenerator:
        with operators.request() as request:
            yield request
            yield env.timeout(rng.exponential(MEAN_SERVICE))
            served[0] += 1

    def arrivals() -> simpy.events.ProcessGenerator:
        while True:
            yield env.timeout(rng.exponential(1 / LAMBDA))
            env.process(customer())

    env.process(arrivals())
    env.run(until=horizon)
    return served[0]


def ciw_model(horizon: float, seed: int) -> int:
    """The same queue in ciw."""
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=LAMBDA)],
        service_distributions=[ciw.dists.Exponential(rate=1 / MEAN_SERVICE)],
        number_of_servers=[SERVERS],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(horizon)
    return len(simulation.get_all_records())


def vtsim_model(horizon: float, seed: int) -> int:
    """vtsim's full centre on the shipped Erlang C scenario."""
    scenario = load_scenario(ROOT / "scenarios" / "checks" / "erlang-c.yaml",
                             {"horizon": horizon, "warmup": 0})
    outcome = run_one(scenario, seed, 0, keep_records=False)
    return int(outcome.metrics["incidents.count"])


def rate(model: Callable[[float, int], int], horizon: float, seed: int) -> float:
    """Customers per second of wall time, one run."""
    started = time.perf_counter()
    customers = model(horizon, seed)
    return customers / (time.perf_counter() - started)


def measure(models: dict[str, Callable[[float, int], int]], horizon: float,
            repeat: int) -> dict[str, list[float]]:
    """Each model's rates over ``repeat`` rounds; a round runs every model once, in turn, so
    that a change in the machine's load falls on all of them alike."""
    rates: dict[str, list[float]] = {name: [] for name in models}
    for i in range(repeat):
        for name, model in models.items():
            rates[name].append(rate(model, horizon, 1 + i))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-ciw", action="store_true", help="skip ciw")
    args = parser.parse_args()
    models: dict[str, Callable[[float, int], int]] = {
        "minimal SimPy M/M/c": minimal_simpy, "vtsim full centre": vtsim_model}
    if not args.no_ciw:
        models["ciw"] = ciw_model
    rates = measure(models, args.days * 86400, args.repeat)
    reference = rates["minimal SimPy M/M/c"]
    print(f"M/M/{SERVERS}, lambda = 200/h, mean service 180 s, {args.days:g} simulated days, "
          f"{args.repeat} rounds (best of each, and the ratio to the minimal model within each "
          "round: lowest-highest)")
    print(f"{'model':<22}{'customers/s':>14}{'us/customer':>14}{'vs minimal':>12}"
          f"{'per round':>16}")
    for name, runs in rates.items():
        best = max(runs)
        ratios = sorted(ref / run for ref, run in zip(reference, runs, strict=True))
        print(f"{name:<22}{best:>14,.0f}{1e6 / best:>14.1f}{max(reference) / best:>11.2f}x"
              f"{ratios[0]:>9.2f}-{ratios[-1]:.2f}x")


if __name__ == "__main__":
    main()
