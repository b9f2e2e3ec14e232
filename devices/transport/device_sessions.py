"""One MQTT session per emulated device, all driven by one network thread.

A real device has its own MQTT session, and with it its own last will: the broker publishes
the device's ``offline`` status when that session dies without a clean disconnect. To give
every emulated device the same, :class:`DeviceSessions` opens one paho client per device, but
runs none of paho's threads: one selector thread drives every client through paho's external
loop API (``socket``/``loop_read``/``loop_write``/``loop_misc`` and the socket callbacks).

Every paho call happens in that thread (or before it starts). Other threads hand messages
over through a queue and wake the thread with a byte on a socket pair. The number of
unacknowledged messages is bounded: :meth:`DeviceSessions.publish` waits while it is full and
raises :class:`PublishStalled` if the broker stays silent.
"""

from __future__ import annotations

import contextlib
import queue
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from paho.mqtt.client import Client, ConnectFlags, DisconnectFlags, MQTTMessage, error_string
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from devices.contract.codec import encode_status, format_ts
from devices.contract.status import DeviceState
from devices.transport.mqtt import BrokerAddress, BrokerUnavailable, MqttError

TICK_S: Final = 1.0
"""How often keep-alive and reconnection are looked after."""
RECONNECT_DELAYS_S: Final = (1.0, 30.0)
"""First and longest wait before reconnecting a lost session (doubling in between)."""
READ_WRITE: Final = selectors.EVENT_READ | selectors.EVENT_WRITE

Listener = Callable[[str, bytes], None]
"""Receives ``(topic, payload)`` in the network thread; must only hand them over."""


class PublishStalled(MqttError):
    """Too many messages stayed unacknowledged for too long: the broker is away or too slow."""


@dataclass(frozen=True, slots=True)
class SessionSpec:
    """One device's session: its client id and the retained status topic its will covers."""

    device_id: str
    device_type: str
    client_id: str
    status_topic: str

    def status(self, state: DeviceState) -> bytes:
        """The device's status message saying ``state``, stamped now."""
        return encode_status(self.device_type, self.device_id, state, format_ts(time.time()))


@dataclass(frozen=True, slots=True)
class SessionStats:
    """Counters of all sessions."""

    sessions: int
    connected: int
    """Device sessions up (listener sessions are not counted)."""
    sent: int
    acknowledged: int
    errors: int
    reconnects: int
    last_error: str


@dataclass(slots=True)
class Session:
    """A paho client with its spec and reconnection state (network thread only)."""

    spec: SessionSpec | None
    client: Client
    client_id: str
    connected: bool = False
    connections: int = 0
    leaving: bool = False
    retry_at: float | None = None
    delay_s: float = RECONNECT_DELAYS_S[0]
    subscriptions: list[tuple[str, int]] = field(default_factory=list)


