"""``vtsim centre``: the live centre on a broker, with a live table of devices and counts.

The logic is in :mod:`vtsim.live.centre`; this module connects it to a broker and its store,
runs the receive loop in the main thread, and shows what happens: a rich live table (devices,
verdicts, sequence gaps, broker connection, health), or one line per verdict with
``--no-live``.

The centre keeps a persistent MQTT session (a fixed client id, clean start off, a session
expiry): messages published while it is down wait at the broker and arrive when it is back.
Each one is acknowledged to the broker only after it is stored (``manual_ack``). Every
``health_interval_s`` it publishes a retained health report on
``vt/v1/{tenant or _all}/centre/health`` and raises incidents for devices gone silent.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from typing import Final

import orjson
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from devices.contract.codec import DEFAULT_LIMITS, Limits, format_ts
from devices.contract.rate_limit import RateLimit
from devices.contract.topics import PREFIX
from devices.transport.mqtt import BrokerAddress, MqttError, MqttStats, MqttTransport
from vtsim.live.centre import (
    ACCEPTED,
    RATE_LIMITED,
    Answer,
    CentreSnapshot,
    LiveCentre,
    TrackedDevice,
)
from vtsim.live.store import (
    DEFAULT_DB,
    DEVICE_OFFLINE,
    DEVICE_SILENT,
    POSSIBLE_LOSS,
    open_store,
    redacted,
)

REFRESH_S: Final = 0.25
DRAIN_WAIT_S: Final = 0.05
DRAIN_BATCH: Final = 2_000
SHOWN_DEVICES: Final = 20
ANSWER_TIMEOUT_S: Final = 5.0
HEALTH_INTERVAL_S: Final = 5.0
SESSION_EXPIRY_S: Final = 7 * 86_400
"""How long the broker keeps the centre's session (and its queued messages) while it is down."""
ALL_TENANTS: Final = "_all"
HEALTH_SCHEMA: Final = "1.0"


@dataclass(frozen=True, slots=True)
class CentreOptions:
    """What ``vtsim centre`` was asked to do."""

    address: BrokerAddress
    tenant: str | None = None
    live: bool = True
    protocol: int = 5
    db: str = DEFAULT_DB
    client_id: str | None = None
    session_expiry_s: int = SESSION_EXPIRY_S
    rate_limit: RateLimit | None = None
    limits: Limits = DEFAULT_LIMITS
    health_interval_s: float = HEALTH_INTERVAL_S
    silence_slack_s: float = 30.0

    @property
    def centre_id(self) -> str:
        """The fixed MQTT client id: the broker keeps this centre's session under it."""
        return self.client_id or f"vtsim-centre-{self.tenant or ALL_TENANTS}"


def health_topic(tenant: str | None) -> str:
    """``vt/v1/{tenant}/centre/health`` (``_all`` for a centre of every tenant)."""
    return f"{PREFIX}/{tenant or ALL_TENANTS}/centre/health"


def health_report(snapshot: CentreSnapshot, stats: MqttStats, connected: bool, url: str,
                  now: float, state: str = "running") -> dict[str, object]:
    """The health report: backlog, lag, broker connection, stored counts, silent devices."""
    stored = snapshot.stored
    return {
        "schema_version": HEALTH_SCHEMA,
        "ts": format_ts(now),
        "state": state,
        "broker": {"url": url, "connected": connected, "reconnects": stats.reconnects},
        "backlog": stats.queued,
        "lag_s": round(snapshot.lag_s, 3),
        "answers_in_flight": stats.in_flight,
        "messages": snapshot.messages,
        "stored": {"messages": stored.messages, "rejections": stored.rejections,
                   "incidents": stored.incidents, "open_incidents": stored.open_incidents},
        "devices": {"tracked": len(snapshot.devices),
                    "silent": snapshot.open_of_kind(DEVICE_SILENT),
                    "offline": snapshot.open_of_kind(DEVICE_OFFLINE)},
        "possible_loss": snapshot.gaps,
        "possible_loss_incidents": snapshot.open_of_kind(POSSIBLE_LOSS),
        "rate_limited": snapshot.totals.get(RATE_LIMITED, 0),
    }


