"""One centre for several tenants (a centre shared by several municipalities), and the
pieces of a share group that need no broker: its subscriptions, its store, its health topic.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.contract.errors import InvalidTopic
from devices.transport.mqtt import BrokerAddress, MqttStats
from tests.integration.test_centre_store import centre_on, postgres_schema_url, rows
from tests.mqtt_cases import KIND, NOW, alarm
from vtsim.live.centre import LiveCentre
from vtsim.live.health import health_report
from vtsim.live.service import CentreOptions
from vtsim.live.store import CentreStoreError, open_store, require_shared_store

STATS = MqttStats(published=0, acknowledged=0, in_flight=0, publish_errors=0, delivered=0,
                  queued=0, reconnects=0, subscribe_errors=0, last_error="")


def topic(tenant: str, device_id: str) -> str:
    return f"vt/v1/{tenant}/{KIND}/{device_id}/events"


def test_a_centre_of_several_tenants_answers_theirs_and_counts_each() -> None:
    bus, centre, published, answers = centre_on(open_store("memory:"),
                                                tenants=("lier", "drammen"))
    bus.publish(topic("lier", "sa-1"), alarm(1, device_id="sa-1"))
    bus.publish(topic("lier", "sa-1"), alarm(2, device_id="sa-1"))
    bus.publish(topic("drammen", "sa-9"), alarm(1, device_id="sa-9"))
    bus.publish(topic("drammen", "sa-9"), alarm(1, device_id="sa-9"))  # a resend: duplicate
    bus.publish(topic("asker", "sa-5"), alarm(1, device_id="sa-5"))  # not subscribed to
    centre.receive_event(topic("asker", "sa-5"), alarm(1, device_id="sa-5"))  # nor served
    assert [a.verdict for a in answers] == ["accepted", "accepted", "accepted", "duplicate",
                                            "bad_topic"]
    assert "not a topic of the tenants served (lier, drammen)" in answers[-1].detail
    assert sorted(t for t, _ in published) == [
        "vt/v1/drammen/centre/ack/sa-9", "vt/v1/drammen/centre/rejected/sa-9",
        "vt/v1/lier/centre/ack/sa-1", "vt/v1/lier/centre/ack/sa-1"]
    report = health_report(centre.snapshot(), STATS, True, "mqtt://b:1883", 0.0)
    assert report["tenants"] == {
        "drammen": {"messages": 2, "accepted": 1, "refused": 1, "devices": 1},
        "lier": {"messages": 2, "accepted": 2, "refused": 0, "devices": 1},
    }


def test_a_centre_of_several_tenants_subscribes_to_each() -> None:
    _, centre, _, _ = centre_on(open_store("memory:"), tenants=("lier", "drammen"))
    assert centre.subscriptions() == [
        ("vt/v1/lier/+/+/events", "events"), ("vt/v1/lier/+/+/status", "status"),
        ("vt/v1/drammen/+/+/events", "events"), ("vt/v1/drammen/+/+/status", "status")]


def test_a_share_group_subscribes_through_share_and_names_its_health_per_process() -> None:
    centre = LiveCentre(centre_on(open_store("memory:"))[0], tenants=("lier",),
                        share_group="ops")
    assert centre.subscriptions() == [("$share/ops/vt/v1/lier/+/+/events", "events"),
                                      ("$share/ops/vt/v1/lier/+/+/status", "status")]
    every = LiveCentre(centre_on(open_store("memory:"))[0], share_group="ops")
    assert every.subscriptions()[0] == ("$share/ops/vt/v1/+/+/+/events", "events")
    options = CentreOptions(BrokerAddress("127.0.0.1", 1883), "lier", share_group="ops",
                            db="postgresql://centre@db/centre")
    assert options.centre_id.startswith("vtsim-centre-ops-")
    assert options.health_topic == f"vt/v1/lier/centre/health/{options.centre_id}"
    several = CentreOptions(BrokerAddress("127.0.0.1", 1883), None, tenants=("lier", "asker"))
    assert (several.centre_id, several.health_topic) == ("vtsim-centre-_all",
                                                         "vt/v1/_all/centre/health")


def test_a_bad_tenant_or_share_group_is_refused() -> None:
    bus = centre_on(open_store("memory:"))[0]
    with pytest.raises(InvalidTopic, match="tenant 'li/er'"):
        LiveCentre(bus, tenants=("li/er",))
    with pytest.raises(InvalidTopic, match=r"share group '\+'"):
        LiveCentre(bus, share_group="+")


@pytest.mark.parametrize("url", ["sqlite:///centre.db", "memory:"])
def test_only_postgresql_can_be_shared(url: str, tmp_path: Path) -> None:
    with pytest.raises(CentreStoreError, match="a share group needs one PostgreSQL store"):
        require_shared_store(url)
    with pytest.raises(CentreStoreError):
        open_store(url.replace("centre.db", str(tmp_path / "c.db"))).take_devices(
            [("lier", "sa-1")], 600.0, 0.0)


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from postgres_schema_url()


def test_two_processes_on_one_store_correlate_and_sequence_as_one(pg_url: str) -> None:
    """The messages of one device alternate between two centres (as a share group splits
    them): one incident with every press, and no gap in the device's sequence."""
    first = centre_on(open_store(pg_url), tenants=("lier",), share_group="ops")
    second = centre_on(open_store(pg_url), tenants=("lier",), share_group="ops")
    for seq in range(6):
        _, centre, _, _ = first if seq % 2 == 0 else second
        centre.handle_group([Delivered(topic("lier", "sa-1"), alarm(seq, device_id="sa-1"))])
    answers = first[3] + second[3]
    assert [a.verdict for a in answers] == ["accepted"] * 6
    assert len({a.incident_id for a in answers}) == 1
    store = first[1].store
    assert rows(store, "SELECT kind, messages FROM incidents") == [("button_need", 6)]
    assert rows(store, "SELECT last_seq, gaps, open_gaps FROM devices") == [(5, 0, "")]
    # a number that never came is a gap whichever process sees the jump
    second[1].handle_group([Delivered(topic("lier", "sa-1"), alarm(8, device_id="sa-1"))])
    assert rows(store, "SELECT last_seq, gaps FROM devices") == [(8, 2)]
    first[1].handle_group([Delivered(topic("lier", "sa-1"), alarm(6, device_id="sa-1"))])
    second[1].handle_group([Delivered(topic("lier", "sa-1"), alarm(7, device_id="sa-1"))])
    assert rows(store, "SELECT last_seq, gaps, open_gaps FROM devices") == [(8, 0, "")]
    first[1].store.close()
    second[1].store.close()


