"""One log line when devices' sequence numbers show gaps: the suspected broker limit and the fix.

The health report (:mod:`vtsim.live.health`) carries ``possible_loss``, ``possible_loss_devices``
and ``advice`` every few seconds; an operator reading the centre's log should not have to read
the report to learn that messages are being lost. :class:`LossLog` writes one WARNING line on
the ``vtsim.centre`` logger when the count of missing sequence numbers first goes up, then at
most once per :data:`LOSS_LOG_INTERVAL_S` while it keeps going up: never per message.
"""

from __future__ import annotations

import logging
from typing import Final

LOSS_LOG_INTERVAL_S: Final = 60.0
"""Least time between two loss lines."""
LOGGER: Final = logging.getLogger("vtsim.centre")


BROKER_CAUSE: Final = (
    "Suspected cause: the broker drops QoS 1 messages queued for the centre beyond its queue "
    "limit (Mosquitto's max_queued_messages, default 1000). Fix: run the broker with "
    "docs/mosquitto/vtsim.conf (max_queued_messages 1000000; see docs/deployment.md)")
DEVICE_CAUSE: Final = (
    "Suspected cause: the device's own seq counter jumps (a device-side problem: seq must "
    "grow by exactly one per message, and carry on after a restart of the device), since the "
    "other devices on the same broker show no gap. Fix: the device's firmware or settings")


def loss_cause(devices: int, tracked: int | None, device: str | None = None) -> str:
    """The suspected cause and fix of gaps in ``devices`` devices of ``tracked``: one device's
    jump while others are fine is the device's counter; gaps across several devices are the
    broker's; with a single device in sight either may be."""
    if devices == 1 and tracked is not None and tracked >= 2:
        who = f" ({device})" if device else ""
        return DEVICE_CAUSE.replace("the device's own", f"the device's{who} own", 1)
    if devices == 1 and tracked == 1:
        return ("Suspected cause: the device's seq counter jumped, or the broker dropped "
                "messages (one device in sight cannot tell). " + BROKER_CAUSE.split(". ", 1)[1])
    return BROKER_CAUSE


def loss_line(missing: int, devices: int, new: int, tracked: int | None = None,
              device: str | None = None, known: int = 0) -> str:
    """The line: how much is missing, the suspected cause (:func:`loss_cause`), and the fix.
    ``known``: the numbers already missing when the centre started (from its store)."""
    before = f"; {known} known from before the start" if known else ""
    return (f"possible message loss: {missing} sequence number(s) missing from {devices} "
            f"device(s) ({new} new{before}). {loss_cause(devices, tracked, device)}")


class LossLog:
    """Decides when the loss line is due and writes it (rate-limited).

    ``known`` is the count of missing numbers the centre resumed from its store when it
    started: gaps logged before a restart are not logged again as new.
    """

    def __init__(self, interval_s: float = LOSS_LOG_INTERVAL_S,
                 logger: logging.Logger = LOGGER, known: int = 0) -> None:
        """Nothing logged yet."""
        self.interval_s = interval_s
        self.logger = logger
        self.known = known
        self._logged_missing = known
        self._logged_at: float | None = None

    def note(self, report: dict[str, object], now: float) -> str | None:
        """Log the line if the report shows more loss than the last line and the last line is
        older than the interval; return the line written (None: nothing written). Besides
        ``possible_loss`` and ``possible_loss_devices`` the report may name ``devices_tracked``
        and ``possible_loss_device`` (the one device with gaps), for the suspected cause."""
        missing = report.get("possible_loss")
        devices = report.get("possible_loss_devices")
        if not isinstance(missing, int) or not isinstance(devices, int):
            return None
        if missing <= self._logged_missing:
            return None
        if self._logged_at is not None and now - self._logged_at < self.interval_s:
            return None
        tracked, device = report.get("devices_tracked"), report.get("possible_loss_device")
        line = loss_line(missing, devices, missing - self._logged_missing,
                         tracked if isinstance(tracked, int) else None,
                         device if isinstance(device, str) else None,
                         self.known if self._logged_at is None else 0)
        self.logger.warning(line)
        self._logged_missing, self._logged_at = missing, now
        return line
