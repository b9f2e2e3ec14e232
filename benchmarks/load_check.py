"""Load check in the spirit of emqtt-bench: many device connections, a reconnect storm, a flood.

    PYTHONPATH=. python benchmarks/load_check.py [--devices 1000] [--flood 3000]

Starts Mosquitto on a free port of 127.0.0.1 with the shipped configuration
(``docs/mosquitto/vtsim.conf``: every broker-wide setting as shipped; the listener, TLS,
password and ACL lines replaced by a plain local listener, persistence in a temporary folder;
the configuration used is printed), and ``vtsim centre`` as a process of its own with a SQLite
store and its default rate limit (20 messages a second per device, bursts of 200). Then:

1. **Connections.** ``--devices`` safety alarms connect, one MQTT session each (the emulator's
   :class:`devices.transport.device_sessions.DeviceSessions`: one network thread for all, no
   thread per device), and each sends one alarm.
2. **Reconnect storm.** Every session is dropped at once without a goodbye (the broker
   publishes 1,000 last wills), and all reconnect at once; each device sends an alarm as soon
   as every session is back.
3. **Flood.** One more device, on a client of its own, publishes ``--flood`` alarms as fast as
   it can, while the calm devices each send one alarm spread over the flood.

A listener that stays connected throughout records every answer (``centre/ack`` and
``centre/rejected``) with its arrival time. The check: every alarm is answered exactly once
(by ``message_id``; the flood's excess is answered ``rate_limited``), and the calm devices'
answers arrive within 2 s of sending (p50, p99 and max printed per phase). Exit code 1 if
either fails.
"""

from __future__ import annotations

import argparse
import getpass
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import orjson

from devices.contract.codec import encode_fields, format_ts
from devices.contract.topics import device_topic
from devices.transport.device_sessions import DeviceSessions, SessionSpec
from devices.transport.mqtt import BrokerAddress, MqttTransport
from tests.brokers import HOST, RunningBroker
from tests.centre_process import CentreProcess

ROOT: Final = Path(__file__).resolve().parents[1]
SHIPPED_CONF: Final = ROOT / "docs" / "mosquitto" / "vtsim.conf"
TENANT: Final = "load"
KIND: Final = "safety_alarm"
CALM_LIMIT_S: Final = 2.0
REPLACED: Final = ("listener", "cafile", "certfile", "keyfile", "require_certificate",
                   "allow_anonymous", "password_file", "acl_file", "persistence_location")
"""Lines of the shipped configuration that name the deployment's port, files and accounts."""


# --- the broker -------------------------------------------------------------------------------


def bench_config(port: int, folder: Path, changes: dict[str, str] | None = None) -> str:
    """The shipped configuration with a plain local listener instead of the deployment's, and
    ``changes`` (setting name to value) applied to it."""
    changes = changes or {}
    kept = [line for line in SHIPPED_CONF.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")
            and line.split()[0] not in REPLACED]
    kept = [f"{line.split()[0]} {changes[line.split()[0]]}" if line.split()[0] in changes
            else line for line in kept]
    kept += [f"{name} {value}" for name, value in changes.items()
             if not any(line.split()[0] == name for line in kept)]
    return "\n".join([f"listener {port} {HOST}", "allow_anonymous true",
                      f"persistence_location {folder}/", f"user {getpass.getuser()}",
                      *kept, "log_dest stderr", "log_type error", "log_type warning", ""])


class ShippedMosquitto(RunningBroker):
    """Mosquitto with :func:`bench_config`."""

    name = "mosquitto"

    def __init__(self, folder: Path, changes: dict[str, str]) -> None:
        """Start it on a free port."""
        self.folder = folder
        self.changes = changes

        def command(port: int) -> list[str]:
            path = folder / "mosquitto.conf"
            path.write_text(bench_config(port, folder, changes), encoding="utf-8")
            return ["mosquitto", "-c", str(path)]

        super().__init__(command, None, folder / "mosquitto.log")


# --- answers ----------------------------------------------------------------------------------


