"""The published JSON Schema and the centre's validator agree, message for message.

Thousands of messages are generated from the catalog's examples by a seeded generator that
changes one or two fields at a time in the ways vendors get them wrong (timestamps in other
spellings, integral floats, strings for numbers, missing and extra fields, out-of-range values,
bad ids). Each is judged by an independent JSON Schema validator (``jsonschema``, with its
RFC 3339 format check) against the schema that ``vtsim schema`` publishes, and by the decoder the
centre runs. Any disagreement fails, listing the first ones.

One documented exception: ``jsonschema``'s date-time check (``rfc3339-validator``) does not
know leap seconds, which RFC 3339 allows (``23:59:60`` in UTC; ajv and check-jsonschema accept
it). For a timestamp with second 60 the reference therefore asks the schema about the same
message with second 59 and checks that the leap second falls at 23:59 UTC.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import jsonschema
import orjson
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from devices.contract.catalog import DEVICE_TYPES, EventSpec, FieldSpec
from devices.contract.codec import Accepted, decode_message
from devices.contract.examples import example_message
from devices.contract.messages import model_name
from devices.contract.schema import message_json_schema

SEED = 20261206
ROUNDS = 12  # ROUNDS x events x about 20 mutations: over 5,000 messages
TENANT_ROOT = "vt/v1/demo"
ALL_EVENTS = [spec for kind in DEVICE_TYPES.values() for spec in kind.events.values()]
LEVEL = re.compile(r"[^/+#\x00]+")
LEAP_SECOND = r"(.{10}[Tt].{5}):60(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"


@cache
def reference(definition: str | None = None) -> jsonschema.Draft202012Validator:
    """The published schema's validator, or one for a single event's definition (faster, and
    the same verdict for a message whose device type and event name that definition)."""
    root = json.loads(json.dumps(message_json_schema()))
    target = root if definition is None else {"$ref": f"{root['$id']}#/$defs/{definition}"}
    registry: Registry[Any] = Registry().with_resource(
        root["$id"], Resource.from_contents(root, default_specification=DRAFT202012)
    )
    return jsonschema.Draft202012Validator(
        target, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def schema_validator(message: object) -> jsonschema.Draft202012Validator:
    """The root schema, unless the message names a catalog event: then that event's own."""
    if isinstance(message, dict):
        kind, event = message.get("device_type"), message.get("event")
        known = isinstance(kind, str) and kind in DEVICE_TYPES and isinstance(event, str)
        if known and event in DEVICE_TYPES[kind].events:
            return reference(model_name(kind, event))
    return reference()


def schema_accepts(message: object) -> bool:
    """The independent verdict, with the leap-second exception described above."""
    if isinstance(message, dict) and isinstance(message.get("ts"), str):
        leap = re.fullmatch(LEAP_SECOND, message["ts"])
        if leap is not None:
            at_59 = message | {"ts": f"{leap[1]}:59{leap[2] or ''}{leap[3]}"}
            valid = schema_validator(at_59).is_valid(at_59)
            return valid and utc_minute_is_23_59(at_59["ts"])
    return schema_validator(message).is_valid(message)


def utc_minute_is_23_59(ts: str) -> bool:
    moment = datetime.fromisoformat(ts.upper().replace("Z", "+00:00"))
    utc = moment.astimezone(UTC)
    return (utc.hour, utc.minute) == (23, 59)


def decoder_accepts(message: object, fallback_topic: str) -> bool:
    topic = fallback_topic
    if isinstance(message, dict):
        kind, device = message.get("device_type"), message.get("device_id")
        if all(isinstance(level, str) and LEVEL.fullmatch(level) for level in (kind, device)):
            topic = f"{TENANT_ROOT}/{kind}/{device}/events"
    return isinstance(decode_message(topic, orjson.dumps(message)), Accepted)


# --- the generator ----------------------------------------------------------------------------


def random_moment(rng: random.Random) -> datetime:
    start = datetime(1970, 1, 1, tzinfo=UTC)
    return start + timedelta(seconds=rng.uniform(0, 130 * 365.25 * 86400))


def valid_timestamp(rng: random.Random) -> str:
    moment = random_moment(rng)
    offset = timedelta(minutes=15 * rng.randint(-14 * 4, 14 * 4))
    local = moment.astimezone(UTC) + offset
    digits = rng.choice([0, 1, 3, 6, 9])
    fraction = "." + "".join(rng.choice("0123456789") for _ in range(digits)) if digits else ""
    sign = "+" if offset >= timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    zone = rng.choice(["Z", "z"]) if not offset else f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    separator = rng.choice("Tt")
    return f"{local:%Y-%m-%d}{separator}{local:%H:%M:%S}{fraction}{zone}"


