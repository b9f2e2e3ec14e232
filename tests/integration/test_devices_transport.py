"""The topic scheme, MQTT wildcard matching and the in-process transport."""

from __future__ import annotations

import pytest

from devices.contract.errors import InvalidTopic
from devices.contract.topics import (
    STATUS_OFFLINE,
    STATUS_ONLINE,
    DeviceTopic,
    ack_topic,
    device_topic,
    events_subscription,
    incident_topic,
    parse_device_topic,
    rejected_topic,
    topic_matches,
)
from devices.transport.base import InProcessTransport, Transport

# --- topic scheme ---------------------------------------------------------------------------


def test_device_topic_follows_the_scheme() -> None:
    assert device_topic("lier", "safety_alarm", "sa-0001") == (
        "vt/v1/lier/safety_alarm/sa-0001/events"
    )
    assert device_topic("lier", "e_lock", "el-9", "status") == "vt/v1/lier/e_lock/el-9/status"


@pytest.mark.parametrize(
    ("tenant", "device_type", "device_id", "channel"),
    [
        ("lier", "safety_alarm", "sa-0001", "alarms"),
        ("li/er", "safety_alarm", "sa-0001", "events"),
        ("lier", "safety_alarm", "+", "events"),
        ("lier", "safety_alarm", "#", "events"),
        ("", "safety_alarm", "sa-0001", "events"),
        ("lier", "Safety Alarm", "sa-0001", "events"),
        ("lier", "centre", "sa-0001", "events"),
    ],
)
def test_device_topic_refuses_levels_outside_the_scheme(
    tenant: str, device_type: str, device_id: str, channel: str
) -> None:
    with pytest.raises(InvalidTopic):
        device_topic(tenant, device_type, device_id, channel)


def test_centre_topics() -> None:
    assert ack_topic("lier", "sa-0001") == "vt/v1/lier/centre/ack/sa-0001"
    assert rejected_topic("lier", "sa-0001") == "vt/v1/lier/centre/rejected/sa-0001"
    assert incident_topic("lier", "inc-000042") == "vt/v1/lier/centre/incidents/inc-000042"
    with pytest.raises(InvalidTopic):
        incident_topic("lier", "inc/42")


def test_parse_device_topic_round_trips() -> None:
    topic = device_topic("baerum", "gps_tracker", "gt.17", "status")
    assert parse_device_topic(topic) == DeviceTopic("baerum", "gps_tracker", "gt.17", "status")


@pytest.mark.parametrize(
    "topic",
    [
        "vt/v1/lier/safety_alarm/sa-0001",
        "vt/v1/lier/safety_alarm/sa-0001/events/x",
        "vt/v2/lier/safety_alarm/sa-0001/events",
        "vt/v1/lier/safety_alarm/sa-0001/alarms",
        "vt/v1/lier/centre/ack/sa-0001",
        "vt/v1/+/safety_alarm/sa-0001/events",
        "vt/v1/lier/safety_alarm/sa-0001/events\n",
        "",
    ],
)
def test_parse_device_topic_returns_none_outside_the_scheme(topic: str) -> None:
    assert parse_device_topic(topic) is None


def test_events_subscription() -> None:
    assert events_subscription(None) == "vt/v1/+/+/+/events"
    assert events_subscription("lier") == "vt/v1/lier/+/+/events"
    assert topic_matches(events_subscription("lier"), device_topic("lier", "e_lock", "e1"))
    assert not topic_matches(events_subscription("lier"), device_topic("asker", "e_lock", "e1"))
    assert not topic_matches(events_subscription(None), ack_topic("lier", "e1"))


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("a/b/c", "a/b/c", True),
        ("a/b/c", "a/b/d", False),
        ("a/b", "a/b/c", False),
        ("a/+/c", "a/b/c", True),
        ("a/+/c", "a/b/x/c", False),
        ("a/+", "a/b/c", False),
        ("+/+", "/finance", True),
        ("+", "/finance", False),
        ("a/+", "a/", True),
        ("a/#", "a", True),
        ("a/#", "a/b/c/d", True),
        ("a/#", "ab/c", False),
        ("#", "a/b", True),
        ("+/#", "a", True),
        ("#", "$SYS/broker/load", False),
        ("+/broker/load", "$SYS/broker/load", False),
        ("$SYS/#", "$SYS/broker/load", True),
        ("vt/v1/+/+/+/events", "vt/v1/lier/e_lock/el-1/events", True),
        ("vt/v1/+/+/+/events", "vt/v1/lier/e_lock/el-1/status", False),
        ("vt/v1/lier/#", "vt/v1/lier/centre/ack/el-1", True),
        ("a/+", "a/+", False),  # a topic name never contains wildcards
    ],
)
def test_topic_matches_follows_mqtt(pattern: str, topic: str, expected: bool) -> None:
    assert topic_matches(pattern, topic) is expected


