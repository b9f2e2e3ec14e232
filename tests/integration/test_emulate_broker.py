"""``vtsim emulate`` and ``vtsim conformance`` against real brokers on free ports."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import orjson
import pytest
import yaml

from devices.contract.codec import Accepted, StatusAccepted, decode_message, decode_status
from devices.contract.conformance import Expectations, evaluate
from devices.contract.topics import STATUS
from devices.models.safety_alarm import SafetyAlarm
from devices.transport.mqtt import BrokerAddress, MqttTransport, ReceivedMessage, connect_transport
from tests.scenario_factory import BASE
from vtsim.live.conformance_watch import watch_device

WAIT_S = 30.0


def write_scenario(folder: Path, tenant: str, heartbeat: str = "60s") -> Path:
    """Three safety alarms with a heartbeat and frequent button presses."""
    data = {**BASE, "tenant": tenant,
            "users": [{"name": "u", "count": 3, "devices": ["safety_alarm"]}],
            "devices": {"safety_alarm": {"events": {
                "heartbeat": {"interval": heartbeat},
                "button_need": {"rate_per_day": 96.0},
            }}}}
    path = folder / "alarms.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def vtsim(*args: str, log: Path) -> subprocess.Popen[bytes]:
    """Start ``python -m vtsim ARGS`` with its output in ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "vtsim", *args], stdout=out,
                                stderr=subprocess.STDOUT)


@pytest.fixture
def watcher(broker: BrokerAddress, tenant: str) -> Iterator[tuple[MqttTransport,
                                                                  list[ReceivedMessage]]]:
    """A client subscribed to everything of the tenant, at QoS 2."""
    received: list[ReceivedMessage] = []
    transport = connect_transport(broker, f"watch-{tenant}")
    transport.subscribe_messages(f"vt/v1/{tenant}/#", received.append, qos=2)
    yield transport, received
    transport.close()


def wait_until(transport: MqttTransport, done: Callable[[], bool], what: str,
               process: subprocess.Popen[bytes] | None = None, log: Path | None = None) -> None:
    """Deliver messages until ``done()``; fail naming ``what`` (with the process log)."""
    deadline = time.monotonic() + WAIT_S
    while not done():
        if time.monotonic() > deadline or (process is not None and process.poll() is not None):
            output = log.read_text(errors="replace") if log else ""
            pytest.fail(f"{what} did not happen within {WAIT_S} s\n{output}")
        transport.drain(0.2)


def statuses(received: list[ReceivedMessage], state: str) -> set[str]:
    """Device ids whose valid status message says ``state``."""
    found = set()
    for message in received:
        verdict = decode_status(message.topic, message.payload)
        if isinstance(verdict, StatusAccepted) and verdict.status.status == state:
            found.add(verdict.status.device_id)
    return found


def events(received: list[ReceivedMessage]) -> list[ReceivedMessage]:
    """The events messages among ``received``."""
    return [m for m in received if m.topic.endswith("/events")]


DEVICES = {"sa-0001", "sa-0002", "sa-0003"}


def test_emulated_devices_publish_valid_messages_retained_status_and_their_will(
    broker: BrokerAddress, tenant: str, tmp_path: Path,
    watcher: tuple[MqttTransport, list[ReceivedMessage]], request: pytest.FixtureRequest,
) -> None:
    transport, received = watcher
    log = tmp_path / "emulate.log"
    process = vtsim("emulate", str(write_scenario(tmp_path, tenant)), "--broker", broker.url,
                    "--speed", "60", "--progress", "1", log=log)
    try:
        wait_until(transport, lambda: statuses(received, "online") == DEVICES
                   and len(events(received)) >= 6, "3 online and 6 events", process, log)
        late = connect_transport(broker, f"late-{tenant}")
        retained: list[ReceivedMessage] = []
        late.subscribe_messages(f"vt/v1/{tenant}/+/+/{STATUS}", retained.append, qos=2)
        wait_until(late, lambda: len(retained) >= 3, "retained status on subscribe")
        late.close()
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        wait_until(transport, lambda: statuses(received, "offline") == DEVICES,
                   "the last will of every device")
    finally:
        process.kill()
        process.wait(10)
    assert {m.retain for m in retained} == {True}
    assert statuses(retained, "online") == DEVICES
    verdicts = [decode_message(m.topic, m.payload, now_epoch_s=time.time())
                for m in events(received)]
    assert all(isinstance(v, Accepted) for v in verdicts), verdicts
    # amqtt 0.12 delivers at the subscription's QoS (2), not the publisher's: QoS on Mosquitto
    expected_qos = {1} if "mosquitto" in request.node.name else {2}
    assert {m.qos for m in events(received)} == expected_qos
    ids = [v.message.message_id for v in verdicts if isinstance(v, Accepted)]
    assert len(ids) == len(set(ids))


