"""What a run will cost before it starts: expected events, memory and wall time.

The estimate counts the device messages a replication simulates one by one (every generated
event; heartbeats, positions and other non-incident events only when ``telemetry: simulate``,
since aggregated telemetry is counted, not simulated), and multiplies by constants measured on
a development machine with ``benchmarks/run_cost.py`` (two cores; method and figures in
docs/performance.md, "Expected memory and time of a run"). Memory and time grow linearly with
the events: a century of Lier is a hundred years of records held in memory until they are
written.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.contract.catalog import event_spec
from sim.analysis.erlang import fleet_weight
from sim.scenario.schema import EventConfig, Scenario

DAY = 86400.0

BYTES_PER_EVENT = 240.0
"""Memory of one simulated message in a replication's run log while it runs (all its
records: message, incident, visit), measured with ``--log-format none``."""

KEPT_BYTES_PER_EVENT = 900.0
"""Further memory per message when the event log is kept and written (``--log-format
parquet``): the logs of all replications wait in the main process to be written."""

SECONDS_PER_EVENT = 85e-6
"""Time of one simulated message in one process (simulation and measurement), measured as CPU
time: the wall time of one process on an idle machine."""

WRITE_SECONDS_PER_EVENT = 10e-6
"""Further wall time per message for handing the log to the main process and writing it as
Parquet (done in one process, after the replications)."""

BASE_BYTES = 110e6
"""Memory of the program before any event (Python, numpy, pyarrow, the scenario)."""

LONG_HORIZON_DAYS = 366.0
"""A horizon longer than a year is worth a warning even when the run is small: the figures of
a year are already stable, and growth over years is modelled by ``vtsim size --years``."""

LARGE_BYTES = 2e9
"""Expected memory from which a run gets a warning."""

SLOW_SECONDS = 600.0
"""Expected wall time from which a run gets a warning."""


@dataclass(frozen=True, slots=True)
class RunCost:
    """Expected size of a run."""

    events_per_day: float
    days: float
    replications: int
    parallel: int
    memory_bytes: float
    wall_s: float

    @property
    def events(self) -> float:
        """Simulated messages in all replications."""
        return self.events_per_day * self.days * self.replications


def events_per_day(scenario: Scenario) -> float:
    """Device messages a day that a replication simulates one by one."""
    total = 0.0
    for kind, device in scenario.devices.items():
        weight = fleet_weight(scenario, kind)
        for event, config in device.events.items():
            if not config.generated or weight <= 0:
                continue
            if event_spec(kind, event).incident or scenario.telemetry == "simulate":
                total += weight * daily_count(config)
    return total


def daily_count(config: EventConfig) -> float:
    """Events a day of one device for one configured event."""
    if config.rate_per_day:
        return config.rate_per_day
    if config.at and config.probability:
        return len(config.at) * config.probability
    if config.interval:
        return DAY / config.interval
    return 0.0


def estimate(scenario: Scenario, replications: int, workers: int,
             keep_records: bool = True) -> RunCost:
    """Expected peak memory and wall time of ``replications`` replications on ``workers``
    processes, keeping (and writing) the event log or not."""
    per_day = events_per_day(scenario)
    days = scenario.horizon / DAY
    per_replication = per_day * days
    parallel = max(1, min(workers, replications))
    memory = BASE_BYTES + parallel * per_replication * BYTES_PER_EVENT
    wall = per_replication * SECONDS_PER_EVENT * -(-replications // parallel)
    if keep_records:
        memory += replications * per_replication * KEPT_BYTES_PER_EVENT
        wall += replications * per_replication * WRITE_SECONDS_PER_EVENT
    return RunCost(per_day, days, replications, parallel, memory, wall)


def is_long(cost: RunCost) -> bool:
    """Whether a run deserves a warning: a horizon over a year, or much memory or time."""
    return (cost.days > LONG_HORIZON_DAYS or cost.memory_bytes >= LARGE_BYTES
            or cost.wall_s >= SLOW_SECONDS)