def health_table(report: dict[str, object]) -> Table:
    """The health report as a two-column table."""
    table = Table(title="Health (retained on the health topic)", show_header=False,
                  expand=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    for key in ("backlog", "lag_s", "answers_in_flight", "stored", "devices", "possible_loss",
                "rate_limited"):
        value = report[key]
        shown = (", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict)
                 else str(value))
        table.add_row(key.replace("_", " "), shown)
    return table


# --- rendering ------------------------------------------------------------------------------


def device_table(snapshot: CentreSnapshot, now: float, limit: int = SHOWN_DEVICES) -> Table:
    """The most recently seen devices: status, last contact, sequence, verdicts, gaps."""
    table = Table(title=f"Devices ({len(snapshot.devices)}; latest {limit})", expand=False)
    for name in ("tenant", "device", "type", "status", "seen", "last seq", "accepted",
                 "rejected", "gaps"):
        table.add_column(name, justify="right" if name in ("seen", "last seq", "accepted",
                                                           "rejected", "gaps") else "left")
    for device in latest_devices(snapshot.devices, limit):
        table.add_row(*device_row(device, now))
    return table


def latest_devices(devices: list[TrackedDevice], limit: int) -> list[TrackedDevice]:
    """The ``limit`` devices heard from most recently."""
    return sorted(devices, key=lambda d: d.last_seen or 0.0, reverse=True)[:limit]


def device_row(device: TrackedDevice, now: float) -> tuple[str, ...]:
    """One table row for a device."""
    accepted = device.counts.get(ACCEPTED, 0)
    rejected = sum(device.counts.values()) - accepted
    seen = "-" if device.last_seen is None else f"{max(now - device.last_seen, 0.0):.0f} s ago"
    status = {"online": "[green]online[/]", "offline": "[red]offline[/]"}.get(
        device.status, device.status)
    gaps = f"[yellow]{device.gaps}[/]" if device.gaps else "0"
    return (device.tenant, device.device_id, device.device_type, status, seen,
            "-" if device.last_seq is None else str(device.last_seq), str(accepted),
            f"[red]{rejected}[/]" if rejected else "0", gaps)


def totals_table(snapshot: CentreSnapshot, connection: str, rate: float) -> Table:
    """Messages received, verdict counts, possible loss, answers that failed, broker state."""
    table = Table(title="Centre", show_header=False, expand=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("broker", connection)
    table.add_row("messages", f"{snapshot.messages} ({rate:.0f}/s)")
    for verdict, count in sorted(snapshot.totals.items(), key=lambda item: -item[1]):
        table.add_row(verdict, str(count))
    table.add_row("sequence gaps (possible loss)", str(snapshot.gaps))
    table.add_row("answers not sent", str(snapshot.answer_failures))
    if snapshot.untracked_devices:
        table.add_row("messages from untracked devices", str(snapshot.untracked_devices))
    return table


def render(snapshot: CentreSnapshot, connection: str, rate: float, now: float,
           report: dict[str, object] | None = None) -> Group:
    """The live view: totals and health above the device table."""
    parts = [totals_table(snapshot, connection, rate)]
    if report is not None:
        parts.append(health_table(report))
    return Group(*parts, device_table(snapshot, now))


def summary_line(snapshot: CentreSnapshot) -> str:
    """The final one-line summary."""
    accepted = snapshot.totals.get(ACCEPTED, 0)
    rejected = {k: v for k, v in snapshot.totals.items()
                if k != ACCEPTED and not k.startswith("status_")}
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(rejected.items())) or "none"
    return (f"{snapshot.messages} messages from {len(snapshot.devices)} devices: "
            f"{accepted} accepted; rejected: {reasons}; sequence gaps (possible loss): "
            f"{snapshot.gaps}; answers not sent: {snapshot.answer_failures}")


# --- running --------------------------------------------------------------------------------


class ConnectionReporter:
    """Tells when the broker connection goes away and comes back."""

    def __init__(self, console: Console, address: BrokerAddress) -> None:
        """Start from a connected state."""
        self._console = console
        self._address = address
        self.connected = True

    def check(self, connected: bool) -> None:
        """Report a change of the connection state."""
        if connected == self.connected:
            return
        self.connected = connected
        if connected:
            self._console.print(f"[green]reconnected to {self._address}[/]")
        else:
            self._console.print(
                f"[red]lost the broker at {self._address}; reconnecting with backoff…[/]")

    @property
    def label(self) -> str:
        """The connection state for the live table."""
        state = "[green]connected[/]" if self.connected else "[red]reconnecting[/]"
        return f"{self._address.url} {state}"


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


def run_centre(options: CentreOptions, console: Console) -> CentreSnapshot:
    """Connect, store, validate and answer until SIGINT/SIGTERM; return the final counts.

    Raises :class:`devices.transport.mqtt.BrokerUnavailable` if the broker cannot be reached at
    start,
    :class:`vtsim.live.store.CentreStoreError` if the store cannot be opened or written
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
                            silence_slack_s=options.silence_slack_s,
                            on_answer=None if options.live else print_answer(console))
        centre.start()
        with stop_on_signals() as stop:
            transport.connect()
            announce(console, options, transport, store.url)
            try:
                receive_until(stop, transport, centre, options, console)
                publish_health(transport, centre, options, "stopped")
            finally:
                transport.flush(ANSWER_TIMEOUT_S)
                transport.close()
        return centre.snapshot()
    finally:
        store.close()


def announce(console: Console, options: CentreOptions, transport: MqttTransport,
             store_url: str) -> None:
    """The first line: where the centre listens, for whom, and where it stores."""
    console.print(f"vtsim centre: listening on {options.address.url} (MQTT "
                  f"{'5' if transport.protocol == 5 else '3.1.1'}, session "
                  f"{options.centre_id!r}) for "
                  f"{'tenant ' + options.tenant if options.tenant else 'every tenant'}; "
                  f"storing in {redacted(store_url)}; stop with Ctrl-C",
                  highlight=False, soft_wrap=True)
    console.file.flush()


def stopped_report() -> bytes:
    """The centre's last will on its health topic: it vanished without saying goodbye."""
    return orjson.dumps({"schema_version": HEALTH_SCHEMA, "state": "lost"})


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


def print_answer(console: Console) -> Callable[[Answer], None]:
    """A printer of one line per verdict."""
    def show(answer: Answer) -> None:
        console.print(answer.describe(), markup=False, highlight=False, soft_wrap=True)
    return show


def receive_until(stop: threading.Event, transport: MqttTransport, centre: LiveCentre,
                  options: CentreOptions, console: Console) -> None:
    """The receive loop: drain messages, watch the connection and silence, report health."""
    reporter = ConnectionReporter(console, options.address)
    view = (Live(console=console, refresh_per_second=1 / REFRESH_S, transient=False)
            if options.live else None)
    last_refresh, last_count = time.monotonic(), 0
    last_health, report = 0.0, None
    with view if view is not None else nullcontext():
        while not stop.is_set():
            transport.drain(timeout=DRAIN_WAIT_S, max_messages=DRAIN_BATCH)
            reporter.check(transport.connected)
            now = time.monotonic()
            if now - last_health >= options.health_interval_s:
                for incident in centre.check_silence():
                    if view is None:
                        console.print(f"incident {incident.kind}: {incident.tenant}/"
                                      f"{incident.device_id}: {incident.detail}",
                                      markup=False, highlight=False, soft_wrap=True)
                report = publish_health(transport, centre, options)
                last_health = now
            if view is not None and now - last_refresh >= REFRESH_S:
                snapshot = centre.snapshot()
                rate = (snapshot.messages - last_count) / (now - last_refresh)
                view.update(render(snapshot, reporter.label, rate, time.time(), report))
                last_refresh, last_count = now, snapshot.messages
