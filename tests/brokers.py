"""Real MQTT brokers for the tests, each on a free port of 127.0.0.1.

:class:`MosquittoBroker` runs Debian's ``mosquitto`` with a configuration written for the test
(a deliberate queue limit; persistence when a test asks for it). :class:`AmqttBroker` runs the
embedded broker through ``vtsim broker``, as a vendor would. Both are ready only once an MQTT
client has connected (never after a fixed sleep), and stop reliably: terminate, then kill.
"""

from __future__ import annotations

import getpass
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Final

from devices.transport.mqtt import BrokerAddress, BrokerUnavailable, MqttTransport

HOST: Final = "127.0.0.1"
READY_TIMEOUT_S: Final = 20.0
STOP_TIMEOUT_S: Final = 5.0
PORT_ATTEMPTS: Final = 3
MAX_QUEUED_MESSAGES: Final = 200_000
"""Mosquitto's default (1000) drops QoS 1 messages to a slow subscriber; the tests do not."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def mosquitto_config(port: int, max_queued: int = MAX_QUEUED_MESSAGES, extra: str = "",
                     persistence: Path | None = None, listener: str = "") -> str:
    """A Mosquitto configuration for one test listener (``extra`` lines: passwords, ACL).

    With a ``persistence`` folder, Mosquitto saves its sessions and queued messages there
    every second (as docs/mosquitto/vtsim.conf, but more often) and on exit, and loads them when
    it starts again. ``listener`` adds lines to the listener (TLS files). Like the shipped
    configuration, it sends without Nagle's delay (``set_tcp_nodelay``).
    """
    keep = (["persistence true", f"persistence_location {persistence}/",
             "autosave_interval 1"]
            if persistence is not None else ["persistence false"])
    return "\n".join([
        f"listener {port} {HOST}",
        listener,
        "allow_anonymous false" if "password_file" in extra else "allow_anonymous true",
        extra,
        f"user {getpass.getuser()}",  # as root, Mosquitto would switch to an unprivileged user
        *keep,
        f"max_queued_messages {max_queued}",
        "max_inflight_messages 1000",
        "set_tcp_nodelay true",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "",
    ])


class PortTaken(RuntimeError):
    """The free port was taken by another process before the broker could bind it."""


class RunningBroker:
    """A broker process on a free port; :meth:`stop` ends it."""

    name = "broker"

    def __init__(self, command: Callable[[int], list[str]], port: int | None, log: Path,
                 login: tuple[str, str] | None = None) -> None:
        """Start ``command(port)`` and wait until an MQTT client (with ``login``) can connect.

        Without a given port, a free one is chosen, and another if it is taken meanwhile.
        """
        self.login = login
        self.log = log
        for attempt in range(PORT_ATTEMPTS):
            try:
                self.startup_s = self.start(command, port or free_port())
                return
            except PortTaken:
                if port is not None or attempt == PORT_ATTEMPTS - 1:
                    raise

    def start(self, command: Callable[[int], list[str]], port: int) -> float:
        """Start the process on ``port``; the seconds until it accepted a client."""
        self.address = BrokerAddress(HOST, port)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command(port), stdout=out,
                                            stderr=subprocess.STDOUT)
        try:
            return self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def wait_ready(self) -> float:
        """Connect until the broker answers; the seconds it took."""
        started = time.perf_counter()
        deadline = started + READY_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                if "in use" in self.log.read_text(errors="replace"):
                    raise PortTaken(f"port {self.address.port} was taken")
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: "
                                   f"{self.log.read_text(errors='replace')[-2000:]}")
            if try_connect(self.probe_address(), self.login):
                return time.perf_counter() - started
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{self.name} on {self.address} not ready within "
                                   f"{READY_TIMEOUT_S} s: {self.log.read_text(errors='replace')}")
            time.sleep(0.01)

    def probe_address(self) -> BrokerAddress:
        """Where the readiness probe connects (with TLS files when the broker needs them)."""
        probe: BrokerAddress | None = getattr(self, "probe", None)
        if probe is None:
            return self.address
        return replace(probe, host=self.address.host, port=self.address.port)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send ``sig``, wait, kill if needed; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT_S)
        return self.process.returncode


def try_connect(address: BrokerAddress, login: tuple[str, str] | None = None) -> bool:
    """Whether an MQTT 3.1.1 client (with ``login``) can connect to ``address`` right now."""
    if login is not None:
        address = replace(address, username=login[0], password=login[1])
    probe = MqttTransport(address, f"probe-{time.time_ns()}", protocol=3, fallback=False)
    try:
        probe.connect(timeout=2.0)
    except BrokerUnavailable:
        return False
    probe.close()
    return True


class MosquittoBroker(RunningBroker):
    """Debian's Mosquitto with a test configuration."""

    name = "mosquitto"

    def __init__(self, folder: Path, max_queued: int = MAX_QUEUED_MESSAGES,
                 port: int | None = None, extra: str = "",
                 login: tuple[str, str] | None = None, persistent: bool = False,
                 listener: str = "", probe: BrokerAddress | None = None) -> None:
        """Write the configuration into ``folder``; start Mosquitto on ``port`` (or a free one).

        ``extra`` adds configuration lines; ``login`` is the account the readiness probe uses.
        ``persistent`` keeps sessions and queued messages in ``folder`` across restarts.
        ``listener`` adds lines to the listener; ``probe`` is how the readiness probe connects
        (TLS files), with the port filled in.
        """
        self.probe = probe
        binary = mosquitto_binary()
        if binary is None:
            raise FileNotFoundError("mosquitto is not installed (apt-get install mosquitto)")
        config = folder / "mosquitto.conf"

        def command(port: int) -> list[str]:
            config.write_text(mosquitto_config(port, max_queued, extra,
                                               folder if persistent else None, listener),
                              encoding="utf-8")
            return [binary, "-c", str(config)]

        super().__init__(command, port, folder / "mosquitto.log", login)


class AmqttBroker(RunningBroker):
    """The embedded broker, started as ``vtsim broker`` would be."""

    name = "amqtt"

    def __init__(self, folder: Path) -> None:
        """Start ``python -m vtsim broker`` on a free port."""

        def command(port: int) -> list[str]:
            return [sys.executable, "-m", "vtsim", "broker", "--host", HOST, "--port", str(port)]

        super().__init__(command, None, folder / "amqtt.log")


def mosquitto_binary() -> str | None:
    """Path of the ``mosquitto`` binary (Debian puts it in /usr/sbin), or None."""
    return shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")


def pump(transports: list[MqttTransport], seconds: float) -> None:
    """Deliver messages on every transport for a while."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for transport in transports:
            transport.drain(timeout=0.01)


def write_password_file(path: Path, accounts: dict[str, str]) -> Path:
    """A Mosquitto password file of ``accounts`` (user: password), written by
    ``mosquitto_passwd``."""
    for user, password in accounts.items():
        create = ["-c"] if not path.exists() else []
        subprocess.run(["mosquitto_passwd", *create, "-b", str(path), user, password],
                       check=True, timeout=30)
    return path
