"""The live centre's health report, retained on ``vt/v1/{tenant or _all}/centre/health``.

Backlog, lag, broker connection, stored counts, silent and offline devices, possible loss;
``state`` says ``running``, ``stopped`` (a clean stop) or ``lost`` (the last will: the centre
vanished without saying goodbye). :mod:`vtsim.live.service` publishes it; the display shows it.
"""

from __future__ import annotations

from typing import Final

import orjson

from devices.contract.codec import format_ts
from devices.contract.topics import PREFIX
from devices.transport.mqtt import MqttStats
from vtsim.live.centre import RATE_LIMITED, CentreSnapshot
from vtsim.live.store import DEVICE_OFFLINE, DEVICE_SILENT, POSSIBLE_LOSS

ALL_TENANTS: Final = "_all"
HEALTH_SCHEMA: Final = "1.0"


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
        "possible_loss_devices": sum(1 for device in snapshot.devices if device.gaps),
        "possible_loss_incidents": snapshot.open_of_kind(POSSIBLE_LOSS),
        **loss_advice(snapshot),
        "rate_limited": snapshot.totals.get(RATE_LIMITED, 0),
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


LOSS_ADVICE: Final = (
    "sequence gaps: messages were lost between devices and the centre. The usual cause is a "
    "broker that drops QoS 1 messages queued for a slower centre (Mosquitto's default "
    "max_queued_messages 1000): use docs/mosquitto/vtsim.conf (docs/deployment.md)"
)


def loss_advice(snapshot: CentreSnapshot) -> dict[str, str]:
    """``{"advice": ...}`` naming the likely cause and fix once any device shows a gap."""
    return {"advice": LOSS_ADVICE} if snapshot.gaps else {}


def stopped_report() -> bytes:
    """The centre's last will on its health topic: it vanished without saying goodbye."""
    return orjson.dumps({"schema_version": HEALTH_SCHEMA, "state": "lost"})
