"""The training console's web side, without a broker: who may do what, bounded and escaped input.

The console runs on Starlette with a real training session on an in-process bus, so every
action travels the same way as in a class: console → actions topic → centre → results topic →
console. Raw-socket tests run uvicorn itself on a free port.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from devices.contract.centre_actions import SessionState, session_topic
from devices.transport.base import InProcessTransport
from sim.scenario.loading import load_scenario
from tests.conftest import SCENARIOS
from vtsim.training.access import Access, AccessError
from vtsim.training.console import (
    MAX_BODY,
    ConsoleServer,
    ConsoleState,
    host_name,
    trusted_hosts,
)
from vtsim.training.session import TrainingSession

ORIGIN = "http://testserver"
SECRET = "trainer-secret-0123456789"
HOSTILE = ['<script>window.__xss=1</script>', '"><img src=x onerror=alert(1)>',
           "'; DROP TABLE incidents; --", "{{7*7}}", "\u202egnp.exe", "a" * 5000, "\x00\x1f"]


class Class:
    """A session on an in-process bus with its console app and test clients."""

    def __init__(self, seats: int = 1) -> None:
        scenario = load_scenario(SCENARIOS / "training" / "dispenser-jam.yaml")
        self.bus = InProcessTransport()
        self.session = TrainingSession(scenario, self.bus, self.bus, seats=seats,
                                       session_id="s1", secret=SECRET)
        self.state = ConsoleState("trening", self.session.key)
        self.state.follow(self.bus)
        self.session.on_change = lambda: self.state.tell(self.session.centre.session_state())
        self.access = Access(SECRET, "JOIN42", seat_timeout=30.0)
        self.server = ConsoleServer(self.state, lambda t, p: self.bus.publish(t, p),
                                    self.session.control, self.access, "s1", port=0,
                                    allowed_hosts=("testserver",))
        self.session.start()

    def client(self) -> TestClient:
        return TestClient(self.server.app, base_url=ORIGIN)

    def trainee(self, name: str) -> TestClient:
        client = self.client()
        answer = post(client, "/api/login", {"join_code": "join42", "name": name})
        assert answer.status_code == 200, answer.text
        return client

    def trainer(self) -> TestClient:
        client = self.client()
        assert post(client, "/api/trainer", {"token": SECRET}).status_code == 200
        return client


def post(client: TestClient, path: str, body: object, **headers: str) -> Any:
    """A JSON POST from the console's own origin (unless ``headers`` say otherwise)."""
    return client.post(path, content=json.dumps(body),
                       headers={"Origin": ORIGIN, "Content-Type": "application/json",
                                **headers})


@pytest.fixture
def lesson() -> Iterator[Class]:
    lesson = Class()
    yield lesson
    lesson.server.socket.close()


def test_trainees_log_in_with_the_join_code_and_act_only_as_themselves(lesson: Class) -> None:
    kari, ola = lesson.trainee("Kari Ødegård"), lesson.trainee("Ola Åsheim")
    incident = lesson.session.centre.open_incident("disp-0004", "medicine_dispenser", "jammed")
    ident = incident.state.incident_id
    taken = post(kari, "/api/action", {"kind": "take", "incident_id": ident,
                                       "operator": "Ola Åsheim"})
    assert taken.status_code == 200 and taken.json()["accepted"]
    assert incident.state.taken_by == "Kari Ødegård"  # the seat's name, not the body's
    for kind in ("close", "call", "note", "choose_outcome", "dispatch_visit"):
        refused = post(ola, "/api/action", {"kind": kind, "incident_id": ident, "text": "x",
                                            "outcome": "home_visit",
                                            "operator": "Kari Ødegård"})
        assert refused.status_code == 409, kind
        assert "tatt av Kari Ødegård" in refused.json()["reason"]
    assert lesson.session.centre.incidents[ident].state.phase == "taken"
    assert post(ola, "/api/control", {"command": "stop"}).status_code == 403
    assert post(lesson.client(), "/api/action", {"kind": "take", "incident_id": ident}) \
        .status_code == 401
    assert lesson.session.centre.phase == "running"


def test_trainees_never_see_the_answer_key_or_each_others_results(lesson: Class) -> None:
    kari, ola = lesson.trainee("kari"), lesson.trainee("ola")
    lesson.session.centre.open_incident("disp-0004", "medicine_dispenser", "jammed")
    post(kari, "/api/action", {"kind": "take", "incident_id": 1})
    post(kari, "/api/action", {"kind": "call", "incident_id": 1})
    view = kari.get("/api/state").json()
    (incident,) = view["incidents"]
    assert incident["expected_outcome"] is None and incident["title"] == ""
    assert incident["call"] is None or incident["call"]["suggests"] is None
    assert {r["operator"] for r in view["results"]} == {"kari"}
    assert ola.get("/api/state").json()["results"] == [r for r in ola.get("/api/state")
                                                       .json()["results"]
                                                       if r["operator"] == "ola"]
    assert "figures" not in view and "join_code" not in view
    full = lesson.trainer().get("/api/state").json()
    assert full["incidents"][0]["expected_outcome"] is not None
    assert full["join_code"] == "JOIN42"
    assert {f["name"] for f in full["figures"]} >= {"kari"}


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Origin": "null"},
                                     {"Origin": "http://testserver.evil.example"}])
