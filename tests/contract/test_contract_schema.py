"""Generated JSON Schema and AsyncAPI documents: valid, complete, and in step with the decoder."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import jsonschema
import orjson
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from devices.contract.catalog import DEVICE_TYPES, EventSpec
from devices.contract.codec import Accepted, decode_message, encode_status
from devices.contract.examples import example_message, example_status, example_topic
from devices.contract.messages import model_name
from devices.contract.schema import (
    ACK_ADDRESS,
    EVENTS_ADDRESS,
    REJECTED_ADDRESS,
    STATUS_ADDRESS,
    asyncapi_document,
    message_json_schema,
)
from tests.conftest import ROOT

ALL_EVENTS = [spec for kind in DEVICE_TYPES.values() for spec in kind.events.values()]
ASYNCAPI_SCHEMA = ROOT / "tests" / "data" / "asyncapi" / "3.0.0.json"


def event_id(spec: EventSpec) -> str:
    return f"{spec.device_type}.{spec.event}"


@cache
def schema() -> dict[str, Any]:
    return json.loads(json.dumps(message_json_schema()))


def validator(name: str | None = None) -> jsonschema.Draft202012Validator:
    """A validator of the root schema, or of one of its ``$defs``."""
    root = schema()
    target = root if name is None else {"$ref": f"{root['$id']}#/$defs/{name}"}
    registry: Registry[Any] = Registry().with_resource(
        root["$id"], Resource.from_contents(root, default_specification=DRAFT202012)
    )
    return jsonschema.Draft202012Validator(target, registry=registry)


def test_json_schema_is_a_valid_2020_12_schema() -> None:
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema())


@pytest.mark.parametrize("spec", ALL_EVENTS, ids=event_id)
def test_every_catalog_example_is_valid_and_accepted(spec: EventSpec) -> None:
    example = example_message(spec)
    validator().validate(example)
    verdict = decode_message(example_topic(spec.device_type), orjson.dumps(example))
    assert isinstance(verdict, Accepted)
    assert schema()["$defs"][model_name(spec.device_type, spec.event)]["examples"] == [example]


def broken_variants(example: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Ways to break a valid message that both the schema and the decoder must refuse."""
    yield {k: v for k, v in example.items() if k != "ts"}
    yield example | {"seq": -1}
    yield example | {"seq": "42"}
    yield example | {"extra": True}
    yield example | {"event": "nonsense"}
    yield example | {"device_type": "toaster"}
    yield example | {"device_id": "bad id"}
    yield example | {"schema_version": "2.0"}


@pytest.mark.parametrize("spec", ALL_EVENTS, ids=event_id)
def test_schema_and_decoder_agree_on_broken_messages(spec: EventSpec) -> None:
    for broken in broken_variants(example_message(spec)):
        assert not validator().is_valid(broken), broken
        verdict = decode_message(example_topic(spec.device_type), orjson.dumps(broken))
        assert not isinstance(verdict, Accepted), broken


def test_out_of_bounds_fields_are_refused_by_the_schema() -> None:
    body = example_message(DEVICE_TYPES["safety_alarm"].events["battery_low"])
    assert not validator().is_valid(body | {"battery_pct": 101})
    dose = example_message(DEVICE_TYPES["medicine_dispenser"].events["dose_missed"])
    assert not validator().is_valid(dose | {"scheduled_at": "25:00"})


def test_discriminators_map_every_kind_and_event_to_an_existing_definition() -> None:
    root = schema()
    kinds = root["discriminator"]["mapping"]
    assert root["discriminator"]["propertyName"] == "device_type"
    assert set(kinds) == set(DEVICE_TYPES)
    for kind, ref in kinds.items():
        union = root["$defs"][ref.removeprefix("#/$defs/")]
        assert union["discriminator"]["propertyName"] == "event"
        assert set(union["discriminator"]["mapping"]) == set(DEVICE_TYPES[kind].events)
        for event_ref in union["discriminator"]["mapping"].values():
            assert event_ref.removeprefix("#/$defs/") in root["$defs"]


