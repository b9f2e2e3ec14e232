"""The live centre's memory when the store fails: a reload that cannot read the store keeps
what was held for the counts shown meanwhile, and nothing is judged until the store is read
again."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime

import pytest

from devices.transport.mqtt import ReceivedMessage
from tests.mqtt_cases import KIND, alarm
from vtsim.live.centre import LiveCentre
from vtsim.live.store import CentreStoreError, IncidentChange, MemoryStore, ResumedState


class FailingStore(MemoryStore):
    """A store in memory that fails on demand, as a database that went away."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = False

    def _fail(self) -> None:
        if self.failing:
            raise CentreStoreError("the centre's store failed: gone (test)")

    def resume(self, tenant: str | None = None) -> ResumedState:
        self._fail()
        return super().resume(tenant)

    def check_in(self, topic: str, message_id: str, event: str, seq: int, ts: datetime,
                 now: float) -> str:
        self._fail()  # before anything is remembered: a database's memory is its tables
        return super().check_in(topic, message_id, event, seq, ts, now)

    def store_incidents(self, incidents: Sequence[IncidentChange]) -> None:
        self._fail()
        super().store_incidents(incidents)

    def store_accepted(self, *args: object, **kwargs: object) -> bool:
        self._fail()
        return super().store_accepted(*args, **kwargs)  # type: ignore[arg-type]


class Answers:
    """A transport that keeps what the centre publishes."""

    manual_ack = False

    def __init__(self) -> None:
        self.published: list[str] = []

    def publish(self, topic: str, payload: bytes, **_options: object) -> None:
        self.published.append(topic)

    def subscribe(self, *_args: object, **_options: object) -> None: ...
    def subscribe_messages(self, *_args: object, **_options: object) -> None: ...


def delivered(device: str, seq: int) -> ReceivedMessage:
    return ReceivedMessage(f"vt/v1/lier/{KIND}/{device}/events",
                           alarm(seq, device_id=device, ts=time.time()), 1, False, time.time())


def test_a_reload_that_fails_keeps_the_counts_and_nothing_is_judged_on_stale_memory() -> None:
    store = FailingStore()
    bus = Answers()
    centre = LiveCentre(bus, tenant="lier", store=store)  # type: ignore[arg-type]
    centre.start()
    centre.handle_group([delivered(f"sa-{n}", 0) for n in range(3)])
    assert len(centre.snapshot().devices) == 3
    store.failing = True
    again = [delivered("sa-0", 1), delivered("sa-3", 0)]  # delivered again until stored
    with pytest.raises(CentreStoreError):
        centre.handle_group(again)
    assert len(centre.snapshot().devices) == 3  # not 0 while the store is away
    with pytest.raises(CentreStoreError):  # stale memory is read again first: still failing
        centre.handle_group(again)
    with pytest.raises(CentreStoreError):
        centre.check_silence()
    answered = len(bus.published)
    store.failing = False
    assert centre.handle_group(again) == 2
    assert len(bus.published) == answered + 2
    devices = {d.device_id: d.last_seq for d in centre.snapshot().devices}
    assert devices == {"sa-0": 1, "sa-1": 0, "sa-2": 0, "sa-3": 0}
