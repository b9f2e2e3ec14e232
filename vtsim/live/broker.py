"""``vtsim broker``: an embedded MQTT broker (amqtt) for vendors who have none installed.

amqtt is pure Python and comes with ``pip install``. It speaks MQTT 3.1.1 only (vtsim's clients
fall back to it by themselves). By default it would listen on every interface with logging
and ``$SYS`` plugins; here it listens on the given host only, with anonymous access and no
other plugin. amqtt's own script stops cleanly on SIGINT only; this one stops on both SIGINT
and SIGTERM. For load, TLS and access control use Mosquitto (see docs/vendors.md).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from sim.errors import VtsimError

ANONYMOUS_PLUGIN: Final = "amqtt.plugins.authentication.AnonymousAuthPlugin"
STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)


class BrokerStartError(VtsimError):
    """The embedded broker could not start (for example, the port is taken)."""


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    """Where the embedded broker listens and whom it lets in."""

    host: str = "127.0.0.1"
    port: int = 1883
    allow_anonymous: bool = True

    @property
    def url(self) -> str:
        """The address clients connect to."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"mqtt://{host}:{self.port}"


def broker_config(settings: BrokerSettings) -> dict[str, Any]:
    """amqtt's configuration: one TCP listener on ``host:port``, anonymous access, no $SYS."""
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{settings.host}:{settings.port}"}},
        "plugins": {ANONYMOUS_PLUGIN: {"allow_anonymous": settings.allow_anonymous}},
    }


def quiet_broker_logs() -> None:
    """Let amqtt report warnings and errors only (it logs every packet at debug level)."""
    logging.getLogger("amqtt").setLevel(logging.WARNING)
    logging.getLogger("transitions").setLevel(logging.WARNING)


STARTUP_LOGGER: Final = "amqtt.broker"
"""amqtt logs a failed start with its traceback here; :func:`serve` says it in one line."""


@contextmanager
def muted(name: str) -> Iterator[None]:
    """Silence the logger ``name`` inside the block (its level restored after)."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


async def serve(
    settings: BrokerSettings, on_ready: Callable[[float], None], stop: asyncio.Event
) -> None:
    """Run the broker until ``stop`` is set; ``on_ready`` gets the start-up time in seconds."""
    from amqtt.broker import Broker
    from amqtt.errors import BrokerError

    started = time.perf_counter()
    broker = Broker(broker_config(settings))
    try:
        with muted(STARTUP_LOGGER):
            await broker.start()
    except BrokerError as error:
        raise BrokerStartError(
            f"cannot start the broker on {settings.url}: {error.__cause__ or error}. "
            "Is another broker using the port? Choose one with --port."
        ) from None
    on_ready(time.perf_counter() - started)
    try:
        await stop.wait()
    finally:
        await broker.shutdown()


def run_broker(settings: BrokerSettings, on_ready: Callable[[float], None]) -> None:
    """Run the broker in this thread until SIGINT or SIGTERM, then shut it down cleanly."""
    quiet_broker_logs()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, stop.set)
        try:
            await serve(settings, on_ready, stop)
        finally:
            for signum in STOP_SIGNALS:
                loop.remove_signal_handler(signum)

    asyncio.run(main())
