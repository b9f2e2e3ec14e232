"""The live store's schema version: a database of the first release opens and is upgraded.

The first release's tables are built from its DDL, kept as ``tests/data/centre-store-v1.sql``,
and filled as that release filled them; the current store must open the file (SQLite) or the
schema (PostgreSQL, skipped with the reason when no server answers), upgrade it once, keep
every row, and carry on: a message stored before the upgrade is still a duplicate, an alarm
under a reused id is handled, and a repeat joins the incident opened before the upgrade.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.contract.codec import encode_fields, format_ts
from devices.transport.base import InProcessTransport
from tests.conftest import ROOT
from tests.integration.test_centre_store import postgres_schema_url, rows
from tests.mqtt_cases import DEVICE, KIND, NOW, alarm
from vtsim.live.centre import Answer, LiveCentre
from vtsim.live.store import (
    MIGRATIONS,
    OPEN,
    SCHEMA_VERSION,
    SERIAL,
    CentreStoreError,
    SqlCentreStore,
    open_store,
)

FIRST_RELEASE_DDL = ROOT / "tests" / "data" / "centre-store-v1.sql"
TOPIC = f"vt/v1/lier/{KIND}/{DEVICE}/events"
FIRST = f"{DEVICE}-00000001"
SECOND = f"{DEVICE}-00000002"
ALARM_INCIDENT = f"lier/{DEVICE}/{FIRST}"


def first_release_tables(dialect: str) -> list[str]:
    """The first release's DDL statements for one database."""
    lines = [line for line in FIRST_RELEASE_DDL.read_text().splitlines()
             if not line.startswith("--")]
    script = "\n".join(lines).format(serial=SERIAL[dialect])
    return [statement for statement in script.split(";") if statement.strip()]


def first_release_rows() -> list[tuple[str, tuple[Any, ...]]]:
    """What the first release stored for a press (an incident), a heartbeat and a gap."""
    press_ts, beat_ts = NOW - 60, NOW - 30
    press = alarm(1, ts=press_ts).decode()
    beat = encode_fields(KIND, DEVICE, "heartbeat", SECOND, format_ts(beat_ts), 2,
                         {"battery_pct": 80}).decode()
    message = ("INSERT INTO messages (tenant, device_id, message_id, device_type, event, seq,"
               " device_ts, received_at, stored_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    incident = ("INSERT INTO incidents (incident_id, tenant, device_id, device_type, kind,"
                " priority, message_id, state, opened_at, updated_at, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    return [
        (message, ("lier", DEVICE, FIRST, KIND, "button_need", 1, format_ts(press_ts), press_ts,
                   press_ts, press)),
        (message, ("lier", DEVICE, SECOND, KIND, "heartbeat", 2, format_ts(beat_ts), beat_ts,
                   beat_ts, beat)),
        (incident, (ALARM_INCIDENT, "lier", DEVICE, KIND, "button_need", 2, FIRST, OPEN,
                    press_ts, press_ts, "seq 1")),
        (incident, (f"lier/{DEVICE}/possible_loss/0-0", "lier", DEVICE, KIND, "possible_loss",
                    2, None, OPEN, press_ts, press_ts, "sequence numbers 0..0 never arrived")),
        ("INSERT INTO incident_changes (incident_id, state, at, detail) VALUES (?, ?, ?, ?)",
         (ALARM_INCIDENT, OPEN, press_ts, "seq 1")),
        ("INSERT INTO devices (tenant, device_id, device_type, status, last_seen, last_seq, gaps,"
         " out_of_order, last_periodic, heartbeat_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
         ("lier", DEVICE, KIND, "online", beat_ts, 2, 1, 0, beat_ts, None)),
        ("INSERT INTO rejections (topic, tenant, device_id, message_id, reason, detail,"
         " received_at, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
         (TOPIC, "lier", DEVICE, FIRST, "duplicate", "a copy", press_ts, press_ts)),
    ]


def build_first_release(url: str) -> None:
    """A database as the first release left it."""
    if url.startswith("sqlite:///"):
        connection: Any = sqlite3.connect(url[len("sqlite:///"):])
        dialect, mark = "sqlite", "?"
    else:
        import psycopg

        connection = psycopg.connect(url)
        dialect, mark = "postgresql", "%s"
    cursor = connection.cursor()
    for statement in first_release_tables(dialect):
        cursor.execute(statement)
    for sql, values in first_release_rows():
        cursor.execute(sql.replace("?", mark), values)
    connection.commit()
    connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store URL holding a database of the first release."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'centre.db'}"
        build_first_release(url)
        yield url
    else:
        for url in postgres_schema_url():
            build_first_release(url)
            yield url


def test_the_migrations_count_up_to_the_current_version() -> None:
    assert [version for version, _, _ in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))


