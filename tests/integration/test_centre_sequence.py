"""Sequence gaps that are only reordering, counters that restart, silence on wrong clocks.

A broker restart can deliver a device's messages out of order: a gap waits a few seconds for
its numbers before it is a ``possible_loss`` incident, and an incident whose numbers all arrive
later is resolved (nothing was lost). A counter that starts again at 0 is a reboot, not a late
message. A device whose clock is hours off is silent only by the centre's own clock.
"""

from __future__ import annotations

from pathlib import Path

from devices.contract.codec import encode_fields, format_ts
from tests.integration.test_centre_store import TOPIC, centre_on, rows
from tests.mqtt_cases import DEVICE, KIND, NOW, alarm
from vtsim.live.store import DEVICE_SILENT, OPEN, POSSIBLE_LOSS, RESOLVED, open_store

LOSS = f"SELECT incident_id, state, detail FROM incidents WHERE kind = '{POSSIBLE_LOSS}'"


def test_numbers_that_arrive_within_the_window_open_no_incident(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'centre.db'}")
    clock = [NOW]
    bus, centre, _, _ = centre_on(store, clock, gap_wait_s=5.0)
    for seq in (0, 1, 4, 2, 3, 5):  # 2 and 3 overtaken by 4
        bus.publish(TOPIC, alarm(seq))
    clock[0] = NOW + 10
    assert centre.check_silence() == []
    assert rows(store, LOSS) == []
    (device,) = centre.snapshot().devices
    assert (device.gaps, device.out_of_order, device.last_seq) == (0, 0, 5)
    store.close()


def test_a_possible_loss_is_resolved_when_its_numbers_arrive_late(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'centre.db'}")
    clock = [NOW]
    bus, centre, _, _ = centre_on(store, clock, gap_wait_s=5.0)
    for seq in (0, 1, 5):
        bus.publish(TOPIC, alarm(seq))
    clock[0] = NOW + 6
    (raised,) = centre.check_silence()
    assert (raised.kind, raised.state) == (POSSIBLE_LOSS, OPEN) and "2..4" in raised.detail
    store.close()
    store = open_store(f"sqlite:///{tmp_path / 'centre.db'}")  # across a restart too
    bus, centre, _, _ = centre_on(store, clock, gap_wait_s=5.0)
    for seq in (4, 2):
        bus.publish(TOPIC, alarm(seq))
    assert rows(store, LOSS)[0][1] == OPEN  # 3 still missing
    bus.publish(TOPIC, alarm(3))
    ((_, state, detail),) = rows(store, LOSS)
    assert state == RESOLVED and "arrived late" in str(detail)
    assert centre.snapshot().open_of_kind(POSSIBLE_LOSS) == 0
    assert centre.snapshot().gaps == 0
    store.close()


def test_a_counter_that_starts_again_at_zero_is_a_reboot(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'centre.db'}")
    clock = [NOW]
    bus, centre, _, answers = centre_on(store, clock, gap_wait_s=0.0)
    for seq in range(3):
        bus.publish(TOPIC, alarm(seq))
    for seq in range(3):  # rebooted: same ids, other ts
        bus.publish(TOPIC, alarm(seq, ts=NOW + 60 + seq))
    (device,) = centre.snapshot().devices
    assert (device.restarts, device.last_seq, device.gaps, device.out_of_order) == (1, 2, 0, 0)
    assert rows(store, LOSS) == []
    assert [a.place for a in answers].count("incident") + [
        a.place for a in answers].count("correlated") == 6
    store.close()


def heartbeat(seq: int, ts: float) -> bytes:
    return encode_fields(KIND, DEVICE, "heartbeat", f"{DEVICE}-hb-{seq:08d}", format_ts(ts),
                         seq, {"battery_pct": 80})


def test_silence_is_judged_by_the_centre_clock_on_a_device_hours_off(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'centre.db'}")
    clock = [NOW]
    bus, centre, _, _ = centre_on(store, clock, silence_slack_s=10.0)
    raised = []
    for seq in range(20):  # every 60 s, the device's clock 3 hours behind
        clock[0] = NOW + 60 * seq
        bus.publish(TOPIC, heartbeat(seq, clock[0] - 3 * 3_600))
        clock[0] += 30
        raised += centre.check_silence()
    assert raised == []  # never silent while it keeps its interval (no flapping)
    clock[0] = NOW + 60 * 19 + 2 * 60 + 11
    (silent,) = centre.check_silence()
    assert silent.kind == DEVICE_SILENT
    store.close()
