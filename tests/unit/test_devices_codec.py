"""The one decode/validate path: round trips, every rejection reason, and fuzzing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, get_args

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.contract.catalog import DEVICE_TYPES, EventSpec
from devices.contract.codec import (
    DEFAULT_LIMITS,
    UNDIAGNOSED,
    Accepted,
    Limits,
    Rejected,
    RejectReason,
    TenantRoots,
    Verdict,
    decode_message,
    decode_status,
    encode_device_message,
    encode_fields,
    encode_message,
    encode_rejection,
    encode_status,
    format_datetime,
    format_ts,
    json_text,
)
from devices.contract.errors import InvalidTopic
from devices.contract.messages import SCHEMA_VERSION, message_fields
from devices.contract.topics import device_topic, event_topic_levels, events_subscription

NOW = 1767600802.125
TS = "2026-01-05T08:13:22.125Z"
REASONS = set(get_args(RejectReason))
ALL_EVENTS = [spec for kind in DEVICE_TYPES.values() for spec in kind.events.values()]


def topic_of(device_type: str = "safety_alarm", device_id: str = "sa-0001") -> str:
    """The events topic of a device of tenant ``lier``."""
    return f"vt/v1/lier/{device_type}/{device_id}/events"


def example_fields(spec: EventSpec) -> dict[str, object]:
    """The catalog examples of an event's fields."""
    return {field.name: field.example for field in spec.fields}


def valid_body(
    kind: str = "safety_alarm", name: str = "battery_low", /, **changes: Any
) -> dict[str, Any]:
    """A valid ``kind.name`` message as a dict (catalog examples), with ``changes`` applied."""
    spec = DEVICE_TYPES[kind].events[name]
    body: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "message_id": "sa-0001-00000042",
        "device_id": "sa-0001",
        "device_type": kind,
        "event": name,
        "ts": TS,
        "seq": 42,
        **example_fields(spec),
    }
    body.update(changes)
    return body


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    """``body`` without ``key``."""
    return {k: v for k, v in body.items() if k != key}


def nested(depth: int) -> Any:
    """A JSON value nested ``depth`` levels deep."""
    value: Any = 1
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


def assert_sound(verdict: Verdict) -> None:
    """Every verdict is Accepted or a well-formed Rejected that the net did not have to catch."""
    assert isinstance(verdict, Accepted | Rejected)
    if isinstance(verdict, Rejected):
        assert verdict.reason in REASONS
        assert len(verdict.got) <= 80
        assert len(verdict.path) <= 80
        assert not verdict.got.startswith(UNDIAGNOSED), verdict
        line = verdict.describe()
        assert "\n" not in line and "\r" not in line


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ALL_EVENTS, ids=lambda s: f"{s.device_type}.{s.event}")
def test_every_catalog_example_round_trips(spec: EventSpec) -> None:
    fields = example_fields(spec)
    payload = encode_fields(spec.device_type, "dev-7", spec.event, "dev-7-00000003", TS, 3, fields)
    verdict = decode_message(topic_of(spec.device_type, "dev-7"), payload, now_epoch_s=NOW)
    assert isinstance(verdict, Accepted), verdict
    message = verdict.message
    assert (message.device_type, message.event, message.device_id) == (
        spec.device_type,
        spec.event,
        "dev-7",
    )
    assert (message.message_id, message.seq) == ("dev-7-00000003", 3)
    assert message.ts == datetime(2026, 1, 5, 8, 13, 22, 125000, tzinfo=UTC)
    assert message_fields(message) == fields
    assert encode_message(message) == payload


