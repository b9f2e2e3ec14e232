"""The device side of a run: turning events into messages, with repeats while unanswered."""

from __future__ import annotations

from collections.abc import Callable

from sim.engine import Engine
from sim.model.fleet import FleetDevice
from sim.model.network import Network
from sim.model.randomness import Streams
from sim.scenario.schema import Repeat, Scenario

AwaitingAnswer = Callable[[str, str], bool]
WaitingNotice = Callable[[str, str], None]
"""Told ``(device_id, event)`` when an alarm of that kind starts waiting for an operator."""
RepeatCheck = tuple[float, FleetDevice, str, Repeat, int]
"""A press's repeat check: when it is due, the device, the event, its repeat rule, its number."""


def _never() -> None:
    """A resend that cannot be needed: the network corrupts no message."""


class Sender:
    """Encodes each event as its device's message and sends it over the network."""

    def __init__(self, env: Engine, scenario: Scenario, streams: Streams,
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
        self._told_of_waiting = False
        self._set_aside: dict[tuple[str, str], list[RepeatCheck]] = {}

    def waiting_notices(self) -> WaitingNotice:
        """What the centre calls when an alarm starts waiting for an operator.

        From then on a repeat check is put on the clock only while its alarm waits: a check
        that falls due while nobody waits does nothing, so until the centre tells that the
        device's alarm waits, the check is only set aside. Repeats happen exactly as before
        (same draws, same moments), with no timer for the many alarms answered at once.
        """
        self._told_of_waiting = True
        return self.incident_waiting

    def incident_waiting(self, device_id: str, event: str) -> None:
        """An alarm of ``event`` from the device waits: put its checks to come on the clock."""
        checks = self._set_aside.pop((device_id, event), None)
        if checks:
            now = self.env.now
            for check in checks:
                if check[0] > now:
                    self._set_check(check)

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
        payload = device.make_message(event, self.message_time(), fields)
        resend = (lambda: self.send(placed, event)) if self._may_corrupt else _never
        self.network.send(device.events_topic, payload, resend)

    def message_time(self) -> float:
        """The ``ts`` of a message sent now, in epoch seconds: the scenario clock."""
        return self.start_epoch + self.env.now

    def _schedule_repeat(self, placed: FleetDevice, event: str, repeat: Repeat,
                         number: int) -> None:
        """Press again after a delay if still unanswered, up to ``repeat.max`` times."""
        device = placed.device
        after = self._repeat_samplers[(device.device_type, event)][0]
        now = self.env.now
        check = (now + after(), placed, event, repeat, number)
        if not self._told_of_waiting or self.awaiting_answer(device.device_id, event):
            self._set_check(check)
            return
        key = (device.device_id, event)
        checks = self._set_aside.get(key)
        if checks is None:
            self._set_aside[key] = [check]
        else:
            checks[:] = [c for c in checks if c[0] > now]  # past checks found nobody waiting
            checks.append(check)

    def _set_check(self, check: RepeatCheck) -> None:
        due, placed, event, repeat, number = check
        self.env.at_time(due, lambda _timer: self._maybe_repeat(placed, event, repeat, number))

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
