"""The device catalog and the message models generated from it."""

from __future__ import annotations

import pickle
import re
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from devices.contract.catalog import (
    DEVICE_TYPES,
    EventSpec,
    FieldSpec,
    UnknownDeviceType,
    UnknownEvent,
    device_type_spec,
    event_spec,
)
from devices.contract.messages import (
    ENVELOPE_FIELDS,
    MESSAGE_ADAPTER,
    MESSAGE_MODELS,
    SCHEMA_VERSION,
    Envelope,
    message_fields,
    message_model,
    message_tag,
)

# (event, incident, priority if incident, periodic, field names)
EXPECTED: dict[str, list[tuple[str, bool, int | None, bool, tuple[str, ...]]]] = {
    "safety_alarm": [
        ("button_need", True, 2, False, ()),
        ("button_accidental", True, 3, False, ()),
        ("button_information", True, 3, False, ()),
        ("fall_detected", True, 1, False, ("confidence",)),
        ("heartbeat", False, None, True, ("battery_pct",)),
        ("battery_low", True, 4, False, ("battery_pct",)),
        ("connection_lost", True, 3, False, ("last_seen_s",)),
    ],
    "gps_tracker": [
        ("geofence_exit", True, 1, False, ("lat", "lon", "accuracy_m", "geofence_id")),
        ("sos", True, 1, False, ("lat", "lon", "accuracy_m")),
        ("position", False, None, True, ("lat", "lon", "accuracy_m")),
        ("battery_low", True, 4, False, ("battery_pct",)),
    ],
    "e_lock": [
        ("unlocked_by_staff", False, None, False, ("staff_id",)),
        ("locked_by_staff", False, None, False, ("staff_id",)),
        ("door_open_too_long", True, 3, False, ("open_s",)),
        ("jammed", True, 3, False, ()),
        ("battery_low", True, 4, False, ("battery_pct",)),
        ("night_door_opened", True, 2, False, ()),
    ],
    "medicine_dispenser": [
        ("dose_taken", False, None, False, ("dose_id", "scheduled_at")),
        ("dose_missed", True, 2, False, ("dose_id", "scheduled_at")),
        ("reminder", False, None, False, ("dose_id", "scheduled_at")),
        ("jammed", True, 3, False, ()),
        ("empty", True, 3, False, ()),
        ("refill_due", True, 4, False, ("doses_left",)),
    ],
    "night_supervision": [
        ("bed_exit_no_return", True, 2, False, ("minutes_out",)),
        ("fall", True, 1, False, ("confidence",)),
        ("check_ok", False, None, True, ()),
    ],
}

ALL_EVENTS = [spec for kind in DEVICE_TYPES.values() for spec in kind.events.values()]
ALL_FIELDS = [(spec, field) for spec in ALL_EVENTS for field in spec.fields]


def event_id(spec: EventSpec) -> str:
    """Readable test id of an event."""
    return f"{spec.device_type}.{spec.event}"


def test_device_kinds_come_in_catalog_order() -> None:
    assert list(DEVICE_TYPES) == [
        "safety_alarm",
        "gps_tracker",
        "e_lock",
        "medicine_dispenser",
        "night_supervision",
    ]


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_each_kind_has_exactly_the_specified_events(kind: str) -> None:
    spec = DEVICE_TYPES[kind]
    assert spec.name == kind
    actual = [
        (
            e.event,
            e.incident,
            e.default_priority if e.incident else None,
            e.periodic,
            tuple(f.name for f in e.fields),
        )
        for e in spec.events.values()
    ]
    assert actual == EXPECTED[kind]
    assert all(e.device_type == kind for e in spec.events.values())


def test_norwegian_names_of_kinds() -> None:
    names = {name: spec.name_nb for name, spec in DEVICE_TYPES.items()}
    assert names["safety_alarm"] == "trygghetsalarm"
    assert names["e_lock"] == "e-lås"
    assert names["night_supervision"] == "digitalt tilsyn"
    assert all(spec.description for spec in DEVICE_TYPES.values())


@pytest.mark.parametrize("spec", ALL_EVENTS, ids=event_id)
def test_every_event_is_explained_in_english_and_norwegian(spec: EventSpec) -> None:
    assert spec.meaning.endswith(".") and spec.meaning_nb.endswith(".")
    assert spec.meaning != spec.meaning_nb
    assert 1 <= spec.default_priority <= 5


@pytest.mark.parametrize(("spec", "field"), ALL_FIELDS, ids=lambda x: getattr(x, "name", ""))
def test_every_field_example_fits_its_own_spec(spec: EventSpec, field: FieldSpec) -> None:
    python_type = {"float": float, "int": int, "str": str}[field.type]
    assert type(field.example) is python_type, field
    assert field.description
    if isinstance(field.example, int | float):
        assert field.ge is None or field.example >= field.ge
        assert field.le is None or field.example <= field.le
    if field.pattern is not None:
        assert re.fullmatch(field.pattern, str(field.example))


def test_units_where_they_matter() -> None:
    units = {f.name: f.unit for _, f in ALL_FIELDS}
    assert units["battery_pct"] == "%"
    assert units["last_seen_s"] == "s"
    assert units["open_s"] == "s"
    assert units["minutes_out"] == "min"
    assert units["lat"] == units["lon"] == "deg"
    assert units["accuracy_m"] == "m"
    assert units["confidence"] is None


def test_battery_low_carries_a_low_example_and_heartbeat_a_normal_one() -> None:
    low = event_spec("safety_alarm", "battery_low").fields[0].example
    normal = event_spec("safety_alarm", "heartbeat").fields[0].example
    assert isinstance(low, int) and isinstance(normal, int)
    assert low <= 20 < normal


