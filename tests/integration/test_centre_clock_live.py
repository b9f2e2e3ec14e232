"""Device clocks that are off and devices that reboot, through a real broker and ``vtsim centre``.

The same rules as tests/integration/test_centre_clock.py and test_centre_sequence.py, but on the
wire: Mosquitto on a free port, the centre as a process of its own storing into SQLite, a device
client that presses its button and reads the centre's answer, and the health report as any
subscriber receives it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from devices.transport.mqtt import MqttTransport, ReceivedMessage
from tests.brokers import MosquittoBroker, mosquitto_binary
from tests.centre_process import CentreProcess, stored_alarm_ids, stored_rows, wait_for
from tests.integration.test_centre_survives import HealthWatch
from tests.mqtt_cases import KIND, alarm
from vtsim.live.store import DEVICE_CLOCK, OPEN, POSSIBLE_LOSS

pytestmark = pytest.mark.skipif(mosquitto_binary() is None, reason="mosquitto is not installed")

DAY = 86_400.0
GAP_WAIT_S = 5.0
"""The centre's reordering window (vtsim.live.service.GAP_WAIT_S): a gap older than this is a
``possible_loss`` incident."""


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    folder = tmp_path / "mosquitto"
    folder.mkdir()
    running = MosquittoBroker(folder)
    yield running
    running.stop()


class Device:
    """One device's client: publishes its messages and keeps the centre's answers to it."""

    def __init__(self, broker: MosquittoBroker, tenant: str, device_id: str) -> None:
        self.topic = f"vt/v1/{tenant}/{KIND}/{device_id}/events"
        self.answers: dict[str, dict[str, object]] = {}
        self.transport = MqttTransport(broker.address, f"device-{tenant}-{device_id}")
        for kind in ("ack", "rejected"):
            self.transport.subscribe_messages(f"vt/v1/{tenant}/centre/{kind}/{device_id}",
                                              self._note)
        self.transport.connect()

    def _note(self, message: ReceivedMessage) -> None:
        body = orjson.loads(message.payload)
        kind = "ack" if "/centre/ack/" in message.topic else "rejected"
        self.answers[str(body.get("message_id", len(self.answers)))] = {"kind": kind, **body}

    def press(self, payload: bytes) -> None:
        self.transport.publish(self.topic, payload)

    def await_answers(self, count: int, timeout: float = 10.0) -> None:
        def enough() -> bool:
            self.transport.drain(timeout=0.05)
            return len(self.answers) >= count

        wait_for(enough, timeout, f"{count} answers (have {len(self.answers)})")

    def close(self) -> None:
        self.transport.close()


OFFSETS = {
    "10 days behind": -10 * DAY,  # the limit is 7 days (docs/vendors.md)
    "reset to 1970": None,  # the ts is 0: the offset is minus the epoch seconds of now
    "10 minutes ahead": 600.0,
}


@pytest.mark.parametrize("offset", list(OFFSETS.values()), ids=list(OFFSETS))
def test_a_button_pressed_on_a_device_whose_clock_is_off_is_taken_and_flagged(
        broker: MosquittoBroker, tenant: str, tmp_path: Path, offset: float | None) -> None:
    db = tmp_path / "centre.db"
    centre = CentreProcess(broker.address, tenant, db, tmp_path / "centre.log")
    health = HealthWatch(broker.address, tenant)
    device = Device(broker, tenant, "clk-0001")
    try:
        pressed = time.time()
        ts = 0.0 if offset is None else pressed + offset
        expected = ts - pressed
        device.press(alarm(7, device_id="clk-0001", ts=ts))
        device.await_answers(1)
        (answer,) = device.answers.values()
        assert answer["kind"] == "ack", answer
        assert answer["message_id"] == "clk-0001-00000007"
        assert answer["clock_offset_s"] == pytest.approx(expected, abs=5.0)

        assert stored_alarm_ids(db) == ["clk-0001-00000007"]
        ((opened_at, detail),) = stored_rows(
            db, "SELECT opened_at, detail FROM incidents WHERE kind = 'button_need'")
        assert opened_at == pytest.approx(pressed, abs=5.0)  # the centre's receive time
        assert "device clock" in str(detail)
        assert "behind" in str(detail) if expected < 0 else "ahead" in str(detail)
        assert stored_rows(db, f"SELECT state FROM incidents WHERE kind = '{DEVICE_CLOCK}'") == [
            (OPEN,)]

        def clock_reported() -> bool:
            clock = health.latest().get("clock_off")
            return isinstance(clock, dict) and clock.get("devices") == 1

        wait_for(clock_reported, 5, "health: one device's clock off")
        clock = health.latest()["clock_off"]
        assert isinstance(clock, dict)
        assert clock["offsets_s"] == {f"{tenant}/clk-0001": pytest.approx(expected, abs=5.0)}
        assert centre.process.poll() is None
    finally:
        device.close()
        health.close()
        assert centre.stop() == 0


def test_a_rebooted_device_counting_from_zero_again_raises_incidents_and_no_possible_loss(
        broker: MosquittoBroker, tenant: str, tmp_path: Path) -> None:
    """20 alarms with seq 0..19, then a reboot: seq 0..4 again, with new message ids (the id
    carries a boot count) and the clock reset to 1970. Every alarm is acknowledged and an
    incident; past the reordering window, no ``possible_loss`` and the restart is seen."""
    db = tmp_path / "centre.db"
    centre = CentreProcess(broker.address, tenant, db, tmp_path / "centre.log",
                           "--correlation-window", "0")
    health = HealthWatch(broker.address, tenant)
    device = Device(broker, tenant, "rbt-0001")
    try:
        for seq in range(20):
            device.press(alarm(seq, device_id="rbt-0001", ts=time.time()))
        device.await_answers(20)
        rebooted = [f"rbt-0001-boot2-{seq:04d}" for seq in range(5)]
        for seq, message_id in enumerate(rebooted):
            device.press(alarm(seq, device_id="rbt-0001", ts=float(seq), message_id=message_id))
        device.await_answers(25)
        assert {str(a["kind"]) for a in device.answers.values()} == {"ack"}, device.answers
        assert set(rebooted) <= set(device.answers)
        stored = stored_alarm_ids(db)
        assert len(stored) == 25 and set(rebooted) <= set(stored)
        assert stored_rows(db, "SELECT COUNT(*) FROM incidents WHERE kind = 'button_need'") == [
            (25,)]
        time.sleep(GAP_WAIT_S + 1.5)  # a gap would be reported by now (silence check: 0.5 s)
        assert stored_rows(db, f"SELECT COUNT(*) FROM incidents WHERE kind = '{POSSIBLE_LOSS}'"
                           ) == [(0,)]
        assert stored_rows(db, "SELECT last_seq, gaps, out_of_order FROM devices") == [
            (4, 0, 0)]  # counting again from 0: not five late messages
        report = health.latest()
        assert report["state"] == "running", report
        assert (report["possible_loss"], report["possible_loss_devices"]) == (0, 0), report
    finally:
        device.close()
        health.close()
        assert centre.stop() == 0
