"""One replication of a scenario: build the fleet and the centre, run, return the records."""

from __future__ import annotations

from collections.abc import Callable

from devices.contract.catalog import event_spec
from devices.contract.topics import events_subscription
from devices.transport.base import InProcessTransport, Transport
from sim.engine import Engine, quiet_collector
from sim.model.arrivals import configured_sources
from sim.model.centre import ResponseCentre
from sim.model.clock import start_epoch
from sim.model.direct_response import answer_directly
from sim.model.fleet import Fleet, build_fleet
from sim.model.network import Network
from sim.model.randomness import Streams
from sim.model.records import RunLog
from sim.model.sending import Sender
from sim.model.shifts import ShiftInstance, shift_instances
from sim.model.visits import FieldService, field_shift_instances
from sim.scenario.schema import Scenario

PACK_EVERY = 3600.0
"""Simulated seconds between looks at the run log's waiting records."""

DAY = 86400.0
"""Simulated seconds between progress reports of a replication (see :func:`report_days`)."""

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
    on_day: Callable[[float], None] | None = None,
    namespace: str = "",
    direct: bool = False,
) -> RunLog:
    """Simulate ``scenario`` once with the given seed; the records of the run.

    ``on_day(simulated_seconds)``, when given, is called once every simulated day (one timer a
    day, nothing per event), for progress shown while a long replication runs. ``namespace``
    prefixes every random stream's name: a region's member running its own centre draws the
    same alarms as in the region's shared centre (:mod:`sim.run.region`). ``direct`` answers
    the alarms by each zone's home care instead of the centre's operators
    (:mod:`sim.model.direct_response`).
    """
    env = Engine()
    streams = Streams(seed, replication, namespace)
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
    if direct:
        answer_directly(env, centre, field)
    staff_centre(scenario, centre, field, log, replication, operators=not direct)
    start_sources(env, scenario, streams, fleet, sender, log, replication)
    keep_packed(env, log)
    if on_day is not None:
        report_days(env, on_day)
    with quiet_collector():
        env.run_until(scenario.horizon)
    centre.record_unfinished()
    field.record_unfinished()
    log.pack()
    return log


def keep_packed(env: Engine, log: RunLog, every: float = PACK_EVERY,
                at_least: int = PACK_AT) -> None:
    """Every ``every`` simulated seconds, pack the tables of the log that have at least
    ``at_least`` new records into columns."""
    def pack(_timer: object) -> None:
        log.pack(at_least)
        env.at_delay(every, pack)
    env.at_delay(every, pack)


def report_days(env: Engine, on_day: Callable[[float], None], every: float = DAY) -> None:
    """Call ``on_day(now)`` every ``every`` simulated seconds. The timer touches nothing of
    the model and draws no random number, so the results are the same with or without it."""
    def tick(_timer: object) -> None:
        on_day(env.now)
        env.at_delay(every, tick)
    env.at_delay(every, tick)


def staff_centre(scenario: Scenario, centre: ResponseCentre, field: FieldService, log: RunLog,
                 replication: int, operators: bool = True) -> None:
    """Put operators (unless ``operators`` is false) and field workers on their shifts, and
    record who is on duty when."""
    horizon = scenario.horizon
    if operators:
        on_duty = shift_instances([(s, s.operators) for s in scenario.centre.shifts], horizon)
        centre.operators.schedule(on_duty)
        record_staffing(log, replication, "operators", on_duty)
    for zone in scenario.zones:
        instances = field_shift_instances(scenario, zone.name, horizon)
        field.pool(zone.name).schedule(instances)
        record_staffing(log, replication, f"field.{zone.name}", instances)


def record_staffing(log: RunLog, replication: int, pool: str,
                    instances: list[ShiftInstance]) -> None:
    """One staffing record per shift worked."""
    for s in instances:
        log.staffing.add(replication=replication, pool=pool, shift=s.name, start=s.start,
                         end=s.end, workers=s.count)


def start_sources(env: Engine, scenario: Scenario, streams: Streams, fleet: Fleet,
                  sender: Sender, log: RunLog, replication: int) -> None:
    """Start every configured event source; count the ones that are aggregated."""
    for device_type, event, source in configured_sources(env, scenario, streams, fleet):
        if event_spec(device_type, event).incident or scenario.telemetry == "simulate":
            source.run(sender.emit, scenario.horizon)
        else:
            count = source.count(scenario.warmup, scenario.horizon)
            log.telemetry.add(replication=replication, device_type=device_type, event=event,
                              messages=count)
