"""Messages per second through Mosquitto at QoS 1: raw paho beside the validated vtsim path.

    PYTHONPATH=. python benchmarks/mqtt_throughput.py [--messages 50000] [--devices 100]

Starts Mosquitto on a free port (``tests/brokers.py``), then measures in the same run:

(a) raw paho: one paho publisher (its own network thread) → broker → one paho subscriber
    that only counts; payloads of the same size as (b), at QoS 1;
(b) the validated path: emulator-style device sessions (:mod:`devices.transport.device_sessions`,
one
    MQTT session per device, real messages from ``Device.make_message``) → broker → the live
    centre (:class:`vtsim.live.centre.LiveCentre` on
    :class:`devices.transport.mqtt.MqttTransport`), which
    decodes and validates every message with ``decode_message`` and publishes an
    acknowledgement for each (QoS 1) — so the broker carries twice the messages in (b).

Both pairs run twice: with sender and receiver in this one process (they share one
interpreter lock), and with the receiver in a child process, as in a deployment where devices
and ``vtsim centre`` are separate programs. Each rate is messages received ÷ wall time from the
first publish to the last message received. Zero loss is checked by count and by the set of
message ids. The goal: (b) keeps at least half of (a)'s rate.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np
import orjson
from paho.mqtt.client import Client
from paho.mqtt.enums import CallbackAPIVersion

from devices.contract.topics import STATUS
from devices.models.safety_alarm import SafetyAlarm
from devices.transport.device_sessions import DeviceSessions, SessionSpec
from devices.transport.mqtt import BrokerAddress, MqttTransport
from tests.brokers import MosquittoBroker
from vtsim.live.centre import Answer, LiveCentre

TENANT = "bench"
WINDOW = 1000
"""Most unacknowledged QoS 1 messages of the raw publisher (paho's ids are 16 bit)."""


def raw_paho(address: BrokerAddress, count: int, payload: bytes, separate: bool) -> float:
    """Wall time of ``count`` messages from a raw paho publisher to a subscriber, QoS 1."""
    if separate:
        return in_child(raw_subscriber, address, count,
                        lambda: raw_publish(address, count, payload))
    here, there = multiprocessing.Pipe()
    thread = threading.Thread(target=raw_subscriber, args=(there, address, count), daemon=True)
    thread.start()
    return finish(here, lambda: raw_publish(address, count, payload))


def raw_subscriber(pipe: Connection, address: BrokerAddress, count: int) -> None:
    """Count ``count`` messages; report when subscribed, then the time of the last one."""
    received = threading.Event()
    state = {"in": 0}

    def on_message(_c: Client, _u: object, _m: object) -> None:
        state["in"] += 1
        if state["in"] == count:
            received.set()

    subscriber = connected_client(address, "raw-sub")
    subscriber.on_message = on_message
    subscriber.subscribe("raw/#", qos=1)
    time.sleep(0.5)
    pipe.send("ready")
    if not received.wait(120):
        pipe.send(("lost", state["in"], set()))
    else:
        pipe.send(("done", time.monotonic(), set()))
    subscriber.disconnect()
    subscriber.loop_stop()


def raw_publish(address: BrokerAddress, count: int, payload: bytes) -> float:
    """Publish ``count`` messages at QoS 1 with a bounded window; the start time."""
    state = {"acked": 0}
    lock = threading.Condition()

    def on_publish(*_args: object) -> None:
        with lock:
            state["acked"] += 1
            lock.notify()

    publisher = connected_client(address, "raw-pub", on_publish)
    started = time.monotonic()
    for sent in range(count):
        with lock:
            lock.wait_for(partial(window_open, state, sent))
        info = publisher.publish("raw/t", payload, qos=1)
        if info.rc != 0:
            raise RuntimeError(f"raw publish failed: {info.rc}")
    with lock:
        lock.wait_for(lambda: state["acked"] == count, 120)
    publisher.disconnect()
    publisher.loop_stop()
    return started


def window_open(state: dict[str, int], sent: int) -> bool:
    """Whether fewer than :data:`WINDOW` published messages are unacknowledged."""
    return sent - state["acked"] < WINDOW


def in_child(target: Callable[..., None], address: BrokerAddress, count: int,
             publish: Callable[[], float]) -> float:
    """Run the receiving side in a child process, publish from here; messages per second."""
    context = multiprocessing.get_context("fork")
    here, there = context.Pipe()
    child = context.Process(target=target, args=(there, address, count), daemon=True)
    child.start()
    try:
        return finish(here, publish)
    finally:
        child.join(10)


def finish(pipe: Connection, publish: Callable[[], float]) -> float:
    """Wait until the receiver is ready, publish; wall time from first publish to last arrival."""
    if not pipe.poll(30) or pipe.recv() != "ready":
        raise RuntimeError("the receiving side did not get ready")
    started = publish()
    if not pipe.poll(150):
        raise RuntimeError("the receiving side did not finish")
    outcome = pipe.recv()
    if outcome[0] != "done":
        raise RuntimeError(f"messages lost: {outcome[1]} received")
    return float(outcome[1]) - started


def connected_client(address: BrokerAddress, client_id: str,
                     on_publish: Callable[..., None] | None = None) -> Client:
    """A paho client with its own network thread, connected (MQTT 3.1.1)."""
    client = Client(CallbackAPIVersion.VERSION2, client_id=client_id)
    client.max_inflight_messages_set(WINDOW)
    client.on_publish = on_publish
    client.connect(address.host, address.port)
    client.loop_start()
    return client


def validated_path(address: BrokerAddress, count: int, device_count: int, separate: bool
                   ) -> tuple[float, int, bool]:
    """Messages per second from device sessions to the live centre; received, ids identical."""
    devices = [SafetyAlarm(f"sa-{n:04d}", TENANT) for n in range(1, device_count + 1)]
    sent: set[str] = set()

    def publish() -> float:
        sessions = DeviceSessions(address, [
            SessionSpec(d.device_id, d.device_type, f"bench-{d.device_id}", d.topic(STATUS))
            for d in devices])
        sessions.start()
        started, ids = publish_messages(sessions, devices, count)
        sent.update(ids)
        sessions.flush(120)
        sessions.close()
        return started

    context = multiprocessing.get_context("fork")
    here, there = context.Pipe()
    child: threading.Thread | multiprocessing.process.BaseProcess = (
        context.Process(target=run_centre, args=(there, address, count), daemon=True)
        if separate
        else threading.Thread(target=run_centre, args=(there, address, count), daemon=True))
    child.start()
    if not here.poll(30) or here.recv() != "ready":
        raise RuntimeError("the centre did not get ready")
    started = publish()
    if not here.poll(150):
        raise RuntimeError("the centre did not finish")
    state, finished, accepted = here.recv()
    child.join(10)
    wall = (finished if state == "done" else time.monotonic()) - started
    return len(accepted) / wall, len(accepted), accepted == sent


def run_centre(pipe: Connection, address: BrokerAddress, count: int) -> None:
    """The live centre until ``count`` messages are accepted; report the ids and the time."""
    accepted: set[str] = set()
    done = threading.Event()
    finished = [0.0]

    def on_answer(answer: Answer) -> None:
        if answer.accepted and answer.message_id is not None:
            accepted.add(answer.message_id)
            if len(accepted) == count:
                finished[0] = time.monotonic()
                done.set()

    transport = MqttTransport(address, "bench-centre", max_in_flight=WINDOW)
    transport.connect()
    centre = LiveCentre(transport, tenant=TENANT, on_answer=on_answer)
    centre.start()
    time.sleep(0.5)
    pipe.send("ready")
    drain_until(transport, done)
    pipe.send(("done" if done.is_set() else "lost", finished[0], accepted))
    transport.close()


def publish_messages(sessions: DeviceSessions, devices: list[SafetyAlarm], count: int
                     ) -> tuple[float, set[str]]:
    """Publish ``count`` heartbeats round-robin over the devices; start time and message ids."""
    rng = np.random.default_rng(1)
    ids: set[str] = set()
    started = time.monotonic()
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
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        broker = MosquittoBroker(Path(folder))
        try:
            sample = SafetyAlarm("sa-0001", TENANT).make_message(
                "heartbeat", time.time(), {"battery_pct": 80})
            for separate in (False, True):
                raw = count_per_s(args.messages, raw_paho(broker.address, args.messages,
                                                          sample, separate))
                rate, received, same_ids = validated_path(broker.address, args.messages,
                                                          args.devices, separate)
                results["separate" if separate else "one_process"] = (raw, rate, received,
                                                                      same_ids)
        finally:
            broker.stop()
    print(f"Mosquitto on {broker.address}, QoS 1, {args.messages} messages of {len(sample)} B")
    summary = {}
    for mode, (raw, rate, received, same_ids) in results.items():
        where = ("receiver in a child process" if mode == "separate"
                 else "sender and receiver in one process")
        print(f"{where}:")
        print(f"  (a) raw paho publisher -> subscriber     {raw:10,.0f} msg/s")
        print(f"  (b) {args.devices} device sessions -> live centre   {rate:10,.0f} msg/s "
              f"(received {received}/{args.messages}, same message ids: {same_ids})")
        print(f"  ratio (b)/(a)                            {rate / raw:10.2f} (goal >= 0.5)")
        summary[mode] = {"raw_msg_s": round(raw), "validated_msg_s": round(rate),
                         "ratio": round(rate / raw, 3), "lost": args.messages - received,
                         "same_ids": same_ids}
    print(orjson.dumps(summary).decode())


def count_per_s(count: int, wall: float) -> float:
    """Messages per second from a count and a wall time."""
    return count / wall


if __name__ == "__main__":
    main()