@settings(max_examples=300, deadline=None)
@given(
    device_id=st.text(min_size=1, max_size=40),
    spec=st.sampled_from(ALL_EVENTS),
    seq=st.integers(min_value=0, max_value=2**63 - 1),
    epoch_s=st.floats(min_value=0, max_value=4e9, allow_nan=False),
    with_fields=st.booleans(),
)
def test_the_device_encoder_writes_what_encode_fields_writes(
    device_id: str, spec: EventSpec, seq: int, epoch_s: float, with_fields: bool
) -> None:
    fields = example_fields(spec) if with_fields else {}
    ts = format_ts(epoch_s)
    expected = encode_fields(spec.device_type, device_id, spec.event, f"{device_id}-{seq:08d}",
                             ts, seq, fields)
    written = encode_device_message(json_text(device_id), json_text(device_id), spec.device_type,
                                    spec.event, ts, seq, fields)
    assert written == expected
    in_a_run = encode_fields(spec.device_type, device_id, spec.event,
                             f"{device_id}-r7-{seq:08d}", ts, seq, fields)
    stem = json_text(f"{device_id}-r7")
    assert encode_device_message(json_text(device_id), stem, spec.device_type, spec.event, ts,
                                 seq, fields) == in_a_run


def test_encoded_keys_come_in_canonical_order() -> None:
    payload = encode_fields(
        "gps_tracker",
        "gt-1",
        "sos",
        "gt-1-00000000",
        TS,
        0,
        {"lat": 59.78, "lon": 10.24, "accuracy_m": 4.0},
    )
    assert list(orjson.loads(payload)) == [
        "schema_version", "message_id", "device_id", "device_type", "event", "ts", "seq",
        "lat", "lon", "accuracy_m",
    ]  # fmt: skip
    assert b" " not in payload


def test_encode_fields_accepts_numpy_scalars() -> None:
    payload = encode_fields(
        "safety_alarm", "sa-0001", "heartbeat", "m-1", TS, 1, {"battery_pct": np.int64(80)}
    )
    verdict = decode_message(topic_of(), payload)
    assert isinstance(verdict, Accepted)
    assert message_fields(verdict.message) == {"battery_pct": 80}


def test_encode_message_writes_utc_with_milliseconds() -> None:
    sent = valid_body(ts="2026-01-05T09:13:22.125987+01:00")
    verdict = decode_message(topic_of(), orjson.dumps(sent))
    assert isinstance(verdict, Accepted)
    assert orjson.loads(encode_message(verdict.message))["ts"] == "2026-01-05T08:13:22.125Z"


@pytest.mark.parametrize(
    ("epoch_s", "text"),
    [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (NOW, TS),
        (1767600802.9996, "2026-01-05T08:13:23.000Z"),
        (951782400.5, "2000-02-29T00:00:00.500Z"),
        (-1.5, "1969-12-31T23:59:58.500Z"),
    ],
)
def test_format_ts(epoch_s: float, text: str) -> None:
    assert format_ts(epoch_s) == text


@given(st.floats(min_value=-2e9, max_value=4e9))
def test_format_ts_agrees_with_datetime(epoch_s: float) -> None:
    parsed = datetime.fromisoformat(format_ts(epoch_s))
    assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)
    assert abs(parsed.timestamp() - epoch_s) <= 0.0005 + 1e-6


def test_format_datetime_keeps_an_offset_it_cannot_convert() -> None:
    earliest = datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert format_datetime(earliest) == "0001-01-01T00:30:00.000+01:00"


# --- rejections -----------------------------------------------------------------------------