@dataclass
class Answers:
    """Every answer the listener heard: count and arrival time per message id, and verdicts."""

    path: Path
    counts: Counter[str] = field(default_factory=Counter)
    arrived: dict[str, float] = field(default_factory=dict)
    verdicts: Counter[str] = field(default_factory=Counter)
    health: list[dict[str, object]] = field(default_factory=list)
    read_to: int = 0

    def refresh(self) -> None:
        """Read the answers the listener wrote since the last call (whole lines only)."""
        with self.path.open("rb") as lines:
            lines.seek(self.read_to)
            data = lines.read()
        end = data.rfind(b"\n") + 1
        self.read_to += end
        for line in data[:end].splitlines():
            at, payload = line.split(b" ", 1)
            body = orjson.loads(payload)
            if not body:
                continue  # the listener's start marker
            if "state" in body:  # the centre's health report
                self.health.append(body)
                continue
            message_id = body.get("message_id")
            self.verdicts[body.get("reason", "ack")] += 1
            if isinstance(message_id, str):
                self.counts[message_id] += 1
                self.arrived.setdefault(message_id, float(at))

    def answered(self, ids: Iterable[str]) -> int:
        """How many of ``ids`` have an answer."""
        self.refresh()
        return sum(1 for message_id in ids if message_id in self.counts)


class Listener:
    """``mosquitto_sub`` in a process of its own, connected through every phase: one line per
    answer, ``<arrival, unix seconds> <payload>`` (its own process, so that the devices'
    threads cannot delay it)."""

    def __init__(self, address: BrokerAddress, answers: Answers) -> None:
        """Start it and wait until it is subscribed (its first line: a marker it receives)."""
        self.out = answers.path.open("wb")
        self.process = subprocess.Popen(
            ["mosquitto_sub", "-h", address.host, "-p", str(address.port), "-q", "1",
             "-i", "load-listener", "-F", "%U %p", "-t", f"vt/v1/{TENANT}/centre/+/+",
             "-t", f"vt/v1/{TENANT}/centre/health"],
            stdout=self.out, stderr=subprocess.DEVNULL)
        marker = MqttTransport(address, "load-marker")
        marker.connect()
        while answers.path.stat().st_size == 0:
            marker.publish(f"vt/v1/{TENANT}/centre/marker/x", b"{}")
            time.sleep(0.2)
        marker.close()

    def close(self) -> None:
        """Stop it."""
        time.sleep(0.5)
        self.process.terminate()
        self.process.wait(10)
        self.out.close()


# --- devices ----------------------------------------------------------------------------------


class Sender:
    """Alarms of many devices: each alarm's message id and when it was handed over."""

    def __init__(self) -> None:
        """Nothing sent yet."""
        self.sent: dict[str, float] = {}
        self.seq: Counter[str] = Counter()

    def alarm(self, device_id: str) -> tuple[str, str, bytes]:
        """``(message_id, topic, payload)`` of the device's next button press, stamped now."""
        seq = self.seq[device_id]
        self.seq[device_id] += 1
        message_id = f"{device_id}-{seq:08d}"
        payload = encode_fields(KIND, device_id, "button_need", message_id, format_ts(time.time()),
                                seq, {})
        self.sent[message_id] = time.time()
        return message_id, device_topic(TENANT, KIND, device_id), payload


def sessions_for(address: BrokerAddress, devices: list[str]) -> DeviceSessions:
    """One session per device, as the emulator opens them."""
    return DeviceSessions(address, [
        SessionSpec(device, KIND, f"load-{device}", device_topic(TENANT, KIND, device, "status"))
        for device in devices], max_pending=50_000, publish_timeout_s=120.0)


def each_sends(sessions: DeviceSessions, sender: Sender, devices: list[str],
               spread_s: float = 0.0) -> list[str]:
    """Every device sends one alarm, all at once or spread evenly over ``spread_s``."""
    ids = []
    started = time.perf_counter()
    for index, device in enumerate(devices):
        if spread_s:
            delay = started + spread_s * index / len(devices) - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        message_id, topic, payload = sender.alarm(device)
        sessions.publish(device, topic, payload)
        ids.append(message_id)
    return ids


def wait_answered(answers: Answers, ids: list[str], timeout: float) -> float:
    """Wait until every id has an answer (or ``timeout``); the seconds it took."""
    started = time.perf_counter()
    while answers.answered(ids) < len(ids) and time.perf_counter() - started < timeout:
        time.sleep(0.05)
    return time.perf_counter() - started


# --- figures ----------------------------------------------------------------------------------


def latencies(answers: Answers, sender: Sender, ids: list[str]) -> list[float]:
    """Seconds from handing each alarm over to its answer's arrival (answered ones only)."""
    answers.refresh()
    return [answers.arrived[i] - sender.sent[i] for i in ids if i in answers.arrived]


