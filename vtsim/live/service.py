"""``vtsim centre`` as a service: the live centre on a broker and its store, until stopped.

:func:`run_centre` opens the store, connects the :class:`vtsim.live.centre.LiveCentre` to the
broker and runs the service loop in the calling thread until SIGINT/SIGTERM (or a given stop
event): it hands the messages that arrived to the centre in groups (one store commit per
group: the messages that came while the last commit ran), watches the broker connection and
raises incidents for devices gone silent. The loop knows nothing of the terminal: it tells a
:class:`CentreDisplay` what happens, and :mod:`vtsim.live.centre_view` renders it.

The centre keeps a persistent MQTT session (a fixed client id, clean start off, a session
expiry): messages published while it is down wait at the broker and arrive when it is back.
Each one is acknowledged to the broker only after it is stored (``manual_ack``).

Faults. When the store fails, the centre stops acknowledging (the broker keeps the messages),
says so (display, health), retries the same messages with exponential backoff on a new
connection and carries on once the store is back: it exits only when told to. A PostgreSQL
call that does not come back within ``store_deadline_s`` is abandoned and fails the same way
(:data:`vtsim.live.store.STORE_DEADLINE_S`); until then the health report says the store is
``busy``. A stop
(SIGTERM, Ctrl-C) is checked before every message and every wait is bounded, so the centre
exits within a few seconds under any backlog, a frozen broker or a hung database
(:data:`STOP_GRACE_S`); messages not yet stored stay unacknowledged at the broker.

Health. A thread of its own (:class:`HealthReporter`) publishes the retained health report
every ``health_interval_s``, whatever the message loop is doing: backlog, lag, store and broker
state. The centre's last will on the same topic says ``down``; so does its last report on a
clean stop. When the broker cannot take that report (frozen, away), the centre leaves without
a clean disconnect, so that the broker publishes the will.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from typing import Final, Protocol

import orjson

from devices.contract.codec import DEFAULT_LIMITS, Limits
from devices.contract.rate_limit import RateLimit
from devices.contract.reception import DEFAULT_CORRELATION_WINDOW_S
from devices.transport.mqtt import BrokerAddress, MqttError, MqttTransport, ReceivedMessage
from vtsim.live.centre import Answer, CentreSnapshot, LiveCentre
from vtsim.live.health import ALL_TENANTS, health_report, health_topic, loss_figures, lost_report
from vtsim.live.intake import FairIntake
from vtsim.live.loss_log import LossLog
from vtsim.live.scaip_channel import ScaipChannel
from vtsim.live.store import (
    DEFAULT_DB,
    STORE_DEADLINE_S,
    CentreStore,
    CentreStoreError,
    IncidentChange,
    open_store,
    require_shared_store,
)

DRAIN_WAIT_S: Final = 0.05
GROUP_MAX: Final = 1_000
"""Most messages judged and committed together (one store transaction)."""
ANSWERS_QUEUED: Final = 20_000
"""Answers that may wait in the MQTT client's queue while the broker is slow to take them
(beyond the 1,000 on the wire), before an answer waits, and after 5 s fails."""
RECEIVE_MAXIMUM: Final = 5 * GROUP_MAX
"""MQTT 5: at most this many messages delivered and not yet acknowledged (stored): the backlog
in the centre's memory is bounded (at most 5,000 payloads of at most 16 KiB), the rest waits at
the broker, in the order it came. Room for a flood of a few thousand, so that the broker does
not keep the other devices' alarms behind it: the centre's intake serves devices in turn."""
ANSWER_TIMEOUT_S: Final = 5.0
HEALTH_INTERVAL_S: Final = 5.0
GAP_WAIT_S: Final = 5.0
"""How long a gap in a device's sequence may wait for late (reordered) numbers before it is a
``possible_loss`` incident (a broker restart delivers out of order)."""
STORE_RETRY_S: Final = (0.5, 30.0)
"""First and longest wait before the centre tries a failed store again (doubling)."""
STORE_BUSY_AFTER_S: Final = 2.0
"""A group in hand this long is reported as a store that does not answer (``busy``)."""
STOP_GRACE_S: Final = 5.0
"""After a stop is asked, the longest the centre takes to leave: then it ends the process
(nothing unstored was acknowledged, the broker keeps it)."""
CLOSE_WAIT_S: Final = 2.0
"""How long the last answers and the last health report may take to reach the broker."""
STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)
EXIT_STUCK: Final = 3
"""Exit code when the stop grace ran out (a hung database or broker)."""
SESSION_EXPIRY_S: Final = 7 * 86_400
"""How long the broker keeps the centre's session (and its queued messages) while it is down."""


