"""Alarms per second through ``vtsim centre`` with every alarm committed before its answer.

    PYTHONPATH=. python benchmarks/centre_throughput.py [--alarms 20000] [--store sqlite]
        [--broker shipped|on-changes|no-nodelay] [--rate 0] [--json out.json]

Starts Mosquitto on a free port with the shipped configuration (docs/mosquitto/vtsim.conf,
without TLS and passwords, persistence into a temporary folder), then measures on that one
broker, in the same run:

(a) raw paho: a publisher → the broker → a subscriber that only counts, QoS 1, payloads of an
    alarm's size (the ceiling of this broker and machine);
(b) the centre: the service of ``vtsim centre`` (:func:`vtsim.live.service.run_centre`, in a
    process of its own, storing into SQLite or PostgreSQL) answers alarms from 50 devices; the
    rate counts acknowledgements received by the devices, i.e. alarms judged, stored, committed
    and answered. Each alarm is acknowledged to the broker only after its group's commit;
(c) the centre without a broker: the same alarms (new ids) handed to
    :meth:`vtsim.live.centre.LiveCentre.handle_group` in groups of 1,000 on the same store:
    the ceiling of judging and committing alone.

``--rate`` sends at that many alarms a second (0: as fast as the window of 1,000 unacknowledged
messages lets the devices) and then reports answer latency (p50, p99: device publish to
acknowledgement received). ``--broker on-changes`` measures the old documented persistence
(``autosave_on_changes true``), ``no-nodelay`` the shipped one without ``set_tcp_nodelay``.
Afterwards the store is checked: every alarm stored exactly once.
"""

from __future__ import annotations

import argparse
import getpass
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from contextlib import nullcontext
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import orjson
from paho.mqtt.client import Client
from paho.mqtt.enums import CallbackAPIVersion

from devices.contract.codec import encode_fields, format_ts
from devices.transport.mqtt import BrokerAddress
from tests.brokers import RunningBroker, free_port, mosquitto_binary

