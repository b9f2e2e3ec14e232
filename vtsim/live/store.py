"""The live centre's durable record: messages, rejections, incidents and devices.

Every message the centre judges is written here, in one transaction, *before* the centre
acknowledges it to the broker or answers the device. The store is the centre's memory of
message ids (:class:`devices.contract.reception.Memory`): a message is judged against the
messages of its device stored under the same ``message_id`` within
:data:`devices.contract.reception.DEDUP_WINDOW_S`, by the rule every centre shares. A second
copy of a message (a broker redelivery after a crash, a device resend) is answered
``duplicate`` and not handled again, across restarts; the same id with other content is
stored and handled, and flagged ``id_conflict``. A unique index on the message's id and content
keeps two copies out even when two centre processes receive them at once.

The database carries its schema version (table ``schema_version``). Opening a store written by
an earlier release upgrades it in one transaction (:data:`MIGRATIONS`); a store written by a
later release is refused.

Two back ends share the same SQL:

- SQLite (``sqlite:///path/centre.db``; the default, no set-up): WAL journal, ``synchronous
  NORMAL`` (a committed transaction survives the centre process being killed; on power loss
  the last transactions may be lost, see ``docs/deployment.md``), one connection used by the
  centre's receive thread only.
- PostgreSQL (``postgresql://user@host/db``) through psycopg 3. Every call on the connection
  has a deadline (:data:`STORE_DEADLINE_S`, :class:`vtsim.live.call_deadline.CallDeadline`):
  a server that stops answering without closing the connection (frozen, a half-open
  connection, a failover) makes the call fail with :class:`CentreStoreError` instead of
  waiting forever. TCP keepalives and ``tcp_user_timeout`` (:func:`postgresql_parameters`)
  find a dead peer of an idle connection; a URL that sets its own keeps them.

On start, :meth:`CentreStore.resume` gives back what the centre needs to carry on: the state of
every device (last sequence number, gaps, status, last contact) and the open incidents.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import unquote, urlsplit

from devices.contract.errors import DeviceContractError
from devices.contract.reception import (
    DEDUP_WINDOW_S,
    DUPLICATE,
    MessageMemory,
    Remembered,
    repeat_of,
)
from vtsim.live.call_deadline import CallDeadline, SocketLine

DEFAULT_DB: Final = "sqlite:///vtsim-centre.db"
"""``vtsim centre`` keeps its record in this file of the working folder unless told otherwise."""
OPEN: Final = "open"
RESOLVED: Final = "resolved"
SQLITE_BUSY_TIMEOUT_S: Final = 5.0
"""How long a write waits for a lock held by another process before it fails (the centre
then reports the store failing and tries again with backoff)."""
STORE_DEADLINE_S: Final = 20.0
"""How long one call on a PostgreSQL store (a group's reads, its commit, a count) may take
before it is abandoned: cancelled, its connection severed, the call failed (the centre then
reports the store failing and tries again on a new connection). An assumption, far above a
group's commit (about 0.3 s for 1,000 alarms at the 3,000 alarms/s measured in
``docs/performance.md``); set with ``vtsim centre --store-deadline``."""
MAX_STORE_DEADLINE_S: Final = 3600.0
"""The longest store deadline taken (an hour): longer waits are a hung database all the same,
and libpq's ``tcp_user_timeout`` (milliseconds in a C int) tops out at about 24 days."""
PG_CONNECT_TIMEOUT_S: Final = 10
"""The longest a new PostgreSQL connection may take (libpq ``connect_timeout``; at most the
store deadline)."""
PG_KEEPALIVES: Final = {"keepalives": "1", "keepalives_idle": "10",
                        "keepalives_interval": "5", "keepalives_count": "3"}
"""TCP keepalives on the PostgreSQL connection (libpq parameters): an idle connection whose
peer is gone (a half-open connection) is probed after 10 s and given up after 3 unanswered
probes 5 s apart."""

# Kinds of the centre's own incidents (device incidents carry the device's event name).
DEVICE_SILENT: Final = "device_silent"
DEVICE_OFFLINE: Final = "device_offline"
POSSIBLE_LOSS: Final = "possible_loss"
DEVICE_CLOCK: Final = "device_clock"
"""A device whose clock is off (an alarm taken despite its ``ts``); resolved once it is right."""
CENTRE_KINDS: Final = (DEVICE_SILENT, DEVICE_OFFLINE, POSSIBLE_LOSS, DEVICE_CLOCK)


class CentreStoreError(DeviceContractError):
    """The centre's store cannot be opened or written: nothing is acknowledged meanwhile."""


# --- what is stored -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One accepted device message, as it is written."""

    tenant: str
    device_id: str
    message_id: str
    device_type: str
    event: str
    seq: int
    device_ts: str
    received_at: float
    payload: str
    place: str = "incident"
    """Where the message ended: ``incident``, ``correlated`` or ``info``."""
    reason: str = ""
    """``id_conflict`` when the message reused a known id with other content, else empty."""
    incident_id: str | None = None
    """The incident the message opened or joined."""


