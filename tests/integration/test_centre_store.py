"""The centre's store: stored before answered, duplicates across restarts, incidents, limits.

Each test runs on SQLite (a file of its own) and on PostgreSQL (a schema of its own in the
database of ``VTSIM_TEST_POSTGRES``, default ``postgresql://postgres@127.0.0.1:5432/test``;
skipped with the reason when no server answers there).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest

from devices.contract.codec import encode_fields, encode_status, format_ts
from devices.contract.rate_limit import RateLimit, TokenBuckets
from devices.transport.base import InProcessTransport
from tests.mqtt_cases import DEVICE, KIND, NOW, alarm
from vtsim.live.centre import Answer, LiveCentre
from vtsim.live.store import (
    DEVICE_OFFLINE,
    DEVICE_SILENT,
    OPEN,
    POSSIBLE_LOSS,
    RESOLVED,
    CentreStore,
    CentreStoreError,
    open_store,
)

POSTGRES = os.environ.get("VTSIM_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
TOPIC = f"vt/v1/lier/{KIND}/{DEVICE}/events"


def postgres_schema_url() -> Generator[str, None, None]:
    """A schema of its own in the test database, as a store URL; dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(POSTGRES, connect_timeout=3, autocommit=True)
    except psycopg.Error as error:
        pytest.skip(f"no PostgreSQL server at {POSTGRES} ({error}); set VTSIM_TEST_POSTGRES")
    schema = f"centre_{uuid.uuid4().hex[:12]}"
    admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES}?options={quote(f'-csearch_path={schema}')}"
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'centre.db'}"
    else:
        yield from postgres_schema_url()


def rows(store: CentreStore, sql: str) -> list[tuple[object, ...]]:
    """Rows of a query on a SQL store (for checking what was written)."""
    connection = store._connection  # type: ignore[attr-defined]
    cursor = connection.cursor()
    cursor.execute(sql)
    result = [tuple(row) for row in cursor.fetchall()]
    cursor.close()
    connection.commit()
    return result


def centre_on(store: CentreStore, clock: list[float] | None = None, **options: object
              ) -> tuple[InProcessTransport, LiveCentre, list[tuple[str, bytes]], list[Answer]]:
    """A centre on the in-process bus with ``store``; its answers as published and as verdicts."""
    bus = InProcessTransport()
    published: list[tuple[str, bytes]] = []
    answers: list[Answer] = []
    bus.subscribe("vt/v1/+/centre/#", lambda topic, payload: published.append((topic, payload)))
    now = clock if clock is not None else [NOW]
    centre = LiveCentre(bus, clock=lambda: now[0], store=store, on_answer=answers.append,
                        **options)  # type: ignore[arg-type]
    centre.start()
    return bus, centre, published, answers


# --- stored once, across restarts -----------------------------------------------------------


def test_a_message_is_stored_once_and_a_restarted_centre_knows_it(store_url: str) -> None:
    store = open_store(store_url)
    bus, _, published, answers = centre_on(store)
    bus.publish(TOPIC, alarm(1))
    bus.publish(TOPIC, alarm(2))
    assert [a.verdict for a in answers] == ["accepted", "accepted"]
    store.close()

    restarted = open_store(store_url)  # the centre starts again on the same store
    bus, centre, published, answers = centre_on(restarted)
    (device,) = centre.snapshot().devices
    assert (device.device_id, device.last_seq) == (DEVICE, 2)
    bus.publish(TOPIC, alarm(2))  # the broker delivers the last one again
    bus.publish(TOPIC, alarm(5))  # 3 and 4 never came
    assert [a.verdict for a in answers] == ["duplicate", "accepted"]
    assert [orjson.loads(p).get("reason") for _, p in published] == ["duplicate", None]
    incidents = rows(restarted, "SELECT kind, message_id, state, messages FROM incidents"
                                " ORDER BY kind")
    assert incidents == [  # the repeats joined the first press's incident, across the restart
        ("button_need", f"{DEVICE}-00000001", OPEN, 3),
        (POSSIBLE_LOSS, None, OPEN, 1),
    ]
    assert rows(restarted, "SELECT message_id, place FROM messages ORDER BY seq") == [
        (f"{DEVICE}-00000001", "incident"), (f"{DEVICE}-00000002", "correlated"),
        (f"{DEVICE}-00000005", "correlated")]
    assert rows(restarted, "SELECT reason FROM rejections") == [("duplicate",)]
    assert restarted.counts().incidents == 2
    restarted.close()


def test_nothing_is_answered_when_the_store_fails(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'centre.db'}")
    _bus, centre, published, answers = centre_on(store)
    store.close()  # the database is gone from under the centre
    with pytest.raises(CentreStoreError, match="nothing was acknowledged"):
        centre.receive_event(TOPIC, alarm(1))
    assert published == [] and answers == []


