"""One replication of a region: every member's fleet, reception and home care on one clock,
their alarms answered by the shared centre's operators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from devices.contract.topics import events_subscription
from devices.transport.base import InProcessTransport
from sim.engine import Engine, quiet_collector
from sim.model.centre import ResponseCentre
from sim.model.clock import start_epoch
from sim.model.fleet import build_fleet
from sim.model.network import Network
from sim.model.randomness import Streams
from sim.model.records import RunLog
from sim.model.sending import Sender
from sim.model.shared_centre import SharedOperators
from sim.model.shifts import shift_instances
from sim.model.visits import FieldService, field_shift_instances
from sim.run.replication import keep_packed, record_staffing, report_days, start_sources
from sim.scenario.region import Member, Region


@dataclass(frozen=True, slots=True)
class RegionLog:
    """The records of one region replication: one :class:`RunLog` per member. Each member's
    log also holds the shared centre's staffing (pool ``operators``), the denominator of the
    share of the shared operators' time its alarms used."""

    members: dict[str, RunLog]


@dataclass(slots=True)
class _MemberRun:
    centre: ResponseCentre
    field: FieldService
    log: RunLog


def run_region_replication(region: Region, seed: int, replication: int,
                           on_day: Callable[[float], None] | None = None) -> RegionLog:
    """Simulate the region once with the given seed; every member's records. ``on_day``, when
    given, hears the simulated time once every simulated day (for a progress bar; it changes
    nothing in the results)."""
    env = Engine()
    shared = SharedOperators(env)
    horizon = region.horizon
    operators = shift_instances([(s, s.operators) for s in region.shifts], horizon)
    shared.pool.schedule(operators)
    runs = {m.name: _start_member(env, m, shared, seed, replication) for m in region.members}
    for run in runs.values():
        record_staffing(run.log, replication, "operators", operators)
    if on_day is not None:
        report_days(env, on_day)
    with quiet_collector():
        env.run_until(horizon)
    for run in runs.values():
        run.centre.record_unfinished()
        run.field.record_unfinished()
        run.log.pack()
    return RegionLog({name: run.log for name, run in runs.items()})


def _start_member(env: Engine, member: Member, shared: SharedOperators, seed: int,
                  replication: int) -> _MemberRun:
    """Build a member's fleet, reception and home care, hand its incidents to the shared
    operators and start its devices. Its random streams are its own (named after the member),
    so it sees the same alarms as when it runs its own centre."""
    scenario = member.scenario
    streams = Streams(seed, replication, member.name)
    log = RunLog()
    epoch = start_epoch(scenario.start)
    fleet = build_fleet(scenario, streams)
    log.expect_devices(fleet.by_id)
    field = FieldService(env, scenario, streams, log, replication)
    centre = ResponseCentre(env, scenario, streams, fleet, log, replication, epoch,
                            field.dispatch)
    shared.join(centre)
    transport = InProcessTransport()
    transport.subscribe(events_subscription(scenario.tenant), centre.receive)
    network = Network(env, transport, scenario.transport, streams)
    sender = Sender(env, scenario, streams, network, centre.awaiting_answer, epoch)
    centre.on_waiting = sender.waiting_notices()
    for zone in scenario.zones:
        instances = field_shift_instances(scenario, zone.name, scenario.horizon)
        field.pool(zone.name).schedule(instances)
        record_staffing(log, replication, f"field.{zone.name}", instances)
    start_sources(env, scenario, streams, fleet, sender, log, replication)
    keep_packed(env, log)
    return _MemberRun(centre, field, log)
