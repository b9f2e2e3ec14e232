"""The ``vtsim broker`` and ``vtsim centre`` commands.

Their modules (amqtt, paho) are imported only when one of these commands runs, so the other
commands start as fast as before.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def broker(
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 for every one).")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 1883,
) -> None:
    """Run an embedded MQTT broker (amqtt, MQTT 3.1.1, anonymous) until Ctrl-C or SIGTERM."""
    from vtsim.broker import BrokerSettings, BrokerStartError, run_broker

    console = Console()
    settings = BrokerSettings(host=host, port=port)

    def announce(startup_s: float) -> None:
        console.print(
            f"vtsim broker (amqtt, MQTT 3.1.1, anonymous) listening on {settings.url} "
            f"(ready in {startup_s * 1000:.0f} ms). Stop it with Ctrl-C or "
            "`kill -TERM <pid>`.", highlight=False, soft_wrap=True)
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
        str | None, typer.Option(help="Serve one tenant only (default: every tenant).")
    ] = None,
    live: Annotated[
        bool, typer.Option("--live/--no-live", help="Live table, or one line per verdict.")
    ] = True,
    mqtt_version: Annotated[
        int, typer.Option(min=3, max=5, help="5 (falls back to 3.1.1 if refused) or 3.")
    ] = 5,
) -> None:
    """Validate every device message on a broker and answer it (ack or rejection with reason)."""
    from devices.errors import DeviceContractError
    from devices.mqtt import BrokerAddress, BrokerUnavailable
    from devices.topics import require_level
    from vtsim.centre_view import CentreOptions, run_centre, summary_line, totals_table

    console = Console()
    try:
        if tenant is not None:
            require_level(tenant, "tenant")
        options = CentreOptions(BrokerAddress.parse(broker_url), tenant, live,
                                5 if mqtt_version == 5 else 3)
    except DeviceContractError as error:
        console.print(f"[red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    try:
        snapshot = run_centre(options, console)
    except BrokerUnavailable as error:
        console.print(f"[red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_FAILED) from None
    console.print(totals_table(snapshot, "disconnected", 0.0))
    console.print(summary_line(snapshot), highlight=False, soft_wrap=True)
