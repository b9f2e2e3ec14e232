"""The live centre's service loop (``vtsim.live.service``) and its terminal displays.

The loop runs on a real Mosquitto with a display that records what it is told; the displays
of ``vtsim.live.centre_view`` are checked on a recording console.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import orjson
from rich.console import Console

from devices.transport.mqtt import BrokerAddress, MqttTransport
from tests.conftest import ROOT
from tests.mqtt_cases import DEVICE, KIND, alarm
from vtsim.live.centre import Answer, CentreSnapshot
from vtsim.live.centre_view import LiveTable, VerdictLines
from vtsim.live.health import health_topic
from vtsim.live.service import CentreOptions, ServiceState, run_centre
from vtsim.live.store import OPEN, IncidentChange

WAIT_S = 20.0


class RecordingDisplay:
    """A display that keeps everything the service tells it."""

    refresh_every_s: float | None = 0.05

    def __init__(self) -> None:
        """Nothing seen yet."""
        self.started_with: tuple[str, int, str] | None = None
        self.answers: list[Answer] = []
        self.states: list[ServiceState] = []
        self.connections: list[bool] = []
        self.incidents: list[IncidentChange] = []
        self.shown = False

    def started(self, options: CentreOptions, protocol: int, store_url: str) -> None:
        """Keep where and how the centre listens."""
        self.started_with = (options.address.url, protocol, store_url)

    def answered(self, answer: Answer) -> None:
        """Keep the answer."""
        self.answers.append(answer)

    def connection_changed(self, connected: bool) -> None:
        """Keep the change."""
        self.connections.append(connected)

    def incidents_raised(self, incidents: list[IncidentChange]) -> None:
        """Keep the incidents."""
        self.incidents.extend(incidents)

    def refresh(self, state: ServiceState) -> None:
        """Keep the state."""
        self.states.append(state)

    def showing(self) -> AbstractContextManager[object]:
        """Note that the loop ran inside the display's lifetime."""
        self.shown = True
        return nullcontext()


def wait_until(done: Callable[[], bool]) -> None:
    """Poll ``done`` until it holds; fail after ``WAIT_S``."""
    deadline = time.monotonic() + WAIT_S
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_service_loop_answers_reports_health_and_refreshes_the_display(
        mosquitto_broker: BrokerAddress, tenant: str) -> None:
    display = RecordingDisplay()
    stop = threading.Event()
    options = CentreOptions(mosquitto_broker, tenant, db="memory:", client_id=f"svc-{tenant}",
                            session_expiry_s=0, health_interval_s=0.2)
    result: list[CentreSnapshot] = []
    service = threading.Thread(target=lambda: result.append(run_centre(options, display, stop)))
    service.start()
    health: list[dict[str, object]] = []
    device = MqttTransport(mosquitto_broker, f"device-{tenant}", protocol=3)
    device.subscribe(health_topic(tenant), lambda _t, p: health.append(orjson.loads(p)))
    device.connect()
    try:
        wait_until(lambda: display.started_with is not None)
        device.publish(f"vt/v1/{tenant}/{KIND}/{DEVICE}/events", alarm(1, ts=time.time()))
        wait_until(lambda: len(display.answers) == 1 and any(
            s.snapshot.messages == 1 for s in display.states))
        wait_until(lambda: (device.drain(timeout=0.05), bool(health))[1])
    finally:
        stop.set()
        service.join(WAIT_S)
        device.close()
    assert not service.is_alive()
    assert display.started_with == (mosquitto_broker.url, 5, "memory:")
    assert display.shown and display.connections == []
    assert [a.verdict for a in display.answers] == ["accepted"]
    assert all(s.connected for s in display.states)
    assert health[0]["state"] == "running" and health[0]["messages"] in (0, 1)
    assert result[0].messages == 1 and result[0].totals == {"accepted": 1}


def test_the_service_needs_no_terminal_library() -> None:
    code = ("import sys, vtsim.live.service\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'typer'}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_verdict_lines_print_each_verdict_incident_and_connection_change() -> None:
    console = Console(record=True, width=200)
    display = VerdictLines(console, BrokerAddress("b", 1883))
    options = CentreOptions(BrokerAddress("b", 1883), "lier", db="memory:")
    display.started(options, 3, "postgresql://centre:secret@db/centre")
    display.answered(Answer("t", "accepted", "lier", DEVICE, "m1", "safety_alarm.x seq 1",
                            "vt/v1/lier/centre/ack/x"))
    display.incidents_raised([IncidentChange("i", "lier", DEVICE, KIND, "device_silent", OPEN,
                                             0.0, "no heartbeat", 2)])
    display.connection_changed(False)
    display.connection_changed(True)
    text = console.export_text()
    assert ("vtsim centre: listening on mqtt://b:1883 (MQTT 3.1.1, session "
            "'vtsim-centre-lier') for tenant lier; storing in postgresql://centre:***@db/centre"
            in text)
    assert "secret" not in text
    assert f"accepted             lier/{DEVICE}: safety_alarm.x seq 1" in text
    assert f"incident device_silent: lier/{DEVICE}: no heartbeat" in text
    assert "lost the broker at" in text and "reconnected to" in text


def test_the_live_table_shows_the_message_rate_between_refreshes() -> None:
    console = Console(record=True, width=200)
    display = LiveTable(console, BrokerAddress("b", 1883))

    def state(messages: int, at: float) -> ServiceState:
        snapshot = CentreSnapshot({"accepted": messages}, [], 0, 0, messages)
        return ServiceState(snapshot, True, at, 0.0, None)

    with display.showing():  # the live view leaves its last rendering on the console
        display.refresh(state(10, 100.0))
        display.refresh(state(30, 100.5))
    rows = [line for line in console.export_text().splitlines() if "messages" in line]
    assert any("30 (40/s)" in row for row in rows), rows
