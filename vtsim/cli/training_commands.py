"""Commands for training sessions: ``train``, ``control``, ``record``, ``replay``, ``debrief``."""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import signal
import sys
import threading
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from devices.contract.centre_actions import ControlCommand, control_topic
from devices.contract.signing import signed
from devices.transport.mqtt import BrokerAddress, MqttError, MqttTransport
from sim.errors import ScenarioError, VtsimError
from sim.realtime.training import TrainingError, training_of
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario
from sim.scenario.script import check_training
from vtsim.cli.broker_login import (
    BrokerLoginError,
    CaFileOption,
    CertFileOption,
    KeyFileOption,
    PasswordOption,
    UsernameOption,
    with_login,
)
from vtsim.cli.command_support import EXIT_BAD_INPUT, fail, fail_scenario, parse_overrides
from vtsim.training.access import Access
from vtsim.training.console import ConsoleServer, ConsoleState, queue_publisher
from vtsim.training.debrief import build_debrief, render_html, render_json
from vtsim.training.recording import (
    Recorder,
    connect_client,
    publish_to,
    read_recording,
    replay,
    replay_target,
    running_session,
    tenant_filter,
)
from vtsim.training.session import Outgoing, TrainingSession

BrokerOption = Annotated[str, typer.Option(help="Broker URL, mqtt://host[:port].")]
STOP_GRACE_S = 1.0
"""Seconds the console keeps serving after the session stopped, so every page shows it."""
KEYS_HELP = "keys: p + Enter = pause/resume, + or - = double/halve speed, a number = that speed, " \
            "q = stop"


class Language(StrEnum):
    """Languages of the debrief."""

    nb = "nb"
    en = "en"


class DebriefFormat(StrEnum):
    """Formats of the debrief."""

    html = "html"
    json = "json"


def load_training(console: Console, path: Path, overrides: list[str]) -> Scenario:
    """A training scenario with every problem printed (exit 2) if it cannot be used."""
    try:
        scenario = load_scenario(path, parse_overrides(overrides))
        problems = list(check_training(scenario, str(path)))
        if problems:
            raise ScenarioError(problems)
        training_of(scenario)
    except ScenarioError as exc:
        raise fail_scenario(console, exc) from None
    except TrainingError as exc:
        raise fail(console, str(exc), EXIT_BAD_INPUT) from None
    return scenario


def parse_broker(console: Console, url: str, cafile: Path | None = None,
                 certfile: Path | None = None, keyfile: Path | None = None,
                 username: str | None = None, password: str | None = None) -> BrokerAddress:
    """The broker address with its login options, or exit 2 with the reason."""
    try:
        return with_login(BrokerAddress.parse(url), cafile, certfile, keyfile, username,
                          password)
    except (MqttError, BrokerLoginError) as exc:
        raise fail(console, str(exc), EXIT_BAD_INPUT) from None


def connected(address: BrokerAddress, client_id: str) -> MqttTransport:
    """A connected MQTT transport (raises the transport's error when the broker is away)."""
    transport = MqttTransport(address, client_id)
    transport.connect()
    return transport


