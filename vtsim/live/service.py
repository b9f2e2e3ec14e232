"""``vtsim centre`` as a service: the live centre on a broker and its store, until stopped.

:func:`run_centre` opens the store, connects the :class:`vtsim.live.centre.LiveCentre` to the
broker and runs the service loop in the calling thread until SIGINT/SIGTERM (or a given stop
event): it delivers messages to the centre, watches the broker connection, raises incidents
for devices gone silent, and every ``health_interval_s`` publishes the retained health report
(:mod:`vtsim.live.health`). The loop knows nothing of the terminal: it tells a
:class:`CentreDisplay` what happens, and :mod:`vtsim.live.centre_view` renders it.

The centre keeps a persistent MQTT session (a fixed client id, clean start off, a session
expiry): messages published while it is down wait at the broker and arrive when it is back.
Each one is acknowledged to the broker only after it is stored (``manual_ack``).
"""

from __future__ import annotations

import signal
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
from devices.transport.mqtt import BrokerAddress, MqttError, MqttTransport
from vtsim.live.centre import Answer, CentreSnapshot, LiveCentre
from vtsim.live.health import ALL_TENANTS, health_report, health_topic, stopped_report
from vtsim.live.loss_log import LossLog
from vtsim.live.scaip_channel import ScaipChannel
from vtsim.live.store import DEFAULT_DB, IncidentChange, open_store

DRAIN_WAIT_S: Final = 0.05
DRAIN_BATCH: Final = 2_000
ANSWER_TIMEOUT_S: Final = 5.0
HEALTH_INTERVAL_S: Final = 5.0
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

    @property
    def centre_id(self) -> str:
        """The fixed MQTT client id: the broker keeps this centre's session under it."""
        return self.client_id or f"vtsim-centre-{self.tenant or ALL_TENANTS}"


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

    def showing(self) -> AbstractContextManager[object]:
        """The display's lifetime around the service loop."""


def run_centre(options: CentreOptions, display: CentreDisplay,
               stop: threading.Event | None = None) -> CentreSnapshot:
    """Connect, store, validate and answer until SIGINT/SIGTERM (or ``stop`` is set); return
    the final counts.

    Raises :class:`devices.transport.mqtt.BrokerUnavailable` if the broker cannot be reached at
    start, :class:`vtsim.live.store.CentreStoreError` if the store cannot be opened or written
    (the messages not yet stored stay unacknowledged at the broker).
    """
    store = open_store(options.db)
    transport = MqttTransport(options.address, options.centre_id,
                              protocol=5 if options.protocol == 5 else 3,
                              publish_timeout_s=ANSWER_TIMEOUT_S, clean_start=False,
                              session_expiry_s=options.session_expiry_s, manual_ack=True,
                              will=(health_topic(options.tenant), stopped_report()))
    try:
        centre = LiveCentre(transport, tenant=options.tenant, store=store,
                            limits=options.limits, rate_limit=options.rate_limit,
                            silence_slack_s=options.silence_slack_s, on_answer=display.answered,
                            correlation_window_s=options.correlation_window_s)
        centre.start()
        ScaipChannel(centre).start()
        with stopping(stop) as stop_event:
            transport.connect()
            display.started(options, transport.protocol, store.url)
            try:
                ServiceLoop(transport, centre, options, display).run(stop_event)
                publish_health(transport, centre, options, "stopped")
            finally:
                transport.flush(ANSWER_TIMEOUT_S)
                transport.close()
        return centre.snapshot()
    finally:
        store.close()


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
    """An event set by SIGINT (Ctrl-C) or SIGTERM; the previous handlers come back after."""
    stop = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stop.set())
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def publish_health(transport: MqttTransport, centre: LiveCentre, options: CentreOptions,
                   state: str = "running") -> dict[str, object]:
    """Publish the retained health report (QoS 1); return it."""
    centre.refresh_stored()
    report = health_report(centre.snapshot(), transport.stats, transport.connected,
                           options.address.url, time.time(), state)
    if not transport.connected:
        return report  # not queued: a stale report is worth nothing once the broker is back
    with suppress(MqttError):  # the broker refused it; the next report goes in a few seconds
        transport.publish(health_topic(options.tenant), orjson.dumps(report), qos=1,
                          retain=True)
    return report


class ServiceLoop:
    """The receive loop: drain messages, watch the connection and silence, report health."""

    def __init__(self, transport: MqttTransport, centre: LiveCentre, options: CentreOptions,
                 display: CentreDisplay) -> None:
        """A loop over a connected transport, with the centre subscribed."""
        self._transport = transport
        self._centre = centre
        self._options = options
        self._display = display
        self._connected = True
        self._last_health: float | None = None
        self._last_refresh = time.monotonic()
        self._report: dict[str, object] | None = None
        self._loss_log = LossLog()

    def run(self, stop: threading.Event) -> None:
        """Serve until ``stop`` is set."""
        with self._display.showing():
            while not stop.is_set():
                self.serve_once()

    def serve_once(self) -> None:
        """One turn: deliver what arrived, then the checks that are due."""
        self._transport.drain(timeout=DRAIN_WAIT_S, max_messages=DRAIN_BATCH)
        self._watch_connection()
        now = time.monotonic()
        if (self._last_health is None
                or now - self._last_health >= self._options.health_interval_s):
            self._check_health()
            self._last_health = now
        every = self._display.refresh_every_s
        if every is not None and now - self._last_refresh >= every:
            self._display.refresh(ServiceState(self._centre.snapshot(), self._connected, now,
                                               time.time(), self._report))
            self._last_refresh = now

    def _watch_connection(self) -> None:
        """Tell the display when the broker connection goes away or comes back."""
        connected = self._transport.connected
        if connected != self._connected:
            self._connected = connected
            self._display.connection_changed(connected)

    def _check_health(self) -> None:
        """Raise incidents for silent devices, then publish the health report."""
        raised = self._centre.check_silence()
        if raised:
            self._display.incidents_raised(raised)
        self._report = publish_health(self._transport, self._centre, self._options)
        self._loss_log.note(self._report, time.monotonic())