def describe(name: str, values: list[float]) -> str:
    """p50, p99 and max of latencies, in ms."""
    if not values:
        return f"{name}: no answers"
    p50, p99 = np.quantile(np.asarray(values), [0.5, 0.99])
    return (f"{name}: {len(values)} answers, p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"max {max(values) * 1000:.0f} ms")


@dataclass
class Outcome:
    """What the check found."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        """Print a figure and keep it."""
        print(line, flush=True)
        self.lines.append(line)

    def calm(self, name: str, values: list[float], expected: int) -> None:
        """Report a calm phase and check its answers came within the limit."""
        self.say(describe(name, values))
        late = sum(1 for value in values if value > CALM_LIMIT_S)
        if len(values) < expected:
            self.failures.append(f"{name}: {expected - len(values)} alarms unanswered")
        if late:
            self.failures.append(f"{name}: {late} answers later than {CALM_LIMIT_S:g} s")


def health_peaks(reports: list[dict[str, object]]) -> str:
    """The highest backlog, lag and answers in flight the centre reported."""
    def peak(key: str) -> float:
        return max((float(str(r.get(key, 0))) for r in reports), default=float("nan"))
    return (f"centre health ({len(reports)} reports): backlog up to {peak('backlog'):.0f}, "
            f"lag up to {peak('lag_s'):.2f} s, answers in flight up to "
            f"{peak('answers_in_flight'):.0f}, possible loss "
            f"{peak('possible_loss'):.0f}")


def exactly_once(answers: Answers, sender: Sender, outcome: Outcome) -> None:
    """Every alarm sent answered exactly once, and nothing answered that was not sent."""
    answers.refresh()
    counts = dict(answers.counts)
    verdicts = dict(answers.verdicts)
    missing = [i for i in sender.sent if i not in counts]
    twice = [i for i, n in counts.items() if n > 1]
    unknown = [i for i in counts if i not in sender.sent]
    outcome.say(f"answers: {sum(counts.values())} for {len(sender.sent)} alarms; unanswered "
                f"{len(missing)}, answered twice {len(twice)}, unknown {len(unknown)}; "
                f"verdicts {verdicts}")
    if missing:
        outcome.say("unanswered: " + ", ".join(sorted(missing)[:10]))
    if missing or twice or unknown:
        outcome.failures.append(f"not exactly once: {len(missing)} unanswered, {len(twice)} "
                                f"twice, {len(unknown)} unknown")


# --- the check --------------------------------------------------------------------------------


@dataclass
class Fleet:
    """The calm devices, their sessions, what they sent and the answers heard."""

    address: BrokerAddress
    names: list[str]
    answers: Answers
    sender: Sender = field(default_factory=Sender)
    sessions: DeviceSessions | None = None

    def connect(self) -> float:
        """Open every session at once; the seconds until all are up."""
        self.sessions = sessions_for(self.address, self.names)
        started = time.perf_counter()
        self.sessions.start(timeout=120)
        return time.perf_counter() - started

    def send(self, spread_s: float) -> list[str]:
        """One alarm from each device, spread over ``spread_s`` (0: all at once)."""
        assert self.sessions is not None
        return each_sends(self.sessions, self.sender, self.names, spread_s)

    def drop(self) -> None:
        """Drop every connection at once, without a goodbye (the broker sends the wills)."""
        if self.sessions is not None:
            self.sessions.stop()
            self.sessions = None

    def close(self) -> None:
        """End every session cleanly."""
        if self.sessions is not None:
            self.sessions.close(timeout=30)
            self.sessions = None


def connections(fleet: Fleet, outcome: Outcome, spread_s: float) -> None:
    """Phase 1: every device connects and sends one alarm."""
    outcome.say(f"connect: {len(fleet.names)} sessions up in {fleet.connect():.2f} s")
    ids = fleet.send(spread_s)
    wait_answered(fleet.answers, ids, 60)
    outcome.calm(f"1 connections, one alarm each over {spread_s:g} s",
                 latencies(fleet.answers, fleet.sender, ids), len(ids))


def reconnect_storm(fleet: Fleet, outcome: Outcome) -> None:
    """Phase 2: every connection dropped at once, all back at once, each sends an alarm."""
    fleet.drop()
    outcome.say(f"reconnect storm: {len(fleet.names)} sessions back in {fleet.connect():.2f} s")
    ids = fleet.send(0.0)
    wait_answered(fleet.answers, ids, 60)
    outcome.calm("2 storm, one alarm each at once", latencies(fleet.answers, fleet.sender, ids),
                 len(ids))


def flood_from_one(fleet: Fleet, outcome: Outcome, flood: int, spread_s: float) -> None:
    """Phase 3: one device floods on a client of its own while the calm devices each send one
    alarm spread over ``spread_s``."""
    flooder = MqttTransport(fleet.address, "load-flooder", max_in_flight=1_000)
    flooder.connect()
    flood_ids: list[str] = []
    took: list[float] = []

    def run_flood() -> None:
        begun = time.perf_counter()
        for _ in range(flood):
            message_id, topic, payload = fleet.sender.alarm("flood-0001")
            flooder.publish(topic, payload)
            flood_ids.append(message_id)
        took.append(time.perf_counter() - begun)

    try:
        thread = threading.Thread(target=run_flood, daemon=True)
        started = time.perf_counter()
        thread.start()
        ids = fleet.send(spread_s)
        thread.join(300)
        calm_s = time.perf_counter() - started
        waited = wait_answered(fleet.answers, ids + flood_ids, 120)
    finally:
        flooder.close()
    flood_s = took[0] if took else float("nan")
    outcome.say(f"flood: {len(flood_ids)} alarms from one device published in {flood_s:.1f} s "
                f"({len(flood_ids) / flood_s:.0f}/s), {len(ids)} calm alarms over "
                f"{calm_s:.1f} s; all answered {waited:.1f} s after that")
    outcome.calm("3 calm devices during the flood", latencies(fleet.answers, fleet.sender, ids),
                 len(ids))
    outcome.say(describe("3 the flooding device", latencies(fleet.answers, fleet.sender,
                                                            flood_ids)))


def run_check(devices: int, flood: int, folder: Path, changes: dict[str, str] | None = None,
              spread_s: float = 5.0) -> Outcome:
    """Run the three phases; the figures and any failures."""
    outcome = Outcome()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    outcome.say(f"open-file limit {soft} (hard {hard}); {devices} device connections, "
                f"flood of {flood}; load average {os.getloadavg()[0]:.1f}")
    broker = ShippedMosquitto(folder, changes or {})
    outcome.say("broker configuration:\n  " + bench_config(broker.address.port, folder,
                                                            changes).strip().replace("\n", "\n  "))
    centre = CentreProcess(broker.address, TENANT, folder / "centre.db", folder / "centre.log",
                           "--health-interval", "2")
    try:
        answers = Answers(folder / "answers.jsonl")
        listener = Listener(broker.address, answers)
        fleet = Fleet(broker.address, [f"sa-{n:05d}" for n in range(1, devices + 1)], answers)
        try:
            connections(fleet, outcome, spread_s)
            reconnect_storm(fleet, outcome)
            flood_from_one(fleet, outcome, flood, spread_s)
            time.sleep(1.0)  # answers that would come twice
        finally:
            fleet.close()
            listener.close()
        exactly_once(answers, fleet.sender, outcome)
        outcome.say(health_peaks(answers.health))
        outcome.say(f"load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        centre.stop()
        broker.stop()
    return outcome


def main() -> None:
    """Run the check, print the figures, exit 1 on a failure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=1000, help="Device connections.")
    parser.add_argument("--flood", type=int, default=3000, help="Alarms of the flooding device.")
    parser.add_argument("--keep", type=Path, default=None,
                        help="Keep the broker's and the centre's logs and store in this folder.")
    parser.add_argument("--spread", type=float, default=5.0,
                        help="Seconds over which the calm devices send their alarms.")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="Change one setting of the shipped configuration (repeatable), "
                        "e.g. --set autosave_on_changes=false.")
    args = parser.parse_args()
    changes = dict(change.split("=", 1) for change in args.set)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        outcome = run_check(args.devices, args.flood, args.keep.resolve(), changes,
                            args.spread)
    else:
        with tempfile.TemporaryDirectory() as folder:
            outcome = run_check(args.devices, args.flood, Path(folder), changes, args.spread)
    for failure in outcome.failures:
        print(f"FAILED: {failure}")
    print("load check: " + ("failed" if outcome.failures else "passed"))
    sys.exit(1 if outcome.failures else 0)


if __name__ == "__main__":
    main()
