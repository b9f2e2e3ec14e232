"""Training sessions on real brokers and in headless Chromium, as a class would use them.

- record → replay → record gives the same messages with the same timing, replayed into its own
  namespace, on Mosquitto and on ``vtsim broker`` (amqtt, MQTT 3.1.1);
- two trainees and a trainer log in; a trainee's action on another seat's incident is refused;
  a page from another origin changes nothing; hostile text is inert in console and debrief;
- the broker is killed and restarted mid-session: every console says why the session paused,
  no alarm is lost, the clock runs on; replaying into the running session is refused.

The browser tests need Debian's chromium (``.ci/run`` installs it) and the Playwright package
(driving the system chromium; Playwright's own browser download is not used). Screenshots of
every screen go to ``$VTSIM_SCREENSHOTS`` (default: the test's temporary folder).
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devices.contract.centre_actions import SessionState, session_topic
from devices.transport.mqtt import BrokerAddress, MqttTransport
from tests.brokers import AmqttBroker, MosquittoBroker, mosquitto_binary
from tests.conftest import ROOT
from vtsim.training.debrief import build_debrief
from vtsim.training.recording import Recorded, read_recording

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SECRET = "trainer-token-for-the-test-0001"
JOIN = "KLASSE"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
needs_chromium = pytest.mark.skipif(CHROMIUM is None,
                                    reason="Debian's chromium is not installed (.ci/run)")


def vtsim(*args: str) -> list[str]:
    """The command line of a vtsim command in this interpreter."""
    return [sys.executable, "-m", "vtsim", *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def short_scenario(tmp_path: Path, tenant: str, background: float = 0.0,
                   name: str = "Stormnatt", title: str = "") -> Path:
    """A 10-minute session with two scripted falls (and ``background`` alarms a day)."""
    data = yaml.safe_load((ROOT / "scenarios/training/storm-night.yaml").read_text())
    data["tenant"] = tenant
    data["name"] = name
    data["training"]["duration"] = "10min"
    data["training"]["seats"] = 2
    script = data["training"]["script"]
    data["training"]["script"] = [{**script[0], "at": "22:01"}, {**script[2], "at": "22:02"}]
    if title:
        data["training"]["script"][0]["title"] = title
    if not background:
        data["devices"] = {}
    else:
        data["devices"]["safety_alarm"]["events"]["button_need"]["rate_per_day"] = background
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def start_recording(address: BrokerAddress, tenant: str, out: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(vtsim("record", "--broker", address.url, "--tenant", tenant,
                                     "--out", str(out)), cwd=ROOT, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # subscribed
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)


def start_train(scenario: Path, address: BrokerAddress, port: int, log: Path,
                *extra: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            vtsim("train", str(scenario), "--broker", address.url, "--port", str(port),
                  "--join-code", JOIN, "--trainer-token", SECRET, *extra),
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    wait_for_port(port, process, log)
    return process


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path,
                  timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"vtsim train exited: {log.read_text(errors='replace')}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"the console did not listen on port {port}")


def send_stop(address: BrokerAddress, tenant: str) -> None:
    subprocess.run(vtsim("control", "stop", "--broker", address.url, "--tenant", tenant,
                         "--token", SECRET), cwd=ROOT, check=True, timeout=30,
                   capture_output=True)


@pytest.fixture
def screens(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("VTSIM_SCREENSHOTS") or tmp_path / "screens")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def chromium() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox"])
        yield browser
        browser.close()


# --- record and replay ---------------------------------------------------------------------------


@pytest.fixture(params=["mosquitto", "amqtt"])
def second_broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BrokerAddress]:
    """A broker of its own to replay into: Mosquitto, or ``vtsim broker`` (MQTT 3.1.1)."""
    folder = tmp_path / "second"
    folder.mkdir()
    if request.param == "mosquitto":
        if mosquitto_binary() is None:
            pytest.skip("mosquitto is not installed (.ci/run installs Debian's mosquitto)")
        broker: MosquittoBroker | AmqttBroker = MosquittoBroker(folder)
    else:
        broker = AmqttBroker(folder)
    yield broker.address
    broker.stop()


def test_record_replay_record_gives_the_same_messages_with_the_same_timing(
        mosquitto_broker: BrokerAddress, second_broker: BrokerAddress, tmp_path: Path,
        tenant: str) -> None:
    scenario = short_scenario(tmp_path, tenant, background=20)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    recorder = start_recording(mosquitto_broker, tenant, first)
    trained = subprocess.run(
        vtsim("train", str(scenario), "--broker", mosquitto_broker.url, "--speed", "960",
              "--port", str(free_port()), "--exit-when-done"),
        cwd=ROOT, timeout=120, capture_output=True, text=True)
    assert trained.returncode == 0, trained.stdout + trained.stderr
    stop(recorder)
    original = read_recording(first)
    assert len(original) > 20
    assert any("/centre/incidents/" in r.topic for r in original)
    assert any(r.topic.endswith("/events") for r in original)

    replayed = f"{tenant}-replay"
    recorder = start_recording(second_broker, replayed, second)
    run = subprocess.run(vtsim("replay", str(first), "--broker", second_broker.url,
                               "--speed", "1"),
                         cwd=ROOT, timeout=120, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"into tenant {replayed}" in " ".join(run.stdout.split())
    time.sleep(0.5)
    stop(recorder)
    copy = read_recording(second)
    moved = [Recorded(r.mono, r.wall, r.topic.replace(f"/{tenant}/", f"/{replayed}/", 1),
                      r.qos, r.retain, r.payload) for r in original]
    # MQTT 3.1.1 has no "retain as published": live messages arrive with retain 0 there.
    assert_same_messages(moved, copy, keep_retain=is_mqtt5(second_broker))


def is_mqtt5(address: BrokerAddress) -> bool:
    transport = MqttTransport(address, f"probe-{time.time_ns()}")
    transport.connect()
    protocol = transport.protocol
    transport.close()
    return protocol == 5


def assert_same_messages(original: list[Recorded], copy: list[Recorded],
                         keep_retain: bool = True) -> None:
    """Same topics, payloads, QoS (and retain flags) in the same order; timing within 50 ms."""
    def key(r: Recorded) -> tuple[object, ...]:
        return (r.topic, r.payload, r.qos, r.retain) if keep_retain else (r.topic, r.payload)

    assert [key(r) for r in copy] == [key(r) for r in original]
    start_a, start_b = original[0].mono, copy[0].mono
    drift = sorted(abs((b.mono - start_b) - (a.mono - start_a))
                   for a, b in zip(original, copy, strict=True))
    typical = drift[int(0.95 * (len(drift) - 1))]
    assert typical < 0.05, f"95 % of messages within {typical * 1000:.0f} ms, not 50 ms"
    assert drift[-1] < 0.25, f"timing differs by up to {drift[-1] * 1000:.0f} ms"


# --- a class in the browser ----------------------------------------------------------------------


def trainee(browser: Any, port: int, name: str) -> Any:
    """A trainee's own browser context, logged in with the join code and a name."""
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(f"http://127.0.0.1:{port}/")
    page.fill("#join-code", JOIN.lower())
    page.fill("#name", name)
    page.click("#login")
    page.wait_for_selector("#work:not([hidden])", timeout=15000)
    page.select_option("#filter-status", "all")  # closed incidents stay in view
    return page


