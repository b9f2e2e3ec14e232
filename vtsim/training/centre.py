"""The training centre: receives the fleet's messages, opens incidents, applies operator actions.

*motta*: device messages are judged by the rules all centres share
(:class:`devices.contract.reception.Reception`: decoded, deduplicated, correlated into incidents
and prioritised). *vurdere*, *dokumentere*, *respondere*: operators (trainees, and
simulated operators on empty seats) act on incidents by sending :class:`OperatorAction` messages;
the centre checks each, answers with an :class:`ActionResult` and publishes the incident's
state. A (simulated) call reveals the situation: the scripted call text, or for background
incidents an outcome drawn from the scenario's outcome probabilities.

All times are on the scenario clock. The centre never raises on bad input: a message or action
it cannot use is counted (and refused with a reason when it names an operator).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from pydantic import ValidationError

from devices.contract.centre_actions import (
    ActionResult,
    CallAttempt,
    CallResult,
    HistoryEntry,
    IncidentState,
    OperatorAction,
    OperatorSeat,
    Position,
    ResidentCard,
    SessionPhase,
    SessionState,
    UserInfo,
    actions_subscription,
    actions_topic,
    operator_key,
    reserved_name,
    results_topic,
    session_topic,
)
from devices.contract.codec import Limits
from devices.contract.messages import message_fields
from devices.contract.reception import (
    CORRELATED,
    DUPLICATE,
    ID_CONFLICT,
    INCIDENT,
    REJECTED,
    Reception,
)
from devices.contract.signing import signed, verified
from devices.contract.topics import device_topic, events_subscription, incident_topic
from devices.transport.base import Transport
from sim.model.centre import configured_priorities
from sim.model.fleet import Fleet
from sim.model.randomness import Streams
from sim.realtime.training import training_of
from sim.scenario.distributions import Sampler
from sim.scenario.schema import OUTCOMES, EventConfig, Scenario
from sim.scenario.script import ScriptedEvent
from vtsim.training.residents import ResidentRegister

Now = Callable[[], float]
Judged = Callable[[str, str, "int | None"], None]
"""Told ``(place, reason, incident number)`` for every device message judged."""
SCRIPT_SLACK = 5.0
"""Seconds a scripted event's message may arrive after its time (network latency)."""

CALL_TEXT = {
    "resolved_remotely": "Brukeren svarer og sier at alt er i orden nå.",
    "relatives_called": "Brukeren trenger hjelp, men en pårørende i nærheten kan komme.",
    "home_visit": "Brukeren trenger hjelp i hjemmet og klarer seg ikke selv.",
    "technical_followup": "Brukeren har det bra, men utstyret må sjekkes av en tekniker.",
    "emergency_services": "Brukeren er alvorlig syk eller skadet: ring 113.",
}
"""What a simulated call reveals for background incidents (bokmål, as trainees hear it)."""


@dataclass(slots=True)
class Incident:
    """An incident as the centre holds it; published as :class:`IncidentState`."""

    state: IncidentState
    call_text: str
    call_outcome: str
    handling: float
    wrapup: float
    topic: str = ""
    """The device's events topic (what repeats of the alarm come on)."""


@dataclass(slots=True)
class SimulatedOperator:
    """An operator simulated on an empty seat: takes the next incident and works it."""

    name: str
    incident_id: int | None = None
    retiring: bool = False


@dataclass(slots=True)
class Counts:
    """What the centre received and did."""

    messages: int = 0
    rejected: int = 0
    duplicates: int = 0
    id_conflicts: int = 0
    actions: int = 0
    refused: int = 0
    invalid_actions: int = 0
    unsigned_actions: int = 0


@dataclass(order=True, slots=True)
class _Step:
    at: float
    order: int
    run: Callable[[], None] = field(compare=False)