def test_state_changing_requests_from_another_origin_are_refused(lesson: Class,
                                                                  headers: dict[str, str]) -> None:
    trainer = lesson.trainer()
    answer = post(trainer, "/api/control", {"command": "speed", "speed": 60}, **headers)
    assert answer.status_code == 403 and "Origin" in answer.json()["error"]
    no_origin = trainer.post("/api/control", content=b'{"command":"stop"}',
                             headers={"Content-Type": "application/json"})
    assert no_origin.status_code == 403
    simple = trainer.post("/api/control", content=b'{"command":"stop"}',
                          headers={"Origin": ORIGIN, "Content-Type": "text/plain"})
    assert simple.status_code == 415  # a no-cors "simple" request cannot be JSON
    assert lesson.session.centre.phase == "running" and lesson.session.clock.speed == 1.0


def test_names_with_norwegian_letters_are_welcome_and_reserved_names_are_not(
        lesson: Class) -> None:
    assert lesson.trainee("Åse Bjørnstad").get("/api/me").json()["name"] == "Åse Bjørnstad"
    client = lesson.client()
    for name, status in [("sim-1", 409), ("Sim 2", 409), ("Åse Bjørnstad", 409), ("", 400),
                         (" ", 400), ("<b>x</b>", 400), ("a/b", 400), ("x" * 64, 400)]:
        answer = post(client, "/api/login", {"join_code": "JOIN42", "name": name})
        assert answer.status_code == status, (name, answer.text)
    assert post(client, "/api/login", {"join_code": "WRONG1", "name": "per"}).status_code == 403


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_text_in_every_field_gets_a_4xx_or_is_kept_as_plain_text(
        lesson: Class, payload: str) -> None:
    kari = lesson.trainee("kari")
    incident = lesson.session.centre.open_incident("disp-0004", "medicine_dispenser", "jammed")
    post(kari, "/api/action", {"kind": "take", "incident_id": incident.state.incident_id})
    for field in ("kind", "outcome", "incident_id"):
        body = {"kind": "note", "incident_id": 1, "text": "ok", field: payload}
        answer = post(kari, "/api/action", body)
        assert 400 <= answer.status_code < 500, (field, answer.text)
        assert payload not in answer.text or len(payload) < 50
    for path, field in [("/api/login", "name"), ("/api/login", "join_code"),
                        ("/api/trainer", "token")]:
        answer = post(lesson.client(), path, {"join_code": "JOIN42", "name": "x",
                                              field: payload})
        assert 400 <= answer.status_code < 500, (path, field, answer.text)
    note = post(kari, "/api/action", {"kind": "note", "incident_id": 1, "text": payload})
    if len(payload) <= 2000:
        assert note.status_code == 200
        assert lesson.session.centre.incidents[1].state.notes[-1] == payload
    else:
        assert note.status_code == 400


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b"null", b'"x"', b"\xff\xfe",
                                  b'{"kind": 1}', b'{"incident_id": 1e999}',
                                  b'{"incident_id": -1, "kind": "take"}',
                                  b'{"incident_id": [1], "kind": "take"}'])
