"""The centre's intake: messages received and not yet judged, served device by device in turn.

The broker delivers a session's messages in the order they reached it, so a device that floods
(thousands of alarms in a second) would put every other device's alarm behind its own in the
centre's queue. The intake keeps one queue per device (per sender: tenant and device id of the
topic) and makes each group for the store's commit by taking from the devices in turn, none
taking much more than the device with the fewest waiting: a device with one alarm waits for a
short group or two, however many messages another device sent; no device puts more than
:data:`DEVICE_SHARE_MAX` messages into one group, so a flood is judged in short groups. Devices
that all have backlogs share whole groups.

Each device's messages keep their order; nothing is dropped: a message leaves the intake only in
a group, and a group's messages that were not handled (a stop, a store failure) are given back
in front of their devices' queues, in their order.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from typing import Final, Generic, Protocol, TypeVar

FAIR_SHARE_MIN: Final = 64
"""The fewest messages of one device a group takes while several devices wait (a backlog still
moves in groups of some size: each group costs a query and a commit)."""
DEVICE_SHARE_MAX: Final = 256
"""The most messages of one device in a group, even alone: a device that arrives while a
flood is judged waits for at most this many of the flood's messages."""


class Received(Protocol):
    """What the intake needs of a received message."""

    @property
    def topic(self) -> str:
        """The MQTT topic it came on."""

    @property
    def received_at(self) -> float:
        """When the centre received it (epoch s)."""


def sender(topic: str) -> str:
    """Whose message it is: ``tenant/device`` for a device topic (``vt/v1/{tenant}/{type}/
    {device}/{channel}``), the whole topic otherwise (each odd topic a sender of its own)."""
    levels = topic.split("/")
    if len(levels) == 6:
        return f"{levels[2]}/{levels[4]}"
    return topic


M = TypeVar("M", bound=Received)


class FairIntake(Generic[M]):
    """Received messages waiting to be judged, one queue per device, served in turn."""

    def __init__(self) -> None:
        """An empty intake."""
        self._queues: OrderedDict[str, deque[M]] = OrderedDict()
        self._count = 0

    def __len__(self) -> int:
        """Messages waiting."""
        return self._count

    def add(self, messages: Iterable[M]) -> None:
        """Queue messages as received (behind their device's earlier ones)."""
        for message in messages:
            key = sender(message.topic)
            waiting = self._queues.get(key)
            if waiting is None:
                waiting = self._queues[key] = deque()
            waiting.append(message)
            self._count += 1

    def oldest_received_at(self) -> float | None:
        """Receive time of the oldest message waiting (None when empty)."""
        return min((q[0].received_at for q in self._queues.values()), default=None)

    def group(self, most: int) -> list[M]:
        """At most ``most`` messages, taken from the devices in turn (a device that had its turn
        goes behind the others). While several devices wait, each takes as many as the device
        with the fewest waiting has (at least :data:`FAIR_SHARE_MIN`, at most an equal part of
        ``most``): a device with one alarm then waits behind a short group, not behind another
        device's backlog, while devices that all have backlogs share whole groups. No device
        takes more than :data:`DEVICE_SHARE_MAX`, alone neither."""
        taken: list[M] = []
        share = most if len(self._queues) == 1 else max(FAIR_SHARE_MIN, min(
            most // len(self._queues), min(len(q) for q in self._queues.values())))
        share = min(share, DEVICE_SHARE_MAX)
        for key in list(self._queues):
            if len(taken) >= most:
                break
            waiting = self._queues.pop(key)
            for _ in range(min(share, most - len(taken), len(waiting))):
                taken.append(waiting.popleft())
            if waiting:
                self._queues[key] = waiting  # behind the others
        self._count -= len(taken)
        return taken

    def give_back(self, messages: Sequence[M]) -> None:
        """Messages of a group that were not handled: in front of their devices' queues, in
        their order (the next group takes them first)."""
        for message in reversed(messages):
            key = sender(message.topic)
            waiting = self._queues.get(key)
            if waiting is None:
                waiting = self._queues[key] = deque()
                self._queues.move_to_end(key, last=False)
            waiting.appendleft(message)
            self._count += 1
