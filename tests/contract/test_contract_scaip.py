"""SCAIP codes in the catalog: well-formed, explained where missing, and carried into the schema."""

from __future__ import annotations

import pytest

from devices.contract.catalog import (
    DEVICE_TYPES,
    SCAIP_DEVICE_TYPE_NAMES,
    SCAIP_SOURCE,
    SCAIP_STATUS_NAMES,
    EventSpec,
    ScaipCodes,
    event_spec,
)
from devices.contract.messages import model_name
from devices.contract.schema import message_json_schema
from tests.conftest import ROOT

ALL_EVENTS = [spec for kind in DEVICE_TYPES.values() for spec in kind.events.values()]


def event_id(spec: EventSpec) -> str:
    return f"{spec.device_type}.{spec.event}"


@pytest.mark.parametrize("spec", ALL_EVENTS, ids=event_id)
def test_every_event_has_a_named_code_or_says_why_not(spec: EventSpec) -> None:
    codes = spec.scaip
    assert codes.device_type in SCAIP_DEVICE_TYPE_NAMES
    if codes.status is None and codes.message_type is None:
        assert codes.note, "an event without a SCAIP code must say why"
    else:
        assert codes.status is None or codes.status in SCAIP_STATUS_NAMES


@pytest.mark.parametrize("kind", DEVICE_TYPES.values(), ids=lambda kind: kind.name)
def test_every_kind_has_a_scaip_device_type(kind: object) -> None:
    assert getattr(kind, "scaip_device_type", None) in SCAIP_DEVICE_TYPE_NAMES


def test_events_inherit_the_kind_device_type_unless_they_name_their_own() -> None:
    assert event_spec("safety_alarm", "battery_low").scaip.device_type == "0002"
    assert event_spec("safety_alarm", "fall_detected").scaip.device_type == "0005"
    assert event_spec("e_lock", "door_open_too_long").scaip.device_type == "0014"
    assert event_spec("e_lock", "jammed").scaip.device_type == "0043"


def test_dispenser_events_use_the_pill_codes_of_the_source() -> None:
    statuses = {
        name: spec.scaip.status for name, spec in DEVICE_TYPES["medicine_dispenser"].events.items()
    }
    assert statuses["dose_taken"] == "0083"
    assert statuses["dose_missed"] == "0081"
    assert statuses["reminder"] == "0082"
    assert statuses["empty"] is None


def test_heartbeat_is_a_scaip_message_type() -> None:
    assert event_spec("safety_alarm", "heartbeat").scaip.message_type == "PI"


@pytest.mark.parametrize(
    "codes",
    [
        {"device_type": "12"},
        {"status": "00a1"},
        {"status": "00100"},
        {"message_type": "XX"},
    ],
)
def test_malformed_codes_are_refused(codes: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        ScaipCodes(**codes)


def test_the_source_is_named_in_the_catalog_and_the_decisions() -> None:
    assert "caruhome/scaip-gateway" in SCAIP_SOURCE
    decisions = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")
    assert "caruhome/scaip-gateway" in decisions


@pytest.mark.parametrize("spec", ALL_EVENTS, ids=event_id)
def test_json_schema_carries_the_codes_of_each_event(spec: EventSpec) -> None:
    definition = message_json_schema()["$defs"][model_name(spec.device_type, spec.event)]
    extension = definition["x-scaip"]
    assert extension.get("device_type") == spec.scaip.device_type
    assert extension.get("status") == spec.scaip.status
    assert extension.get("message_type") == spec.scaip.message_type
