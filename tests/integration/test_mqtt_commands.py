"""``vtsim broker`` and ``vtsim centre`` as a vendor runs them, driven by independent clients."""

from __future__ import annotations

import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from rich.console import Console

from devices.transport.mqtt import BrokerAddress
from tests.brokers import AmqttBroker, free_port, try_connect
from tests.conftest import ROOT
from tests.mqtt_cases import DEVICE, KIND, alarm
from vtsim.live.centre import LiveCentre
from vtsim.live.centre_view import render

VTSIM = [sys.executable, "-m", "vtsim"]
CLIENTS_MISSING = shutil.which("mosquitto_pub") is None or shutil.which("mosquitto_sub") is None


class Lines:
    """The output lines of a process, read in a thread so that waiting never blocks."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        """Start reading ``process.stdout``."""
        self.process = process
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, wanted: Callable[[str], bool], timeout: float = 20.0) -> str:
        """The first new line for which ``wanted`` is true; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            self.seen.append(line)
            if wanted(line):
                return line
        raise AssertionError(f"no such line within {timeout} s; saw {self.seen}")

    def rest(self, timeout: float = 10.0) -> list[str]:
        """Every remaining line, once the process has ended."""
        self.process.wait(timeout)
        time.sleep(0.05)
        while not self._queue.empty():
            self.seen.append(self._queue.get())
        return self.seen


def start(command: list[str]) -> tuple[subprocess.Popen[str], Lines]:
    """Start a command with its output read line by line."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    return process, Lines(process)


def end(process: subprocess.Popen[str]) -> None:
    """Make sure a process is gone."""
    if process.poll() is None:
        process.kill()
        process.wait()


# --- vtsim broker ---------------------------------------------------------------------------


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_the_embedded_broker_starts_serves_and_stops_on_a_signal(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    broker = AmqttBroker(tmp_path)
    try:
        assert try_connect(broker.address)
        output = broker.log.read_text()
        assert f"listening on mqtt://127.0.0.1:{broker.address.port}" in output
        assert "Ctrl-C" in output
        assert f"kill -TERM {broker.process.pid}" in output  # the real pid, ready to paste
    finally:
        code = broker.stop(stop_signal)
    assert code == 0
    assert "vtsim broker: stopped." in broker.log.read_text()
    assert not try_connect(broker.address)


def test_the_embedded_broker_explains_a_taken_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([*VTSIM, "broker", "--port", str(port)], cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"cannot start the broker on mqtt://127.0.0.1:{port}" in result.stdout
    assert "--port" in result.stdout
    assert result.stderr == ""  # the clear error only: no traceback of amqtt's


# --- vtsim centre ---------------------------------------------------------------------------


@pytest.mark.skipif(CLIENTS_MISSING, reason="mosquitto-clients is not installed")
def test_the_centre_answers_mosquitto_pub_as_seen_by_mosquitto_sub(
    mosquitto_broker: BrokerAddress, tenant: str, tmp_path: Path
) -> None:
    host, port = mosquitto_broker.host, str(mosquitto_broker.port)
    centre, centre_lines = start([*VTSIM, "centre", "--broker", f"mqtt://{host}:{port}",
                                  "--tenant", tenant, "--no-live",
                                  "--db", f"sqlite:///{tmp_path / 'centre.db'}"])
    watcher, watcher_lines = start(["mosquitto_sub", "-h", host, "-p", port, "-q", "1", "-v",
                                    "-t", f"vt/v1/{tenant}/centre/#", "-t", f"probe/{tenant}"])
    try:
        centre_lines.wait_for(lambda line: "listening on" in line, timeout=60)
        wait_until_subscribed(host, port, tenant, watcher_lines)
        events = f"vt/v1/{tenant}/{KIND}/{DEVICE}/events"
        valid = alarm(41, ts=time.time())
        publish = ["mosquitto_pub", "-h", host, "-p", port, "-q", "1", "-t", events, "-m"]
        subprocess.run([*publish, valid.decode()], check=True, timeout=10)
        subprocess.run([*publish, '{"device_id": "sa-0007", oops}'], check=True, timeout=10)
        ack = watcher_lines.wait_for(lambda line: "/centre/ack/" in line)
        rejection = watcher_lines.wait_for(lambda line: "/centre/rejected/" in line)
        centre.send_signal(signal.SIGINT)
        summary = centre_lines.rest()
    finally:
        end(centre)
        end(watcher)
    ack_topic, _, ack_body = ack.partition(" ")
    assert ack_topic == f"vt/v1/{tenant}/centre/ack/{DEVICE}"
    assert orjson.loads(ack_body)["message_id"] == f"{DEVICE}-00000041"
    rejected_topic, _, rejected_body = rejection.partition(" ")
    assert rejected_topic == f"vt/v1/{tenant}/centre/rejected/{DEVICE}"
    assert orjson.loads(rejected_body) | {"got": ""} == {
        "topic": events, "reason": "not_json", "path": "", "expected": "a JSON document",
        "got": "",
    }
    assert centre.returncode == 0
    text = "\n".join(summary)
    assert "accepted" in text and "not_json" in text
    assert "2 messages from 1 devices: 1 accepted; rejected: not_json 1" in text


def wait_until_subscribed(host: str, port: str, tenant: str, lines: Lines) -> None:
    """Publish probes until ``mosquitto_sub`` shows one: then it is subscribed."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        subprocess.run(["mosquitto_pub", "-h", host, "-p", port, "-t", f"probe/{tenant}",
                        "-m", "ping"], check=True, timeout=10)
        try:
            lines.wait_for(lambda line: line == f"probe/{tenant} ping", timeout=0.5)
            return
        except AssertionError:
            continue
    raise AssertionError("mosquitto_sub did not subscribe")