TIMESTAMP_SPELLINGS: tuple[str, ...] = (
    "2026-01-05T08:13:22.125Z",
    "2026-01-05T08:13:22Z",
    "2026-01-05t08:13:22.5z",
    "2026-01-05T08:13:22+01:00",
    "2026-01-05T08:13:22-09:30",
    "2026-01-05T08:13Z",
    "2026-01-05T08:13:22",
    "2026-01-05 08:13:22Z",
    "2026-01-05T08:13:22,125Z",
    "2026-01-05T08:13:22+0100",
    "2026-01-05T08:13:22+01",
    "1767600802",
    "1767600802.5",
    "2026-01-05",
    "2026-W02-1T08:13:22Z",
    "20260105T081322Z",
    "2026-13-05T08:13:22Z",
    "2026-00-05T08:13:22Z",
    "2026-02-29T08:13:22Z",
    "2028-02-29T08:13:22Z",
    "2026-04-31T08:13:22Z",
    "0000-01-05T08:13:22Z",
    "2026-01-05T24:00:00Z",
    "2026-01-05T08:60:00Z",
    "2016-12-31T23:59:60Z",
    "2016-12-31T23:59:60.5Z",
    "2017-01-01T00:59:60+01:00",
    "2016-12-31T23:59:60+01:00",
    "2026-01-05T08:13:60Z",
    "2026-01-05T08:13:22.Z",
    "2026-01-05T08:13:22.125+24:00",
    "2026-01-05T08:13:22.125-00:60",
    "",
    " 2026-01-05T08:13:22Z",
)

NUMBER_SPELLINGS: tuple[object, ...] = (
    0, 1, 42, -1, 87.0, 1e1, 42.5, -0.0, 1e300, 2**63, 2**63 - 1, "42", "4.2", True, False, None,
    [], {}, 0.1, 100, 101, -100, 3.0e2,
)

TEXT_SPELLINGS: tuple[object, ...] = (
    "", "x", "sa-0001", "bad id", "a/b", "æøå", "A" * 64, "A" * 65, "-lead", "ok_id.1", 42, None,
    True, ["x"], "07:30", "7:30", "25:00", "12:60", "0051", "51", "\u0000", "line\nbreak",
)


def field_values(spec: FieldSpec | None, rng: random.Random) -> Iterator[object]:
    """Candidate values for one field: the usual mistakes, and values near its bounds."""
    yield from rng.sample(NUMBER_SPELLINGS, 4)
    yield from rng.sample(TEXT_SPELLINGS, 3)
    if spec is not None:
        for bound in (spec.ge, spec.le):
            if bound is not None:
                yield bound
                yield bound + (1 if spec.type == "int" else 0.001) * (1 if bound == spec.le else -1)
                yield float(bound)


