"""Soak: a sustained load from device sessions through Mosquitto into ``vtsim centre --db sqlite``.

    PYTHONPATH=. python benchmarks/soak.py [--duration 60] [--rate 500] [--devices 200]
        [--publisher sessions|client]

Starts Mosquitto on a free port (``tests/brokers.py``) and ``vtsim centre`` as a process of its
own with a SQLite store (rate limits on, as deployed). The emulator's device sessions
(:mod:`devices.transport.device_sessions`, one MQTT session per safety alarm), or one MQTT client
for
all devices (``--publisher client``), publish ``--rate``
messages a second for ``--duration`` seconds: heartbeats, and every tenth message a button
press (an incident). Every second it samples the centre's resident memory. At the end it
waits for the centre to store everything and reports:

- throughput: messages stored ÷ time from the first publish to the last message stored;
- device-to-stored latency (p50, p99, max): the store's commit time minus the ``ts`` the
  device put in the message (same machine, same clock), and the part of it spent in the
  centre (from its MQTT client receiving the message to the commit);
- the centre's RSS over time (first, median, last, peak);
- loss: the stored message ids against the ids sent (must be equal; none twice).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from devices.contract.topics import STATUS
from devices.models.safety_alarm import SafetyAlarm
from devices.transport.device_sessions import DeviceSessions, SessionSpec
from devices.transport.mqtt import BrokerAddress, MqttTransport
from tests.brokers import MosquittoBroker
from tests.centre_process import CentreProcess

TENANT = "soak"
ALARM_EVERY = 10


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def sample_memory(pid: int, stop: threading.Event, samples: list[tuple[float, float]]) -> None:
    """Append ``(seconds since start, RSS MB)`` every second until ``stop``."""
    started = time.monotonic()
    while not stop.wait(1.0):
        try:
            samples.append((time.monotonic() - started, rss_mb(pid)))
        except OSError:
            return


class OneClient:
    """Every device's messages through one MQTT client (``--publisher client``)."""

    def __init__(self, address: BrokerAddress) -> None:
        """Connect one transport."""
        self.transport = MqttTransport(address, "soak-devices", max_in_flight=5_000)
        self.transport.connect()

    def start(self) -> None:
        """Connected already."""

    def publish(self, _device_id: str, topic: str, payload: bytes) -> None:
        """Publish at QoS 1."""
        self.transport.publish(topic, payload)

    def flush(self, timeout: float) -> bool:
        """Wait for the broker's acknowledgements."""
        return self.transport.flush(timeout)

    def close(self) -> None:
        """Disconnect."""
        self.transport.close()


def publish_load(sessions: DeviceSessions | OneClient, devices: list[SafetyAlarm], rate: float,
                 duration: float) -> tuple[float, set[str]]:
    """Publish at ``rate`` for ``duration`` s, round robin; start (epoch s) and the ids sent."""
    rng = np.random.default_rng(7)
    sent: set[str] = set()
    started_epoch = time.time()
    started = time.perf_counter()
    number = 0
    while (elapsed := time.perf_counter() - started) < duration:
        due = int(elapsed * rate) + 1
        while number < due:
            device = devices[number % len(devices)]
            event = "button_need" if number % ALARM_EVERY == 0 else "heartbeat"
            payload = device.make_message(event, time.time(), device.sample_fields(event, rng))
            sent.add(f"{device.device_id}-{number // len(devices):08d}")
            sessions.publish(device.device_id, device.topic(), payload)
            number += 1
        time.sleep(0.002)
    return started_epoch, sent


def stored(db: Path) -> tuple[list[str], list[float], list[float], float]:
    """Stored message ids, device-to-stored and arrived-to-stored latencies (s), last commit."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as connection:
        rows = connection.execute(
            "SELECT message_id, device_ts, received_at, stored_at FROM messages")
        ids, latencies, in_centre, last = [], [], [], 0.0
        for message_id, device_ts, received_at, stored_at in rows:
            ids.append(message_id)
            latencies.append(stored_at - datetime.fromisoformat(device_ts).timestamp())
            in_centre.append(stored_at - received_at)
            last = max(last, stored_at)
    return ids, latencies, in_centre, last


def count_stored(db: Path) -> int:
    """How many messages are stored so far."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as connection:
        return int(connection.execute("SELECT COUNT(*) FROM messages").fetchone()[0])


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``."""
    return float(np.quantile(np.asarray(values), q))


def main() -> None:
    """Run the soak and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds of load.")
    parser.add_argument("--rate", type=float, default=500.0, help="Messages a second.")
    parser.add_argument("--devices", type=int, default=200, help="Devices.")
    parser.add_argument("--publisher", choices=("sessions", "client"), default="sessions",
                        help="One MQTT session per device (the emulator's), or one client "
                        "for all devices.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        (folder / "mosquitto").mkdir()
        broker = MosquittoBroker(folder / "mosquitto")
        db = folder / "centre.db"
        centre = CentreProcess(broker.address, TENANT, db, folder / "centre.log", "--live",
                               "--health-interval", "5")
        devices = [SafetyAlarm(f"sa-{n:04d}", TENANT) for n in range(1, args.devices + 1)]
        sessions = DeviceSessions(broker.address, [
            SessionSpec(d.device_id, d.device_type, f"soak-{d.device_id}", d.topic(STATUS))
            for d in devices]) if args.publisher == "sessions" else OneClient(broker.address)
        memory: list[tuple[float, float]] = []
        stop = threading.Event()
        sampler = threading.Thread(target=sample_memory,
                                   args=(centre.process.pid, stop, memory), daemon=True)
        try:
            sessions.start()
            sampler.start()
            first_sent, sent = publish_load(sessions, devices, args.rate, args.duration)
            published_s = time.time() - first_sent
            sessions.flush(60)
            deadline = time.monotonic() + 300
            while count_stored(db) < len(sent) and time.monotonic() < deadline:
                time.sleep(0.2)
            ids, latencies, in_centre, last = stored(db)
        finally:
            stop.set()
            sessions.close()
            centre.stop()
            broker.stop()
        wall = last - first_sent
        twice = len(ids) - len(set(ids))
        rss = [mb for _, mb in memory]
        print(f"soak: {len(sent)} messages in {published_s:.1f} s offered "
              f"({len(sent) / published_s:.0f}/s) by {args.devices} devices "
              f"({args.publisher}), "
              f"1 in {ALARM_EVERY} an alarm")
        print(f"stored: {len(ids)} in {wall:.1f} s = {len(ids) / wall:.0f} msg/s; "
              f"lost {len(sent - set(ids))}, stored twice {twice}, "
              f"unexpected {len(set(ids) - sent)}")
        print(f"device-to-stored latency: p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
              f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, "
              f"max {max(latencies) * 1000:.1f} ms; of which in the centre (arrived at its "
              f"client to committed): p50 {percentile(in_centre, 0.5) * 1000:.1f} ms, "
              f"p99 {percentile(in_centre, 0.99) * 1000:.1f} ms")
        if rss:
            print(f"centre RSS: first {rss[0]:.0f} MB, median {statistics.median(rss):.0f} MB, "
                  f"last {rss[-1]:.0f} MB, peak {max(rss):.0f} MB over {len(rss)} samples")
            step = max(len(memory) // 6, 1)
            print("RSS over time: " + ", ".join(f"{t:.0f} s {mb:.0f} MB"
                                               for t, mb in memory[::step]))


if __name__ == "__main__":
    main()