def test_rejections_are_stored_and_answered(store_url: str) -> None:
    store = open_store(store_url)
    bus, _, published, _ = centre_on(store)
    bus.publish(TOPIC, b"{oops")
    assert [orjson.loads(p)["reason"] for _, p in published] == ["not_json"]
    assert rows(store, "SELECT topic, device_id, reason FROM rejections") == [
        (TOPIC, DEVICE, "not_json")]
    store.close()


def test_an_unknown_store_url_is_explained() -> None:
    with pytest.raises(CentreStoreError, match="sqlite:///"):
        open_store("mysql://localhost/centre")
    with pytest.raises(CentreStoreError, match="names no file"):
        open_store("sqlite:///")


# --- the centre's own incidents -------------------------------------------------------------


def heartbeat(seq: int, ts: float) -> bytes:
    """A safety alarm's heartbeat at device time ``ts``."""
    return encode_fields(KIND, DEVICE, "heartbeat", f"{DEVICE}-{seq:08d}", format_ts(ts), seq,
                         {"battery_pct": 80})


def test_a_silent_device_raises_an_incident_that_ends_when_it_is_heard(store_url: str) -> None:
    store = open_store(store_url)
    clock = [NOW]
    bus, centre, _, _ = centre_on(store, clock, silence_slack_s=10.0)
    for seq in range(3):  # heartbeats every 60 s
        clock[0] = NOW + 60 * seq
        bus.publish(TOPIC, heartbeat(seq, clock[0]))
    clock[0] = NOW + 120 + 2 * 60 + 9  # within twice the interval plus slack
    assert centre.check_silence() == []
    clock[0] = NOW + 120 + 2 * 60 + 11
    (raised,) = centre.check_silence()
    assert (raised.kind, raised.device_id, raised.state) == (DEVICE_SILENT, DEVICE, OPEN)
    assert centre.check_silence() == []  # raised once
    assert centre.snapshot().open_of_kind(DEVICE_SILENT) == 1
    bus.publish(TOPIC, heartbeat(3, clock[0]))
    assert centre.snapshot().open_of_kind(DEVICE_SILENT) == 0
    assert rows(store, f"SELECT state FROM incidents WHERE kind = '{DEVICE_SILENT}'") == [
        (RESOLVED,)]
    assert rows(store, "SELECT state FROM incident_changes ORDER BY id") == [(OPEN,), (RESOLVED,)]
    store.close()


def test_the_last_will_raises_an_offline_incident_once_even_after_a_restart(
    store_url: str,
) -> None:
    store = open_store(store_url)
    bus, centre, _, _ = centre_on(store)
    status_topic = f"vt/v1/lier/{KIND}/{DEVICE}/status"
    offline = encode_status(KIND, DEVICE, "offline", format_ts(NOW))
    bus.publish(status_topic, offline, retain=True)
    assert centre.snapshot().open_of_kind(DEVICE_OFFLINE) == 1
    store.close()
    store = open_store(store_url)
    bus, centre, _, _ = centre_on(store)
    bus.publish(status_topic, offline, retain=True)  # the retained status, delivered again
    assert centre.snapshot().open_of_kind(DEVICE_OFFLINE) == 1
    bus.publish(status_topic, encode_status(KIND, DEVICE, "online", format_ts(NOW)), retain=True)
    assert centre.snapshot().open_of_kind(DEVICE_OFFLINE) == 0
    assert rows(store, "SELECT state FROM incident_changes ORDER BY id") == [(OPEN,), (RESOLVED,)]
    store.close()


# --- rate limits ----------------------------------------------------------------------------


def test_a_flooding_device_is_throttled_and_answered_while_another_is_not() -> None:
    store = open_store("memory:")
    moments = [0.0]
    bus, _centre, published, answers = centre_on(
        store, rate_limit=RateLimit(rate_per_s=10, burst=5), monotonic=lambda: moments[0])
    other = "sa-0008"
    other_topic = f"vt/v1/lier/{KIND}/{other}/events"
    for seq in range(50):  # heartbeats: a flood of alarms is handled all the same (below)
        bus.publish(TOPIC, heartbeat(seq, NOW))
        if seq % 10 == 0:
            bus.publish(other_topic, alarm(seq, device_id=other))
    flood = [a.verdict for a in answers if a.device_id == DEVICE]
    # a burst by arrival, one more by the send times (all stamped at once): then throttled
    assert flood.count("accepted") == 10 and flood.count("rate_limited") == 40
    assert {a.verdict for a in answers if a.device_id == other} == {"accepted"}
    assert store.counts().rejections == 40
    limited = [orjson.loads(p) for t, p in published if t.endswith(f"/rejected/{DEVICE}")]
    assert len(limited) == 40 and {r["reason"] for r in limited} == {"rate_limited"}
    moments[0] = 0.5  # half a second later: five more tokens
    for seq in range(50, 56):
        bus.publish(TOPIC, heartbeat(seq, NOW))
    assert [a.verdict for a in answers[-6:]] == ["accepted"] * 5 + ["rate_limited"]


