"""Recording a session from the broker, and replaying a recording with the same timing.

A recording is JSON Lines, one message a line, in the order received::

    {"mono": 3.207114, "wall": 1795341122.5, "topic": "vt/v1/trening/...", "qos": 1,
     "retain": false, "payload": "{...}"}

``mono`` is seconds on the recorder's monotonic clock since recording began, ``wall`` the UNIX
time of receipt; the payload is text when it is UTF-8, else ``payload_b64`` (base64). Receive
times are taken in paho's network thread, the moment a message arrives.

Replay schedules every message against one monotonic clock from the start (``due = start +
mono / speed``) rather than sleeping between messages, so that delays do not add up.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.subscribeoptions import SubscribeOptions

from devices.contract.topics import PREFIX, require_tenant
from devices.transport.mqtt import BrokerAddress, BrokerUnavailable
from sim.errors import VtsimError


class RecordingError(VtsimError):
    """A recording file that cannot be read, with the line that is wrong."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """One recorded message."""

    mono: float
    wall: float
    topic: str
    qos: int
    retain: bool
    payload: bytes

    def to_json(self) -> str:
        """One JSON line (without the newline)."""
        line: dict[str, Any] = {"mono": round(self.mono, 6), "wall": round(self.wall, 6),
                                "topic": self.topic, "qos": self.qos, "retain": self.retain}
        try:
            line["payload"] = self.payload.decode("utf-8")
        except UnicodeDecodeError:
            line["payload_b64"] = base64.b64encode(self.payload).decode("ascii")
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> Recorded:
        """Read one JSON line; raises ``KeyError``/``ValueError``/``TypeError`` if malformed."""
        data = json.loads(line)
        if "payload_b64" in data:
            payload = base64.b64decode(data["payload_b64"], validate=True)
        else:
            payload = str(data["payload"]).encode("utf-8")
        return cls(float(data["mono"]), float(data["wall"]), str(data["topic"]),
                   int(data["qos"]), bool(data["retain"]), payload)


def read_recording(path: Path) -> list[Recorded]:
    """Every message of a recording, or a :class:`RecordingError` naming the bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RecordingError(f"cannot read the recording {path}: {exc.strerror}") from None
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(Recorded.from_json(line))
        except (KeyError, ValueError, TypeError) as exc:
            raise RecordingError(
                f"{path}: line {number} is not a recorded message ({exc}); "
                "record files are written by `vtsim record`"
            ) from None
    return records


def tenant_filter(tenant: str | None) -> str:
    """The topic filter of one tenant's topics (devices and centre), or of every tenant."""
    if tenant is None:
        return f"{PREFIX}/#"
    return f"{PREFIX}/{require_tenant(tenant)}/#"


# --- the MQTT side ------------------------------------------------------------------------------


def connect_client(address: BrokerAddress, client_id: str, timeout: float = 10.0,
                   on_message: Callable[[mqtt.MQTTMessage], None] | None = None,
                   subscribe: str | None = None) -> mqtt.Client:
    """A connected paho client with its network loop running (and reconnecting by itself).

    MQTT 5 first (it keeps the retain flag of forwarded messages); a broker that refuses it or
    leaves it unanswered for :data:`MQTT5_WAIT_S` (``vtsim broker``, amqtt) gets MQTT 3.1.1.
    """
    try:
        return _connect(address, client_id, MQTTProtocolVersion.MQTTv5, MQTT5_WAIT_S, on_message,
                        subscribe)
    except BrokerUnavailable as exc:
        if "refused" in str(exc) and "protocol" not in str(exc).lower():
            raise
    return _connect(address, client_id, MQTTProtocolVersion.MQTTv311, timeout, on_message,
                    subscribe)


MQTT5_WAIT_S = 3.0


def _connect(address: BrokerAddress, client_id: str, protocol: MQTTProtocolVersion,
             timeout: float,
             on_message: Callable[[mqtt.MQTTMessage], None] | None,
             subscribe: str | None) -> mqtt.Client:
    """One connection attempt with ``protocol``."""
    v5 = protocol == MQTTProtocolVersion.MQTTv5
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(min_delay=1, max_delay=5)
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set(ca_certs=address.ca_file)
    connected = threading.Event()
    refusal: list[str] = []

    def on_connect(cl: mqtt.Client, _u: object, _f: object, reason: Any, _p: object) -> None:
        if reason.is_failure:
            refusal.append(str(reason))
            return
        if subscribe is not None:
            if v5:
                cl.subscribe(subscribe, options=SubscribeOptions(qos=1, retainAsPublished=True))
            else:
                cl.subscribe(subscribe, qos=1)
        connected.set()

    client.on_connect = on_connect
    if on_message is not None:
        client.on_message = lambda _c, _u, message: on_message(message)
    try:
        client.connect(address.host, address.port)
    except OSError as exc:
        raise BrokerUnavailable(f"cannot reach the broker at {address}: {exc}") from None
    client.loop_start()
    if not connected.wait(timeout):
        client.loop_stop()
        with contextlib.suppress(Exception):
            client.disconnect()
        why = f"refused the connection ({refusal[0]})" if refusal else \
            f"did not accept the connection within {timeout:g} s"
        raise BrokerUnavailable(f"the broker at {address} {why} "
                                f"(MQTT {'5' if v5 else '3.1.1'})")
    return client


