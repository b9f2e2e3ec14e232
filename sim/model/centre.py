"""The response centre (*responssenter*): receive, assess, document, respond.

*motta* — every message is decoded and validated with the same code as the MQTT path, checked
for duplicates, and either joins an open incident of the same alarm or opens a new one with its
priority. *vurdere* — operators on shift take incidents from a priority queue. *dokumentere* —
the operator writes up the incident (wrap-up). *respondere* — the incident ends in one of the
outcomes; a home visit is dispatched to the zone's field staff.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from devices.contract.catalog import event_spec
from devices.contract.codec import Limits, Rejected, TenantRoots, decode_message
from devices.contract.messages import Envelope
from sim.engine.timers import at_delay
from sim.model.fleet import Fleet, FleetDevice
from sim.model.randomness import Streams
from sim.model.records import IncidentRecord, RunLog
from sim.model.shifts import ShiftPool, Worker
from sim.scenario.distributions import Sampler
from sim.scenario.schema import OUTCOMES, EventConfig, Scenario

NAN = float("nan")


@dataclass(frozen=True, slots=True)
class IncidentPolicy:
    """How the centre treats one event kind: priority, operator times, outcome chances."""

    priority: int
    handling: Sampler
    wrapup: Sampler
    outcomes: tuple[str, ...]
    cumulative: tuple[float, ...]
    choose: Sampler

    def draw_outcome(self) -> str:
        """One outcome, by the configured probabilities (no draw when there is only one)."""
        outcomes = self.outcomes
        if len(outcomes) == 1:
            return outcomes[0]
        # The first outcome whose cumulative edge lies above the draw; the last if none does.
        return outcomes[min(bisect_right(self.cumulative, self.choose()), len(outcomes) - 1)]


class Incident:
    """An incident being handled; becomes an :class:`IncidentRecord` when documented."""

    __slots__ = (
        "device_id", "device_type", "event", "ident", "messages", "operator", "outcome",
        "policy", "priority", "profile", "shift", "t_answered", "t_closed", "t_handled",
        "t_received", "zone",
    )

    def __init__(self, ident: int, message: Envelope, device_id: str, profile: str, zone: str,
                 priority: int, now: float) -> None:
        self.ident = ident
        self.device_id = device_id
        self.device_type = message.device_type
        self.event = message.event
        self.profile = profile
        self.zone = zone
        self.priority = priority
        self.messages = 1
        self.t_received = now
        self.t_answered = NAN
        self.t_handled = NAN
        self.t_closed = NAN
        self.operator = ""
        self.shift = ""
        self.outcome = ""
        self.policy: IncidentPolicy | None = None

    def record(self, replication: int, state: str) -> IncidentRecord:
        """The frozen record of this incident as it stands."""
        return IncidentRecord._make(self.row(replication, state))

    def row(self, replication: int, state: str) -> tuple[Any, ...]:
        """The fields of :meth:`record`, as a plain tuple (what the run log stores)."""
        return (
            replication, self.ident, self.device_id, self.device_type, self.event, self.profile,
            self.zone, self.priority, self.messages, self.t_received, self.t_answered,
            self.t_handled, self.t_closed, self.operator, self.shift, self.outcome, state,
        )


Dispatch = Callable[[Incident], None]


def _nobody_told(_device_id: str, _event: str) -> None:
    """No one listens for alarms that start waiting."""


class ResponseCentre:
    """Receives messages and handles incidents with operators on shifts."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        streams: Streams,
        fleet: Fleet,
        log: RunLog,
        replication: int,
        start_epoch: float,
        dispatch: Dispatch,
    ) -> None:
        self.env = env
        self.scenario = scenario
        self.streams = streams
        self.fleet = fleet
        self.log = log
        self.replication = replication
        self.start_epoch = start_epoch
        self.dispatch = dispatch
        self.limits = Limits()
        self.roots = TenantRoots()
        self.operators = ShiftPool(env, "op", self.assess, self.close)
        self._policies: dict[tuple[str, str], IncidentPolicy] = {}
        self._incident_kinds: dict[tuple[str, str], bool] = {}
        self._open: dict[tuple[str, str], Incident] = {}
        self._active: dict[int, Incident] = {}
        self._seen: set[str] = set()
        self._seen_before: set[str] = set()
        self._incident_policies: dict[tuple[str, str], IncidentPolicy | None] = {}
        self._correlation_window = scenario.centre.correlation_window
        self._add_message = log.messages.append
        self._add_incident = log.incidents.append
        self._next_incident = 1
        self._placed = fleet.by_id
        self.on_waiting: Callable[[str, str], None] = _nobody_told
        """Told ``(device_id, event)`` when a new incident waits for an operator."""
        env.process(self._forget_old_ids())

    # motta ------------------------------------------------------------------------------
    def receive(self, topic: str, payload: bytes) -> None:
        """Take one message off the transport: validate, deduplicate, correlate, prioritise."""
        now = self.env._now  # the clock, without the property call
        verdict = decode_message(topic, payload, now_epoch_s=self.start_epoch + now,
                                 limits=self.limits, roots=self.roots)
        if isinstance(verdict, Rejected):
            self._note(now, "", "", "", "", "rejected", -1, verdict.reason)
            return
        message = verdict.message
        message_id, event, device_type = message.message_id, message.event, message.device_type
        device_id, placed = self._fleet_device(message.device_id)
        if message_id in self._seen or message_id in self._seen_before:
            self._note(now, message_id, device_id, device_type, event, "duplicate", -1, "")
            return
        self._seen.add(message_id)
        kind = (device_type, event)
        try:
            policy = self._incident_policies[kind]
        except KeyError:
            policy = self._incident_policy(device_type, event)
        if policy is None:
            self._note(now, message_id, device_id, device_type, event, "info", -1, "")
            return
        incident = self._open.get((device_id, event))
        if (incident is not None and incident.t_closed != incident.t_closed
                and now - incident.t_received <= self._correlation_window):
            incident.messages += 1
            place = "correlated"
        else:
            incident = self._open_new(message, policy, now, device_id, placed)
            place = "incident"
        self._add_message((self.replication, message_id, device_id, device_type, event, now,
                           place, incident.ident, ""))

    def _incident_policy(self, device_type: str, event: str) -> IncidentPolicy | None:
        """The policy of an event kind that raises incidents; None for information only."""
        key = (device_type, event)
        policy = self.policy(device_type, event) if self._raises_incident(*key) else None
        self._incident_policies[key] = policy
        return policy

    def _raises_incident(self, device_type: str, event: str) -> bool:
        key = (device_type, event)
        known = self._incident_kinds.get(key)
        if known is None:
            known = self._incident_kinds[key] = event_spec(device_type, event).incident
        return known

    def open_incident(self, message: Envelope) -> Incident:
        """A new incident for ``message``, queued for an operator by priority."""
        device_id, placed = self._fleet_device(message.device_id)
        return self._open_new(message, self.policy(message.device_type, message.event),
                              self.env.now, device_id, placed)

    def _fleet_device(self, device_id: str) -> tuple[str, FleetDevice | None]:
        """The device of the fleet with this id (None if unknown) and the fleet's own copy of
        the id: later lookups of that copy (open incidents, record labels) compare by identity
        and reuse its hash."""
        placed = self._placed.get(device_id)
        return (device_id if placed is None else placed.device.device_id), placed

    def _open_new(self, message: Envelope, policy: IncidentPolicy, now: float, device_id: str,
                  placed: FleetDevice | None) -> Incident:
        profile, zone = (placed.profile, placed.zone) if placed else ("", "")
        incident = Incident(self._next_incident, message, device_id, profile, zone,
                            policy.priority, now)
        incident.policy = policy
        self._next_incident += 1
        self._open[(device_id, message.event)] = incident
        self._active[incident.ident] = incident
        self.operators.submit(incident.priority, incident)
        if incident.t_answered != incident.t_answered:  # NaN: no operator free, it waits
            self.on_waiting(incident.device_id, incident.event)
        return incident

    def awaiting_answer(self, device_id: str, event: str) -> bool:
        """Whether an alarm of this kind from this device is still waiting for an operator."""
        incident = self._open.get((device_id, event))
        return incident is not None and math.isnan(incident.t_answered)

    def _note(self, now: float, message_id: str, device_id: str, device_type: str, event: str,
              place: str, incident: int, reason: str) -> None:
        """Record where a message ended (a :class:`MessageRecord`, stored as a plain tuple)."""
        self._add_message((self.replication, message_id, device_id, device_type, event, now,
                           place, incident, reason))

    def _forget_old_ids(self) -> Generator[simpy.Event, Any, None]:
        """Remember message ids for one to two days (or correlation windows if longer)."""
        window = max(86400.0, self.scenario.centre.correlation_window)
        while True:
            yield self.env.timeout(window)
            self._seen_before, self._seen = self._seen, set()

    # vurdere, dokumentere, respondere --------------------------------------------------
    def assess(self, operator: Worker, incident: Incident) -> float:
        """An operator answers, assesses and acts, then documents; returns the time it takes.

        The outcome is decided when the assessment ends; a home visit is dispatched then.
        """
        policy = incident.policy or self.policy(incident.device_type, incident.event)
        now = self.env._now
        handling = policy.handling()
        incident.t_answered = now
        incident.t_handled = now + handling
        incident.operator = operator.ident
        incident.shift = operator.shift
        outcomes = policy.outcomes
        incident.outcome = outcome = outcomes[0] if len(outcomes) == 1 else policy.draw_outcome()
        if outcome == "home_visit":
            if handling > 0:
                at_delay(self.env, handling, lambda _timer: self.dispatch(incident))
            else:
                self.dispatch(incident)
        return handling + policy.wrapup()

    def close(self, incident: Incident) -> None:
        """Document the incident: it becomes a record."""
        incident.t_closed = self.env._now
        del self._active[incident.ident]
        key = (incident.device_id, incident.event)
        if self._open.get(key) is incident:
            del self._open[key]  # closed incidents take no more messages: forget them
        self._add_incident(incident.row(self.replication, "closed"))

    def record_unfinished(self) -> None:
        """At the horizon: record incidents still waiting or in progress, as they stand now."""
        now = self.env.now
        for incident in self._active.values():
            if math.isnan(incident.t_answered):
                self.log.incidents.append(incident.row(self.replication, "waiting"))
                continue
            if incident.t_handled > now:
                incident.t_handled = NAN
                incident.outcome = ""
            self.log.incidents.append(incident.row(self.replication, "in_progress"))
        self._active.clear()

    def policy(self, device_type: str, event: str) -> IncidentPolicy:
        """The (cached) policy for an event kind: the scenario's settings over the defaults."""
        key = (device_type, event)
        if key not in self._policies:
            self._policies[key] = self._make_policy(device_type, event)
        return self._policies[key]

    def _make_policy(self, device_type: str, event: str) -> IncidentPolicy:
        device = self.scenario.devices.get(device_type)
        config = device.events.get(event) if device else None
        config = config or EventConfig()
        defaults = self.scenario.centre.defaults
        outcomes = config.outcomes or defaults.outcomes
        names = tuple(o for o in OUTCOMES if outcomes.get(o, 0.0) > 0)  # type: ignore[call-overload]
        edges = tuple(np.cumsum([outcomes[o] for o in names]).tolist())  # type: ignore[index]
        name = f"{device_type}.{event}"
        return IncidentPolicy(
            priority=config.priority or event_spec(device_type, event).default_priority,
            handling=self.streams.sampler(f"handling/{name}", config.handling or defaults.handling),
            wrapup=self.streams.sampler(f"wrapup/{name}", config.wrapup or defaults.wrapup),
            outcomes=names,
            cumulative=edges,
            choose=self.streams.uniform(f"outcomes/{name}"),
        )
