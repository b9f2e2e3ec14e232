"""The MQTT transport against real brokers: Mosquitto and the embedded amqtt broker."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devices.transport.base import Transport
from devices.transport.mqtt import (
    BrokerAddress,
    BrokerRefused,
    BrokerUnavailable,
    BrokerUrlError,
    MqttTransport,
    PublishFailed,
    ReceivedMessage,
)
from tests.brokers import MosquittoBroker, free_port, mosquitto_binary
from tests.conftest import ROOT


def connected(address: BrokerAddress, name: str, **options: object) -> MqttTransport:
    """A connected transport with a unique client id."""
    transport = MqttTransport(address, f"{name}-{time.time_ns()}", **options)  # type: ignore[arg-type]
    transport.connect()
    return transport


def drain_until(transport: MqttTransport, received: list[ReceivedMessage], count: int,
                timeout: float = 10.0) -> None:
    """Deliver messages until ``count`` have arrived or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    while len(received) < count and time.monotonic() < deadline:
        transport.drain(timeout=0.05)


# --- broker addresses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://localhost", BrokerAddress("localhost", 1883)),
        ("mqtt://broker.example:1884", BrokerAddress("broker.example", 1884)),
        ("mqtts://broker.example", BrokerAddress("broker.example", 8883, tls=True)),
        ("mqtt://disp-0042:s%40cret@10.0.0.5:1883/",
         BrokerAddress("10.0.0.5", 1883, username="disp-0042", password="s@cret")),
        ("mqtt://[::1]:1883", BrokerAddress("::1", 1883)),
    ],
)
def test_broker_urls_are_read_with_default_ports_and_credentials(
    url: str, expected: BrokerAddress
) -> None:
    assert BrokerAddress.parse(url) == expected


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("localhost:1883", "must start with mqtt://"),
        ("http://localhost", "must start with mqtt://"),
        ("mqtt://", "names no host"),
        ("mqtt://localhost:99999", "invalid port"),
        ("mqtt://localhost:port", "invalid port"),
        ("mqtt://localhost/topic", "path"),
    ],
)
def test_bad_broker_urls_say_what_is_expected(url: str, complaint: str) -> None:
    with pytest.raises(BrokerUrlError, match=complaint):
        BrokerAddress.parse(url)


def test_the_url_of_an_address_hides_the_password() -> None:
    address = BrokerAddress.parse("mqtts://centre:hemmelig@broker.kommune.no")
    assert address.url == "mqtts://centre@broker.kommune.no:8883"
    assert "hemmelig" not in address.url


# --- publish and subscribe ------------------------------------------------------------------


def test_messages_arrive_in_order_with_qos_1_and_are_all_acknowledged(
    broker: BrokerAddress, tenant: str
) -> None:
    subscriber = connected(broker, "sub")
    publisher = connected(broker, "pub")
    received: list[ReceivedMessage] = []
    subscriber.subscribe_messages(f"vt/v1/{tenant}/+/+/events", received.append)
    payloads = [f"message {i}".encode() for i in range(200)]
    for payload in payloads:
        publisher.publish(f"vt/v1/{tenant}/safety_alarm/sa-0001/events", payload)
    assert publisher.flush(10.0)
    drain_until(subscriber, received, len(payloads))
    assert [m.payload for m in received] == payloads
    assert {(m.qos, m.retain) for m in received} == {(1, False)}
    assert publisher.stats.published == 200
    assert publisher.stats.in_flight == 0
    assert subscriber.stats.delivered == 200
    publisher.close()
    subscriber.close()


def test_the_transport_fits_the_transport_protocol(broker: BrokerAddress, tenant: str) -> None:
    transport = connected(broker, "proto")
    assert isinstance(transport, Transport)
    pairs: list[tuple[str, bytes]] = []
    transport.subscribe(f"vt/v1/{tenant}/#", lambda topic, payload: pairs.append((topic, payload)))
    transport.publish(f"vt/v1/{tenant}/x", b"hei")
    deadline = time.monotonic() + 10
    while not pairs and time.monotonic() < deadline:
        transport.drain(timeout=0.05)
    assert pairs == [(f"vt/v1/{tenant}/x", b"hei")]
    transport.close()


def test_a_late_subscriber_gets_the_retained_status(broker: BrokerAddress, tenant: str) -> None:
    topic = f"vt/v1/{tenant}/e_lock/lock-0001/status"
    publisher = connected(broker, "retain-pub")
    publisher.publish(topic, b'{"status": "online"}', retain=True)
    assert publisher.flush(10.0)
    late = connected(broker, "retain-sub")
    received: list[ReceivedMessage] = []
    late.subscribe_messages(f"vt/v1/{tenant}/+/+/status", received.append)
    drain_until(late, received, 1)
    assert [(m.topic, m.payload, m.retain) for m in received] == [
        (topic, b'{"status": "online"}', True)
    ]
    publisher.publish(topic, b"", retain=True)  # clear it
    publisher.flush(10.0)
    publisher.close()
    late.close()


