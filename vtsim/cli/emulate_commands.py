"""The ``vtsim emulate`` and ``vtsim conformance`` commands, for device vendors on a real broker.

paho and the emulator are imported only when one of these commands runs.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sim.errors import ScenarioError
from sim.scenario.durations import parse_duration
from vtsim.cli.broker_login import (
    CaFileOption,
    CertFileOption,
    KeyFileOption,
    PasswordOption,
    UsernameOption,
    with_login,
)
from vtsim.cli.command_support import EXIT_BAD_INPUT, EXIT_FAILED, fail, load_or_exit

MINUTES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*m\s*$")

BrokerOption = Annotated[
    str, typer.Option("--broker", help="Broker URL: mqtt://host[:port] or mqtts://…")
]


def wall_seconds(text: str, option: str) -> float:
    """Seconds from ``90s``, ``10m``/``10min``, ``2h`` or a plain number of seconds."""
    minutes = MINUTES.match(text)
    try:
        value = float(minutes.group(1)) * 60 if minutes else parse_duration(
            float(text) if text.replace(".", "", 1).isdigit() else text)
    except ValueError:
        raise typer.BadParameter(f"expected a duration such as 90s, 10m or 2h, got {text!r}",
                                 param_hint=option) from None
    if value <= 0:
        raise typer.BadParameter("must be longer than 0 s", param_hint=option)
    return value


def checked_run_id(run_id: str | None) -> str:
    """The run id to put into message ids: the one given, checked, or a new random one."""
    from devices.contract.topics import LEVEL
    from devices.models.base import MAX_RUN_ID

    if run_id is None:
        return secrets.token_hex(4)
    if not 1 <= len(run_id) <= MAX_RUN_ID or LEVEL.fullmatch(run_id) is None:
        raise typer.BadParameter(
            f"1..{MAX_RUN_ID} letters, digits, '_.-', starting with a letter or digit "
            f"(got {run_id!r})", param_hint="--run-id"
        )
    return run_id


def emulate(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    broker_url: BrokerOption = "mqtt://localhost:1883",
    speed: Annotated[float, typer.Option(min=0.001, help="Times real time.")] = 60.0,
    tenant: Annotated[str | None, typer.Option(help="Tenant (default: the scenario's).")]
    = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).")] = None,
    duration: Annotated[
        str | None, typer.Option(help="Wall-clock time to run, e.g. 10m (default: the "
                                      "scenario's horizon at --speed).")
    ] = None,
    devices: Annotated[
        int, typer.Option(min=1, help="Most devices emulated, shared among the kinds; each "
                                      "has its own MQTT session.")
    ] = 1000,
    progress: Annotated[float, typer.Option(min=0.1, help="Seconds between progress lines.")]
    = 5.0,
    mqtt_version: Annotated[int, typer.Option(min=3, max=5, help="3 (3.1.1) or 5.")] = 3,
    run_id: Annotated[
        str | None, typer.Option(help="Put into every message id, 1..16 letters, digits, "
                                      "'_.-' (default: a new random one per run).")
    ] = None,
    cafile: CaFileOption = None,
    certfile: CertFileOption = None,
    keyfile: KeyFileOption = None,
    username: UsernameOption = None,
    password: PasswordOption = None,
) -> None:
    """Run a scenario's device fleet on a broker: real messages, retained status, last wills."""
    from devices.contract.errors import DeviceContractError
    from devices.transport.mqtt import BrokerAddress, MqttError
    from vtsim.live.emulator import EmulatorOptions, run_emulator

    console = Console()
    wall_s = None if duration is None else wall_seconds(duration, "--duration")
    scenario = load_or_exit(console, scenario_file, {} if tenant is None else {"tenant": tenant})
    try:
        address = with_login(BrokerAddress.parse(broker_url), cafile, certfile, keyfile,
                             username, password)
        options = EmulatorOptions(address, speed,
                                  scenario.seed if seed is None else seed, wall_s, devices,
                                  progress, 5 if mqtt_version == 5 else 3,
                                  checked_run_id(run_id))
    except DeviceContractError as error:
        raise fail(console, str(error), EXIT_BAD_INPUT) from None
    try:
        result = run_emulator(scenario, options,
                              lambda line: console.print(line, highlight=False, soft_wrap=True))
    except MqttError as error:
        raise fail(console, str(error), EXIT_FAILED) from None
    ending = "stopped" if result.interrupted else "done"
    goodbye = "every device said offline" if result.clean_exit else "offline not confirmed"
    console.print(f"emulate: {ending}: {result.sent} messages sent, {result.acknowledged} "
                  f"acknowledged by the broker, {result.centre_acks} centre acks, "
                  f"{result.rejections} rejections; {goodbye}.", highlight=False)
    if not result.clean_exit:
        raise typer.Exit(EXIT_FAILED)