@dataclass(frozen=True, slots=True)
class CentreOptions:
    """What ``vtsim centre`` was asked to do."""

    address: BrokerAddress
    tenant: str | None = None
    protocol: int = 5
    db: str = DEFAULT_DB
    client_id: str | None = None
    session_expiry_s: int = SESSION_EXPIRY_S
    rate_limit: RateLimit | None = None
    limits: Limits = DEFAULT_LIMITS
    health_interval_s: float = HEALTH_INTERVAL_S
    silence_slack_s: float = 30.0
    correlation_window_s: float = DEFAULT_CORRELATION_WINDOW_S
    gap_wait_s: float = GAP_WAIT_S
    tenants: tuple[str, ...] = ()
    """More tenants served besides ``tenant`` (a centre shared by several municipalities)."""
    share_group: str | None = None
    """The MQTT 5 share group of the centre processes that share the load (None: alone)."""
    store_deadline_s: float = STORE_DEADLINE_S
    """How long a call on a PostgreSQL store may take before it is abandoned (a store
    failure: retried on a new connection)."""

    @property
    def served(self) -> tuple[str, ...]:
        """Every tenant served (empty: every tenant on the broker)."""
        named = ([] if self.tenant is None else [self.tenant]) + list(self.tenants)
        return tuple(dict.fromkeys(named))

    @property
    def scope(self) -> str | None:
        """The tenant level of the health topic: the one tenant served, else None (``_all``)."""
        served = self.served
        return served[0] if len(served) == 1 else None

    @property
    def centre_id(self) -> str:
        """The MQTT client id: the broker keeps this centre's session under it. A process of
        a share group gets one of its own by default (host and process id)."""
        if self.client_id:
            return self.client_id
        if self.share_group is not None:
            host = "".join(c if c.isalnum() or c in "-_." else "-" for c in socket.gethostname())
            return f"vtsim-centre-{self.share_group}-{host[:24]}-{os.getpid()}"
        return f"vtsim-centre-{self.scope or ALL_TENANTS}"

    @property
    def health_topic(self) -> str:
        """Where this process reports its health (one topic per process in a share group)."""
        return health_topic(self.scope, None if self.share_group is None else self.centre_id)


@dataclass(frozen=True, slots=True)
class ServiceState:
    """What the service shows at a refresh: the centre's counts and the broker connection."""

    snapshot: CentreSnapshot
    connected: bool
    monotonic_s: float
    """When the state was taken (``time.monotonic``), for rates between refreshes."""
    now: float
    """The same moment as epoch seconds, for "last seen" ages."""
    report: dict[str, object] | None
    """The latest health report published (None before the first)."""


class CentreDisplay(Protocol):
    """Whoever shows the service at work (a live table, one line per verdict, a test)."""

    refresh_every_s: float | None
    """Seconds between :meth:`refresh` calls; None: never."""

    def started(self, options: CentreOptions, protocol: int, store_url: str) -> None:
        """The centre listens: on ``options.address``, with MQTT ``protocol`` (5 or 3)."""

    def answered(self, answer: Answer) -> None:
        """The centre judged and answered one message."""

    def connection_changed(self, connected: bool) -> None:
        """The broker connection went away or came back."""

    def incidents_raised(self, incidents: list[IncidentChange]) -> None:
        """Devices went silent: the centre raised these incidents."""

    def refresh(self, state: ServiceState) -> None:
        """The centre's counts, every :attr:`refresh_every_s`."""

    def store_changed(self, failing: bool, detail: str) -> None:
        """The store failed (``failing``; ``detail`` says why and when the next try is), or it
        works again."""

    def showing(self) -> AbstractContextManager[object]:
        """The display's lifetime around the service loop."""