class TrainingCentre:
    """The centre of one training session, on any transport."""

    def __init__(self, scenario: Scenario, transport: Transport, fleet: Fleet, now: Now,
                 *, session_id: str, seats: int, seed: int, key: bytes = b"",
                 wall: Callable[[], float] | None = None) -> None:
        self.scenario = scenario
        self.training = training_of(scenario)
        self.transport = transport
        self.fleet = fleet
        self.now = now
        self.wall = wall or (lambda: dt.datetime.now(dt.UTC).timestamp())
        self.session_id = session_id
        self.seats = seats
        self.tenant = scenario.tenant
        self.counts = Counts()
        self.incidents: dict[int, Incident] = {}
        self.trainees: dict[str, int | None] = {}
        self.simulated: list[SimulatedOperator] = []
        self.phase: SessionPhase = "waiting"
        self.pause_reason = ""
        self.key = key
        self.speed = 1.0
        self.reception: Reception[int] = Reception(
            limits=Limits(max_past_s=365 * 86400.0, max_future_s=365 * 86400.0),
            correlation_window=scenario.centre.correlation_window,
            priorities=configured_priorities(scenario))
        self._open = self.reception.incidents
        self.on_judged: Judged = _nobody_listens
        self.on_received: Callable[[bytes], None] = lambda _payload: None
        self._script_left = list(self.training.timeline())
        self._streams = Streams(seed, 0)
        self._calls: dict[tuple[str, str], Sampler] = {}
        self._times: dict[str, Sampler] = {}
        self._steps: list[_Step] = []
        self._order = itertools.count()
        self._actions = itertools.count(1)
        self.residents = ResidentRegister(scenario, seed)
        for entry in self.training.script:
            placed = fleet.by_id.get(entry.device)
            if placed is not None and entry.call:
                self.residents.name_from_script(placed.user + 1, entry.call,
                                                scenario.start.year)

    # set-up ------------------------------------------------------------------------------
    def start(self) -> None:
        """Subscribe to the tenant's device events and operator actions; fill empty seats."""
        self.transport.subscribe(events_subscription(self.tenant), self.receive)
        self.transport.subscribe(actions_subscription(self.tenant), self.on_action)
        self.staff_seats()

    def staff_seats(self) -> None:
        """Simulated operators on the seats no trainee sits on."""
        wanted = max(0, self.seats - len(self.trainees))
        active = [op for op in self.simulated if not op.retiring]
        for op in active[wanted:]:
            op.retiring = True
        self.simulated = [op for op in self.simulated
                          if not (op.retiring and op.incident_id is None)]
        taken = {op.name for op in self.simulated}
        numbers = (n for n in itertools.count(1) if f"sim-{n}" not in taken)
        for _ in range(len(active), wanted):
            self.simulated.append(SimulatedOperator(f"sim-{next(numbers)}"))

    # motta -------------------------------------------------------------------------------
    def receive(self, topic: str, payload: bytes) -> None:
        """One device message: validate, deduplicate, correlate, open an incident."""
        self.counts.messages += 1
        self.on_received(payload)
        place, reason, verdict, ident = self.reception.judge(topic, payload, self.now(),
                                                             self.wall())
        if reason == ID_CONFLICT:
            self.counts.id_conflicts += 1
        if place == REJECTED:
            self.counts.rejected += 1
        elif place == DUPLICATE:
            self.counts.duplicates += 1
        elif place == CORRELATED and ident is not None:
            joined = self.incidents[ident]
            self._update(joined, messages=joined.state.messages + 1)
        elif place == INCIDENT:
            message = verdict.message  # type: ignore[union-attr]
            ident = self.open_incident(message.device_id, message.device_type, message.event,
                                       topic, message_fields(message)).state.incident_id
        self.on_judged(place, reason, ident)

    def open_incident(self, device_id: str, device_type: str, event: str,
                      topic: str | None = None,
                      fields: dict[str, object] | None = None) -> Incident:
        """A new incident: priority, user, script match, what a call will reveal."""
        now = self.now()
        ident = len(self.incidents) + 1
        config = self._event_config(device_type, event)
        scripted = self._match_script(device_id, event, now)
        targets = self.training.targets
        if scripted is not None:
            index, entry = scripted
            call_text, call_outcome = entry.call or CALL_TEXT[entry.call_outcome], \
                entry.call_outcome
            expected, title = entry.expected_outcome, entry.title
            take = entry.expected.take_within or targets.take_within
            close = entry.expected.close_within or targets.close_within
        else:
            index, call_outcome = None, self._draw_outcome(device_type, event, config)
            call_text, expected, title = CALL_TEXT[call_outcome], call_outcome, ""
            take, close = targets.take_within, targets.close_within
        user = self.user_info(device_id)
        resident, position = self.resident_of(user, fields or {})
        state = IncidentState(
            session_id=self.session_id, incident_id=ident, device_id=device_id,
            device_type=device_type, event=event,
            priority=self.reception.priority(device_type, event),
            user=user, resident=resident, position=position, phase="waiting", opened_at=now,
            history=(HistoryEntry(at=now, operator="", kind="opened"),), scripted=index,
            title=title, expected_outcome=expected,
            take_within=take, close_within=close,
        )
        name = f"{device_type}.{event}"
        topic = topic or device_topic(self.tenant, device_type, device_id)
        incident = Incident(state, call_text, call_outcome,
                            self._sample(f"handling/{name}", config, "handling"),
                            self._sample(f"wrapup/{name}", config, "wrapup"), topic)
        self.incidents[ident] = incident
        self._open.opened(topic, event, ident, now)
        self.publish_incident(incident)
        self.assign_simulated()
        return incident

    def expect_now(self, index: int) -> None:
        """Scripted event ``index`` is injected now: match its alarm from now on."""
        now = self.now()
        self._script_left = [(min(at, now) if i == index else at, i, entry)
                             for at, i, entry in self._script_left]

    def _match_script(self, device_id: str, event: str,
                      now: float) -> tuple[int, ScriptedEvent] | None:
        for position, (at, index, entry) in enumerate(self._script_left):
            if entry.device == device_id and entry.event == event and at <= now + SCRIPT_SLACK:
                del self._script_left[position]
                return index, entry
        return None

    def user_info(self, device_id: str) -> UserInfo | None:
        """The user a device belongs to, with their group, zone and device kit."""
        placed = self.fleet.by_id.get(device_id)
        if placed is None:
            return None
        kit = tuple(d for d, p in self.fleet.by_id.items() if p.user == placed.user)
        return UserInfo(number=placed.user + 1, profile=placed.profile, zone=placed.zone,
                        devices=kit)

    def resident_of(self, user: UserInfo | None, fields: dict[str, object]) \
            -> tuple[ResidentCard | None, Position | None]:
        """The resident's card, and where the alarm is: the GPS fix if it has one, else home."""
        if user is None:
            return None, None
        card = self.residents.card(user.number, user.profile, user.zone)
        lat, lon = fields.get("lat"), fields.get("lon")
        if isinstance(lat, float | int) and isinstance(lon, float | int):
            return card, self.residents.gps(user.zone, float(lat), float(lon))
        return card, self.residents.home(user.number, user.zone)

    def _event_config(self, device_type: str, event: str) -> EventConfig:
        device = self.scenario.devices.get(device_type)
        return (device.events.get(event) if device else None) or EventConfig()

    def _draw_outcome(self, device_type: str, event: str, config: EventConfig) -> str:
        outcomes = config.outcomes or self.scenario.centre.defaults.outcomes
        names = [o for o in OUTCOMES if outcomes.get(o, 0.0) > 0]  # type: ignore[call-overload]
        key = (device_type, event)
        if key not in self._calls:
            self._calls[key] = self._streams.uniform(f"training/calls/{device_type}.{event}")
        edges = np.cumsum([outcomes[o] for o in names])  # type: ignore[index]
        index = int(np.searchsorted(edges, self._calls[key](), side="right"))
        return names[min(index, len(names) - 1)]

    def _sample(self, name: str, config: EventConfig, which: str) -> float:
        defaults = self.scenario.centre.defaults
        dist = getattr(config, which) or getattr(defaults, which)
        if name not in self._times:
            self._times[name] = self._streams.sampler(f"training/{name}", dist)
        return float(self._times[name]())

    def awaiting_answer(self, device_id: str, event: str) -> bool:
        """Whether this alarm is still waiting for an operator (devices repeat it then)."""
        placed = self.fleet.by_id.get(device_id)
        if placed is None:
            return False
        ident = self._open.get(placed.device.events_topic, event)
        return ident is not None and self.incidents[ident].state.phase == "waiting"

    # actions -----------------------------------------------------------------------------
    def on_action(self, topic: str, payload: bytes) -> None:
        """One operator action from the broker: check it, apply it, answer it."""
        try:
            action = OperatorAction.model_validate_json(payload)
        except ValidationError:
            self.counts.invalid_actions += 1
            return
        if not topic.endswith("/" + operator_key(action.operator)):
            self.counts.invalid_actions += 1
            return
        if not verified(action, self.key) or action.session_id != self.session_id:
            self.counts.unsigned_actions += 1
            return
        self.counts.actions += 1
        reason = self.apply(action)
        if reason:
            self.counts.refused += 1
        result = ActionResult(action_id=action.action_id, operator=action.operator,
                              accepted=not reason, reason=reason, at=self.now())
        self.transport.publish(results_topic(self.tenant, action.operator),
                               signed(result, self.key).model_dump_json().encode(), qos=1)
        if reason and action.simulated:
            self._release_simulated(action.operator)

    def apply(self, action: OperatorAction) -> str:
        """Apply one action; the reason it was refused, or "" when it was applied."""
        if action.kind in ("login", "logout"):
            return self._log_in_or_out(action)
        if not action.simulated and action.operator not in self.trainees:
            return "logg inn først"
        if self.phase not in ("running", "ended"):
            return PHASE_REFUSAL.get(self.phase, "økten går ikke")
        incident = self.incidents.get(action.incident_id or 0)
        if incident is None:
            return f"finner ingen hendelse {action.incident_id}"
        if action.kind == "take":
            return self._take(action, incident)
        state = incident.state
        if state.phase != "taken" or state.taken_by != action.operator:
            return "ta hendelsen først" if state.phase == "waiting" else \
                f"hendelse {state.incident_id} er {PHASE_NB[state.phase]} av {state.taken_by}"
        handlers = {"call": self._call, "call_relative": self._call_relative,
                    "call_emergency": self._call_emergency, "choose_outcome": self._choose,
                    "note": self._note, "dispatch_visit": self._dispatch, "close": self._close}
        return handlers[action.kind](action, incident)

    def _log_in_or_out(self, action: OperatorAction) -> str:
        if action.simulated:
            return "simulerte operatører logger ikke inn"
        if action.kind == "login":
            if reserved_name(action.operator):
                return f"navnet {action.operator} er reservert for simulerte operatører"
            self.trainees.setdefault(action.operator, None)
        else:
            if action.operator not in self.trainees:
                return "ikke innlogget"
            self._release(self.trainees.pop(action.operator), action)
        self.staff_seats()
        self.assign_simulated()
        self.publish_session()
        return ""

    def _take(self, action: OperatorAction, incident: Incident) -> str:
        state = incident.state
        if state.phase != "waiting":
            return (f"hendelse {state.incident_id} er allerede {PHASE_NB[state.phase]} "
                    f"av {state.taken_by}")
        if not action.simulated and self.trainees.get(action.operator) is not None:
            return f"lukk hendelse {self.trainees[action.operator]} først"
        if not action.simulated:
            self.trainees[action.operator] = state.incident_id
            self.publish_session()  # the trainer sees who works on what at once
        self._update(incident, action, phase="taken", taken_at=self.now(),
                     taken_by=action.operator)
        for op in self.simulated:
            if action.simulated and op.name == action.operator:
                self._plan_simulated(op, incident)
        return ""

    def _call(self, action: OperatorAction, incident: Incident) -> str:
        state = incident.state
        attempt = sum(c.to == RESIDENT for c in state.calls)
        answered = action.simulated or state.scripted is not None or state.user is None or \
            self.residents.answers(state.user.number, state.incident_id, f"bruker{attempt}",
                                   answer_chance(state.event))
        text = incident.call_text if answered else NO_ANSWER
        calls = (*state.calls, CallAttempt(at=self.now(), to=RESIDENT, answered=answered,
                                           text=text))
        if not answered:
            self._update(incident, action, calls=calls, detail="ingen svar")
            return ""
        call = CallResult(at=self.now(), text=incident.call_text,
                          suggests=incident.call_outcome)
        self._update(incident, action, call=call, calls=calls)
        return ""

    def _call_relative(self, action: OperatorAction, incident: Incident) -> str:
        state = incident.state
        contacts = state.resident.contacts if state.resident else ()
        if not contacts or state.user is None:
            return "brukeren har ingen pårørende i registeret"
        tried = sum(c.to != RESIDENT and c.to != EMERGENCY for c in state.calls)
        contact = contacts[tried % len(contacts)]
        reached = self.residents.answers(state.user.number, state.incident_id,
                                         f"pårørende{tried}", RELATIVE_ANSWERS)
        who = f"{contact.name} ({contact.relation})"
        text = f"{who} svarer og kan dra innom." if reached else f"{who} svarer ikke."
        calls = (*state.calls, CallAttempt(at=self.now(), to=who, answered=reached, text=text))
        self._update(incident, action, calls=calls, detail=text)
        return ""

    def _call_emergency(self, action: OperatorAction, incident: Incident) -> str:
        if any(c.to == EMERGENCY for c in incident.state.calls):
            return "113 er allerede varslet"
        text = "AMK (113) er varslet og sender ambulanse."
        calls = (*incident.state.calls, CallAttempt(at=self.now(), to=EMERGENCY, answered=True,
                                                    text=text))
        self._update(incident, action, calls=calls, detail=text)
        return ""

    def _choose(self, action: OperatorAction, incident: Incident) -> str:
        if action.outcome is None:
            return "velg et utfall"
        self._update(incident, action, outcome=action.outcome, detail=action.outcome)
        return ""

    def _dispatch(self, action: OperatorAction, incident: Incident) -> str:
        if incident.state.visit_at is not None:
            return "hjemmebesøk er allerede sendt"
        self._update(incident, action, visit_at=self.now())
        return ""

    def _note(self, action: OperatorAction, incident: Incident) -> str:
        if not action.text:
            return "skriv notatet først"
        self._update(incident, action, notes=(*incident.state.notes, action.text),
                     detail=action.text)
        return ""

    def _close(self, action: OperatorAction, incident: Incident) -> str:
        if incident.state.outcome is None:
            return "velg utfall før du lukker"
        self._update(incident, action, phase="closed", closed_at=self.now(),
                     closed_by=action.operator)
        self._open.closed(incident.topic, incident.state.event, incident.state.incident_id)
        if action.operator in self.trainees:
            self.trainees[action.operator] = None
            self.publish_session()
        return ""

    def _release(self, ident: int | None, action: OperatorAction) -> None:
        """A trainee who logs out (or whose tab closed) hands their open incident back."""
        incident = self.incidents.get(ident or 0)
        if incident is None or incident.state.phase != "taken":
            return
        self._update(incident, action, phase="waiting", taken_at=None, taken_by=None,
                     detail="lagt tilbake i køen")

    def _update(self, incident: Incident, action: OperatorAction | None = None,
                detail: str = "", **changes: object) -> None:
        if action is not None:
            entry = HistoryEntry(at=self.now(), operator=action.operator, kind=action.kind,
                                 detail=detail)
            changes["history"] = (*incident.state.history, entry)
        incident.state = incident.state.model_copy(update=changes)
        self.publish_incident(incident)

    # simulated operators -----------------------------------------------------------------
    def tick(self) -> None:
        """Run the simulated operators' steps that are due, and give idle ones work."""
        now = self.now()
        while self._steps and self._steps[0].at <= now:
            heapq.heappop(self._steps).run()
        self.assign_simulated()

    def next_step(self) -> float:
        """Scenario time of the next simulated operator step (infinite if none)."""
        return self._steps[0].at if self._steps else math.inf

    def assign_simulated(self) -> None:
        """Every idle simulated operator takes the most urgent waiting incident."""
        for op in self.simulated:
            if op.incident_id is not None or op.retiring:
                continue
            incident = self._most_urgent()
            if incident is None:
                return
            op.incident_id = incident.state.incident_id
            self.send_simulated(op, "take")

    def _most_urgent(self) -> Incident | None:
        claimed = {op.incident_id for op in self.simulated}
        waiting = [i for i in self.incidents.values()
                   if i.state.phase == "waiting" and i.state.incident_id not in claimed]
        return min(waiting, key=lambda i: (i.state.priority, i.state.opened_at), default=None)

    def _plan_simulated(self, op: SimulatedOperator, incident: Incident) -> None:
        now, handling = self.now(), incident.handling
        outcome = incident.call_outcome
        self._later(now + 0.3 * handling, lambda: self.send_simulated(op, "call"))
        self._later(now + handling,
                    lambda: self.send_simulated(op, "choose_outcome", outcome=outcome))
        if outcome == "home_visit":
            self._later(now + handling, lambda: self.send_simulated(op, "dispatch_visit"))
        self._later(now + handling + incident.wrapup,
                    lambda: self.send_simulated(op, "note", text="Dokumentert."))
        self._later(now + handling + incident.wrapup, lambda: self._finish_simulated(op))

    def _finish_simulated(self, op: SimulatedOperator) -> None:
        self.send_simulated(op, "close")
        self._release_simulated(op.name)

    def _release_simulated(self, name: str) -> None:
        for op in self.simulated:
            if op.name == name:
                op.incident_id = None
        self.staff_seats()

    def _later(self, at: float, run: Callable[[], None]) -> None:
        heapq.heappush(self._steps, _Step(at, next(self._order), run))

    def send_simulated(self, op: SimulatedOperator, kind: str, outcome: str | None = None,
                       text: str | None = None) -> None:
        """A simulated operator's action, sent over the transport like a trainee's."""
        action = OperatorAction.model_validate({
            "action_id": f"{op.name}-{next(self._actions)}", "operator": op.name, "kind": kind,
            "incident_id": op.incident_id, "outcome": outcome, "text": text, "simulated": True,
            "ts": dt.datetime.fromtimestamp(self.wall(), dt.UTC), "session_id": self.session_id,
        })
        self.transport.publish(actions_topic(self.tenant, op.name),
                               signed(action, self.key).model_dump_json().encode(), qos=1)

    # publishing --------------------------------------------------------------------------
    def publish_incident(self, incident: Incident) -> None:
        """The incident's state, retained, for every console."""
        self.transport.publish(incident_topic(self.tenant, str(incident.state.incident_id)),
                               signed(incident.state, self.key).model_dump_json().encode(),
                               qos=1, retain=True)

    def session_state(self) -> SessionState:
        """The session as it stands: phase, clock, seats, who is on them."""
        seats = [OperatorSeat(name=name, simulated=False, incident_id=ident)
                 for name, ident in sorted(self.trainees.items())]
        seats += [OperatorSeat(name=op.name, simulated=True, incident_id=op.incident_id)
                  for op in self.simulated]
        return SessionState(
            session_id=self.session_id, scenario=self.scenario.name, tenant=self.tenant,
            start_date=self.scenario.start.isoformat(), start_at=self.training.start_s,
            end_at=self.training.end_s, phase=self.phase, scenario_at=self.now(),
            speed=self.speed, ts=dt.datetime.fromtimestamp(self.wall(), dt.UTC),
            seats=self.seats, operators=tuple(seats), pause_reason=self.pause_reason,
            zones=tuple(zone.name for zone in self.scenario.zones),
        )

    def publish_session(self) -> None:
        """The session state, retained."""
        self.transport.publish(session_topic(self.tenant),
                               signed(self.session_state(), self.key).model_dump_json()
                               .encode(), qos=1, retain=True)


RESIDENT = "bruker"
EMERGENCY = "113"
NO_ANSWER = "Ingen svar. Prøv igjen, ring pårørende eller send hjemmebesøk."
RELATIVE_ANSWERS = 0.6
"""Chance that a relative answers (antakelse: for training, not measured)."""


def answer_chance(event: str) -> float:
    """Chance that the resident answers the centre's call (antakelse, for training): lower
    after a fall or when a person with dementia has left home."""
    return 0.5 if "fall" in event or event in ("geofence_exit", "sos") else 0.85


PHASE_NB = {"waiting": "ventende", "taken": "tatt", "closed": "lukket"}
PHASE_REFUSAL = {
    "paused": "økten står på pause: ingen handlinger før treneren fortsetter",
    "stopped": "økten er stoppet",
    "waiting": "økten har ikke startet ennå",
}


def _nobody_listens(_place: str, _reason: str, _incident: int | None) -> None:
    """No one follows the judgements."""