def test_the_centre_on_the_embedded_broker_stops_on_sigterm_with_a_summary(
    amqtt_broker: BrokerAddress, tenant: str, tmp_path: Path
) -> None:
    centre, lines = start([*VTSIM, "centre", "--broker", amqtt_broker.url, "--tenant", tenant,
                           "--db", f"sqlite:///{tmp_path / 'centre.db'}"])
    try:
        lines.wait_for(lambda line: "listening on" in line and "MQTT 3.1.1" in line, timeout=60)
        centre.send_signal(signal.SIGTERM)
        output = "\n".join(lines.rest())
    finally:
        end(centre)
    assert centre.returncode == 0
    assert "0 messages from 0 devices" in output


def test_the_centre_reports_an_absent_broker_and_a_bad_url() -> None:
    port = free_port()
    absent = subprocess.run([*VTSIM, "centre", "--broker", f"mqtt://127.0.0.1:{port}",
                             "--db", "memory:"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert absent.returncode == 1
    assert f"127.0.0.1:{port}" in absent.stdout and "vtsim broker" in absent.stdout
    bad = subprocess.run([*VTSIM, "centre", "--broker", "localhost:1883"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert "mqtt://" in bad.stdout


def test_the_live_view_shows_devices_counts_and_gaps() -> None:
    from devices.transport.base import InProcessTransport

    bus = InProcessTransport()
    now = time.time()
    centre = LiveCentre(bus, clock=lambda: now)
    centre.start()
    topic = f"vt/v1/lier/{KIND}/{DEVICE}/events"
    for seq in (0, 3):
        bus.publish(topic, alarm(seq, ts=now))
    bus.publish(topic, b"junk")
    console = Console(record=True, width=160)
    console.print(render(centre.snapshot(), "mqtt://x:1883 connected", 12.0, now))
    text = console.export_text()
    assert DEVICE in text and "safety_alarm" in text
    gaps = next(line for line in text.splitlines() if "possible loss" in line)
    assert gaps.split("│")[2].strip() == "2"
    row = next(line for line in text.splitlines() if DEVICE in line)
    assert [cell.strip() for cell in row.split("│")[6:10]] == ["3", "2", "1", "2"]