def run_centre(options: CentreOptions, display: CentreDisplay,
               stop: threading.Event | None = None) -> CentreSnapshot:
    """Connect, store, validate and answer until SIGINT/SIGTERM (or ``stop`` is set); return
    the final counts.

    Raises :class:`devices.transport.mqtt.BrokerUnavailable` if the broker cannot be reached at
    start, :class:`vtsim.live.store.CentreStoreError` if the store cannot be opened at start.
    Later store failures are waited out (see the module's docstring).
    """
    if options.share_group is not None:
        require_shared_store(options.db)
    store = open_store(options.db, options.store_deadline_s)
    transport = MqttTransport(options.address, options.centre_id,
                              protocol=5 if options.protocol == 5 else 3,
                              publish_timeout_s=ANSWER_TIMEOUT_S, clean_start=False,
                              session_expiry_s=options.session_expiry_s, manual_ack=True,
                              receive_maximum=RECEIVE_MAXIMUM, max_queued=ANSWERS_QUEUED,
                              will=(options.health_topic, lost_report()))
    centre: LiveCentre | None = None
    try:
        centre = LiveCentre(transport, tenant=options.tenant, tenants=options.tenants,
                            share_group=options.share_group, store=store,
                            limits=options.limits, rate_limit=options.rate_limit,
                            silence_slack_s=options.silence_slack_s, on_answer=display.answered,
                            correlation_window_s=options.correlation_window_s,
                            gap_wait_s=options.gap_wait_s)
        centre.start()
        ScaipChannel(centre).start()
        with stopping(stop) as stop_event:
            transport.connect()
            display.started(options, transport.protocol, store.url)
            loop = ServiceLoop(transport, centre, options, display)
            reporter = HealthReporter(transport, options, loop.status, stop_event)
            reporter.start()
            try:
                loop.run(stop_event)
            finally:
                leave(transport, reporter, loop)
        return centre.snapshot()
    finally:
        (store if centre is None else centre.store).close()


def leave(transport: MqttTransport, reporter: HealthReporter, loop: ServiceLoop) -> None:
    """Say ``down`` and disconnect; without a clean disconnect when the broker cannot take the
    last report, so that it publishes the centre's last will."""
    transport.stop_waiting()
    loop.status.snapshot = loop.snapshot()
    reporter.finish()
    delivered = transport.flush(CLOSE_WAIT_S)
    if delivered:
        transport.close()
    else:
        transport.abandon()


