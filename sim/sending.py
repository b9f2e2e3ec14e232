"""The device side of a run: turning events into messages, with repeats while unanswered."""

from __future__ import annotations

from collections.abc import Callable

import simpy

from sim.fleet import FleetDevice
from sim.network import Network
from sim.randomness import Streams
from sim.scenario import Repeat, Scenario
from sim.timers import at_delay

AwaitingAnswer = Callable[[str, str], bool]


def _never() -> None:
    """A resend that cannot be needed: the network corrupts no message."""


class Sender:
    """Encodes each event as its device's message and sends it over the network."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, streams: Streams,
                 network: Network, awaiting_answer: AwaitingAnswer, start_epoch: float) -> None:
        self.env = env
        self.network = network
        self.awaiting_answer = awaiting_answer
        self.start_epoch = start_epoch
        self._fields = streams.generator("devices/fields")
        self._may_corrupt = scenario.transport.malformed_probability > 0
        self._streams = streams
        self._repeats: dict[tuple[str, str], Repeat] = {
            (kind, event): config.repeat
            for kind, device in scenario.devices.items()
            for event, config in device.events.items()
            if config.repeat is not None
        }
        self._repeat_samplers = {
            key: (streams.sampler(f"repeats/{key[0]}.{key[1]}", repeat.after),
                  streams.uniform(f"repeats/{key[0]}.{key[1]}/chance"))
            for key, repeat in self._repeats.items()
        }

    def emit(self, placed: FleetDevice, event: str) -> None:
        """An event happened on a device: send its message (and repeat it if unanswered)."""
        self.send(placed, event)
        if self._repeats:
            repeat = self._repeats.get((placed.device.device_type, event))
            if repeat is not None:
                self._schedule_repeat(placed, event, repeat, 1)

    def send(self, placed: FleetDevice, event: str) -> None:
        """Send one message for ``event`` from the device; resent if the centre rejects it."""
        device = placed.device
        fields = device.sample_fields(event, self._fields)
        payload = device.make_message(event, self.start_epoch + self.env.now, fields)
        resend = (lambda: self.send(placed, event)) if self._may_corrupt else _never
        self.network.send(device.events_topic, payload, resend)

    def _schedule_repeat(self, placed: FleetDevice, event: str, repeat: Repeat,
                         number: int) -> None:
        """Press again after a delay if still unanswered, up to ``repeat.max`` times."""
        after = self._repeat_samplers[(placed.device.device_type, event)][0]
        at_delay(self.env, after(),
                 lambda _timer: self._maybe_repeat(placed, event, repeat, number))

    def _maybe_repeat(self, placed: FleetDevice, event: str, repeat: Repeat,
                      number: int) -> None:
        chance = self._repeat_samplers[(placed.device.device_type, event)][1]
        if not self.awaiting_answer(placed.device.device_id, event):
            return
        if chance() >= repeat.probability:
            return
        self.send(placed, event)
        if number < repeat.max:
            self._schedule_repeat(placed, event, repeat, number + 1)
