"""Hypothesis: whatever arrives, the decoders give a verdict and never raise.

Arbitrary bytes, arbitrary JSON values and valid messages mutated in every way (fields dropped,
replaced by other JSON, wrong types, deep nesting, huge strings) all get exactly one verdict
with a known reason; valid messages built from the catalog bounds are always accepted.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.contract.catalog import DEVICE_TYPES, EventSpec, FieldSpec
from devices.contract.codec import (
    Accepted,
    Rejected,
    StatusAccepted,
    decode_message,
    decode_status,
    format_ts,
)
from devices.contract.examples import example_message, example_status, example_topic
from devices.contract.messages import DEVICE_ID_PATTERN
from devices.contract.replies import REJECTION_REASONS

NOW = 1767600802.125
ALL_EVENTS = [spec for kind in DEVICE_TYPES.values() for spec in kind.events.values()]
STATUS_TOPIC = "vt/v1/demo/e_lock/lock-0001/status"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=25,
)


DEEP = "\u0000deep:"


def to_json(value: Any) -> bytes:
    """JSON as careless senders write it: NaN, Infinity and huge integers included.

    A string ``DEEP + n`` becomes ``n`` nested arrays, written as text, since nesting beyond
    the parser's limit cannot be built as a Python value and encoded.
    """
    text = json.dumps(value)
    marker = json.dumps(DEEP)[:-1]
    while marker in text:
        start = text.index(marker)
        end = text.index('"', start + len(marker))
        levels = int(text[start + len(marker) : end])
        text = text[:start] + "[" * levels + "1" + "]" * levels + text[end + 1 :]
    return text.encode()


def assert_sound(verdict: object, topic: str) -> None:
    """One verdict of a known kind; a rejection names a known reason and the topic."""
    assert isinstance(verdict, Accepted | StatusAccepted | Rejected)
    if isinstance(verdict, Rejected):
        assert verdict.reason in REJECTION_REASONS
        assert verdict.topic == topic
        assert isinstance(verdict.got, str) and len(verdict.got) <= 80
        assert verdict.got.isprintable()
        assert not verdict.got.startswith("undiagnosed")


def judge_both(topic: str, payload: bytes) -> None:
    """Both decoders on the same input, each with a sound verdict."""
    assert_sound(decode_message(topic, payload, now_epoch_s=NOW), topic)
    assert_sound(decode_status(STATUS_TOPIC, payload, now_epoch_s=NOW), STATUS_TOPIC)


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_get_a_verdict(payload: bytes) -> None:
    judge_both(example_topic("safety_alarm"), payload)


@settings(max_examples=300)
@given(json_values)
def test_arbitrary_json_gets_a_verdict(value: Any) -> None:
    judge_both(example_topic("safety_alarm"), to_json(value))


def deep(levels: int) -> Any:
    """A value nested ``levels`` deep: objects and arrays up to 20, else written as text."""
    if levels > 20:
        return f"{DEEP}{levels}"
    leaf: Any = 1
    for level in range(levels):
        leaf = {"x": leaf} if level % 2 else [leaf]
    return leaf


mutations = st.one_of(
    json_values,
    st.integers(min_value=0, max_value=3000).map(deep),
    st.integers(min_value=1, max_value=40_000).map(lambda n: "x" * n),
    st.sampled_from(["", "\x00", "\ud800", "é" * 300, "2026-13-45T99:99:99Z", "NaN"]),
    st.sampled_from([True, 1.5, -1, 2**64, [], {}]),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ALL_EVENTS), st.data())
def test_mutated_valid_messages_get_a_verdict(spec: EventSpec, data: st.DataObject) -> None:
    body = example_message(spec)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        key = data.draw(st.sampled_from([*body, "extra"]), label="key")
        if data.draw(st.booleans(), label="drop"):
            body.pop(key, None)
        else:
            body[key] = data.draw(mutations, label="value")
    topic = example_topic(spec.device_type)
    judge_both(topic, to_json(body))


@settings(max_examples=200)
@given(st.sampled_from(["online", "offline"]), st.data())
def test_mutated_status_messages_get_a_verdict(value: str, data: st.DataObject) -> None:
    body = example_status("e_lock", value)
    key = data.draw(st.sampled_from([*body, "extra"]), label="key")
    body[key] = data.draw(mutations, label="value")
    assert_sound(decode_status(STATUS_TOPIC, to_json(body), now_epoch_s=NOW), STATUS_TOPIC)


def field_values(field: FieldSpec) -> st.SearchStrategy[Any]:
    """Any value the catalog allows for a field."""
    if field.type == "int":
        return st.integers(
            min_value=int(field.ge) if field.ge is not None else 0,
            max_value=int(field.le) if field.le is not None else 10**9,
        )
    if field.type == "float":
        return st.floats(
            min_value=field.ge if field.ge is not None else -1e9,
            max_value=field.le if field.le is not None else 1e9,
            allow_nan=False,
        )
    assert field.pattern is not None
    return st.from_regex(field.pattern, fullmatch=True)


@st.composite
def valid_messages(draw: st.DrawFn) -> dict[str, Any]:
    """Any valid message: catalog event, bounded fields, ids and ts near the receiver clock."""
    spec = draw(st.sampled_from(ALL_EVENTS))
    body = example_message(spec)
    body["device_id"] = draw(st.from_regex(DEVICE_ID_PATTERN, fullmatch=True))
    body["message_id"] = draw(
        st.text(st.characters(codec="utf-8", categories=["L", "N", "P"]), min_size=1, max_size=128)
    )
    body["seq"] = draw(st.integers(min_value=0, max_value=2**63 - 1))
    body["ts"] = format_ts(NOW + draw(st.floats(min_value=-6 * 86_400, max_value=290)))
    body.update({field.name: draw(field_values(field)) for field in spec.fields})
    return body


@settings(max_examples=400)
@given(valid_messages())
def test_valid_messages_are_always_accepted(body: dict[str, Any]) -> None:
    topic = f"vt/v1/demo/{body['device_type']}/{body['device_id']}/events"
    verdict = decode_message(topic, orjson.dumps(body), now_epoch_s=NOW)
    assert isinstance(verdict, Accepted), verdict


@settings(max_examples=200)
@given(
    st.sampled_from(list(DEVICE_TYPES)),
    st.from_regex(DEVICE_ID_PATTERN, fullmatch=True),
    st.sampled_from(["online", "offline"]),
    st.floats(min_value=-6 * 86_400, max_value=290),
)
def test_valid_status_messages_are_always_accepted(
    kind: str, device_id: str, value: str, offset_s: float
) -> None:
    body = {
        "schema_version": "1.0",
        "device_id": device_id,
        "device_type": kind,
        "status": value,
        "ts": format_ts(NOW + offset_s),
    }
    topic = f"vt/v1/demo/{kind}/{device_id}/status"
    assert isinstance(decode_status(topic, orjson.dumps(body), now_epoch_s=NOW), StatusAccepted)
