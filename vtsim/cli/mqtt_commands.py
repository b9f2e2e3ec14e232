"""The ``vtsim broker`` and ``vtsim centre`` commands.

Their modules (amqtt, paho) are imported only when one of these commands runs, so the other
commands start as fast as before.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console

from vtsim.cli.broker_login import (
    CaFileOption,
    CertFileOption,
    KeyFileOption,
    PasswordOption,
    UsernameOption,
    with_login,
)
from vtsim.cli.command_support import EXIT_BAD_INPUT, EXIT_FAILED, fail


def broker(
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 for every one).")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 1883,
) -> None:
    """Run an embedded MQTT broker (amqtt, MQTT 3.1.1, anonymous) until Ctrl-C or SIGTERM."""
    from vtsim.live.broker import BrokerSettings, BrokerStartError, run_broker

    console = Console()
    settings = BrokerSettings(host=host, port=port)

    def announce(startup_s: float) -> None:
        console.print(
            f"vtsim broker (amqtt, MQTT 3.1.1, anonymous) listening on {settings.url} "
            f"(ready in {startup_s * 1000:.0f} ms). Stop it with Ctrl-C or "
            f"`kill -TERM {os.getpid()}`.", highlight=False, soft_wrap=True)
        console.file.flush()

    try:
        run_broker(settings, announce)
    except BrokerStartError as error:
        console.print(f"[red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_FAILED) from None
    console.print("vtsim broker: stopped.")


def centre(
    broker_url: Annotated[
        str, typer.Option("--broker", help="Broker URL: mqtt://host[:port] or mqtts://…")
    ] = "mqtt://localhost:1883",
    tenant: Annotated[
        list[str] | None, typer.Option(metavar="TENANT", help="Serve this tenant; repeat for "
                                       "a centre shared by "
                                       "several municipalities (default: every tenant).")
    ] = None,
    share_group: Annotated[str | None, typer.Option(
        metavar="NAME", help="Share the load with the other centre processes of this MQTT 5 "
        "share group ($share/NAME/...): each message goes to one of them. Needs one PostgreSQL "
        "--db for all of them.")] = None,
    live: Annotated[
        bool, typer.Option("--live/--no-live", help="Live table, or one line per verdict.")
    ] = True,
    mqtt_version: Annotated[
        int, typer.Option(min=3, max=5, help="5 (falls back to 3.1.1 if refused) or 3.")
    ] = 5,
    db: Annotated[str, typer.Option(
        help="Where incidents and messages are stored: sqlite:///file.db, "
        "postgresql://user@host/db, or memory: (nothing kept).")] = "sqlite:///vtsim-centre.db",
    client_id: Annotated[str | None, typer.Option(
        help="MQTT client id of the centre's persistent session "
        "(default vtsim-centre-{tenant or _all}; in a share group one per process).")] = None,
    session_expiry: Annotated[int | None, typer.Option(
        min=0, help="Seconds the broker keeps the session (and queues messages) while the "
        "centre is down (default 604800; 0 in a share group: see docs/deployment.md).")
    ] = None,
    rate_limit: Annotated[float, typer.Option(
        min=0.0, help="Messages a second each device may send on average (0: no limit).")
    ] = 20.0,
    burst: Annotated[int, typer.Option(
        min=1, help="Messages a device may send at once before --rate-limit applies.")] = 200,
    max_bytes: Annotated[int, typer.Option(min=1, help="Largest payload accepted (bytes).")
    ] = 16_384,
    max_depth: Annotated[int, typer.Option(min=1, help="Deepest JSON nesting accepted.")] = 8,
    health_interval: Annotated[float, typer.Option(
        min=0.1, help="Seconds between health reports and silence checks.")] = 5.0,
    silence_slack: Annotated[float, typer.Option(
        min=0.0, help="Seconds beyond twice a device's heartbeat interval before it is "
        "reported silent.")] = 30.0,
    gap_wait: Annotated[float, typer.Option(
        min=0.0, help="Seconds a gap in a device's sequence waits for late numbers before it "
        "is a possible_loss incident (in a share group, above the processes' lag).")] = 5.0,
    correlation_window: Annotated[float | None, typer.Option(
        min=0.0, help="Seconds after an alarm's first message within which repeats of it join "
        "its incident; default 600, as centre.correlation_window in a scenario.")] = None,
    store_deadline: Annotated[float, typer.Option(
        min=1.0, max=3600.0, help="Seconds (1 to 3600) a call on a PostgreSQL "
        "--db may take before the centre abandons it, closes the connection and tries again on "
        "a new one (a hung database).")
    ] = 20.0,
    cafile: CaFileOption = None,
    certfile: CertFileOption = None,
    keyfile: KeyFileOption = None,
    username: UsernameOption = None,
    password: PasswordOption = None,
) -> None:
    """Validate, store and answer every device message on a broker (ack or rejection)."""
    from devices.contract.codec import Limits
    from devices.contract.errors import DeviceContractError
    from devices.contract.rate_limit import RateLimit
    from devices.contract.topics import require_level, require_tenant
    from devices.transport.mqtt import BrokerAddress, BrokerUnavailable
    from vtsim.live.centre_view import LiveTable, VerdictLines, summary_line, totals_table
    from vtsim.live.service import SESSION_EXPIRY_S, CentreOptions, run_centre
    from vtsim.live.store import CentreStoreError, require_shared_store

    console = Console()
    try:
        tenants = tuple(dict.fromkeys(require_tenant(name) for name in tenant or []))
        if share_group is not None:
            require_level(share_group, "share group")
            require_shared_store(db)
        address = with_login(BrokerAddress.parse(broker_url), cafile, certfile, keyfile,
                             username, password)
        expiry = session_expiry if session_expiry is not None else (
            0 if share_group is not None else SESSION_EXPIRY_S)
        options = CentreOptions(
            address, tenants[0] if len(tenants) == 1 else None, 5 if mqtt_version == 5 else 3,
            db=db, client_id=client_id, session_expiry_s=expiry,
            tenants=tenants if len(tenants) > 1 else (), share_group=share_group,
            rate_limit=RateLimit(rate_limit, burst) if rate_limit > 0 else None,
            limits=Limits(max_bytes=max_bytes, max_depth=max_depth),
            health_interval_s=health_interval, silence_slack_s=silence_slack,
            gap_wait_s=gap_wait, store_deadline_s=store_deadline,
            **({} if correlation_window is None
               else {"correlation_window_s": correlation_window}))
    except (DeviceContractError, ValueError) as error:
        raise fail(console, str(error), EXIT_BAD_INPUT) from None
    try:
        snapshot = run_centre(options, (LiveTable if live else VerdictLines)(console, address))
    except (BrokerUnavailable, CentreStoreError) as error:
        console.print(f"[red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_FAILED) from None
    console.print(totals_table(snapshot, "disconnected", 0.0))
    console.print(summary_line(snapshot), highlight=False, soft_wrap=True)
