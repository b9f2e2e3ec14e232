"""The MQTT transport's bounded waits: taking messages in groups, giving up on a frozen broker,
leaving so that the broker sends the last will."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from devices.transport.mqtt import MqttTransport, PublishFailed, ReceivedMessage
from tests.brokers import MosquittoBroker, mosquitto_binary

pytestmark = pytest.mark.skipif(mosquitto_binary() is None, reason="mosquitto is not installed")


@pytest.fixture
def broker(tmp_path: Path) -> MosquittoBroker:
    running = MosquittoBroker(tmp_path)
    yield running  # type: ignore[misc]
    running.process.send_signal(signal.SIGCONT)
    running.stop()


def test_take_hands_out_what_arrived_without_calling_handlers(broker: MosquittoBroker) -> None:
    handled: list[ReceivedMessage] = []
    receiver = MqttTransport(broker.address, "receiver", manual_ack=True)
    receiver.subscribe_messages("t/#", handled.append)
    receiver.connect()
    sender = MqttTransport(broker.address, "sender")
    sender.connect()
    for number in range(50):
        sender.publish(f"t/{number}", b"x")
    assert sender.flush(10)
    taken: list[ReceivedMessage] = []
    deadline = time.monotonic() + 10
    while len(taken) < 50 and time.monotonic() < deadline:
        taken += receiver.take(timeout=0.1, max_messages=20)
    assert [m.topic for m in taken] == [f"t/{n}" for n in range(50)] and handled == []
    assert receiver.stats.delivered == 50
    for transport in (sender, receiver):
        transport.close()


def test_a_frozen_broker_makes_publishes_fail_at_once_after_stop_waiting(
        broker: MosquittoBroker) -> None:
    sender = MqttTransport(broker.address, "sender", max_in_flight=5, publish_timeout_s=30)
    sender.connect()
    broker.process.send_signal(signal.SIGSTOP)
    for number in range(5):
        sender.publish(f"t/{number}", b"x")  # the window fills: nothing is acknowledged
    with pytest.raises(PublishFailed):
        sender.publish("t/late", b"x", wait_s=0.2)
    sender.stop_waiting()
    started = time.monotonic()
    with pytest.raises(PublishFailed):
        sender.publish("t/later", b"x")  # would wait 30 s
    assert time.monotonic() - started < 0.5
    started = time.monotonic()
    sender.close()  # the broker cannot take the DISCONNECT: bounded all the same
    assert time.monotonic() - started < 6.0


def test_abandon_leaves_without_goodbye_so_the_broker_sends_the_will(
        broker: MosquittoBroker) -> None:
    wills: list[ReceivedMessage] = []
    watcher = MqttTransport(broker.address, "watcher")
    watcher.subscribe_messages("will/#", wills.append)
    watcher.connect()
    leaving = MqttTransport(broker.address, "leaving", will=("will/x", b"down"))
    leaving.connect()
    leaving.abandon()
    deadline = time.monotonic() + 10
    while not wills and time.monotonic() < deadline:
        watcher.drain(timeout=0.1)
    assert [m.payload for m in wills] == [b"down"]
    watcher.close()
