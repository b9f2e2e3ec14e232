"""The debrief (*gjennomgang*) of a recorded training session: per trainee and per incident.

Everything is computed from the recording alone: the centre's retained incident states (with
each incident's history of actions) and its session states. Times are on the scenario clock, so
pauses and speed changes do not distort them. *Time to take* runs from the alarm reaching the
centre to an operator taking it; *time to close* from the alarm to the incident being closed.
"""

from __future__ import annotations

import html
import json
import math
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from pydantic import ValidationError

from devices.contract.catalog import DEVICE_TYPES
from devices.contract.centre_actions import IncidentState, SessionState
from devices.contract.signing import verified
from vtsim.training.recording import Recorded, RecordingError


@dataclass(frozen=True, slots=True)
class IncidentResult:
    """How one incident was handled, against its expected handling."""

    incident_id: int
    device_id: str
    device_type: str
    event: str
    title: str
    priority: int
    scripted: bool
    opened_at: float
    taken_by: str
    closed_by: str
    time_to_take: float | None
    time_to_close: float | None
    outcome: str
    expected_outcome: str
    take_within: float
    close_within: float
    closed_at: float | None
    taken_at: float | None

    @property
    def outcome_right(self) -> bool:
        """Whether the chosen outcome is the expected one."""
        return bool(self.outcome) and self.outcome == self.expected_outcome

    @property
    def take_met(self) -> bool:
        """Whether it was taken within its target."""
        return self.time_to_take is not None and self.time_to_take <= self.take_within

    @property
    def close_met(self) -> bool:
        """Whether it was closed within its target."""
        return self.time_to_close is not None and self.time_to_close <= self.close_within


@dataclass(frozen=True, slots=True)
class Action:
    """One action of one operator, as the centre applied it."""

    at: float
    operator: str
    incident_id: int
    kind: str
    detail: str


@dataclass(slots=True)
class OperatorResult:
    """One operator's figures over the session."""

    name: str
    simulated: bool
    taken: int = 0
    closed: int = 0
    outcomes_right: int = 0
    takes_met: int = 0
    closes_met: int = 0
    mean_time_to_take: float | None = None
    mean_time_to_close: float | None = None
    actions: list[Action] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Debrief:
    """The whole debrief of one session."""

    session: SessionState
    incidents: tuple[IncidentResult, ...]
    operators: tuple[OperatorResult, ...]
    pauses: tuple[tuple[float, float], ...]


def session_messages(records: Iterable[Recorded], key: bytes | None = None) \
        -> tuple[list[SessionState], list[IncidentState]]:
    """The centre's session and incident states in a recording (others are skipped; with a
    ``key``, so are those not signed with it)."""
    sessions: list[SessionState] = []
    incidents: list[IncidentState] = []
    for record in records:
        parts = record.topic.split("/")
        if len(parts) != 6 or parts[3] != "centre":
            continue
        try:
            if parts[4] == "session":
                session = SessionState.model_validate_json(record.payload)
                if key is None or verified(session, key):
                    sessions.append(session)
            elif parts[4] == "incidents":
                incident = IncidentState.model_validate_json(record.payload)
                if key is None or verified(incident, key):
                    incidents.append(incident)
        except ValidationError:
            continue
    return sessions, incidents


def build_debrief(records: Iterable[Recorded], key: bytes | None = None) -> Debrief:
    """The debrief of the last session in a recording (with ``key``: signed messages only)."""
    sessions, states = session_messages(records, key)
    if not sessions:
        raise RecordingError("the recording holds no training session state "
                             "(record while `vtsim train` runs, with the session's tenant"
                             + (", and give that session's token)" if key else ")"))
    session = sessions[-1]
    mine = [s for s in sessions if s.session_id == session.session_id]
    latest: dict[int, IncidentState] = {}
    for state in states:
        if state.session_id == session.session_id:
            latest[state.incident_id] = state
    incidents = tuple(incident_result(s) for _, s in sorted(latest.items()))
    simulated = {seat.name for s in mine for seat in s.operators if seat.simulated}
    operators = operator_results(latest.values(), incidents, simulated)
    return Debrief(session, incidents, operators, pauses(mine))