def test_units_and_norwegian_meanings_come_from_the_catalog() -> None:
    defs = schema()["$defs"]
    assert defs["SafetyAlarmBatteryLow"]["properties"]["battery_pct"]["unit"] == "%"
    assert defs["NightSupervisionBedExitNoReturn"]["properties"]["minutes_out"]["unit"] == "min"
    spec = DEVICE_TYPES["e_lock"].events["jammed"]
    assert defs["ELockJammed"]["x-meaning-nb"] == spec.meaning_nb
    assert defs["ELockJammed"]["description"] == spec.meaning


def test_status_and_answers_validate_their_examples() -> None:
    for value in ("online", "offline"):
        validator("DeviceStatus").validate(example_status("e_lock", value))
        encoded = orjson.loads(encode_status("e_lock", "lock-1", value, "2026-01-05T08:00:00Z"))
        validator("DeviceStatus").validate(encoded)
    assert not validator("DeviceStatus").is_valid(example_status("e_lock", "online") | {"x": 1})
    for name in ("Acknowledgement", "DeviceStatus"):
        for example in schema()["$defs"][name]["examples"]:
            validator(name).validate(example)
    reasons = schema()["$defs"]["RejectionNotice"]["properties"]["reason"]
    assert "duplicate" in reasons["enum"] and set(reasons["x-reasons"]) == set(reasons["enum"])


# --- AsyncAPI -------------------------------------------------------------------------------


@cache
def asyncapi() -> dict[str, Any]:
    return json.loads(json.dumps(asyncapi_document()))


@cache
def official_validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8")))


def test_asyncapi_document_is_valid_against_the_official_schema() -> None:
    official_validator().validate(asyncapi())


@pytest.mark.parametrize(
    "path",
    [
        ("operations", "sendEvent", "action"),
        ("operations", "sendEvent", "bindings", "mqtt", "qos"),
        ("channels", "deviceStatus", "address"),
    ],
)
def test_the_official_schema_catches_a_broken_document(path: tuple[str, ...]) -> None:
    document = copy.deepcopy(asyncapi())
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = 7 if path[-1] != "action" else "publish"
    assert not official_validator().is_valid(document)


def test_asyncapi_channels_operations_and_qos() -> None:
    document = asyncapi()
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {EVENTS_ADDRESS, STATUS_ADDRESS, ACK_ADDRESS, REJECTED_ADDRESS,
                         "vt/v1/{tenant}/scaip/{controller}",
                         "vt/v1/{tenant}/centre/scaip/{controller}"}
    operations = document["operations"]
    assert {op["action"] for op in operations.values()} == {"send", "receive"}
    assert all(op["bindings"]["mqtt"]["qos"] == 1 for op in operations.values())
    assert operations["sendStatus"]["bindings"]["mqtt"]["retain"] is True
    assert operations["sendEvent"]["bindings"]["mqtt"]["retain"] is False


def test_asyncapi_last_will_is_an_offline_status_on_the_status_topic() -> None:
    will = asyncapi()["servers"]["local"]["bindings"]["mqtt"]["lastWill"]
    assert (will["topic"], will["qos"], will["retain"]) == (STATUS_ADDRESS, 1, True)
    message = json.loads(will["message"])
    validator("DeviceStatus").validate(message)
    assert message["status"] == "offline"


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" or key == "x-discriminator-mapping":
                yield from ([value] if isinstance(value, str) else value.values())
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def test_every_asyncapi_reference_resolves() -> None:
    document = asyncapi()
    found = list(refs(document))
    assert len(found) > 60
    for ref in found:
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        assert isinstance(node, dict), ref


def test_asyncapi_examples_are_accepted_by_the_decoder() -> None:
    examples = asyncapi()["components"]["messages"]["DeviceMessage"]["examples"]
    assert len(examples) == len(ALL_EVENTS)
    for example in examples:
        payload = example["payload"]
        verdict = decode_message(example_topic(payload["device_type"]), orjson.dumps(payload))
        assert isinstance(verdict, Accepted)