def test_alarms_over_the_rate_limit_are_handled_and_counted_never_dropped() -> None:
    store = open_store("memory:")
    bus, centre, _, answers = centre_on(
        store, rate_limit=RateLimit(rate_per_s=10, burst=5), monotonic=lambda: 0.0)
    for seq in range(30):
        bus.publish(TOPIC, alarm(seq))
    assert {a.verdict for a in answers} == {"accepted"}
    assert [a.place for a in answers].count("incident") == 1  # the repeats join it
    assert centre.snapshot().totals["over_limit_alarms"] == 20  # 5 + 5 within the bursts
    assert store.counts().rejections == 0


def test_a_backlog_sent_within_the_limit_is_not_a_flood() -> None:
    """After a 60 s outage, 300 messages a device sent at 5 a second arrive at once: judged by
    their send times they are within 10 a second; the same 300 stamped now are a flood."""
    store = open_store("memory:")
    clock = [NOW]
    bus, centre, _, answers = centre_on(
        store, clock, rate_limit=RateLimit(rate_per_s=10, burst=20), monotonic=lambda: 0.0)
    for seq in range(300):
        bus.publish(TOPIC, heartbeat(seq, NOW - 60 + seq / 5))
    assert {a.verdict for a in answers} == {"accepted"}
    assert centre.snapshot().totals["late_within_limit"] == 280  # 20 fit the first burst
    other = f"vt/v1/lier/{KIND}/sa-0009/events"
    for seq in range(300):  # stamped at arrival: a flood
        bus.publish(other, encode_fields(KIND, "sa-0009", "heartbeat", f"sa-0009-{seq:08d}",
                                         format_ts(NOW), seq, {"battery_pct": 80}))
    flood = [a.verdict for a in answers[300:]]
    assert flood.count("accepted") == 40 and flood.count("rate_limited") == 260  # 2 bursts


def test_token_buckets_forget_quiet_devices_first() -> None:
    moments = [0.0]
    buckets = TokenBuckets(RateLimit(1, 2), lambda: moments[0], max_devices=3)
    for device in ("a", "b", "c"):
        assert buckets.take(("lier", device))
    moments[0] = 10.0  # everyone refilled: all quiet
    assert buckets.take(("lier", "d"))
    assert len(buckets) == 1
    with pytest.raises(ValueError, match="rate_per_s"):
        RateLimit(0, 1)


# --- health ---------------------------------------------------------------------------------


def test_the_health_report_counts_what_is_stored_silent_and_lost() -> None:
    from rich.console import Console

    from devices.transport.mqtt import MqttStats
    from vtsim.live.centre_view import render
    from vtsim.live.health import health_report, health_topic

    store = open_store("memory:")
    clock = [NOW]
    bus, centre, _, _ = centre_on(store, clock, silence_slack_s=0.0)
    for seq in (0, 1):
        clock[0] = NOW + 60 * seq
        bus.publish(TOPIC, heartbeat(seq, clock[0]))
    bus.publish(TOPIC, alarm(5))  # 2..4 missing
    clock[0] = NOW + 60 + 121
    centre.check_silence()
    centre.refresh_stored()
    stats = MqttStats(published=3, acknowledged=2, in_flight=1, publish_errors=0, delivered=3,
                      queued=7, reconnects=2, subscribe_errors=0, last_error="")
    report = health_report(centre.snapshot(), stats, True, "mqtt://b:1883", clock[0])
    assert report["backlog"] == 7 and report["answers_in_flight"] == 1
    assert report["broker"] == {"url": "mqtt://b:1883", "connected": True, "reconnects": 2}
    assert report["stored"] == {"messages": 3, "rejections": 0, "incidents": 3,
                                "open_incidents": 3}
    assert report["devices"] == {"tracked": 1, "silent": 1, "offline": 0}
    assert (report["possible_loss"], report["possible_loss_incidents"]) == (3, 1)
    assert report["possible_loss_devices"] == 1
    assert "max_queued_messages" in str(report["advice"]) and "vtsim.conf" in str(report["advice"])
    assert health_topic(None) == "vt/v1/_all/centre/health"
    assert health_topic("lier") == "vt/v1/lier/centre/health"
    console = Console(record=True, width=160)
    console.print(render(centre.snapshot(), "connected", 1.0, clock[0], report))
    text = console.export_text()
    assert "Health" in text and "backlog" in text
    assert "tracked 1, silent 1, offline 0" in text