def trainer(browser: Any, port: int) -> Any:
    """The trainer's page, logged in by the link the terminal prints."""
    page = browser.new_context(viewport={"width": 1500, "height": 900}).new_page()
    page.goto(f"http://127.0.0.1:{port}/trainer#{SECRET}")
    page.wait_for_selector("#work:not([hidden])", timeout=15000)
    return page


def fetch(page: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A POST from the page itself (its cookie, its origin); status and answer."""
    result: dict[str, Any] = page.evaluate(
        """async ([path, body]) => {
             const r = await fetch(path, {method: "POST", body: JSON.stringify(body),
               headers: {"Content-Type": "application/json"}});
             return {status: r.status, answer: await r.json()};
           }""", [path, body])
    return result


def take_first_waiting(page: Any) -> int:
    row = page.wait_for_selector("tr.incident[data-phase='waiting']", timeout=30000)
    incident_id = int(row.get_attribute("data-incident-id"))
    # By selector, not by the handle: the table is redrawn on every update from the server.
    page.click(f"tr.incident[data-incident-id='{incident_id}']")
    page.click("#take")
    page.wait_for_selector("#call:not([disabled])", timeout=15000)
    return incident_id


def finish(page: Any, incident_id: int, note: str) -> str:
    """Call, choose what the call suggests, write a note, close."""
    page.click(f"tr.incident[data-incident-id='{incident_id}']")
    page.click("#call")
    page.wait_for_selector("#call-result:has-text('Samtale')", timeout=15000)
    outcome = "emergency_services" if "blør" in page.inner_text("#call-result") else "home_visit"
    page.select_option("#outcome", outcome)
    page.click("#choose")
    page.wait_for_selector("#facts dt:has-text('Utfall')", timeout=15000)
    page.fill("#note-text", note)
    page.click("#note")
    page.wait_for_selector(f"#history li:has-text('{note[:8]}')", timeout=15000)
    page.click("#close")
    page.wait_for_selector(
        f"tr.incident[data-incident-id='{incident_id}'][data-phase='closed']", timeout=15000)
    return outcome


class OtherSite:
    """A page on another origin that tries to drive the console (cross-site request forgery)."""

    def __init__(self, console_port: int) -> None:
        page = f"""<!doctype html><html><body><script>
          const target = "http://127.0.0.1:{console_port}";
          const send = (path, body, type) => fetch(target + path, {{method: "POST",
            mode: "no-cors", credentials: "include", headers: {{"Content-Type": type}},
            body: JSON.stringify(body)}}).catch(() => null);
          Promise.all([
            send("/api/control", {{command: "speed", speed: 1000}}, "text/plain"),
            send("/api/control", {{command: "stop"}}, "application/json"),
            send("/api/action", {{kind: "logout"}}, "text/plain"),
          ]).then(() => {{ document.title = "sent"; }});
        </script></body></html>""".encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def forge_session_state(address: BrokerAddress, tenant: str) -> None:
    """What an attacker on the broker would publish: a retained, unsigned session state."""
    transport = MqttTransport(address, f"forger-{tenant}")
    transport.connect()
    forged = SessionState.model_validate({
        "session_id": "forged", "scenario": XSS, "tenant": tenant, "start_date": XSS,
        "start_at": 0.0, "end_at": 1.0, "phase": "stopped", "scenario_at": 0.0, "speed": 1.0,
        "ts": "2026-11-22T21:00:00Z", "seats": 1})
    transport.publish(session_topic(tenant), forged.model_dump_json().encode(), retain=True)
    transport.flush(5.0)
    transport.close()


@needs_chromium
def test_a_class_logs_in_works_and_nothing_hostile_gets_through(
        mosquitto_broker: BrokerAddress, tmp_path: Path, tenant: str, chromium: Any,
        screens: Path) -> None:
    scenario = short_scenario(tmp_path, tenant, name=f"Storm {XSS}", title=f"Fall {XSS}")
    port = free_port()
    recording = tmp_path / "session.jsonl"
    recorder = start_recording(mosquitto_broker, tenant, recording)
    log = tmp_path / "train.log"
    train = start_train(scenario, mosquitto_broker, port, log, "--speed", "60",
                        "--start-paused", "--seat-timeout", "2")
    other = OtherSite(port)
    try:
        boss = trainer(chromium, port)
        boss.wait_for_selector(f"#join-code:has-text('{JOIN}')", timeout=15000)
        login = chromium.new_context(viewport={"width": 1000, "height": 500}).new_page()
        login.goto(f"http://127.0.0.1:{port}/")
        login.wait_for_selector("#login-box:not([hidden])")
        login.screenshot(path=str(screens / "1-login.png"))
        kari, ola = trainee(chromium, port, "Kari Ødegård"), trainee(chromium, port, "Ola Åsheim")
        boss.wait_for_selector("#figures tr[data-operator='Ola Åsheim']", timeout=15000)
        per = trainee(chromium, port, "Per")
        boss.wait_for_selector("#figures tr[data-operator='Per'] td:has-text('ledig')")
        per.context.close()  # the tab closes: the seat is freed after --seat-timeout
        boss.wait_for_selector("#figures tr[data-operator='Per']", state="detached",
                               timeout=15000)
        boss.click("#resume")
        mine = take_first_waiting(kari)

        # Ola acts on Kari's incident, even naming her as the operator: refused.
        for kind in ("close", "choose_outcome", "note"):
            refused = fetch(ola, "/api/action", {"kind": kind, "incident_id": mine,
                                                 "operator": "Kari Ødegård",
                                                 "outcome": "home_visit", "text": "x"})
            assert refused["status"] == 409, refused
            assert "tatt av Kari Ødegård" in refused["answer"]["reason"]
        assert fetch(ola, "/api/control", {"command": "stop"})["status"] == 403
        assert fetch(ola, "/api/login", {"join_code": JOIN, "name": "sim-1"})["status"] == 409

        # A page from another origin, in the trainer's own browser, changes nothing.
        forgery = boss.context.new_page()
        forgery.goto(other.url)
        forgery.wait_for_function("document.title === 'sent'", timeout=15000)
        forgery.close()

        # Trainees get no answer key; the trainer does.
        kari_view = kari.evaluate("fetch('/api/state').then(r => r.json())")
        assert all(i["expected_outcome"] is None for i in kari_view["incidents"])
        assert "figures" not in kari_view
        forge_session_state(mosquitto_broker, tenant)
        ola_incident = take_first_waiting(ola)
        finish(kari, mine, f"Notat {XSS}")
        finish(ola, ola_incident, "Notat: alt i orden")
        boss_view = boss.evaluate("fetch('/api/state').then(r => r.json())")
        assert boss_view["session"]["speed"] == 60 and boss_view["session"]["phase"] == "running"
        assert all(i["expected_outcome"] for i in boss_view["incidents"])
        assert {f["name"]: f["closed"] for f in boss_view["figures"]
                if not f["simulated"]} == {"Kari Ødegård": 1, "Ola Åsheim": 1}

        # Hostile text is shown as text, never run.
        kari.click(f"tr.incident[data-incident-id='{mine}']")
        kari.wait_for_selector("#history li:has-text('onerror')")
        boss.click(f"tr.incident[data-incident-id='{mine}']")
        boss.wait_for_selector("#answer-key:has-text('onerror')")
        for page in (kari, ola, boss):
            assert page.evaluate("window.__xss") is None
            assert page.query_selector("#work img, #work script") is None
        assert "<script>" in boss.inner_text("#scenario")
        kari.screenshot(path=str(screens / "2-trainee.png"))
        boss.screenshot(path=str(screens / "3-trainer.png"))

        # Stopped means stopped on every screen.
        boss.on("dialog", lambda dialog: dialog.accept())
        boss.click("#stop")
        for page in (kari, ola, boss):
            page.wait_for_selector("#notice:has-text('stoppet')", timeout=15000)
        clock = kari.inner_text("#clock")
        time.sleep(1.0)
        assert kari.inner_text("#clock") == clock
        ola.screenshot(path=str(screens / "4-stopped.png"))
        train.wait(timeout=30)
        forge_session_state(mosquitto_broker, tenant)  # the last state in the recording
        time.sleep(0.5)
    finally:
        other.close()
        if train.poll() is None:
            send_stop(mosquitto_broker, tenant)
            train.wait(timeout=30)
        stop(recorder)
    output = " ".join(log.read_text().split())
    assert "1 forged control" not in output  # nothing reached the broker from the forgery
    records = read_recording(recording)
    debrief = build_debrief(records, SECRET.encode())
    trainees = {op.name: op for op in debrief.operators if not op.simulated}
    assert set(trainees) == {"Kari Ødegård", "Ola Åsheim"}
    assert all(op.closed == 1 for op in trainees.values())
    assert build_debrief(records).session.start_date == XSS  # unsigned: forged state used

    for name, extra in (("unsigned", []), ("signed", ["--token", SECRET])):
        page_file = tmp_path / f"debrief-{name}.html"
        subprocess.run(vtsim("debrief", str(recording), "--out", str(page_file), *extra),
                       cwd=ROOT, check=True, timeout=60, capture_output=True)
        html = page_file.read_text(encoding="utf-8")
        assert "<script>window.__xss" not in html and "<img src=x" not in html
        page = chromium.new_page()
        page.goto(page_file.as_uri())
        assert page.evaluate("window.__xss") is None
        assert page.query_selector("body img, body script") is None
        assert "onerror" in page.inner_text("body")
        page.screenshot(path=str(screens / f"5-debrief-{name}.png"), full_page=True)
    assert html.count('class="action" data-operator="Kari Ødegård"') >= 5


@needs_chromium
def test_the_broker_dies_mid_session_and_no_alarm_is_lost(
        tmp_path: Path, tenant: str, chromium: Any, screens: Path) -> None:
    if mosquitto_binary() is None:
        pytest.skip("mosquitto is not installed (.ci/run installs Debian's mosquitto)")
    folder = tmp_path / "broker"
    folder.mkdir()
    broker = MosquittoBroker(folder)
    address = broker.address
    scenario = short_scenario(tmp_path, tenant, background=400)
    port = free_port()
    log = tmp_path / "train.log"
    recording = tmp_path / "session.jsonl"
    recorder = start_recording(address, tenant, recording)
    train = start_train(scenario, address, port, log, "--speed", "20")
    try:
        kari = trainee(chromium, port, "Kari")
        kari.wait_for_selector("tr.incident", timeout=30000)
        broker.stop(signal.SIGKILL)
        kari.wait_for_selector("#notice:has-text('meldingsserveren')", timeout=15000)
        assert kari.inner_text("#phase").startswith("pause")
        kari.screenshot(path=str(screens / "6-broker-down.png"))
        refused = fetch(kari, "/api/action", {"kind": "take", "incident_id": 1})
        assert refused["status"] == 409 and "meldingsserveren" in refused["answer"]["error"]
        clock = kari.inner_text("#clock")
        time.sleep(3.0)
        assert kari.inner_text("#clock") == clock  # the clock stands still while paused
        broker = MosquittoBroker(folder, port=address.port)
        kari.wait_for_selector("#notice", state="hidden", timeout=30000)
        kari.wait_for_function("document.querySelector('#phase').textContent.startsWith('går')",
                               timeout=15000)
        time.sleep(2.0)
        assert kari.inner_text("#clock") != clock

        # A replay into the running session is refused; into its own namespace it is harmless.
        before = kari.evaluate("fetch('/api/state').then(r => r.json())")["session"]
        into_live = subprocess.run(vtsim("replay", str(recording), "--broker", address.url,
                                         "--tenant", tenant, "--speed", "100"),
                                   cwd=ROOT, timeout=60, capture_output=True, text=True)
        assert into_live.returncode == 2, into_live.stdout + into_live.stderr
        assert "running" in " ".join(into_live.stdout.split())
        aside = subprocess.run(vtsim("replay", str(recording), "--broker", address.url,
                                     "--speed", "100"),
                               cwd=ROOT, timeout=60, capture_output=True, text=True)
        assert aside.returncode == 0, aside.stdout + aside.stderr
        time.sleep(1.0)
        after = kari.evaluate("fetch('/api/state').then(r => r.json())")["session"]
        assert after["session_id"] == before["session_id"] and after["phase"] == "running"
        assert after["speed"] == before["speed"]
        send_stop(address, tenant)
        train.wait(timeout=60)
    finally:
        if train.poll() is None:
            train.kill()
        stop(recorder)
        broker.stop()
    output = " ".join(log.read_text().split())
    counts = re.search(r"Device messages: (\d+) sent, (\d+) received by the centre "
                       r"\((\d+) duplicate\(s\)\), (\d+) sent again, (\d+) not received", output)
    assert counts is not None, output
    sent, received, _duplicates, _again, missing = map(int, counts.groups())
    print(counts.group(0))
    assert sent > 20 and missing == 0 and received >= sent, output
    debrief = build_debrief(read_recording(recording), SECRET.encode())
    assert {i.scripted for i in debrief.incidents} >= {True}
    assert sum(i.scripted for i in debrief.incidents) == 2


def test_replay_never_publishes_into_the_recorded_tenant(tmp_path: Path) -> None:
    from vtsim.training.recording import replay_target

    records = [Recorded(0.0, 0.0, "vt/v1/trening/centre/control/cli", 1, False, b"{}"),
               Recorded(0.1, 0.1, "vt/v1/trening/safety_alarm/sa-0001/events", 1, False, b"x")]
    moved = replay_target(records, None)
    assert [r.topic for r in moved] == ["vt/v1/trening-replay/centre/control/cli",
                                        "vt/v1/trening-replay/safety_alarm/sa-0001/events"]
    assert {r.topic.split("/")[2] for r in replay_target(records, "demo")} == {"demo"}
