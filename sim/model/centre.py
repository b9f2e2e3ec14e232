"""The response centre (*responssenter*): receive, assess, document, respond.

*motta* — every message is judged by the rules all centres share
(:class:`devices.contract.reception.Reception`: decode and validate, deduplicate, correlate,
prioritise); an alarm either joins an open incident of the same alarm or opens a new one.
*vurdere* — operators on shift take incidents from a priority queue. *dokumentere* — the
operator writes up the incident (wrap-up). *respondere* — the incident ends in one of the
outcomes; a home visit is dispatched to the zone's field staff.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from devices.contract.messages import Envelope
from devices.contract.reception import CORRELATED, INCIDENT, REJECTED, Reception
from sim.engine import Engine
from sim.model.fleet import Fleet, FleetDevice
from sim.model.randomness import Streams
from sim.model.records import RunLog
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
        "t_received", "topic", "zone",
    )

    def __init__(self, ident: int, device_type: str, event: str, device_id: str, profile: str,
                 zone: str, priority: int, now: float, topic: str = "",
                 policy: IncidentPolicy | None = None) -> None:
        self.ident = ident
        self.topic = topic
        self.device_id = device_id
        self.device_type = device_type
        self.event = event
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
        self.policy = policy


def incident_adder(log: RunLog, replication: int) -> Callable[[Incident, str], None]:
    """Records an incident as it stands, in a given state (an :class:`IncidentRecord`)."""
    return log.incidents.adder(("incident", "state"), {"replication": replication},
                               source="incident", incident_id="incident.ident",
                               user_profile="incident.profile")


def message_adder(log: RunLog, replication: int,
                  place: str) -> Callable[[Envelope, Incident, float], None]:
    """Records a message that opened an incident or joined one, with no remark (a
    :class:`MessageRecord` with place ``incident`` or ``correlated`` and no reason)."""
    return log.messages.adder(
        ("message", "incident", "t_received"),
        {"replication": replication, "place": place, "reason": ""},
        message_id="message.message_id", device_id="incident.device_id",
        device_type="message.device_type", event="message.event",
        incident_id="incident.ident")


Dispatch = Callable[[Incident], None]


def _nobody_told(_device_id: str, _event: str) -> None:
    """No one listens for alarms that start waiting."""


class ResponseCentre:
    """Receives messages and handles incidents with operators on shifts."""

    def __init__(
        self,
        env: Engine,
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
        self.reception: Reception[Incident] = Reception(
            correlation_window=scenario.centre.correlation_window,
            priorities=configured_priorities(scenario))
        self.operators = ShiftPool(env, "op", self.assess, self.close)
        self._policies: dict[tuple[str, str], IncidentPolicy] = {}
        self._open = self.reception.incidents
        self._opened = self._open.table()
        self._active: dict[int, Incident] = {}
        self._add_message = log.messages.add
        self._add_joined = {place: message_adder(log, replication, place)
                            for place in (INCIDENT, CORRELATED)}
        self._add_incident = incident_adder(log, replication)
        self._next_incident = 1
        self._placed = fleet.by_id
        self.on_waiting: Callable[[str, str], None] = _nobody_told
        """Told ``(device_id, event)`` when a new incident waits for an operator."""

    # motta ------------------------------------------------------------------------------
    def receive(self, topic: str, payload: bytes) -> None:
        """Take one message off the transport: validate, deduplicate, correlate, prioritise."""
        now = self.env.now
        place, reason, verdict, incident = self.reception.judge(topic, payload, now,
                                                                self.start_epoch + now)
        if place == REJECTED:
            self._note(t_received=now, place=place, reason=reason)
            return
        message = verdict.message  # type: ignore[union-attr]
        fields = message.__dict__  # one lookup, then plain dictionary reads: cheaper
        event, device_type = fields["event"], fields["device_type"]
        placed = self._placed.get(fields["device_id"])  # _fleet_device, written out
        device_id = fields["device_id"] if placed is None else placed.device.device_id
        if place == INCIDENT:
            policy = (self._policies.get((device_type, event))
                      or self.policy(device_type, event))
            incident = self._open_new(topic, device_type, event, policy, now, device_id, placed)
        elif place == CORRELATED:
            incident.messages += 1  # type: ignore[union-attr]
        if incident is None or reason:
            self._note(t_received=now, place=place, message_id=fields["message_id"],
                       device_id=device_id, device_type=device_type, event=event,
                       incident_id=-1 if incident is None else incident.ident, reason=reason)
        else:
            self._add_joined[place](message, incident, now)

    def _note(self, *, t_received: float, place: str, message_id: str = "",
              device_id: str = "", device_type: str = "", event: str = "",
              incident_id: int = -1, reason: str = "") -> None:
        """Record where a message ended (a :class:`MessageRecord`): the general case, for
        messages that opened or joined no incident or carry a reason."""
        self._add_message(replication=self.replication, message_id=message_id,
                          device_id=device_id, device_type=device_type, event=event,
                          t_received=t_received, place=place, incident_id=incident_id,
                          reason=reason)

    def _fleet_device(self, device_id: str) -> tuple[str, FleetDevice | None]:
        """The device of the fleet with this id (None if unknown) and the fleet's own copy of
        the id: later lookups of that copy (open incidents, record labels) compare by identity
        and reuse its hash."""
        placed = self._placed.get(device_id)
        return (device_id if placed is None else placed.device.device_id), placed

    def _open_new(self, topic: str, device_type: str, event: str, policy: IncidentPolicy,
                  now: float, device_id: str, placed: FleetDevice | None) -> Incident:
        profile, zone = (placed.profile, placed.zone) if placed else ("", "")
        incident = Incident(self._next_incident, device_type, event, device_id, profile, zone,
                            policy.priority, now, topic, policy)
        self._next_incident += 1
        self._opened[(topic, event)] = (incident, now)  # OpenIncidents.opened, written out
        self._active[incident.ident] = incident
        self.operators.submit(incident.priority, incident)
        if incident.t_answered != incident.t_answered:  # NaN: no operator free, it waits
            self.on_waiting(incident.device_id, incident.event)
        return incident

    def awaiting_answer(self, device_id: str, event: str) -> bool:
        """Whether an alarm of this kind from this device is still waiting for an operator."""
        placed = self._placed.get(device_id)
        if placed is None:
            return False
        incident = self._open.get(placed.device.events_topic, event)
        return incident is not None and math.isnan(incident.t_answered)

    # vurdere, dokumentere, respondere --------------------------------------------------
    def assess(self, operator: Worker, incident: Incident) -> float:
        """An operator answers, assesses and acts, then documents; returns the time it takes.

        The outcome is decided when the assessment ends; a home visit is dispatched then.
        """
        policy = incident.policy or self.policy(incident.device_type, incident.event)
        now = self.env.now
        handling = policy.handling()
        incident.t_answered = now
        incident.t_handled = now + handling
        incident.operator = operator.ident
        incident.shift = operator.shift
        outcomes = policy.outcomes
        incident.outcome = outcome = outcomes[0] if len(outcomes) == 1 else policy.draw_outcome()
        if outcome == "home_visit":
            if handling > 0:
                self.env.at_delay(handling, lambda _timer: self.dispatch(incident))
            else:
                self.dispatch(incident)
        return handling + policy.wrapup()

    def close(self, incident: Incident) -> None:
        """Document the incident: it becomes a record."""
        incident.t_closed = self.env.now
        del self._active[incident.ident]
        key = (incident.topic, incident.event)  # OpenIncidents.closed, written out:
        entry = self._opened.get(key)  # it takes no more messages
        if entry is not None and entry[0] is incident:
            del self._opened[key]
        self._add_incident(incident, "closed")

    def record_unfinished(self) -> None:
        """At the horizon: record incidents still waiting or in progress, as they stand now."""
        now = self.env.now
        for incident in self._active.values():
            if math.isnan(incident.t_answered):
                self._add_incident(incident, "waiting")
                continue
            if incident.t_handled > now:
                incident.t_handled = NAN
                incident.outcome = ""
            self._add_incident(incident, "in_progress")
        self._active.clear()

    def policy(self, device_type: str, event: str) -> IncidentPolicy:
        """The (cached) policy for an event kind: the scenario's settings over the defaults."""
        key = (device_type, event)
        policy = self._policies.get(key)
        if policy is None:
            policy = self._policies[key] = self._make_policy(device_type, event)
        return policy

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
            priority=self.reception.priority(device_type, event),
            handling=self.streams.sampler(f"handling/{name}", config.handling or defaults.handling),
            wrapup=self.streams.sampler(f"wrapup/{name}", config.wrapup or defaults.wrapup),
            outcomes=names,
            cumulative=edges,
            choose=self.streams.uniform(f"outcomes/{name}"),
        )


def configured_priorities(scenario: Scenario) -> dict[tuple[str, str], int]:
    """The priorities a scenario sets, per ``(device_type, event)``."""
    return {(kind, event): config.priority
            for kind, device in scenario.devices.items()
            for event, config in device.events.items() if config.priority}
