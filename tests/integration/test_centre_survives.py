"""The live centre under real faults: a frozen broker, a store that fails or hangs.

``vtsim centre`` runs as a process of its own on Mosquitto; the devices follow the resend rule
(:data:`tests.centre_process.RESEND`). Each test breaks something, checks what the retained
health report says meanwhile, and ends with every alarm stored exactly once. A PostgreSQL
server that hangs is a TCP proxy between the centre and the server, frozen
(:meth:`tests.tcp_proxy.TcpProxy.freeze`): the connection stays open, nothing answers.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import pytest

from devices.transport.mqtt import BrokerAddress, MqttTransport, ReceivedMessage
from tests.brokers import HOST, MosquittoBroker, mosquitto_binary
from tests.centre_process import (
    AlarmStream,
    CentreProcess,
    stored_alarm_ids,
    stored_rows,
    wait_for,
)
from tests.tcp_proxy import TcpProxy
from vtsim.live.call_deadline import CANCEL_WAIT_S
from vtsim.live.service import EXIT_STUCK
from vtsim.live.store import CentreStore, CentreStoreError, open_store

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

    def store_state(self, wanted: str) -> bool:
        """Whether the latest report gives the store as ``wanted``."""
        store = self.latest().get("store")
        return isinstance(store, dict) and store.get("state") == wanted

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
    stream = AlarmStream(broker.address, tenant, 2_000, 2_000.0, devices=30).start()
    wait_for(lambda: len(stored_alarm_ids(db)) >= 300, 30, "300 alarms stored")
    broker.process.send_signal(signal.SIGSTOP)  # frozen: takes nothing, answers nothing
    time.sleep(0.5)
    asked = time.monotonic()
    centre.process.send_signal(signal.SIGTERM)
    code = centre.process.wait(15)
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


def hold_lock(db: Path, seconds: float) -> None:
    """Another process's exclusive lock on the centre's SQLite file for ``seconds``: to the
    centre, a database that does not answer."""
    connection = sqlite3.connect(db, timeout=10, isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    time.sleep(seconds)
    connection.execute("ROLLBACK")
    connection.close()


def test_a_store_that_hangs_then_fails_is_reported_waited_out_and_resumed(
        broker: MosquittoBroker, tenant: str, tmp_path: Path) -> None:
    db, log = tmp_path / "centre.db", tmp_path / "centre.log"
    centre = CentreProcess(broker.address, tenant, db, log)
    health = HealthWatch(broker.address, tenant)
    try:
        first = AlarmStream(broker.address, tenant, 100, 200.0, devices=5).start()
        sent = first.finish()
        locker = threading.Thread(target=hold_lock, args=(db, 9.0))
        locker.start()
        time.sleep(0.3)
        second = AlarmStream(broker.address, tenant, 200, 200.0, devices=5, seed=2,
                             prefix="b").start()

        wait_for(lambda: health.store_state("busy"), 5, "health: store busy (a hung database)")
        assert health.latest()["state"] == "running"
        wait_for(lambda: health.store_state("failing"), 10, "health: store failing")
        failing = health.latest()
        assert failing["state"] == "degraded" and failing["backlog"] > 0, failing
        locker.join()
        sent += second.finish()
        wait_for(lambda: health.store_state("ok") and health.latest()["state"] == "running", 20,
                 "health: store ok again")
        assert centre.process.poll() is None, "the centre must ride out a failing store"
        assert_each_once(db, sent)
        assert "the store failed" in centre.output() and "store back" in centre.output()
    finally:
        health.close()
        centre.stop()


def test_sigterm_while_the_store_hangs_ends_within_seconds(
        broker: MosquittoBroker, tenant: str, tmp_path: Path) -> None:
    db, log = tmp_path / "centre.db", tmp_path / "centre.log"
    centre = CentreProcess(broker.address, tenant, db, log)
    locker = threading.Thread(target=hold_lock, args=(db, 4.0))
    locker.start()
    stream = AlarmStream(broker.address, tenant, 50, 100.0, devices=5).start()
    time.sleep(1.5)
    asked = time.monotonic()
    centre.process.send_signal(signal.SIGTERM)
    centre.process.wait(15)
    assert time.monotonic() - asked < 7.0
    assert retained_health(broker.address, tenant)["state"] == "down"
    locker.join()
    centre = CentreProcess(broker.address, tenant, db, log)
    try:
        assert_each_once(db, stream.finish())
    finally:
        centre.stop()


def test_a_postgresql_store_that_goes_away_is_waited_out_and_resumed(
        broker: MosquittoBroker, tenant: str, tmp_path: Path) -> None:
    from tests.integration.test_centre_store import postgres_schema_url, rows

    schema = postgres_schema_url()
    name = f"vtsim-{tenant}"
    url = f"{next(schema)}&application_name={name}"
    import psycopg

    admin = psycopg.connect(url.split("?")[0], autocommit=True)
    reader = open_store(url.replace(name, f"{name}-reader"))

    def cut_off(seconds: float) -> None:
        """The database refuses the centre for a while: every connection of its name ends."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = %s", (name,))
            time.sleep(0.05)

    centre = CentreProcess(broker.address, tenant, url, tmp_path / "centre.log")
    health = HealthWatch(broker.address, tenant)
    try:
        stream = AlarmStream(broker.address, tenant, 300, 100.0, devices=5).start()
        wait_for(lambda: bool(rows(reader, "SELECT 1 FROM messages LIMIT 1")), 20, "a stored alarm")
        health.latest()  # the reports so far are taken: the ones during the cut-off follow
        before = len(health.reports)
        cut_off(4.0)
        health.latest()
        assert any(isinstance(r.get("store"), dict) and r["store"]["state"] == "failing"
                   for r in health.reports[before:]), health.reports[before:]
        sent = stream.finish()
        wait_for(lambda: rows(reader, "SELECT COUNT(*) FROM messages") == [(len(sent),)], 30,
                 "every alarm stored")
        stored = [str(r[0]) for r in rows(reader, "SELECT message_id FROM messages")]
        assert sorted(stored) == sorted(sent)
        assert centre.process.poll() is None
        wait_for(lambda: health.latest().get("state") == "running", 10, "health running again")
    finally:
        health.close()
        centre.stop()
        reader.close()
        admin.close()
        schema.close()


