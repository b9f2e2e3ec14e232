"""The retained status channel and the centre's answers: encoding, decoding, every rejection."""

from __future__ import annotations

import orjson
import pytest

from devices.contract.catalog import DEVICE_TYPES
from devices.contract.codec import (
    Accepted,
    Limits,
    Rejected,
    StatusAccepted,
    decode_message,
    decode_status,
    encode_acknowledgement,
    encode_rejection,
    encode_status,
    format_ts,
)
from devices.contract.examples import example_message
from devices.contract.replies import (
    REASON_DESCRIPTIONS,
    REJECTION_REASONS,
    Acknowledgement,
    RejectionNotice,
)
from devices.contract.status import STATUS_VALUES, DeviceStatus

NOW = 1767600802.125
TS = format_ts(NOW)
TOPIC = "vt/v1/lier/e_lock/lock-0001/status"


def status(value: str = "online", ts: str = TS, **changes: object) -> bytes:
    body = orjson.loads(encode_status("e_lock", "lock-0001", value, ts))  # type: ignore[arg-type]
    return orjson.dumps(body | changes)


@pytest.mark.parametrize("kind", list(DEVICE_TYPES))
@pytest.mark.parametrize("value", STATUS_VALUES)
def test_status_round_trips_for_every_kind(kind: str, value: str) -> None:
    topic = f"vt/v1/lier/{kind}/dev-7/status"
    payload = encode_status(kind, "dev-7", value, TS)  # type: ignore[arg-type]
    verdict = decode_status(topic, payload, now_epoch_s=NOW)
    assert isinstance(verdict, StatusAccepted)
    assert (verdict.status.status, verdict.status.device_type) == (value, kind)
    assert verdict.status.ts.timestamp() == pytest.approx(NOW)


def test_an_old_last_will_is_accepted_but_an_old_online_is_not() -> None:
    month_ago = format_ts(NOW - 30 * 86_400)
    assert isinstance(
        decode_status(TOPIC, status("offline", month_ago), now_epoch_s=NOW), StatusAccepted
    )
    verdict = decode_status(TOPIC, status("online", month_ago), now_epoch_s=NOW)
    assert isinstance(verdict, Rejected) and verdict.reason == "ts_in_past"


def test_a_status_from_the_future_is_refused_whatever_its_value() -> None:
    later = format_ts(NOW + 3600)
    for value in STATUS_VALUES:
        verdict = decode_status(TOPIC, status(value, later), now_epoch_s=NOW)
        assert isinstance(verdict, Rejected) and verdict.reason == "ts_in_future"
        assert verdict.path == "ts"


@pytest.mark.parametrize(
    ("topic", "payload", "reason", "path"),
    [
        (TOPIC, b"online", "not_json", ""),
        (TOPIC, b'"online"', "not_object", ""),
        (TOPIC, b'{"status":"online\xff"}', "invalid_utf8", ""),
        (TOPIC, b"{" + b" " * 20_000 + b"}", "oversize", ""),
        (
            TOPIC,
            status(extra={"a": {"b": {"c": {"d": {"e": {"f": {"g": {}}}}}}}}),
            "too_deep",
            "extra",
        ),
        (TOPIC, status(device_type="toaster"), "unknown_device_type", "device_type"),
        (TOPIC, status(status="asleep"), "schema", "status"),
        (TOPIC, status(extra=1), "schema", "extra"),
        (TOPIC, status(ts="yesterday"), "schema", "ts"),
        ("vt/v1/lier/e_lock/lock-0001/events", status(), "bad_topic", ""),
        ("vt/v1/lier/e_lock/lock-0002/status", status(), "topic_mismatch", "device_id"),
        ("vt/v1/lier/gps_tracker/lock-0001/status", status(), "topic_mismatch", "device_type"),
    ],
)
def test_each_status_fault_gets_its_own_reason(
    topic: str, payload: bytes, reason: str, path: str
) -> None:
    verdict = decode_status(topic, payload, now_epoch_s=NOW, limits=Limits())
    assert isinstance(verdict, Rejected)
    assert (verdict.reason, verdict.path, verdict.topic) == (reason, path, topic)
    assert verdict.expected and verdict.got


def test_a_device_message_on_the_status_topic_is_refused() -> None:
    body = example_message(DEVICE_TYPES["e_lock"].events["jammed"])
    verdict = decode_status(TOPIC, orjson.dumps(body))
    assert isinstance(verdict, Rejected) and verdict.reason == "schema"


def test_acknowledgement_is_valid_against_its_model() -> None:
    body = example_message(DEVICE_TYPES["e_lock"].events["jammed"])
    verdict = decode_message("vt/v1/demo/e_lock/lock-0001/events", orjson.dumps(body))
    assert isinstance(verdict, Accepted)
    ack = Acknowledgement.model_validate_json(encode_acknowledgement(verdict.message, TS))
    assert (ack.message_id, ack.device_id, ack.seq) == (
        body["message_id"],
        body["device_id"],
        body["seq"],
    )


def test_rejection_is_valid_against_its_model() -> None:
    verdict = decode_message("vt/v1/demo/e_lock/lock-0001/events", b"[]")
    assert isinstance(verdict, Rejected)
    notice = RejectionNotice.model_validate_json(encode_rejection(verdict))
    assert notice.reason == "not_object" and notice.topic == verdict.topic


def test_every_reason_is_described_for_vendors() -> None:
    assert set(REASON_DESCRIPTIONS) == set(REJECTION_REASONS)
    assert "duplicate" in REJECTION_REASONS
    assert all(text.endswith(".") for text in REASON_DESCRIPTIONS.values())


def test_status_model_is_strict() -> None:
    with pytest.raises(ValueError):
        DeviceStatus.model_validate_json(status(schema_version=1))