@contextmanager
def stopping(stop: threading.Event | None) -> Iterator[threading.Event]:
    """``stop`` itself, or (None) an event set by SIGINT or SIGTERM."""
    if stop is not None:
        yield stop
        return
    with stop_on_signals() as signalled:
        yield signalled


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT (Ctrl-C) or SIGTERM; the previous handlers come back after.

    Python runs a signal handler only when the main thread runs Python code; a main thread
    blocked inside a database driver (a hung server) would never see the signal. So the
    signal's number also goes to a socket (``signal.set_wakeup_fd``), which a thread of its own
    watches: the stop is known at once, and the health thread ends a stop that hangs.
    """
    stop = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stop.set())
                for signum in STOP_SIGNALS}
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    watcher = threading.Thread(target=watch_signals, args=(reader, stop), daemon=True,
                               name="centre-signals")
    watcher.start()
    try:
        yield stop
    finally:
        signal.set_wakeup_fd(previous_fd)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        writer.close()  # ends the watcher
        watcher.join(1.0)
        reader.close()


def watch_signals(reader: socket.socket, stop: threading.Event) -> None:
    """Set ``stop`` when SIGINT or SIGTERM is written to ``reader``; end when it closes."""
    wanted = {int(signum) for signum in STOP_SIGNALS}
    while True:
        try:
            data = reader.recv(64)
        except OSError:
            return
        if not data:
            return
        if wanted.intersection(data):
            stop.set()


@dataclass(slots=True)
class LoopStatus:
    """What the message loop is doing, for the health thread (plain values: written by the
    loop, read by the reporter; each assignment is atomic)."""

    snapshot: CentreSnapshot
    connected: bool = True
    store_error: str = ""
    """The store's latest error while it fails; empty while it works."""
    store_failed_at: float | None = None
    """Since when (epoch s) the store fails."""
    store_retries: int = 0
    next_retry_at: float | None = None
    group_started: float | None = None
    """When (monotonic s) the group in hand (or the periodic check) was begun; None between
    them."""
    in_hand: int = 0
    oldest_in_hand: float | None = None
    """Receive time (epoch s) of the oldest message taken but not yet acknowledged."""
    last_received_at: float | None = None
    """Receive time of the latest message handled."""
    stopping_since: float | None = None
    """When (monotonic s) a stop was asked."""
    finished: bool = False
    report: dict[str, object] | None = None
    """The latest health report published (for the display)."""


class HealthReporter:
    """Publishes the retained health report every ``health_interval_s`` from a thread of its
    own, so that a busy or stuck message loop cannot silence it; ends the process when a stop
    does not finish within :data:`STOP_GRACE_S`."""

    TICK_S: Final = 0.1

    def __init__(self, transport: MqttTransport, options: CentreOptions, status: LoopStatus,
                 stop: threading.Event) -> None:
        """A reporter for the loop whose ``status`` it reads; not started."""
        self._transport = transport
        self._options = options
        self._status = status
        self._stop = stop
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="centre-health", daemon=True)
        self.latest: dict[str, object] | None = None
        self.published = 0

    def start(self) -> None:
        """Publish the first report now, then every interval."""
        self.publish()
        self._thread.start()

    def _run(self) -> None:
        """Tick: publish when due, stop the transport's waits once a stop is asked, and end
        the process when the stop takes too long."""
        last = time.monotonic()
        while not self._done.wait(self.TICK_S):
            now = time.monotonic()
            if self._stop.is_set():
                self._transport.stop_waiting()
                self._watch_stop(now)
            if now - last >= self._options.health_interval_s:
                self.publish()
                last = now

    def _watch_stop(self, now: float) -> None:
        """The stop was asked: leave at once if the loop has not finished within the grace."""
        status = self._status
        if status.stopping_since is None:
            status.stopping_since = now
        if status.finished or now - status.stopping_since < STOP_GRACE_S:
            return
        self.publish("down", "stopped while the store or the broker did not answer; the "
                     "messages not yet stored stay unacknowledged at the broker")
        if self._transport.flush(0.5):  # the broker answers: leave cleanly, so that it keeps
            self._transport.close()  # this report instead of publishing the last will
        print(f"vtsim centre: the stop did not finish within {STOP_GRACE_S:g} s (the store or "
              "the broker does not answer); leaving now. Nothing unstored was acknowledged: "
              "the broker delivers it again.", file=sys.stderr, flush=True)
        os._exit(EXIT_STUCK)

    def report(self, state: str | None = None, reason: str = "") -> dict[str, object]:
        """The health report as of now (see :func:`vtsim.live.health.health_report`)."""
        status, transport = self._status, self._transport
        now = time.time()
        stats = transport.stats
        connected = transport.connected
        failing = bool(status.store_error)
        if state is None:
            stopping = self._stop.is_set()
            state = "stopping" if stopping else (
                "running" if connected and not failing else "degraded")
        return health_report(
            status.snapshot, stats, connected, self._options.address.url, now, state,
            backlog=stats.queued + status.in_hand, lag_s=self._lag(now, stats.queued),
            store=self._store(now), reason=reason, share_group=self._options.share_group)

    def _lag(self, now: float, queued: int) -> float:
        """How far behind the centre is: the age of the oldest message in hand, else (while
        messages wait) of the latest handled, else the lag of the latest message handled."""
        status = self._status
        if status.oldest_in_hand is not None:
            return max(now - status.oldest_in_hand, 0.0)
        if queued and status.last_received_at is not None:
            return max(now - status.last_received_at, 0.0)
        return status.snapshot.lag_s

    def _store(self, now: float) -> dict[str, object]:
        """The store's state: ``ok``, ``failing`` (the error, since when, retries) or ``busy``
        (a commit has not come back for a while: a hung database)."""
        status = self._status
        if status.store_error:
            since = status.store_failed_at or now
            retry = status.next_retry_at
            return {"state": "failing", "error": status.store_error,
                    "failing_s": round(now - since, 1), "retries": status.store_retries,
                    "next_retry_s": None if retry is None else round(max(retry - now, 0.0), 1)}
        started = status.group_started
        busy = 0.0 if started is None else time.monotonic() - started
        if busy >= STORE_BUSY_AFTER_S:
            return {"state": "busy", "waiting_s": round(busy, 1),
                    "detail": "a commit has not come back: the database may be hung"}
        return {"state": "ok"}

    def publish(self, state: str | None = None, reason: str = "") -> None:
        """Publish the report (retained, QoS 1); never waits for a full window (the last
        report, ``down``, goes even then, behind the answers)."""
        report = self.report(state, reason)
        self.latest = self._status.report = report
        if not self._transport.connected:
            return  # not queued: a stale report is worth nothing once the broker is back
        with suppress(MqttError):  # the broker is slow or refused it; the next one follows
            self._transport.publish(self._options.health_topic, orjson.dumps(report),
                                    qos=1, retain=True, wait_s=0.0,
                                    beyond_window=state == "down")
            self.published += 1

    def finish(self) -> None:
        """Stop the thread and publish the last report: ``down``."""
        self._done.set()
        if self._thread.is_alive():
            self._thread.join(1.0)
        self._status.finished = True
        self.publish("down", "stopped")


