"""The operator console: web pages for trainees and the trainer, on Starlette and uvicorn.

The console is an MQTT client like any operator console: it follows the centre's topics
(session, incidents, results), keeping only messages signed with the session's secret, and
sends each trainee's actions, signed, on the actions topic. The trainer's commands go straight
to the session (they work while the broker is away). Live updates reach the pages as
server-sent events (``/api/events``); the pages are plain HTML and JavaScript from
:mod:`vtsim.training` package data, no build step, and put every text in the page as text,
never as markup.

Safety: trainees log in with the session's join code and a name, and get a seat cookie
(HttpOnly, SameSite=Strict); the trainer logs in with the session's secret. The operator of an
action is the seat's, never a name in the request. Every state-changing request must come from
the console's own origin (``Origin``) as JSON; bodies above :data:`MAX_BODY` bytes are refused
(413), malformed ones get a 400 with the reason and nothing else; uvicorn bounds the open
connections (``limit_concurrency``, ``backlog``). Trainees get no answer key (expected outcome,
what a call points to, the scripted event's title) and only their own results; the trainer gets
everything and each operator's figures as they happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import queue
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from importlib import resources
from typing import Any, Final

import uvicorn
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from devices.contract.centre_actions import (
    ActionResult,
    ControlCommand,
    IncidentState,
    OperatorAction,
    SessionState,
    actions_topic,
    centre_subscription,
)
from devices.contract.signing import signed, verified
from devices.transport.base import Transport
from vtsim.training.access import Access, AccessError, Seat
from vtsim.training.debrief import incident_result, operator_results

Enqueue = Callable[[str, bytes], None]
Command = Callable[[ControlCommand], None]
STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
          "/trainer": ("trainer.html", "text/html; charset=utf-8"),
          "/console.js": ("console.js", "text/javascript; charset=utf-8"),
          "/trainer.js": ("trainer.js", "text/javascript; charset=utf-8"),
          "/common.js": ("common.js", "text/javascript; charset=utf-8"),
          "/console.css": ("console.css", "text/css; charset=utf-8")}
MAX_BODY = 16_384
"""Largest request body read, in bytes."""
MAX_HEADERS = 16_384
"""Largest request line and headers together, in bytes."""
KEEPALIVE_S = 15.0
POLL_S = 0.2
ANSWER_WAIT_S = 5.0
"""How long an action waits for the centre's answer before the console says it is unanswered."""
MAX_CONNECTIONS = 400
"""uvicorn's ``limit_concurrency``: open connections and event streams beyond it get a 503."""
BACKLOG = 1024
SEAT_COOKIE = "vtsim_seat"
TRAINER_COOKIE = "vtsim_trainer"
RESULTS_KEPT = 20
ANSWERS_KEPT = 5_000
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; media-src 'self'; connect-src 'self'; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                               "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


FOLLOWED: dict[str, type[SessionState] | type[IncidentState] | type[ActionResult]] = {
    "session": SessionState, "incidents": IncidentState, "results": ActionResult}
"""The centre's topics a console follows, by their kind level, and their models."""


