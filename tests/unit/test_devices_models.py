"""Simulated devices: sequence numbers, topics, sampled fields and their messages."""

from __future__ import annotations

import math

import numpy as np
import orjson
import pytest

from devices.contract.catalog import DEVICE_TYPES, UnknownDeviceType, UnknownEvent
from devices.contract.codec import Accepted, decode_message
from devices.contract.errors import InvalidTopic
from devices.contract.messages import message_fields
from devices.models.base import Device
from devices.models.kinds import DEVICE_CLASSES, make_device

NOW = 1767600802.125
KINDS = list(DEVICE_TYPES)
ALL_EVENTS = [(kind, event) for kind in KINDS for event in DEVICE_TYPES[kind].events]


def test_there_is_one_device_class_per_kind_in_catalog_order() -> None:
    assert list(DEVICE_CLASSES) == KINDS
    assert {cls.__name__ for cls in DEVICE_CLASSES.values()} == {
        "SafetyAlarm",
        "GpsTracker",
        "ELock",
        "MedicineDispenser",
        "NightSupervision",
    }
    assert all(cls.device_type == kind for kind, cls in DEVICE_CLASSES.items())


def test_seq_starts_at_zero_and_increases_by_one_per_message() -> None:
    alarm = make_device("safety_alarm", "sa-0001", "lier")
    assert [alarm.next_seq() for _ in range(3)] == [0, 1, 2]
    payload = orjson.loads(alarm.make_message("button_need", NOW, {}))
    assert (payload["seq"], payload["message_id"]) == (3, "sa-0001-00000003")
    payload = orjson.loads(alarm.make_message("button_need", NOW, {}))
    assert (payload["seq"], payload["message_id"]) == (4, "sa-0001-00000004")


def test_devices_count_independently() -> None:
    first = make_device("e_lock", "el-1", "lier")
    second = make_device("e_lock", "el-2", "lier")
    first.next_seq()
    first.next_seq()
    assert second.next_seq() == 0


def test_topics_of_a_device() -> None:
    lock = make_device("e_lock", "el-0001", "lier")
    assert lock.topic() == "vt/v1/lier/e_lock/el-0001/events"
    assert lock.topic("status") == "vt/v1/lier/e_lock/el-0001/status"
    with pytest.raises(InvalidTopic):
        lock.topic("alarms")


def test_unusable_ids_are_refused_at_creation() -> None:
    with pytest.raises(InvalidTopic):
        make_device("e_lock", "el/1", "lier")
    with pytest.raises(InvalidTopic):
        make_device("e_lock", "el-1", "")
    with pytest.raises(UnknownDeviceType):
        make_device("toaster", "t-1", "lier")


def test_a_device_refuses_events_of_other_kinds() -> None:
    lock = make_device("e_lock", "el-1", "lier")
    with pytest.raises(UnknownEvent):
        lock.make_message("dose_missed", NOW, {})
    with pytest.raises(UnknownEvent):
        lock.sample_fields("dose_missed", np.random.default_rng(1))
    assert lock.next_seq() == 0  # a refused message takes no sequence number


def test_a_subclass_must_name_a_catalog_kind() -> None:
    with pytest.raises(UnknownDeviceType):

        class Toaster(Device):
            __slots__ = ()
            device_type = "toaster"


@pytest.mark.parametrize(("kind", "event"), ALL_EVENTS)
def test_sampled_fields_make_valid_messages(kind: str, event: str) -> None:
    rng = np.random.default_rng(2026)
    device = make_device(kind, "dev-01", "lier")
    spec = DEVICE_TYPES[kind].events[event]
    for step in range(50):
        fields = device.sample_fields(event, rng)
        assert list(fields) == [field.name for field in spec.fields]
        assert all(type(value) in (int, float, str) for value in fields.values())
        payload = device.make_message(event, NOW + step, fields)
        verdict = decode_message(device.topic(), payload, now_epoch_s=NOW + step)
        assert isinstance(verdict, Accepted), verdict
        assert message_fields(verdict.message) == fields
        assert verdict.message.seq == step


def sample(kind: str, event: str, count: int = 300, seed: int = 7) -> list[dict[str, object]]:
    """``count`` sampled field sets of one event."""
    rng = np.random.default_rng(seed)
    device = make_device(kind, "dev-01", "lier")
    return [device.sample_fields(event, rng) for _ in range(count)]


def values(samples: list[dict[str, object]], name: str) -> list[float]:
    """The numeric values of one field."""
    found = [s[name] for s in samples]
    assert all(isinstance(v, int | float) for v in found)
    return [float(v) for v in found if isinstance(v, int | float)]


def test_low_battery_is_5_to_20_percent_and_heartbeat_battery_is_higher() -> None:
    low = values(sample("safety_alarm", "battery_low"), "battery_pct")
    assert min(low) >= 5 and max(low) <= 20 and len(set(low)) > 5
    normal = values(sample("safety_alarm", "heartbeat"), "battery_pct")
    assert min(normal) >= 20


def test_confidence_is_between_0_6_and_0_99() -> None:
    for kind, event in [("safety_alarm", "fall_detected"), ("night_supervision", "fall")]:
        found = values(sample(kind, event), "confidence")
        assert min(found) >= 0.6 and max(found) <= 0.99


def test_positions_are_within_a_few_kilometres_of_lier() -> None:
    for fields in sample("gps_tracker", "position"):
        lat, lon = float(str(fields["lat"])), float(str(fields["lon"]))
        north_m = (lat - 59.78) * 111_320
        east_m = (lon - 10.24) * 111_320 * math.cos(math.radians(59.78))
        assert math.hypot(north_m, east_m) <= 3_001


def test_ids_look_like_the_real_ones() -> None:
    for fields in sample("e_lock", "unlocked_by_staff", 50):
        assert str(fields["staff_id"]).startswith("hs-") and len(str(fields["staff_id"])) == 6
    for fields in sample("medicine_dispenser", "dose_missed", 50):
        assert fields["dose_id"] == "d-" + str(fields["scheduled_at"]).replace(":", "")


def test_sampling_is_reproducible_from_the_seed() -> None:
    assert sample("gps_tracker", "geofence_exit", 20, seed=3) == sample(
        "gps_tracker", "geofence_exit", 20, seed=3
    )
    assert sample("gps_tracker", "geofence_exit", 20, seed=3) != sample(
        "gps_tracker", "geofence_exit", 20, seed=4
    )


def test_repr_names_the_device() -> None:
    assert repr(make_device("safety_alarm", "sa-1", "lier")) == (
        "SafetyAlarm('sa-1', tenant='lier', seq=0)"
    )
