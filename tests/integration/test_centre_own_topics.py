"""What the live centre never answers, or answers only on topics of the scheme: its own
answers, tenants outside the scheme, cleared retained messages; and MQTT 5 replies on a
transport that does not acknowledge by hand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from devices.contract.catalog import DEVICE_TYPES
from devices.contract.codec import encode_status, format_ts
from devices.contract.scaip import mrq_document
from devices.contract.topics import topic_matches
from devices.transport.base import InProcessTransport
from tests.mqtt_cases import KIND, NOW, alarm
from vtsim.live.centre import Answer, LiveCentre
from vtsim.live.scaip_channel import ScaipChannel

Published = list[tuple[str, bytes]]


def bus_centre() -> tuple[InProcessTransport, LiveCentre, Published, list[Answer]]:
    bus = InProcessTransport()
    published: Published = []
    answers: list[Answer] = []
    bus.subscribe("vt/v1/#", lambda topic, payload: published.append((topic, payload))
                  if topic.split("/")[3:4] == ["centre"] else None)  # every answer, any tenant
    centre = LiveCentre(bus, clock=lambda: NOW, on_answer=answers.append)
    centre.start()
    return bus, centre, published, answers


def test_a_device_named_events_gets_one_ack_and_the_centre_ignores_it() -> None:
    bus, centre, published, answers = bus_centre()
    bus.publish(f"vt/v1/lier/{KIND}/events/events", alarm(1, device_id="events"))
    assert [t for t, _ in published] == ["vt/v1/lier/centre/ack/events"]
    assert [a.verdict for a in answers] == ["accepted"]
    assert centre.snapshot().totals == {"accepted": 1, "own_topics": 1}


def test_a_device_named_status_gets_no_rejection_of_the_centres_own_answer() -> None:
    bus, centre, published, _ = bus_centre()
    bus.publish(f"vt/v1/lier/{KIND}/status/events", alarm(1, device_id="status"))
    bus.publish(f"vt/v1/lier/{KIND}/status/status",
                encode_status(KIND, "status", "online", format_ts(NOW)), retain=True)
    assert [t for t, _ in published] == ["vt/v1/lier/centre/ack/status"]
    assert centre.snapshot().totals == {"accepted": 1, "own_topics": 1, "status_online": 1}


def test_a_tenant_outside_the_scheme_is_never_answered() -> None:
    bus, centre, published, answers = bus_centre()
    for tenant in ("lïer", "", "a b", "centre"):
        bus.publish(f"vt/v1/{tenant}/{KIND}/sa-0001/events", alarm(1, device_id="sa-0001"))
    assert published == []
    assert [(a.verdict, a.answered_on) for a in answers] == [("bad_topic", None)] * 4
    assert centre.snapshot().totals == {"bad_topic": 4, "unanswered": 4}


def test_clearing_a_retained_event_is_counted_not_answered() -> None:
    bus, centre, published, answers = bus_centre()
    bus.publish(f"vt/v1/lier/{KIND}/sa-0001/events", b"", retain=True)
    assert published == [] and answers == []
    assert centre.snapshot().totals == {"cleared_retained": 1}
    assert centre.snapshot().messages == 0


@dataclass
class Delivered:
    topic: str
    payload: bytes
    received_at: float
    retain: bool = False
    response_topic: str | None = None
    correlation_data: bytes | None = None


class MessageBus:
    """A transport that hands out whole messages and does not acknowledge by hand (as
    :class:`devices.transport.mqtt.MqttTransport` without ``manual_ack``)."""

    manual_ack = False

    def __init__(self) -> None:
        self.whole: list[tuple[str, Callable[[Any], None]]] = []
        self.plain: list[tuple[str, Callable[[str, bytes], None]]] = []
        self.sent: list[tuple[str, bytes | None]] = []
        self.bodies: list[tuple[str, bytes]] = []

    def subscribe_messages(self, pattern: str, handler: Callable[[Any], None], *,
                           qos: int = 1, timeout: float = 10.0) -> None:
        self.whole.append((pattern, handler))

    def subscribe(self, pattern: str, handler: Callable[[str, bytes], None]) -> None:
        self.plain.append((pattern, handler))

    def ack(self, message: Any) -> bool:
        raise AssertionError("a transport without manual_ack is never told to acknowledge")

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False,
                correlation_data: bytes | None = None) -> None:
        self.sent.append((topic, correlation_data))
        self.bodies.append((topic, payload))

    def deliver(self, message: Delivered) -> None:
        for pattern, handler in self.whole:
            if topic_matches(pattern, message.topic):
                handler(message)
                return
        for pattern, plain in self.plain:
            if topic_matches(pattern, message.topic):
                plain(message.topic, message.payload)
                return


def test_mqtt5_replies_do_not_depend_on_manual_ack() -> None:
    bus = MessageBus()
    centre = LiveCentre(bus, clock=lambda: NOW)
    centre.start()
    reply = "vt/v1/lier/centre/reply/sa-0001/r1"
    bus.deliver(Delivered(f"vt/v1/lier/{KIND}/sa-0001/events", alarm(1, device_id="sa-0001"),
                          NOW, response_topic=reply, correlation_data=b"req-1"))
    assert bus.sent == [("vt/v1/lier/centre/ack/sa-0001", None), (reply, b"req-1")]


def test_a_retained_event_is_answered_retained_event_and_opens_no_incident() -> None:
    bus = MessageBus()
    centre = LiveCentre(bus, clock=lambda: NOW)
    centre.start()
    topic, payload = f"vt/v1/lier/{KIND}/sa-0001/events", alarm(1, device_id="sa-0001")
    bus.deliver(Delivered(topic, payload, NOW, retain=True))
    ((answered_on, body),) = bus.bodies
    notice = orjson.loads(body)
    assert answered_on == "vt/v1/lier/centre/rejected/sa-0001"
    assert (notice["reason"], notice["got"], notice["message_id"]) == (
        "retained_event", "retain=1", "sa-0001-00000001")
    assert centre.snapshot().open_incidents == [] and centre.store.counts().messages == 0
    bus.deliver(Delivered(topic, payload, NOW))  # the live delivery is handled
    assert bus.bodies[-1][0] == "vt/v1/lier/centre/ack/sa-0001"


def test_a_retained_scaip_alarm_is_answered_alike_after_every_restart() -> None:
    fall = mrq_document(DEVICE_TYPES["safety_alarm"].events["fall_detected"],
                        {"confidence": 0.9}, ref="F1", cid="4711")
    for _ in range(2):  # two centre starts: the broker hands the retained copy to each
        bus = MessageBus()
        centre = LiveCentre(bus, clock=lambda: NOW)
        centre.start()
        ScaipChannel(centre, clock=lambda: NOW).start()
        bus.deliver(Delivered("vt/v1/lier/scaip/4711", fall, NOW, retain=True))
        ((answered_on, body),) = bus.bodies
        reply = orjson.loads(body)
        assert answered_on == "vt/v1/lier/centre/scaip/4711"
        assert (reply["verdict"], reply["snu"]) == ("retained_event", 5)
        assert centre.snapshot().open_incidents == []
        assert centre.reception.incidents.table() == {}