class ServiceLoop:
    """The receive loop: handle messages in groups, ride out store failures, watch the
    connection and silence."""

    def __init__(self, transport: MqttTransport, centre: LiveCentre, options: CentreOptions,
                 display: CentreDisplay) -> None:
        """A loop over a connected transport, with the centre subscribed."""
        self._transport = transport
        self._centre = centre
        self._options = options
        self._display = display
        self.status = LoopStatus(centre.snapshot())
        self._last_check: float | None = None
        self._last_refresh = time.monotonic()
        self._retry_s = STORE_RETRY_S[0]
        self._loss_log = LossLog(known=self.status.snapshot.gaps)  # resumed from the store
        self._intake: FairIntake[ReceivedMessage] = FairIntake()

    def snapshot(self) -> CentreSnapshot:
        """The centre's counts now."""
        return self._centre.snapshot()

    def run(self, stop: threading.Event) -> None:
        """Serve until ``stop`` is set."""
        with self._display.showing():
            while not stop.is_set():
                self.serve_once(stop)

    def serve_once(self, stop: threading.Event) -> None:
        """One turn: handle what arrived (one group), then the checks that are due."""
        intake = self._intake
        intake.add(self._transport.take(timeout=0.0 if len(intake) else DRAIN_WAIT_S,
                                        max_messages=RECEIVE_MAXIMUM))
        if len(intake):
            self._handle(intake.group(GROUP_MAX), stop)
        self._watch_connection()
        now = time.monotonic()
        if self._last_check is None or now - self._last_check >= self._options.health_interval_s:
            self._check(stop)
            self._last_check = now
        every = self._display.refresh_every_s
        if every is not None and now - self._last_refresh >= every:
            self._display.refresh(ServiceState(self._centre.snapshot(), self.status.connected,
                                               now, time.time(), self.status.report))
            self._last_refresh = now

    def _handle(self, group: list[ReceivedMessage], stop: threading.Event) -> None:
        """Handle a group; while the store fails, retry it with backoff until it is stored
        or a stop is asked (then it stays unacknowledged at the broker, and in the intake)."""
        status = self.status
        remaining = group
        while remaining:
            status.in_hand = len(remaining) + len(self._intake)
            status.oldest_in_hand = min([m.received_at for m in remaining]
                                        + [self._intake.oldest_received_at() or float("inf")])
            status.group_started = time.monotonic()
            try:
                done = self._centre.handle_group(remaining, stop.is_set)
            except CentreStoreError as error:
                status.group_started = None
                if not self._wait_for_store(error, stop):
                    break
                continue
            finally:
                status.group_started = None
            status.last_received_at = remaining[done - 1].received_at
            remaining = remaining[done:]
            self._store_works()
            if stop.is_set():
                break
        self._intake.give_back(remaining)
        status.in_hand = len(self._intake)
        status.oldest_in_hand = self._intake.oldest_received_at()

    def _wait_for_store(self, error: CentreStoreError, stop: threading.Event) -> bool:
        """The store failed: say so, wait (backoff), connect again; False if a stop came."""
        status = self.status
        wait = self._retry_s
        self._retry_s = min(self._retry_s * 2, STORE_RETRY_S[1])
        first = not status.store_error
        status.store_error = str(error)
        if status.store_failed_at is None:
            status.store_failed_at = time.time()
        status.next_retry_at = time.time() + wait
        if first or status.store_retries % 10 == 0:
            self._display.store_changed(True, f"{error} (trying again in {wait:g} s)")
        if stop.wait(wait):
            return False
        status.store_retries += 1
        self._reopen_store()
        return True

    def _reopen_store(self) -> None:
        """A new connection to the store (the old one may be broken); on failure the next
        try does it again."""
        try:
            store: CentreStore = open_store(self._options.db, self._options.store_deadline_s)
        except CentreStoreError as error:
            self.status.store_error = str(error)
            return
        old = self._centre.store
        try:
            self._centre.use_store(store)
        except CentreStoreError as error:
            self.status.store_error = str(error)
            self._centre.store = old
            with suppress(Exception):
                store.close()
            return
        with suppress(Exception):
            old.close()

    def _store_works(self) -> None:
        """The store took a group: clear a failure that was reported."""
        status = self.status
        if status.store_error:
            failed_for = time.time() - (status.store_failed_at or time.time())
            self._display.store_changed(False, f"the store works again after {failed_for:.0f} s "
                                        f"and {status.store_retries} retries")
        status.store_error = ""
        status.store_failed_at = None
        status.store_retries = 0
        status.next_retry_at = None
        self._retry_s = STORE_RETRY_S[0]

    def _watch_connection(self) -> None:
        """Tell the display when the broker connection goes away or comes back."""
        connected = self._transport.connected
        if connected != self.status.connected:
            self.status.connected = connected
            self._display.connection_changed(connected)

    def _check(self, stop: threading.Event) -> None:
        """Raise incidents for silent devices and count what is stored. A check that fails
        is the store's failure like a group's (backoff, a new connection); the next check is
        then the try that tells whether the store works again, even when no message comes."""
        if stop.is_set():
            return
        self.status.group_started = time.monotonic()  # a check that hangs is reported busy too
        try:
            raised = self._centre.check_silence()
            self._centre.refresh_stored()
        except CentreStoreError as error:
            self.status.group_started = None
            self._wait_for_store(error, stop)
            return
        finally:
            self.status.group_started = None
        self._store_works()
        self.status.snapshot = self._centre.snapshot()  # the counts with the stored ones
        if raised:
            self._display.incidents_raised(raised)
        snapshot = self.status.snapshot
        self._loss_log.note(loss_figures(snapshot), time.monotonic())
