"""Alarms per second through 1, 2 and 3 ``vtsim centre`` processes sharing one share group.

    PYTHONPATH=. nice -n 10 python benchmarks/shared_centre.py [--alarms 10000]
        [--devices 200] [--runs alone,1,2,3] [--rate 0] [--json out.json]

Starts Mosquitto on a free port with the shipped configuration (docs/mosquitto/vtsim.conf,
without TLS and passwords, persistence into a temporary folder). For each number of processes,
on a fresh PostgreSQL schema (``VTSIM_TEST_POSTGRES``, default
``postgresql://postgres@127.0.0.1:5432/test``), it runs that many centre services
(:func:`vtsim.live.service.run_centre`, each in a process of its own, ``--share-group bench``)
and sends ``--alarms`` alarms from ``--devices`` devices (round robin, so every device's
alarms are split across the processes) as fast as a window of 1,000 unacknowledged messages
lets them (or at ``--rate`` a second). The rate counts the answers the devices received
(acknowledged, or ``duplicate``: already stored): alarms judged, stored, committed and
answered. Latency is device publish to answer received. ``alone`` is one process without a
share group (no device locks), for comparison. A first run of 2,000 alarms, not shown, warms
the broker, the database and the caches (without it the first run measured was slower by up to
half, whichever it was). Afterwards every run's store is checked: every
alarm stored exactly once, and the ``possible_loss`` incidents raised (numbers that came later
than the gap wait) and still open (nothing was lost, so none should be).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
import uuid
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

from benchmarks.centre_throughput import (
    POSTGRES,
    QuietDisplay,
    send_alarms,
    start_broker,
    stored_once,
)
from devices.transport.mqtt import BrokerAddress


class ReadyDisplay(QuietDisplay):
    """Says nothing, but tells the parent once the centre listens."""

    def __init__(self, pipe: Connection) -> None:
        self.pipe = pipe

    def started(self, *_args: object) -> None:
        self.pipe.send("ready")


def serve(pipe: Connection, address: BrokerAddress, db: str, number: int,
          share_group: str | None) -> None:
    """One centre service of the group until the parent says stop (in a child process)."""
    from vtsim.live.service import CentreOptions, run_centre

    stop = threading.Event()
    options = CentreOptions(address, "bench", db=db, client_id=f"bench-centre-{number}",
                            health_interval_s=5.0, share_group=share_group,
                            session_expiry_s=0)
    display = ReadyDisplay(pipe)
    threading.Thread(target=lambda: (pipe.recv(), stop.set()), daemon=True).start()
    snapshot = run_centre(options, display, stop)  # type: ignore[arg-type]
    pipe.send(dict(snapshot.totals))


def fresh_schema() -> tuple[str, Any, str]:
    """A schema of its own in PostgreSQL: its store URL, an admin connection, its name."""
    import psycopg

    admin = psycopg.connect(POSTGRES, autocommit=True)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin.execute(f"CREATE SCHEMA {schema}")
    return f"{POSTGRES}?options={quote(f'-csearch_path={schema}')}", admin, schema


def run(address: BrokerAddress, processes: int, share_group: str | None, count: int,
        devices: int, rate: float) -> dict[str, object]:
    """One measurement: ``processes`` centres, ``count`` alarms; rate, latency, exactly once."""
    db, admin, schema = fresh_schema()
    try:
        from vtsim.live.store import open_store

        open_store(db).close()  # the tables, before the processes race to create them
        context = multiprocessing.get_context("spawn")
        pipes, children = [], []
        for number in range(processes):
            here, there = context.Pipe()
            child = context.Process(target=serve,
                                    args=(there, address, db, number, share_group),
                                    daemon=True)
            child.start()
            pipes.append(here)
            children.append(child)
        for pipe in pipes:
            if not pipe.poll(120) or pipe.recv() != "ready":
                raise RuntimeError("a centre did not start")
        time.sleep(1.0)  # their subscriptions are acknowledged
        per_s, latencies = send_alarms(address, count, devices, rate, settle_s=1.0)
        totals = []
        for pipe, child in zip(pipes, children, strict=True):
            pipe.send("stop")
            totals.append(pipe.recv() if pipe.poll(60) else {})
            child.join(30)
        once = stored_once(db, count)
        gaps = admin.execute(
            f"SELECT COUNT(*), COUNT(*) FILTER (WHERE state = 'open') FROM {schema}.incidents"
            " WHERE kind = 'possible_loss'").fetchone()
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()
    ordered = sorted(latencies) or [float("nan")]
    return {
        "processes": processes, "share_group": share_group is not None,
        "answered": len(latencies), "alarms_per_s": round(per_s),
        "latency_p50_ms": round(1000 * statistics.median(ordered), 1),
        "latency_p99_ms": round(1000 * ordered[int(0.99 * (len(ordered) - 1))], 1),
        "accepted_per_process": [t.get("accepted", 0) for t in totals],
        "stored_exactly_once": once,
        "possible_loss_incidents": gaps[0], "possible_loss_still_open": gaps[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alarms", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--runs", default="alone,1,2,3",
                        help="in this order: alone (one process, no share group) or a number "
                        "of processes in the share group")
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runs = [(1, None) if run == "alone" else (int(run), "bench")
            for run in args.runs.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as temp:
        broker = start_broker(Path(temp), "shipped")
        try:
            run(broker.address, 1, None, 2_000, args.devices, 0.0)  # warm-up, not shown
            for processes, group in runs:
                result = run(broker.address, processes, group, args.alarms, args.devices,
                             args.rate)
                print(orjson.dumps(result).decode(), flush=True)
                results.append(result)
        finally:
            broker.stop()
    summary = {"alarms": args.alarms, "devices": args.devices,
               "offered_per_s": args.rate or "as fast as the window allows",
               "cpus": os.cpu_count(), "runs": results}
    if args.json:
        args.json.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
