"""The centre topics of a training session: operator actions, incident state, session and control.

Operators (trainees in the console, and simulated operators filling empty seats) send their
actions as messages, like the consoles of a real response centre; the centre answers each with a
result and publishes the state of every incident (retained). Everything here travels on
``vt/v1/{tenant}/centre/...`` (:func:`devices.contract.topics.centre_topic`):

| topic | from → to | model |
|---|---|---|
| ``centre/actions/{operator}`` | console → centre | :class:`OperatorAction` |
| ``centre/results/{operator}`` | centre → console | :class:`ActionResult` |
| ``centre/incidents/{incident}`` (retained) | centre → consoles | :class:`IncidentState` |
| ``centre/session/state`` (retained) | centre → consoles | :class:`SessionState` |
| ``centre/control/{source}`` | trainer → centre | :class:`ControlCommand` |

Times named ``*_at`` are seconds on the scenario clock (simulated seconds since local midnight
of the scenario's first day); ``ts`` fields are wall-clock UTC.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from devices.contract.topics import PREFIX, centre_topic, require_tenant

CENTRE_SCHEMA_VERSION: Final = "1.0"
OPERATOR_PATTERN: Final = r"^\w[\w .'-]{0,62}$"
"""Operator names: letters of any alphabet (æ, ø, å too), digits, space, ``.'-``; 1..63."""
SIMULATED_NAME: Final = re.compile(r"sim-\d+")
"""Names of simulated operators (``sim-1``, ``sim-2``, …): reserved, no trainee may take one."""
TRANSLITERATION: Final = str.maketrans({"æ": "ae", "ø": "o", "å": "aa", "Æ": "ae", "Ø": "o",
                                        "Å": "aa", "ß": "ss"})

ActionKind = Literal[
    "login", "logout", "take", "call", "call_relative", "call_emergency", "choose_outcome",
    "dispatch_visit", "note", "close",
]
"""What an operator does: log in or out; take an incident, call the resident, call the next
relative in call order, call 113, choose the outcome (*respondere*), dispatch a home visit,
write a note (*dokumentere*), close it."""

ACTION_KINDS: Final = ("login", "logout", "take", "call", "call_relative", "call_emergency",
                       "choose_outcome", "dispatch_visit", "note", "close")
OutcomeName = Literal[
    "resolved_remotely", "relatives_called", "home_visit", "technical_followup",
    "emergency_services",
]
IncidentPhase = Literal["waiting", "taken", "closed"]
SessionPhase = Literal["waiting", "running", "paused", "ended", "stopped"]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal["1.0"] = CENTRE_SCHEMA_VERSION
    sig: str = Field("", max_length=128, description=(
        "HMAC-SHA256 (hex) of the message without ``sig``, keyed with the session's secret "
        "(devices/contract/signing.py); messages without a valid one are ignored."))


class OperatorAction(_Message):
    """One action of one operator, sent on ``centre/actions/{operator}``."""

    action_id: str = Field(min_length=1, max_length=128, description="Unique id of the action.")
    operator: str = Field(pattern=OPERATOR_PATTERN, description="Operator (trainee) name.")
    kind: ActionKind
    incident_id: int | None = Field(None, ge=1, description="The incident acted on.")
    outcome: OutcomeName | None = Field(None, description="With choose_outcome.")
    text: str | None = Field(None, max_length=2000, description="With note.")
    simulated: bool = Field(False, description="Sent by a simulated operator.")
    session_id: str = Field("", max_length=64, description="The session acted in.")
    ts: AwareDatetime = Field(description="When the operator acted (wall clock, UTC).")


class ActionResult(_Message):
    """The centre's answer to one action, on ``centre/results/{operator}``."""

    action_id: str
    operator: str
    accepted: bool
    reason: str = Field("", description="Why an action was refused, for the operator.")
    at: float = Field(description="Scenario time the centre handled the action.")


class HistoryEntry(BaseModel):
    """One step in an incident's life: who did what when (scenario time)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: float
    operator: str
    kind: str
    detail: str = ""


class CallResult(BaseModel):
    """What a (simulated) call revealed: its text and the outcome it points to.

    ``suggests`` is part of the answer key: consoles show it to the trainer only.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: float
    text: str
    suggests: OutcomeName | None = None
    answered: bool = True


class CallAttempt(BaseModel):
    """One call of the call flow: whom, and whether they answered."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: float
    to: str = Field(description="resident, a relative's name, or 113.")
    answered: bool
    text: str = ""


class Contact(BaseModel):
    """A relative or neighbour on the resident card, in call order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    relation: str
    phone: str


class ResidentCard(BaseModel):
    """The resident behind an alarm, as the centre's register shows them (synthetic data)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    born: int
    address: str
    phone: str
    key_box: str = Field(description="Where the key is (nøkkelboks) and its code.")
    contacts: tuple[Contact, ...] = Field(description="Relatives in call order.")
    care_notes: tuple[str, ...] = ()
    important: tuple[str, ...] = Field((), description="The card's important-information panel.")


class Position(BaseModel):
    """Where a GPS alarm was raised: the map's zone and a point in it (0..1 across, 0..1 down)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zone: str
    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    lat: float | None = None
    lon: float | None = None


