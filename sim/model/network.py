"""The path from a device to the centre: latency, QoS 1 redelivery and corrupt messages.

Messages are real encoded payloads published on a :class:`devices.transport.base.Transport`; the
centre decodes them with the same code the MQTT path uses.
"""

from __future__ import annotations

from collections.abc import Callable

from devices.transport.base import Transport
from sim.engine import Due, Engine, TimerCallback, new_timer
from sim.model.randomness import Streams
from sim.scenario.distributions import Constant
from sim.scenario.schema import Transport as TransportConfig


class Network:
    """Delivers device messages to a transport as the scenario's network would."""

    def __init__(
        self,
        env: Engine,
        transport: Transport,
        config: TransportConfig,
        streams: Streams,
    ) -> None:
        self._env = env
        self._transport = transport
        self._config = config
        instant = isinstance(config.latency, Constant) and config.latency.value == 0
        self._latency = None if instant else streams.sampler("network/latency", config.latency)
        self._faults = streams.uniform("network/faults")
        self._cut = streams.uniform("network/corruption")
        self._malformed = config.malformed_probability
        self._duplicate = config.duplicate_probability
        self._on_arrival: tuple[TimerCallback, ...] = (self._arrive,)

    def send(self, topic: str, payload: bytes, resend: Callable[[], None]) -> None:
        """Send one message; a corrupt one is rejected by the centre and resent by the device."""
        malformed, duplicate = self._malformed, self._duplicate
        if malformed and self._faults() < malformed:
            payload = self.corrupt(payload)
            self._env.call_after(self._config.resend_after, resend)
        if self._latency is None:
            self._transport.publish(topic, payload, qos=1)
        else:
            self._deliver(topic, payload)
        if duplicate and self._faults() < duplicate:
            self._deliver(topic, payload)

    def corrupt(self, payload: bytes) -> bytes:
        """A payload cut short, as a device with a firmware bug or a broken link might send it."""
        return payload[: max(1, int(len(payload) * self._cut()))]

    def _deliver(self, topic: str, payload: bytes) -> None:
        if self._latency is None:
            self._transport.publish(topic, payload, qos=1)
        else:
            delivery: Delivery = new_timer(Delivery)
            delivery.callbacks = self._on_arrival
            delivery.topic = topic
            delivery.payload = payload
            self._env.queue_timer(self._latency(), delivery)

    def _arrive(self, delivery: Delivery) -> None:
        """A message reaches the broker after its latency and is published."""
        self._transport.publish(delivery.topic, delivery.payload, qos=1)


class Delivery(Due):
    """A message on its way: a timer that carries its topic and payload."""

    __slots__ = ("payload", "topic")

    topic: str
    payload: bytes