def incident_result(state: IncidentState) -> IncidentResult:
    """One incident's figures from its last state."""
    def since_open(at: float | None) -> float | None:
        return None if at is None else at - state.opened_at

    return IncidentResult(
        state.incident_id, state.device_id, state.device_type, state.event, state.title,
        state.priority, state.scripted is not None, state.opened_at, state.taken_by or "",
        state.closed_by or "", since_open(state.taken_at), since_open(state.closed_at),
        state.outcome or "", state.expected_outcome or "", state.take_within,
        state.close_within, state.closed_at, state.taken_at,
    )


def operator_results(states: Iterable[IncidentState], incidents: tuple[IncidentResult, ...],
                     simulated: set[str]) -> tuple[OperatorResult, ...]:
    """Per operator: incidents taken and closed, outcomes right, targets met, their actions."""
    results: dict[str, OperatorResult] = {}

    def of(name: str) -> OperatorResult:
        return results.setdefault(name, OperatorResult(name, name in simulated))

    for state in states:
        for entry in state.history:
            if entry.operator:
                of(entry.operator).actions.append(
                    Action(entry.at, entry.operator, state.incident_id, entry.kind, entry.detail))
    for incident in incidents:
        if incident.taken_by:
            result = of(incident.taken_by)
            result.taken += 1
            result.takes_met += incident.take_met
        if incident.closed_by:
            result = of(incident.closed_by)
            result.closed += 1
            result.outcomes_right += incident.outcome_right
            result.closes_met += incident.close_met
    for result in results.values():
        result.actions.sort(key=lambda a: (a.at, a.incident_id))
        mine = [i for i in incidents if i.taken_by == result.name]
        result.mean_time_to_take = mean_of(i.time_to_take for i in mine)
        result.mean_time_to_close = mean_of(i.time_to_close for i in mine)
    return tuple(sorted(results.values(), key=lambda r: (r.simulated, r.name)))


def mean_of(values: Iterable[float | None]) -> float | None:
    """Mean of the known values, or None when there are none."""
    known = [v for v in values if v is not None]
    return statistics.fmean(known) if known else None


def pauses(sessions: list[SessionState]) -> tuple[tuple[float, float], ...]:
    """Scenario times at which the session was paused and resumed."""
    spans: list[tuple[float, float]] = []
    paused_at: float | None = None
    for state in sessions:
        if state.phase == "paused" and paused_at is None:
            paused_at = state.scenario_at
        elif state.phase != "paused" and paused_at is not None:
            spans.append((paused_at, state.scenario_at))
            paused_at = None
    return tuple(spans)


# --- presentation ---------------------------------------------------------------------------

LABELS: dict[str, dict[str, str]] = {
    "nb": {
        "title": "Gjennomgang av treningsøkt", "scenario": "Scenario", "session": "Økt",
        "period": "Tidsrom", "speed": "Hastighet", "trainees": "Per operatør",
        "incidents": "Per hendelse", "timeline": "Tidslinje",
        "operator": "Operatør", "simulated": "simulert", "trainee": "kursdeltaker",
        "taken": "Tatt", "closed": "Lukket", "mean_take": "Snittid til tatt",
        "mean_close": "Snittid til lukket", "outcomes_right": "Riktig utfall",
        "targets_met": "Tidsmål nådd", "actions": "Handlinger", "time": "Tid",
        "incident": "Hendelse", "action": "Handling", "detail": "Detaljer",
        "device": "Enhet", "event": "Hendelsestype", "priority": "Prioritet",
        "opened": "Mottatt", "time_to_take": "Tid til tatt", "time_to_close": "Tid til lukket",
        "outcome": "Utfall", "expected": "Forventet utfall", "take_target": "Mål tatt",
        "close_target": "Mål lukket", "yes": "ja", "no": "nei", "none": "–",
        "scripted": "skriptet", "waiting": "venter", "handling": "under behandling",
        "paused": "pause", "legend": "Grå: venter på operatør. Farget: tatt til lukket, "
        "én farge per operatør. ★ skriptet hendelse.",
        "summary": "Sammendrag", "of": "av",
    },
    "en": {
        "title": "Training session debrief", "scenario": "Scenario", "session": "Session",
        "period": "Period", "speed": "Speed", "trainees": "Per operator",
        "incidents": "Per incident", "timeline": "Timeline",
        "operator": "Operator", "simulated": "simulated", "trainee": "trainee",
        "taken": "Taken", "closed": "Closed", "mean_take": "Mean time to take",
        "mean_close": "Mean time to close", "outcomes_right": "Right outcome",
        "targets_met": "Targets met", "actions": "Actions", "time": "Time",
        "incident": "Incident", "action": "Action", "detail": "Detail",
        "device": "Device", "event": "Event", "priority": "Priority",
        "opened": "Received", "time_to_take": "Time to take", "time_to_close": "Time to close",
        "outcome": "Outcome", "expected": "Expected outcome", "take_target": "Take target",
        "close_target": "Close target", "yes": "yes", "no": "no", "none": "–",
        "scripted": "scripted", "waiting": "waiting", "handling": "being handled",
        "paused": "paused", "legend": "Grey: waiting for an operator. Coloured: taken to "
        "closed, one colour per operator. ★ scripted event.",
        "summary": "Summary", "of": "of",
    },
}