class ConsoleState:
    """What the consoles show: the session, its incidents and the answers to actions.

    Only messages signed with the session's key are kept; others are counted in
    :attr:`forged`. Written by the session's loop, read by the web server's thread.
    """

    def __init__(self, tenant: str, key: bytes) -> None:
        self.tenant = tenant
        self.key = key
        self.session: dict[str, Any] | None = None
        self.incidents: dict[int, dict[str, Any]] = {}
        self.results: dict[str, list[dict[str, Any]]] = {}
        self.answers: dict[str, dict[str, Any]] = {}
        self.local_reason = ""
        self.forged = 0
        self.version = 0
        self._shared: tuple[int, list[dict[str, Any]]] = (-1, [])
        self.lock = threading.Lock()

    def follow(self, transport: Transport) -> None:
        """Subscribe to the centre's topics of the tenant."""
        transport.subscribe(centre_subscription(self.tenant), self.on_message)

    def on_message(self, topic: str, payload: bytes) -> None:
        """Keep the latest session, incident states and results; drop unsigned messages."""
        kind = topic.split("/")[4] if topic.count("/") >= 5 else ""
        model = FOLLOWED.get(kind)
        if model is None:
            return
        try:
            message = model.model_validate_json(payload)
        except ValidationError:
            self.forged += 1
            return
        if not verified(message, self.key):
            self.forged += 1
            return
        body = message.model_dump(mode="json", exclude={"sig"})
        with self.lock:
            if isinstance(message, SessionState):
                self._new_session(body)
            elif isinstance(message, IncidentState):
                self.incidents[message.incident_id] = body
            else:
                self._new_result(body)
            self.version += 1

    def _new_session(self, body: dict[str, Any]) -> None:
        if self.session and self.session.get("session_id") != body.get("session_id"):
            self.incidents.clear()
            self.results.clear()
        elif self.session and stamp(body) < stamp(self.session):
            return  # older than what the session told this console directly
        self.session = body

    def _new_result(self, body: dict[str, Any]) -> None:
        mine = self.results.setdefault(body["operator"], [])
        mine.append(body)
        del mine[:-RESULTS_KEPT]
        self.answers[body["action_id"]] = body
        while len(self.answers) > ANSWERS_KEPT:
            del self.answers[next(iter(self.answers))]

    def tell(self, session: SessionState) -> None:
        """The session's state straight from the session in this process (it works while the
        broker is away): phase, clock and why it paused itself, on every screen at once."""
        body = session.model_dump(mode="json", exclude={"sig"})
        with self.lock:
            self._new_session(body)
            self.local_reason = session.pause_reason
            self.version += 1

    def touch(self) -> None:
        """Something changed that the pages should see."""
        with self.lock:
            self.version += 1

    def answer(self, action_id: str) -> dict[str, Any] | None:
        """The centre's answer to an action, if it came."""
        with self.lock:
            return self.answers.get(action_id)

    def phase(self) -> str:
        """The session's phase as last published."""
        with self.lock:
            return str((self.session or {}).get("phase", "waiting"))

    def trainer_view(self) -> dict[str, Any]:
        """Everything, with each operator's figures so far."""
        with self.lock:
            session_id = (self.session or {}).get("session_id")
            incidents = [i for i in self.incidents.values() if i.get("session_id") == session_id]
            view = {"version": self.version, "role": "trainer", "session": self.session,
                    "incidents": incidents, "results": self.results,
                    "notice": self.local_reason}
        view["figures"] = figures(incidents, self.session)
        return view

    def trainee_view(self, name: str) -> dict[str, Any]:
        """The session and incidents without the answer key; only this trainee's results."""
        with self.lock:
            return {"version": self.version, "role": "trainee", "me": name,
                    "session": self.session, "incidents": self._trainee_incidents(),
                    "results": list(self.results.get(name, [])),
                    "notice": self.local_reason}

    def _trainee_incidents(self) -> list[dict[str, Any]]:
        """The incidents as trainees see them, made once per version for every trainee."""
        if self._shared[0] != self.version:
            session_id = (self.session or {}).get("session_id")
            self._shared = (self.version, [without_key(i) for i in self.incidents.values()
                                           if i.get("session_id") == session_id])
        return self._shared[1]


def stamp(session: dict[str, Any]) -> dt.datetime:
    """When a session state was published."""
    return dt.datetime.fromisoformat(str(session["ts"]).replace("Z", "+00:00"))


def without_key(incident: dict[str, Any]) -> dict[str, Any]:
    """An incident as a trainee may see it: no expected outcome, hint or script title."""
    hidden = {**incident, "expected_outcome": None, "title": "", "scripted": None}
    if hidden.get("call"):
        hidden["call"] = {**hidden["call"], "suggests": None}
    return hidden


def figures(incidents: list[dict[str, Any]], session: dict[str, Any] | None) \
        -> list[dict[str, Any]]:
    """Each operator's figures (as the debrief computes them) from the incidents so far."""
    states = []
    for body in incidents:
        with contextlib.suppress(ValidationError):
            states.append(IncidentState.model_validate(body))
    results = tuple(incident_result(s) for s in states)
    simulated = {o["name"] for o in (session or {}).get("operators", []) if o["simulated"]}
    return [{"name": o.name, "simulated": o.simulated, "taken": o.taken, "closed": o.closed,
             "outcomes_right": o.outcomes_right, "takes_met": o.takes_met,
             "closes_met": o.closes_met, "mean_time_to_take": o.mean_time_to_take,
             "mean_time_to_close": o.mean_time_to_close}
            for o in operator_results(states, results, simulated)]


class BadRequest(Exception):
    """A request the console cannot use: status and reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


LOOPBACK_NAMES: Final = frozenset({"127.0.0.1", "localhost", "::1"})


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without its port (``[::1]:8080`` → ``::1``)."""
    if header.startswith("["):
        return header[1:].split("]", 1)[0].lower()
    return header.rsplit(":", 1)[0].lower() if header.count(":") == 1 else header.lower()