REJECTIONS: list[tuple[str, str, bytes, RejectReason, str]] = [
    ("not json", topic_of(), b'{"schema_version": "1.0",', "not_json", ""),
    ("invalid utf-8", topic_of(), b'{"device_id": "sa-\xff"}', "invalid_utf8", ""),
    ("array payload", topic_of(), b"[1, 2, 3]", "not_object", ""),
    ("depth 50", topic_of(), orjson.dumps(valid_body(extra=nested(50))), "too_deep", "extra"),
    (
        "unknown kind",
        topic_of(),
        orjson.dumps(valid_body(device_type="toaster")),
        "unknown_device_type",
        "device_type",
    ),
    (
        "unknown event",
        topic_of(),
        orjson.dumps(valid_body(event="exploded")),
        "unknown_event",
        "event",
    ),
    (
        "wrong type",
        topic_of(),
        orjson.dumps(valid_body(battery_pct="low")),
        "schema",
        "battery_pct",
    ),
    (
        "out of range",
        topic_of(),
        orjson.dumps(valid_body(battery_pct=150)),
        "schema",
        "battery_pct",
    ),
    ("missing seq", topic_of(), orjson.dumps(without(valid_body(), "seq")), "schema", "seq"),
    ("extra field", topic_of(), orjson.dumps(valid_body(colour="red")), "schema", "colour"),
    (
        "topic device id",
        topic_of(device_id="sa-0002"),
        orjson.dumps(valid_body()),
        "topic_mismatch",
        "device_id",
    ),
    (
        "topic device type",
        topic_of(device_type="e_lock"),
        orjson.dumps(valid_body()),
        "topic_mismatch",
        "device_type",
    ),
    ("bad topic", "sensors/sa-0001", orjson.dumps(valid_body()), "bad_topic", ""),
    (
        "ts 1 h ahead",
        topic_of(),
        orjson.dumps(valid_body(ts=format_ts(NOW + 3600))),
        "ts_in_future",
        "ts",
    ),
    (
        "ts 30 days old",
        topic_of(),
        orjson.dumps(valid_body(ts=format_ts(NOW - 30 * 86400))),
        "ts_in_past",
        "ts",
    ),
    (
        "oversize 20 kB",
        topic_of(),
        orjson.dumps(valid_body(message_id="x" * 20_000)),
        "oversize",
        "",
    ),
]


@pytest.mark.parametrize(
    ("topic", "payload", "reason", "path"),
    [case[1:] for case in REJECTIONS],
    ids=[case[0] for case in REJECTIONS],
)
def test_each_rejection_reason_names_the_right_place(
    topic: str, payload: bytes, reason: RejectReason, path: str
) -> None:
    verdict = decode_message(topic, payload, now_epoch_s=NOW)
    assert isinstance(verdict, Rejected), verdict
    assert (verdict.reason, verdict.path) == (reason, path), verdict.describe()
    assert verdict.topic == topic
    assert_sound(verdict)


def test_the_cases_cover_every_reason() -> None:
    assert {case[3] for case in REJECTIONS} == REASONS


def reject(payload: bytes | dict[str, Any], topic: str = topic_of(), **kwargs: Any) -> Rejected:
    """Decode and insist on a rejection."""
    raw = orjson.dumps(payload) if isinstance(payload, dict) else payload
    verdict = decode_message(topic, raw, **kwargs)
    assert isinstance(verdict, Rejected), verdict
    assert_sound(verdict)
    return verdict


def test_describe_is_one_line_with_reason_path_expected_and_got() -> None:
    verdict = reject(valid_body(battery_pct=150))
    assert verdict.got == "150"
    assert verdict.expected == "Input should be less than or equal to 100"
    assert verdict.describe() == (
        "vt/v1/lier/safety_alarm/sa-0001/events: schema at 'battery_pct': "
        "expected Input should be less than or equal to 100, got 150"
    )


def test_wrong_type_shows_the_value_that_came() -> None:
    verdict = reject(valid_body(battery_pct="low"))
    assert verdict.got == '"low"'
    assert "integer" in verdict.expected


def test_missing_field_says_so() -> None:
    assert reject(without(valid_body(), "seq")).got == "nothing (field missing)"
    verdict = reject(without(valid_body(), "device_type"))
    assert (verdict.reason, verdict.got) == ("unknown_device_type", "nothing (field missing)")


def test_unknown_kind_lists_the_known_kinds() -> None:
    verdict = reject(valid_body(device_type="toaster"))
    assert verdict.got == '"toaster"'
    assert all(kind in verdict.expected for kind in DEVICE_TYPES)


def test_unknown_event_lists_the_events_of_that_kind() -> None:
    verdict = reject(valid_body(event="exploded"))
    assert all(event in verdict.expected for event in DEVICE_TYPES["safety_alarm"].events)
    assert "dose_missed" not in verdict.expected


def test_event_of_another_kind_is_unknown_for_this_kind() -> None:
    verdict = reject(valid_body(event="dose_missed"))
    assert (verdict.reason, verdict.path) == ("unknown_event", "event")