def conformance(
    device_id: Annotated[str, typer.Option("--device-id", help="The device to watch.")],
    broker_url: BrokerOption = "mqtt://localhost:1883",
    tenant: Annotated[str | None, typer.Option(help="Tenant (default: any).")] = None,
    duration: Annotated[str, typer.Option(help="How long to watch, e.g. 10m.")] = "10m",
    interval: Annotated[
        str | None, typer.Option(help="Expected heartbeat interval (default: from --scenario, "
                                       "else the shipped device profile).")
    ] = None,
    scenario_file: Annotated[
        Path | None, typer.Option("--scenario", help="Scenario with the heartbeat intervals "
                                                     "(default: the kind's shipped standard device "
                                                     "profile).")
    ] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="Also write JSON here.")]
    = None,
    tolerance: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Relative tolerance on heartbeat gaps.")
    ] = 0.1,
    cafile: CaFileOption = None,
    certfile: CertFileOption = None,
    keyfile: KeyFileOption = None,
    username: UsernameOption = None,
    password: PasswordOption = None,
) -> None:
    """Watch one device on a broker and judge its messages against the contract (exit 1: fail)."""
    from devices.contract.conformance import Expectations, evaluate
    from devices.contract.errors import DeviceContractError
    from devices.transport.mqtt import BrokerAddress, MqttError
    from vtsim.live.conformance_watch import (
        expected_interval,
        report_table,
        watch_device,
        watch_pattern,
    )

    console = Console()
    wall_s = wall_seconds(duration, "--duration")
    fixed = None if interval is None else wall_seconds(interval, "--interval")
    try:
        address = with_login(BrokerAddress.parse(broker_url), cafile, certfile, keyfile,
                             username, password)
        pattern = watch_pattern(device_id, tenant)
    except DeviceContractError as error:
        raise fail(console, str(error), EXIT_BAD_INPUT) from None
    console.print(f"Watching {pattern} on {address} for {wall_s:g} s (Ctrl-C ends early).",
                  highlight=False)
    try:
        seen, started, ended = watch_device(
            address, device_id, tenant, wall_s,
            lambda n: console.print(f"  {n} messages so far", highlight=False))
    except MqttError as error:
        raise fail(console, str(error), EXIT_FAILED) from None
    try:
        found, source = (fixed, "--interval") if fixed else expected_interval(seen, scenario_file)
    except ScenarioError as exc:
        raise fail(console, str(exc), EXIT_BAD_INPUT) from None
    report = evaluate(seen, Expectations(device_id, found, tolerance), started, ended)
    console.print(report_table(report))
    console.print(f"heartbeat interval: {'unknown' if found is None else f'{found:g} s'} "
                  f"({source})", highlight=False)
    if json_file is not None:
        document = {**report.to_json(), "heartbeat_interval_s": found}
        json_file.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    console.print("conformance: " + ("PASS (no requirement failed)" if report.passed
                                     else "FAIL: " + ", ".join(report.to_json()["failed"])),
                  highlight=False)
    if not report.passed:
        raise typer.Exit(EXIT_FAILED)
