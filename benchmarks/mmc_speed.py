"""Speed of vtsim's full centre against a minimal SimPy M/M/c model and ciw, in one process.

    python benchmarks/mmc_speed.py [--days 3] [--repeat 3]

All three simulate the same queue: the shipped Erlang C scenario (Poisson arrivals at 200 per
hour, exponential handling with mean 3 min, 14 servers). vtsim runs its whole centre (messages
encoded and validated, deduplication, correlation, priority queue, shifts, records, metrics).
Prints customers per second for each and the ratios; the best of ``--repeat`` runs counts.
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


def best_rate(model: Callable[[float, int], int], horizon: float, repeat: int) -> float:
    """Customers per second of wall time, best of ``repeat`` runs."""
    rates = []
    for i in range(repeat):
        started = time.perf_counter()
        customers = model(horizon, 1 + i)
        rates.append(customers / (time.perf_counter() - started))
    return max(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-ciw", action="store_true", help="skip ciw")
    args = parser.parse_args()
    horizon = args.days * 86400
    reference = best_rate(minimal_simpy, horizon, args.repeat)
    rows = [("minimal SimPy M/M/c", reference)]
    rows.append(("vtsim full centre", best_rate(vtsim_model, horizon, args.repeat)))
    if not args.no_ciw:
        rows.append(("ciw", best_rate(ciw_model, horizon, args.repeat)))
    print(f"M/M/{SERVERS}, lambda = 200/h, mean service 180 s, {args.days:g} simulated days, "
          f"best of {args.repeat}")
    print(f"{'model':<22}{'customers/s':>14}{'us/customer':>14}{'vs minimal':>12}")
    for name, rate in rows:
        print(f"{name:<22}{rate:>14,.0f}{1e6 / rate:>14.1f}{reference / rate:>11.2f}x")


if __name__ == "__main__":
    main()