def test_device_type_that_is_not_a_string_is_unknown() -> None:
    verdict = reject(valid_body(device_type=["safety_alarm"]))
    assert verdict.reason == "unknown_device_type"


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"battery_pct": "15"}, "battery_pct"),  # numbers must be JSON numbers
        ({"battery_pct": 15.5}, "battery_pct"),  # an integer takes integral numbers only
        ({"battery_pct": True}, "battery_pct"),
        ({"battery_pct": None}, "battery_pct"),
        ({"seq": -1}, "seq"),
        ({"seq": 2**63}, "seq"),
        ({"seq": "42"}, "seq"),
        ({"ts": 1767600802}, "ts"),
        ({"ts": "2026-01-05T08:13:22"}, "ts"),  # no offset
        ({"ts": "yesterday"}, "ts"),
        ({"schema_version": "2.0"}, "schema_version"),
        ({"message_id": ""}, "message_id"),
        ({"message_id": "a\nb"}, "message_id"),
        ({"message_id": "m" * 129}, "message_id"),
        ({"device_id": "sa 0001"}, "device_id"),
        ({"device_id": "-sa"}, "device_id"),
    ],
)
def test_envelope_and_field_rules_are_strict(changes: dict[str, Any], path: str) -> None:
    verdict = reject(valid_body(**changes))
    assert (verdict.reason, verdict.path) == ("schema", path), verdict.describe()


@pytest.mark.parametrize(
    ("device_type", "event", "changes", "path"),
    [
        ("gps_tracker", "sos", {"lat": 91.0}, "lat"),
        ("gps_tracker", "sos", {"lon": -180.5}, "lon"),
        ("gps_tracker", "position", {"accuracy_m": -1.0}, "accuracy_m"),
        ("gps_tracker", "geofence_exit", {"geofence_id": ""}, "geofence_id"),
        ("medicine_dispenser", "dose_missed", {"scheduled_at": "25:00"}, "scheduled_at"),
        ("medicine_dispenser", "dose_missed", {"scheduled_at": "8:00"}, "scheduled_at"),
        ("medicine_dispenser", "refill_due", {"doses_left": -2}, "doses_left"),
        ("safety_alarm", "fall_detected", {"confidence": 1.01}, "confidence"),
        ("e_lock", "unlocked_by_staff", {"staff_id": "hs 017"}, "staff_id"),
        ("night_supervision", "check_ok", {"minutes_out": 3}, "minutes_out"),
    ],
)
def test_event_fields_are_checked(
    device_type: str, event: str, changes: dict[str, Any], path: str
) -> None:
    body = valid_body(device_type, event, device_id="dev-1", **changes)
    verdict = reject(body, topic=topic_of(device_type, "dev-1"))
    assert (verdict.reason, verdict.path) == ("schema", path), verdict.describe()


def test_numbers_too_large_for_a_float_are_refused() -> None:
    body = orjson.dumps(valid_body("gps_tracker", "position", device_id="gt-1", accuracy_m=8.5))
    payload = body.replace(b'"accuracy_m":8.5', b'"accuracy_m":1e400')
    verdict = reject(payload, topic=topic_of("gps_tracker", "gt-1"))
    # pydantic would read infinity (refused by allow_inf_nan=False); the diagnosis names the number
    assert verdict.reason == "not_json"
    assert "infinity" in verdict.got


def test_accuracy_accepts_a_json_integer() -> None:
    body = valid_body("gps_tracker", "position", device_id="gt-1", accuracy_m=8)
    verdict = decode_message(topic_of("gps_tracker", "gt-1"), orjson.dumps(body))
    assert isinstance(verdict, Accepted)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "not_json"),
        (b"   ", "not_json"),
        (b"\xef\xbb\xbf{}", "not_json"),  # byte order mark
        (b'{"confidence": NaN}', "not_json"),
        (b'{"device_id": "\\ud800"}', "not_json"),  # lone surrogate
        (b"null", "not_object"),
        (b'"text"', "not_object"),
        (b"42", "not_object"),
        (b"[" * 5000 + b"]" * 5000, "not_object"),
        (b'{"a":' * 2000 + b"1" + b"}" * 2000, "too_deep"),  # beyond the parser's limit
        (b"{}", "unknown_device_type"),
    ],
)
def test_malformed_payloads(payload: bytes, reason: RejectReason) -> None:
    assert reject(payload).reason == reason