OUTCOME_LABELS: dict[str, dict[str, str]] = {
    "nb": {"resolved_remotely": "løst på telefon", "relatives_called": "pårørende kontaktet",
           "home_visit": "hjemmebesøk", "technical_followup": "teknisk oppfølging",
           "emergency_services": "nødetatene (113)"},
    "en": {"resolved_remotely": "resolved remotely", "relatives_called": "relatives called",
           "home_visit": "home visit", "technical_followup": "technical follow-up",
           "emergency_services": "emergency services (113)"},
}

ACTION_LABELS: dict[str, dict[str, str]] = {
    "nb": {"take": "tok hendelsen", "call": "ringte brukeren", "call_relative":
           "ringte pårørende", "call_emergency": "ringte 113", "choose_outcome": "valgte utfall",
           "dispatch_visit": "sendte hjemmebesøk", "note": "skrev notat", "close": "lukket",
           "login": "logget inn", "logout": "logget ut"},
    "en": {"take": "took the incident", "call": "called the resident", "call_relative":
           "called a relative", "call_emergency": "called 113", "choose_outcome": "chose outcome",
           "dispatch_visit": "dispatched a visit", "note": "wrote a note", "close": "closed",
           "login": "logged in", "logout": "logged out"},
}

EVENTS_NB: dict[str, str] = {
    "button_need": "trenger hjelp", "button_accidental": "utløst ved feil",
    "button_information": "ønsker informasjon", "fall_detected": "fall oppdaget",
    "battery_low": "lavt batteri", "connection_lost": "forbindelse tapt",
    "geofence_exit": "forlatt sone", "sos": "SOS", "door_open_too_long": "dør åpen for lenge",
    "jammed": "låst seg", "night_door_opened": "dør åpnet om natten",
    "dose_missed": "glemt dose", "empty": "tom", "refill_due": "påfyll trengs",
    "bed_exit_no_return": "ute av seng, ikke tilbake", "fall": "fall",
}
"""Events in bokmål, as the console names them."""

COLOURS = ("#1b6ca8", "#d1495b", "#2e8540", "#8e44ad", "#e08e0b", "#117a65", "#6c3483",
           "#a04000")


def clock(seconds: float) -> str:
    """A scenario time as ``HH:MM:SS`` of its day."""
    total = round(seconds) % 86400
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def duration(seconds: float | None, lang: str) -> str:
    """A duration as ``45 s`` or ``3 min 05 s``."""
    if seconds is None or math.isnan(seconds):
        return LABELS[lang]["none"]
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    return f"{whole // 60} min {whole % 60:02d} s"


def event_label(device_type: str, event: str, lang: str) -> str:
    """Device kind and event, in the language (catalog names)."""
    kind = DEVICE_TYPES.get(device_type)
    if kind is None:
        return f"{device_type}.{event}"
    name = kind.name_nb if lang == "nb" else device_type.replace("_", " ")
    words = EVENTS_NB.get(event) if lang == "nb" else None
    return f"{name}: {words or event.replace('_', ' ')}"


