"""The catalog of device kinds and their events: the single source of truth of the message contract.

Message models (:mod:`devices.messages`), device classes, the JSON Schema and the documentation
are all generated from the specs defined here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from devices.errors import UnknownDeviceType, UnknownEvent

__all__ = [
    "DEVICE_TYPES",
    "DeviceTypeSpec",
    "EventSpec",
    "FieldSpec",
    "UnknownDeviceType",
    "UnknownEvent",
    "device_type_spec",
    "event_spec",
]

FieldType = Literal["float", "int", "str"]

IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
"""Identifiers inside payloads (staff, doses, geofences): like device ids, 1..64 safe characters."""

CLOCK_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
"""A local clock time ``HH:MM`` (24-hour)."""

LEAST_URGENT = 5
"""Priority 5 is the least urgent; it is also the placeholder priority of non-incident events."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One event-specific payload field: its JSON type, unit, bounds and an example value."""

    name: str
    type: FieldType
    unit: str | None
    description: str
    example: float | int | str
    ge: float | None = None
    le: float | None = None
    required: bool = True
    pattern: str | None = None


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One event a device kind can send, what it means and how the centre treats it."""

    device_type: str
    event: str
    meaning: str
    meaning_nb: str
    incident: bool
    default_priority: int
    periodic: bool
    fields: tuple[FieldSpec, ...]

    def __post_init__(self) -> None:
        """Reject priorities outside 1..5 so that a catalog typo fails at import time."""
        if not 1 <= self.default_priority <= LEAST_URGENT:
            raise ValueError(f"{self.device_type}.{self.event}: priority must be 1..5")


@dataclass(frozen=True, slots=True)
class DeviceTypeSpec:
    """One kind of device and the events it sends, in catalog order."""

    name: str
    name_nb: str
    description: str
    events: Mapping[str, EventSpec]


# --- field builders -------------------------------------------------------------------------


def battery_pct(example: int) -> FieldSpec:
    """Remaining battery charge in percent."""
    return FieldSpec("battery_pct", "int", "%", "Remaining battery charge.", example, ge=0, le=100)


def confidence(example: float) -> FieldSpec:
    """How sure the sensor is of its detection, 0..1."""
    return FieldSpec(
        "confidence",
        "float",
        None,
        "Detector confidence, 0 (none) to 1 (certain).",
        example,
        ge=0.0,
        le=1.0,
    )


def position_fields() -> tuple[FieldSpec, ...]:
    """Latitude, longitude (WGS 84) and horizontal accuracy of a position fix."""
    return (
        FieldSpec("lat", "float", "deg", "Latitude, WGS 84.", 59.7801, ge=-90.0, le=90.0),
        FieldSpec("lon", "float", "deg", "Longitude, WGS 84.", 10.2412, ge=-180.0, le=180.0),
        FieldSpec("accuracy_m", "float", "m", "Horizontal accuracy (radius).", 8.5, ge=0.0),
    )


def identifier(name: str, description: str, example: str) -> FieldSpec:
    """A short identifier string (1..64 letters, digits, ``_.-``)."""
    return FieldSpec(name, "str", None, description, example, pattern=IDENTIFIER_PATTERN)


def dose_fields() -> tuple[FieldSpec, ...]:
    """Which dose of the schedule, and when it was due (local clock time)."""
    return (
        identifier("dose_id", "Identifier of the dose in the medication schedule.", "d-0800"),
        FieldSpec(
            "scheduled_at",
            "str",
            None,
            "Scheduled local clock time of the dose, HH:MM.",
            "08:00",
            pattern=CLOCK_TIME_PATTERN,
        ),
    )


def count(name: str, unit: str | None, description: str, example: int) -> FieldSpec:
    """A non-negative integer such as a duration in whole units or a number of items."""
    return FieldSpec(name, "int", unit, description, example, ge=0)


# --- event builders -------------------------------------------------------------------------


def incident_event(
    device_type: str,
    event: str,
    priority: int,
    meaning: str,
    meaning_nb: str,
    *fields: FieldSpec,
) -> EventSpec:
    """An event for which the centre opens an incident that an operator must assess."""
    return EventSpec(device_type, event, meaning, meaning_nb, True, priority, False, fields)


def information_event(
    device_type: str,
    event: str,
    meaning: str,
    meaning_nb: str,
    *fields: FieldSpec,
    periodic: bool = False,
) -> EventSpec:
    """An event that is information or telemetry only; no incident is opened."""
    return EventSpec(device_type, event, meaning, meaning_nb, False, LEAST_URGENT, periodic, fields)


def device_kind(name: str, name_nb: str, description: str, *events: EventSpec) -> DeviceTypeSpec:
    """A device kind with its events, checked for consistency."""
    by_name = {spec.event: spec for spec in events}
    if len(by_name) != len(events) or any(spec.device_type != name for spec in events):
        raise ValueError(f"{name}: duplicate events or events of another device type")
    return DeviceTypeSpec(name, name_nb, description, MappingProxyType(by_name))


# --- the catalog ----------------------------------------------------------------------------


def safety_alarm_spec() -> DeviceTypeSpec:
    """Safety alarm (*trygghetsalarm*): wearable button plus base unit in the home."""
    t = "safety_alarm"
    return device_kind(
        t,
        "trygghetsalarm",
        "Personal safety alarm: a wearable button and a base unit that calls the centre.",
        incident_event(
            t,
            "button_need",
            2,
            "The user pressed the alarm button and needs help.",
            "Brukeren trykket på alarmknappen og trenger hjelp.",
        ),
        incident_event(
            t,
            "button_accidental",
            3,
            "The user marked the button press as accidental; the centre must still call back.",
            "Brukeren markerte trykket som utilsiktet; responssenteret må likevel ringe tilbake.",
        ),
        incident_event(
            t,
            "button_information",
            3,
            "The user pressed the button to ask for information or a non-urgent service.",
            "Brukeren trykket på knappen for å be om informasjon eller en ikke-hastende tjeneste.",
        ),
        incident_event(
            t,
            "fall_detected",
            1,
            "The fall sensor detected a probable fall.",
            "Fallsensoren registrerte et sannsynlig fall.",
            confidence(0.87),
        ),
        information_event(
            t,
            "heartbeat",
            "Periodic sign of life from the alarm, with its battery level.",
            "Periodisk livstegn fra alarmen, med batterinivå.",
            battery_pct(87),
            periodic=True,
        ),
        incident_event(
            t,
            "battery_low",
            4,
            "The alarm's battery is low and must be charged or replaced.",
            "Batteriet i alarmen er lavt og må lades eller byttes.",
            battery_pct(12),
        ),
        incident_event(
            t,
            "connection_lost",
            3,
            "The platform lost contact with the alarm; sent by the platform for the device.",
            "Plattformen har mistet kontakten med alarmen; sendes av plattformen for enheten.",
            count("last_seen_s", "s", "Seconds since the last contact with the device.", 900),
        ),
    )


def gps_tracker_spec() -> DeviceTypeSpec:
    """GPS tracker (*lokaliseringsteknologi*): worn by people at risk of getting lost."""
    t = "gps_tracker"
    return device_kind(
        t,
        "lokaliseringsteknologi (GPS)",
        "Wearable GPS tracker with geofences and an SOS button.",
        incident_event(
            t,
            "geofence_exit",
            1,
            "The wearer left an agreed safe zone.",
            "Brukeren forlot en avtalt trygg sone.",
            *position_fields(),
            identifier("geofence_id", "Identifier of the geofence that was left.", "home-zone"),
        ),
        incident_event(
            t,
            "sos",
            1,
            "The wearer pressed the SOS button.",
            "Brukeren trykket på SOS-knappen.",
            *position_fields(),
        ),
        information_event(
            t,
            "position",
            "Periodic position report.",
            "Periodisk posisjonsrapport.",
            *position_fields(),
            periodic=True,
        ),
        incident_event(
            t,
            "battery_low",
            4,
            "The tracker's battery is low and must be charged.",
            "Batteriet i sporingsenheten er lavt og må lades.",
            battery_pct(12),
        ),
    )


def e_lock_spec() -> DeviceTypeSpec:
    """Electronic door lock (*e-lås*): home-care staff open it with a digital key."""
    t = "e_lock"
    staff_id = identifier("staff_id", "Identifier of the home-care worker's digital key.", "hs-017")
    return device_kind(
        t,
        "e-lås",
        "Electronic door lock opened by home-care staff with a digital key.",
        information_event(
            t,
            "unlocked_by_staff",
            "Home-care staff unlocked the door with a digital key (visit record).",
            "Hjemmetjenesten låste opp døren med digital nøkkel (besøksregistrering).",
            staff_id,
        ),
        information_event(
            t,
            "locked_by_staff",
            "Home-care staff locked the door when leaving (visit record).",
            "Hjemmetjenesten låste døren ved avreise (besøksregistrering).",
            staff_id,
        ),
        incident_event(
            t,
            "door_open_too_long",
            3,
            "The door has stood open longer than allowed.",
            "Døren har stått åpen lenger enn tillatt.",
            count("open_s", "s", "Seconds the door has been open.", 420),
        ),
        incident_event(
            t,
            "jammed",
            3,
            "The lock mechanism is jammed.",
            "Låsemekanismen har satt seg fast.",
        ),
        incident_event(
            t,
            "battery_low",
            4,
            "The lock's battery is low and must be replaced.",
            "Batteriet i låsen er lavt og må byttes.",
            battery_pct(12),
        ),
        incident_event(
            t,
            "night_door_opened",
            2,
            "The resident opened the door during the night.",
            "Beboeren åpnet døren om natten.",
        ),
    )


def medicine_dispenser_spec() -> DeviceTypeSpec:
    """Medicine dispenser (*elektronisk medisineringsstøtte*): hands out scheduled doses."""
    t = "medicine_dispenser"
    return device_kind(
        t,
        "medisindispenser",
        "Electronic medicine dispenser that releases scheduled doses and reports on them.",
        information_event(
            t,
            "dose_taken",
            "The user took a scheduled dose from the dispenser.",
            "Brukeren tok en planlagt dose fra dispenseren.",
            *dose_fields(),
        ),
        incident_event(
            t,
            "dose_missed",
            2,
            "A scheduled dose was not taken in time.",
            "En planlagt dose ble ikke tatt i tide.",
            *dose_fields(),
        ),
        information_event(
            t,
            "reminder",
            "The dispenser reminded the user that a dose is due.",
            "Dispenseren minnet brukeren på at en dose skal tas.",
            *dose_fields(),
        ),
        incident_event(
            t,
            "jammed",
            3,
            "The dispenser mechanism is jammed.",
            "Mekanismen i dispenseren har satt seg fast.",
        ),
        incident_event(
            t,
            "empty",
            3,
            "The dispenser has no doses left.",
            "Dispenseren er tom for doser.",
        ),
        incident_event(
            t,
            "refill_due",
            4,
            "The dispenser needs refilling soon.",
            "Dispenseren må snart fylles på.",
            count("doses_left", None, "Number of doses left in the dispenser.", 3),
        ),
    )


def night_supervision_spec() -> DeviceTypeSpec:
    """Digital night supervision (*digitalt tilsyn*): sensors replace night-time check visits."""
    t = "night_supervision"
    return device_kind(
        t,
        "digitalt tilsyn",
        "Sensor-based digital night supervision that replaces night-time check visits.",
        incident_event(
            t,
            "bed_exit_no_return",
            2,
            "The resident left the bed and has not returned within the agreed time.",
            "Beboeren forlot sengen og har ikke kommet tilbake innen avtalt tid.",
            count("minutes_out", "min", "Minutes since the resident left the bed.", 25),
        ),
        incident_event(
            t,
            "fall",
            1,
            "The sensor detected a probable fall in the room.",
            "Sensoren registrerte et sannsynlig fall i rommet.",
            confidence(0.91),
        ),
        information_event(
            t,
            "check_ok",
            "A scheduled digital check found nothing unusual.",
            "Et planlagt digitalt tilsyn fant ingenting uvanlig.",
            periodic=True,
        ),
    )


DEVICE_TYPES: Mapping[str, DeviceTypeSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            safety_alarm_spec(),
            gps_tracker_spec(),
            e_lock_spec(),
            medicine_dispenser_spec(),
            night_supervision_spec(),
        )
    }
)
"""Every device kind, keyed by code name, in catalog order (read-only)."""


def device_type_spec(device_type: str) -> DeviceTypeSpec:
    """The spec of one device kind; raises :class:`UnknownDeviceType` naming the known kinds."""
    spec = DEVICE_TYPES.get(device_type)
    if spec is None:
        raise UnknownDeviceType(device_type, DEVICE_TYPES)
    return spec


def event_spec(device_type: str, event: str) -> EventSpec:
    """The spec of one event; raises :class:`UnknownEvent` naming the kind's known events."""
    events = device_type_spec(device_type).events
    spec = events.get(event)
    if spec is None:
        raise UnknownEvent(device_type, event, events)
    return spec