def test_invalid_utf8_points_at_the_bad_byte() -> None:
    verdict = reject(b'{"device_id": "sa-\xff"}')
    assert verdict.got == "byte 0xff at offset 18"


def test_not_json_shows_where_parsing_stopped() -> None:
    verdict = reject(b'{"seq": 1,, "x": 2}')
    assert "offset 10" in verdict.got


def test_depth_counts_the_top_level_object_as_one() -> None:
    assert_depth_ok = decode_message(topic_of(), orjson.dumps(valid_body(extra=nested(7))))
    assert isinstance(assert_depth_ok, Rejected) and assert_depth_ok.reason == "schema"
    assert reject(valid_body(extra=nested(8))).reason == "too_deep"
    limits = Limits(max_depth=20)
    verdict = decode_message(topic_of(), orjson.dumps(valid_body(extra=nested(8))), limits=limits)
    assert isinstance(verdict, Rejected) and verdict.reason == "schema"


def test_long_values_are_cut_to_80_characters() -> None:
    verdict = reject(valid_body(device_type="t" * 10_000))
    assert len(verdict.got) == 80 and verdict.got.endswith("...")


def test_got_is_printable() -> None:
    verdict = reject(valid_body(device_type="bell\x07\u2028"))
    assert verdict.got.isprintable()
    extra = reject(valid_body(**{"new\nline": 1}))
    assert (extra.reason, extra.path) == ("schema", "new\\nline")


@pytest.mark.parametrize(
    "topic",
    [
        "vt/v1/lier/safety_alarm/sa-0001/status",
        "vt/v1/lier/safety_alarm/sa-0001/events/extra",
        "vt/v2/lier/safety_alarm/sa-0001/events",
        "vt/v1/+/safety_alarm/sa-0001/events",
        "vt/v1//safety_alarm/sa-0001/events",
        "vt/v1/lier/centre/sa-0001/events",
        "vt/v1/centre/safety_alarm/sa-0001/events",
        "",
    ],
)
def test_topics_outside_the_scheme_are_bad(topic: str) -> None:
    assert reject(valid_body(), topic=topic).reason == "bad_topic"


TOPIC_PARTS = st.sampled_from(["vt", "v1", "v2", "lier", "bærum", "+", "#", "", "a b", "centre",
                                "safety_alarm", "sa-0001", "events", "status", "x" * 65])
ROOTS = st.sampled_from(["vt/v1/lier", "vt/v1/centre", "vt/v1/baerum", "vt/v1/bærum", "vt/v1/+",
                         "vt/v1/",
                         "vt/v2/lier", "vt/v1/lier/x", "x/vt/v1/lier", "vt/v1/a b", "vt/v1",
                         "vt/v1/" + "x" * 65, "vt/v1/" + "x" * 64])
EVENT_TOPICS = st.tuples(
    ROOTS,
    st.sampled_from(["safety_alarm", "gps_tracker", "centre", ""]),
    st.sampled_from(["sa-0001", "sa-0002", "sa-0001/x", "x/sa-0001", ""]),
    st.sampled_from(["events", "status", "events/x"]),
).map("/".join)


@settings(max_examples=400, deadline=None)
@given(topic=st.one_of(EVENT_TOPICS, st.lists(TOPIC_PARTS, max_size=7).map("/".join)))
def test_a_message_is_accepted_on_exactly_its_own_event_topics(topic: str) -> None:
    verdict = decode_message(topic, orjson.dumps(valid_body()), now_epoch_s=NOW)
    levels = event_topic_levels(topic)
    own = levels is not None and levels[1:] == ("safety_alarm", "sa-0001")
    assert isinstance(verdict, Accepted) == own, (topic, verdict)


