"""The live centre under real faults: a frozen broker, a store that fails or hangs.

``vtsim centre`` runs as a process of its own on Mosquitto; the devices follow the resend rule
(:data:`tests.centre_process.RESEND`). Each test breaks something, checks what the retained
health report says meanwhile, and ends with every alarm stored exactly once.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from devices.transport.mqtt import BrokerAddress, MqttTransport, ReceivedMessage
from tests.brokers import MosquittoBroker, mosquitto_binary
from tests.centre_process import (
    AlarmStream,
    CentreProcess,
    stored_alarm_ids,
    wait_for,
)

pytestmark = pytest.mark.skipif(mosquitto_binary() is None, reason="mosquitto is not installed")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """Mosquitto on a free port (persistence on), continued if a test froze it."""
    folder = tmp_path / "mosquitto"
    folder.mkdir()
    running = MosquittoBroker(folder, persistent=True)
    yield running
    running.process.send_signal(signal.SIGCONT)
    running.stop()


class HealthWatch:
    """Every health report the centre publishes, as received (retained ones included)."""

    def __init__(self, address: BrokerAddress, tenant: str) -> None:
        self.reports: list[dict[str, object]] = []
        self.transport = MqttTransport(address, f"health-{tenant}-{time.time_ns()}")
        self.transport.subscribe_messages(f"vt/v1/{tenant}/centre/health", self._note)
        self.transport.connect()

    def _note(self, message: ReceivedMessage) -> None:
        self.reports.append(orjson.loads(message.payload))

    def latest(self) -> dict[str, object]:
        self.transport.drain(timeout=0.05)
        return self.reports[-1] if self.reports else {}

    def close(self) -> None:
        self.transport.close()


def retained_health(address: BrokerAddress, tenant: str) -> dict[str, object]:
    """The retained health report a newcomer gets."""
    watch = HealthWatch(address, tenant)
    try:
        wait_for(lambda: bool(watch.latest()), 10, "the retained health report")
        return watch.latest()
    finally:
        watch.close()


def assert_each_once(db: Path, sent: list[str]) -> None:
    """Every alarm sent is stored, none twice."""
    wait_for(lambda: len(stored_alarm_ids(db)) >= len(sent), 60,
             f"{len(sent)} stored alarms (have {len(stored_alarm_ids(db))})")
    stored = stored_alarm_ids(db)
    assert not [key for key, n in Counter(stored).items() if n > 1]
    assert set(stored) == set(sent)


def test_sigterm_with_a_frozen_broker_and_a_backlog_ends_within_seconds_and_says_down(
        broker: MosquittoBroker, tenant: str, tmp_path: Path) -> None:
    db, log = tmp_path / "centre.db", tmp_path / "centre.log"
    centre = CentreProcess(broker.address, tenant, db, log)
    stream = AlarmStream(broker.address, tenant, 3_000, 3_000.0, devices=30).start()
    wait_for(lambda: len(stored_alarm_ids(db)) >= 300, 30, "300 alarms stored")
    broker.process.send_signal(signal.SIGSTOP)  # frozen: takes nothing, answers nothing
    time.sleep(0.5)
    asked = time.monotonic()
    centre.process.send_signal(signal.SIGTERM)
    try:
        code = centre.process.wait(15)
    except Exception:
        centre.process.send_signal(signal.SIGUSR1)
        time.sleep(1)
        centre.process.kill()
        print(centre.output()[-6000:])
        raise
    took = time.monotonic() - asked
    print(f"stopped in {took:.2f} s (exit {code}); stored {len(stored_alarm_ids(db))}")
    assert took < 7.0, centre.output()[-2000:]
    broker.process.send_signal(signal.SIGCONT)
    report = retained_health(broker.address, tenant)
    assert report["state"] == "down", report  # its last report, or its last will
    centre = CentreProcess(broker.address, tenant, db, log)
    try:
        assert_each_once(db, stream.finish())
        assert retained_health(broker.address, tenant)["state"] == "running"
    finally:
        centre.stop()
    assert retained_health(broker.address, tenant)["state"] == "down"
