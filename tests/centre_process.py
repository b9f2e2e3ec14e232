"""``vtsim centre`` as a process the tests can kill, a stream of alarms, and the stored record.

The fault tests start the real command (``python -m vtsim centre --db sqlite:///…``), publish
alarms from device clients, break something (kill -9 the centre, restart the broker, cut the
network) and then read the centre's SQLite file to compare what was stored with what was sent.
"""

from __future__ import annotations

import ast
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import orjson

from devices.contract.resend import ResendPolicy
from devices.transport.mqtt import BrokerAddress, MqttTransport, ReceivedMessage
from tests.conftest import ROOT
from tests.mqtt_cases import KIND, alarm

READY_TIMEOUT_S: Final = 60.0
RESEND: Final = ResendPolicy(first_s=5.0, factor=2.0, max_s=20.0, jitter=0.5)
"""The documented resend rule (docs/vendors.md), its cap shortened to fit a test's minute."""


class CentreProcess:
    """``vtsim centre`` in a process of its own, storing into ``db`` (a SQLite file or a URL)."""

    def __init__(self, address: BrokerAddress, tenant: str, db: Path | str, log: Path,
                 *extra: str) -> None:
        """Start the centre and wait until it listens."""
        self.log = log
        url = db if isinstance(db, str) else f"sqlite:///{db}"
        command = [sys.executable, "-m", "vtsim", "centre", "--broker", address.url,
                   "--tenant", tenant, "--db", url, "--no-live",
                   "--health-interval", "0.5", *extra]
        self._heard = self.output().count("listening on") if log.exists() else 0
        with log.open("ab") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=out,
                                            stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self) -> None:
        """Wait for the line that says the centre listens."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while self.output().count("listening on") <= self._heard:
            if self.process.poll() is not None:
                raise RuntimeError(f"vtsim centre exited early: {self.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"vtsim centre not ready: {self.output()[-3000:]}")
            time.sleep(0.05)

    def output(self) -> str:
        """Everything the centre printed so far."""
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """kill -9: no goodbye, no flush, no clean disconnect."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        """SIGTERM (kill if it hangs); the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.send_signal(signal.SIGUSR1)  # its threads' stacks go to the log
                time.sleep(0.5)
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


ALARM_MESSAGES: Final = "SELECT message_id FROM messages WHERE place IN ('incident', 'correlated')"
"""The stored alarms: messages that opened an incident or joined one (repeats of an alarm
within the correlation window join its incident, so there are fewer incidents than alarms)."""


def stored_alarm_ids(db: Path) -> list[str]:
    """Message ids of the stored alarms (duplicates kept, if there were any)."""
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as connection:
        return [row[0] for row in connection.execute(ALARM_MESSAGES)]


def stored_rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of a read-only query on the centre's file."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as connection:
        return [tuple(row) for row in connection.execute(sql)]


def wait_for(done: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``done()`` until it holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class AlarmStream:
    """Devices of one tenant pressing their alarm buttons, ``rate`` alarms a second in all.

    Like a real alarm device, a press is kept until the centre answers it (an acknowledgement,
    or ``duplicate`` when the centre had already stored it) and is sent again, with the same
    message id, while it is not, by the resend rule (:data:`RESEND`: exponential waits with
    jitter). The broker's own acknowledgement is not enough: a broker killed with ``kill -9``
    can lose a message it has just acknowledged (docs/deployment.md). ``resends`` counts the
    copies sent.
    """

    address: BrokerAddress
    tenant: str
    count: int
    rate: float
    devices: int = 3
    sent: list[str] = field(default_factory=list)
    sent_at: dict[str, float] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)
    payloads: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)
    resends: int = 0
    resend: ResendPolicy = RESEND
    seed: int = 1
    prefix: str = "sa"
    """The devices' ids start with this (a second stream of the same tenant has its own)."""

    def __post_init__(self) -> None:
        """One client for every device; the stream starts with :meth:`start`."""
        self.transport = MqttTransport(self.address, f"devices-{self.tenant}-{self.prefix}")
        for kind in ("ack", "rejected"):
            self.transport.subscribe_messages(f"vt/v1/{self.tenant}/centre/{kind}/+",
                                              self._note_answer)
        self.transport.connect()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> AlarmStream:
        """Publish in a thread of its own."""
        self._thread.start()
        return self

    def _run(self) -> None:
        """Publish ``count`` alarms, round robin over the devices, at ``rate``."""
        try:
            started = time.monotonic()
            for number in range(self.count):
                device_id = f"{self.prefix}-{number % self.devices:04d}"
                seq = number // self.devices
                message_id = f"{device_id}-{seq:08d}"
                self.sent_at[message_id] = time.time()
                topic = f"vt/v1/{self.tenant}/{KIND}/{device_id}/events"
                payload = alarm(seq, device_id=device_id, ts=time.time())
                self.payloads[message_id] = (topic, payload)
                self.transport.publish(topic, payload)
                self.sent.append(message_id)
                pause = started + (number + 1) / self.rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
        except BaseException as error:  # shown by finish()
            self.errors.append(error)

    def _note_answer(self, message: ReceivedMessage) -> None:
        """An acknowledgement, or a ``duplicate`` rejection naming an alarm already stored."""
        body = orjson.loads(message.payload)
        if "/centre/ack/" in message.topic:
            self.answered.add(str(body["message_id"]))
        elif body.get("path") == "message_id":
            self.answered.add(str(ast.literal_eval(body["got"])))  # the id, as repr() gives it

    def finish(self, timeout: float = 60.0) -> list[str]:
        """Wait until every alarm is published and answered by the centre, resending the
        unanswered ones by the resend rule; the ids sent."""
        self._thread.join(timeout)
        assert not self.errors, self.errors
        deadline = time.monotonic() + timeout
        rng = random.Random(self.seed)
        attempts: dict[str, int] = {}
        due: dict[str, float] = {}
        while not self.answered.issuperset(self.sent) and time.monotonic() < deadline:
            self.transport.drain(timeout=0.1)
            now = time.monotonic()
            for message_id in set(self.sent) - self.answered:
                sent_at = self.sent_at[message_id] - time.time() + now  # on the monotonic clock
                attempt = attempts.get(message_id, 0)
                when = due.setdefault(message_id, sent_at + self.resend.wait(1, rng.random))
                if now < when:
                    continue
                self.transport.publish(*self.payloads[message_id])
                self.resends += 1
                attempts[message_id] = attempt + 1
                due[message_id] = now + self.resend.wait(attempt + 2, rng.random)
        assert self.transport.flush(timeout), "the broker did not acknowledge every alarm"
        self.transport.close()
        return self.sent