def test_a_clean_stop_says_offline_and_the_conformance_of_an_emulated_device_passes(
    mosquitto_broker: BrokerAddress, tenant: str, tmp_path: Path,
) -> None:
    broker = mosquitto_broker
    watch = connect_transport(broker, f"watch-{tenant}")
    received: list[ReceivedMessage] = []
    watch.subscribe_messages(f"vt/v1/{tenant}/+/+/{STATUS}", received.append, qos=2)
    log = tmp_path / "emulate.log"
    emulator = vtsim("emulate", str(write_scenario(tmp_path, tenant, heartbeat="10min")),
                     "--broker", broker.url, "--speed", "300", "--progress", "1", log=log)
    try:
        wait_until(watch, lambda: statuses(received, "online") == DEVICES, "3 online",
                   emulator, log)
        report = tmp_path / "conformance.json"
        checked = subprocess.run(
            [sys.executable, "-m", "vtsim", "conformance", "--broker", broker.url,
             "--device-id", "sa-0002", "--tenant", tenant, "--duration", "9s",
             "--interval", "2s", "--tolerance", "0.5", "--json", str(report)],
            capture_output=True, text=True, timeout=60, check=False)
        emulator.send_signal(signal.SIGTERM)
        assert emulator.wait(20) == 0, log.read_text()
    finally:
        emulator.kill()
        emulator.wait(10)
    document = json.loads(report.read_text())
    verdicts = {r["key"]: r["verdict"] for r in document["requirements"]}
    assert checked.returncode == 0, checked.stdout
    assert document["passed"] is True and document["device_id"] == "sa-0002"
    assert verdicts["heartbeat"] == "pass" and verdicts["retained_status"] == "pass"
    assert verdicts["last_will"] == "not_observed"
    assert "PASS" in checked.stdout
    assert "emulate: stopped" in log.read_text()
    wait_until(watch, lambda: statuses(received, "offline") == DEVICES, "a clean offline")
    watch.close()


def test_conformance_fails_a_misbehaving_publisher_on_the_right_requirements(
    mosquitto_broker: BrokerAddress, tenant: str,
) -> None:
    device = SafetyAlarm("sa-0099", tenant)
    rng = np.random.default_rng(1)
    publisher = connect_transport(mosquitto_broker, f"bad-{tenant}")
    status = orjson.dumps({"schema_version": "1.0", "device_id": "sa-0099",
                           "device_type": "safety_alarm", "status": "online",
                           "ts": "2026-01-01T00:00:00.000Z"})
    publisher.publish(device.topic(STATUS), status, retain=True)
    subscribed = threading.Event()

    def misbehave() -> None:
        subscribed.wait(10)
        for qos in (1, 0):
            publisher.publish(device.topic(), device.make_message(
                "heartbeat", time.time(), device.sample_fields("heartbeat", rng)), qos=qos)
        backwards = SafetyAlarm("sa-0099", tenant).make_message(
            "button_need", time.time(), device.sample_fields("button_need", rng),
        ).replace(b"-00000000", b"-again")
        publisher.publish(device.topic(), backwards)
        publisher.publish(device.topic(), b'{"device_type": "safety_alarm"')
        publisher.flush()

    thread = threading.Thread(target=misbehave)
    thread.start()
    seen, started, ended = watch_device(mosquitto_broker, "sa-0099", tenant, 3.0,
                                        on_subscribed=subscribed.set)
    thread.join()
    publisher.close()
    report = evaluate(seen, Expectations("sa-0099"), started, ended)
    verdicts = {f.requirement: f.verdict for f in report.findings}
    assert verdicts == {"schema": "fail", "topic": "pass", "qos": "fail", "sequence": "fail",
                        "message_id": "pass", "heartbeat": "not_observed",
                        "retained_status": "pass", "last_will": "not_observed",
                        "events_not_retained": "pass", "clock_skew": "pass"}
    assert report.counts == {"events": 4, "status": 1, "other": 0}