def test_a_backlog_after_a_centre_outage_is_not_throttled_as_a_flood(
        broker: MosquittoBroker, tenant: str, tmp_path: Path) -> None:
    """5 devices send alarms at half their limit (10 of 20 a second) while the centre is down
    for 8 s; when it is back, the backlog arrives at once: every alarm is stored, none is
    answered `rate_limited`, no false `possible_loss` opens."""
    db, log = tmp_path / "centre.db", tmp_path / "centre.log"
    limit = ("--rate-limit", "20", "--burst", "20")
    centre = CentreProcess(broker.address, tenant, db, log, *limit)
    stream = AlarmStream(broker.address, tenant, 600, 50.0, devices=5).start()
    try:
        wait_for(lambda: len(stored_alarm_ids(db)) >= 50, 20, "50 stored")
        centre.kill()
        time.sleep(8.0)
        centre = CentreProcess(broker.address, tenant, db, log, *limit)
        assert_each_once(db, stream.finish())
        rejected = stored_rows(db, "SELECT reason, COUNT(*) FROM rejections GROUP BY reason")
        assert ("rate_limited",) not in [row[:1] for row in rejected], rejected
        assert stored_rows(db, "SELECT COUNT(*) FROM incidents WHERE kind = 'possible_loss'"
                               " AND state = 'open'") == [(0,)]
    finally:
        centre.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
def test_a_broker_restarted_mid_flood_with_resending_devices_loses_nothing(
        broker: MosquittoBroker, tenant: str, tmp_path: Path, sig: int) -> None:
    """3,000 alarms at 1,000 a second from 50 devices; the broker is stopped (or killed) in the
    middle and started again: every alarm stored exactly once, the devices' copies bounded by
    the resend rule, health running again with no false possible loss left open."""
    db, log = tmp_path / "centre.db", tmp_path / "centre.log"
    centre = CentreProcess(broker.address, tenant, db, log)
    stream = AlarmStream(broker.address, tenant, 3_000, 1_000.0, devices=50).start()
    restarted = broker
    try:
        wait_for(lambda: len(stored_alarm_ids(db)) >= 800, 30, "800 stored")
        broker.stop(sig)
        restarted = MosquittoBroker(broker.log.parent, port=broker.address.port,
                                    persistent=True)
        assert_each_once(db, stream.finish(timeout=90))
        print(f"copies resent: {stream.resends}")
        assert stream.resends < 3 * 3_000
        wait_for(lambda: stored_rows(db, "SELECT COUNT(*) FROM incidents WHERE kind = "
                                         "'possible_loss' AND state = 'open'") == [(0,)],
                 15, "no possible_loss left open")
        assert retained_health(restarted.address, tenant)["state"] == "running"
    finally:
        centre.stop()
        restarted.stop()


