"""One replication of a scenario: build the fleet and the centre, run, return the records."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import simpy

from devices.contract.catalog import event_spec
from devices.contract.topics import events_subscription
from devices.transport.base import InProcessTransport, Transport
from sim.engine.timers import at_delay, run_until
from sim.model.arrivals import configured_sources
from sim.model.centre import ResponseCentre
from sim.model.clock import start_epoch
from sim.model.fleet import Fleet, build_fleet
from sim.model.network import Network
from sim.model.randomness import Streams
from sim.model.records import RunLog, StaffingRecord, TelemetryRecord
from sim.model.sending import Sender
from sim.model.shifts import ShiftInstance, shift_instances
from sim.model.visits import FieldService, field_shift_instances
from sim.scenario.schema import Scenario

PACK_EVERY = 3600.0
"""Simulated seconds between looks at the run log's waiting records."""

PACK_AT = 256
"""A table packs its waiting records at the hourly look once this many wait. A small centre
then packs every few days instead of every hour (a fifth fewer instructions per incident for
a Lier-sized year), a large one every hour or two; larger batches made a regional run
slower."""


def run_replication(
    scenario: Scenario,
    seed: int,
    replication: int,
    transport: Transport | None = None,
) -> RunLog:
    """Simulate ``scenario`` once with the given seed; the records of the run."""
    env = simpy.Environment()
    streams = Streams(seed, replication)
    log = RunLog()
    epoch = start_epoch(scenario.start)
    fleet = build_fleet(scenario, streams)
    log.expect_devices(fleet.by_id)
    field = FieldService(env, scenario, streams, log, replication)
    centre = ResponseCentre(env, scenario, streams, fleet, log, replication, epoch,
                            field.dispatch)
    transport = transport or InProcessTransport()
    transport.subscribe(events_subscription(scenario.tenant), centre.receive)
    network = Network(env, transport, scenario.transport, streams)
    sender = Sender(env, scenario, streams, network, centre.awaiting_answer, epoch)
    centre.on_waiting = sender.waiting_notices()
    staff_centre(scenario, centre, field, log, replication)
    start_sources(env, scenario, streams, fleet, sender, log, replication)
    keep_packed(env, log)
    with quiet_collector():
        run_until(env, scenario.horizon)
    centre.record_unfinished()
    field.record_unfinished()
    log.pack()
    return log


RUN_GC_THRESHOLD = 50_000
"""Allocations between the garbage collector's young collections during a run (Python's
default is 700)."""


@contextmanager
def quiet_collector() -> Iterator[None]:
    """Keep the garbage collector out of the run's way; restore it afterwards.

    The objects built before the run (fleet, models, …) live for the whole run, so they are
    frozen: without that every full collection walks them all again. And the run allocates
    millions of short-lived objects (events, records, closures) that reference counting frees
    at once, so a young collection every 700 allocations finds almost nothing; one every
    50,000 finds the same few cycles (a worker and its callback, one per shift) later.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(RUN_GC_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def keep_packed(env: simpy.Environment, log: RunLog, every: float = PACK_EVERY,
                at_least: int = PACK_AT) -> None:
    """Every ``every`` simulated seconds, pack the tables of the log that have at least
    ``at_least`` new records into columns."""
    def pack(_timer: simpy.Event) -> None:
        log.pack(at_least)
        at_delay(env, every, pack)
    at_delay(env, every, pack)


def staff_centre(scenario: Scenario, centre: ResponseCentre, field: FieldService, log: RunLog,
                 replication: int) -> None:
    """Put operators and field workers on their shifts, and record who is on duty when."""
    horizon = scenario.horizon
    operators = shift_instances([(s, s.operators) for s in scenario.centre.shifts], horizon)
    centre.operators.schedule(operators)
    record_staffing(log, replication, "operators", operators)
    for zone in scenario.zones:
        instances = field_shift_instances(scenario, zone.name, horizon)
        field.pool(zone.name).schedule(instances)
        record_staffing(log, replication, f"field.{zone.name}", instances)


def record_staffing(log: RunLog, replication: int, pool: str,
                    instances: list[ShiftInstance]) -> None:
    """One staffing record per shift worked."""
    for s in instances:
        log.staffing.append(StaffingRecord(replication, pool, s.name, s.start, s.end, s.count))


def start_sources(env: simpy.Environment, scenario: Scenario, streams: Streams, fleet: Fleet,
                  sender: Sender, log: RunLog, replication: int) -> None:
    """Start every configured event source; count the ones that are aggregated."""
    for device_type, event, source in configured_sources(env, scenario, streams, fleet):
        if event_spec(device_type, event).incident or scenario.telemetry == "simulate":
            source.run(sender.emit, scenario.horizon)
        else:
            count = source.count(scenario.warmup, scenario.horizon)
            log.telemetry.append(TelemetryRecord(replication, device_type, event, count))
