"""``vtsim emulate``: a scenario's fleet on a real broker, each device in its own MQTT session.

:mod:`sim.realtime.emulation` runs the fleet in real time;
:class:`devices.transport.device_sessions.DeviceSessions`
gives every emulated device its own session with its last will. The centre's replies come back
on ``vt/v1/{tenant}/centre/#`` through one extra session and decide the repeats of unanswered
alarms.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Final, Literal

from devices.contract.topics import PREFIX, STATUS
from devices.transport.device_sessions import DeviceSessions, SessionSpec
from devices.transport.mqtt import BrokerAddress, MqttError
from sim.realtime.emulation import Emulation, build_emulation, sim_clock
from sim.scenario.schema import Scenario

DEFAULT_DEVICES: Final = 1000
"""Devices emulated when ``--devices`` is not given (each one holds a connection)."""
SPARE_FILES: Final = 64
"""File descriptors kept free besides one per device session."""


class EmulationStopped(Exception):
    """SIGTERM asked the emulator to stop: it ends cleanly, as on Ctrl-C."""


@dataclass(frozen=True, slots=True)
class EmulatorOptions:
    """How to emulate: broker, speed, seed, how long (wall seconds) and how many devices."""

    address: BrokerAddress
    speed: float = 60.0
    seed: int = 1
    wall_s: float | None = None
    devices: int | None = DEFAULT_DEVICES
    progress_s: float = 5.0
    protocol: Literal[3, 5] = 3
    run_id: str | None = None
    """Put into every message id (``{device_id}-{run_id}-{seq}``): ids stay unique across runs
    of the same fleet against one centre. None keeps the simulator's ``{device_id}-{seq}``."""


@dataclass(frozen=True, slots=True)
class EmulatorResult:
    """How an emulation ended."""

    sim_s: float
    sent: int
    acknowledged: int
    centre_acks: int
    rejections: int
    interrupted: bool
    clean_exit: bool


def session_specs(emulation: Emulation) -> list[SessionSpec]:
    """One session per emulated device; the client id names the tenant and the device."""
    tenant = emulation.scenario.tenant
    return [
        SessionSpec(p.device.device_id, p.device.device_type,
                    f"vtsim-{tenant}-{p.device.device_id}", p.device.topic(STATUS))
        for p in emulation.devices
    ]


def ensure_file_limit(sessions: int) -> None:
    """Raise the open-file limit to its hard maximum if the sessions need it; else fail clearly."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = sessions + SPARE_FILES
    if needed <= soft:
        return
    if hard != resource.RLIM_INFINITY and needed > hard:
        raise MqttError(f"{sessions} device sessions need {needed} open files, but this process "
                        f"may open at most {hard}; emulate fewer with --devices "
                        f"{max(1, hard - SPARE_FILES)} or raise `ulimit -n`")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed if hard == resource.RLIM_INFINITY
                                                else hard, hard))


def progress_line(emulation: Emulation, sessions: DeviceSessions) -> str:
    """Sim clock, messages sent, broker acknowledgements, centre replies, sessions up."""
    emulation.answers.read_replies()
    stats, counts, answers = sessions.stats, emulation.sender.counts, emulation.answers
    return (f"{sim_clock(emulation.env.now)} · sent {counts.sent} (alarms {counts.alarms}, "
            f"repeats {counts.repeats}, resent {counts.resends}) · broker acks "
            f"{stats.acknowledged}/{stats.sent} (with "
            f"status) · centre acks "
            f"{answers.acks} · rejections {answers.rejections} · sessions "
            f"{stats.connected}/{stats.sessions}")


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into :class:`EmulationStopped` while emulating (main thread only)."""
    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise EmulationStopped
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_emulator(scenario: Scenario, options: EmulatorOptions,
                 report: Callable[[str], None]) -> EmulatorResult:
    """Emulate until the scenario's horizon, ``wall_s`` or Ctrl-C/SIGTERM; then say offline."""
    sessions: DeviceSessions | None = None

    def publish(topic: str, payload: bytes) -> None:
        assert sessions is not None
        sessions.publish(topic.split("/", 5)[4], topic, payload)

    emulation = build_emulation(scenario, options.seed, publish, speed=options.speed,
                                devices=options.devices, run_id=options.run_id)
    specs = session_specs(emulation)
    ensure_file_limit(len(specs))
    sessions = DeviceSessions(options.address, specs, protocol=options.protocol)
    sessions.listen(f"{PREFIX}/{scenario.tenant}/centre/#", emulation.answers.offer,
                    f"vtsim-{scenario.tenant}-emulator-{os.getpid()}")
    started = time.perf_counter()
    sessions.start()
    report(f"{len(specs)} devices of {scenario.name!r} connected to {options.address} as tenant "
           f"{scenario.tenant!r} in {time.perf_counter() - started:.1f} s; "
           f"{options.speed:g}× real time; message ids of run {options.run_id}. Ctrl-C stops.")
    emulation.every(options.progress_s, lambda: report(progress_line(emulation, sessions)))
    until = scenario.horizon
    if options.wall_s is not None:
        until = min(until, options.wall_s * options.speed)
    interrupted = False
    try:
        with stop_on_sigterm():
            emulation.run(until)
    except (KeyboardInterrupt, EmulationStopped):
        interrupted = True
    report(progress_line(emulation, sessions))
    clean = sessions.close()
    stats = emulation.answers
    stats.read_replies()
    return EmulatorResult(emulation.env.now, emulation.sender.counts.sent,
                          sessions.stats.acknowledged, stats.acks, stats.rejections,
                          interrupted, clean)