def train(
    scenario_file: Annotated[Path, typer.Argument(help="Training scenario YAML file.")],
    broker: BrokerOption = "mqtt://localhost:1883",
    speed: Annotated[float, typer.Option(min=0.01, max=10000,
                                         help="Scenario seconds per real second.")] = 1.0,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port of the console.")] = 8080,
    host: Annotated[str, typer.Option(help="Address the console listens on (0.0.0.0 for "
                                           "every interface, e.g. for trainees on other "
                                           "machines).")]
    = "127.0.0.1",
    allowed_host: Annotated[list[str] | None, typer.Option(
        help="A further name trainees' browsers reach the console by (e.g. the machine's name "
             "on the classroom network); requests under any other name are refused (421). "
             "Repeatable.")] = None,
    seat_timeout: Annotated[float, typer.Option(min=1, max=3600, help="Seconds after a "
                                                "trainee's last tab closed before the seat "
                                                "is freed.")] = 30.0,
    join_code: Annotated[str | None, typer.Option(help="The trainees' join code (default: "
                                                       "random, printed).")] = None,
    trainer_token: Annotated[str | None, typer.Option(
        help="The session's secret: the trainer's login and the key its messages are signed "
             "with (default: random, printed; at least 16 characters).",
        envvar="VTSIM_TRAINER_TOKEN")] = None,
    seats: Annotated[int | None, typer.Option(min=1, help="Operator seats (default: the "
                                                           "scenario's).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).")] = None,
    start_paused: Annotated[bool, typer.Option(help="Wait for resume before the clock runs "
                                                    "(trainees log in first).")] = False,
    exit_when_done: Annotated[bool, typer.Option(help="Stop when the session has ended and "
                                                      "every incident is closed.")] = False,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a scenario field: "
                                                   "PATH=VALUE (repeatable).")] = None,
    cafile: CaFileOption = None,
    certfile: CertFileOption = None,
    keyfile: KeyFileOption = None,
    username: UsernameOption = None,
    password: PasswordOption = None,
) -> None:
    """Run a training session: the fleet publishes live, trainees work in the console."""
    console = Console()
    scenario = load_training(console, scenario_file, set_ or [])
    address = parse_broker(console, broker, cafile, certfile, keyfile, username,
                           password)
    if trainer_token is not None and not 16 <= len(trainer_token) <= 128:
        raise fail(console, "--trainer-token must have 16 to 128 characters", EXIT_BAD_INPUT)
    if join_code is not None and not 4 <= len(join_code) <= 32:
        raise fail(console, "--join-code must have 4 to 32 characters", EXIT_BAD_INPUT)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    try:
        centre_t = connected(address, f"vtsim-train-centre-{stamp}")
        fleet_t = connected(address, f"vtsim-train-fleet-{stamp}")
        console_t = connected(address, f"vtsim-train-console-{stamp}")
    except MqttError as exc:
        raise fail(console, str(exc)) from None
    try:
        session = TrainingSession(scenario, centre_t, fleet_t, speed=speed, seats=seats,
                                  seed=seed, extra_pumps=[console_t], secret=trainer_token)
        state = ConsoleState(scenario.tenant, session.key)
        state.follow(console_t)
        session.on_change = lambda: state.tell(session.centre.session_state())
        access = Access(session.secret, join_code and join_code.upper(), seat_timeout,
                        taken_names=lambda: {op.name for op in session.centre.simulated})
        server = ConsoleServer(state, queue_publisher(session.outbox, Outgoing),
                               session.commands.put, access, session.session_id, host, port,
                               scripted=script_list(scenario),
                               allowed_hosts=allowed_host or ())
    except (OSError, VtsimError) as exc:
        for transport in (centre_t, fleet_t, console_t):
            transport.close()
        raise fail(console, f"cannot start the session: {exc}") from None
    run_session(console, session, server, start_paused, exit_when_done)
    if state.forged:
        console.print(f"The console ignored {state.forged} centre message(s) not signed by "
                      "this session (forged, or from another session).")
    for transport in (centre_t, fleet_t, console_t):
        transport.flush(5.0)
        transport.close()