@pytest.mark.parametrize("pattern", ["a/#/b", "a/b#", "a+/b", "a/+b", ""])
def test_invalid_filters_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidTopic):
        topic_matches(pattern, "a/b")


# --- in-process transport -------------------------------------------------------------------


class Inbox:
    """A handler that remembers what it received."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []

    def __call__(self, topic: str, payload: bytes) -> None:
        self.received.append((topic, payload))


ALARM = "vt/v1/lier/safety_alarm/sa-0001/events"
LOCK = "vt/v1/lier/e_lock/el-0001/events"
LOCK_STATUS = "vt/v1/lier/e_lock/el-0001/status"


def test_in_process_transport_is_a_transport() -> None:
    assert isinstance(InProcessTransport(), Transport)


def test_publish_reaches_exact_and_wildcard_subscribers_in_order() -> None:
    bus = InProcessTransport()
    calls: list[str] = []
    bus.subscribe(ALARM, lambda t, p: calls.append("exact"))
    bus.subscribe("vt/v1/+/+/+/events", lambda t, p: calls.append("plus"))
    bus.subscribe("vt/v1/lier/#", lambda t, p: calls.append("hash"))
    bus.subscribe("vt/v1/asker/#", lambda t, p: calls.append("other tenant"))
    bus.publish(ALARM, b"{}")
    assert calls == ["exact", "plus", "hash"]


def test_handlers_get_topic_and_payload() -> None:
    bus = InProcessTransport()
    inbox = Inbox()
    bus.subscribe("vt/v1/lier/e_lock/+/events", inbox)
    bus.publish(LOCK, b"one")
    bus.publish(ALARM, b"two")
    bus.publish(LOCK, b"three")
    assert inbox.received == [(LOCK, b"one"), (LOCK, b"three")]


def test_publishing_without_subscribers_is_counted() -> None:
    bus = InProcessTransport()
    bus.publish(ALARM, b"a")
    bus.publish(ALARM, b"b")
    bus.publish(LOCK, b"c")
    assert bus.published == 3
    assert bus.published_on(ALARM) == 2
    assert bus.published_by_root() == {
        "vt/v1/lier/safety_alarm": 2,
        "vt/v1/lier/e_lock": 1,
    }


def test_a_later_subscription_sees_later_messages_on_cached_topics() -> None:
    bus = InProcessTransport()
    first, second = Inbox(), Inbox()
    bus.subscribe("#", first)
    bus.publish(ALARM, b"1")  # route for ALARM is now cached
    bus.subscribe("vt/v1/+/safety_alarm/#", second)
    bus.publish(ALARM, b"2")
    assert [p for _, p in first.received] == [b"1", b"2"]
    assert second.received == [(ALARM, b"2")]


def test_retained_message_is_delivered_on_subscribe() -> None:
    bus = InProcessTransport()
    bus.publish(LOCK_STATUS, b"online", retain=True)
    bus.publish(LOCK_STATUS, STATUS_OFFLINE, retain=True)  # the last one is kept
    bus.publish(LOCK, b"not retained")
    inbox = Inbox()
    bus.subscribe("vt/v1/lier/+/+/status", inbox)
    assert inbox.received == [(LOCK_STATUS, STATUS_OFFLINE)]
    assert bus.retained(LOCK_STATUS) == STATUS_OFFLINE
    assert bus.retained(LOCK) is None
    events = Inbox()
    bus.subscribe("vt/v1/+/+/+/events", events)
    assert events.received == []


def test_empty_retained_payload_clears_the_retained_message() -> None:
    bus = InProcessTransport()
    bus.publish(LOCK_STATUS, STATUS_ONLINE, retain=True)
    bus.publish(LOCK_STATUS, b"", retain=True)
    inbox = Inbox()
    bus.subscribe("#", inbox)
    assert inbox.received == []
    assert bus.retained(LOCK_STATUS) is None


def test_a_handler_may_publish_while_being_delivered() -> None:
    bus = InProcessTransport()
    acks = Inbox()
    bus.subscribe("vt/v1/+/centre/ack/+", acks)
    bus.subscribe(
        "vt/v1/+/+/+/events",
        lambda topic, payload: bus.publish(ack_topic("lier", "sa-0001"), b"ok"),
    )
    bus.publish(ALARM, b"{}")
    assert acks.received == [("vt/v1/lier/centre/ack/sa-0001", b"ok")]
    assert bus.published == 2


def test_wildcards_and_bad_qos_are_refused() -> None:
    bus = InProcessTransport()
    with pytest.raises(InvalidTopic):
        bus.publish("vt/v1/+/e_lock/el-1/events", b"x")
    with pytest.raises(InvalidTopic):
        bus.subscribe("vt/#/events", Inbox())
    with pytest.raises(ValueError, match="qos"):
        bus.publish(ALARM, b"x", qos=3)
    assert bus.published == 0
