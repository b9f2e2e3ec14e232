"""Every answer says which message it answers: ``message_id`` and ``seq`` of the device's own
message, in acknowledgements and in every rejection whose payload has usable ones."""

from __future__ import annotations

import time

import orjson
import pytest

from devices.contract.catalog import DEVICE_TYPES
from devices.contract.codec import Rejected, decode_message, encode_rejection, ids_in
from devices.contract.examples import example_message
from devices.contract.rate_limit import RateLimit
from devices.contract.replies import RejectionNotice
from devices.transport.base import InProcessTransport
from vtsim.live.centre import LiveCentre

TOPIC = "vt/v1/lier/safety_alarm/sa-0001/events"


def alarm(seq: int, now: float, changes: dict[str, object] | None = None) -> dict[str, object]:
    message = example_message(DEVICE_TYPES["safety_alarm"].events["button_need"])
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now))
    return message | {"message_id": f"sa-0001-{seq:08d}", "seq": seq, "ts": stamp} | (changes or {})


@pytest.mark.parametrize(
    ("changes", "ids"),
    [
        ({"battery_pct": 1}, ("sa-0001-00000007", 7)),  # an extra field
        ({"ts": "yesterday"}, ("sa-0001-00000007", 7)),
        ({"seq": -3}, ("sa-0001-00000007", None)),
        ({"message_id": ""}, (None, 7)),
        ({"message_id": 42, "seq": "7"}, (None, None)),
        ({"device_id": "sa-0002"}, ("sa-0001-00000007", 7)),  # topic mismatch: a valid message
    ],
)
def test_a_rejection_names_the_refused_message(
    changes: dict[str, object], ids: tuple[str | None, int | None]
) -> None:
    now = time.time()
    verdict = decode_message(TOPIC, orjson.dumps(alarm(7, now, changes)), now_epoch_s=now)
    assert isinstance(verdict, Rejected)
    assert (verdict.message_id, verdict.seq) == ids
    notice = RejectionNotice.model_validate_json(encode_rejection(verdict))
    assert (notice.message_id, notice.seq) == ids


def test_a_payload_without_json_has_no_ids() -> None:
    assert ids_in(b"\xff\x00 not json") == (None, None)
    assert ids_in(b"[1, 2]") == (None, None)


def test_live_duplicates_and_rate_limited_answers_carry_the_ids() -> None:
    now = time.time()
    bus = InProcessTransport()
    heard: list[dict[str, object]] = []
    bus.subscribe("vt/v1/lier/centre/rejected/#", lambda t, p: heard.append(orjson.loads(p)))
    LiveCentre(bus, clock=lambda: now, rate_limit=RateLimit(rate_per_s=0.001, burst=2)).start()
    first = orjson.dumps(alarm(0, now))
    bus.publish(TOPIC, first)
    bus.publish(TOPIC, first)  # the same message again: duplicate
    heartbeat = {"event": "heartbeat", "battery_pct": 80}  # an alarm is never rate limited
    for seq in (1, 2, 3):  # beyond the burst by arrival and by send time: rate limited
        bus.publish(TOPIC, orjson.dumps(alarm(seq, now, heartbeat)))
    assert [(h["reason"], h["message_id"], h["seq"]) for h in heard] == [
        ("duplicate", "sa-0001-00000000", 0),
        ("rate_limited", "sa-0001-00000003", 3),
    ]


def test_messages_the_centre_throttled_itself_are_not_possible_loss() -> None:
    now = time.time()
    bus = InProcessTransport()
    clock = [now]
    centre = LiveCentre(bus, clock=lambda: clock[0], rate_limit=RateLimit(rate_per_s=1, burst=3))
    centre.start()
    heartbeat = {"event": "heartbeat", "battery_pct": 80}  # alarms are never throttled
    for seq in range(20):  # a flood: a burst by arrival and one by send time, then throttled
        bus.publish(TOPIC, orjson.dumps(alarm(seq, now, heartbeat)))
    time.sleep(1.2)  # the bucket refills (it runs on the monotonic clock)
    bus.publish(TOPIC, orjson.dumps(alarm(20, now, heartbeat)))
    snapshot = centre.snapshot()
    assert snapshot.totals["rate_limited"] == 14 and snapshot.totals["accepted"] == 7
    assert snapshot.gaps == 0
    assert snapshot.open_of_kind("possible_loss") == 0
