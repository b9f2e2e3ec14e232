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


def loss_line(missing: int, devices: int, new: int) -> str:
    """The line: how much is missing, the suspected broker limit, and the fix."""
    return (f"possible message loss: {missing} sequence number(s) missing from {devices} "
            f"device(s) ({new} new). Suspected cause: the broker drops QoS 1 messages queued "
            "for the centre beyond its queue limit (Mosquitto's max_queued_messages, default "
            "1000). Fix: run the broker with docs/mosquitto/vtsim.conf (max_queued_messages "
            "1000000; see docs/deployment.md)")


class LossLog:
    """Decides when the loss line is due and writes it (rate-limited)."""

    def __init__(self, interval_s: float = LOSS_LOG_INTERVAL_S,
                 logger: logging.Logger = LOGGER) -> None:
        """Nothing logged yet."""
        self.interval_s = interval_s
        self.logger = logger
        self._logged_missing = 0
        self._logged_at: float | None = None

    def note(self, report: dict[str, object], now: float) -> str | None:
        """Log the line if the report shows more loss than the last line and the last line is
        older than the interval; return the line written (None: nothing written)."""
        missing = report.get("possible_loss")
        devices = report.get("possible_loss_devices")
        if not isinstance(missing, int) or not isinstance(devices, int):
            return None
        if missing <= self._logged_missing:
            return None
        if self._logged_at is not None and now - self._logged_at < self.interval_s:
            return None
        line = loss_line(missing, devices, missing - self._logged_missing)
        self.logger.warning(line)
        self._logged_missing, self._logged_at = missing, now
        return line
