"""The MQTT topic scheme ``vt/v1/{tenant}/{device_type}/{device_id}/{channel}`` and MQTT matching.

Devices publish on two channels: ``events`` (device messages) and ``status`` (retained; the
device publishes ``online`` on connect and its last will says ``offline``). The centre publishes
under ``vt/v1/{tenant}/centre/``: acknowledgements, rejected messages and incident state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from devices.contract.errors import InvalidTopic

PREFIX: Final = "vt/v1"
EVENTS: Final = "events"
STATUS: Final = "status"
CHANNELS: Final = (EVENTS, STATUS)
CENTRE: Final = "centre"
"""Reserved topic level: ``vt/v1/{tenant}/centre/...`` belongs to the response centre. It is
no device type, and no tenant either (``vt/v1/centre/...`` would read as the centre's topics
to anyone matching by level)."""

STATUS_ONLINE: Final = b"online"
STATUS_OFFLINE: Final = b"offline"
"""Payload of the retained ``status`` channel; the last will carries :data:`STATUS_OFFLINE`."""

LEVEL_PATTERN: Final = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
"""Tenants, device ids and incident ids: 1..64 letters, digits and ``_.-``, no wildcards."""
KIND_PATTERN: Final = r"[a-z][a-z0-9_]{0,63}"

DEVICE_TOPIC: Final = re.compile(
    rf"vt/v1/(?P<tenant>{LEVEL_PATTERN})/(?P<device_type>{KIND_PATTERN})"
    rf"/(?P<device_id>{LEVEL_PATTERN})/(?P<channel>{EVENTS}|{STATUS})"
)
LEVEL: Final = re.compile(LEVEL_PATTERN)
KIND: Final = re.compile(KIND_PATTERN)


@dataclass(frozen=True, slots=True)
class DeviceTopic:
    """The parts of a device topic."""

    tenant: str
    device_type: str
    device_id: str
    channel: str


def require_level(value: str, what: str, pattern: re.Pattern[str] = LEVEL) -> str:
    """Return ``value`` if it is a valid topic level for ``what``; raise :class:`InvalidTopic`."""
    if pattern.fullmatch(value) is None:
        raise InvalidTopic(f"{what} {value!r} is not a valid topic level ({pattern.pattern})")
    return value


def valid_tenant(value: str) -> bool:
    """Whether ``value`` can be a tenant level: a valid level and not :data:`CENTRE`."""
    return value != CENTRE and LEVEL.fullmatch(value) is not None


def require_tenant(value: str) -> str:
    """Return ``value`` if it is a valid tenant level (:func:`valid_tenant`); raise
    :class:`InvalidTopic`."""
    if value == CENTRE:
        raise InvalidTopic(f"tenant {CENTRE!r} is reserved for the centre's topics")
    return require_level(value, "tenant")


def device_topic(tenant: str, device_type: str, device_id: str, channel: str = EVENTS) -> str:
    """The topic a device publishes on, e.g. ``vt/v1/lier/safety_alarm/sa-0001/events``."""
    if channel not in CHANNELS:
        raise InvalidTopic(f"channel {channel!r} is not one of {', '.join(CHANNELS)}")
    if device_type == CENTRE:
        raise InvalidTopic(f"{CENTRE!r} is reserved for the centre's topics")
    require_tenant(tenant)
    require_level(device_type, "device type", KIND)
    require_level(device_id, "device id")
    return f"{PREFIX}/{tenant}/{device_type}/{device_id}/{channel}"


def parse_device_topic(topic: str) -> DeviceTopic | None:
    """The parts of a device topic, or None when ``topic`` does not follow the scheme."""
    match = DEVICE_TOPIC.fullmatch(topic)
    if match is None or match["device_type"] == CENTRE or match["tenant"] == CENTRE:
        return None
    return DeviceTopic(match["tenant"], match["device_type"], match["device_id"], match["channel"])


def event_topic_levels(topic: str) -> tuple[str, str, str] | None:
    """``(tenant, device_type, device_id)`` of an ``events`` topic, or None if it is not one.

    The fast check of the decode path: it validates the tenant level, and leaves the device type
    and id levels to be compared with the (validated) payload.
    """
    levels = topic.split("/")
    if (
        len(levels) != 6
        or levels[0] != "vt"
        or levels[1] != "v1"
        or levels[5] != EVENTS
        or levels[3] == CENTRE
        or not valid_tenant(levels[2])
    ):
        return None
    return levels[2], levels[3], levels[4]


def centre_topic(tenant: str, kind: str, key: str) -> str:
    """A topic the centre publishes on: ``vt/v1/{tenant}/centre/{kind}/{key}``."""
    require_tenant(tenant)
    require_level(key, f"{kind} key")
    return f"{PREFIX}/{tenant}/{CENTRE}/{kind}/{key}"


def ack_topic(tenant: str, device_id: str) -> str:
    """Where the centre acknowledges a device's accepted messages."""
    return centre_topic(tenant, "ack", device_id)


def rejected_topic(tenant: str, device_id: str) -> str:
    """Where the centre reports a device's rejected messages, with the reason."""
    return centre_topic(tenant, "rejected", device_id)


def incident_topic(tenant: str, incident_id: str) -> str:
    """Where the centre publishes the state of one incident."""
    return centre_topic(tenant, "incidents", incident_id)


def events_subscription(tenant: str | None) -> str:
    """Topic filter for the events of every device of one tenant (or of all tenants)."""
    if tenant is None:
        return f"{PREFIX}/+/+/+/{EVENTS}"
    return f"{PREFIX}/{require_tenant(tenant)}/+/+/{EVENTS}"


def check_topic_name(topic: str) -> None:
    """Raise :class:`InvalidTopic` for a topic one cannot publish on: empty, or with a
    wildcard."""
    if not topic:
        raise InvalidTopic("cannot publish on an empty topic")
    if "+" in topic or "#" in topic:
        raise InvalidTopic(f"cannot publish on {topic!r}: a topic name has no wildcards")


def check_filter(pattern: str) -> list[str]:
    """The levels of a valid MQTT topic filter; raise :class:`InvalidTopic` for an invalid one."""
    levels = pattern.split("/")
    if not pattern:
        raise InvalidTopic("a topic filter must not be empty")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            raise InvalidTopic(f"{pattern!r}: '#' must be a whole level and the last one")
        if "+" in level and level != "+":
            raise InvalidTopic(f"{pattern!r}: '+' must be a whole level")
    return levels


@lru_cache(maxsize=1024)
def checked_filter(pattern: str) -> tuple[str, ...]:
    """:func:`check_filter` as a tuple, memoised: a transport matches each new topic against
    the same few filters."""
    return tuple(check_filter(pattern))


def topic_matches(pattern: str, topic: str) -> bool:
    """Whether ``topic`` matches the MQTT topic filter ``pattern``.

    ``+`` matches exactly one level, ``#`` (last level only) matches the parent level and any
    number of levels below it. A filter starting with a wildcard does not match topics that start
    with ``$``. A topic name containing wildcards never matches. An invalid filter raises
    :class:`InvalidTopic`.
    """
    filter_levels = checked_filter(pattern)
    if not topic or "+" in topic or "#" in topic:
        return False
    if topic.startswith("$") and filter_levels[0] in ("+", "#"):
        return False
    topic_levels = topic.split("/")
    for index, level in enumerate(filter_levels):
        if level == "#":
            return True
        if index >= len(topic_levels) or (level != "+" and level != topic_levels[index]):
            return False
    return len(filter_levels) == len(topic_levels)