@pytest.fixture
def postgres_behind_proxy() -> Iterator[tuple[str, TcpProxy, CentreStore]]:
    """A schema of its own on the test PostgreSQL server, reached by the centre through a
    :class:`TcpProxy` (its URL), and a store on a direct connection to read what is stored."""
    from tests.integration.test_centre_store import postgres_schema_url

    schema = postgres_schema_url()
    url = next(schema)
    parts = urlsplit(url)
    if parts.hostname is None:
        schema.close()
        pytest.skip(f"the test PostgreSQL server is not reached over TCP ({url}): no proxy")
    proxy = TcpProxy((parts.hostname, parts.port or 5432))
    user = parts.netloc.rpartition("@")[0]
    behind = parts._replace(netloc=f"{user}@{HOST}:{proxy.port}" if user
                            else f"{HOST}:{proxy.port}").geturl()
    reader = open_store(url)
    try:
        yield behind, proxy, reader
    finally:
        proxy.close()
        reader.close()
        schema.close()


def stored_ids(reader: CentreStore) -> list[str]:
    """Message ids of every stored message, read on the direct connection."""
    from tests.integration.test_centre_store import rows

    return [str(row[0]) for row in rows(reader, "SELECT message_id FROM messages")]


def test_a_postgresql_call_that_hangs_fails_after_the_deadline(
        postgres_behind_proxy: tuple[str, TcpProxy, CentreStore]) -> None:
    url, proxy, _ = postgres_behind_proxy
    store = open_store(url, deadline_s=1.0)
    outcome: list[object] = []

    def count() -> None:
        try:
            outcome.append(store.counts())
        except Exception as error:
            outcome.append(error)

    try:
        assert store.counts().messages == 0
        proxy.freeze()
        started = time.monotonic()
        caller = threading.Thread(target=count, daemon=True)
        caller.start()
        caller.join(1.0 + CANCEL_WAIT_S + 3.0)
        took = time.monotonic() - started
        assert outcome, f"the call still hangs after {took:.1f} s"
        assert isinstance(outcome[0], CentreStoreError), outcome
        assert "did not answer within 1 s" in str(outcome[0])
        assert 1.0 <= took < 1.0 + CANCEL_WAIT_S + 1.0, took
    finally:
        proxy.thaw()
        store.close()
    again = open_store(url, deadline_s=1.0)  # a new connection works once the server answers
    try:
        assert again.counts().messages == 0
    finally:
        again.close()


def test_a_postgresql_server_that_hangs_is_abandoned_after_the_deadline_and_resumed(
        broker: MosquittoBroker, tenant: str, tmp_path: Path,
        postgres_behind_proxy: tuple[str, TcpProxy, CentreStore]) -> None:
    """The server freezes mid-stream: health says ``busy``, then after the 3 s deadline
    ``failing`` (``degraded``, a backlog); thawed, the centre carries on by itself on a new
    connection and every alarm is stored exactly once."""
    url, proxy, reader = postgres_behind_proxy
    centre = CentreProcess(broker.address, tenant, url, tmp_path / "centre.log",
                           "--store-deadline", "3")
    health = HealthWatch(broker.address, tenant)
    try:
        stream = AlarmStream(broker.address, tenant, 400, 40.0, devices=5).start()
        wait_for(lambda: len(stored_ids(reader)) >= 40, 20, "40 stored alarms")
        proxy.freeze()
        frozen_at = time.monotonic()
        wait_for(lambda: health.store_state("busy"), 6, "health: store busy (a hung database)")
        assert health.latest()["state"] == "running"
        wait_for(lambda: health.store_state("failing"), 3 + CANCEL_WAIT_S + 4,
                 "health: store failing once the deadline ran out")
        failing = health.latest()
        assert time.monotonic() - frozen_at >= 3.0
        assert failing["state"] == "degraded" and failing["backlog"] > 0, failing
        error = failing["store"]["error"]  # type: ignore[index]
        assert "did not answer within 3 s" in error and "nothing was acknowledged" in error
        time.sleep(2.0)  # still frozen: a new connection cannot be made either
        assert health.store_state("failing") and centre.process.poll() is None
        proxy.thaw()
        sent = stream.finish()
        wait_for(lambda: len(stored_ids(reader)) >= len(sent), 30, "every alarm stored")
        stored = stored_ids(reader)
        assert sorted(stored) == sorted(sent)  # each once
        wait_for(lambda: health.store_state("ok") and health.latest()["state"] == "running",
                 20, "health: store ok again")
        assert centre.process.poll() is None, "the centre must ride out a hung database"
        assert "the store failed" in centre.output() and "store back" in centre.output()
    finally:
        health.close()
        centre.stop()