def render_json(debrief: Debrief) -> str:
    """The debrief as JSON (for spreadsheets and scripts)."""
    document = {
        "session": json.loads(debrief.session.model_dump_json()),
        "incidents": [{**asdict(i), "outcome_right": i.outcome_right, "take_met": i.take_met,
                       "close_met": i.close_met} for i in debrief.incidents],
        "operators": [asdict(o) for o in debrief.operators],
        "pauses": [list(p) for p in debrief.pauses],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_html(debrief: Debrief, lang: str) -> str:
    """A self-contained HTML page: summary, per operator, per incident, timeline (inline SVG)."""
    t = LABELS[lang]
    s = debrief.session
    head = (f"<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(t['title'])}: {esc(s.scenario)}</title><style>{CSS}</style></head>"
            f"<body><h1>{esc(t['title'])}</h1>")
    facts = (f"<p><b>{t['scenario']}:</b> {esc(s.scenario)} · <b>{t['session']}:</b> "
             f"{esc(s.session_id)} · <b>{t['period']}:</b> {esc(s.start_date)} "
             f"{clock(s.start_at)}–{clock(s.end_at)} · <b>{t['speed']}:</b> {s.speed:g}×</p>")
    parts = [head, facts, operators_html(debrief, lang), incidents_html(debrief, lang),
             f"<h2>{t['timeline']}</h2>", timeline_svg(debrief, lang),
             f"<p class=\"legend\">{esc(t['legend'])}</p></body></html>\n"]
    return "".join(parts)


def esc(text: object) -> str:
    """HTML-escaped text."""
    return html.escape(str(text))


def yes_no(value: bool, lang: str) -> str:
    """A ✓/✗ cell."""
    t = LABELS[lang]
    return f"<td class=\"{'ok' if value else 'bad'}\">{t['yes'] if value else t['no']}</td>"


def operators_html(debrief: Debrief, lang: str) -> str:
    """The per-operator table and each operator's actions."""
    t = LABELS[lang]
    rows = []
    for op in debrief.operators:
        kind = t["simulated"] if op.simulated else t["trainee"]
        rows.append(
            f"<tr><td>{esc(op.name)} <small>({kind})</small></td><td>{op.taken}</td>"
            f"<td>{op.closed}</td><td>{duration(op.mean_time_to_take, lang)}</td>"
            f"<td>{duration(op.mean_time_to_close, lang)}</td>"
            f"<td>{op.outcomes_right} {t['of']} {op.closed}</td>"
            f"<td>{op.takes_met + op.closes_met} {t['of']} {op.taken + op.closed}</td></tr>")
    table = (f"<h2>{t['trainees']}</h2><table class=\"operators\"><tr><th>{t['operator']}</th>"
             f"<th>{t['taken']}</th><th>{t['closed']}</th><th>{t['mean_take']}</th>"
             f"<th>{t['mean_close']}</th><th>{t['outcomes_right']}</th>"
             f"<th>{t['targets_met']}</th></tr>{''.join(rows)}</table>")
    details = [actions_html(op, lang) for op in debrief.operators if not op.simulated]
    return table + "".join(details)


def actions_html(op: OperatorResult, lang: str) -> str:
    """One trainee's actions in order."""
    t = LABELS[lang]
    rows = "".join(
        f"<tr class=\"action\" data-operator=\"{esc(a.operator)}\" data-incident=\""
        f"{a.incident_id}\" data-kind=\"{esc(a.kind)}\"><td>{clock(a.at)}</td>"
        f"<td>{a.incident_id}</td><td>{esc(ACTION_LABELS[lang].get(a.kind, a.kind))}</td>"
        f"<td>{esc(OUTCOME_LABELS[lang].get(a.detail, a.detail))}</td></tr>"
        for a in op.actions)
    return (f"<h3>{t['actions']}: {esc(op.name)}</h3><table class=\"actions\"><tr>"
            f"<th>{t['time']}</th><th>{t['incident']}</th><th>{t['action']}</th>"
            f"<th>{t['detail']}</th></tr>{rows}</table>")


def incidents_html(debrief: Debrief, lang: str) -> str:
    """The per-incident table."""
    t = LABELS[lang]
    outcomes = OUTCOME_LABELS[lang]
    rows = []
    for i in debrief.incidents:
        star = " ★" if i.scripted else ""
        title = f"<br><small>{esc(i.title)}</small>" if i.title else ""
        rows.append(
            f"<tr class=\"incident\" data-incident=\"{i.incident_id}\"><td>{i.incident_id}{star}"
            f"</td><td>{esc(i.device_id)}</td><td>{esc(event_label(i.device_type, i.event, lang))}"
            f"{title}</td><td>{i.priority}</td><td>{clock(i.opened_at)}</td>"
            f"<td>{esc(i.taken_by) or t['none']}</td>"
            f"<td>{duration(i.time_to_take, lang)}</td><td>{duration(i.time_to_close, lang)}</td>"
            f"<td>{esc(outcomes.get(i.outcome, t['none']))}</td>"
            f"<td>{esc(outcomes.get(i.expected_outcome, t['none']))}</td>"
            f"{yes_no(i.outcome_right, lang)}{yes_no(i.take_met, lang)}"
            f"{yes_no(i.close_met, lang)}</tr>")
    return (f"<h2>{t['incidents']}</h2><table class=\"incidents\"><tr><th>#</th>"
            f"<th>{t['device']}</th><th>{t['event']}</th><th>{t['priority']}</th>"
            f"<th>{t['opened']}</th><th>{t['operator']}</th><th>{t['time_to_take']}</th>"
            f"<th>{t['time_to_close']}</th><th>{t['outcome']}</th><th>{t['expected']}</th>"
            f"<th>{t['outcomes_right']}</th><th>{t['take_target']}</th>"
            f"<th>{t['close_target']}</th></tr>{''.join(rows)}</table>")


def timeline_svg(debrief: Debrief, lang: str) -> str:
    """Each incident as a row: waiting (grey), then taken to closed (operator's colour)."""
    s = debrief.session
    ends = [i.closed_at for i in debrief.incidents if i.closed_at is not None]
    start, end = s.start_at, max([s.end_at, s.scenario_at, *ends])
    width, left, row = 900, 150, 18
    height = 40 + row * max(1, len(debrief.incidents))
    scale = (width - left - 10) / max(end - start, 1.0)
    colours = {op.name: COLOURS[n % len(COLOURS)] for n, op in enumerate(debrief.operators)}

    def x(at: float) -> float:
        return left + (at - start) * scale

    parts = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" "
             f"role=\"img\" aria-label=\"{esc(LABELS[lang]['timeline'])}\">"]
    for a, b in debrief.pauses:
        parts.append(f"<rect x=\"{x(a):.1f}\" y=\"20\" width=\"{max(1.0, (b - a) * scale):.1f}\" "
                     f"height=\"{height - 20}\" fill=\"#f3e9c6\"><title>"
                     f"{LABELS[lang]['paused']}</title></rect>")
    parts.extend(axis_ticks(start, end, x, height))
    for n, i in enumerate(debrief.incidents):
        y = 24 + n * row
        label = f"{i.incident_id}{' ★' if i.scripted else ''} {i.device_id}"
        parts.append(f"<text x=\"4\" y=\"{y + 11}\" font-size=\"11\">{esc(label)}</text>")
        taken = i.taken_at if i.taken_at is not None else end
        parts.append(bar(x(i.opened_at), x(taken), y, "#bbbbbb",
                         f"{LABELS[lang]['waiting']} {duration(taken - i.opened_at, lang)}"))
        if i.taken_at is not None:
            closed = i.closed_at if i.closed_at is not None else end
            parts.append(bar(x(i.taken_at), x(closed), y, colours.get(i.taken_by, "#555"),
                             f"{i.taken_by}: {LABELS[lang]['handling']} "
                             f"{duration(closed - i.taken_at, lang)}"))
    parts.append("</svg>")
    return "".join(parts)


