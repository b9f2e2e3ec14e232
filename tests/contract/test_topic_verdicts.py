"""Every message on a device topic gets a verdict, live and offline, and the same one.

A tenant level the topic scheme does not allow (non-ASCII letters, a space, an empty level), an
unknown device type or an unusable device level is ``bad_topic``: offline from the decoder that
``vtsim validate`` uses, and live from the centre. The centre answers only on topics of the
scheme: a tenant level outside it (or the reserved ``centre``) gets no answer, the verdict is
counted as unanswered.
"""

from __future__ import annotations

import time

import orjson
import pytest

from devices.contract.catalog import DEVICE_TYPES
from devices.contract.codec import Rejected, decode_message
from devices.contract.examples import example_message
from devices.transport.base import InProcessTransport
from vtsim.live.centre import LiveCentre

DEVICE = "sa-0001"
KIND = "safety_alarm"


def alarm(now: float) -> bytes:
    message = example_message(DEVICE_TYPES[KIND].events["button_need"])
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
    return orjson.dumps(message | {"device_id": DEVICE, "ts": f"{stamp}.000Z"})


BAD_TOPICS = [
    (f"vt/v1/bærum/{KIND}/{DEVICE}/events", None),
    (f"vt/v1/my town/{KIND}/{DEVICE}/events", None),
    (f"vt/v1//{KIND}/{DEVICE}/events", None),
    (f"vt/v1/centre/{KIND}/{DEVICE}/events", None),
    (f"vt/v1/lier/toaster/{DEVICE}/events", f"vt/v1/lier/centre/rejected/{DEVICE}"),
    (f"vt/v1/lier/{KIND}//events", "vt/v1/lier/centre/rejected"),
    (f"vt/v1/lier/{KIND}/sa 0001/events", "vt/v1/lier/centre/rejected"),
]


@pytest.mark.parametrize(("topic", "answered_on"), BAD_TOPICS)
def test_a_bad_topic_gets_one_bad_topic_answer_live_and_offline(
    topic: str, answered_on: str | None
) -> None:
    now = time.time()
    offline = decode_message(topic, alarm(now), now_epoch_s=now)
    assert isinstance(offline, Rejected) and offline.reason == "bad_topic"

    bus = InProcessTransport()
    heard: list[tuple[str, bytes]] = []
    bus.subscribe("vt/v1/+/centre/#", lambda t, p: heard.append((t, p)))
    verdicts: list[str] = []
    centre = LiveCentre(bus, clock=lambda: now, on_answer=lambda a: verdicts.append(a.verdict))
    centre.start()
    bus.publish(topic, alarm(now))
    assert verdicts == ["bad_topic"]
    if answered_on is None:  # no answer topic of the scheme: counted, not answered
        assert heard == [] and centre.snapshot().totals["unanswered"] == 1
        return
    assert len(heard) == 1, heard
    assert heard[0][0] == answered_on
    answer = orjson.loads(heard[0][1])
    assert (answer["reason"], answer["topic"]) == ("bad_topic", topic)


def test_a_valid_topic_is_still_acknowledged() -> None:
    now = time.time()
    bus = InProcessTransport()
    heard: list[str] = []
    bus.subscribe("vt/v1/+/centre/#", lambda t, p: heard.append(t))
    centre = LiveCentre(bus, clock=lambda: now)
    centre.start()
    bus.publish(f"vt/v1/lier/{KIND}/{DEVICE}/events", alarm(now))
    assert heard == [f"vt/v1/lier/centre/ack/{DEVICE}"]
