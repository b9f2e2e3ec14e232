"""The MQTT transport: :class:`devices.transport.base.Transport` over a real broker (paho-mqtt 2).

paho runs its network loop in a thread of its own. Its callbacks only record what happened:
incoming messages go into a queue, acknowledgements into counters. Handlers run in the
caller's thread, in :meth:`MqttTransport.drain`, so nothing else is ever touched from paho's
thread (not the SimPy environment, not the centre's state).

Delivery is at least once: QoS 1 by default. The number of unacknowledged QoS 1/2 messages is
bounded (``max_in_flight``): more wait in the transport's own queue (up to ``max_queued``) and
go out, in order, as the broker acknowledges; beyond that :meth:`MqttTransport.publish` waits,
and raises if the broker does not acknowledge in time. paho's own in-flight limit is off (paho
walks its queue from the start on every acknowledgement, a cost that grows with the window).
The one thing paho's thread does besides recording: on an acknowledgement it hands the next
queued messages to paho, unless another thread is doing so at that moment. Every paho return
code is checked: a message is never dropped silently. Messages published while the broker is
away are kept by paho and sent when the connection comes back; paho reconnects by itself,
with backoff.

MQTT 5 is the default. ``protocol=3`` speaks MQTT 3.1.1, for brokers without MQTT 5 (amqtt);
:func:`connect_transport` tries MQTT 5 first and falls back by itself.
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import unquote, urlsplit

from paho.mqtt.client import Client, ConnectFlags, DisconnectFlags, MQTTMessage, error_string
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from devices.contract.errors import DeviceContractError, InvalidTopic
from devices.contract.topics import check_filter, check_topic_name, topic_matches

DEFAULT_PORT: Final = 1883
DEFAULT_TLS_PORT: Final = 8883
SCHEMES: Final = {"mqtt": False, "tcp": False, "mqtts": True, "ssl": True}
MAX_MESSAGE_IDS: Final = 65_535
"""paho's message ids are 16 bit: at most this many QoS 1/2 messages can be unacknowledged."""
UNSUPPORTED_PROTOCOL: Final = (0x84, 0x01)
"""CONNACK codes for "unsupported protocol version" (MQTT 5, MQTT 3.1.1)."""
MQTT5_ANSWER_WAIT_S: Final = 3.0
"""How long an MQTT 5 CONNECT may go unanswered before MQTT 3.1.1 is tried (with fallback)."""
MID_RETRIES: Final = 3
ABANDON_WAIT_S: Final = 2.0
"""How long :meth:`MqttTransport.abandon` waits for paho's thread to end."""
CLOSE_WAIT_S: Final = 2.0
"""How long :meth:`MqttTransport.close` waits for paho's thread to send what it holds."""
ROUTE_CACHE_LIMIT: Final = 100_000
SHARED_PREFIX: Final = "$share/"

Protocol = Literal[3, 5]


# --- errors ---------------------------------------------------------------------------------


class MqttError(DeviceContractError):
    """Base of the errors of the MQTT transport."""


class BrokerUrlError(MqttError):
    """A broker address that is not ``mqtt://host[:port]`` or ``mqtts://host[:port]``."""


class BrokerUnavailable(MqttError):
    """The broker cannot be reached, or did not answer the connection in time."""


class BrokerRefused(BrokerUnavailable):
    """The broker answered the connection with a refusal (bad credentials, protocol, ...)."""

    def __init__(self, message: str, reason_code: int, *, unsupported_protocol: bool) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.unsupported_protocol = unsupported_protocol


class PublishFailed(MqttError):
    """A message could not be handed to the broker (closed, broker away too long, ...)."""


class SubscribeFailed(MqttError):
    """The broker refused a subscription, or did not acknowledge it in time."""