SHIPPED = Path(__file__).resolve().parent.parent / "docs" / "mosquitto" / "vtsim.conf"
KIND = "safety_alarm"
DEVICES = 50
WINDOW = 1000
STALL_S = 60.0
"""The centre measurement ends when no answer came for this long (answers missing)."""
POSTGRES = os.environ.get("VTSIM_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
LOCAL_ONLY = ("listener", "cafile", "certfile", "keyfile", "require_certificate",
              "allow_anonymous", "password_file", "acl_file", "persistence_location",
              "per_listener_settings")


def broker_config(port: int, folder: Path, variant: str) -> str:
    """The shipped configuration on a local listener, persistence into ``folder``."""
    lines = [line for line in SHIPPED.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#") and not line.startswith(LOCAL_ONLY)]
    if variant == "on-changes":
        lines = [line for line in lines if not line.startswith("autosave_interval")]
        lines += ["autosave_on_changes true", "autosave_interval 1"]
    if variant == "no-nodelay":
        lines = [line for line in lines if not line.startswith("set_tcp_nodelay")]
    return "\n".join([f"listener {port} 127.0.0.1", "allow_anonymous true",
                      f"persistence_location {folder}/", f"user {getpass.getuser()}", *lines,
                      "log_dest stderr", "log_type error", "log_type warning", ""])


def start_broker(folder: Path, variant: str) -> RunningBroker:
    """Mosquitto with :func:`broker_config`, ready for clients."""
    binary = mosquitto_binary()
    if binary is None:
        raise SystemExit("mosquitto is not installed")
    config = folder / "mosquitto.conf"

    def command(port: int) -> list[str]:
        config.write_text(broker_config(port, folder, variant), encoding="utf-8")
        return [binary, "-c", str(config)]

    return RunningBroker(command, free_port(), folder / "mosquitto.log")


def client(address: BrokerAddress, name: str) -> Client:
    """A paho client (MQTT 3.1.1, its own network thread), connected."""
    mqtt = Client(CallbackAPIVersion.VERSION2, client_id=f"{name}-{uuid.uuid4().hex[:6]}")
    mqtt.max_inflight_messages_set(WINDOW)
    mqtt.connect(address.host, address.port)
    mqtt.loop_start()
    return mqtt


def alarm(device: int, seq: int) -> tuple[str, bytes, str]:
    """Topic, payload and message id of one alarm of device ``device``."""
    device_id = f"sa-{device:04d}"
    message_id = f"{device_id}-{seq:08d}"
    payload = encode_fields(KIND, device_id, "button_need", message_id, format_ts(time.time()),
                            seq, {})
    return f"vt/v1/bench/{KIND}/{device_id}/events", payload, message_id


# --- (a) raw paho ---------------------------------------------------------------------------


def raw_rate(address: BrokerAddress, count: int, size: int) -> float:
    """Messages a second from one paho publisher to one counting subscriber (QoS 1)."""
    done = threading.Event()
    state = {"in": 0, "acked": 0}
    window = threading.Condition()
    subscriber = client(address, "raw-sub")

    def counted(*_args: object) -> None:
        state["in"] += 1
        if state["in"] == count:
            done.set()

    subscriber.on_message = counted
    subscriber.subscribe("raw/#", qos=1)
    time.sleep(0.5)
    publisher = client(address, "raw-pub")

    def acked(*_args: object) -> None:
        with window:
            state["acked"] += 1
            window.notify()

    publisher.on_publish = acked
    payload = b"x" * size
    started = time.monotonic()
    for sent in range(count):
        with window:
            window.wait_for(lambda sent=sent: sent - state["acked"] < WINDOW)
        publisher.publish("raw/t", payload, qos=1)
    if not done.wait(300):
        raise RuntimeError(f"raw: {state['in']} of {count} arrived")
    rate = count / (time.monotonic() - started)
    for mqtt in (publisher, subscriber):
        mqtt.disconnect()
        mqtt.loop_stop()
    return rate


# --- (b) the centre -------------------------------------------------------------------------


class QuietDisplay:
    """The service's display, saying nothing."""

    refresh_every_s = None

    def started(self, *_args: object) -> None: ...
    def answered(self, *_args: object) -> None: ...
    def connection_changed(self, *_args: object) -> None: ...
    def incidents_raised(self, *_args: object) -> None: ...
    def refresh(self, *_args: object) -> None: ...
    def store_changed(self, failing: bool, detail: str) -> None:
        print(f"centre: {'the store failed' if failing else 'store back'}: {detail}",
              file=sys.stderr, flush=True)

    def showing(self) -> Any:
        return nullcontext()


def serve(pipe: Connection, address: BrokerAddress, db: str) -> None:
    """The centre's service until the parent says stop (in a child process)."""
    from vtsim.live.service import CentreOptions, run_centre

    stop = threading.Event()
    threading.Thread(target=lambda: (pipe.recv(), stop.set()), daemon=True).start()
    options = CentreOptions(address, "bench", db=db, client_id="bench-centre",
                            health_interval_s=5.0)
    snapshot = run_centre(options, QuietDisplay(), stop)  # type: ignore[arg-type]
    pipe.send(snapshot.totals)


def send_alarms(address: BrokerAddress, count: int, devices: int, rate: float,
                settle_s: float) -> tuple[float, list[float]]:
    """Send ``count`` alarms from ``devices`` devices (at ``rate`` a second, 0: as fast as the
    window of unconfirmed publishes allows) once the centre has had ``settle_s`` to subscribe;
    wait for the answers. Answers a second and the answer latencies."""
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    answered = threading.Event()
    sender = client(address, "bench-devices")
    window = threading.Condition()
    state = {"acked": 0}

    def on_answer(_c: object, _u: object, message: Any) -> None:
        body = orjson.loads(message.payload)
        if "/rejected/" in message.topic and body.get("reason") != "duplicate":
            return  # only an acknowledgement, or "already stored", answers an alarm
        at = sent_at.pop(body.get("message_id"), None)
        if at is not None:
            latencies.append(time.monotonic() - at)
        if len(latencies) == count:
            answered.set()

    def on_publish(*_args: object) -> None:
        with window:
            state["acked"] += 1
            window.notify()

    sender.on_message = on_answer
    sender.on_publish = on_publish
    sender.subscribe([("vt/v1/bench/centre/ack/#", 1), ("vt/v1/bench/centre/rejected/#", 1)])
    time.sleep(settle_s)
    started = time.monotonic()
    for number in range(count):
        topic, payload, message_id = alarm(number % devices, number // devices)
        with window:
            window.wait_for(lambda n=number: n - state["acked"] < WINDOW)
        sent_at[message_id] = time.monotonic()
        sender.publish(topic, payload, qos=1)
        if rate > 0:
            pause = started + (number + 1) / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    progress, last_change = -1, time.monotonic()
    while not answered.wait(1.0) and time.monotonic() - last_change < STALL_S:
        if len(latencies) != progress:
            progress, last_change = len(latencies), time.monotonic()
    wall = time.monotonic() - started
    if len(latencies) < count:
        print(f"the centre answered {len(latencies)} of {count}; no answer came for "
              f"{STALL_S:g} s", file=sys.stderr)
    sender.disconnect()
    sender.loop_stop()
    return len(latencies) / wall, latencies


def centre_rate(address: BrokerAddress, count: int, db: str, rate: float
                ) -> tuple[float, list[float]]:
    """Alarms a second answered by the centre, and the answer latencies (at ``rate``)."""
    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe()
    child = context.Process(target=serve, args=(there, address, db), daemon=True)
    child.start()
    answered = send_alarms(address, count, DEVICES, rate, settle_s=3.0)  # it connects
    here.send("stop")
    totals = here.recv()
    print(f"the centre's verdicts: {dict(totals)}", file=sys.stderr)
    child.join(30)
    return answered


class NoBroker:
    """A transport that takes answers and acknowledgements and drops them (store-only run)."""

    manual_ack = True

    def publish(self, *_args: object, **_options: object) -> None: ...
    def ack(self, _message: object) -> bool:
        return True

    def subscribe(self, *_args: object, **_options: object) -> None: ...
    def subscribe_messages(self, *_args: object, **_options: object) -> None: ...


def store_only_rate(count: int, db: str) -> float:
    """Alarms a second the centre judges, stores and commits in groups of 1,000 with no broker
    (the centre's own ceiling on this store)."""
    from devices.transport.mqtt import ReceivedMessage
    from vtsim.live.centre import LiveCentre
    from vtsim.live.store import open_store

    store = open_store(db)
    centre = LiveCentre(NoBroker(), tenant="bench", store=store)  # type: ignore[arg-type]
    centre.start()  # its channels: a group's messages are routed by them
    before = store.counts().messages
    now = time.time()
    messages = [ReceivedMessage(*alarm(n % DEVICES, 10_000_000 + n // DEVICES)[:2], 1, False,
                                now, n % 65_535 + 1, 1) for n in range(count)]
    started = time.perf_counter()
    for start in range(0, count, 1_000):
        centre.handle_group(messages[start:start + 1_000])
    rate = count / (time.perf_counter() - started)
    stored = store.counts().messages - before
    store.close()
    if stored != count:
        raise RuntimeError(f"the centre without a broker stored {stored} of {count}")
    return rate


def stored_once(db: str, count: int) -> bool:
    """Whether the store holds ``count`` alarm messages, each once."""
    from vtsim.live.store import open_store

    store = open_store(db)
    try:
        connection = store._connection  # type: ignore[attr-defined]
        cursor = connection.cursor()
        cursor.execute("SELECT COUNT(*), COUNT(DISTINCT message_id) FROM messages")
        total, distinct = cursor.fetchone()
        connection.commit()
        return bool(total == distinct == count)
    finally:
        store.close()


def store_url(kind: str, folder: Path) -> tuple[str, Any]:
    """A fresh store: a SQLite file, or a schema of its own in PostgreSQL (and its dropper)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'centre.db'}", None
    from urllib.parse import quote

    import psycopg

    admin = psycopg.connect(POSTGRES, autocommit=True)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin.execute(f"CREATE SCHEMA {schema}")
    return f"{POSTGRES}?options={quote(f'-csearch_path={schema}')}", (admin, schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alarms", type=int, default=20_000)
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--broker", choices=["shipped", "on-changes", "no-nodelay"],
                        default="shipped")
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        broker = start_broker(folder, args.broker)
        db, cleanup = store_url(args.store, folder)
        try:
            size = len(alarm(0, 0)[1])
            raw = raw_rate(broker.address, args.alarms, size)
            rate, latencies = centre_rate(broker.address, args.alarms, db, args.rate)
            once = stored_once(db, args.alarms)
            alone = store_only_rate(args.alarms, db)
        finally:
            broker.stop()
            if cleanup is not None:
                admin, schema = cleanup
                admin.execute(f"DROP SCHEMA {schema} CASCADE")
                admin.close()
    ordered = sorted(latencies)
    result = {
        "alarms": args.alarms, "store": args.store, "broker": args.broker,
        "offered_per_s": args.rate or "as fast as the window allows",
        "raw_paho_per_s": round(raw), "centre_per_s": round(rate), "answered": len(latencies),
        "ratio": round(rate / raw, 3),
        "store_only_per_s": round(alone),
        "latency_p50_ms": round(1000 * statistics.median(ordered), 1),
        "latency_p99_ms": round(1000 * ordered[int(0.99 * (len(ordered) - 1))], 1),
        "stored_exactly_once": once,
    }
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    if args.json:
        args.json.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
