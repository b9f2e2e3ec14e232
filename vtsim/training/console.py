"""The operator console: a web page for trainees, served with the standard library.

The console is an MQTT client like any operator console: it follows the centre's topics
(session, incidents, results) and sends each trainee's actions on the actions topic. The web
side is :class:`http.server.ThreadingHTTPServer` with server-sent events (``/api/events``) for
live updates; the page is plain HTML and JavaScript from :mod:`vtsim.training` package data, no
build step. Request threads never publish themselves: they queue messages for the session loop.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
import uuid
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from pydantic import ValidationError

from devices.contract.centre_actions import (
    ControlCommand,
    OperatorAction,
    actions_topic,
    centre_subscription,
    control_topic,
)
from devices.transport.base import Transport

Enqueue = Callable[[str, bytes], None]
STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
          "/console.js": ("console.js", "text/javascript; charset=utf-8"),
          "/console.css": ("console.css", "text/css; charset=utf-8")}
MAX_BODY = 16_384
KEEPALIVE_S = 15.0


class ConsoleState:
    """What the consoles show: the session, its incidents and the answers to actions."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.session: dict[str, Any] | None = None
        self.incidents: dict[int, dict[str, Any]] = {}
        self.results: dict[str, list[dict[str, Any]]] = {}
        self.version = 0
        self.changed = threading.Condition()

    def follow(self, transport: Transport) -> None:
        """Subscribe to the centre's topics of the tenant."""
        transport.subscribe(centre_subscription(self.tenant), self.on_message)

    def on_message(self, topic: str, payload: bytes) -> None:
        """Keep the latest session, incident states and results (bad payloads are skipped)."""
        kind = topic.split("/")[4] if topic.count("/") >= 5 else ""
        try:
            body = json.loads(payload)
        except ValueError:
            return
        if not isinstance(body, dict):
            return
        with self.changed:
            if kind == "session":
                self._new_session(body)
            elif kind == "incidents" and isinstance(body.get("incident_id"), int):
                self.incidents[body["incident_id"]] = body
            elif kind == "results" and isinstance(body.get("operator"), str):
                self.results.setdefault(body["operator"], []).append(body)
                del self.results[body["operator"]][:-20]
            else:
                return
            self.version += 1
            self.changed.notify_all()

    def _new_session(self, body: dict[str, Any]) -> None:
        if self.session and self.session.get("session_id") != body.get("session_id"):
            self.incidents.clear()
            self.results.clear()
        self.session = body

    def snapshot(self) -> dict[str, Any]:
        """The state for the page: incidents of the current session only."""
        with self.changed:
            session_id = (self.session or {}).get("session_id")
            incidents = [i for i in self.incidents.values() if i.get("session_id") == session_id]
            return {"version": self.version, "session": self.session, "incidents": incidents,
                    "results": self.results}

    def wait_for_change(self, seen: int, timeout: float) -> int:
        """Block until the version passes ``seen`` (or timeout); the current version."""
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen, timeout)
            return self.version


class ConsoleServer:
    """Serves the console page and its API on ``host:port`` in background threads."""

    def __init__(self, state: ConsoleState, enqueue: Enqueue, host: str = "127.0.0.1",
                 port: int = 8080) -> None:
        self.state = state
        self.enqueue = enqueue
        handler = type("Handler", (ConsoleHandler,), {"console": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="console",
                                        daemon=True)

    @property
    def host(self) -> str:
        """The address actually listened on."""
        return str(self.httpd.server_address[0])

    @property
    def port(self) -> int:
        """The port actually listened on (useful with port 0)."""
        return int(self.httpd.server_address[1])

    def start(self) -> None:
        """Start serving."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and end the event streams."""
        self.stopping.set()
        with self.state.changed:
            self.state.version += 1
            self.state.changed.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    def send_action(self, body: dict[str, Any]) -> dict[str, Any]:
        """Queue a trainee's action for the actions topic; the action as sent."""
        action = OperatorAction.model_validate({
            **{k: body.get(k) for k in ("operator", "kind", "incident_id", "outcome", "text")},
            "action_id": uuid.uuid4().hex, "simulated": False, "ts": dt.datetime.now(dt.UTC),
        })
        self.enqueue(actions_topic(self.state.tenant, action.operator),
                     action.model_dump_json().encode())
        return {"action_id": action.action_id}

    def send_control(self, body: dict[str, Any]) -> dict[str, Any]:
        """Queue a control command (pause, resume, speed, stop) for the control topic."""
        command = ControlCommand.model_validate(
            {k: body.get(k) for k in ("command", "speed") if k in body})
        self.enqueue(control_topic(self.state.tenant, "console"),
                     command.model_dump_json().encode())
        return {"command": command.command}


class ConsoleHandler(BaseHTTPRequestHandler):
    """Static files, ``/api/state``, ``/api/events`` (SSE), ``/api/action``, ``/api/control``."""

    console: ConsoleServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests are not logged to the trainer's terminal."""

    def do_GET(self) -> None:
        """Serve a page, the state, or the event stream."""
        path = self.path.split("?")[0]
        if path in STATIC:
            name, content_type = STATIC[path]
            data = resources.files("vtsim.training").joinpath("static", name).read_bytes()
            self._send(HTTPStatus.OK, data, content_type)
        elif path == "/api/state":
            self._send_json(HTTPStatus.OK, self.console.state.snapshot())
        elif path == "/api/events":
            self._stream_events()
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {path}"})

    def do_POST(self) -> None:
        """Accept an action or a control command as JSON."""
        routes = {"/api/action": self.console.send_action,
                  "/api/control": self.console.send_control}
        route = routes.get(self.path)
        if route is None:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": f"no such endpoint: {self.path}"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send_json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "body too large"})
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object")
            self._send_json(HTTPStatus.OK, route(body))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                 for e in exc.errors())
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": problems})
        except ValueError as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})

    def _stream_events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        state, seen = self.console.state, -1
        try:
            while not self.console.stopping.is_set():
                version = state.wait_for_change(seen, KEEPALIVE_S)
                if version == seen:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    seen = version
                    data = json.dumps(state.snapshot(), separators=(",", ":"))
                    self.wfile.write(f"data: {data}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return
        self.close_connection = True

    def _send_json(self, status: HTTPStatus, body: object) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: HTTPStatus, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)


def queue_publisher(outbox: queue.Queue[Any], make: Callable[[str, bytes], Any]) -> Enqueue:
    """An ``enqueue`` that puts messages on a session's outbox."""
    return lambda topic, payload: outbox.put(make(topic, payload))
