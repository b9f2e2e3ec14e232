"""``vtsim schema`` and ``vtsim validate``: the message contract for device vendors, offline."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from devices.contract.contract_doc import render_contract_doc
from devices.contract.errors import InvalidTopic
from devices.contract.scaip_verdicts import ScaipVerdict, judge_scaip
from devices.contract.schema import asyncapi_document, message_json_schema
from devices.contract.topics import require_tenant
from devices.contract.validate import (
    DEFAULT_TENANT,
    Item,
    ItemVerdict,
    judge_items,
    read_items,
    summary_counts,
)

EXIT_REJECTED = 1
EXIT_BAD_ARGUMENTS = 2


class SchemaFormat(StrEnum):
    """Formats of the contract that ``vtsim schema`` writes."""

    jsonschema = "jsonschema"
    asyncapi = "asyncapi"
    markdown = "markdown"


def render_schema(kind: SchemaFormat) -> str:
    """The contract in one format: pretty JSON (generation order kept) or Markdown."""
    if kind is SchemaFormat.markdown:
        return render_contract_doc()
    document = message_json_schema() if kind is SchemaFormat.jsonschema else asyncapi_document()
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def schema(
    format_: Annotated[
        SchemaFormat, typer.Option("--format", help="jsonschema, asyncapi or markdown.")
    ] = SchemaFormat.jsonschema,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE (default: stdout).")
    ] = None,
) -> None:
    """Print the device message contract: JSON Schema, AsyncAPI 3.0 or Markdown."""
    text = render_schema(format_)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"Wrote {output} ({format_.value}).", err=True)


def receiver_clock(now: str | None, no_clock: bool) -> float | None:
    """The receiver clock (epoch seconds) for the ``ts`` checks, or None to skip them."""
    if no_clock:
        if now is not None:
            raise typer.BadParameter("give --now or --no-clock, not both", param_hint="--now")
        return None
    if now is None:
        return time.time()
    try:
        moment = datetime.fromisoformat(now.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"expected an ISO-8601 time such as 2026-01-05T08:15:00Z, got {now!r}",
            param_hint="--now",
        ) from None
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{now!r} has no UTC offset; add Z or +01:00", param_hint="--now")
    return moment.timestamp()


def check_files(console: Console, files: Sequence[Path]) -> None:
    """Stop with exit code 2 unless every file exists and is readable."""
    missing = [path for path in files if not path.is_file()]
    for path in missing:
        console.print(f"[red]error:[/] {path}: no such file", highlight=False)
    if missing:
        raise typer.Exit(EXIT_BAD_ARGUMENTS)


def check_tenant(tenant: str) -> None:
    """Refuse a tenant that cannot be a topic level."""
    try:
        require_tenant(tenant)
    except InvalidTopic as error:
        raise typer.BadParameter(str(error), param_hint="--tenant") from None


def verdict_table(verdicts: Sequence[ItemVerdict]) -> Table:
    """One row per item: where, verdict and, for a rejection, why."""
    table = Table(title="Message contract verdicts", show_lines=False)
    for column in ("item", "topic", "verdict", "reason", "field path", "expected", "got"):
        table.add_column(column, overflow="fold")
    for verdict in verdicts:
        mark = Text("accepted", "green") if verdict.accepted else Text("rejected", "bold red")
        table.add_row(
            Text(verdict.item),
            Text(verdict.topic),
            mark,
            Text(verdict.reason),
            Text(verdict.path),
            Text(verdict.expected),
            Text(verdict.got),
        )
        for fault in verdict.more:
            table.add_row("", "", "", "", Text(fault.path), Text(fault.expected), Text(fault.got))
    return table


def print_verdicts(console: Console, verdicts: Sequence[ItemVerdict], as_json: bool) -> None:
    """The verdicts as a rich table and a summary line, or as one JSON document."""
    counts = summary_counts(verdicts)
    if as_json:
        document: dict[str, Any] = {
            "summary": counts,
            "verdicts": [verdict.as_json() for verdict in verdicts],
        }
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    console.print(verdict_table(verdicts))
    console.print(
        f"{counts['items']} message(s): {counts['accepted']} accepted, "
        f"{counts['rejected']} rejected."
    )


def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="Files of messages: one JSON message, a JSON array, or JSON Lines."),
    ],
    topic: Annotated[
        str | None,
        typer.Option(help="Topic the messages came on (default: each message's own topic)."),
    ] = None,
    tenant: Annotated[str, typer.Option(help="Tenant of the default topics.")] = DEFAULT_TENANT,
    now: Annotated[
        str | None,
        typer.Option(help="Receiver clock for the ts checks, ISO-8601 (default: now)."),
    ] = None,
    no_clock: Annotated[
        bool, typer.Option("--no-clock", help="Skip the checks of ts against a clock.")
    ] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print verdicts as JSON.")] = False,
    scaip: Annotated[
        bool,
        typer.Option("--scaip", help="The files are SCAIP alarm messages (one XML mrq each), "
                     "judged as the centre's scaip channel would (docs/vendors.md#scaip)."),
    ] = False,
) -> None:
    """Judge device messages against the contract, as the centre would; exit 1 if any fails."""
    console = Console(stderr=False)
    check_files(console, files)
    check_tenant(tenant)
    clock = receiver_clock(now, no_clock)
    if scaip:
        if topic is not None:
            raise typer.BadParameter("a SCAIP message's topic follows from its cid; give "
                                     "--topic or --scaip, not both", param_hint="--topic")
        validate_scaip(console, files, tenant, clock, json_)
        return
    items = [item for path in files for item in read_items(path)]
    verdicts = judge_items(items, topic=topic, tenant=tenant, now_epoch_s=clock)
    print_verdicts(console, verdicts, json_)
    if any(not verdict.accepted for verdict in verdicts):
        raise typer.Exit(EXIT_REJECTED)


# --- SCAIP -----------------------------------------------------------------------------------


def validate_scaip(console: Console, files: Sequence[Path], tenant: str, clock: float | None,
                   as_json: bool) -> None:
    """Judge SCAIP files (one ``mrq`` each); exit 1 if any fails."""
    items = [Item(path.name, path.read_bytes()) for path in files]
    verdicts = judge_scaip(items, tenant=tenant, now_epoch_s=clock)
    print_scaip_verdicts(console, verdicts, as_json)
    if any(not verdict.accepted for verdict in verdicts):
        raise typer.Exit(EXIT_REJECTED)


def scaip_table(verdicts: Sequence[ScaipVerdict]) -> Table:
    """One row per fault: the SCAIP element and code, and the contract's reason and path."""
    table = Table(title="SCAIP verdicts (SCAIP element, contract field path)")
    for column in ("item", "event", "verdict", "snu", "SCAIP element", "contract reason",
                   "field path", "expected", "got"):
        table.add_column(column, overflow="fold")
    for verdict in verdicts:
        mark = Text("accepted", "green") if verdict.accepted else Text(verdict.verdict,
                                                                       "bold red")
        head = [Text(verdict.item), Text(verdict.event), mark, Text(str(verdict.snu))]
        if not verdict.faults:
            table.add_row(*head, "", "", "", "", "")
        for index, fault in enumerate(verdict.faults):
            row = head if index == 0 else [Text(""), Text(""), Text(""), Text("")]
            table.add_row(*row, Text(fault.element), Text(fault.contract_reason),
                          Text(fault.path), Text(fault.expected), Text(fault.got))
    return table


def print_scaip_verdicts(console: Console, verdicts: Sequence[ScaipVerdict],
                         as_json: bool) -> None:
    """The SCAIP verdicts as a table and a summary line, or as one JSON document."""
    accepted = sum(1 for verdict in verdicts if verdict.accepted)
    counts = {"items": len(verdicts), "accepted": accepted,
              "rejected": len(verdicts) - accepted}
    if as_json:
        typer.echo(json.dumps({"summary": counts,
                               "verdicts": [verdict.as_json() for verdict in verdicts]},
                              indent=2, ensure_ascii=False))
        return
    console.print(scaip_table(verdicts))
    console.print(f"{counts['items']} SCAIP message(s): {counts['accepted']} accepted, "
                  f"{counts['rejected']} rejected.")
