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

from typing import Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from devices.contract.topics import PREFIX, centre_topic, require_level

CENTRE_SCHEMA_VERSION: Final = "1.0"
OPERATOR_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

ActionKind = Literal[
    "login", "logout", "take", "call", "choose_outcome", "dispatch_visit", "note", "close",
]
"""What an operator does: log in or out; take an incident, call (the user or relatives), choose
the outcome (*respondere*), dispatch a home visit, write a note (*dokumentere*), close it."""

ACTION_KINDS: Final = ("login", "logout", "take", "call", "choose_outcome", "dispatch_visit",
                       "note", "close")
OutcomeName = Literal[
    "resolved_remotely", "relatives_called", "home_visit", "technical_followup",
    "emergency_services",
]
IncidentPhase = Literal["waiting", "taken", "closed"]
SessionPhase = Literal["waiting", "running", "paused", "ended", "stopped"]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal["1.0"] = CENTRE_SCHEMA_VERSION


class OperatorAction(_Message):
    """One action of one operator, sent on ``centre/actions/{operator}``."""

    action_id: str = Field(min_length=1, max_length=128, description="Unique id of the action.")
    operator: str = Field(pattern=OPERATOR_PATTERN, description="Operator (trainee) name.")
    kind: ActionKind
    incident_id: int | None = Field(None, ge=1, description="The incident acted on.")
    outcome: OutcomeName | None = Field(None, description="With choose_outcome.")
    text: str | None = Field(None, max_length=2000, description="With note.")
    simulated: bool = Field(False, description="Sent by a simulated operator.")
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
    """What a (simulated) call revealed: its text and the outcome it points to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: float
    text: str
    suggests: OutcomeName


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


class ControlCommand(_Message):
    """Pause, resume, change speed or stop a session, on ``centre/control/{source}``."""

    command: Literal["pause", "resume", "speed", "stop"]
    speed: float | None = Field(None, gt=0, le=10_000)


def actions_topic(tenant: str, operator: str) -> str:
    """Where an operator's console sends actions."""
    return centre_topic(tenant, "actions", operator)


def actions_subscription(tenant: str) -> str:
    """Every operator's actions."""
    return f"{PREFIX}/{require_level(tenant, 'tenant')}/centre/actions/+"


def results_topic(tenant: str, operator: str) -> str:
    """Where the centre answers an operator's actions."""
    return centre_topic(tenant, "results", operator)


def session_topic(tenant: str) -> str:
    """The retained session state."""
    return centre_topic(tenant, "session", "state")


def control_topic(tenant: str, source: str) -> str:
    """Where a trainer's console or command line sends control commands."""
    return centre_topic(tenant, "control", source)


def control_subscription(tenant: str) -> str:
    """Control commands from every source."""
    return f"{PREFIX}/{require_level(tenant, 'tenant')}/centre/control/+"


def centre_subscription(tenant: str) -> str:
    """Everything the centre publishes and receives under its topics."""
    return f"{PREFIX}/{require_level(tenant, 'tenant')}/centre/#"