DEVICE_SCRIPT = """
import sys, time
from devices.transport.mqtt import BrokerAddress, MqttTransport
address = BrokerAddress(sys.argv[1], int(sys.argv[2]))
device = MqttTransport(address, sys.argv[3], will=(sys.argv[4], b"offline"), keepalive_s=5)
device.connect()
print("connected", flush=True)
time.sleep(60)
"""


def test_the_last_will_comes_when_a_device_dies_not_when_it_closes(
    broker: BrokerAddress, tenant: str
) -> None:
    watcher = connected(broker, "watcher")
    wills: list[ReceivedMessage] = []
    watcher.subscribe_messages(f"vt/v1/{tenant}/+/+/status", wills.append)
    polite_topic = f"vt/v1/{tenant}/safety_alarm/sa-0001/status"
    polite = connected(broker, "polite", will=(polite_topic, b"offline"))
    polite.close()
    dying_topic = f"vt/v1/{tenant}/safety_alarm/sa-0002/status"
    device = subprocess.Popen(
        [sys.executable, "-c", DEVICE_SCRIPT, broker.host, str(broker.port),
         f"dying-{tenant}", dying_topic],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert device.stdout is not None and device.stdout.readline().strip() == "connected"
        device.send_signal(signal.SIGKILL)
        device.wait(10)
        drain_until(watcher, wills, 1, timeout=20.0)
    finally:
        device.kill()
        device.wait()
    assert [(m.topic, m.payload) for m in wills] == [(dying_topic, b"offline")]
    watcher.close()


# --- when the broker is not there ------------------------------------------------------------


def test_an_absent_broker_is_a_clear_error_naming_host_and_port() -> None:
    port = free_port()
    transport = MqttTransport(BrokerAddress("127.0.0.1", port), "nobody")
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable, match=rf"127\.0\.0\.1:{port}.*vtsim broker"):
        transport.connect(timeout=3.0)
    assert time.monotonic() - started < 5.0


def test_an_mqtt_5_client_falls_back_to_3_1_1_on_amqtt(amqtt_broker: BrokerAddress) -> None:
    strict = MqttTransport(amqtt_broker, f"strict-{time.time_ns()}", fallback=False)
    with pytest.raises(BrokerRefused, match="does not speak MQTT 5") as refused:
        strict.connect(timeout=5.0)
    assert refused.value.unsupported_protocol
    flexible = connected(amqtt_broker, "flexible")
    assert flexible.protocol == 3 and flexible.connected
    flexible.close()


def test_mosquitto_speaks_mqtt_5(mosquitto_broker: BrokerAddress) -> None:
    transport = connected(mosquitto_broker, "v5")
    assert transport.protocol == 5
    transport.close()


@pytest.mark.skipif(mosquitto_binary() is None, reason="mosquitto is not installed")
def test_messages_wait_for_the_broker_and_the_window_is_bounded(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = MosquittoBroker(tmp_path / "a")
    publisher = MqttTransport(first.address, "bounded", max_in_flight=3, publish_timeout_s=0.5,
                              reconnect_delay_s=(1, 1))
    publisher.connect()
    first.stop()
    deadline = time.monotonic() + 10
    while publisher.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    topic = "vt/v1/bounded/e_lock/lock-0001/status"
    for _ in range(3):
        publisher.publish(topic, b'{"status": "online"}', retain=True)
    with pytest.raises(PublishFailed, match=r"3 messages .* unacknowledged"):
        publisher.publish(topic, b"fourth")
    assert publisher.stats.in_flight == 3
    assert publisher.stats.publish_errors == 1
    again = MosquittoBroker(tmp_path / "b", port=first.address.port)
    try:
        assert publisher.flush(15.0), "buffered messages were not sent after the reconnect"
        assert publisher.stats.reconnects == 1
        reader = connected(again.address, "reader")
        received: list[ReceivedMessage] = []
        reader.subscribe_messages(topic, received.append)
        drain_until(reader, received, 1)
        assert [m.payload for m in received] == [b'{"status": "online"}']
        reader.close()
    finally:
        publisher.close()
        again.stop()


def test_a_closed_transport_refuses_to_publish(broker: BrokerAddress) -> None:
    transport = connected(broker, "closing")
    transport.close()
    with pytest.raises(PublishFailed, match="closed"):
        transport.publish("vt/v1/x/y", b"late")