class UserInfo(BaseModel):
    """The service user behind a device: user group (*brukergruppe*), zone and device kit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    number: int
    profile: str
    zone: str
    devices: tuple[str, ...]


class IncidentState(_Message):
    """The state of one incident, retained on ``centre/incidents/{incident_id}``."""

    session_id: str
    incident_id: int = Field(ge=1)
    device_id: str
    device_type: str
    event: str
    priority: int = Field(ge=1, le=5)
    user: UserInfo | None = None
    resident: ResidentCard | None = None
    position: Position | None = None
    calls: tuple[CallAttempt, ...] = ()
    messages: int = Field(1, ge=1, description="Device messages joined to this incident.")
    phase: IncidentPhase
    opened_at: float
    taken_at: float | None = None
    taken_by: str | None = None
    call: CallResult | None = None
    outcome: OutcomeName | None = None
    visit_at: float | None = None
    closed_at: float | None = None
    closed_by: str | None = None
    notes: tuple[str, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    scripted: int | None = Field(None, description="Index of the scripted event, if scripted.")
    title: str = ""
    expected_outcome: OutcomeName | None = Field(
        None, description="The right outcome (scripted, or what the call reveals)."
    )
    take_within: float = Field(description="Target: alarm to taken, seconds.")
    close_within: float = Field(description="Target: alarm to closed, seconds.")


class OperatorSeat(BaseModel):
    """Somebody on a seat: a trainee by name or a simulated operator."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    simulated: bool
    incident_id: int | None = None


class SessionState(_Message):
    """The session and its scenario clock, retained on ``centre/session/state``."""

    session_id: str
    scenario: str
    tenant: str
    start_date: str = Field(description="Date of scenario day 1 (ISO).")
    start_at: float
    end_at: float
    phase: SessionPhase
    scenario_at: float = Field(description="Scenario clock when this state was published.")
    speed: float = Field(gt=0)
    ts: AwareDatetime = Field(description="Wall clock when this state was published.")
    seats: int
    operators: tuple[OperatorSeat, ...] = ()
    pause_reason: str = Field("", description="Why the session paused by itself (bokmål).")
    zones: tuple[str, ...] = Field((), description="The scenario's zones (for the map).")


class ControlCommand(_Message):
    """Pause, resume, change speed, stop or inject a scripted event, on ``centre/control/{source}``.

    A session obeys only commands signed with its secret, sent within the last
    :data:`CONTROL_FRESH_S` seconds (``ts``) and with a ``nonce`` it has not seen.
    """

    command: Literal["pause", "resume", "speed", "stop", "inject"]
    speed: float | None = Field(None, ge=0.01, le=10_000)
    script: int | None = Field(None, ge=0, description="With inject: the scripted event's index.")
    nonce: str = Field("", max_length=64)
    ts: AwareDatetime | None = None


CONTROL_FRESH_S: Final = 60.0
"""How old (wall clock) a control command may be and still be obeyed."""


def operator_key(name: str) -> str:
    """The ASCII topic level of an operator name: ``Bjørn Åsen`` → ``bjorn-aasen``."""
    plain = unicodedata.normalize("NFKD", name.strip().translate(TRANSLITERATION))
    ascii_only = plain.encode("ascii", "ignore").decode("ascii").lower()
    key = re.sub(r"[^a-z0-9_.]+", "-", ascii_only).strip("-.")[:64]
    return key or "x"


def reserved_name(name: str) -> bool:
    """Whether a name is a simulated operator's (``sim-1``), in any spelling (``Sim 1``)."""
    return SIMULATED_NAME.fullmatch(operator_key(name)) is not None


def actions_topic(tenant: str, operator: str) -> str:
    """Where an operator's console sends actions (keyed by :func:`operator_key`)."""
    return centre_topic(tenant, "actions", operator_key(operator))


def actions_subscription(tenant: str) -> str:
    """Every operator's actions."""
    return f"{PREFIX}/{require_tenant(tenant)}/centre/actions/+"


def results_topic(tenant: str, operator: str) -> str:
    """Where the centre answers an operator's actions (keyed by :func:`operator_key`)."""
    return centre_topic(tenant, "results", operator_key(operator))


def session_topic(tenant: str) -> str:
    """The retained session state."""
    return centre_topic(tenant, "session", "state")


def control_topic(tenant: str, source: str) -> str:
    """Where a trainer's console or command line sends control commands."""
    return centre_topic(tenant, "control", source)


def control_subscription(tenant: str) -> str:
    """Control commands from every source."""
    return f"{PREFIX}/{require_tenant(tenant)}/centre/control/+"


def centre_subscription(tenant: str) -> str:
    """Everything the centre publishes and receives under its topics."""
    return f"{PREFIX}/{require_tenant(tenant)}/centre/#"
