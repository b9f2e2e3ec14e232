"""Frozen records that the model's processes append; every metric is computed from these only."""

from __future__ import annotations

from typing import NamedTuple

PLACES = ("incident", "correlated", "duplicate", "rejected", "info")
"""Where a received message ends: it opened an incident, joined one, was a duplicate, was
rejected, or carried information only. Every message ends in exactly one of them."""


class MessageRecord(NamedTuple):
    """One message as the centre received it (*motta*)."""

    replication: int
    message_id: str
    device_id: str
    device_type: str
    event: str
    t_received: float
    place: str
    incident_id: int
    reason: str


class IncidentRecord(NamedTuple):
    """One incident from first message to documentation (times in simulated seconds)."""

    replication: int
    incident_id: int
    device_id: str
    device_type: str
    event: str
    user_profile: str
    zone: str
    priority: int
    messages: int
    t_received: float
    t_answered: float
    t_handled: float
    t_closed: float
    operator: str
    shift: str
    outcome: str
    state: str


class VisitRecord(NamedTuple):
    """One home-care visit dispatched by the centre (response time is alarm to arrival)."""

    replication: int
    incident_id: int
    zone: str
    priority: int
    t_alarm: float
    t_requested: float
    t_assigned: float
    t_arrived: float
    t_departed: float
    t_returned: float
    worker: str
    shift: str
    state: str


class StaffingRecord(NamedTuple):
    """One shift worked: who was on duty when (the denominator of utilisation)."""

    replication: int
    pool: str
    shift: str
    start: float
    end: float
    workers: int


class TelemetryRecord(NamedTuple):
    """Messages counted rather than simulated one by one (periodic telemetry, information)."""

    replication: int
    device_type: str
    event: str
    messages: int


class RunLog:
    """All records of one replication, appended as the simulation runs."""

    __slots__ = ("incidents", "messages", "staffing", "telemetry", "visits")

    def __init__(self) -> None:
        self.messages: list[MessageRecord] = []
        self.incidents: list[IncidentRecord] = []
        self.visits: list[VisitRecord] = []
        self.staffing: list[StaffingRecord] = []
        self.telemetry: list[TelemetryRecord] = []

    def tables(self) -> dict[str, list[tuple[object, ...]]]:
        """The records by table name, in a fixed order."""
        return {
            "messages": list(self.messages),
            "incidents": list(self.incidents),
            "visits": list(self.visits),
            "staffing": list(self.staffing),
            "telemetry": list(self.telemetry),
        }


TABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "messages": MessageRecord._fields,
    "incidents": IncidentRecord._fields,
    "visits": VisitRecord._fields,
    "staffing": StaffingRecord._fields,
    "telemetry": TelemetryRecord._fields,
}