class Delivered:
    """A message as the MQTT transport hands it over (topic, payload, receive time on the
    transport's own clock, which is wall time whatever clock the centre keeps)."""

    def __init__(self, topic: str, payload: bytes) -> None:
        self.topic = topic
        self.payload = payload
        self.received_at = time.time()


def test_in_a_share_group_possible_loss_counts_only_gaps_past_their_wait(pg_url: str) -> None:
    """Numbers taken by another process arrive out of order as a rule: a fresh gap is not yet
    possible loss in the health report; one that outlived the wait is."""
    clock = [NOW]
    _, centre, _, _ = centre_on(open_store(pg_url), clock, tenants=("lier",),
                                share_group="ops", gap_wait_s=5.0)
    for seq in (0, 3):
        centre.handle_group([Delivered(topic("lier", "sa-1"), alarm(seq, device_id="sa-1"))])
    report = health_report(centre.snapshot(), STATS, True, "mqtt://b:1883", clock[0])
    assert (report["possible_loss"], report["possible_loss_devices"]) == (0, 0)
    assert centre.snapshot().devices[0].gaps == 2  # awaited all the same
    clock[0] = NOW + 6
    centre.check_silence()
    report = health_report(centre.snapshot(), STATS, True, "mqtt://b:1883", clock[0])
    assert (report["possible_loss"], report["possible_loss_devices"]) == (2, 1)
    assert rows(centre.store, "SELECT state FROM incidents WHERE kind = 'possible_loss'") == [
        ("open",)]
    centre.store.close()


def test_in_a_share_group_a_late_first_message_is_no_restart(pg_url: str) -> None:
    """A device's first number (0) taken by a slower process after its next ones: a late
    number, not a counter that started again (which would make 1 and 2 a gap for ever)."""
    first = centre_on(open_store(pg_url), tenants=("lier",), share_group="ops")[1]
    second = centre_on(open_store(pg_url), tenants=("lier",), share_group="ops")[1]
    for seq, centre in ((1, first), (2, first), (0, second), (3, first)):
        centre.handle_group([Delivered(topic("lier", "sa-1"), alarm(seq, device_id="sa-1"))])
    assert rows(first.store, "SELECT last_seq, gaps, open_gaps FROM devices") == [(3, 0, "")]
    first.store.close()
    second.store.close()