def test_a_first_release_database_is_upgraded_once_and_keeps_every_row(
    old_store_url: str,
) -> None:
    store = open_store(old_store_url)
    assert isinstance(store, SqlCentreStore)
    assert (store.upgraded_from, store.schema_version()) == (1, SCHEMA_VERSION)
    assert rows(store, "SELECT message_id, event, place, reason, incident_id FROM messages"
                       " ORDER BY id") == [
        (FIRST, "button_need", "incident", "", ALARM_INCIDENT),
        (SECOND, "heartbeat", "info", "", None)]
    assert rows(store, "SELECT kind, messages FROM incidents ORDER BY kind") == [
        ("button_need", 1), ("possible_loss", 1)]
    assert rows(store, "SELECT COUNT(*) FROM incident_changes") == [(1,)]
    assert rows(store, "SELECT reason FROM rejections") == [("duplicate",)]
    assert store.counts().messages == 2
    store.close()
    again = open_store(old_store_url)
    assert (again.upgraded_from, again.schema_version()) == (SCHEMA_VERSION, SCHEMA_VERSION)  # type: ignore[attr-defined]
    again.close()


def test_the_centre_carries_on_from_an_upgraded_database(old_store_url: str) -> None:
    store = open_store(old_store_url)
    answers: list[Answer] = []
    bus = InProcessTransport()
    centre = LiveCentre(bus, tenant="lier", clock=lambda: NOW, store=store,
                        on_answer=answers.append)
    centre.start()
    (device,) = centre.snapshot().devices
    assert device.last_seq == 2
    bus.publish(TOPIC, alarm(1, ts=NOW - 60))  # stored before the upgrade: a copy
    bus.publish(TOPIC, alarm(2))  # the heartbeat's id, now a press: handled, flagged
    bus.publish(TOPIC, alarm(3))
    assert [(a.verdict, a.place) for a in answers] == [
        ("duplicate", "duplicate"), ("id_conflict", "correlated"), ("accepted", "correlated")]
    assert {a.incident_id for a in answers[1:]} == {ALARM_INCIDENT}
    assert rows(store, f"SELECT messages FROM incidents WHERE incident_id = '{ALARM_INCIDENT}'"
                ) == [(3,)]
    assert rows(store, "SELECT message_id, place, reason FROM messages ORDER BY id")[2:] == [
        (SECOND, "correlated", "id_conflict"), (f"{DEVICE}-00000003", "correlated", "")]
    store.close()


def test_a_database_of_a_later_release_is_refused_untouched(old_store_url: str) -> None:
    store = open_store(old_store_url)
    connection = store._connection  # type: ignore[attr-defined]
    connection.cursor().execute("UPDATE schema_version SET version = 99")
    connection.commit()
    store.close()
    with pytest.raises(CentreStoreError, match=r"schema version 99.*upgrade vtsim"):
        open_store(old_store_url)


def test_an_empty_database_gets_every_migration(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'new.db'}")
    assert (store.upgraded_from, store.schema_version()) == (0, SCHEMA_VERSION)  # type: ignore[attr-defined]
    store.close()
