"""Contract cases for the live centre, and a harness that runs it on a real broker.

Each case is a message a device (or a hostile client) might send, with the verdict the centre
must give. The same cases run through the in-process transport and through real brokers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import orjson

from devices.contract.codec import encode_fields, format_ts
from devices.contract.topics import device_topic
from devices.transport.mqtt import BrokerAddress, MqttTransport, ReceivedMessage
from vtsim.live.centre import LiveCentre

NOW: Final = 1_767_600_000.0
"""The receiver's clock in every case (2026-01-05), so that verdicts never depend on the day."""
DEVICE: Final = "sa-0007"
KIND: Final = "safety_alarm"


def alarm(seq: int, /, *, device_id: str = DEVICE, ts: float = NOW, **extra: object) -> bytes:
    """A valid safety-alarm button press from ``device_id`` (``extra`` fields added as given)."""
    body = orjson.loads(encode_fields(KIND, device_id, "button_need", f"{device_id}-{seq:08d}",
                                      format_ts(ts), seq, {}))
    body.update(extra)
    return orjson.dumps(body)


def nested(depth: int) -> bytes:
    """A button press with one field nested ``depth`` levels deep."""
    value: object = 1
    for _ in range(depth):
        value = {"x": value}
    return alarm(90, note=value)


@dataclass(frozen=True, slots=True)
class Case:
    """One message and the verdict the centre must give it."""

    name: str
    payload: bytes
    verdict: str
    path: str = ""
    device_type: str = KIND


CASES: Final = (
    Case("valid", alarm(1), "accepted"),
    Case("duplicate", alarm(1), "duplicate", "message_id"),
    Case("next", alarm(2), "accepted"),
    Case("not_json", b"{not json", "not_json"),
    Case("invalid_utf8", b'{"a": "\xff\xfe"}', "invalid_utf8"),
    Case("oversize", alarm(3, note="x" * 20_000), "oversize"),
    Case("too_deep", nested(12), "too_deep", "note"),
    Case("not_object", b"[1, 2, 3]", "not_object"),
    Case("unknown_device_type", alarm(4, device_type="toaster"), "unknown_device_type",
         "device_type"),
    Case("unknown_event", alarm(5, event="explode"), "unknown_event", "event"),
    Case("wrong_type", alarm(6, seq="6"), "schema", "seq"),
    Case("topic_mismatch", alarm(7, device_id="sa-9999"), "topic_mismatch", "device_id"),
    Case("ts_in_future", alarm(8, ts=NOW + 3_600, event="heartbeat", battery_pct=80),
         "ts_in_future", "ts"),  # an alarm would be taken despite its clock (clock rule)
    Case("ts_in_past", alarm(9, ts=NOW - 30 * 86_400, event="heartbeat", battery_pct=80),
         "ts_in_past", "ts"),
    Case("blank", b" ", "not_json"),  # an empty payload clears a retained message: no answer
)


def case_topic(tenant: str, case: Case) -> str:
    """The events topic a case is published on."""
    return device_topic(tenant, case.device_type, DEVICE)


@dataclass
class BrokerCentre:
    """A live centre on a real broker, a device client and an observer of the centre topics."""

    centre: LiveCentre
    centre_transport: MqttTransport
    device: MqttTransport
    observer: MqttTransport
    answers: list[ReceivedMessage]

    def pump_until(self, done: Callable[[], bool], timeout: float = 20.0) -> bool:
        """Let the centre and the observer work until ``done()`` (False on timeout)."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                return False
            self.centre_transport.drain(timeout=0.01)
            self.observer.drain(timeout=0.01)
        return True

    def close(self) -> None:
        """Close every client."""
        for transport in (self.device, self.centre_transport, self.observer):
            transport.close()


def start_broker_centre(address: BrokerAddress, tenant: str, *, centre_tenant: str | None = None
                        ) -> BrokerCentre:
    """Connect a centre of ``tenant`` (clock at :data:`NOW`), a device client and an observer.

    The centre serves ``tenant`` only, so that other tests' messages on a shared broker never
    reach it.
    """
    answers: list[ReceivedMessage] = []
    observer = MqttTransport(address, f"observer-{tenant}")
    observer.subscribe_messages(f"vt/v1/{tenant}/centre/#", answers.append)
    observer.connect()
    centre_transport = MqttTransport(address, f"centre-{tenant}")
    centre = LiveCentre(centre_transport, tenant=centre_tenant or tenant, clock=lambda: NOW)
    centre.start()
    centre_transport.connect()
    device = MqttTransport(address, f"device-{tenant}")
    device.connect()
    return BrokerCentre(centre, centre_transport, device, observer, answers)
