"""Home-care visits (*hjemmebesøk*) dispatched by the centre to each zone's field staff.

A visit takes a field worker of the incident's zone (by priority, then order), who travels,
stays and returns. The visit's response time is from the alarm reaching the centre to the worker
arriving at the home.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.engine import Engine
from sim.model.centre import Incident
from sim.model.randomness import Streams
from sim.model.records import RunLog
from sim.model.shifts import ShiftInstance, ShiftPool, Worker, shift_instances
from sim.scenario.distributions import Sampler
from sim.scenario.schema import Scenario

NAN = float("nan")


class Visit:
    """A visit in progress; becomes a :class:`VisitRecord` when the worker is back."""

    __slots__ = ("incident", "shift", "t_arrived", "t_assigned", "t_departed", "t_requested",
                 "t_returned", "worker")

    def __init__(self, incident: Incident, now: float) -> None:
        self.incident = incident
        self.t_requested = now
        self.t_assigned = NAN
        self.t_arrived = NAN
        self.t_departed = NAN
        self.t_returned = NAN
        self.worker = ""
        self.shift = ""

    def forget_after(self, now: float) -> None:
        """Blank the planned times that have not come yet (for a visit cut off by the horizon).

        The visit has not returned, even when its return was due at ``now`` itself: events at
        the horizon are not processed.
        """
        for name in ("t_arrived", "t_departed"):
            if getattr(self, name) > now:
                setattr(self, name, NAN)
        self.t_returned = NAN

    def state(self) -> str:
        """Where the visit stands: waiting for a worker, travelling, or on site."""
        if math.isnan(self.t_assigned):
            return "waiting"
        if math.isnan(self.t_arrived):
            return "travelling"
        return "on_site" if math.isnan(self.t_departed) else "returning"


def visit_adder(log: RunLog, replication: int) -> Callable[[Visit, str], None]:
    """Records a visit as it stands, in a given state (a :class:`VisitRecord`)."""
    return log.visits.adder(
        ("visit", "state"), {"replication": replication}, source="visit",
        incident_id="visit.incident.ident", zone="visit.incident.zone",
        priority="visit.incident.priority", t_alarm="visit.incident.t_received")


class FieldService:
    """The field staff of every zone, on the centre's shifts."""

    def __init__(self, env: Engine, scenario: Scenario, streams: Streams,
                 log: RunLog, replication: int) -> None:
        self.env = env
        self.log = log
        self.replication = replication
        self._pools: dict[str, ShiftPool] = {}
        self._travel: dict[str, Sampler] = {}
        self._on_site = streams.sampler("visits/on_site", scenario.visits.on_site)
        self._active: set[Visit] = set()
        self._add_visit = visit_adder(log, replication)
        for zone in scenario.zones:
            pool = ShiftPool(env, f"field-{zone.name}", self.visit, self.finish)
            self._pools[zone.name] = pool
            self._travel[zone.name] = streams.sampler(f"travel/{zone.name}", zone.travel_time)

    def pool(self, zone: str) -> ShiftPool:
        """The field-staff pool of a zone."""
        return self._pools[zone]

    def zone_names(self) -> list[str]:
        """The zones served, in the scenario's order."""
        return list(self._pools)

    def use_pools(self, pools: dict[str, ShiftPool]) -> None:
        """Serve visits from these pools instead (pools that also take other tasks, such as
        alarms answered directly by home care: :mod:`sim.model.direct_response`)."""
        self._pools = dict(pools)

    def dispatch(self, incident: Incident) -> None:
        """Send a field worker of the incident's zone (*utrykning*)."""
        visit = Visit(incident, self.env.now)
        self._active.add(visit)
        self._pools[incident.zone].submit(incident.priority, visit)

    def visit(self, worker: Worker, visit: Visit) -> float:
        """Travel to the home, stay, and travel back; returns the time the worker is away."""
        travel = self._travel[visit.incident.zone]
        there, stay, back = travel(), self._on_site(), travel()
        visit.t_assigned = self.env.now
        visit.t_arrived = visit.t_assigned + there
        visit.t_departed = visit.t_arrived + stay
        visit.t_returned = visit.t_departed + back
        visit.worker = worker.ident
        visit.shift = worker.shift
        return there + stay + back

    def finish(self, visit: Visit) -> None:
        """The worker is back: the visit becomes a record."""
        visit.t_returned = self.env.now
        self._active.discard(visit)
        self._add_visit(visit, "done")

    def record_unfinished(self) -> None:
        """At the horizon: record visits still waiting or under way, as they stand now."""
        now = self.env.now
        for visit in sorted(self._active, key=lambda v: (v.t_requested, v.incident.ident)):
            visit.forget_after(now)
            self._add_visit(visit, visit.state())
        self._active.clear()


def field_shift_instances(scenario: Scenario, zone: str,
                          horizon: float) -> list[ShiftInstance]:
    """The field-staff shifts of one zone over the horizon (the centre's shift times)."""
    staff = next(z for z in scenario.zones if z.name == zone)
    pairs = [(shift, staff.field_staff_on(shift.name)) for shift in scenario.centre.shifts]
    return shift_instances(pairs, horizon)
