"""The catalog of device kinds and their events: the single source of truth of the message contract.

Message models (:mod:`devices.contract.messages`), device classes, the JSON Schema and the
documentation
are all generated from the specs defined here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Literal

from devices.contract.errors import UnknownDeviceType, UnknownEvent

__all__ = [
    "DEVICE_TYPES",
    "DeviceTypeSpec",
    "EventSpec",
    "FieldSpec",
    "ScaipCodes",
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

SCAIP_STANDARD = "SS 91100 (SCAIP, Social Care Alarm Internet Protocol) / CENELEC TS 50134-9"
SCAIP_SOURCE = (
    "Code values as listed for SS 91100:2014 (SCAIP XML version 01.00) by the open-source "
    "SCAIP gateway github.com/caruhome/scaip-gateway, file scaip_gateway/spec.py (enums "
    "DeviceType 'dty', StatusCode 'stc', MessageType 'mty'). The standard itself (SIS) is not "
    "freely available and was not consulted; the 2018 edition may add codes. The choice of code "
    "per vtsim event is vtsim's, by the code's name; events with no fitting code have none."
)
"""Where the SCAIP code values come from, and how far they can be trusted."""

SCAIP_CODE_PATTERN = r"^[0-9]{4}$"
SCAIP_MESSAGE_TYPES = ("ME", "RE", "IN", "PI")
"""SCAIP message types: message, reset, information, heartbeat (ping)."""


def check_scaip_code(code: str | None) -> None:
    """Raise ``ValueError`` unless ``code`` is None or a four-digit SCAIP code."""
    if code is not None and re.fullmatch(SCAIP_CODE_PATTERN, code) is None:
        raise ValueError(f"SCAIP code {code!r} is not four digits")


@dataclass(frozen=True, slots=True)
class ScaipCodes:
    """The SCAIP codes of one event: device type ``dty``, status ``stc``, message type ``mty``.

    ``None`` means SCAIP has no fitting code (or none was found in :data:`SCAIP_SOURCE`);
    ``note`` says how close the match is where it is not exact.
    """

    device_type: str | None = None
    status: str | None = None
    message_type: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        """Reject malformed codes so that a catalog typo fails at import time."""
        check_scaip_code(self.device_type)
        check_scaip_code(self.status)
        if self.message_type is not None and self.message_type not in SCAIP_MESSAGE_TYPES:
            raise ValueError(f"SCAIP message type {self.message_type!r} is unknown")

    def with_device_type(self, device_type: str | None) -> ScaipCodes:
        """These codes, with ``device_type`` filled in when the event names none of its own."""
        if self.device_type is not None:
            return self
        return ScaipCodes(device_type, self.status, self.message_type, self.note)


NO_SCAIP = ScaipCodes()

# SCAIP device types (dty), values from SCAIP_SOURCE.
LOCAL_UNIT_AND_CONTROLLER = "0002"
PERSONAL_TRIGGER = "0003"
FALL_DETECTOR = "0005"
PILL_DISPENSER = "0011"
BED_MONITOR = "0012"
DOOR_SENSOR = "0014"
ACCESS_CONTROLLER = "0043"
MONITORING_DEVICE = "0049"
TRACKING_DEVICE = "0051"

# SCAIP status codes (stc), values from SCAIP_SOURCE.
ABSENT = "0003"
AUTOMATIC_ALARM = "0009"
MANUAL_ALARM = "0010"
BATTERY_LOW = "0016"
JAMMED = "0052"
LOW_LEVEL = "0064"
NORMAL_STATE = "0070"
OFFLINE = "0073"
ONLINE = "0075"
OPEN = "0076"
OPEN_TOO_LONG = "0077"
PILL_NOT_TAKEN = "0081"
PILL_REMINDER = "0082"
PILL_TAKEN = "0083"
LOCKED = "0118"
UNLOCKED = "0127"

SCAIP_DEVICE_TYPE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        LOCAL_UNIT_AND_CONTROLLER: "local unit and controller",
        PERSONAL_TRIGGER: "personal trigger",
        FALL_DETECTOR: "fall detector",
        PILL_DISPENSER: "pill dispenser",
        BED_MONITOR: "bed monitor",
        DOOR_SENSOR: "door sensor",
        ACCESS_CONTROLLER: "access controller",
        MONITORING_DEVICE: "monitoring device",
        TRACKING_DEVICE: "tracking device",
    }
)
"""Names of the SCAIP device types the catalog uses, by code."""

SCAIP_STATUS_NAMES: Mapping[str, str] = MappingProxyType(
    {
        ABSENT: "absent",
        AUTOMATIC_ALARM: "automatic alarm",
        MANUAL_ALARM: "manual alarm",
        BATTERY_LOW: "battery low",
        JAMMED: "jammed",
        LOW_LEVEL: "low level",
        NORMAL_STATE: "normal state",
        OFFLINE: "offline",
        ONLINE: "online",
        OPEN: "open",
        OPEN_TOO_LONG: "open too long",
        PILL_NOT_TAKEN: "pill not taken",
        PILL_REMINDER: "pill reminder",
        PILL_TAKEN: "pill taken",
        LOCKED: "locked",
        UNLOCKED: "unlocked",
    }
)
"""Names of the SCAIP status codes the catalog uses, by code."""

SCAIP_MESSAGE_TYPE_NAMES: Mapping[str, str] = MappingProxyType(
    {"ME": "message", "RE": "reset", "IN": "information", "PI": "heartbeat"}
)
"""Names of the SCAIP message types, by code."""

NO_BUTTON_KINDS = (
    "SCAIP does not tell need, accidental and information presses apart: each is a manual alarm."
)


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
    scaip: ScaipCodes = NO_SCAIP

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
    scaip_device_type: str | None = None

    def __post_init__(self) -> None:
        """Reject a malformed SCAIP device type code at import time."""
        check_scaip_code(self.scaip_device_type)


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
    scaip: ScaipCodes = NO_SCAIP,
) -> EventSpec:
    """An event for which the centre opens an incident that an operator must assess."""
    return EventSpec(device_type, event, meaning, meaning_nb, True, priority, False, fields, scaip)


def information_event(
    device_type: str,
    event: str,
    meaning: str,
    meaning_nb: str,
    *fields: FieldSpec,
    periodic: bool = False,
    scaip: ScaipCodes = NO_SCAIP,
) -> EventSpec:
    """An event that is information or telemetry only; no incident is opened."""
    return EventSpec(
        device_type, event, meaning, meaning_nb, False, LEAST_URGENT, periodic, fields, scaip
    )


def device_kind(
    name: str,
    name_nb: str,
    description: str,
    *events: EventSpec,
    scaip_device_type: str | None = None,
) -> DeviceTypeSpec:
    """A device kind with its events, checked for consistency.

    ``scaip_device_type`` is the kind's SCAIP ``dty`` code; it fills in the device type of every
    event's SCAIP codes that names none of its own (e.g. a fall detector on a safety alarm).
    """
    by_name = {spec.event: scaip_defaulted(spec, scaip_device_type) for spec in events}
    if len(by_name) != len(events) or any(spec.device_type != name for spec in events):
        raise ValueError(f"{name}: duplicate events or events of another device type")
    return DeviceTypeSpec(name, name_nb, description, MappingProxyType(by_name), scaip_device_type)


def scaip_defaulted(spec: EventSpec, device_type: str | None) -> EventSpec:
    """``spec`` with the kind's SCAIP device type where the event names none of its own."""
    return replace(spec, scaip=spec.scaip.with_device_type(device_type))


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
            scaip=ScaipCodes(PERSONAL_TRIGGER, MANUAL_ALARM),
        ),
        incident_event(
            t,
            "button_accidental",
            3,
            "The user marked the button press as accidental; the centre must still call back.",
            "Brukeren markerte trykket som utilsiktet; responssenteret må likevel ringe tilbake.",
            scaip=ScaipCodes(PERSONAL_TRIGGER, MANUAL_ALARM, note=NO_BUTTON_KINDS),
        ),
        incident_event(
            t,
            "button_information",
            3,
            "The user pressed the button to ask for information or a non-urgent service.",
            "Brukeren trykket på knappen for å be om informasjon eller en ikke-hastende tjeneste.",
            scaip=ScaipCodes(PERSONAL_TRIGGER, MANUAL_ALARM, note=NO_BUTTON_KINDS),
        ),
        incident_event(
            t,
            "fall_detected",
            1,
            "The fall sensor detected a probable fall.",
            "Fallsensoren registrerte et sannsynlig fall.",
            confidence(0.87),
            scaip=ScaipCodes(FALL_DETECTOR, AUTOMATIC_ALARM),
        ),
        information_event(
            t,
            "heartbeat",
            "Periodic sign of life from the alarm, with its battery level.",
            "Periodisk livstegn fra alarmen, med batterinivå.",
            battery_pct(87),
            periodic=True,
            scaip=ScaipCodes(
                message_type="PI", note="A SCAIP heartbeat is a message type, not a status code."
            ),
        ),
        incident_event(
            t,
            "battery_low",
            4,
            "The alarm's battery is low and must be charged or replaced.",
            "Batteriet i alarmen er lavt og må lades eller byttes.",
            battery_pct(12),
            scaip=ScaipCodes(status=BATTERY_LOW),
        ),
        incident_event(
            t,
            "connection_lost",
            3,
            "The platform lost contact with the alarm; sent by the platform for the device.",
            "Plattformen har mistet kontakten med alarmen; sendes av plattformen for enheten.",
            count("last_seen_s", "s", "Seconds since the last contact with the device.", 900),
            scaip=ScaipCodes(
                status=OFFLINE,
                note="Sent by the platform; SCAIP has no link-loss code of its own "
                "for a receiver that misses heartbeats, so the closest is 'offline'.",
            ),
        ),
        scaip_device_type=LOCAL_UNIT_AND_CONTROLLER,
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
            scaip=ScaipCodes(
                status=AUTOMATIC_ALARM,
                note="SCAIP names the place with location code 019 "
                "(geo-fence), not with a status of its own.",
            ),
        ),
        incident_event(
            t,
            "sos",
            1,
            "The wearer pressed the SOS button.",
            "Brukeren trykket på SOS-knappen.",
            *position_fields(),
            scaip=ScaipCodes(status=MANUAL_ALARM),
        ),
        information_event(
            t,
            "position",
            "Periodic position report.",
            "Periodisk posisjonsrapport.",
            *position_fields(),
            periodic=True,
            scaip=ScaipCodes(
                note="No SCAIP status for a periodic position; SCAIP carries positions in its "
                "location element."
            ),
        ),
        incident_event(
            t,
            "battery_low",
            4,
            "The tracker's battery is low and must be charged.",
            "Batteriet i sporingsenheten er lavt og må lades.",
            battery_pct(12),
            scaip=ScaipCodes(status=BATTERY_LOW),
        ),
        scaip_device_type=TRACKING_DEVICE,
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
            scaip=ScaipCodes(status=UNLOCKED),
        ),
        information_event(
            t,
            "locked_by_staff",
            "Home-care staff locked the door when leaving (visit record).",
            "Hjemmetjenesten låste døren ved avreise (besøksregistrering).",
            staff_id,
            scaip=ScaipCodes(status=LOCKED),
        ),
        incident_event(
            t,
            "door_open_too_long",
            3,
            "The door has stood open longer than allowed.",
            "Døren har stått åpen lenger enn tillatt.",
            count("open_s", "s", "Seconds the door has been open.", 420),
            scaip=ScaipCodes(DOOR_SENSOR, OPEN_TOO_LONG),
        ),
        incident_event(
            t,
            "jammed",
            3,
            "The lock mechanism is jammed.",
            "Låsemekanismen har satt seg fast.",
            scaip=ScaipCodes(status=JAMMED),
        ),
        incident_event(
            t,
            "battery_low",
            4,
            "The lock's battery is low and must be replaced.",
            "Batteriet i låsen er lavt og må byttes.",
            battery_pct(12),
            scaip=ScaipCodes(status=BATTERY_LOW),
        ),
        incident_event(
            t,
            "night_door_opened",
            2,
            "The resident opened the door during the night.",
            "Beboeren åpnet døren om natten.",
            scaip=ScaipCodes(
                DOOR_SENSOR,
                OPEN,
                note="SCAIP has no night-time variant; the centre knows the hour.",
            ),
        ),
        scaip_device_type=ACCESS_CONTROLLER,
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
            scaip=ScaipCodes(status=PILL_TAKEN),
        ),
        incident_event(
            t,
            "dose_missed",
            2,
            "A scheduled dose was not taken in time.",
            "En planlagt dose ble ikke tatt i tide.",
            *dose_fields(),
            scaip=ScaipCodes(status=PILL_NOT_TAKEN),
        ),
        information_event(
            t,
            "reminder",
            "The dispenser reminded the user that a dose is due.",
            "Dispenseren minnet brukeren på at en dose skal tas.",
            *dose_fields(),
            scaip=ScaipCodes(status=PILL_REMINDER),
        ),
        incident_event(
            t,
            "jammed",
            3,
            "The dispenser mechanism is jammed.",
            "Mekanismen i dispenseren har satt seg fast.",
            scaip=ScaipCodes(status=JAMMED),
        ),
        incident_event(
            t,
            "empty",
            3,
            "The dispenser has no doses left.",
            "Dispenseren er tom for doser.",
            scaip=ScaipCodes(
                note="No SCAIP status for an empty dispenser was found; 'low level' (0064) is "
                "not the same."
            ),
        ),
        incident_event(
            t,
            "refill_due",
            4,
            "The dispenser needs refilling soon.",
            "Dispenseren må snart fylles på.",
            count("doses_left", None, "Number of doses left in the dispenser.", 3),
            scaip=ScaipCodes(status=LOW_LEVEL),
        ),
        scaip_device_type=PILL_DISPENSER,
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
            scaip=ScaipCodes(
                BED_MONITOR, ABSENT, note="Closest match: the resident is absent from the bed."
            ),
        ),
        incident_event(
            t,
            "fall",
            1,
            "The sensor detected a probable fall in the room.",
            "Sensoren registrerte et sannsynlig fall i rommet.",
            confidence(0.91),
            scaip=ScaipCodes(FALL_DETECTOR, AUTOMATIC_ALARM),
        ),
        information_event(
            t,
            "check_ok",
            "A scheduled digital check found nothing unusual.",
            "Et planlagt digitalt tilsyn fant ingenting uvanlig.",
            periodic=True,
            scaip=ScaipCodes(status=NORMAL_STATE),
        ),
        scaip_device_type=MONITORING_DEVICE,
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
