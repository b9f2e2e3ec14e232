"""The centre's intake serves devices in turn: a flood cannot put the others' alarms behind it."""

from __future__ import annotations

import random
from dataclasses import dataclass

from vtsim.live.intake import DEVICE_SHARE_MAX, FAIR_SHARE_MIN, FairIntake, sender


@dataclass(frozen=True)
class Message:
    topic: str
    received_at: float
    seq: int


def from_device(device: str, seq: int, at: float = 0.0) -> Message:
    return Message(f"vt/v1/lier/safety_alarm/{device}/events", at, seq)


def test_a_flooding_device_takes_no_more_than_its_share_of_a_group() -> None:
    intake: FairIntake[Message] = FairIntake()
    intake.add(from_device("flood", seq) for seq in range(3_000))
    intake.add(from_device(f"calm-{n:03d}", 0) for n in range(100))  # received after the flood
    group = intake.group(1_000)
    assert {m.topic for m in group} >= {from_device(f"calm-{n:03d}", 0).topic for n in range(100)}
    assert [m.seq for m in group if "/flood/" in m.topic] == list(range(FAIR_SHARE_MIN))
    assert len(intake) == 3_000 - FAIR_SHARE_MIN
    alone = [m.seq for m in intake.group(1_000)]  # the calm ones answered: the flood alone
    assert alone == list(range(FAIR_SHARE_MIN, DEVICE_SHARE_MAX + FAIR_SHARE_MIN))
    two: FairIntake[Message] = FairIntake()
    two.add(from_device("flood", seq) for seq in range(3_000))
    two.add(from_device("other", seq) for seq in range(3_000))
    assert len(two.group(2 * DEVICE_SHARE_MAX)) == 2 * DEVICE_SHARE_MAX  # an equal part each
    two.add(from_device(f"calm-{n}", 0) for n in range(3))
    assert len(two.group(2 * DEVICE_SHARE_MAX)) == 2 * FAIR_SHARE_MIN + 3  # short


def test_every_message_leaves_once_and_each_device_keeps_its_order() -> None:
    intake: FairIntake[Message] = FairIntake()
    rng = random.Random(7)
    devices = [f"d{n}" for n in range(5)]
    sent = [from_device(rng.choice(devices), n) for n in range(5_000)]
    intake.add(sent)
    taken: list[Message] = []
    while len(intake):
        group = intake.group(700)
        assert 0 < len(group) <= 700
        taken += group
    assert sorted(taken, key=lambda m: m.seq) == sent  # every message once
    for device in devices:
        mine = [m.seq for m in taken if f"/{device}/" in m.topic]
        assert mine == sorted(mine)
    lone: FairIntake[Message] = FairIntake()
    lone.add(from_device("only", n) for n in range(3_000))
    assert [m.seq for m in lone.group(1_000)] == list(range(DEVICE_SHARE_MAX))


def test_messages_given_back_come_first_in_their_order() -> None:
    intake: FairIntake[Message] = FairIntake()
    intake.add([from_device("a", 0, 1.0), from_device("a", 1, 2.0), from_device("b", 0, 3.0)])
    group = intake.group(10)
    assert [m.seq for m in group if "/a/" in m.topic] == [0, 1]
    intake.add([from_device("a", 2, 4.0)])
    intake.give_back(group[1:])  # the first was handled, the rest not (a stop, a store failure)
    assert len(intake) == len(group)  # 2 given back and 1 new
    assert intake.oldest_received_at() == 2.0
    again = intake.group(10)
    assert [m.seq for m in again if "/a/" in m.topic] == [1, 2]
    assert len(intake) == 0 and intake.oldest_received_at() is None


def test_a_turn_is_at_least_the_minimum_share_and_odd_topics_are_senders_of_their_own() -> None:
    intake: FairIntake[Message] = FairIntake()
    intake.add(from_device(f"d{n:04d}", 0) for n in range(2_000))
    intake.add(from_device("flood", seq) for seq in range(500))
    assert len(intake.group(1_000)) == 1_000  # one each for the first thousand devices
    assert sender("vt/v1/lier/safety_alarm/d1/events") == "lier/d1"
    assert sender("scaip/lier/x") == "scaip/lier/x"
    few: FairIntake[Message] = FairIntake()
    few.add(from_device("flood", seq) for seq in range(500))
    few.add([from_device("calm", 0)])
    group = few.group(FAIR_SHARE_MIN + 1)
    assert [m.topic for m in group].count(from_device("calm", 0).topic) == 1
