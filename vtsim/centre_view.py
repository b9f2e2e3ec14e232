"""``vtsim centre``: the live centre on a broker, with a live table of devices and counts.

The logic is in :mod:`vtsim.live_centre`; this module connects it to a broker, runs the
receive loop in the main thread, and shows what happens: a rich live table (devices, verdicts,
sequence gaps, broker connection), or one line per verdict with ``--no-live``.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Final

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from devices.mqtt import BrokerAddress, MqttTransport, free_client_id
from vtsim.live_centre import ACCEPTED, Answer, CentreSnapshot, LiveCentre, TrackedDevice

REFRESH_S: Final = 0.25
DRAIN_WAIT_S: Final = 0.05
DRAIN_BATCH: Final = 2_000
SHOWN_DEVICES: Final = 20
ANSWER_TIMEOUT_S: Final = 5.0


@dataclass(frozen=True, slots=True)
class CentreOptions:
    """What ``vtsim centre`` was asked to do."""

    address: BrokerAddress
    tenant: str | None = None
    live: bool = True
    protocol: int = 5


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


def render(snapshot: CentreSnapshot, connection: str, rate: float, now: float) -> Group:
    """The live view: totals above the device table."""
    return Group(totals_table(snapshot, connection, rate), device_table(snapshot, now))


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
    """Connect, validate and answer until SIGINT/SIGTERM; return the final counts.

    Raises :class:`devices.mqtt.BrokerUnavailable` if the broker cannot be reached at start.
    """
    transport = MqttTransport(options.address, free_client_id("vtsim-centre"),
                              protocol=5 if options.protocol == 5 else 3,
                              publish_timeout_s=ANSWER_TIMEOUT_S)
    centre = LiveCentre(transport, tenant=options.tenant,
                        on_answer=None if options.live else print_answer(console))
    centre.start()
    with stop_on_signals() as stop:
        transport.connect()
        console.print(f"vtsim centre: listening on {options.address.url} (MQTT "
                      f"{'5' if transport.protocol == 5 else '3.1.1'}) for "
                      f"{'tenant ' + options.tenant if options.tenant else 'every tenant'}; "
                      "stop with Ctrl-C")
        try:
            receive_until(stop, transport, centre, options, console)
        finally:
            transport.flush(ANSWER_TIMEOUT_S)
            transport.close()
    return centre.snapshot()


def print_answer(console: Console) -> Callable[[Answer], None]:
    """A printer of one line per verdict."""
    def show(answer: Answer) -> None:
        console.print(answer.describe(), markup=False, highlight=False, soft_wrap=True)
    return show


def receive_until(stop: threading.Event, transport: MqttTransport, centre: LiveCentre,
                  options: CentreOptions, console: Console) -> None:
    """The receive loop: drain messages, watch the connection, refresh the view."""
    reporter = ConnectionReporter(console, options.address)
    view = (Live(console=console, refresh_per_second=1 / REFRESH_S, transient=False)
            if options.live else None)
    last_refresh, last_count = time.monotonic(), 0
    with view if view is not None else nullcontext():
        while not stop.is_set():
            transport.drain(timeout=DRAIN_WAIT_S, max_messages=DRAIN_BATCH)
            reporter.check(transport.connected)
            now = time.monotonic()
            if view is not None and now - last_refresh >= REFRESH_S:
                snapshot = centre.snapshot()
                rate = (snapshot.messages - last_count) / (now - last_refresh)
                view.update(render(snapshot, reporter.label, rate, time.time()))
                last_refresh, last_count = now, snapshot.messages
