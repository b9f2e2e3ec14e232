"""Group commits: many messages judged in one store transaction, answered after the commit.

Inside a group the rules are the same as one by one: a copy of a message of the same group is
a duplicate, a reused id with other content an id conflict; nothing is answered or
acknowledged before the commit, and a group the store refuses leaves no trace.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from devices.transport.mqtt import ReceivedMessage
from tests.integration.test_centre_store import postgres_schema_url, rows
from tests.mqtt_cases import DEVICE, KIND, alarm
from vtsim.live.centre import LiveCentre
from vtsim.live.store import CentreStoreError, open_store

TOPIC = f"vt/v1/lier/{KIND}/{DEVICE}/events"


class AckingBus:
    """A transport that records answers and broker acknowledgements, in order."""

    manual_ack = True

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def publish(self, topic: str, payload: bytes, **_options: object) -> None:
        self.events.append(("answer", orjson.loads(payload)))

    def ack(self, message: ReceivedMessage) -> bool:
        self.events.append(("ack", message.mid))
        return True

    def subscribe(self, *_args: object, **_options: object) -> None: ...
    def subscribe_messages(self, *_args: object, **_options: object) -> None: ...


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'centre.db'}"
    else:
        yield from postgres_schema_url()


def delivered(number: int, payload: bytes) -> ReceivedMessage:
    return ReceivedMessage(TOPIC, payload, 1, False, time.time(), number, 1)


def test_a_group_keeps_the_rules_and_answers_only_after_its_commit(url: str) -> None:
    store = open_store(url)
    bus = AckingBus()
    centre = LiveCentre(bus, tenant="lier", store=store)  # type: ignore[arg-type]
    centre.start()
    group = [delivered(1, alarm(1)), delivered(2, alarm(2)), delivered(3, alarm(1)),
             delivered(4, alarm(2, ts=time.time() - 1.0))]  # 3: a copy; 4: id reused
    assert centre.handle_group(group) == 4
    answers = [body.get("reason", "ack") for kind, body in bus.events if kind == "answer"]
    assert answers == ["ack", "ack", "duplicate", "id_conflict"]
    assert [kind for kind, _ in bus.events] == ["answer"] * 4 + ["ack"] * 4
    assert rows(store, "SELECT COUNT(*) FROM messages") == [(3,)]
    assert centre.handle_group([delivered(5, alarm(1))]) == 1  # the next group sees it
    assert bus.events[-2][1]["reason"] == "duplicate"
    store.close()


def test_a_group_another_process_stored_first_is_refused_whole_then_judged_again(
        url: str) -> None:
    store = open_store(url)
    bus = AckingBus()
    centre = LiveCentre(bus, tenant="lier", store=store)  # type: ignore[arg-type]
    centre.start()
    other = open_store(url)
    other_centre = LiveCentre(AckingBus(), tenant="lier", store=other)  # type: ignore[arg-type]
    other_centre.start()
    group = [delivered(1, alarm(1)), delivered(2, alarm(2))]
    original = store.recall  # type: ignore[attr-defined]

    def recall_then_race(keys: list[tuple[str, str, str]], now: float) -> None:
        original(keys, now)
        other_centre.handle_group([delivered(9, alarm(2))])  # stored meanwhile, elsewhere

    store.recall = recall_then_race  # type: ignore[attr-defined]
    with pytest.raises(CentreStoreError, match="another centre process"):
        centre.handle_group(group)
    assert bus.events == []  # nothing answered, nothing acknowledged
    store.recall = original  # type: ignore[attr-defined]
    assert centre.handle_group(group) == 2
    answers = [body.get("reason", "ack") for kind, body in bus.events if kind == "answer"]
    assert answers == ["ack", "duplicate"]
    assert rows(store, "SELECT COUNT(*) FROM messages") == [(2,)]
    other.close()
    store.close()


def test_a_message_held_up_before_judging_is_answered_and_timed_from_its_arrival(
        url: str) -> None:
    """A message that waited 30 s in the centre (a store outage) before it was judged: its
    acknowledgement's ``received_at``, its stored receive time and its incident's start are all
    when it came, not when it was judged."""
    store = open_store(url)
    bus = AckingBus()
    centre = LiveCentre(bus, tenant="lier", store=store)  # type: ignore[arg-type]
    centre.start()
    came = time.time() - 30.0
    waited = ReceivedMessage(TOPIC, alarm(1, ts=came - 0.2), 1, False, came, 1, 1)
    assert centre.handle_group([waited]) == 1
    answer = bus.events[0][1]
    received = datetime.fromisoformat(answer["received_at"].replace("Z", "+00:00")).timestamp()
    assert received == pytest.approx(came, abs=0.01), answer
    (stored,), = rows(store, "SELECT received_at FROM messages")
    (opened,), = rows(store, "SELECT opened_at FROM incidents")
    assert float(stored) == pytest.approx(came, abs=0.01)  # type: ignore[arg-type]
    assert float(opened) == pytest.approx(came, abs=0.01)  # type: ignore[arg-type]
    store.close()


def test_a_refused_message_is_stored_with_the_message_id_it_carried(url: str) -> None:
    store = open_store(url)
    centre = LiveCentre(AckingBus(), tenant="lier", store=store)  # type: ignore[arg-type]
    centre.start()
    refused = orjson.loads(alarm(3))
    refused["seq"] = "three"  # refused: seq must be an integer
    assert centre.handle_group([delivered(1, orjson.dumps(refused))]) == 1
    assert rows(store, "SELECT message_id, reason FROM rejections") == [
        (f"{DEVICE}-00000003", "schema")]
    store.close()