def bar(x0: float, x1: float, y: float, colour: str, title: str) -> str:
    """One bar of the timeline with a tooltip."""
    return (f"<rect x=\"{x0:.1f}\" y=\"{y}\" width=\"{max(1.5, x1 - x0):.1f}\" height=\"12\" "
            f"fill=\"{colour}\"><title>{esc(title)}</title></rect>")


def axis_ticks(start: float, end: float, x: object, height: int) -> list[str]:
    """Hourly (or finer) clock ticks along the top of the timeline."""
    span = end - start
    step = next((s for s in (60, 300, 900, 1800, 3600, 7200) if span / s <= 12), 14400)
    first = math.ceil(start / step) * step
    ticks = []
    position = x  # a callable mapping scenario time to pixels
    for at in range(int(first), int(end) + 1, step):
        px = position(at)  # type: ignore[operator]
        ticks.append(f"<line x1=\"{px:.1f}\" y1=\"16\" x2=\"{px:.1f}\" y2=\"{height}\" "
                     f"stroke=\"#e4e4e4\"/><text x=\"{px:.1f}\" y=\"12\" font-size=\"10\" "
                     f"text-anchor=\"middle\">{clock(at)[:5]}</text>")
    return ticks


CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:14px}
th{background:#f2f2f2}td.ok{background:#e3f4e1}td.bad{background:#fbe3e3}
.legend{font-size:13px;color:#555}small{color:#666}
"""