def run_session(console: Console, session: TrainingSession, server: ConsoleServer,
                start_paused: bool, exit_when_done: bool) -> None:
    """Start console and session, read keys, loop until stopped, then stop cleanly."""
    server.start()
    session.start()
    if start_paused:
        session.control(ControlCommand(command="pause"))
    scenario = session.scenario
    console.print(f"[bold]{scenario.name}[/]: session {session.session_id}, "
                  f"{session.centre.seats} seat(s), speed {session.clock.speed:g}×")
    base = f"http://{server.host}:{server.port}"
    console.print(f"Console for trainees: {base}/  (tenant {scenario.tenant})")
    console.print(f"Join code: [bold]{server.access.join_code}[/]")
    console.print(f"Trainer's view: {base}/trainer#{session.secret}")
    console.print(f"Trainer token (vtsim control --token): {session.secret}")
    if sys.stdin.isatty():
        console.print(KEYS_HELP)
        threading.Thread(target=read_keys, args=(session,), daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: session.stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        session.run(exit_when_done=exit_when_done)
    if session.centre.phase != "stopped":
        session.control(ControlCommand(command="stop"))
    time.sleep(STOP_GRACE_S)  # every page gets the final "stopped" state
    server.stop()
    counts = session.centre.counts
    closed = sum(i.state.phase == "closed" for i in session.centre.incidents.values())
    ledger = session.ledger
    console.print(f"Stopped: {len(session.centre.incidents)} incident(s), {closed} closed, "
                  f"{counts.actions} action(s), {counts.refused} refused.")
    console.print(f"Device messages: {ledger.sent} sent, {counts.messages} received by the "
                  f"centre ({counts.duplicates} duplicate(s)), {ledger.resent} sent again, "
                  f"{len(ledger.unconfirmed)} not received; {counts.unsigned_actions} unsigned "
                  f"action(s) and {session.forged_controls} forged control command(s) ignored.")


def script_list(scenario: Scenario) -> list[dict[str, Any]]:
    """The scripted events for the trainer's inject list: index, time, device, event, title."""
    training = training_of(scenario)
    return [{"index": index, "at": at, "device": entry.device, "event": entry.event,
             "title": entry.title} for at, index, entry in training.timeline()]


def read_keys(session: TrainingSession) -> None:
    """Control commands typed in the trainer's terminal, sent on the control topic."""
    for line in sys.stdin:
        command = key_command(line.strip(), session.clock.speed, session.clock.paused)
        if command is not None:
            session.commands.put(command)


def key_command(key: str, speed: float, paused: bool) -> ControlCommand | None:
    """The control command of one typed line, or None if it means nothing."""
    if key == "p":
        return ControlCommand(command="resume" if paused else "pause")
    if key == "q":
        return ControlCommand(command="stop")
    if key in ("+", "-"):
        return ControlCommand(command="speed", speed=speed * 2 if key == "+" else speed / 2)
    try:
        value = float(key)
    except ValueError:
        return None
    return ControlCommand(command="speed", speed=value) if 0.01 <= value <= 10_000 else None


def control(
    command: Annotated[str, typer.Argument(help="pause, resume, speed, inject or stop.")],
    value: Annotated[float | None, typer.Argument(help="The speed, with `speed`; the "
                                                       "scripted event's number (from 0), "
                                                       "with `inject`.")] = None,
    token: Annotated[str, typer.Option(help="The session's trainer token (printed by "
                                            "`vtsim train`).", envvar="VTSIM_TRAINER_TOKEN")]
    = "",
    broker: BrokerOption = "mqtt://localhost:1883",
    tenant: Annotated[str, typer.Option(help="Tenant of the session.")] = "trening",
    cafile: CaFileOption = None,
    certfile: CertFileOption = None,
    keyfile: KeyFileOption = None,
    username: UsernameOption = None,
    password: PasswordOption = None,
) -> None:
    """Pause, resume, change the speed of, inject a scripted event into or stop a session."""
    console = Console()
    if not token:
        raise fail(console, "give the session's trainer token: --token (printed by "
                            "`vtsim train`) or VTSIM_TRAINER_TOKEN", EXIT_BAD_INPUT)
    try:
        message = ControlCommand.model_validate({
            "command": command, "speed": value if command == "speed" else None,
            "script": int(value) if command == "inject" and value is not None else None,
            "nonce": secrets.token_hex(16), "ts": dt.datetime.now(dt.UTC)})
    except ValueError as exc:
        raise fail(console, f"expected pause, resume, stop, `speed N` (0.01 to 10000) or "
                            f"`inject N`: {exc}", EXIT_BAD_INPUT) from None
    if message.command == "speed" and message.speed is None:
        raise fail(console, "give the speed: vtsim control speed 4", EXIT_BAD_INPUT)
    if message.command == "inject" and message.script is None:
        raise fail(console, "give the scripted event's number: vtsim control inject 0",
                   EXIT_BAD_INPUT)
    message = signed(message, token.encode())
    address = parse_broker(console, broker, cafile, certfile, keyfile, username,
                           password)
    try:
        transport = connected(address, f"vtsim-control-{time.time_ns()}")
        transport.publish(control_topic(tenant, "cli"), message.model_dump_json().encode())
        transport.flush(5.0)
        transport.close()
    except MqttError as exc:
        raise fail(console, str(exc)) from None
    console.print(f"Sent {message.command} to tenant {tenant} (a session obeys it only if "
                  "the token is its own).")


def record(
    out: Annotated[Path, typer.Option(help="JSON Lines file to write.")],
    broker: BrokerOption = "mqtt://localhost:1883",
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's topics.")] = None,
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds.")] = None,
    cafile: CaFileOption = None,
    certfile: CertFileOption = None,
    keyfile: KeyFileOption = None,
    username: UsernameOption = None,
    password: PasswordOption = None,
) -> None:
    """Record every message on the tenant's topics, with receive times, until Ctrl-C."""
    console = Console(stderr=True)
    address = parse_broker(console, broker, cafile, certfile, keyfile, username,
                           password)
    out.parent.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with out.open("w", encoding="utf-8") as handle:
        recorder = Recorder(address, tenant_filter(tenant), handle,
                            client_id=f"vtsim-record-{time.time_ns()}")
        try:
            recorder.start()
        except MqttError as exc:
            raise fail(console, str(exc)) from None
        console.print(f"Recording {recorder.pattern} from {address} to {out} (Ctrl-C stops).")
        ends = time.monotonic() + duration if duration is not None else float("inf")
        try:
            while not stop.is_set() and time.monotonic() < ends:
                recorder.write_pending(0.1)
        except KeyboardInterrupt:
            pass
        recorder.stop()
    console.print(f"Recorded {recorder.count} message(s) to {out}.")


def replay_command(
    file: Annotated[Path, typer.Argument(help="A recording written by `vtsim record`.")],
    broker: BrokerOption = "mqtt://localhost:1883",
    speed: Annotated[float, typer.Option(min=0.01, max=10000,
                                         help="Times the recorded pace.")] = 1.0,
    tenant: Annotated[str | None, typer.Option(help="Tenant to publish into (default: each "
                                                    "recorded tenant + `-replay`). Refused "
                                                    "while a session runs there.")] = None,
    cafile: CaFileOption = None,
    certfile: CertFileOption = None,
    keyfile: KeyFileOption = None,
    username: UsernameOption = None,
    password: PasswordOption = None,
) -> None:
    """Publish a recording's messages in order with the recorded timing (times speed)."""
    console = Console()
    address = parse_broker(console, broker, cafile, certfile, keyfile, username,
                           password)
    try:
        records = replay_target(read_recording(file), tenant)
        client = connect_client(address, f"vtsim-replay-{time.time_ns()}")
    except (VtsimError, MqttError) as exc:
        raise fail(console, str(exc)) from None
    targets = sorted({r.topic.split("/")[2] for r in records if r.topic.count("/") >= 2})
    busy = [t for t in targets if running_session(client, t)]
    if busy:
        wait_until_sent(client)
        raise fail(console, f"a training session is running in tenant {', '.join(busy)}: "
                            "replay into its own tenant (--tenant, default <tenant>-replay), "
                            "never into a live session", EXIT_BAD_INPUT)
    console.print(f"Replaying into tenant {', '.join(targets) or '-'}.")
    started = time.monotonic()
    try:
        count = replay(records, publish_to(client), speed)
    except VtsimError as exc:
        raise fail(console, str(exc)) from None
    finally:
        wait_until_sent(client)
    console.print(f"Replayed {count} message(s) in {time.monotonic() - started:.2f} s "
                  f"(speed {speed:g}×).")


def wait_until_sent(client: Any, timeout: float = 10.0) -> None:
    """Let paho send what it holds, then disconnect."""
    ends = time.monotonic() + timeout
    while client.want_write() and time.monotonic() < ends:
        time.sleep(0.01)
    time.sleep(0.05)
    client.disconnect()
    client.loop_stop()


def debrief(
    file: Annotated[Path, typer.Argument(help="A recording written by `vtsim record`.")],
    lang: Annotated[Language, typer.Option(help="Language: nb (bokmål) or en.")] = Language.nb,
    format_: Annotated[DebriefFormat, typer.Option("--format", help="html or json.")]
    = DebriefFormat.html,
    out: Annotated[Path | None, typer.Option(help="Output file (default: beside the "
                                                  "recording).")] = None,
    token: Annotated[str | None, typer.Option(
        help="The session's trainer token: only messages signed with it are used (others, "
             "e.g. forged on the broker, are left out).", envvar="VTSIM_TRAINER_TOKEN")]
    = None,
) -> None:
    """Per trainee and per incident: times to take and close, outcomes, targets met."""
    console = Console()
    try:
        result = build_debrief(read_recording(file), token.encode() if token else None)
    except VtsimError as exc:
        raise fail(console, str(exc)) from None
    text = render_html(result, lang.value) if format_ is DebriefFormat.html else \
        render_json(result)
    target = out or file.with_suffix(f".debrief.{lang.value}.{format_.value}")
    target.write_text(text, encoding="utf-8")
    console.print(f"Wrote {target} ({len(result.incidents)} incident(s), "
                  f"{sum(not o.simulated for o in result.operators)} trainee(s)).")
