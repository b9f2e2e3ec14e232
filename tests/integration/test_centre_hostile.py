"""Hostile input on a real Mosquitto: a flooding device is throttled, the others are not.

The flood is answered message by message (``rate_limited``, stored as rejections), never
dropped in silence; a well-behaved device publishing at the same time gets every alarm
acknowledged within a bounded delay. The size and nesting limits of ``vtsim centre`` are
options.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import orjson
import pytest

from devices.contract.rate_limit import RateLimit
from devices.transport.mqtt import BrokerAddress, MqttTransport, ReceivedMessage
from tests.brokers import mosquitto_binary
from tests.centre_process import CentreProcess, stored_rows, wait_for
from tests.mqtt_cases import KIND, alarm, nested
from vtsim.live.centre import Answer, LiveCentre
from vtsim.live.store import open_store

pytestmark = pytest.mark.skipif(mosquitto_binary() is None, reason="mosquitto is not installed")

FLOOD = 2_000
CALM = 20
MAX_CALM_LATENCY_S = 2.0


def test_a_flooding_device_is_throttled_and_a_calm_one_keeps_its_latency(
    mosquitto_broker: BrokerAddress, tenant: str, tmp_path: Path
) -> None:
    answers: list[Answer] = []
    centre_transport = MqttTransport(mosquitto_broker, f"centre-{tenant}", manual_ack=True)
    store = open_store(f"sqlite:///{tmp_path / 'centre.db'}")
    centre = LiveCentre(centre_transport, tenant=tenant, store=store, on_answer=answers.append,
                        rate_limit=RateLimit(rate_per_s=20, burst=50))
    centre.start()
    centre_transport.connect()
    acks: dict[str, float] = {}
    observer = MqttTransport(mosquitto_broker, f"observer-{tenant}")

    def note_ack(message: ReceivedMessage) -> None:
        acks[orjson.loads(message.payload)["message_id"]] = message.received_at

    observer.subscribe_messages(f"vt/v1/{tenant}/centre/ack/sa-calm", note_ack)
    observer.connect()
    flooder = MqttTransport(mosquitto_broker, f"flooder-{tenant}")
    calm = MqttTransport(mosquitto_broker, f"calm-{tenant}")
    flooder.connect()
    calm.connect()
    sent_at: dict[str, float] = {}

    def flood() -> None:
        topic = f"vt/v1/{tenant}/{KIND}/sa-flood/events"
        for seq in range(FLOOD):
            flooder.publish(topic, alarm(seq, device_id="sa-flood", ts=time.time(),
                                         event="heartbeat", battery_pct=80))

    def behave() -> None:
        topic = f"vt/v1/{tenant}/{KIND}/sa-calm/events"
        for seq in range(CALM):
            sent_at[f"sa-calm-{seq:08d}"] = time.time()
            calm.publish(topic, alarm(seq, device_id="sa-calm", ts=time.time()))
            time.sleep(0.05)

    threads = [threading.Thread(target=flood), threading.Thread(target=behave)]
    try:
        for thread in threads:
            thread.start()

        def all_answered() -> bool:
            centre_transport.drain(timeout=0.01)
            observer.drain()
            return len(answers) >= FLOOD + CALM and len(acks) >= CALM

        wait_for(all_answered, 60, "every message answered")
    finally:
        for thread in threads:
            thread.join(30)
        for transport in (flooder, calm, observer, centre_transport):
            transport.close()
    flood_verdicts = [a.verdict for a in answers if a.device_id == "sa-flood"]
    assert len(flood_verdicts) == FLOOD
    throttled = flood_verdicts.count("rate_limited")
    assert throttled > FLOOD // 2
    assert throttled + flood_verdicts.count("accepted") == FLOOD
    assert {a.verdict for a in answers if a.device_id == "sa-calm"} == {"accepted"}
    latencies = [acks[key] - sent_at[key] for key in sent_at]
    assert max(latencies) < MAX_CALM_LATENCY_S, sorted(latencies)[-3:]
    assert store.counts().rejections == throttled
    assert centre.snapshot().totals["rate_limited"] == throttled
    store.close()


def test_the_size_and_nesting_limits_are_options_of_vtsim_centre(
    mosquitto_broker: BrokerAddress, tenant: str, tmp_path: Path
) -> None:
    db = tmp_path / "centre.db"
    centre = CentreProcess(mosquitto_broker, tenant, db, tmp_path / "centre.log",
                           "--max-bytes", "400", "--max-depth", "3")
    device = MqttTransport(mosquitto_broker, f"device-{tenant}")
    device.connect()
    try:
        topic = f"vt/v1/{tenant}/{KIND}/sa-0007/events"
        device.publish(topic, alarm(1, ts=time.time(), note="x" * 400))
        device.publish(topic, nested(4))
        device.publish(topic, alarm(2, ts=time.time()))
        assert device.flush(10)
        wait_for(lambda: len(stored_rows(db, "SELECT 1 FROM rejections")) == 2, 30,
                 "two rejections")
        assert sorted(str(r[0]) for r in stored_rows(db, "SELECT reason FROM rejections")) == [
            "oversize", "too_deep"]
        wait_for(lambda: stored_rows(db, "SELECT COUNT(*) FROM messages") == [(1,)], 10,
                 "the small alarm stored")
    finally:
        device.close()
        assert centre.stop() == 0, centre.output()[-4000:]
