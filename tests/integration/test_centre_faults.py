"""Faults on the live path with a real Mosquitto: every alarm stored exactly once.

A stream of alarms goes from device clients through Mosquitto (persistence on, a queue limit
far above the stream) to ``vtsim centre --db sqlite:///…`` in a process of its own. In the
middle of the stream the centre is killed with SIGKILL and started again, or Mosquitto is
stopped and started again on the same port; afterwards the stored incidents are exactly the
alarms sent, none missing and none twice. A deliberate gap in a device's sequence numbers is
stored as a possible-loss incident and reported in the retained health message.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from devices.transport.mqtt import BrokerAddress, MqttTransport, ReceivedMessage
from tests.brokers import MosquittoBroker, mosquitto_binary
from tests.centre_process import (
    ALARM_MESSAGES,
    AlarmStream,
    CentreProcess,
    stored_alarm_ids,
    stored_rows,
    wait_for,
)
from tests.integration.test_centre_store import rows
from tests.mqtt_cases import KIND, alarm
from vtsim.live.centre import LiveCentre
from vtsim.live.store import CentreStoreError, open_store

pytestmark = pytest.mark.skipif(mosquitto_binary() is None, reason="mosquitto is not installed")

ALARMS = 240
RATE = 120.0


@pytest.fixture
def persistent_broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """Mosquitto on a free port that keeps sessions and queued messages across restarts."""
    folder = tmp_path / "mosquitto"
    folder.mkdir()
    broker = MosquittoBroker(folder, persistent=True)
    yield broker
    broker.stop()


def assert_stored_exactly(db: Path, sent: list[str]) -> None:
    """The stored incidents are the alarms sent: the same set, each once."""
    wait_for(lambda: len(stored_alarm_ids(db)) >= len(sent), 60,
             f"{len(sent)} stored incidents (have {len(stored_alarm_ids(db))})")
    stored = stored_alarm_ids(db)
    twice = [key for key, n in Counter(stored).items() if n > 1]
    assert not twice, f"stored twice: {twice[:5]}"
    assert set(stored) == set(sent)
    assert len(sent) == ALARMS
    assert stored_rows(db, "SELECT COUNT(*) FROM messages") == [(ALARMS,)]


def test_a_centre_killed_mid_stream_resumes_with_every_alarm_once(
    persistent_broker: MosquittoBroker, tenant: str, tmp_path: Path
) -> None:
    db, log = tmp_path / "centre.db", tmp_path / "centre.log"
    centre = CentreProcess(persistent_broker.address, tenant, db, log)
    stream = AlarmStream(persistent_broker.address, tenant, ALARMS, RATE).start()
    try:
        wait_for(lambda: len(stored_alarm_ids(db)) >= ALARMS // 4, 30, "a quarter stored")
        centre.kill()
        killed_at = len(stored_alarm_ids(db))
        assert killed_at < ALARMS, "the stream ended before the centre was killed"
        centre = CentreProcess(persistent_broker.address, tenant, db, log)
        sent = stream.finish()
        assert_stored_exactly(db, sent)
        print(f"killed with {killed_at} of {ALARMS} stored; answered twice: "
              f"{stored_rows(db, 'SELECT COUNT(*) FROM rejections')}")
    finally:
        centre.stop()


def test_a_centre_on_postgresql_killed_mid_stream_resumes_with_every_alarm_once(
    persistent_broker: MosquittoBroker, tenant: str, tmp_path: Path
) -> None:
    from tests.integration.test_centre_store import postgres_schema_url

    schema = postgres_schema_url()
    url = next(schema)
    store = open_store(url)  # the test reads what the centre wrote, through its own connection

    def stored_ids() -> list[str]:
        return [str(row[0]) for row in rows(store, ALARM_MESSAGES)]

    centre = CentreProcess(persistent_broker.address, tenant, url, tmp_path / "centre.log")
    stream = AlarmStream(persistent_broker.address, tenant, ALARMS, RATE).start()
    try:
        wait_for(lambda: len(stored_ids()) >= ALARMS // 4, 30, "a quarter stored")
        centre.kill()
        assert len(stored_ids()) < ALARMS, "the stream ended before the centre was killed"
        centre = CentreProcess(persistent_broker.address, tenant, url, tmp_path / "centre.log")
        sent = stream.finish()
        wait_for(lambda: len(stored_ids()) >= ALARMS, 60, "every alarm stored")
        stored = stored_ids()
        assert sorted(stored) == sorted(sent) and len(set(sent)) == ALARMS
        assert rows(store, "SELECT COUNT(*) FROM messages") == [(ALARMS,)]
    finally:
        centre.stop()
        store.close()
        schema.close()  # drops the schema


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
def test_a_broker_restarted_mid_stream_loses_no_alarm(
    persistent_broker: MosquittoBroker, tenant: str, tmp_path: Path, sig: int
) -> None:
    db, log = tmp_path / "centre.db", tmp_path / "centre.log"
    centre = CentreProcess(persistent_broker.address, tenant, db, log)
    stream = AlarmStream(persistent_broker.address, tenant, ALARMS, RATE).start()
    restarted = persistent_broker
    try:
        wait_for(lambda: len(stored_alarm_ids(db)) >= ALARMS // 4, 30, "a quarter stored")
        persistent_broker.stop(sig)
        assert len(stream.sent) < ALARMS, "the stream ended before the broker went away"
        restarted = MosquittoBroker(persistent_broker.log.parent,
                                    port=persistent_broker.address.port, persistent=True)
        print(f"broker back with {len(stream.sent)} sent, {len(stored_alarm_ids(db))} stored")
        sent = stream.finish()
        assert_stored_exactly(db, sent)
        assert "lost the broker" in centre.output() and "reconnected" in centre.output()
    finally:
        centre.stop()
        restarted.stop()


def test_a_gap_in_the_sequence_is_stored_and_reported_as_possible_loss(
    persistent_broker: MosquittoBroker, tenant: str, tmp_path: Path
) -> None:
    db, log = tmp_path / "centre.db", tmp_path / "centre.log"
    address = persistent_broker.address
    health: list[ReceivedMessage] = []
    watcher = MqttTransport(address, f"health-{tenant}")
    watcher.subscribe_messages(f"vt/v1/{tenant}/centre/health", health.append)
    watcher.connect()
    centre = CentreProcess(address, tenant, db, log)
    device = MqttTransport(address, f"device-{tenant}")
    device.connect()
    try:
        topic = f"vt/v1/{tenant}/{KIND}/sa-0001/events"
        for seq in (0, 1, 2, 6, 7):  # 3, 4 and 5 are never sent
            device.publish(topic, alarm(seq, device_id="sa-0001", ts=time.time()))
        assert device.flush(10)
        wait_for(lambda: len(stored_alarm_ids(db)) == 5, 30, "five stored alarms")
        loss_sql = ("SELECT device_id, detail, state FROM incidents "
                    "WHERE kind = 'possible_loss'")
        # the gap waits a few seconds for late (reordered) numbers before it is an incident
        wait_for(lambda: bool(stored_rows(db, loss_sql)), 20, "a possible_loss incident")
        (loss,) = stored_rows(db, loss_sql)
        assert loss[0] == "sa-0001" and "3..5" in str(loss[1]) and loss[2] == "open"

        def reported() -> bool:
            watcher.drain(timeout=0.05)
            return any(orjson.loads(m.payload).get("possible_loss") == 3
                       and orjson.loads(m.payload).get("possible_loss_incidents") == 1
                       for m in health)

        wait_for(reported, 20, "a health report with 3 possibly lost messages")
        report = orjson.loads(health[-1].payload)
        assert report["stored"]["messages"] == 5 and report["broker"]["connected"] is True
        assert report["possible_loss_incidents"] == 1
        late: list[ReceivedMessage] = []  # a client that comes later gets the retained report
        latecomer = MqttTransport(address, f"late-{tenant}")
        latecomer.subscribe_messages(f"vt/v1/{tenant}/centre/health", late.append)
        latecomer.connect()
        wait_for(lambda: latecomer.drain(timeout=0.05) > 0 or bool(late), 10, "retained health")
        latecomer.close()
        assert late[0].retain and orjson.loads(late[0].payload)["state"] == "running"
    finally:
        centre.stop()
        device.close()
        watcher.close()


def test_a_message_is_acknowledged_to_the_broker_only_once_stored(
    mosquitto_broker: BrokerAddress, tenant: str, tmp_path: Path
) -> None:
    client_id = f"centre-{tenant}"

    def centre_session(store_url: str) -> tuple[MqttTransport, LiveCentre]:
        transport = MqttTransport(mosquitto_broker, client_id, clean_start=False,
                                  session_expiry_s=60, manual_ack=True)
        centre = LiveCentre(transport, tenant=tenant, store=open_store(store_url))
        centre.start()
        transport.connect()
        return transport, centre

    broken = tmp_path / "broken.db"
    transport, centre = centre_session(f"sqlite:///{broken}")
    centre.store.close()  # every write fails from now on
    device = MqttTransport(mosquitto_broker, f"device-{tenant}")
    device.connect()
    device.publish(f"vt/v1/{tenant}/{KIND}/sa-0001/events",
                   alarm(0, device_id="sa-0001", ts=time.time()))
    assert device.flush(10)
    device.close()
    with pytest.raises(CentreStoreError):
        while not transport.drain(timeout=5.0):
            pass
    transport.close()  # the alarm was never acknowledged: the broker keeps it

    db = tmp_path / "centre.db"
    transport, centre = centre_session(f"sqlite:///{db}")
    wait_for(lambda: transport.drain(timeout=0.05) > 0 or bool(stored_alarm_ids(db)), 10,
             "the alarm delivered again")
    assert stored_alarm_ids(db) == ["sa-0001-00000000"]
    transport.close()
    centre.store.close()

    transport, centre = centre_session("memory:")  # acknowledged now: nothing comes again
    assert transport.drain(timeout=1.0) == 0
    transport.close()
