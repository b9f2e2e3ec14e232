"""The live centre's health report, retained on ``vt/v1/{tenant or _all}/centre/health``.

Backlog, lag, broker connection, store state, stored counts, silent and offline devices,
possible loss, device clocks. ``state`` says ``running``, ``degraded`` (the store fails or the
broker connection is down: messages wait unacknowledged at the broker), ``stopping``, or
``down``: the centre's last report on a stop, and its last will (``reason`` says which), so no
stale ``running`` stays retained. :mod:`vtsim.live.service` publishes it from a thread of its
own; the display shows it.
"""

from __future__ import annotations

from typing import Final

import orjson

from devices.contract.codec import format_ts
from devices.contract.topics import PREFIX
from devices.transport.mqtt import MqttStats
from vtsim.live.centre import (
    LATE_WITHIN_LIMIT,
    OVER_LIMIT_ALARMS,
    RATE_LIMITED,
    CentreSnapshot,
)
from vtsim.live.loss_log import loss_cause
from vtsim.live.store import DEVICE_OFFLINE, DEVICE_SILENT, POSSIBLE_LOSS

ALL_TENANTS: Final = "_all"
HEALTH_SCHEMA: Final = "1.0"


def health_topic(tenant: str | None, instance: str | None = None) -> str:
    """``vt/v1/{tenant}/centre/health`` (``_all`` for a centre of every tenant or of several);
    a process of a share group reports on ``.../centre/health/{instance}`` (its client id),
    so that each process of the group keeps a report of its own."""
    topic = f"{PREFIX}/{tenant or ALL_TENANTS}/centre/health"
    return topic if instance is None else f"{topic}/{instance}"


def health_report(snapshot: CentreSnapshot, stats: MqttStats, connected: bool, url: str,
                  now: float, state: str = "running", *, backlog: int | None = None,
                  lag_s: float | None = None, store: dict[str, object] | None = None,
                  reason: str = "", share_group: str | None = None) -> dict[str, object]:
    """The health report: state, backlog, lag, broker and store state, stored counts, silent
    devices, and per tenant the messages judged, accepted and refused and the devices
    tracked (by this process: in a share group each process counts its own part).
    ``backlog`` (default: the transport's queue) counts the messages received and not yet
    acknowledged; ``lag_s`` (default: the latest message's) how far behind the centre is."""
    stored = snapshot.stored
    return {
        "schema_version": HEALTH_SCHEMA,
        "ts": format_ts(now),
        "state": state,
        **({"reason": reason} if reason else {}),
        "broker": {"url": url, "connected": connected, "reconnects": stats.reconnects},
        "store": store or {"state": "ok"},
        "backlog": stats.queued if backlog is None else backlog,
        "lag_s": round(snapshot.lag_s if lag_s is None else lag_s, 3),
        "answers_in_flight": stats.in_flight,
        "messages": snapshot.messages,
        **({"share_group": share_group} if share_group else {}),
        "tenants": snapshot.tenant_report(),
        "stored": {"messages": stored.messages, "rejections": stored.rejections,
                   "incidents": stored.incidents, "open_incidents": stored.open_incidents},
        "devices": {"tracked": len(snapshot.devices),
                    "silent": snapshot.open_of_kind(DEVICE_SILENT),
                    "offline": snapshot.open_of_kind(DEVICE_OFFLINE)},
        "possible_loss": snapshot.gaps,
        "possible_loss_devices": snapshot.loss_devices,
        "possible_loss_incidents": snapshot.open_of_kind(POSSIBLE_LOSS),
        **loss_advice(snapshot),
        "rate_limited": snapshot.totals.get(RATE_LIMITED, 0),
        "over_limit_alarms": snapshot.totals.get(OVER_LIMIT_ALARMS, 0),
        "late_within_limit": snapshot.totals.get(LATE_WITHIN_LIMIT, 0),
        "clock_off": clock_report(snapshot),
    }


MAX_CLOCKS_SHOWN: Final = 10


def clock_report(snapshot: CentreSnapshot) -> dict[str, object]:
    """Devices whose clock is off: how many, and the worst offsets (``ts`` minus the receive
    time, seconds) of at most :data:`MAX_CLOCKS_SHOWN` of them."""
    off = sorted(snapshot.clock_off, key=lambda d: -abs(d.clock_offset_s or 0.0))
    return {"devices": len(off),
            "offsets_s": {f"{d.tenant}/{d.device_id}": round(d.clock_offset_s or 0.0, 1)
                          for d in off[:MAX_CLOCKS_SHOWN]}}


def loss_figures(snapshot: CentreSnapshot) -> dict[str, object]:
    """What :class:`vtsim.live.loss_log.LossLog` and the advice judge the loss by: missing
    numbers, devices with gaps (naming the one when only one has them), devices tracked."""
    with_gaps = [device for device in snapshot.devices if snapshot.missing_of(device)]
    figures: dict[str, object] = {"possible_loss": snapshot.gaps,
                                  "possible_loss_devices": len(with_gaps),
                                  "devices_tracked": len(snapshot.devices)}
    if len(with_gaps) == 1:
        figures["possible_loss_device"] = f"{with_gaps[0].tenant}/{with_gaps[0].device_id}"
    return figures


def loss_advice(snapshot: CentreSnapshot) -> dict[str, str]:
    """``{"advice": ...}`` naming the likely cause and fix once any device shows a gap: one
    device's jump while others are fine is its own counter, gaps across devices the broker's
    (:func:`vtsim.live.loss_log.loss_cause`)."""
    figures = loss_figures(snapshot)
    devices = figures["possible_loss_devices"]
    if not snapshot.gaps or not isinstance(devices, int):
        return {}
    device = figures.get("possible_loss_device")
    cause = loss_cause(devices, len(snapshot.devices), device if isinstance(device, str) else None)
    return {"advice": f"sequence gaps: messages missing between devices and the centre. {cause}"}


def lost_report() -> bytes:
    """The centre's last will on its health topic: it is down, without having said goodbye."""
    return orjson.dumps({
        "schema_version": HEALTH_SCHEMA, "state": "down",
        "reason": "lost: the centre's connection ended without a goodbye (it died, was killed, "
                  "or could not reach the broker when it stopped); the broker published its "
                  "last will"})