@settings(max_examples=200, deadline=None)
@given(topics=st.lists(st.one_of(EVENT_TOPICS, st.lists(TOPIC_PARTS, max_size=7).map("/".join)),
                       max_size=12))
def test_a_receivers_memo_of_topic_roots_changes_no_verdict(topics: list[str]) -> None:
    roots = TenantRoots(kept=3)  # small, so that it also starts afresh during the test
    payload = orjson.dumps(valid_body())
    for topic in topics * 2:  # every root a second time, now remembered
        remembered = decode_message(topic, payload, now_epoch_s=NOW, roots=roots)
        assert remembered == decode_message(topic, payload, now_epoch_s=NOW), topic
        assert len(roots) <= 3


def test_the_reserved_tenant_centre_is_a_bad_topic_for_events_and_status() -> None:
    assert reject(valid_body(), topic="vt/v1/centre/safety_alarm/sa-0001/events").reason == (
        "bad_topic")
    status = encode_status("safety_alarm", "sa-0001", "online", TS)
    verdict = decode_status("vt/v1/centre/safety_alarm/sa-0001/status", status, now_epoch_s=NOW)
    assert isinstance(verdict, Rejected) and verdict.reason == "bad_topic"
    with pytest.raises(InvalidTopic, match="reserved"):
        device_topic("centre", "safety_alarm", "sa-0001")
    with pytest.raises(InvalidTopic, match="reserved"):
        events_subscription("centre")


def test_other_tenants_are_fine() -> None:
    verdict = decode_message("vt/v1/baerum/safety_alarm/sa-0001/events", orjson.dumps(valid_body()))
    assert isinstance(verdict, Accepted)


def test_clock_limits_are_inclusive_and_configurable() -> None:
    def verdict_at(offset_s: float, limits: Limits = DEFAULT_LIMITS) -> Verdict:
        body = valid_body(ts=format_ts(NOW + offset_s))
        return decode_message(topic_of(), orjson.dumps(body), now_epoch_s=NOW, limits=limits)

    assert isinstance(verdict_at(300), Accepted)
    assert isinstance(verdict_at(-7 * 86400), Accepted)
    assert isinstance(verdict_at(301), Rejected)
    assert isinstance(verdict_at(-7 * 86400 - 1), Rejected)
    strict = Limits(max_future_s=0.0, max_past_s=60.0)
    assert isinstance(verdict_at(1, strict), Rejected)
    assert isinstance(verdict_at(-61, strict), Rejected)
    assert isinstance(verdict_at(-59, strict), Accepted)


def test_clock_is_not_checked_without_a_receiver_time() -> None:
    body = valid_body(ts=format_ts(NOW - 365 * 86400))
    assert isinstance(decode_message(topic_of(), orjson.dumps(body)), Accepted)


def test_clock_rejection_shows_the_bound_and_the_ts_as_sent() -> None:
    verdict = reject(valid_body(ts="2026-01-05T10:13:22.125+01:00"), now_epoch_s=NOW - 3600)
    assert verdict.reason == "ts_in_future"
    assert verdict.expected == "no later than 2026-01-05T07:18:22.125Z"
    assert verdict.got == "2026-01-05T10:13:22.125000+01:00"


@pytest.mark.parametrize(
    ("ts", "reason"),
    [("0001-01-01T00:30:00+01:00", "ts_in_past"), ("9999-12-31T23:59:59-01:00", "ts_in_future")],
)
def test_extreme_timestamps_are_judged_without_crashing(ts: str, reason: str) -> None:
    body = valid_body(ts=ts)
    accepted = decode_message(topic_of(), orjson.dumps(body))
    assert isinstance(accepted, Accepted)
    assert orjson.loads(encode_message(accepted.message))["seq"] == 42
    assert reject(body, now_epoch_s=NOW).reason == reason
    assert reject(body, now_epoch_s=1e300).reason == "ts_in_past"