def test_malformed_bodies_get_a_400_with_a_reason_and_no_traceback(lesson: Class,
                                                                   body: bytes) -> None:
    kari = lesson.trainee("kari")
    answer = kari.post("/api/action", content=body,
                       headers={"Origin": ORIGIN, "Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert "error" in answer.json() and "Traceback" not in answer.text


def test_bodies_above_the_limit_are_refused_unread(lesson: Class) -> None:
    kari = lesson.trainee("kari")
    answer = kari.post("/api/action", content=b"{" + b" " * MAX_BODY + b"}",
                       headers={"Origin": ORIGIN, "Content-Type": "application/json"})
    assert answer.status_code == 413


def test_paused_and_stopped_sessions_refuse_actions_on_every_screen(lesson: Class) -> None:
    kari, trainer = lesson.trainee("kari"), lesson.trainer()
    lesson.session.centre.open_incident("disp-0004", "medicine_dispenser", "jammed")
    assert post(trainer, "/api/control", {"command": "pause"}).status_code == 200
    answer = post(kari, "/api/action", {"kind": "take", "incident_id": 1})
    assert answer.status_code == 409 and "pause" in answer.json()["error"]
    for speed in (0, 1e-300, -1, 1e9, "fast"):
        assert post(trainer, "/api/control", {"command": "speed", "speed": speed}) \
            .status_code == 400, speed
    assert lesson.session.clock.speed == 1.0
    post(trainer, "/api/control", {"command": "stop"})
    assert kari.get("/api/state").json()["session"]["phase"] == "stopped"
    assert post(kari, "/api/action", {"kind": "take", "incident_id": 1}).status_code == 409


def test_a_forged_session_state_on_the_broker_changes_no_console(lesson: Class) -> None:
    kari = lesson.trainee("kari")
    before = kari.get("/api/state").json()["session"]
    forged = SessionState.model_validate({
        **before, "session_id": "other", "phase": "stopped",
        "scenario": "<img src=x onerror=alert(1)>", "start_date": "<script>x</script>"})
    lesson.bus.publish(session_topic("trening"), forged.model_dump_json().encode(), retain=True)
    after = kari.get("/api/state").json()
    assert after["session"]["session_id"] == "s1" and after["session"]["phase"] == "running"
    assert lesson.state.forged == 1


def test_logout_frees_the_seat_and_a_closed_tab_frees_it_after_the_timeout() -> None:
    now = [0.0]
    access = Access(SECRET, "JOIN42", seat_timeout=30.0, clock=lambda: now[0])
    seat = access.log_in("join42", "kari")
    seat.streams = 1
    now[0] = 100.0
    assert access.abandoned() == []  # a tab is open
    seat.streams = 0
    seat.last_seen = 100.0
    now[0] = 129.0
    assert access.abandoned() == []
    now[0] = 131.0
    assert access.abandoned() == [seat] and access.seat(seat.token) is None
    access.log_in("join42", "kari")  # the name is free again
    with pytest.raises(AccessError):
        for _ in range(25):
            try:
                access.log_in("nope", "x")
            except AccessError as exc:
                if exc.status == 429:
                    raise
    lesson = Class()
    try:
        kari = lesson.trainee("kari")
        lesson.session.centre.open_incident("disp-0004", "medicine_dispenser", "jammed")
        post(kari, "/api/action", {"kind": "take", "incident_id": 1})
        assert post(kari, "/api/logout", {}).status_code == 200
        assert "kari" not in lesson.session.centre.trainees
        assert kari.get("/api/state").status_code == 401
        assert lesson.session.centre.incidents[1].state.taken_by != "kari"
    finally:
        lesson.server.socket.close()


# --- uvicorn itself --------------------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[Class]:
    lesson = Class()
    lesson.server.start()
    yield lesson
    lesson.server.stop()


def raw(port: int, data: bytes, timeout: float = 3.0) -> bytes:
    """Send bytes, return everything until the server closes (or the timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except TimeoutError:
            pass
        return out


@pytest.mark.parametrize("request_bytes", [
    b"POST /api/action HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n{}",
    b"POST /api/action HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\n{}",
    b"GET / HTTP/1.1\r\nHost h\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nX: " + b"a" * 70_000 + b"\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
])
def test_malformed_http_gets_a_4xx_and_no_traceback(served: Class, request_bytes: bytes) -> None:
    answer = raw(served.server.port, request_bytes)
    assert answer.startswith(b"HTTP/1.1 4"), answer[:200]
    assert b"Traceback" not in answer


def test_the_unread_body_of_a_refused_request_is_never_run_as_a_request(served: Class) -> None:
    port = served.server.port
    smuggled = b"POST /api/control HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    answer = raw(port, b"POST /api/control HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: "
                       b"http://127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 100000\r\n\r\n" % (port, port) + smuggled)
    assert answer.count(b"HTTP/1.1 ") == 1 and b"413" in answer.split(b"\r\n")[0]


def test_two_hundred_event_streams_all_get_the_state(served: Class) -> None:
    port, count = served.server.port, 200
    request = (f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               f"Cookie: vtsim_trainer={SECRET}\r\n\r\n").encode()
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(request)
        sockets.append(sock)
    got, deadline = 0, time.monotonic() + 20
    try:
        for sock in sockets:
            data = b""
            while b"data: " not in data and time.monotonic() < deadline:
                data += sock.recv(65536)
            got += b"data: " in data
    finally:
        for sock in sockets:
            sock.close()
    assert got == count


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8080", "127.0.0.2"])
def test_a_page_under_a_name_the_console_does_not_answer_to_is_refused(
        served: Class, host: str) -> None:
    """DNS rebinding: a page of another site whose name resolves to the console's address
    reaches it under the site's own name; nothing is served to it, not even the login page."""
    port = served.server.port
    for request in (f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n",
                    f"POST /api/login HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}"):
        answer = raw(port, request.encode())
        assert answer.startswith(b"HTTP/1.1 421"), answer[:200]
    for name in (f"127.0.0.1:{port}", f"localhost:{port}"):
        answer = raw(port, f"GET / HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n"
                     .encode())
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


def test_the_trusted_names_follow_the_address_listened_on() -> None:
    assert trusted_hosts("127.0.0.1") == {"127.0.0.1", "localhost", "::1"}
    assert "10.0.0.5" in trusted_hosts("10.0.0.5")
    assert "klasserom-pc" in trusted_hosts("127.0.0.1", ["Klasserom-PC"])
    assert socket.gethostname().lower() in trusted_hosts("0.0.0.0")
    assert [host_name(h) for h in ("[::1]:8080", "Localhost:80", "name", "::1")] == [
        "::1", "localhost", "name", "::1"]
