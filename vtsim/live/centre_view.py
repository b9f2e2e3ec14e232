"""``vtsim centre`` on the terminal: renders what the live centre's service does.

Two displays of :class:`vtsim.live.service.CentreDisplay`: :class:`LiveTable`, a rich live
table (devices, verdicts, sequence gaps, broker connection, health), and :class:`VerdictLines`,
one line per verdict (``--no-live``). Both print the line that says the centre listens and
every change of the broker connection. The service loop itself is in
:mod:`vtsim.live.service`; this module only renders.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Final

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from devices.transport.mqtt import BrokerAddress
from vtsim.live.centre import ACCEPTED, Answer, CentreSnapshot, TrackedDevice
from vtsim.live.service import CentreOptions, ServiceState
from vtsim.live.store import IncidentChange, redacted

REFRESH_S: Final = 0.25
SHOWN_DEVICES: Final = 20


def health_table(report: dict[str, object]) -> Table:
    """The health report as a two-column table."""
    table = Table(title="Health (retained on the health topic)", show_header=False,
                  expand=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    for key in ("state", "store", "backlog", "lag_s", "answers_in_flight", "stored", "devices",
                "possible_loss", "rate_limited", "over_limit_alarms", "clock_off"):
        if key not in report:
            continue
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


# --- displays -------------------------------------------------------------------------------


class ConsoleDisplay:
    """What both displays print: the line that says the centre listens, connection changes."""

    refresh_every_s: float | None = None

    def __init__(self, console: Console, address: BrokerAddress) -> None:
        """A display on ``console`` for a centre on ``address`` (connected at start)."""
        self.console = console
        self.address = address
        self.connected = True

    def started(self, options: CentreOptions, protocol: int, store_url: str) -> None:
        """The first line: where the centre listens, for whom, and where it stores."""
        self.console.print(
            f"vtsim centre: listening on {options.address.url} (MQTT "
            f"{'5' if protocol == 5 else '3.1.1'}, session {options.centre_id!r}) for "
            f"{served_line(options.served)}{shared_line(options.share_group)}; "
            f"storing in {redacted(store_url)}; stop with Ctrl-C",
            highlight=False, soft_wrap=True)
        self.console.file.flush()

    def connection_changed(self, connected: bool) -> None:
        """Say that the broker went away, or came back."""
        self.connected = connected
        if connected:
            self.console.print(f"[green]reconnected to {self.address}[/]")
        else:
            self.console.print(
                f"[red]lost the broker at {self.address}; reconnecting with backoff…[/]")

    @property
    def connection_label(self) -> str:
        """The connection state for the live table."""
        state = "[green]connected[/]" if self.connected else "[red]reconnecting[/]"
        return f"{self.address.url} {state}"

    def answered(self, answer: Answer) -> None:
        """Nothing by default (the live table counts verdicts)."""

    def store_changed(self, failing: bool, detail: str) -> None:
        """Say that the store failed (and that the centre waits for it), or works again."""
        colour = "red" if failing else "green"
        what = "the store failed" if failing else "store back"
        self.console.print(f"[{colour}]{what}:[/] {escape(detail)}", highlight=False,
                           soft_wrap=True)
        self.console.file.flush()

    def incidents_raised(self, incidents: list[IncidentChange]) -> None:
        """Nothing by default (the live table shows them in the health report)."""

    def refresh(self, state: ServiceState) -> None:
        """Nothing by default."""

    def showing(self) -> AbstractContextManager[object]:
        """Nothing to set up by default."""
        return nullcontext()


class VerdictLines(ConsoleDisplay):
    """``--no-live``: one line per verdict and per incident raised for a silent device."""

    def answered(self, answer: Answer) -> None:
        """One line: verdict, device and detail."""
        self.console.print(answer.describe(), markup=False, highlight=False, soft_wrap=True)

    def incidents_raised(self, incidents: list[IncidentChange]) -> None:
        """One line per incident."""
        for incident in incidents:
            self.console.print(f"incident {incident.kind}: {incident.tenant}/"
                               f"{incident.device_id}: {incident.detail}",
                               markup=False, highlight=False, soft_wrap=True)


class LiveTable(ConsoleDisplay):
    """The live view: totals and health above the devices heard from most recently."""

    refresh_every_s: float | None = REFRESH_S

    def __init__(self, console: Console, address: BrokerAddress) -> None:
        """A live table on ``console``; shown while the service runs."""
        super().__init__(console, address)
        self._live = Live(console=console, refresh_per_second=1 / REFRESH_S, transient=False)
        self._last: tuple[float, int] | None = None

    def showing(self) -> AbstractContextManager[object]:
        """The rich live view, on screen while the service loop runs."""
        return self._live

    def refresh(self, state: ServiceState) -> None:
        """Redraw with the message rate since the previous refresh."""
        snapshot = state.snapshot
        rate = 0.0
        if self._last is not None and state.monotonic_s > self._last[0]:
            rate = (snapshot.messages - self._last[1]) / (state.monotonic_s - self._last[0])
        self._live.update(render(snapshot, self.connection_label, rate, state.now,
                                 state.report))
        self._last = (state.monotonic_s, snapshot.messages)


def served_line(tenants: tuple[str, ...]) -> str:
    """``tenant lier``, ``tenants lier, drammen`` or ``every tenant``."""
    if not tenants:
        return "every tenant"
    return ("tenant " if len(tenants) == 1 else "tenants ") + ", ".join(tenants)


def shared_line(share_group: str | None) -> str:
    """``; sharing the load in group 'ops'``, or nothing for a centre alone."""
    return "" if share_group is None else f"; sharing the load in group {share_group!r}"