# --- broker address -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where a broker listens, and how to log in: ``mqtt://[user:pass@]host[:port]``.

    ``ca_file`` (default: the system's trusted CAs), ``cert_file`` and ``key_file`` (a client
    certificate) apply with TLS only; the server's certificate is always verified.
    """

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """Read ``mqtt://host[:1883]`` or ``mqtts://host[:8883]``, with ``user:pass@`` allowed."""
        parts = urlsplit(url.strip())
        if parts.scheme not in SCHEMES:
            raise BrokerUrlError(
                f"broker URL {url!r} must start with mqtt:// (or mqtts:// for TLS), "
                "e.g. mqtt://localhost:1883"
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise BrokerUrlError(
                f"broker URL {url!r} has a path or query; expected mqtt://host[:port]"
            )
        if not parts.hostname:
            raise BrokerUrlError(f"broker URL {url!r} names no host; e.g. mqtt://localhost:1883")
        tls = SCHEMES[parts.scheme]
        return cls(
            host=parts.hostname,
            port=url_port(url, tls),
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    @property
    def url(self) -> str:
        """The address as a URL, without the password."""
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{host}:{self.port}"

    def __str__(self) -> str:
        """``host:port``, for messages."""
        return f"{self.host}:{self.port}"


def url_port(url: str, tls: bool) -> int:
    """The port of a broker URL; the scheme's default when none is given."""
    try:
        parsed = urlsplit(url.strip()).port
    except ValueError:
        raise BrokerUrlError(
            f"broker URL {url!r} has an invalid port; expected a number 1..65535"
        ) from None
    if parsed == 0:
        raise BrokerUrlError(f"broker URL {url!r}: port 0 is not a broker port")
    if parsed is not None:
        return parsed
    return DEFAULT_TLS_PORT if tls else DEFAULT_PORT


# --- what the transport hands out -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """One message as the broker delivered it; ``received_at`` is the local clock (epoch s)."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    received_at: float
    mid: int = 0
    """The MQTT packet id (QoS 1/2), needed to acknowledge it with ``manual_ack``."""
    connection: int = 0
    """Which connection brought it (1 = the first); an ack on a later one would be wrong."""
    response_topic: str | None = None
    """MQTT 5: where the sender asks for the answer (its Response Topic), if it named one."""
    correlation_data: bytes | None = None
    """MQTT 5: the sender's Correlation Data, to be returned with the answer."""


MessageHandler = Callable[[ReceivedMessage], None]


@dataclass(frozen=True, slots=True)
class MqttStats:
    """Counters of one transport: messages out and in, errors and reconnections."""

    published: int
    acknowledged: int
    in_flight: int
    publish_errors: int
    delivered: int
    queued: int
    reconnects: int
    subscribe_errors: int
    last_error: str


@dataclass(frozen=True, slots=True)
class Subscription:
    """A topic filter, its QoS and the handler of the messages it brings."""

    pattern: str
    qos: int
    handler: MessageHandler

    def matches(self, topic: str) -> bool:
        """Whether a delivered topic belongs to this subscription (shared ones included)."""
        return topic_matches(local_filter(self.pattern), topic)


def local_filter(pattern: str) -> str:
    """The topic filter of a (possibly shared, ``$share/group/filter``) subscription."""
    if pattern.startswith(SHARED_PREFIX):
        _, _, rest = pattern[len(SHARED_PREFIX) :].partition("/")
        return rest
    return pattern


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to publish, as :meth:`MqttTransport.publish` was given it."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    correlation_data: bytes | None


MAX_TOPIC_BYTES: Final = 65_535
MAX_PAYLOAD_BYTES: Final = 268_435_455


def check_publishable(topic: str, payload: bytes) -> None:
    """Refuse, as paho would, a topic or payload that cannot be published: checked before a
    message is queued, so that the publisher hears of it (paho may take it later, in its
    own thread)."""
    check_topic_name(topic)
    try:
        size = len(topic.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidTopic(f"cannot publish on {topic!r}: not valid UTF-8") from None
    if size > MAX_TOPIC_BYTES:
        raise InvalidTopic(f"cannot publish on a topic of {size} bytes (at most "
                           f"{MAX_TOPIC_BYTES})")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PublishFailed(f"cannot publish {len(payload)} bytes on {topic!r} (at most "
                            f"{MAX_PAYLOAD_BYTES})")


# --- the transport --------------------------------------------------------------------------


class MqttTransport:
    """Publish and subscribe through an MQTT broker; implements :class:`Transport`.

    ``will`` is the last will ``(topic, payload)``, sent retained with QoS 1 by the broker if
    this client vanishes without disconnecting. With ``clean_start=False`` the broker keeps the
    session (subscriptions, queued QoS 1 messages) for ``session_expiry_s`` after a disconnect.
    With ``manual_ack=True`` an incoming QoS 1 message is acknowledged to the broker only when
    :meth:`ack` is called (after the message is stored): until then the broker keeps it and
    delivers it again on the next connection.
    """

    def __init__(
        self,
        address: BrokerAddress,
        client_id: str,
        *,
        will: tuple[str, bytes] | None = None,
        protocol: Protocol = 5,
        max_in_flight: int = 1000,
        clean_start: bool = True,
        fallback: bool = True,
        keepalive_s: int = 30,
        session_expiry_s: int = 3600,
        publish_timeout_s: float = 30.0,
        reconnect_delay_s: tuple[int, int] = (1, 30),
        manual_ack: bool = False,
        receive_maximum: int | None = None,
        max_queued: int = 0,
    ) -> None:
        """A transport for ``address``; nothing is sent before :meth:`connect`.

        ``receive_maximum`` (MQTT 5) tells the broker how many QoS 1/2 messages it may have
        unacknowledged towards this client: with ``manual_ack`` it bounds what waits in this
        process (the rest waits at the broker). MQTT 3.1.1 has no such setting; there the
        broker's ``max_inflight_messages`` applies. ``max_queued`` more QoS 1/2 messages may
        wait in the transport's queue behind the ``max_in_flight`` on the wire before
        :meth:`publish` waits (a receiver whose answers must not fail while the broker is slow
        for a while).
        """
        if not 1 <= max_in_flight <= MAX_MESSAGE_IDS:
            raise ValueError(f"max_in_flight must be 1..{MAX_MESSAGE_IDS}, got {max_in_flight}")
        if not 0 <= max_queued <= MAX_MESSAGE_IDS - max_in_flight:
            raise ValueError(f"max_queued must be 0..{MAX_MESSAGE_IDS - max_in_flight} with "
                             f"max_in_flight {max_in_flight}, got {max_queued}")
        self._window = max_in_flight + max_queued
        """Most QoS 1/2 messages unacknowledged, on the wire or queued here."""
        if protocol not in (3, 5):
            raise ValueError(f"protocol must be 3 (MQTT 3.1.1) or 5 (MQTT 5), got {protocol!r}")
        self.address = address
        self.client_id = client_id
        self.protocol: Protocol = protocol
        self._max_in_flight = max_in_flight
        self._clean_start = clean_start
        self._keepalive_s = keepalive_s
        self._session_expiry_s = session_expiry_s
        self._receive_maximum = receive_maximum
        self._publish_timeout_s = publish_timeout_s
        self._state = threading.Condition()
        self._inbox: queue.SimpleQueue[ReceivedMessage] = queue.SimpleQueue()
        self._subscriptions: list[Subscription] = []
        self._routes: dict[str, tuple[MessageHandler, ...]] = {}
        self._pending: set[int] = set()
        """Message ids of the QoS 1/2 messages handed to paho and not yet acknowledged."""
        self._held: deque[Outgoing] = deque()
        """QoS 1/2 messages published while ``max_in_flight`` were unacknowledged: sent in
        order as acknowledgements make room."""
        self._sending = 0
        """Messages being handed to paho right now (taken from ``_held``, no id yet)."""
        self._hand_over_lock = threading.Lock()
        """Held by the one thread handing queued messages to paho (keeps their order)."""
        self._unclaimed_acks: set[int] = set()
        self._unclaimed_qos0: set[int] = set()
        self._subacks: dict[int, list[ReasonCode]] = {}
        self._resubscriptions: set[int] = set()
        self._connack: ReasonCode | None = None
        self._dropped_unanswered = False
        self._connected = False
        self._connections = 0
        self._closed = False
        self._counts = {"published": 0, "acknowledged": 0, "publish_errors": 0, "delivered": 0,
                        "reconnects": 0, "subscribe_errors": 0}
        self._last_error = ""
        self._fallback = fallback and protocol == 5
        self._will = will
        self._reconnect_delay_s = reconnect_delay_s
        self._give_up = threading.Event()
        """Set by :meth:`stop_waiting`: publishes no longer wait for room in the window."""
        self.manual_ack = manual_ack
        self._client = self._make_client()

    # --- set-up -----------------------------------------------------------------------------

    def _make_client(self) -> Client:
        """A paho client with callbacks, in-flight window, credentials, TLS and last will."""
        delay = self._reconnect_delay_s
        version = MQTTProtocolVersion.MQTTv5 if self.protocol == 5 else MQTTProtocolVersion.MQTTv311
        client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=version,
            clean_session=None if self.protocol == 5 else self._clean_start,
            reconnect_on_failure=True,
            manual_ack=self.manual_ack,
        )
        client.max_inflight_messages_set(0)  # unlimited: the transport keeps its own window
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(min_delay=delay[0], max_delay=delay[1])
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        self._configure_login(client)
        if self._will is not None:
            client.will_set(self._will[0], self._will[1], qos=1, retain=True)
        return client

    def _configure_login(self, client: Client) -> None:
        """Username, password and TLS from the broker address."""
        address = self.address
        if address.username is not None:
            client.username_pw_set(address.username, address.password)
        if address.tls:
            client.tls_set(
                ca_certs=address.ca_file,
                certfile=address.cert_file,
                keyfile=address.key_file,
                cert_reqs=ssl.CERT_REQUIRED,
            )

    def connect(self, timeout: float = 10.0) -> None:
        """Connect, wait for the broker's answer, and subscribe the filters given so far.

        A broker that refuses MQTT 5 as an unsupported protocol, or leaves an MQTT 5 CONNECT
        unanswered for a few seconds (amqtt does, given a last will), is tried again with MQTT
        3.1.1 (unless ``fallback=False``); :attr:`protocol` then says 3.
        """
        try:
            self._connect_once(min(timeout, MQTT5_ANSWER_WAIT_S) if self._fallback else timeout)
        except BrokerRefused as refused:
            if not (refused.unsupported_protocol and self._fallback):
                raise
            self._fall_back_to_mqtt311()
            self._connect_once(timeout)

    def _fall_back_to_mqtt311(self) -> None:
        """Replace the paho client by one that speaks MQTT 3.1.1."""
        self.protocol = 3
        self._fallback = False
        with self._state:
            self._connack = None
            self._dropped_unanswered = False
        self._client = self._make_client()

    def _connect_once(self, timeout: float) -> None:
        """One connection attempt with the current protocol."""
        if self._closed:
            raise BrokerUnavailable(f"transport {self.client_id!r} is closed; make a new one")
        self._client.connect_timeout = timeout
        try:
            if self.protocol == 5:
                rc = self._client.connect(
                    self.address.host, self.address.port, keepalive=self._keepalive_s,
                    clean_start=self._clean_start, properties=self._connect_properties(),
                )
            else:  # MQTT 3.1.1: clean session was set on the client
                rc = self._client.connect(
                    self.address.host, self.address.port, keepalive=self._keepalive_s
                )
        except (OSError, ssl.SSLError) as error:
            raise self._unreachable(str(error) or type(error).__name__) from None
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise self._unreachable(error_string(rc))
        self._start_loop()
        self._await_connack(timeout)
        for subscription in list(self._subscriptions):
            self._send_subscription(subscription, timeout)

    def _connect_properties(self) -> Properties | None:
        """MQTT 5 CONNECT properties: how long the broker keeps a persistent session, and how
        many messages it may have unacknowledged towards this client."""
        if self.protocol != 5 or (self._clean_start and self._receive_maximum is None):
            return None
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        if not self._clean_start:
            properties.SessionExpiryInterval = self._session_expiry_s
        if self._receive_maximum is not None:
            properties.ReceiveMaximum = self._receive_maximum
        return properties

    def _start_loop(self) -> None:
        """Start paho's network thread (it also reconnects)."""
        rc = self._client.loop_start()
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise self._unreachable(f"network loop did not start ({rc})")

    def _await_connack(self, timeout: float) -> None:
        """Wait for CONNACK; raise on silence or refusal (and stop the network thread)."""
        with self._state:
            self._state.wait_for(
                lambda: self._connack is not None or self._dropped_unanswered, timeout
            )
            answer, dropped = self._connack, self._dropped_unanswered
        if answer is None:
            self._stop_loop()
            if dropped or self._fallback:
                raise self._dropped()
            raise self._unreachable(f"no answer to CONNECT within {timeout:g} s")
        if answer.is_failure:
            self._stop_loop()
            raise self._refusal(answer)

    def _unreachable(self, why: str) -> BrokerUnavailable:
        """The error for a broker that cannot be reached."""
        return BrokerUnavailable(
            f"cannot connect to the MQTT broker at {self.address} ({why}). Is it running? "
            "Start one with `vtsim broker`, or check the host and port in --broker."
        )

    def _refusal(self, answer: ReasonCode) -> BrokerRefused:
        """The error for a broker that answered the connection with a refusal."""
        unsupported = answer.value in UNSUPPORTED_PROTOCOL
        hint = (
            " The broker does not speak MQTT 5; connect with MQTT 3.1.1 (protocol=3)."
            if unsupported
            else " Check the username and password (and the broker's ACL)."
        )
        return BrokerRefused(
            f"the MQTT broker at {self.address} refused the connection: {answer}.{hint}",
            answer.value,
            unsupported_protocol=unsupported,
        )

    def _dropped(self) -> BrokerRefused:
        """The error for a broker that dropped or ignored CONNECT without answering.

        Some MQTT 3.1.1 brokers (amqtt, given a last will) treat an MQTT 5 CONNECT this way, so
        with MQTT 5 this counts as an unsupported protocol.
        """
        return BrokerRefused(
            f"the MQTT broker at {self.address} did not answer the connection "
            f"(MQTT {'5' if self.protocol == 5 else '3.1.1'}); check its log, the client id "
            "and the credentials",
            -1,
            unsupported_protocol=self.protocol == 5,
        )

    def _stop_loop(self) -> None:
        """Disconnect and stop paho's network thread; if the broker does not take the
        DISCONNECT within :data:`CLOSE_WAIT_S` (frozen, its socket full), drop the
        connection (the broker then publishes the last will)."""
        self._client.disconnect()
        thread = getattr(self._client, "_thread", None)
        if not isinstance(thread, threading.Thread) or thread is threading.current_thread():
            self._client.loop_stop()
            return
        self._client._thread_terminate = True
        thread.join(CLOSE_WAIT_S)
        if thread.is_alive():
            self._drop_connection(thread)
        self._client._thread = None

    def _drop_connection(self, thread: threading.Thread | None) -> None:
        """Close the socket under paho (no DISCONNECT) and wait a little for its thread."""
        sock = self._client.socket()
        if sock is not None:
            with contextlib.suppress(OSError, AttributeError):
                sock.shutdown(socket.SHUT_RDWR)  # type: ignore[attr-defined]
            with contextlib.suppress(OSError):
                sock.close()
        if thread is not None and thread is not threading.current_thread():
            thread.join(ABANDON_WAIT_S)

    # --- publishing -------------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False,
                correlation_data: bytes | None = None, wait_s: float | None = None,
                beyond_window: bool = False) -> None:
        """Hand ``payload`` to the broker; wait while ``max_in_flight`` messages are unacknowledged.

        ``correlation_data`` goes with the message as its MQTT 5 Correlation Data (an answer
        to a request that carried it); it is left out on MQTT 3.1.1, which has no properties.

        Raises :class:`PublishFailed` when the transport is closed, when the in-flight window
        stays full for ``publish_timeout_s`` (or ``wait_s``, when given; at once after
        :meth:`stop_waiting`), or when paho refuses the message; a QoS 0 message cannot be sent
        while disconnected (QoS 1/2 messages are kept and sent on reconnect).
        ``beyond_window`` sends a rare message of importance (a last health report) even when
        the window is full: it waits behind the others.
        """
        if qos not in (0, 1, 2):
            raise ValueError(f"qos must be 0, 1 or 2, got {qos!r}")
        if self._closed:
            raise PublishFailed(f"cannot publish on {topic!r}: the transport is closed")
        if qos == 0:
            rc, mid = self._send(Outgoing(topic, payload, qos, retain, correlation_data))
            self._record_publish(topic, rc, mid, qos)
            return
        check_publishable(topic, payload)
        if not beyond_window:
            self._await_window(topic, self._publish_timeout_s if wait_s is None else wait_s)
        with self._state:
            self._held.append(Outgoing(topic, payload, qos, retain, correlation_data))
        self._hand_over(wait=True)

    def _unacknowledged(self) -> int:
        """QoS 1/2 messages not yet acknowledged: in flight, being handed over, held (the
        caller holds ``_state``)."""
        return len(self._pending) + self._sending + len(self._held)

    def _room_to_send(self) -> bool:
        """Whether a held message may go to paho now (the caller holds ``_state``)."""
        return (bool(self._held) and not self._closed
                and len(self._pending) + self._sending < self._max_in_flight)

    def _hand_over(self, wait: bool) -> None:
        """Hand held messages to paho, in order, while fewer than ``max_in_flight`` are
        unacknowledged. One thread at a time; with ``wait`` false (paho's thread) it leaves
        them to the thread already doing it, which looks again once it is done."""
        while self._hand_over_lock.acquire(blocking=wait):
            try:
                self._hand_over_held()
            finally:
                self._hand_over_lock.release()
            with self._state:  # an acknowledgement may have come while the lock was held
                if not self._room_to_send():
                    return

    def _hand_over_held(self) -> None:
        """Send held messages while there is room (the caller holds the hand-over lock)."""
        while True:
            with self._state:
                if not self._room_to_send():
                    return
                message = self._held.popleft()
                self._sending += 1
            rc, mid = self._send(message)
            self._record_handed_over(message.topic, rc, mid)

    def _record_handed_over(self, topic: str, rc: int, mid: int) -> None:
        """Track a held message's acknowledgement; a message paho refused is counted and
        named in ``last_error`` (paho keeps a message it could not send yet)."""
        with self._state:
            self._sending -= 1
            if rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
                self._counts["publish_errors"] += 1
                self._last_error = f"cannot publish on {topic!r}: {error_string(rc)}"
                self._state.notify_all()
                return
            self._counts["published"] += 1
            if mid in self._unclaimed_acks:
                self._unclaimed_acks.discard(mid)
            else:
                self._pending.add(mid)
            self._state.notify_all()

    def _await_window(self, topic: str, timeout: float) -> None:
        """Block until fewer than ``max_in_flight`` QoS 1/2 messages are unacknowledged (at
        most ``timeout`` seconds; not at all once :meth:`stop_waiting` was called)."""
        with self._state:
            room = self._state.wait_for(
                lambda: (self._unacknowledged() < self._window or self._closed
                         or self._give_up.is_set()),
                0.0 if self._give_up.is_set() else timeout,
            )
            if not room or self._closed or self._unacknowledged() >= self._window:
                self._counts["publish_errors"] += 1
                raise PublishFailed(
                    f"cannot publish on {topic!r}: {self._unacknowledged()} messages to "
                    f"{self.address} unacknowledged for {timeout:g} s "
                    f"(connected: {self._connected}); the broker is away or too slow"
                )

    def stop_waiting(self) -> None:
        """From now on (any thread, a signal handler too), a publish that finds the window
        full fails at once instead of waiting: for a prompt shutdown under a frozen broker."""
        self._give_up.set()
        if self._state.acquire(timeout=0.1):  # a signal may come while this thread holds it
            try:
                self._state.notify_all()
            finally:
                self._state.release()

    @property
    def window_full(self) -> bool:
        """Whether ``max_in_flight`` QoS 1/2 messages are unacknowledged right now."""
        with self._state:
            return self._unacknowledged() >= self._window

    def _send(self, message: Outgoing) -> tuple[int, int]:
        """paho's publish (again with a fresh id if paho's ids collide); its return code and
        message id."""
        properties = None
        if message.correlation_data is not None and self.protocol == 5:
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            properties.CorrelationData = message.correlation_data
        for _ in range(MID_RETRIES):
            try:
                info = self._client.publish(message.topic, message.payload, qos=message.qos,
                                            retain=message.retain, properties=properties)
            except ValueError as error:
                raise InvalidTopic(f"cannot publish on {message.topic!r}: {error}") from None
            if info.rc != MQTTErrorCode.MQTT_ERR_QUEUE_SIZE:
                break
        return info.rc, info.mid

    def _record_publish(self, topic: str, rc: int, mid: int, qos: int) -> None:
        """Count a QoS 0 publish, or raise if paho did not take it."""
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            with self._state:
                self._counts["publish_errors"] += 1
            raise PublishFailed(
                f"cannot publish on {topic!r} to {self.address}: "
                f"{error_string(rc)}"
            )
        with self._state:
            self._counts["published"] += 1
            self._unclaimed_qos0.add(mid)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every QoS 1/2 publish is acknowledged; False if some are not in time."""
        with self._state:
            return self._state.wait_for(lambda: not self._unacknowledged(), timeout)

    # --- subscribing and delivering ---------------------------------------------------------

    def subscribe(
        self, pattern: str, handler: Callable[[str, bytes], None], *, qos: int = 1
    ) -> None:
        """Deliver ``(topic, payload)`` of matching messages to ``handler``, in :meth:`drain`."""
        self.subscribe_messages(pattern, lambda m: handler(m.topic, m.payload), qos=qos)

    def subscribe_messages(
        self, pattern: str, handler: MessageHandler, *, qos: int = 1, timeout: float = 10.0
    ) -> None:
        """Deliver each matching :class:`ReceivedMessage` (with QoS and retain flag) to ``handler``.

        When connected, waits for the broker's SUBACK (and raises :class:`SubscribeFailed` on
        refusal); before :meth:`connect`, the subscription is sent on connecting.
        """
        check_filter(local_filter(pattern))
        if qos not in (0, 1, 2):
            raise ValueError(f"qos must be 0, 1 or 2, got {qos!r}")
        subscription = Subscription(pattern, qos, handler)
        with self._state:
            self._subscriptions.append(subscription)
            self._routes.clear()
            connected = self._connected
        if connected:
            self._send_subscription(subscription, timeout)

    def _send_subscription(self, subscription: Subscription, timeout: float) -> None:
        """Subscribe at the broker and wait for its acknowledgement."""
        rc, mid = self._client.subscribe(subscription.pattern, qos=subscription.qos)
        if rc == MQTTErrorCode.MQTT_ERR_NO_CONN:
            return  # sent again on reconnect
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or mid is None:
            raise SubscribeFailed(
                f"cannot subscribe to {subscription.pattern!r}: "
                f"{error_string(rc)}"
            )
        with self._state:
            answered = self._state.wait_for(lambda: mid in self._subacks, timeout)
            codes = self._subacks.pop(mid, [])
        if not answered:
            raise SubscribeFailed(
                f"no SUBACK for {subscription.pattern!r} from {self.address} within {timeout:g} s"
            )
        refused = [code for code in codes if code.is_failure]
        if refused:
            raise SubscribeFailed(
                f"the broker at {self.address} refused the subscription to "
                f"{subscription.pattern!r}: {refused[0]} (check the ACL for this account)"
            )

    def take(self, timeout: float = 0.0, max_messages: int = 1000) -> list[ReceivedMessage]:
        """The queued messages (at most ``max_messages``), without handing them to handlers:
        waits up to ``timeout`` seconds for the first. For a receiver that handles messages
        in groups (one store commit for many) and acknowledges them itself."""
        taken: list[ReceivedMessage] = []
        wait = timeout
        while len(taken) < max_messages:
            try:
                message = self._inbox.get(timeout=wait) if wait > 0 else self._inbox.get_nowait()
            except queue.Empty:
                break
            wait = 0.0
            taken.append(message)
        if taken:
            with self._state:
                self._counts["delivered"] += len(taken)
        return taken

    def drain(self, timeout: float = 0.0, max_messages: int | None = None) -> int:
        """Deliver queued messages to their handlers, in this thread; return how many.

        Waits up to ``timeout`` seconds for the first message, then delivers what is queued
        (at most ``max_messages``). A handler's exception propagates; the message that raised
        it counts as delivered.
        """
        delivered = 0
        wait = timeout
        while max_messages is None or delivered < max_messages:
            try:
                message = self._inbox.get(timeout=wait) if wait > 0 else self._inbox.get_nowait()
            except queue.Empty:
                break
            wait = 0.0
            delivered += 1
            with self._state:
                self._counts["delivered"] += 1
            for handler in self._handlers(message.topic):
                handler(message)
        return delivered

    def _handlers(self, topic: str) -> tuple[MessageHandler, ...]:
        """The handlers of every subscription matching ``topic`` (cached per topic)."""
        handlers = self._routes.get(topic)
        if handlers is None:
            with self._state:
                subscriptions = list(self._subscriptions)
            handlers = tuple(s.handler for s in subscriptions if s.matches(topic))
            if len(self._routes) >= ROUTE_CACHE_LIMIT:
                self._routes.clear()
            self._routes[topic] = handlers
        return handlers

    def ack(self, message: ReceivedMessage) -> bool:
        """Acknowledge a delivered QoS 1/2 message to the broker (with ``manual_ack`` only).

        An ack is sent only on the connection that brought the message: after a reconnect the
        broker delivers unacknowledged messages again, and an old packet id may by then name
        another message. Returns whether an acknowledgement was sent.
        """
        if not self.manual_ack or message.qos == 0:
            return False
        with self._state:
            current = self._connected and message.connection == self._connections
        if not current:
            return False
        rc = self._client.ack(message.mid, message.qos)
        return rc == MQTTErrorCode.MQTT_ERR_SUCCESS

    # --- state ------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the broker connection is up right now."""
        with self._state:
            return self._connected

    @property
    def stats(self) -> MqttStats:
        """A snapshot of the counters."""
        with self._state:
            counts = dict(self._counts)
            in_flight = self._unacknowledged()
            last_error = self._last_error
        return MqttStats(
            in_flight=in_flight, queued=self._inbox.qsize(), last_error=last_error, **counts
        )

    def close(self) -> None:
        """Disconnect cleanly (the broker does not send the last will) and stop the thread."""
        with self._state:
            if self._closed:
                return
            self._closed = True
            self._state.notify_all()
        self._stop_loop()

    def abandon(self) -> None:
        """Leave without a clean disconnect: stop the thread and drop the connection, so that
        the broker publishes the last will (as if this client had died)."""
        with self._state:
            if self._closed:
                return
            self._closed = True
            self._state.notify_all()
        thread = getattr(self._client, "_thread", None)
        self._client._thread_terminate = True  # loop_stop() without its unbounded join
        self._drop_connection(thread if isinstance(thread, threading.Thread) else None)

    def __enter__(self) -> MqttTransport:
        """Use as a context manager: connect on entry."""
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        """Close on exit."""
        self.close()

    # --- paho callbacks (paho's thread: record and notify only) -----------------------------

    def _on_connect(
        self, client: Client, _userdata: Any, flags: ConnectFlags, reason: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        """Record the broker's answer; after a reconnect, subscribe again unless it kept them."""
        with self._state:
            self._connack = reason
            if reason.is_failure:
                self._last_error = f"connection refused: {reason}"
                self._state.notify_all()
                return
            self._connected = True
            self._connections += 1
            reconnect = self._connections > 1
            if reconnect:
                self._counts["reconnects"] += 1
                self._unclaimed_qos0.clear()
            subscriptions = list(self._subscriptions) if reconnect else []
            self._state.notify_all()
        if not flags.session_present:
            self._resubscribe(client, subscriptions)

    def _resubscribe(self, client: Client, subscriptions: list[Subscription]) -> None:
        """Send the subscriptions again (their SUBACKs are checked in :meth:`_on_subscribe`)."""
        for subscription in subscriptions:
            rc, mid = client.subscribe(subscription.pattern, qos=subscription.qos)
            with self._state:
                if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or mid is None:
                    self._counts["subscribe_errors"] += 1
                    self._last_error = f"resubscribe to {subscription.pattern!r} failed ({rc})"
                else:
                    self._resubscriptions.add(mid)

    def _on_disconnect(
        self, _client: Client, _userdata: Any, _flags: DisconnectFlags, reason: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        """Record that the connection is down (paho reconnects by itself)."""
        with self._state:
            self._connected = False
            if self._connack is None:
                self._dropped_unanswered = True
            if reason.is_failure:
                self._last_error = f"disconnected: {reason}"
            self._state.notify_all()

    def _on_publish(
        self, _client: Client, _userdata: Any, mid: int, reason: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        """Record an acknowledgement (PUBACK/PUBCOMP, or a QoS 0 message written out)."""
        with self._state:
            if reason.is_failure:
                self._counts["publish_errors"] += 1
                self._last_error = f"broker refused message {mid}: {reason}"
            if mid in self._pending:
                self._pending.discard(mid)
                self._counts["acknowledged"] += 1
            elif mid in self._unclaimed_qos0:
                self._unclaimed_qos0.discard(mid)
            else:
                self._unclaimed_acks.add(mid)
                self._counts["acknowledged"] += 1
            self._state.notify_all()
            more = self._room_to_send()
        if more:
            self._hand_over(wait=False)

    def _on_subscribe(
        self, _client: Client, _userdata: Any, mid: int, codes: list[ReasonCode],
        _properties: Properties | None,
    ) -> None:
        """Record a SUBACK; a refused resubscription is counted as an error."""
        with self._state:
            if mid in self._resubscriptions:
                self._resubscriptions.discard(mid)
                if any(code.is_failure for code in codes):
                    self._counts["subscribe_errors"] += 1
                    self._last_error = f"resubscription refused: {codes}"
            else:
                self._subacks[mid] = codes
            self._state.notify_all()

    def _on_message(self, _client: Client, _userdata: Any, message: MQTTMessage) -> None:
        """Queue a delivered message for :meth:`drain`."""
        with self._state:
            connection = self._connections
        self._inbox.put(
            ReceivedMessage(
                topic=message_topic(message),
                payload=bytes(message.payload),
                qos=message.qos,
                retain=bool(message.retain),
                received_at=time.time(),
                mid=message.mid,
                connection=connection,
                response_topic=response_topic_of(message),
                correlation_data=correlation_data_of(message),
            )
        )


def response_topic_of(message: MQTTMessage) -> str | None:
    """The MQTT 5 Response Topic of a delivered message (None without one, and in 3.1.1)."""
    topic = getattr(message.properties, "ResponseTopic", None)
    return topic if isinstance(topic, str) and topic else None


def correlation_data_of(message: MQTTMessage) -> bytes | None:
    """The MQTT 5 Correlation Data of a delivered message (None without)."""
    data = getattr(message.properties, "CorrelationData", None)
    return bytes(data) if isinstance(data, bytes | bytearray) else None


def message_topic(message: MQTTMessage) -> str:
    """The topic of a delivered message; invalid UTF-8 is shown with replacement characters."""
    try:
        return message.topic
    except UnicodeDecodeError:
        return bytes(message._topic).decode("utf-8", errors="replace")


def connect_transport(
    address: BrokerAddress,
    client_id: str,
    *,
    will: tuple[str, bytes] | None = None,
    protocol: Protocol = 5,
    max_in_flight: int = 1000,
    clean_start: bool = True,
    timeout: float = 10.0,
) -> MqttTransport:
    """A connected transport (MQTT 5, or MQTT 3.1.1 where the broker refuses MQTT 5)."""
    transport = MqttTransport(
        address, client_id, will=will, protocol=protocol, max_in_flight=max_in_flight,
        clean_start=clean_start,
    )
    transport.connect(timeout)
    return transport


def free_client_id(prefix: str) -> str:
    """A client id unlikely to clash with another client's: ``prefix-host-pid-time``."""
    return f"{prefix}-{socket.gethostname()[:16]}-{os.getpid()}-{time.time_ns() % 10**9}"