class Recorder:
    """Writes every message on a topic filter to a JSON Lines file as it arrives."""

    def __init__(self, address: BrokerAddress, pattern: str, out: TextIO,
                 client_id: str = "vtsim-record") -> None:
        self.address = address
        self.pattern = pattern
        self.out = out
        self.client_id = client_id
        self.count = 0
        self._inbox: queue.Queue[Recorded] = queue.Queue()
        self._start = 0.0
        self._client: mqtt.Client | None = None

    def _arrived(self, message: mqtt.MQTTMessage) -> None:
        """In paho's thread: stamp the message and queue it, nothing more."""
        mono, wall = time.monotonic(), time.time()
        self._inbox.put(Recorded(mono - self._start, wall, message.topic, message.qos,
                                 bool(message.retain), bytes(message.payload)))

    def start(self) -> None:
        """Connect and subscribe; messages are queued from now on."""
        self._start = time.monotonic()
        self._client = connect_client(self.address, self.client_id, on_message=self._arrived,
                                      subscribe=self.pattern)

    def write_pending(self, timeout: float = 0.1) -> int:
        """Write queued messages to the file; return how many."""
        written = 0
        wait = timeout
        while True:
            try:
                record = self._inbox.get(timeout=wait) if wait > 0 else self._inbox.get_nowait()
            except queue.Empty:
                break
            wait = 0.0
            self.out.write(record.to_json() + "\n")
            written += 1
        self.count += written
        if written:
            self.out.flush()
        return written

    def stop(self) -> None:
        """Disconnect, then write what is still queued."""
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
        self.write_pending(0.0)


# --- replay ---------------------------------------------------------------------------------


def replay_schedule(records: Iterable[Recorded], speed: float) -> Iterator[tuple[float, Recorded]]:
    """``(offset, message)``: when to publish each message, in real seconds from the start."""
    if speed <= 0:
        raise RecordingError(f"speed must be above 0 (got {speed!r})")
    first: float | None = None
    for record in records:
        if first is None:
            first = record.mono
        yield (record.mono - first) / speed, record


def replay(records: Iterable[Recorded], publish: Callable[[Recorded], None], speed: float,
           clock: Callable[[], float] = time.monotonic,
           sleep: Callable[[float], None] = time.sleep) -> int:
    """Publish every message at its scheduled time against ``clock``; return how many."""
    start = clock()
    count = 0
    for offset, record in replay_schedule(records, speed):
        delay = start + offset - clock()
        if delay > 0:
            sleep(delay)
        publish(record)
        count += 1
    return count


REPLAY_SUFFIX = "-replay"
LIVE_STATE_S = 30.0
"""A retained session state younger than this (wall clock) means a session is running."""


def replay_target(records: list[Recorded], tenant: str | None) -> list[Recorded]:
    """The recording moved into its own namespace: every ``vt/v1/<tenant>/`` topic is published
    under ``tenant`` (or the recorded tenant + ``-replay``), so it can never reach a live
    session's topics."""
    moved = []
    for record in records:
        parts = record.topic.split("/", 3)
        if len(parts) < 3 or parts[0] + "/" + parts[1] != PREFIX:
            raise RecordingError(f"recorded topic {record.topic!r} is not a vtsim topic")
        target = require_tenant(tenant or limited(parts[2] + REPLAY_SUFFIX))
        moved.append(Recorded(record.mono, record.wall, "/".join([PREFIX, target, *parts[3:]]),
                              record.qos, record.retain, record.payload))
    return moved


def limited(tenant: str) -> str:
    """A tenant name cut to the 64 characters a topic level may have."""
    return tenant[-64:] if len(tenant) > 64 else tenant


def running_session(client: mqtt.Client, tenant: str, wait: float = 1.0,
                    wall: Callable[[], float] = time.time) -> bool:
    """Whether a training session runs in ``tenant``: its retained state is recent and not
    stopped."""
    found: list[bytes] = []
    topic = f"{PREFIX}/{require_tenant(tenant)}/centre/session/state"
    previous = client.on_message
    client.on_message = lambda _c, _u, message: found.append(bytes(message.payload))
    client.subscribe(topic, qos=1)
    deadline = time.monotonic() + wait
    while not found and time.monotonic() < deadline:
        time.sleep(0.02)
    client.unsubscribe(topic)
    client.on_message = previous
    return any(live_state(payload, wall()) for payload in found)


def live_state(payload: bytes, now: float) -> bool:
    """Whether a session state says a session is running now (recent, not stopped)."""
    try:
        state = json.loads(payload)
        if not isinstance(state, dict):
            return False
        stamp = dt.datetime.fromisoformat(str(state["ts"]).replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError):
        return False
    return state.get("phase") != "stopped" and now - stamp.timestamp() < LIVE_STATE_S


def publish_to(client: mqtt.Client) -> Callable[[Recorded], None]:
    """A publisher of recorded messages on a connected client (same QoS and retain flag)."""
    def publish(record: Recorded) -> None:
        info = client.publish(record.topic, record.payload, qos=record.qos, retain=record.retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise RecordingError(f"cannot publish on {record.topic}: {mqtt.error_string(info.rc)}")
    return publish
