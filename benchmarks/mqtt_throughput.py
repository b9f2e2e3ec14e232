"""Messages per second through Mosquitto at QoS 1: raw paho beside the validated vtsim path.

    PYTHONPATH=. python benchmarks/mqtt_throughput.py [--messages 50000] [--devices 100]

Starts Mosquitto on a free port (``tests/brokers.py``), then measures in the same run:

(a) raw paho: one paho publisher (its own network thread) → broker → one paho subscriber
    that only counts; payloads of the same size as (b), at QoS 1;
(b) the validated path: emulator-style device sessions (:mod:`devices.device_sessions`, one
    MQTT session per device, real messages from ``Device.make_message``) → broker → the live
    centre (:class:`vtsim.live_centre.LiveCentre` on :class:`devices.mqtt.MqttTransport`), which
    decodes and validates every message with ``decode_message`` and publishes an
    acknowledgement for each (QoS 1) — so the broker carries twice the messages in (b).

Each rate is messages received ÷ wall time from the first publish to the last message
received. Zero loss is checked by count and by the set of message ids. The goal: (b) keeps at
least half of (a)'s rate.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson
from paho.mqtt.client import Client
from paho.mqtt.enums import CallbackAPIVersion

from devices.device_sessions import DeviceSessions, SessionSpec
from devices.mqtt import BrokerAddress, MqttTransport
from devices.safety_alarm import SafetyAlarm
from devices.topics import STATUS
from tests.brokers import MosquittoBroker
from vtsim.live_centre import Answer, LiveCentre

TENANT = "bench"
WINDOW = 1000
"""Most unacknowledged QoS 1 messages of the raw publisher (paho's ids are 16 bit)."""


def raw_paho(address: BrokerAddress, count: int, payload: bytes) -> float:
    """Messages per second of a raw paho publisher → subscriber pair at QoS 1."""
    received = threading.Event()
    state = {"in": 0, "acked": 0}
    lock = threading.Condition()

    def on_message(_c: Client, _u: object, _m: object) -> None:
        state["in"] += 1
        if state["in"] == count:
            received.set()

    def on_publish(*_args: object) -> None:
        with lock:
            state["acked"] += 1
            lock.notify()

    subscriber = connected_client(address, "raw-sub")
    subscriber.on_message = on_message
    subscriber.subscribe("raw/#", qos=1)
    publisher = connected_client(address, "raw-pub", on_publish)
    time.sleep(0.5)
    started = time.perf_counter()
    for sent in range(count):
        with lock:
            lock.wait_for(lambda n=sent: n - state["acked"] < WINDOW)
        info = publisher.publish("raw/t", payload, qos=1)
        if info.rc != 0:
            raise RuntimeError(f"raw publish failed: {info.rc}")
    if not received.wait(120):
        raise RuntimeError(f"raw path lost messages: {state['in']} of {count} received")
    wall = time.perf_counter() - started
    for client in (publisher, subscriber):
        client.disconnect()
        client.loop_stop()
    return count / wall


def connected_client(address: BrokerAddress, client_id: str,
                     on_publish: Callable[..., None] | None = None) -> Client:
    """A paho client with its own network thread, connected (MQTT 3.1.1)."""
    client = Client(CallbackAPIVersion.VERSION2, client_id=client_id)
    client.max_inflight_messages_set(WINDOW)
    client.on_publish = on_publish
    client.connect(address.host, address.port)
    client.loop_start()
    return client


def validated_path(address: BrokerAddress, count: int, device_count: int
                   ) -> tuple[float, int, bool]:
    """Messages per second from device sessions to the live centre; received, ids identical."""
    devices = [SafetyAlarm(f"sa-{n:04d}", TENANT) for n in range(1, device_count + 1)]
    accepted: set[str] = set()
    done = threading.Event()

    def on_answer(answer: Answer) -> None:
        if answer.accepted and answer.message_id is not None:
            accepted.add(answer.message_id)
            if len(accepted) == count:
                done.set()

    transport = MqttTransport(address, "bench-centre", max_in_flight=WINDOW)
    transport.connect()
    centre = LiveCentre(transport, tenant=TENANT, on_answer=on_answer)
    centre.start()
    drainer = threading.Thread(target=drain_until, args=(transport, done), daemon=True)
    drainer.start()
    sessions = DeviceSessions(address, [
        SessionSpec(d.device_id, d.device_type, f"bench-{d.device_id}", d.topic(STATUS))
        for d in devices])
    sessions.start()
    sent = publish_messages(sessions, devices, count)
    drainer.join(120)
    wall = time.perf_counter() - sent[0]
    sessions.close()
    transport.close()
    return len(accepted) / wall, len(accepted), accepted == sent[1]


def publish_messages(sessions: DeviceSessions, devices: list[SafetyAlarm], count: int
                     ) -> tuple[float, set[str]]:
    """Publish ``count`` heartbeats round-robin over the devices; start time and message ids."""
    rng = np.random.default_rng(1)
    ids: set[str] = set()
    started = time.perf_counter()
    for n in range(count):
        device = devices[n % len(devices)]
        payload = device.make_message("heartbeat", time.time(),
                                      device.sample_fields("heartbeat", rng))
        ids.add(f"{device.device_id}-{n // len(devices):08d}")
        sessions.publish(device.device_id, device.topic(), payload)
    return started, ids


def drain_until(transport: MqttTransport, done: threading.Event) -> None:
    """Run the centre's handlers until every message was accepted (or two minutes pass)."""
    deadline = time.monotonic() + 120
    while not done.is_set() and time.monotonic() < deadline:
        transport.drain(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--devices", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        broker = MosquittoBroker(Path(folder))
        try:
            sample = SafetyAlarm("sa-0001", TENANT).make_message(
                "heartbeat", time.time(), {"battery_pct": 80})
            raw = raw_paho(broker.address, args.messages, sample)
            rate, received, same_ids = validated_path(broker.address, args.messages,
                                                      args.devices)
        finally:
            broker.stop()
    print(f"Mosquitto on {broker.address}, QoS 1, {args.messages} messages of {len(sample)} B")
    print(f"(a) raw paho publisher -> subscriber        {raw:10,.0f} msg/s")
    print(f"(b) {args.devices} device sessions -> live centre      {rate:10,.0f} msg/s "
          f"(received {received}/{args.messages}, same message ids: {same_ids})")
    print(f"ratio (b)/(a)                               {rate / raw:10.2f} (goal >= 0.5)")
    print(orjson.dumps({"raw_msg_s": round(raw), "validated_msg_s": round(rate),
                        "ratio": round(rate / raw, 3), "lost": args.messages - received,
                        "same_ids": same_ids}).decode())


if __name__ == "__main__":
    main()