def test_catalog_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        DEVICE_TYPES["toaster"] = DEVICE_TYPES["e_lock"]  # type: ignore[index]
    with pytest.raises(TypeError):
        DEVICE_TYPES["e_lock"].events["x"] = event_spec("e_lock", "jammed")  # type: ignore[index]
    with pytest.raises(AttributeError):
        event_spec("e_lock", "jammed").incident = False  # type: ignore[misc]


def test_unknown_device_type_names_the_known_ones() -> None:
    with pytest.raises(UnknownDeviceType) as caught:
        device_type_spec("toaster")
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert "'toaster'" in message
    assert all(name in message for name in DEVICE_TYPES)


def test_unknown_event_names_the_known_events_of_that_kind() -> None:
    with pytest.raises(UnknownEvent) as caught:
        event_spec("e_lock", "exploded")
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert "'exploded'" in message and "'e_lock'" in message
    assert all(event in message for event in DEVICE_TYPES["e_lock"].events)
    assert "dose_missed" not in message


def test_unknown_kind_given_to_event_spec_is_an_unknown_device_type() -> None:
    with pytest.raises(UnknownDeviceType):
        event_spec("toaster", "jammed")


def test_invalid_priority_is_refused() -> None:
    with pytest.raises(ValueError, match="priority"):
        EventSpec("x", "y", "m.", "m.", True, 0, False, ())


# --- message models -------------------------------------------------------------------------


def test_one_model_per_event_with_readable_class_names() -> None:
    assert len(MESSAGE_MODELS) == len(ALL_EVENTS) == 26
    assert message_model("safety_alarm", "fall_detected").__name__ == "SafetyAlarmFallDetected"
    assert message_model("e_lock", "night_door_opened").__name__ == "ELockNightDoorOpened"
    assert message_model("gps_tracker", "sos").__name__ == "GpsTrackerSos"
    assert all(issubclass(model, Envelope) for model in MESSAGE_MODELS.values())


def test_message_model_refuses_unknown_names() -> None:
    with pytest.raises(UnknownDeviceType):
        message_model("toaster", "jammed")
    with pytest.raises(UnknownEvent):
        message_model("e_lock", "dose_missed")


@pytest.mark.parametrize("spec", ALL_EVENTS, ids=event_id)
def test_model_fields_are_envelope_then_catalog_fields(spec: EventSpec) -> None:
    model = message_model(spec.device_type, spec.event)
    expected = [*ENVELOPE_FIELDS, *(f.name for f in spec.fields)]
    assert list(model.model_fields) == expected
    assert model.__doc__ == spec.meaning


def test_every_envelope_field_is_described_in_the_json_schema() -> None:
    schema = Envelope.model_json_schema()
    assert set(schema["required"]) == set(ENVELOPE_FIELDS)
    assert all(schema["properties"][name].get("description") for name in ENVELOPE_FIELDS)
    assert schema["additionalProperties"] is False


def test_json_schema_of_an_event_carries_bounds_units_and_constants() -> None:
    schema = message_model("safety_alarm", "battery_low").model_json_schema()
    battery = schema["properties"]["battery_pct"]
    assert battery["type"] == "integer"
    assert (battery["minimum"], battery["maximum"], battery["unit"]) == (0, 100, "%")
    assert battery["description"] and battery["examples"] == [12]
    assert schema["properties"]["device_type"]["const"] == "safety_alarm"
    assert schema["properties"]["event"]["const"] == "battery_low"
    assert "battery_pct" in schema["required"]


def test_union_json_schema_uses_discriminators() -> None:
    schema = MESSAGE_ADAPTER.json_schema()
    assert schema["discriminator"]["propertyName"] == "device_type"
    assert set(schema["discriminator"]["mapping"]) == set(DEVICE_TYPES)


def sample_message() -> Envelope:
    """A valid fall alarm."""
    model = message_model("safety_alarm", "fall_detected")
    return model.model_validate(
        {
            "schema_version": SCHEMA_VERSION,
            "message_id": "sa-0001-00000007",
            "device_id": "sa-0001",
            "device_type": "safety_alarm",
            "event": "fall_detected",
            "ts": datetime(2026, 1, 5, 8, 13, 22, 125000, tzinfo=UTC),
            "seq": 7,
            "confidence": 0.87,
        }
    )


def test_models_are_frozen_and_forbid_extra_fields() -> None:
    message = sample_message()
    with pytest.raises(ValidationError):
        message.seq = 8  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        type(message).model_validate({**message.model_dump(), "colour": "red"})


def test_adapter_picks_the_model_from_device_type_and_event() -> None:
    data = sample_message().model_dump()
    parsed = MESSAGE_ADAPTER.validate_python(data)
    assert type(parsed).__name__ == "SafetyAlarmFallDetected"
    assert message_fields(parsed) == {"confidence": 0.87}
    with pytest.raises(ValidationError):
        MESSAGE_ADAPTER.validate_python({**data, "event": "heartbeat"})


def test_message_tag_reads_dicts_and_models() -> None:
    message = sample_message()
    assert message_tag(message) == "safety_alarm.fall_detected"
    assert message_tag({"device_type": "e_lock", "event": "jammed"}) == "e_lock.jammed"
    assert message_tag({"device_type": "e_lock"}) is None
    assert message_tag([1, 2]) is None


def test_messages_survive_pickling_for_parallel_runs() -> None:
    message = sample_message()
    assert pickle.loads(pickle.dumps(message)) == message