class DeviceSessions:
    """MQTT sessions for many devices: last will, retained ``online``, QoS 1 publishing.

    Status messages follow the contract (:class:`devices.contract.status.DeviceStatus`): ``online``
    retained at every connect, ``offline`` as the last will and before a clean disconnect.
    """

    def __init__(
        self,
        address: BrokerAddress,
        specs: Sequence[SessionSpec],
        *,
        protocol: Literal[3, 5] = 3,
        keepalive_s: int = 30,
        max_pending: int = 20_000,
        publish_timeout_s: float = 30.0,
    ) -> None:
        """Sessions for ``specs``; nothing is connected before :meth:`start`."""
        self.address = address
        self.protocol = protocol
        self.keepalive_s = keepalive_s
        self.max_pending = max_pending
        self.publish_timeout_s = publish_timeout_s
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._wake_pending = False
        self._commands: queue.SimpleQueue[tuple[str, str, bytes, int, bool]] = (
            queue.SimpleQueue()
        )
        self._state = threading.Condition()
        self._counts = {"sent": 0, "acknowledged": 0, "errors": 0, "reconnects": 0}
        self._last_error = ""
        self._closing = False
        self._stopped = False
        self._refused = False
        self._thread: threading.Thread | None = None
        self._sessions = {spec.device_id: self._session(spec) for spec in specs}
        self._listeners: list[Session] = []

    # --- set-up -------------------------------------------------------------------------------

    def _session(self, spec: SessionSpec | None, client_id: str = "") -> Session:
        """A paho client for one session, wired to the selector; with a will for a device."""
        version = MQTTProtocolVersion.MQTTv5 if self.protocol == 5 else MQTTProtocolVersion.MQTTv311
        client_id = spec.client_id if spec else client_id
        client = Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=version,
                        clean_session=None if self.protocol == 5 else True)
        session = Session(spec, client, client_id)
        client.user_data_set(session)
        client.max_queued_messages_set(0)
        client.on_socket_open = self._on_socket_open
        client.on_socket_close = self._on_socket_close
        client.on_socket_register_write = self._on_register_write
        client.on_socket_unregister_write = self._on_unregister_write
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        login(client, self.address)
        if spec is not None:
            client.will_set(spec.status_topic, spec.status("offline"), qos=1, retain=True)
        return session

    def listen(self, pattern: str, listener: Listener, client_id: str, qos: int = 1) -> None:
        """Before :meth:`start`: an extra session (no will) that subscribes to ``pattern``."""
        session = self._session(None, client_id)
        session.subscriptions.append((pattern, qos))
        session.client.on_message = lambda _c, _u, m: deliver(listener, m)
        self._listeners.append(session)

    def start(self, timeout: float = 30.0) -> None:
        """Connect every session and wait until all are up; raise if the broker is unreachable."""
        for session in self._all():
            self._connect(session)
        self._thread = threading.Thread(target=self._run, name="vtsim-device-sessions",
                                        daemon=True)
        self._thread.start()
        with self._state:
            up = self._state.wait_for(
                lambda: self._connected() == len(self._all()) or self._refused, timeout
            ) and not self._refused
            connected, last_error = self._connected(), self._last_error
        if not up:
            self.stop()
            raise BrokerUnavailable(
                f"only {connected} of {len(self._all())} device sessions connected to the MQTT "
                f"broker at {self.address} within {timeout:g} s ({last_error or 'no answer'}); "
                "check the broker's address, credentials and connection limit"
            )

    def _connect(self, session: Session) -> None:
        """Open the session's connection (before the network thread starts)."""
        try:
            rc = session.client.connect(self.address.host, self.address.port,
                                        keepalive=self.keepalive_s)
        except (OSError, ssl.SSLError) as error:
            self.stop()
            raise BrokerUnavailable(
                f"cannot connect to the MQTT broker at {self.address} ({error}). Is it running? "
                "Start one with `vtsim broker`, or check the host and port in --broker."
            ) from None
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            self.stop()
            raise BrokerUnavailable(f"cannot connect to {self.address}: {error_string(rc)}")

    def _all(self) -> list[Session]:
        """Device sessions and listener sessions."""
        return [*self._sessions.values(), *self._listeners]

    def _connected(self) -> int:
        """Sessions up right now (read under the lock)."""
        return sum(1 for s in self._all() if s.connected)

    def _devices_connected(self) -> int:
        """Device sessions up right now (read under the lock)."""
        return sum(1 for s in self._sessions.values() if s.connected)

    # --- publishing (any thread) --------------------------------------------------------------

    def publish(self, device_id: str, topic: str, payload: bytes, *, qos: int = 1,
                retain: bool = False) -> None:
        """Publish in the device's own session; waits while too many are unacknowledged."""
        if qos not in (1, 2):
            raise ValueError(f"device sessions publish at QoS 1 or 2, got {qos!r}")
        if device_id not in self._sessions:
            raise KeyError(f"no session for device {device_id!r}")
        with self._state:
            room = self._state.wait_for(self._has_room, self.publish_timeout_s)
            if not room:
                raise PublishStalled(
                    f"{self._pending()} messages to {self.address} unacknowledged for "
                    f"{self.publish_timeout_s:g} s ({self._connected()} of {len(self._all())} "
                    f"sessions connected); the broker is away or too slow"
                )
            self._counts["sent"] += 1
        self._commands.put((device_id, topic, payload, qos, retain))
        self._wake()

    def _has_room(self) -> bool:
        """Whether another message may be handed over (lock held)."""
        return self._pending() < self.max_pending or self._stopped

    def _pending(self) -> int:
        """Messages handed over but not acknowledged (lock held)."""
        return self._counts["sent"] - self._counts["acknowledged"]

    def _wake(self) -> None:
        """Wake the network thread (at most one byte waiting)."""
        if not self._wake_pending:
            self._wake_pending = True
            with contextlib.suppress(BlockingIOError, OSError):
                self._wake_w.send(b"w")

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every message handed over is acknowledged; False if not within ``timeout``."""
        with self._state:
            return self._state.wait_for(lambda: self._pending() == 0, timeout)

    @property
    def stats(self) -> SessionStats:
        """A snapshot of the counters."""
        with self._state:
            return SessionStats(sessions=len(self._sessions), connected=self._devices_connected(),
                                last_error=self._last_error, **self._counts)

    # --- ending -------------------------------------------------------------------------------

    def close(self, timeout: float = 10.0) -> bool:
        """End cleanly: every device says ``offline`` (retained), then disconnects (no will).

        True when every ``offline`` was acknowledged and every session closed in time.
        """
        if self._thread is None or self._stopped:
            return False
        for device_id, session in self._sessions.items():
            if session.spec is not None:
                self.publish(device_id, session.spec.status_topic,
                             session.spec.status("offline"), retain=True)
        flushed = self.flush(timeout)
        with self._state:
            self._closing = True
        self._wake()
        with self._state:
            closed = self._state.wait_for(lambda: self._connected() == 0, timeout)
        self.stop()
        return flushed and closed

    def stop(self) -> None:
        """Stop the network thread and drop every connection (no goodbye: wills fire)."""
        with self._state:
            self._stopped = True
            self._state.notify_all()
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        for session in self._all():
            sock = session.client.socket()
            if sock is not None:
                sock.close()
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    # --- the network thread -------------------------------------------------------------------

    def _run(self) -> None:
        """Select, read, write, take hand-overs, keep alive and reconnect, until stopped."""
        next_tick = time.monotonic() + TICK_S
        while not self._stopped:
            for key, mask in self._selector.select(max(0.0, next_tick - time.monotonic())):
                if key.data is None:
                    self._take_wake()
                else:
                    self._serve(key.data, mask)
            self._take_commands()
            if self._closing:
                self._disconnect_all()
            if time.monotonic() >= next_tick:
                self._tick()
                next_tick = time.monotonic() + TICK_S

    def _take_wake(self) -> None:
        """Empty the wake-up socket, then accept new wake-ups.

        In this order, a wake-up that comes while the socket is being emptied either finds the
        flag still set (its command is taken by the ``_take_commands`` that follows) or sends a
        byte that wakes the next select; the other order could leave the flag set with no byte
        waiting, and hand-overs would then wait for the next tick.
        """
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass
        self._wake_pending = False

    def _serve(self, client: Client, mask: int) -> None:
        """Read and write what the selector says is ready."""
        if mask & selectors.EVENT_READ:
            client.loop_read()
        if mask & selectors.EVENT_WRITE:
            client.loop_write()

    def _take_commands(self) -> None:
        """Publish every message handed over, then write them out."""
        touched: dict[str, Client] = {}
        while True:
            try:
                device_id, topic, payload, qos, retain = self._commands.get_nowait()
            except queue.Empty:
                break
            client = self._sessions[device_id].client
            self._publish_now(client, topic, payload, qos, retain)
            touched[device_id] = client
        for client in touched.values():
            if client.want_write():
                client.loop_write()

    def _publish_now(self, client: Client, topic: str, payload: bytes, qos: int,
                     retain: bool) -> None:
        """paho's publish; a message for a lost connection is kept and sent on reconnect."""
        info = client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            self._note_error(f"publish on {topic} refused: {error_string(info.rc)}", unsent=1)

    def _tick(self) -> None:
        """Keep-alive pings for every session; reconnect the ones that are due."""
        now = time.monotonic()
        for session in self._all():
            if session.retry_at is not None and now >= session.retry_at:
                self._reconnect(session)
            elif session.client.socket() is not None:
                session.client.loop_misc()

    def _reconnect(self, session: Session) -> None:
        """Try to reconnect a lost session; back off if the broker is still away."""
        if session.spec is not None:
            session.client.will_set(session.spec.status_topic, session.spec.status("offline"),
                                    qos=1, retain=True)
        try:
            session.client.reconnect()
        except (OSError, ssl.SSLError) as error:
            session.delay_s = min(session.delay_s * 2, RECONNECT_DELAYS_S[1])
            session.retry_at = time.monotonic() + session.delay_s
            self._note_error(f"reconnect of {session.client_id!r} failed: {error}")
            return
        session.retry_at = None

    def _disconnect_all(self) -> None:
        """Send DISCONNECT in every session that is still up (once)."""
        for session in self._all():
            if session.connected and not session.leaving and session.client.socket() is not None:
                session.leaving = True
                session.client.disconnect()
                session.client.loop_write()

    def _note_error(self, message: str, unsent: int = 0) -> None:
        """Count an error; a message paho refused will never be acknowledged."""
        with self._state:
            self._counts["errors"] += 1
            self._counts["sent"] -= unsent
            self._last_error = message
            self._state.notify_all()

    # --- paho callbacks (network thread) ------------------------------------------------------

    def _on_socket_open(self, client: Client, _userdata: Any, sock: Any) -> None:
        self._selector.register(sock, selectors.EVENT_READ, client)

    def _on_socket_close(self, _client: Client, _userdata: Any, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)

    def _on_register_write(self, client: Client, _userdata: Any, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.modify(sock, READ_WRITE, client)

    def _on_unregister_write(self, client: Client, _userdata: Any, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.modify(sock, selectors.EVENT_READ, client)

    def _on_connect(self, client: Client, session: Session, _flags: ConnectFlags,
                    reason: ReasonCode, _properties: Properties | None) -> None:
        """Say ``online`` (retained) for a device; subscribe for a listener."""
        if reason.is_failure:
            with self._state:
                self._refused = True
            self._note_error(f"the broker at {self.address} refused {session.client_id!r}: "
                             f"{reason}")
            return
        with self._state:
            session.connections += 1
            if session.connections > 1:
                self._counts["reconnects"] += 1
            session.connected = True
            session.delay_s = RECONNECT_DELAYS_S[0]
            self._state.notify_all()
        if session.spec is not None:
            with self._state:
                self._counts["sent"] += 1
            self._publish_now(client, session.spec.status_topic, session.spec.status("online"),
                              1, True)
        for pattern, qos in session.subscriptions:
            client.subscribe(pattern, qos=qos)

    def _on_disconnect(self, _client: Client, session: Session, _flags: DisconnectFlags,
                       reason: ReasonCode, _properties: Properties | None) -> None:
        """A session went down: reconnect it later unless the sessions are closing."""
        with self._state:
            session.connected = False
            closing = self._closing or self._stopped
            if not closing:
                self._last_error = f"session lost: {reason}"
            self._state.notify_all()
        if not closing:
            session.retry_at = time.monotonic() + session.delay_s

    def _on_publish(self, _client: Client, _userdata: Any, _mid: int, reason: ReasonCode,
                    _properties: Properties | None) -> None:
        """The broker acknowledged a message."""
        with self._state:
            self._counts["acknowledged"] += 1
            if reason.is_failure:
                self._counts["errors"] += 1
                self._last_error = f"broker refused a message: {reason}"
            self._state.notify_all()


def deliver(listener: Listener, message: MQTTMessage) -> None:
    """Hand a received message to a listener."""
    listener(message.topic, bytes(message.payload))


def login(client: Client, address: BrokerAddress) -> None:
    """Username, password and TLS from the broker address."""
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set(ca_certs=address.ca_file, certfile=address.cert_file,
                       keyfile=address.key_file, cert_reqs=ssl.CERT_REQUIRED)