def test_sigterm_while_postgresql_hangs_ends_within_seconds_and_says_down(
        broker: MosquittoBroker, tenant: str, tmp_path: Path,
        postgres_behind_proxy: tuple[str, TcpProxy, CentreStore]) -> None:
    """A stop while a commit hangs (a deadline far off): the centre leaves within the stop
    grace (exit 3) and its retained health says ``down``; a new centre stores every alarm
    exactly once."""
    url, proxy, reader = postgres_behind_proxy
    log = tmp_path / "centre.log"
    centre = CentreProcess(broker.address, tenant, url, log, "--store-deadline", "60")
    health = HealthWatch(broker.address, tenant)
    try:
        stream = AlarmStream(broker.address, tenant, 200, 40.0, devices=5).start()
        wait_for(lambda: len(stored_ids(reader)) >= 20, 20, "20 stored alarms")
        proxy.freeze()
        wait_for(lambda: health.store_state("busy"), 6, "health: store busy (a hung database)")
    finally:
        health.close()
    asked = time.monotonic()
    centre.process.send_signal(signal.SIGTERM)
    code = centre.process.wait(15)
    took = time.monotonic() - asked
    assert took < 7.0 and code == EXIT_STUCK, (took, code, centre.output()[-2000:])
    report = retained_health(broker.address, tenant)
    assert report["state"] == "down", report  # its own last report, not the broker's last will
    assert str(report["reason"]).startswith("stopped while the store"), report
    proxy.thaw()
    centre = CentreProcess(broker.address, tenant, url, log)
    try:
        sent = stream.finish()
        wait_for(lambda: len(stored_ids(reader)) >= len(sent), 30, "every alarm stored")
        assert sorted(stored_ids(reader)) == sorted(sent)  # each once
    finally:
        centre.stop()


def test_a_postgresql_server_that_hangs_while_the_centre_is_idle_is_reported_and_resumed(
        broker: MosquittoBroker, tenant: str, tmp_path: Path,
        postgres_behind_proxy: tuple[str, TcpProxy, CentreStore]) -> None:
    """No message comes: the centre's periodic check is what finds the hung server (``busy``,
    then ``failing`` after the deadline); thawed, the next check finds it working again and
    the health report says so, still without a message."""
    url, proxy, reader = postgres_behind_proxy
    centre = CentreProcess(broker.address, tenant, url, tmp_path / "centre.log",
                           "--store-deadline", "3")
    health = HealthWatch(broker.address, tenant)
    try:
        sent = AlarmStream(broker.address, tenant, 20, 100.0, devices=2).start().finish()
        wait_for(lambda: len(stored_ids(reader)) >= len(sent), 20, "the alarms stored")
        proxy.freeze()
        wait_for(lambda: health.store_state("busy"), 6, "health: store busy (a hung check)")
        wait_for(lambda: health.store_state("failing"), 3 + CANCEL_WAIT_S + 4,
                 "health: store failing once the deadline ran out")
        assert health.latest()["state"] == "degraded"
        proxy.thaw()
        wait_for(lambda: health.store_state("ok") and health.latest()["state"] == "running",
                 20, "health: store ok again, with no message to store")
        assert centre.process.poll() is None
        assert sorted(stored_ids(reader)) == sorted(sent)
    finally:
        health.close()
        centre.stop()
