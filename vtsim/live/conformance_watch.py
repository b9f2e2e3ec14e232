"""``vtsim conformance``: watch one device on a broker and judge it against the contract.

The watcher subscribes at QoS 2 to ``vt/v1/{tenant or +}/+/{device_id}/#``: the broker then
delivers every message at the QoS its publisher used, and the retained status with its retain
flag. What it receives goes to :func:`devices.contract.conformance.evaluate`; this module only
gathers
observations, finds the expected heartbeat interval and shows the verdicts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from rich.table import Table
from rich.text import Text

from devices.contract.catalog import DEVICE_TYPES
from devices.contract.conformance import ConformanceReport, Observation
from devices.contract.topics import PREFIX, require_level, require_tenant
from devices.transport.mqtt import BrokerAddress, ReceivedMessage, connect_transport, free_client_id
from sim.scenario.durations import parse_duration
from sim.scenario.library import DEFAULT_PROFILE, device_profile
from sim.scenario.loading import load_scenario

VERDICT_STYLES: Final = {"pass": "green", "fail": "bold red", "not_observed": "yellow"}
VERDICT_LABELS: Final = {"pass": "pass", "fail": "FAIL", "not_observed": "not observed"}


def watch_pattern(device_id: str, tenant: str | None) -> str:
    """The topic filter for every topic of one device (of one tenant, or of any)."""
    require_level(device_id, "device id")
    level = "+" if tenant is None else require_tenant(tenant)
    return f"{PREFIX}/{level}/+/{device_id}/#"


def watch_device(address: BrokerAddress, device_id: str, tenant: str | None, wall_s: float,
                 on_tick: Callable[[int], None] | None = None,
                 on_subscribed: Callable[[], None] | None = None,
                 ) -> tuple[list[Observation], float, float]:
    """Observe the device for ``wall_s`` seconds (Ctrl-C ends early): messages, start, end.

    ``on_subscribed`` is called once the broker has acknowledged the subscription.
    """
    pattern = watch_pattern(device_id, tenant)
    seen: list[Observation] = []

    def observe(message: ReceivedMessage) -> None:
        seen.append(Observation(message.topic, message.payload, message.qos, message.retain,
                                message.received_at))

    transport = connect_transport(address, free_client_id("vtsim-conformance"))
    started = time.time()
    try:
        transport.subscribe_messages(pattern, observe, qos=2)
        if on_subscribed is not None:
            on_subscribed()
        gather(transport.drain, started + wall_s, on_tick, seen)
    except KeyboardInterrupt:
        pass
    finally:
        transport.drain()
        transport.close()
    return seen, started, time.time()


def gather(drain: Callable[[float], int], deadline: float,
           on_tick: Callable[[int], None] | None, seen: list[Observation]) -> None:
    """Deliver messages until ``deadline``, reporting the count now and then."""
    next_tick = time.time() + 5.0
    while (now := time.time()) < deadline:
        drain(min(0.5, deadline - now))
        if on_tick is not None and now >= next_tick:
            on_tick(len(seen))
            next_tick = now + 5.0


def expected_interval(observations: list[Observation], scenario_file: Path | None
                      ) -> tuple[float | None, str]:
    """The interval of the device kind's periodic message and its source: the scenario's
    setting, else the shipped device profile's (:data:`sim.scenario.library.DEFAULT_PROFILE`,
    package data, so it is there in any installation)."""
    kind = observed_kind(observations)
    if kind is None:
        return None, "device kind not seen"
    periodic = [e for e, spec in DEVICE_TYPES[kind].events.items() if spec.periodic]
    if scenario_file is None:
        return profile_interval(kind, periodic)
    scenario = load_scenario(scenario_file)
    configs = scenario.devices.get(kind)
    for event in periodic:
        config = configs.events.get(event) if configs else None
        if config is not None and config.interval is not None:
            return config.interval, f"{scenario_file.name}: {kind}.{event}.interval"
    return None, f"{scenario_file.name} sets no interval for {kind}"


def profile_interval(kind: str, periodic: list[str]) -> tuple[float | None, str]:
    """The periodic interval of ``kind`` in its shipped default device profile."""
    where = f"shipped device profile {kind}/{DEFAULT_PROFILE}"
    try:
        events = device_profile(kind, DEFAULT_PROFILE).events
    except KeyError:
        return None, f"no {where}"
    for event in periodic:
        settings = events.get(event)
        if isinstance(settings, dict) and settings.get("interval") is not None:
            return parse_duration(settings["interval"]), f"{where}: {event}.interval"
    return None, f"{where} sets no interval"


def observed_kind(observations: list[Observation]) -> str | None:
    """The device kind named by the first device topic seen."""
    for observation in observations:
        levels = observation.topic.split("/")
        if len(levels) == 6 and levels[3] in DEVICE_TYPES:
            return levels[3]
    return None


def report_table(report: ConformanceReport) -> Table:
    """One row per requirement: verdict, summary and evidence."""
    title = (f"Conformance of {report.device_id} ({', '.join(report.device_types) or '?'}, "
             f"tenant {', '.join(report.tenants) or '?'}): {report.counts['events']} events, "
             f"{report.counts['status']} status, {report.ended_at - report.started_at:.0f} s")
    table = Table(title=title, show_lines=True)
    table.add_column("requirement")
    table.add_column("verdict")
    table.add_column("evidence", overflow="fold")
    for finding in report.findings:
        verdict = Text(VERDICT_LABELS[finding.verdict], style=VERDICT_STYLES[finding.verdict])
        evidence = "\n".join((finding.summary, *(f"  {line}" for line in finding.evidence)))
        table.add_row(f"{finding.requirement}\n[dim]{finding.title}[/]", verdict, evidence)
    return table
