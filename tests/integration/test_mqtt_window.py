"""The MQTT transport's window: at most ``max_in_flight`` QoS 1 messages on the wire, the rest
queued in the transport and sent in order as the broker acknowledges.

The broker here is a scripted MQTT 3.1.1 peer on a socket of its own: it answers CONNECT and
PINGREQ, records every PUBLISH, and acknowledges only when the test says so, so that what is
on the wire at each moment is seen exactly.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from devices.contract.errors import InvalidTopic
from devices.transport.mqtt import BrokerAddress, MqttTransport, PublishFailed

CONNECT, PUBLISH, PUBACK, PINGREQ, DISCONNECT = 1, 3, 4, 12, 14


class ScriptedBroker:
    """One client's broker: records PUBLISH packets (packet id, payload), acknowledges on
    demand."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self.published: list[tuple[int, bytes]] = []
        self._seen = threading.Condition()
        self._client: socket.socket | None = None
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        client, _ = self._server.accept()
        self._client = client
        try:
            while packet := read_packet(client):
                kind, body = packet
                if kind == CONNECT:
                    client.sendall(bytes([0x20, 2, 0, 0]))  # CONNACK: accepted
                elif kind == PINGREQ:
                    client.sendall(bytes([0xD0, 0]))
                elif kind == PUBLISH:
                    self._note_publish(body)
                elif kind == DISCONNECT:
                    return
        except OSError:
            return

    def _note_publish(self, body: bytes) -> None:
        topic_length = int.from_bytes(body[:2], "big")
        mid = int.from_bytes(body[2 + topic_length:4 + topic_length], "big")
        with self._seen:
            self.published.append((mid, body[4 + topic_length:]))
            self._seen.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[bytes]:
        """The payloads once at least ``count`` PUBLISH packets came (all of them so far)."""
        with self._seen:
            self._seen.wait_for(lambda: len(self.published) >= count, timeout)
            return [payload for _, payload in self.published]

    def acknowledge(self, index: int) -> None:
        """PUBACK the ``index``-th PUBLISH received."""
        assert self._client is not None
        mid = self.published[index][0]
        self._client.sendall(bytes([0x40, 2]) + mid.to_bytes(2, "big"))

    def close(self) -> None:
        for sock in (self._client, self._server):
            if sock is not None:
                sock.close()


def read_exactly(sock: socket.socket, size: int) -> bytes | None:
    """``size`` bytes, or None once the peer closed."""
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_packet(sock: socket.socket) -> tuple[int, bytes] | None:
    """One MQTT packet: its type and body."""
    head = read_exactly(sock, 1)
    if head is None:
        return None
    length, shift = 0, 0
    while True:
        byte = read_exactly(sock, 1)
        if byte is None:
            return None
        length |= (byte[0] & 0x7F) << shift
        shift += 7
        if not byte[0] & 0x80:
            break
    body = read_exactly(sock, length) if length else b""
    return (head[0] >> 4, body) if body is not None else None


@pytest.fixture
def broker() -> Iterator[ScriptedBroker]:
    scripted = ScriptedBroker()
    yield scripted
    scripted.close()


def still(broker: ScriptedBroker, count: int) -> list[bytes]:
    """What the broker got, after a pause long enough for more to have come if the transport
    sent more."""
    time.sleep(0.3)
    return broker.wait_for(count, timeout=0.0)


def connected(broker: ScriptedBroker, max_in_flight: int, max_queued: int) -> MqttTransport:
    """An MQTT 3.1.1 transport with this window, connected to the scripted broker."""
    transport = MqttTransport(BrokerAddress("127.0.0.1", broker.port), "window", protocol=3,
                              fallback=False, max_in_flight=max_in_flight, max_queued=max_queued)
    transport.connect()
    return transport


def test_at_most_max_in_flight_on_the_wire_the_rest_in_order_as_acks_come(
        broker: ScriptedBroker) -> None:
    transport = connected(broker, max_in_flight=3, max_queued=20)
    try:
        sent = [f"m{i}".encode() for i in range(10)]
        for payload in sent:
            transport.publish("vt/v1/t/centre/ack/d", payload)  # the window has room: no wait
        assert broker.wait_for(3) == sent[:3]
        assert still(broker, 3) == sent[:3]  # the other 7 wait in the transport
        assert transport.stats.in_flight == 10
        broker.acknowledge(0)
        assert broker.wait_for(4) == sent[:4]  # one acknowledgement, one more out
        assert still(broker, 4) == sent[:4]
        for index in range(1, 10):
            broker.acknowledge(index)
            broker.wait_for(min(index + 4, 10))
        assert broker.wait_for(10) == sent  # all of them, in order, each once
        assert transport.flush(5.0)
        assert transport.stats.in_flight == 0
        assert transport.stats.acknowledged == 10
    finally:
        transport.close()


def test_a_full_window_makes_publish_wait_then_fail_and_bad_topics_fail_at_once(
        broker: ScriptedBroker) -> None:
    transport = connected(broker, max_in_flight=2, max_queued=3)
    try:
        for number in range(5):
            transport.publish("vt/v1/t/x", b"%d" % number)
        with pytest.raises(PublishFailed, match=r"5 messages .* unacknowledged"):
            transport.publish("vt/v1/t/x", b"sixth", wait_s=0.2)
        transport.publish("vt/v1/t/centre/health", b"last", wait_s=0.0, beyond_window=True)
        assert broker.wait_for(2) == [b"0", b"1"]
        with pytest.raises(InvalidTopic):
            transport.publish("vt/v1/+/x", b"wildcard")
        for index in range(6):
            broker.acknowledge(index)
            broker.wait_for(min(index + 3, 6))
        assert broker.wait_for(6) == [b"0", b"1", b"2", b"3", b"4", b"last"]
        assert transport.flush(5.0)
    finally:
        transport.close()
