"""Device clocks that are off, and devices that reboot: every alarm a person raises is taken.

An alarm whose ``ts`` is more than 7 days old, more than 5 minutes ahead, or in 1970 (a clock
reset) is stored, opens an incident timed from the centre's receive time, is acknowledged with
the clock's offset, and flags the device's clock (a ``device_clock`` incident and the health
report) until a message comes with the clock right. A heartbeat with such a clock keeps the
strict rule (``ts_in_past`` / ``ts_in_future``). The simulated and training centres share the
rule (:class:`devices.contract.reception.Reception`).
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from devices.contract.codec import encode_fields, format_ts
from devices.contract.reception import CLOCK_OFF, INCIDENT, REJECTED, Reception, answer_reason
from devices.transport.mqtt import MqttStats
from tests.integration.test_centre_store import TOPIC, centre_on, rows
from tests.mqtt_cases import DEVICE, KIND, NOW, alarm
from vtsim.live.health import health_report
from vtsim.live.store import DEVICE_CLOCK, OPEN, RESOLVED, open_store

DAY = 86_400.0
OFFSETS = {
    "8 days behind": -8 * DAY,
    "301 s ahead": 301.0,
    "a year ahead": 365 * DAY,
    "reset to 1970": -NOW,
}


def heartbeat(seq: int, ts: float) -> bytes:
    """A safety alarm's heartbeat stamped ``ts``."""
    return encode_fields(KIND, DEVICE, "heartbeat", f"{DEVICE}-hb-{seq:08d}", format_ts(ts),
                         seq, {"battery_pct": 80})


def stats() -> MqttStats:
    return MqttStats(0, 0, 0, 0, 0, 0, 0, 0, "")


@pytest.mark.parametrize("offset", list(OFFSETS.values()), ids=list(OFFSETS))
def test_an_alarm_with_a_clock_far_off_is_taken_timed_and_flagged(
        offset: float, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'centre.db'}")
    bus, centre, published, answers = centre_on(store)
    bus.publish(TOPIC, alarm(1, ts=NOW + offset))
    (answer,) = answers
    assert (answer.verdict, answer.place) == ("accepted", INCIDENT)
    ((topic, body),) = published
    ack = orjson.loads(body)
    assert topic.endswith(f"/centre/ack/{DEVICE}")
    assert ack["clock_offset_s"] == pytest.approx(offset, abs=0.01)
    ((opened_at, detail),) = rows(store, "SELECT opened_at, detail FROM incidents "
                                         "WHERE kind = 'button_need'")
    assert opened_at == NOW  # timed from the centre's receive time, not the device's ts
    assert "device clock" in str(detail) and ("behind" if offset < 0 else "ahead") in str(detail)
    assert rows(store, f"SELECT state FROM incidents WHERE kind = '{DEVICE_CLOCK}'") == [(OPEN,)]
    report = health_report(centre.snapshot(), stats(), True, "mqtt://x:1", NOW)
    clock = report["clock_off"]
    assert isinstance(clock, dict) and clock["devices"] == 1
    assert clock["offsets_s"] == {f"lier/{DEVICE}": pytest.approx(offset, abs=0.1)}

    bus.publish(TOPIC, heartbeat(2, NOW + offset))  # not an alarm: the strict rule stands
    assert answers[-1].verdict == ("ts_in_past" if offset < 0 else "ts_in_future")
    bus.publish(TOPIC, alarm(3, ts=NOW + 1))  # the clock was set: the flag goes
    assert answers[-1].verdict == "accepted"
    assert "clock_offset_s" not in orjson.loads(published[-1][1])
    assert rows(store, f"SELECT state FROM incidents WHERE kind = '{DEVICE_CLOCK}'") == [
        (RESOLVED,)]
    assert centre.snapshot().clock_off == []
    store.close()


def test_a_rebooted_device_with_a_reset_clock_and_seq_from_zero_raises_incidents(
        tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'centre.db'}")
    clock = [NOW]
    bus, _, _, answers = centre_on(store, clock, correlation_window_s=0.0)
    for seq in range(5):
        clock[0] = NOW + seq
        bus.publish(TOPIC, alarm(seq, ts=clock[0]))
    for seq in range(3):  # rebooted: clock in 1970, counter (and so the ids) from 0 again
        clock[0] = NOW + 100 + seq
        bus.publish(TOPIC, alarm(seq, ts=seq))
    assert [a.verdict for a in answers] == ["accepted"] * 5 + ["id_conflict"] * 3
    assert all(a.place == INCIDENT for a in answers)
    assert rows(store, "SELECT COUNT(*) FROM incidents WHERE kind = 'button_need'") == [(8,)]
    store.close()


def test_every_centre_shares_the_clock_rule() -> None:
    reception: Reception[object] = Reception()
    topic = f"vt/v1/lier/{KIND}/{DEVICE}/events"
    place, reason, _, _ = reception.judge(topic, alarm(1, ts=0.0), 10.0, NOW)
    assert (place, reason, answer_reason(place, reason)) == (INCIDENT, CLOCK_OFF, None)
    place, reason, _, _ = reception.judge(topic, heartbeat(2, 0.0), 11.0, NOW)
    assert (place, reason) == (REJECTED, "ts_in_past")
    place, reason, _, _ = reception.judge(topic, alarm(3, ts=NOW), 12.0, NOW)
    assert (place, reason) == (INCIDENT, "")