def trusted_hosts(bound: str, extra: Sequence[str] = ()) -> frozenset[str]:
    """The names a browser may reach the console by: loopback, the address it listens on,
    and, when it listens on every interface, this machine's name and addresses; plus
    ``extra`` (``--allowed-host``). A page that reaches the console under any other name (DNS
    rebinding) is refused."""
    names = set(LOOPBACK_NAMES) | {name.lower() for name in extra}
    if bound in ("0.0.0.0", "::", ""):
        machine = socket.gethostname()
        names |= {machine.lower(), socket.getfqdn().lower()}
        with contextlib.suppress(OSError):
            names |= set(socket.gethostbyname_ex(machine)[2])
    else:
        names.add(bound.lower())
    return frozenset(names)


class OriginAndSize:
    """ASGI middleware: requests under a trusted host name only, state-changing ones from our
    own origin only, as bounded JSON."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str] = LOOPBACK_NAMES) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        size = len(scope.get("raw_path") or b"") + sum(len(k) + len(v)
                                                       for k, v in scope["headers"])
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope["headers"]}
        if size > MAX_HEADERS:
            problem: tuple[int, str] | None = (431, "for store forespørselshoder")
        elif host_name(headers.get("host", "")) not in self.hosts:
            problem = (421, "konsollen svarer ikke under dette navnet (Host); start "
                            "vtsim train med --allowed-host NAVN")
        elif scope["method"] in ("GET", "HEAD"):
            problem = None
        else:
            problem = request_problem(scope, headers)
        if problem is not None:
            status, reason = problem
            response = refuse(status, reason)
            response.headers["Connection"] = "close"  # an unread body is never read as a request
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def request_problem(scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
    """Why a state-changing request is refused, or None."""
    if scope["method"] != "POST":
        return 405, "bare GET og POST"
    host = headers.get("host", "")
    origin = headers.get("origin")
    if origin is None or origin != f"{scope.get('scheme', 'http')}://{host}":
        return 403, "forespørselen kommer ikke fra konsollens egen side (Origin)"
    if headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return 415, "send JSON (Content-Type: application/json)"
    length = headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        return 413, f"forespørselen er for stor (høyst {MAX_BODY} byte)"
    return None


def refuse(status: int, reason: str) -> Response:
    """A JSON refusal with the console's headers."""
    return JSONResponse({"error": reason}, status_code=status, headers=SECURITY_HEADERS)


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, read up to :data:`MAX_BODY` bytes."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise BadRequest(413, f"forespørselen er for stor (høyst {MAX_BODY} byte)")
    try:
        body = json.loads(data or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(400, "forespørselen er ikke gyldig JSON") from None
    if not isinstance(body, dict):
        raise BadRequest(400, "forventet et JSON-objekt")
    return body


def text_field(body: dict[str, Any], name: str, limit: int = 200) -> str:
    """A string field of a request body (empty if absent)."""
    value = body.get(name, "")
    if not isinstance(value, str) or len(value) > limit:
        raise BadRequest(400, f"{name}: forventet tekst (høyst {limit} tegn)")
    return value


def problems_of(error: ValidationError) -> str:
    """A pydantic error as one line, without the input echoed back."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())


class ConsoleServer:
    """Serves the console on ``host:port`` with uvicorn in a background thread."""

    def __init__(self, state: ConsoleState, enqueue: Enqueue, command: Command,
                 access: Access, session_id: str, host: str = "127.0.0.1", port: int = 8080,
                 scripted: list[dict[str, Any]] | None = None,
                 allowed_hosts: Sequence[str] = ()) -> None:
        self.state = state
        self.enqueue = enqueue
        self.command = command
        self.access = access
        self.session_id = session_id
        self.scripted = scripted or []
        self.stopping = threading.Event()
        self.socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((host, port))
        self.socket.listen(BACKLOG)
        self.hosts = trusted_hosts(host, allowed_hosts)
        self.app = self.build_app()
        config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, server_header=False,
            limit_concurrency=MAX_CONNECTIONS, backlog=BACKLOG, timeout_keep_alive=5,
            h11_max_incomplete_event_size=MAX_BODY, timeout_graceful_shutdown=2,
            proxy_headers=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run,
                                        kwargs={"sockets": [self.socket]}, name="console",
                                        daemon=True)

    @property
    def host(self) -> str:
        """The address actually listened on."""
        return str(self.socket.getsockname()[0])

    @property
    def port(self) -> int:
        """The port actually listened on (useful with port 0)."""
        return int(self.socket.getsockname()[1])

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; return once uvicorn accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> None:
        """End the event streams and stop serving."""
        self.stopping.set()
        self.server.should_exit = True
        self._thread.join(timeout=5.0)
        self.socket.close()

    # the application -----------------------------------------------------------------------
    def build_app(self) -> ASGIApp:
        """The Starlette application with its middleware."""
        routes = [Route(path, self.static(name, kind), methods=["GET"])
                  for path, (name, kind) in STATIC.items()]
        routes += [
            Route("/api/me", self.guarded(self.me), methods=["GET"]),
            Route("/api/state", self.guarded(self.view), methods=["GET"]),
            Route("/api/events", self.events, methods=["GET"]),
            Route("/api/login", self.guarded(self.log_in), methods=["POST"]),
            Route("/api/logout", self.guarded(self.log_out), methods=["POST"]),
            Route("/api/trainer", self.guarded(self.trainer_login), methods=["POST"]),
            Route("/api/action", self.guarded(self.act), methods=["POST"]),
            Route("/api/control", self.guarded(self.control), methods=["POST"]),
        ]
        app = Starlette(routes=routes, lifespan=self.lifespan)
        return OriginAndSize(app, self.hosts)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        """Free abandoned seats while the console runs."""
        task = asyncio.create_task(self.free_abandoned_seats())
        yield
        task.cancel()

    async def free_abandoned_seats(self) -> None:
        """Log out trainees whose tabs have been closed longer than the seat timeout."""
        while True:
            await asyncio.sleep(1.0)
            for seat in self.access.abandoned():
                self.send_action(seat.name, {"kind": "logout"})
                self.state.touch()

    def static(self, name: str, kind: str) -> Callable[[Request], Awaitable[Response]]:
        """A handler serving one file of the package."""
        data = resources.files("vtsim.training").joinpath("static", name).read_bytes()

        async def serve(_request: Request) -> Response:
            return Response(data, media_type=kind, headers=SECURITY_HEADERS)
        return serve

    def guarded(self, handler: Callable[[Request], Awaitable[Response]]) \
            -> Callable[[Request], Awaitable[Response]]:
        """A handler whose refusals become 4xx JSON answers."""
        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except (BadRequest, AccessError) as exc:
                return refuse(exc.status, exc.reason)
            except ValidationError as exc:
                return refuse(400, problems_of(exc))
        return run

    def who(self, request: Request) -> tuple[str, Seat | None]:
        """``("trainer", None)``, ``("trainee", seat)`` or ``("", None)``."""
        if self.access.is_trainer(request.cookies.get(TRAINER_COOKIE)):
            return "trainer", None
        seat = self.access.seat(request.cookies.get(SEAT_COOKIE))
        return ("trainee", seat) if seat is not None else ("", None)

    def snapshot(self, role: str, seat: Seat | None) -> dict[str, Any]:
        """The view of this viewer."""
        if role == "trainer":
            view = self.state.trainer_view()
            view["join_code"] = self.access.join_code
            view["script"] = self.scripted
            return view
        assert seat is not None
        return self.state.trainee_view(seat.name)

    async def me(self, request: Request) -> Response:
        """Who the browser is logged in as."""
        role, seat = self.who(request)
        if not role:
            raise AccessError(401, "ikke innlogget")
        return ok({"role": role, "name": seat.name if seat else "trener"})

    async def view(self, request: Request) -> Response:
        """The current state for this viewer."""
        role, seat = self.who(request)
        if not role:
            raise AccessError(401, "ikke innlogget")
        return ok(self.snapshot(role, seat))

    async def events(self, request: Request) -> Response:
        """Server-sent events: the viewer's state on every change, keep-alives between."""
        role, seat = self.who(request)
        if not role:
            return refuse(401, "ikke innlogget")
        headers = {**SECURITY_HEADERS, "X-Accel-Buffering": "no"}
        return StreamingResponse(self.stream(role, seat), media_type="text/event-stream",
                                 headers=headers)

    async def stream(self, role: str, seat: Seat | None) -> AsyncIterator[str]:
        """The event stream of one page; ends when the seat is logged out or the server stops."""
        if seat is not None:
            seat.streams += 1
        seen, quiet = -1, 0.0
        try:
            while not self.stopping.is_set():
                if seat is not None and seat.token not in self.access.seats:
                    yield "event: logout\ndata: {}\n\n"
                    return
                version = self.state.version
                if version != seen:
                    seen, quiet = version, 0.0
                    data = json.dumps(self.snapshot(role, seat), separators=(",", ":"))
                    yield f"data: {data}\n\n"
                elif quiet >= KEEPALIVE_S:
                    quiet = 0.0
                    yield ": keep-alive\n\n"
                if seat is not None:
                    seat.last_seen = time.monotonic()
                await asyncio.sleep(POLL_S)
                quiet += POLL_S
        finally:
            if seat is not None:
                seat.streams -= 1
                seat.last_seen = time.monotonic()

    async def log_in(self, request: Request) -> Response:
        """A trainee logs in with the join code and a name: a seat cookie, or why not."""
        body = await json_body(request)
        seat = self.access.log_in(text_field(body, "join_code", 32), text_field(body, "name", 64))
        answer = await self.answered(self.send_action(seat.name, {"kind": "login"}))
        if not answer.get("accepted"):
            self.access.log_out(seat.token)
            if not answer:  # the login may still arrive late (broker away): undo it then
                self.send_action(seat.name, {"kind": "logout"})
            raise AccessError(409 if answer else 504,
                              answer.get("reason") or "senteret svarer ikke")
        response = ok({"name": seat.name})
        response.set_cookie(SEAT_COOKIE, seat.token, httponly=True, samesite="strict",
                            path="/")
        self.state.touch()
        return response

    async def log_out(self, request: Request) -> Response:
        """A trainee logs out (their open incident goes back to the queue)."""
        await json_body(request)
        seat = self.access.log_out(request.cookies.get(SEAT_COOKIE, ""))
        if seat is not None:
            self.send_action(seat.name, {"kind": "logout"})
        response = ok({"logged_out": seat is not None})
        response.delete_cookie(SEAT_COOKIE, path="/", httponly=True, samesite="strict")
        response.delete_cookie(TRAINER_COOKIE, path="/", httponly=True, samesite="strict")
        self.state.touch()
        return response

    async def trainer_login(self, request: Request) -> Response:
        """The trainer logs in with the session's secret."""
        body = await json_body(request)
        token = text_field(body, "token", 128)
        if not self.access.is_trainer(token):
            raise AccessError(403, "feil trenernøkkel")
        response = ok({"role": "trainer"})
        response.set_cookie(TRAINER_COOKIE, token, httponly=True, samesite="strict", path="/")
        return response

    async def act(self, request: Request) -> Response:
        """A trainee's action, as the seat's operator; the centre's answer."""
        role, seat = self.who(request)
        if role != "trainee" or seat is None:
            raise AccessError(401, "logg inn som kursdeltaker først")
        body = await json_body(request)
        if body.get("kind") in ("login", "logout"):
            raise BadRequest(400, "logg inn og ut med /api/login og /api/logout")
        notice = self.state.local_reason
        if notice:
            raise AccessError(409, notice)
        phase = self.state.phase()
        if phase in ("paused", "stopped", "waiting"):
            raise AccessError(409, {"paused": "økten står på pause",
                                    "stopped": "økten er stoppet",
                                    "waiting": "økten har ikke startet"}[phase])
        answer = await self.answered(self.send_action(seat.name, body))
        if not answer:
            raise AccessError(504, "senteret svarte ikke i tide; prøv igjen")
        return ok(answer, 200 if answer["accepted"] else 409)

    async def control(self, request: Request) -> Response:
        """The trainer's pause, resume, speed, inject or stop."""
        role, _seat = self.who(request)
        if role != "trainer":
            raise AccessError(403, "bare treneren kan styre økten")
        body = await json_body(request)
        command = ControlCommand.model_validate(
            {k: body.get(k) for k in ("command", "speed", "script") if k in body})
        self.command(command)
        return ok({"command": command.command})

    def send_action(self, operator: str, body: dict[str, Any]) -> str:
        """Queue an action, signed, as ``operator``; its id."""
        action = OperatorAction.model_validate({
            **{k: body.get(k) for k in ("kind", "incident_id", "outcome", "text")},
            "operator": operator, "action_id": uuid.uuid4().hex, "simulated": False,
            "ts": dt.datetime.now(dt.UTC), "session_id": self.session_id,
        })
        action = signed(action, self.state.key)
        self.enqueue(actions_topic(self.state.tenant, operator),
                     action.model_dump_json().encode())
        return action.action_id

    async def answered(self, action_id: str) -> dict[str, Any]:
        """The centre's answer to an action (waits up to :data:`ANSWER_WAIT_S`), or {}."""
        deadline = time.monotonic() + ANSWER_WAIT_S
        while time.monotonic() < deadline:
            answer = self.state.answer(action_id)
            if answer is not None:
                return answer
            await asyncio.sleep(0.02)
        return {}


def ok(body: object, status: int = 200) -> Response:
    """A JSON answer with the console's headers."""
    return JSONResponse(body, status_code=status, headers=SECURITY_HEADERS)


def queue_publisher(outbox: queue.Queue[Any], make: Callable[[str, bytes], Any]) -> Enqueue:
    """An ``enqueue`` that puts messages on a session's outbox."""
    return lambda topic, payload: outbox.put(make(topic, payload))