def mutations(spec: EventSpec, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Messages derived from one event's example, each changed in one or two places."""
    example = example_message(spec)
    yield example
    yield example | {"ts": valid_timestamp(rng)}
    yield example | {"ts": rng.choice(TIMESTAMP_SPELLINGS)}
    yield example | {"ts": rng.choice(NUMBER_SPELLINGS)}
    fields = {field.name: field for field in spec.fields}
    name = rng.choice([*example, *fields, "seq", "seq"])
    for value in field_values(fields.get(name), rng):
        yield example | {name: value}
    yield {key: value for key, value in example.items() if key != name}
    yield example | {"unexpected": rng.choice(NUMBER_SPELLINGS)}
    yield example | {"seq": rng.choice(NUMBER_SPELLINGS), "ts": rng.choice(TIMESTAMP_SPELLINGS)}
    yield example | {"message_id": rng.choice(TEXT_SPELLINGS)}
    yield example | {"device_id": rng.choice(TEXT_SPELLINGS)}
    yield example | {"schema_version": rng.choice(["1.0", "1", 1.0, "2.0"])}


def generated_messages() -> Iterator[tuple[dict[str, Any], str]]:
    rng = random.Random(SEED)
    for _ in range(ROUNDS):
        for spec in ALL_EVENTS:
            topic = f"{TENANT_ROOT}/{spec.device_type}/{example_message(spec)['device_id']}/events"
            for message in mutations(spec, rng):
                yield message, topic


# --- the test ---------------------------------------------------------------------------------


def disagreements(
    judged: Callable[[dict[str, Any], str], tuple[bool, bool]],
) -> tuple[int, int, list[str]]:
    count = accepted = 0
    found: list[str] = []
    for message, topic in generated_messages():
        by_schema, by_decoder = judged(message, topic)
        count += 1
        accepted += by_schema
        if by_schema != by_decoder:
            verdict = "schema accepts, decoder refuses" if by_schema else "decoder accepts only"
            found.append(f"{verdict}: {orjson.dumps(message).decode()}")
    return count, accepted, found


def test_the_reference_checks_date_time_formats() -> None:
    """Without ``rfc3339-validator`` jsonschema skips the date-time format (test extra)."""
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    assert not checker.conforms("2026-02-30T08:13:22Z", "date-time"), (
        "jsonschema does not check date-time: install the test extra (rfc3339-validator)"
    )


def test_schema_and_decoder_agree_on_thousands_of_generated_messages() -> None:
    count, accepted, found = disagreements(
        lambda message, topic: (schema_accepts(message), decoder_accepts(message, topic))
    )
    assert count >= 5_000
    assert 0.1 < accepted / count < 0.9, "the generator must produce both kinds in number"
    assert not found, f"{len(found)} of {count} disagree, e.g.:\n" + "\n".join(found[:10])


@pytest.mark.parametrize(
    ("ts", "accepted"),
    [
        ("2026-01-05T08:13:22.125Z", True),
        ("2016-12-31T23:59:60Z", True),
        ("2017-01-01T00:59:60+01:00", True),
        ("2016-12-31T23:59:60+01:00", False),
        ("1767600802", False),
        ("2026-01-05T08:13Z", False),
        ("2026-01-05T08:13:22,125Z", False),
        ("2026-01-05T08:13:22+0100", False),
        ("2026-02-29T08:13:22Z", False),
    ],
)
def test_the_timestamps_vendors_reported_are_judged_as_rfc_3339_says(
    ts: str, accepted: bool
) -> None:
    message = example_message(DEVICE_TYPES["safety_alarm"].events["button_need"]) | {"ts": ts}
    topic = f"{TENANT_ROOT}/safety_alarm/{message['device_id']}/events"
    assert decoder_accepts(message, topic) is accepted
    assert schema_accepts(message) is accepted


@pytest.mark.parametrize(
    ("seq", "accepted"), [(87.0, True), (1e1, True), (87.5, False), ("87", False)]
)
def test_integral_numbers_are_integers_as_in_json_schema(seq: object, accepted: bool) -> None:
    message = example_message(DEVICE_TYPES["safety_alarm"].events["button_need"]) | {"seq": seq}
    topic = f"{TENANT_ROOT}/safety_alarm/{message['device_id']}/events"
    assert decoder_accepts(message, topic) is accepted
    assert schema_accepts(message) is accepted


def test_a_refused_timestamp_names_the_rule() -> None:
    message = example_message(DEVICE_TYPES["safety_alarm"].events["button_need"])
    topic = f"{TENANT_ROOT}/safety_alarm/{message['device_id']}/events"
    verdict = decode_message(topic, orjson.dumps(message | {"ts": "2026-01-05T08:13Z"}))
    assert not isinstance(verdict, Accepted)
    assert (verdict.reason, verdict.path) == ("schema", "ts")
    assert verdict.expected.startswith("an RFC 3339 date-time with seconds")


@pytest.mark.parametrize(
    ("seq", "expected"),
    [
        (5.5, "Input should be a valid integer"),
        ("87", "Input should be a valid integer"),
        (True, "Input should be a valid integer"),
        (-1, "Input should be greater than or equal to 0"),
        (-1.0, "Input should be greater than or equal to 0"),
    ],
)
def test_a_refused_integer_is_one_fault_on_its_field(seq: object, expected: str) -> None:
    message = example_message(DEVICE_TYPES["safety_alarm"].events["button_need"]) | {"seq": seq}
    topic = f"{TENANT_ROOT}/safety_alarm/{message['device_id']}/events"
    verdict = decode_message(topic, orjson.dumps(message))
    assert not isinstance(verdict, Accepted)
    assert (verdict.reason, verdict.path, verdict.expected) == ("schema", "seq", expected)
    assert verdict.more == ()