@dataclass(frozen=True, slots=True)
class StoredRejection:
    """One rejected message: why, and what the centre could read of it."""

    topic: str
    tenant: str | None
    device_id: str | None
    message_id: str | None
    reason: str
    detail: str
    received_at: float


@dataclass(frozen=True, slots=True)
class IncidentChange:
    """An incident opened or changing state; ``incident_id`` is stable across redeliveries."""

    incident_id: str
    tenant: str
    device_id: str
    device_type: str
    kind: str
    state: str
    at: float
    detail: str = ""
    priority: int = 5
    message_id: str | None = None
    messages: int = 1
    """How many messages the incident holds (repeats of an alarm join it)."""
    opened_at: float | None = None
    """When the incident opened (None: at ``at``, the change that opened it)."""

    @property
    def started(self) -> float:
        """When the incident opened."""
        return self.at if self.opened_at is None else self.opened_at


@dataclass(frozen=True, slots=True)
class DeviceRow:
    """What the centre keeps about one device between runs."""

    tenant: str
    device_id: str
    device_type: str
    status: str
    last_seen: float | None
    last_seq: int | None
    gaps: int
    out_of_order: int
    last_periodic: float | None = None
    heartbeat_s: float | None = None
    open_gaps: str = ""
    """The device's sequence gaps still awaited, as JSON (see
    :func:`vtsim.live.centre.encode_gaps`); empty when none."""


@dataclass(frozen=True, slots=True)
class StoredCounts:
    """How much the store holds."""

    messages: int
    rejections: int
    incidents: int
    open_incidents: int


