"""The common base of simulated devices: identity, sequence numbers, topics and messages."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import ClassVar, Final, TypeVar

import numpy as np

from devices.contract.catalog import (
    DEVICE_TYPES,
    FieldSpec,
    UnknownEvent,
    device_type_spec,
    event_spec,
)
from devices.contract.codec import encode_device_message, format_ts, json_text
from devices.contract.topics import EVENTS, device_topic, require_level

T = TypeVar("T")

LOW_BATTERY_PCT = (5, 20)
NORMAL_BATTERY_PCT = (20, 100)
CONFIDENCE = (0.6, 0.99)


class Device:
    """One simulated device of one kind, owned by one tenant (municipality).

    Subclasses set :attr:`device_type`, override :meth:`sample_field` for their own fields and
    :meth:`sample_joint_fields` for fields whose values belong together.
    """

    __slots__ = ("_events", "_id_stem", "_json_id", "_seq", "device_id", "events_topic", "tenant")

    device_type: ClassVar[str]

    def __init_subclass__(cls, **kwargs: object) -> None:
        """Refuse a subclass whose ``device_type`` is not in the catalog."""
        super().__init_subclass__(**kwargs)
        device_type_spec(cls.device_type)

    def __init__(self, device_id: str, tenant: str) -> None:
        """A device with sequence number 0; raises ``InvalidTopic`` for unusable ids."""
        self.device_id = device_id
        self._json_id = json_text(device_id)
        self._id_stem = self._json_id
        self.tenant = tenant
        self._seq = 0
        self._events = DEVICE_TYPES[self.device_type].events
        prefix, suffix = events_topic_around_id(tenant, self.device_type)
        self.events_topic = prefix + require_level(device_id, "device id") + suffix
        """The topic of this device's ``events`` channel (same as ``topic()``)."""

    def __repr__(self) -> str:
        """E.g. ``SafetyAlarm('sa-0001', tenant='lier', seq=3)``."""
        return f"{type(self).__name__}({self.device_id!r}, tenant={self.tenant!r}, seq={self._seq})"

    def name_messages_by_run(self, run_id: str) -> None:
        """Message ids ``{device_id}-{run_id}-{seq:08d}`` from now on, instead of
        ``{device_id}-{seq:08d}``: two runs of the same fleet against one centre never reuse
        an id, although both count ``seq`` from 0."""
        if len(run_id) > MAX_RUN_ID:
            raise ValueError(f"a run id has at most {MAX_RUN_ID} characters, got {run_id!r}")
        self._id_stem = json_text(f"{self.device_id}-{require_level(run_id, 'run id')}")

    def next_seq(self) -> int:
        """The sequence number of the next message: 0, 1, 2, …"""
        seq = self._seq
        self._seq = seq + 1
        return seq

    def topic(self, channel: str = EVENTS) -> str:
        """The topic this device publishes on, for the ``events`` or ``status`` channel."""
        if channel == EVENTS:
            return self.events_topic
        return device_topic(self.tenant, self.device_type, self.device_id, channel)

    def sample_fields(self, event: str, rng: np.random.Generator) -> dict[str, object]:
        """Plausible values of the event's fields, in catalog order."""
        spec = self._events.get(event) or event_spec(self.device_type, event)
        if not spec.fields:
            return {}
        joint = self.sample_joint_fields(spec.fields, rng)
        return {
            field.name: joint[field.name]
            if field.name in joint
            else self.sample_field(event, field, rng)
            for field in spec.fields
        }

    def sample_joint_fields(
        self, fields: tuple[FieldSpec, ...], rng: np.random.Generator
    ) -> dict[str, object]:
        """Values of fields that must be sampled together (e.g. latitude and longitude)."""
        return {}

    def sample_field(self, event: str, field: FieldSpec, rng: np.random.Generator) -> object:
        """A plausible value for one field; the base knows the fields shared by several kinds."""
        if field.name == "battery_pct":
            return sample_battery_pct(event, rng)
        if field.name == "confidence":
            return sample_confidence(rng)
        raise NotImplementedError(f"{type(self).__name__} cannot sample field {field.name!r}")

    def make_message(self, event: str, ts_epoch_s: float, fields: dict[str, object]) -> bytes:
        """Encode the next message of this device (takes the next sequence number)."""
        if event not in self._events:
            raise UnknownEvent(self.device_type, event, self._events)
        seq = self._seq
        self._seq = seq + 1
        return encode_device_message(
            self._json_id, self._id_stem, self.device_type, event, format_ts(ts_epoch_s), seq,
            fields,
        )


MAX_RUN_ID: Final = 16
"""Longest run id: a device id (64) with a run id and the sequence number stays within the
contract's 128 characters of a message id."""


@lru_cache(maxsize=256)
def events_topic_around_id(tenant: str, device_type: str) -> tuple[str, str]:
    """What comes before and after the device id in the ``events`` topic of a device of this
    tenant and kind (checked once; memoised, as fleets create thousands of devices)."""
    levels = device_topic(tenant, device_type, "id", EVENTS).split("/")
    return "/".join(levels[:4]) + "/", "/" + levels[5]


def pick_one(rng: np.random.Generator, options: Sequence[T]) -> T:
    """One of ``options``, each equally likely (from one uniform draw: fast)."""
    return options[min(int(rng.random() * len(options)), len(options) - 1)]


def uniform_int(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
    """A uniform integer within inclusive ``bounds`` (from one uniform draw: fast)."""
    low, high = bounds
    return min(low + int(rng.random() * (high - low + 1)), high)


def sample_battery_pct(event: str, rng: np.random.Generator) -> int:
    """Battery percent: 5–20 % when reporting low battery, 20–100 % otherwise."""
    return uniform_int(rng, LOW_BATTERY_PCT if event == "battery_low" else NORMAL_BATTERY_PCT)


def sample_confidence(rng: np.random.Generator) -> float:
    """Detector confidence 0.60–0.99, two decimals."""
    low, high = CONFIDENCE
    return round(low + (high - low) * float(rng.random()), 2)