def test_size_limit_is_configurable_and_checked_first() -> None:
    payload = b"\xff" * 100
    verdict = reject(payload, limits=Limits(max_bytes=99))
    assert (verdict.reason, verdict.expected, verdict.got) == (
        "oversize",
        "at most 99 bytes",
        "100 bytes",
    )


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="limits"):
        Limits(max_bytes=0)


def test_rejection_encodes_for_the_centre_topic() -> None:
    verdict = reject(valid_body(battery_pct=150))
    assert orjson.loads(encode_rejection(verdict)) == {
        "topic": verdict.topic,
        "reason": "schema",
        "path": "battery_pct",
        "expected": verdict.expected,
        "got": "150",
        "message_id": verdict.message_id,
        "seq": verdict.seq,
    }
    assert verdict.message_id and verdict.seq is not None


# --- properties -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)


def to_json(value: Any) -> bytes:
    """JSON text of any value (NaN and huge integers included, as careless senders write them)."""
    return json.dumps(value).encode()


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_get_a_verdict(payload: bytes) -> None:
    assert_sound(decode_message(topic_of(), payload, now_epoch_s=NOW))


@settings(max_examples=300)
@given(json_values)
def test_arbitrary_json_gets_a_verdict(value: Any) -> None:
    assert_sound(decode_message(topic_of(), to_json(value), now_epoch_s=NOW))


def valid_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """Valid messages of every event, built from catalog examples."""
    return st.sampled_from(ALL_EVENTS).map(lambda spec: valid_body(spec.device_type, spec.event))


@settings(max_examples=500)
@given(valid_bodies(), st.data())
def test_valid_message_with_one_field_replaced_gets_a_verdict(
    body: dict[str, Any], data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from([*body, "extra"]), label="key")
    body[key] = data.draw(json_values, label="value")
    topic = topic_of(str(body["device_type"]))
    verdict = decode_message(topic, to_json(body), now_epoch_s=NOW)
    assert_sound(verdict)
    if isinstance(verdict, Accepted):
        again = decode_message(topic, encode_message(verdict.message), now_epoch_s=NOW)
        assert isinstance(again, Accepted)
        assert message_fields(again.message) == message_fields(verdict.message)


@given(valid_bodies(), st.text(max_size=80))
def test_arbitrary_topics_get_a_verdict(body: dict[str, Any], topic: str) -> None:
    verdict = decode_message(topic, orjson.dumps(body))
    assert_sound(verdict)
    assert isinstance(verdict, Rejected)


offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


@given(st.datetimes(min_value=datetime(2000, 1, 1), timezones=offsets))
def test_any_offset_is_accepted_and_encoded_in_utc(moment: datetime) -> None:
    verdict = decode_message(topic_of(), orjson.dumps(valid_body(ts=moment.isoformat())))
    assert isinstance(verdict, Accepted)
    assert verdict.message.ts == moment
    encoded = orjson.loads(encode_message(verdict.message))["ts"]
    assert encoded.endswith("Z") and len(encoded) == len(TS)


# --- quoting and topic mismatches among schema faults --------------------------------------


def test_every_got_quotes_text_as_json() -> None:
    mismatch = reject(valid_body(), topic_of(device_id="sa-0002"))
    assert (mismatch.reason, mismatch.expected, mismatch.got) == (
        "topic_mismatch", '"sa-0002" (as in the topic)', '"sa-0001"')
    bad = reject(valid_body(), "sensors/sa-0001")
    assert (bad.reason, bad.got) == ("bad_topic", '"sensors/sa-0001"')


def test_a_topic_mismatch_is_listed_with_the_schema_faults() -> None:
    body = valid_body("medicine_dispenser", "dose_missed", seq=-1, device_id="md-0001")
    verdict = reject(body, topic_of(device_type="safety_alarm", device_id="sa-0001"))
    assert verdict.reason == "schema" and verdict.path == "seq"
    assert [(f.path, f.expected, f.got) for f in verdict.more] == [
        ("device_type", '"safety_alarm" (as in the topic)', '"medicine_dispenser"'),
        ("device_id", '"sa-0001" (as in the topic)', '"md-0001"')]