NOTHING_STORED: Final = StoredCounts(0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class ResumedState:
    """What a restarted centre carries on from."""

    devices: list[DeviceRow] = field(default_factory=list)
    open_incidents: list[IncidentChange] = field(default_factory=list)
    counts: StoredCounts = NOTHING_STORED


class CentreStore(Protocol):
    """Where the centre writes what it decided, before it answers."""

    url: str

    def resume(self, tenant: str | None = None) -> ResumedState:
        """Device states and open incidents (of ``tenant``, or all), as stored."""
        ...

    def check_in(self, topic: str, message_id: str, event: str, seq: int, ts: datetime,
                 now: float) -> str:
        """``new``, ``duplicate`` or ``id_conflict``: a message judged against the stored
        messages of its device with its ``message_id`` (see :mod:`devices.contract.reception`).
        """
        ...

    def store_accepted(
        self, message: StoredMessage, device: DeviceRow, incidents: Sequence[IncidentChange]
    ) -> bool:
        """Store a message, its device's new state and its incidents; False if the same
        message is already stored."""
        ...

    def store_rejection(self, rejection: StoredRejection) -> None:
        """Store a rejected message."""
        ...

    def store_incidents(self, incidents: Sequence[IncidentChange]) -> None:
        """Store incidents the centre raises or resolves by itself (silent devices, ...)."""
        ...

    def store_device(self, device: DeviceRow) -> None:
        """Store a device's state (a status message changed it)."""
        ...

    def counts(self) -> StoredCounts:
        """How many messages, rejections and incidents are stored."""
        ...

    def batch(self) -> AbstractContextManager[None]:
        """One transaction for every write inside (a group commit): committed on leaving,
        rolled back entirely if anything inside fails (:class:`CentreStoreError`)."""
        ...

    def take_devices(self, keys: Sequence[tuple[str, str]], window_s: float, now: float
                     ) -> DevicesTaken:
        """Inside :meth:`batch`, for centre processes that share the load: lock these
        ``(tenant, device_id)`` until the batch ends (other processes wait for them), then
        read their stored state, their open alarm incidents opened within ``window_s`` and
        the centre's own open incidents about them (gaps, silence, clock)."""
        ...

    def take_check(self) -> None:
        """Inside :meth:`batch`: lock the centre's periodic check (one process at a time)."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


# --- SQL ------------------------------------------------------------------------------------

SCHEMA_VERSION: Final = 3
"""The version of the store's tables this release writes."""

FIRST_TABLES: Final = """
CREATE TABLE IF NOT EXISTS messages (
    tenant TEXT NOT NULL, device_id TEXT NOT NULL, message_id TEXT NOT NULL,
    device_type TEXT NOT NULL, event TEXT NOT NULL, seq BIGINT NOT NULL, device_ts TEXT NOT NULL,
    received_at DOUBLE PRECISION NOT NULL, stored_at DOUBLE PRECISION NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (tenant, device_id, message_id));
CREATE TABLE IF NOT EXISTS rejections (
    id {serial}, topic TEXT NOT NULL, tenant TEXT, device_id TEXT, message_id TEXT,
    reason TEXT NOT NULL, detail TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL,
    stored_at DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS incidents (
    incident_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, device_id TEXT NOT NULL,
    device_type TEXT NOT NULL, kind TEXT NOT NULL, priority INTEGER NOT NULL,
    message_id TEXT, state TEXT NOT NULL, opened_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incident_changes (
    id {serial}, incident_id TEXT NOT NULL, state TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
    tenant TEXT NOT NULL, device_id TEXT NOT NULL, device_type TEXT NOT NULL,
    status TEXT NOT NULL, last_seen DOUBLE PRECISION, last_seq BIGINT, gaps BIGINT NOT NULL,
    out_of_order BIGINT NOT NULL, last_periodic DOUBLE PRECISION, heartbeat_s DOUBLE PRECISION,
    PRIMARY KEY (tenant, device_id));
CREATE INDEX IF NOT EXISTS incidents_state ON incidents (state);
"""
"""Version 1: the tables of the first release (no version table)."""

MESSAGES_BY_CONTENT: Final = """
CREATE TABLE messages_v2 (
    id {serial}, tenant TEXT NOT NULL, device_id TEXT NOT NULL, message_id TEXT NOT NULL,
    device_type TEXT NOT NULL, event TEXT NOT NULL, seq BIGINT NOT NULL, device_ts TEXT NOT NULL,
    received_at DOUBLE PRECISION NOT NULL, stored_at DOUBLE PRECISION NOT NULL,
    payload TEXT NOT NULL, place TEXT NOT NULL, reason TEXT NOT NULL, incident_id TEXT);
INSERT INTO messages_v2 (tenant, device_id, message_id, device_type, event, seq, device_ts,
    received_at, stored_at, payload, place, reason, incident_id)
    SELECT m.tenant, m.device_id, m.message_id, m.device_type, m.event, m.seq, m.device_ts,
        m.received_at, m.stored_at, m.payload,
        CASE WHEN i.incident_id IS NULL THEN 'info' ELSE 'incident' END, '', i.incident_id
    FROM messages m LEFT JOIN incidents i ON i.tenant = m.tenant
        AND i.device_id = m.device_id AND i.message_id = m.message_id AND i.kind = m.event
    ORDER BY m.received_at, m.stored_at;
DROP TABLE messages;
ALTER TABLE messages_v2 RENAME TO messages;
CREATE UNIQUE INDEX messages_content
    ON messages (tenant, device_id, message_id, event, seq, device_ts);
ALTER TABLE incidents ADD COLUMN messages INTEGER NOT NULL DEFAULT 1;
"""
"""Version 2: a message id may come again with other content (``id_conflict``) or after the
duplicate window, so messages get their own row id; the unique key becomes the id with the
content (event, seq, device time), which is also the index duplicates are looked up by. Each
message records where it ended (place, reason, incident). Incidents count their messages,
since repeats of an alarm join it."""

DEVICE_GAPS: Final = """
ALTER TABLE devices ADD COLUMN open_gaps TEXT NOT NULL DEFAULT '';
CREATE INDEX incidents_device ON incidents (tenant, device_id, state);
"""
"""Version 3: each device keeps the gaps of its sequence still awaited, so that centre
processes sharing the load (and a restarted centre) carry them on; incidents are found by
device."""

MIGRATIONS: Final = ((1, "the first release's tables", FIRST_TABLES),
                     (2, "messages keyed by id and content; incidents count messages",
                      MESSAGES_BY_CONTENT),
                     (3, "devices keep their open sequence gaps", DEVICE_GAPS))
"""Each version with what it changes and the SQL that brings the version before to it."""

VERSION_TABLE: Final = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
SERIAL: Final = {"sqlite": "INTEGER PRIMARY KEY", "postgresql": "BIGSERIAL PRIMARY KEY"}
TABLE_EXISTS: Final = {
    "sqlite": "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
    "postgresql": "SELECT COUNT(*) FROM (SELECT to_regclass(?) AS found) t"
                  " WHERE found IS NOT NULL",
}
LOCK_SCHEMA: Final = {"sqlite": "BEGIN IMMEDIATE",
                      "postgresql": "SELECT pg_advisory_xact_lock(7409331)"}
"""Taken before the version is read, so that two centres starting at once migrate once."""

INSERT_MESSAGE: Final = (
    "INSERT INTO messages (tenant, device_id, message_id, device_type, event, seq, device_ts,"
    " received_at, stored_at, payload, place, reason, incident_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
RECALL_CHUNK: Final = 300
RECALL_MANY: Final = (
    "SELECT tenant, device_id, message_id, received_at, event, seq, device_ts FROM messages"
    " WHERE (tenant, device_id, message_id) IN (VALUES {rows}) AND received_at >= ?"
)
RECALL_MESSAGE: Final = (
    "SELECT received_at, event, seq, device_ts FROM messages"
    " WHERE tenant = ? AND device_id = ? AND message_id = ? AND received_at >= ?"
)
INSERT_REJECTION: Final = (
    "INSERT INTO rejections (topic, tenant, device_id, message_id, reason, detail, received_at,"
    " stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
UPSERT_INCIDENT: Final = (
    "INSERT INTO incidents (incident_id, tenant, device_id, device_type, kind, priority,"
    " message_id, state, opened_at, updated_at, detail, messages)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (incident_id) DO UPDATE SET state = excluded.state,"
    " updated_at = excluded.updated_at, detail = excluded.detail, messages = excluded.messages"
)
INSERT_CHANGE: Final = (
    "INSERT INTO incident_changes (incident_id, state, at, detail) VALUES (?, ?, ?, ?)"
)
UPSERT_DEVICE: Final = (
    "INSERT INTO devices (tenant, device_id, device_type, status, last_seen, last_seq, gaps,"
    " out_of_order, last_periodic, heartbeat_s, open_gaps)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (tenant, device_id) DO UPDATE SET device_type = excluded.device_type,"
    " status = excluded.status, last_seen = excluded.last_seen, last_seq = excluded.last_seq,"
    " gaps = excluded.gaps, out_of_order = excluded.out_of_order,"
    " last_periodic = excluded.last_periodic, heartbeat_s = excluded.heartbeat_s,"
    " open_gaps = excluded.open_gaps"
)
SELECT_DEVICES: Final = (
    "SELECT tenant, device_id, device_type, status, last_seen, last_seq, gaps, out_of_order,"
    " last_periodic, heartbeat_s, open_gaps FROM devices"
)
LOCK_DEVICES: Final = (
    "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 7409332) AS h"
    " FROM unnest(%s::text[]) AS k ORDER BY h) AS locks"
)
"""One transaction-scoped lock per device, taken in one order by every process (no deadlock
between two groups)."""
LOCK_CHECK: Final = "SELECT pg_advisory_xact_lock(7409333)"
TAKEN: Final = "(tenant, device_id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))"
SELECT_TAKEN_DEVICES: Final = SELECT_DEVICES + " WHERE " + TAKEN
SELECT_TAKEN_ALARMS: Final = (
    "SELECT incident_id, tenant, device_id, device_type, kind, state, updated_at, detail,"
    " priority, message_id, messages, opened_at FROM incidents WHERE " + TAKEN +
    " AND state = %s AND (opened_at >= %s OR kind = ANY(%s::text[])) ORDER BY opened_at"
)
SELECT_OPEN: Final = (
    "SELECT incident_id, tenant, device_id, device_type, kind, state, updated_at, detail,"
    " priority, message_id, messages, opened_at FROM incidents WHERE state = ?"
)
COUNTS: Final = (
    "SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM rejections),"
    " (SELECT COUNT(*) FROM incidents), (SELECT COUNT(*) FROM incidents WHERE state = ?)"
)


def message_params(message: StoredMessage, stored_at: float) -> tuple[object, ...]:
    """The row of a stored message."""
    return (message.tenant, message.device_id, message.message_id, message.device_type,
            message.event, message.seq, message.device_ts, message.received_at, stored_at,
            message.payload, message.place, message.reason, message.incident_id)


def incident_params(change: IncidentChange) -> tuple[object, ...]:
    """The row of an incident in its latest state."""
    return (change.incident_id, change.tenant, change.device_id, change.device_type, change.kind,
            change.priority, change.message_id, change.state, change.started, change.at,
            change.detail, change.messages)


def device_params(device: DeviceRow) -> tuple[object, ...]:
    """The row of a device."""
    return (device.tenant, device.device_id, device.device_type, device.status,
            device.last_seen, device.last_seq, device.gaps, device.out_of_order,
            device.last_periodic, device.heartbeat_s, device.open_gaps)


@dataclass(frozen=True, slots=True)
class DevicesTaken:
    """Devices locked for a group: their stored rows and their open incidents (alarms that
    repeats may join, and the centre's own), oldest first."""

    devices: list[DeviceRow] = field(default_factory=list)
    alarms: list[IncidentChange] = field(default_factory=list)


SHARED_STORES: Final = ("postgresql", "postgres")
"""The stores centre processes can share (row and advisory locks across connections)."""


def require_shared_store(url: str) -> None:
    """Refuse a store that several centre processes cannot share (SQLite, memory)."""
    if urlsplit(url).scheme in SHARED_STORES:
        return
    raise CentreStoreError(
        f"a share group needs one PostgreSQL store for all its centre processes, not "
        f"{redacted(url)!r}: SQLite takes one writer at a time and keeps no locks across "
        "machines, and memory: is not shared. Use --db postgresql://user@host:5432/database")


# --- one implementation over DB-API connections ---------------------------------------------


class SqlCentreStore:
    """The store over a DB-API connection (sqlite3 or psycopg); ``?`` placeholders in SQL."""

    def __init__(self, url: str, connection: Any, dialect: str,
                 deadline: CallDeadline | None = None) -> None:
        """Use ``connection`` (already open); create or upgrade the tables as needed.
        ``deadline`` (PostgreSQL) watches every call on the connection; it is closed with the
        store."""
        self.url = url
        self._connection = connection
        self._dialect = dialect
        self._deadline = deadline
        self._batch_depth = 0
        self._devices: dict[tuple[str, str], DeviceRow] = {}
        self._incidents: dict[str, IncidentChange] = {}
        self._changes: list[tuple[object, ...]] = []
        self._messages: list[tuple[object, ...]] = []
        """Inside :meth:`batch`: device states, incident states (the latest of each) and
        incident history, written together just before the commit."""
        self._recalled: dict[tuple[str, str, str], list[Remembered]] = {}
        """Inside :meth:`batch`: what is stored under the message ids of the batch, read in
        one query (:meth:`recall`), with the batch's own messages added."""
        try:
            self.upgraded_from = self._migrate()
            """The schema version found on opening (0: an empty database)."""
        except BaseException:
            self.close()
            raise

    def _migrate(self) -> int:
        """Bring the tables to :data:`SCHEMA_VERSION` in one transaction; the version found."""
        with self._transaction() as cursor:
            cursor.execute(LOCK_SCHEMA[self._dialect])
            found = self._version(cursor)
            if found > SCHEMA_VERSION:
                raise CentreStoreError(
                    f"the centre's store at {redacted(self.url)} has schema version {found}, "
                    f"written by a newer vtsim; this one knows versions up to {SCHEMA_VERSION}: "
                    "upgrade vtsim, or open another store")
            for version, _what, sql in MIGRATIONS:
                if version > found:
                    self._execute_script(cursor, sql)
            if found < SCHEMA_VERSION:
                cursor.execute(VERSION_TABLE)
                cursor.execute("DELETE FROM schema_version")
                cursor.execute(self._sql("INSERT INTO schema_version (version) VALUES (?)"),
                               (SCHEMA_VERSION,))
        return found

    def _version(self, cursor: Any) -> int:
        """The schema version of the open database: 0 if empty, 1 for the first release's."""
        if self._table_exists(cursor, "schema_version"):
            cursor.execute("SELECT MAX(version) FROM schema_version")
            return int(cursor.fetchone()[0] or 0)
        return 1 if self._table_exists(cursor, "messages") else 0

    def _table_exists(self, cursor: Any, name: str) -> bool:
        cursor.execute(self._sql(TABLE_EXISTS[self._dialect]), (name,))
        return bool(cursor.fetchone()[0])

    def _execute_script(self, cursor: Any, sql: str) -> None:
        """Run the statements of a migration, one at a time."""
        for statement in sql.format(serial=SERIAL[self._dialect]).split(";"):
            if statement.strip():
                cursor.execute(statement)

    def schema_version(self) -> int:
        """The schema version of the open database."""
        with self._transaction() as cursor:
            return self._version(cursor)

    def _sql(self, statement: str) -> str:
        """The statement in the connection's placeholder style."""
        return statement if self._dialect == "sqlite" else statement.replace("?", "%s")

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A cursor in a transaction: committed on success, rolled back on error. Inside
        :meth:`batch` the batch's transaction is used, and committed when the batch ends.
        The whole call runs under the store's deadline (PostgreSQL)."""
        with self._watched():
            try:
                cursor = self._connection.cursor()
                try:
                    yield cursor
                    if not self._batch_depth:
                        self._connection.commit()
                except BaseException:
                    if not self._batch_depth:
                        self.rollback()
                    raise
                finally:
                    cursor.close()
            except CentreStoreError:
                raise
            except Exception as error:
                raise self._failure(error) from error

    @contextmanager
    def _watched(self) -> Iterator[None]:
        """A call on the connection, under the store's deadline (PostgreSQL; SQLite has its
        busy timeout instead)."""
        deadline = self._deadline
        if deadline is None:
            yield
            return
        deadline.arm()
        try:
            yield
        finally:
            deadline.disarm()

    def _failure(self, error: Exception) -> Exception:
        """The store error for a database error (anything else is a bug: as it is)."""
        if not is_database_error(error):
            return error
        deadline = self._deadline
        if deadline is not None and deadline.fired:
            return CentreStoreError(
                f"the centre's store at {redacted(self.url)} did not answer within "
                f"{deadline.deadline_s:g} s (--store-deadline): the call was abandoned and its "
                "connection closed; nothing was acknowledged, the broker keeps the message")
        return CentreStoreError(
            f"the centre's store at {redacted(self.url)} failed: {error}; nothing was "
            "acknowledged, the broker keeps the message"
        )

    def rollback(self) -> None:
        """Roll the open transaction back; a connection that is gone is left as it is."""
        self._forget_pending()
        with self._watched(), suppress(Exception):
            self._connection.rollback()

    def _forget_pending(self) -> None:
        """Drop the writes held for the batch's commit."""
        self._recalled.clear()
        self._messages.clear()
        self._devices.clear()
        self._incidents.clear()
        self._changes.clear()

    def _write_pending(self) -> None:
        """Write what the batch held back: each device's and incident's latest state once,
        every incident change (many rows per statement)."""
        if not (self._messages or self._devices or self._incidents or self._changes):
            return
        cursor = self._connection.cursor()
        try:
            if self._messages:
                cursor.executemany(self._sql(INSERT_MESSAGE), self._messages)
                if 0 <= cursor.rowcount < len(self._messages):
                    raise CentreStoreError(
                        f"{len(self._messages) - cursor.rowcount} message(s) of the group were "
                        "stored by another centre process meanwhile; nothing of the group was "
                        "kept, it is judged again")
            if self._devices:
                cursor.executemany(self._sql(UPSERT_DEVICE),
                                   [device_params(d) for d in self._devices.values()])
            if self._incidents:
                cursor.executemany(self._sql(UPSERT_INCIDENT),
                                   [incident_params(i) for i in self._incidents.values()])
            if self._changes:
                cursor.executemany(self._sql(INSERT_CHANGE), self._changes)
        finally:
            cursor.close()
            self._forget_pending()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction (one commit) for every write inside; all or nothing."""
        if self._batch_depth:
            yield
            return
        self._batch_depth = 1
        try:
            yield
            with self._watched():
                try:
                    self._write_pending()
                    self._connection.commit()
                except Exception as error:
                    raise self._failure(error) from error
        except BaseException:
            self.rollback()
            raise
        finally:
            self._batch_depth = 0

    def resume(self, tenant: str | None = None) -> ResumedState:
        """Device states and open incidents (of ``tenant``, or all), as stored."""
        mine = "" if tenant is None else " AND tenant = ?"
        tenant_args: tuple[str, ...] = () if tenant is None else (tenant,)
        with self._transaction() as cursor:
            cursor.execute(self._sql(SELECT_DEVICES + " WHERE 1 = 1" + mine), tenant_args)
            devices = [DeviceRow(*row) for row in cursor.fetchall()]
            cursor.execute(self._sql(SELECT_OPEN + mine), (OPEN, *tenant_args))
            incidents = [IncidentChange(*row) for row in cursor.fetchall()]
        return ResumedState(devices, incidents, self.counts())

    def recall(self, keys: Sequence[tuple[str, str, str]], now: float) -> None:
        """Inside :meth:`batch`: read what is stored under these ``(tenant, device_id,
        message_id)`` in one query per :data:`RECALL_CHUNK`, so that :meth:`check_in` needs no
        query of its own."""
        if not self._batch_depth:
            return
        wanted = list(dict.fromkeys(k for k in keys if k not in self._recalled))
        with self._transaction() as cursor:
            for start in range(0, len(wanted), RECALL_CHUNK):
                chunk = wanted[start:start + RECALL_CHUNK]
                rows = ", ".join(["(?, ?, ?)"] * len(chunk))
                cursor.execute(self._sql(RECALL_MANY.format(rows=rows)),
                               (*(value for key in chunk for value in key),
                                now - DEDUP_WINDOW_S))
                for key in chunk:
                    self._recalled[key] = []
                for tenant, device_id, message_id, *row in cursor.fetchall():
                    self._recalled[(tenant, device_id, message_id)].append(remembered_row(*row))

    def check_in(self, topic: str, message_id: str, event: str, seq: int, ts: datetime,
                 now: float) -> str:
        """A message judged against the stored messages of its device with its id."""
        levels = topic.split("/")  # an accepted message's own topic: vt/v1/tenant/kind/id/...
        key = (levels[2], levels[4], message_id)
        if self._batch_depth and key not in self._recalled:
            self.recall([key], now)  # the batch's later copies must see this one
        recalled = self._recalled.get(key)
        if recalled is not None:
            judged = repeat_of(recalled, event, seq, ts, now)
            if judged != DUPLICATE:
                recalled.append((now, event, seq, ts))
            return judged
        with self._transaction() as cursor:
            cursor.execute(self._sql(RECALL_MESSAGE),
                           (levels[2], levels[4], message_id, now - DEDUP_WINDOW_S))
            remembered = [remembered_row(*row) for row in cursor.fetchall()]
        return repeat_of(remembered, event, seq, ts, now)

    def store_accepted(
        self, message: StoredMessage, device: DeviceRow, incidents: Sequence[IncidentChange]
    ) -> bool:
        """Store a message, its device's new state and its incidents; False if already stored."""
        if self._batch_depth:  # written with the batch (its check_in ruled out a copy)
            self._messages.append(message_params(message, time.time()))
            self._hold(device, incidents)
            return True
        with self._transaction() as cursor:
            cursor.execute(self._sql(INSERT_MESSAGE), message_params(message, time.time()))
            if cursor.rowcount == 0:
                return False
            cursor.execute(self._sql(UPSERT_DEVICE), device_params(device))
            self._write_incidents(cursor, incidents)
        return True

    def _hold(self, device: DeviceRow | None, incidents: Sequence[IncidentChange]) -> None:
        """Keep writes for the batch's commit (the latest state of each row wins)."""
        if device is not None:
            self._devices[(device.tenant, device.device_id)] = device
        for change in incidents:
            self._incidents[change.incident_id] = change
            self._changes.append((change.incident_id, change.state, change.at, change.detail))

    def store_rejection(self, rejection: StoredRejection) -> None:
        """Store a rejected message."""
        with self._transaction() as cursor:
            cursor.execute(self._sql(INSERT_REJECTION), (
                rejection.topic, rejection.tenant, rejection.device_id, rejection.message_id,
                rejection.reason, rejection.detail, rejection.received_at, time.time()))

    def store_incidents(self, incidents: Sequence[IncidentChange]) -> None:
        """Store incidents the centre raises or resolves by itself."""
        if incidents and self._batch_depth:
            self._hold(None, incidents)
        elif incidents:
            with self._transaction() as cursor:
                self._write_incidents(cursor, incidents)

    def store_device(self, device: DeviceRow) -> None:
        """Store a device's state."""
        if self._batch_depth:
            self._hold(device, ())
            return
        with self._transaction() as cursor:
            cursor.execute(self._sql(UPSERT_DEVICE), device_params(device))

    def _write_incidents(self, cursor: Any, incidents: Sequence[IncidentChange]) -> None:
        """Each incident in its new state, and the change in its history."""
        for change in incidents:
            cursor.execute(self._sql(UPSERT_INCIDENT), incident_params(change))
            cursor.execute(self._sql(INSERT_CHANGE),
                           (change.incident_id, change.state, change.at, change.detail))

    def take_devices(self, keys: Sequence[tuple[str, str]], window_s: float, now: float
                     ) -> DevicesTaken:
        """Lock these devices until the batch ends and read their stored state and their
        alarm incidents opened within ``window_s`` (PostgreSQL; see :class:`CentreStore`)."""
        if self._dialect != "postgresql":
            raise CentreStoreError("only a PostgreSQL store can be shared by centre processes")
        unique = sorted(set(keys))
        if not unique:
            return DevicesTaken()
        tenants = [tenant for tenant, _ in unique]
        device_ids = [device_id for _, device_id in unique]
        with self._transaction() as cursor:
            cursor.execute(LOCK_DEVICES, ([f"{t}/{d}" for t, d in unique],))
            cursor.execute(SELECT_TAKEN_DEVICES, (tenants, device_ids))
            devices = [DeviceRow(*row) for row in cursor.fetchall()]
            cursor.execute(SELECT_TAKEN_ALARMS, (tenants, device_ids, OPEN, now - window_s,
                                                 list(CENTRE_KINDS)))
            alarms = [IncidentChange(*row) for row in cursor.fetchall()]
        return DevicesTaken(devices, alarms)

    def take_check(self) -> None:
        """Lock the periodic check until the batch ends (PostgreSQL)."""
        if self._dialect != "postgresql":
            return
        with self._transaction() as cursor:
            cursor.execute(LOCK_CHECK)

    def counts(self) -> StoredCounts:
        """How many messages, rejections and incidents are stored."""
        with self._transaction() as cursor:
            cursor.execute(self._sql(COUNTS), (OPEN,))
            row = cursor.fetchone()
        return StoredCounts(*(int(value) for value in row))

    def close(self) -> None:
        """Close the connection (and stop watching its calls)."""
        if self._deadline is not None:
            self._deadline.close()
        self._connection.close()


def remembered_row(received_at: float, event: str, seq: int, device_ts: str) -> Remembered:
    """A stored message as the duplicate rule compares it."""
    return (received_at, event, seq, datetime.fromisoformat(device_ts))


def is_database_error(error: Exception) -> bool:
    """Whether ``error`` comes from the database driver (not from a bug of the centre)."""
    if isinstance(error, sqlite3.Error):
        return True
    module = type(error).__module__
    return module.startswith("psycopg")


# --- a store in memory (tests, and a centre without --db) -----------------------------------


class MemoryStore:
    """The store's behaviour without a file: message ids in bounded memory
    (:class:`devices.contract.reception.MessageMemory`), counts in integers.

    For the in-process tests and the benchmarks; nothing survives the process.
    """

    url = "memory:"

    def __init__(self) -> None:
        """An empty store."""
        self._memory = MessageMemory()
        self._accepted = 0
        self._incidents: dict[str, IncidentChange] = {}
        self._devices: dict[tuple[str, str], DeviceRow] = {}
        self._rejections = 0

    def resume(self, tenant: str | None = None) -> ResumedState:
        """Device states and open incidents (of ``tenant``, or all), as held."""
        return ResumedState(
            [d for d in self._devices.values() if tenant in (None, d.tenant)],
            [i for i in self._incidents.values() if i.state == OPEN and tenant in (None, i.tenant)],
            self.counts())

    def check_in(self, topic: str, message_id: str, event: str, seq: int, ts: datetime,
                 now: float) -> str:
        """A message judged against the messages held in memory (and remembered)."""
        return self._memory.check_in(topic, message_id, event, seq, ts, now)

    def store_accepted(
        self, message: StoredMessage, device: DeviceRow, incidents: Sequence[IncidentChange]
    ) -> bool:
        """Hold a message's device and incidents (its id is held since :meth:`check_in`)."""
        self._accepted += 1
        self.store_device(device)
        self.store_incidents(incidents)
        return True

    def store_rejection(self, rejection: StoredRejection) -> None:
        """Count a rejection."""
        self._rejections += 1

    def store_incidents(self, incidents: Sequence[IncidentChange]) -> None:
        """Hold incidents in their latest state."""
        for change in incidents:
            self._incidents[change.incident_id] = change

    def store_device(self, device: DeviceRow) -> None:
        """Hold a device's state."""
        self._devices[(device.tenant, device.device_id)] = device

    def counts(self) -> StoredCounts:
        """How much is held."""
        open_count = sum(1 for i in self._incidents.values() if i.state == OPEN)
        return StoredCounts(self._accepted, self._rejections, len(self._incidents), open_count)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Nothing to group: every write is held at once."""
        yield

    def take_devices(self, keys: Sequence[tuple[str, str]], window_s: float, now: float
                     ) -> DevicesTaken:
        """Memory is never shared: refused."""
        raise CentreStoreError("a store in memory cannot be shared by centre processes")

    def take_check(self) -> None:
        """Nothing to lock."""

    def close(self) -> None:
        """Nothing to close."""


# --- opening a store from its URL -----------------------------------------------------------


def open_store(url: str, deadline_s: float = STORE_DEADLINE_S) -> CentreStore:
    """The store named by ``url``: ``sqlite:///path``, ``postgresql://…`` (each call within
    ``deadline_s``) or ``memory:``."""
    scheme = urlsplit(url).scheme
    if not 0 < deadline_s <= MAX_STORE_DEADLINE_S:  # nan fails both comparisons
        raise CentreStoreError(f"the store deadline must be more than 0 and at most "
                               f"{MAX_STORE_DEADLINE_S:g} s, got {deadline_s!r}")
    if url == "memory:":
        return MemoryStore()
    if scheme == "sqlite":
        return open_sqlite(url)
    if scheme in ("postgresql", "postgres"):
        return open_postgresql(url, deadline_s)
    raise CentreStoreError(
        f"unknown store {url!r}: use sqlite:///path/centre.db (the default is {DEFAULT_DB}), "
        "postgresql://user@host:5432/database or memory:"
    )


def sqlite_path(url: str) -> Path:
    """The file of ``sqlite:///relative.db`` or ``sqlite:////absolute/path.db``."""
    path = unquote(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else ""
    if not path:
        raise CentreStoreError(f"store URL {url!r} names no file; e.g. sqlite:///centre.db")
    return Path(path)


def open_sqlite(url: str) -> SqlCentreStore:
    """A SQLite store in WAL mode (created if missing)."""
    path = sqlite_path(url)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S,
                                     isolation_level="DEFERRED")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
    except (OSError, sqlite3.Error) as error:
        raise CentreStoreError(f"cannot open the centre's store {path}: {error}") from error
    return SqlCentreStore(url, connection, "sqlite")


def open_postgresql(url: str, deadline_s: float = STORE_DEADLINE_S) -> SqlCentreStore:
    """A PostgreSQL store through psycopg 3 (tables created if missing), each call on its
    connection abandoned after ``deadline_s`` (:class:`CallDeadline`)."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    try:
        connection = psycopg.connect(make_conninfo(url, **postgresql_parameters(url, deadline_s)))
    except psycopg.Error as error:
        raise CentreStoreError(
            f"cannot connect to the centre's store {redacted(url)}: {error}".strip()
        ) from error
    try:
        deadline = watch_postgresql(connection, deadline_s)
    except BaseException:
        connection.close()
        raise
    return SqlCentreStore(url, connection, "postgresql", deadline)


def postgresql_parameters(url: str, deadline_s: float) -> dict[str, str]:
    """The libpq parameters the centre adds to ``url`` (those it does not set itself): a
    connect timeout within the deadline, TCP keepalives (:data:`PG_KEEPALIVES`) and
    ``tcp_user_timeout`` (data sent and not acknowledged by the server's host for longer than
    the deadline ends the connection)."""
    from psycopg.conninfo import conninfo_to_dict

    wanted = {"connect_timeout": str(max(2, min(PG_CONNECT_TIMEOUT_S, math.ceil(deadline_s)))),
              **PG_KEEPALIVES, "tcp_user_timeout": str(math.ceil(deadline_s * 1000))}
    given = conninfo_to_dict(url)
    return {name: value for name, value in wanted.items() if name not in given}


def watch_postgresql(connection: Any, deadline_s: float) -> CallDeadline:
    """A deadline on ``connection``'s calls: an overdue call is cancelled if the libpq can do
    that without blocking (libpq 17 or later), then its socket is shut down."""
    from psycopg import capabilities

    def cancel(timeout_s: float) -> None:
        if capabilities.has_cancel_safe():  # an older libpq's cancel would block on a hung server
            connection.cancel_safe(timeout=timeout_s)

    line = SocketLine(connection.fileno())
    return CallDeadline(deadline_s, cancel, line.sever, line.close)


def redacted(url: str) -> str:
    """A store URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)
