"""A deadline for the calls a thread makes on one database connection.

A database server can stop answering without closing its connection: a frozen process, a
host gone from the network (a half-open TCP connection), a failover that leaves the old
connection dangling. The driver then waits for the reply forever. :class:`CallDeadline`
watches the calls from a thread of its own: a call armed longer than ``deadline_s`` is first
cancelled (the server, if it still answers, abandons the statement and releases its locks),
and, if it has not come back shortly after, its connection is severed. Either way the call
returns with the driver's error, which the caller turns into a store failure.

The calling thread pays two assignments per call (:meth:`CallDeadline.arm`,
:meth:`CallDeadline.disarm`): the watching thread polls, it is never woken.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Final

WATCH_TICK_S: Final = 0.25
"""How often the watching thread looks at the call in hand (at most; shorter deadlines are
looked at four times per deadline)."""
CANCEL_WAIT_S: Final = 1.0
"""Once a call is overdue, how long the cancel request and the call's coming back may take
together before its connection is severed."""


class CallDeadline:
    """Abandons a call on one connection that has not come back within ``deadline_s``.

    ``cancel(timeout_s)`` asks the server to abandon the statement (it may raise, or do
    nothing); ``sever()`` breaks the connection so that a call blocked on it returns at once.
    Both run in the watching thread; ``release()`` (if given) runs once, on :meth:`close`,
    never while ``sever()`` does. :attr:`fired` tells, afterwards, that the connection's errors
    come from an abandoned call.
    """

    def __init__(self, deadline_s: float, cancel: Callable[[float], None],
                 sever: Callable[[], None], release: Callable[[], None] | None = None,
                 name: str = "store-deadline") -> None:
        """Watch from now on, until :meth:`close`."""
        if deadline_s <= 0:
            raise ValueError(f"a call deadline must be positive, not {deadline_s!r} s")
        self.deadline_s = deadline_s
        self.fired = False
        self._cancel = cancel
        self._sever = sever
        self._release = release
        self._started: float | None = None
        self._closed = threading.Event()
        self._severing = threading.Lock()
        self._tick_s = min(WATCH_TICK_S, deadline_s / 4)
        self._thread = threading.Thread(target=self._watch, name=name, daemon=True)
        self._thread.start()

    def arm(self) -> None:
        """A call begins (cheap: one clock read, one assignment)."""
        self._started = time.monotonic()

    def disarm(self) -> None:
        """The call came back."""
        self._started = None

    def close(self) -> None:
        """Stop watching and release what ``sever`` acts on (the thread ends within a tick,
        or once an abandon in hand is done)."""
        with self._severing:
            if self._closed.is_set():
                return
            self._closed.set()
            if self._release is not None:
                self._release()

    def _watch(self) -> None:
        """Look at the call in hand every tick; abandon it once it is overdue."""
        while not self._closed.wait(self._tick_s):
            started = self._started
            if started is not None and time.monotonic() - started >= self.deadline_s:
                self._abandon(started)

    def _abandon(self, started: float) -> None:
        """Cancel the overdue call; sever its connection unless it comes back soon after;
        then wait for it to return before watching the next one."""
        self.fired = True
        until = time.monotonic() + CANCEL_WAIT_S
        with suppress(Exception):  # a cancel that fails or times out: severing follows
            self._cancel(CANCEL_WAIT_S)
        if not self._returned(started, until - time.monotonic()):
            with self._severing, suppress(Exception):
                if not self._closed.is_set():
                    self._sever()
        while not self._returned(started, 1.0) and not self._closed.is_set():
            pass

    def _returned(self, started: float, wait_s: float) -> bool:
        """Whether the call begun at ``started`` has come back, waiting up to ``wait_s``."""
        until = time.monotonic() + wait_s
        while self._started == started:
            if time.monotonic() >= until or self._closed.wait(0.02):
                return False
        return True


class SocketLine:
    """A duplicate of a connection's socket, held for the connection's life: shutting it down
    breaks the connection for its driver too (a call blocked on it returns at once), and since
    it is held until :meth:`close`, its number never names another file meanwhile."""

    def __init__(self, fileno: int) -> None:
        """Duplicate the socket behind ``fileno``."""
        self._socket = socket.socket(fileno=os.dup(fileno))

    def sever(self) -> None:
        """Shut the connection down both ways."""
        self._socket.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Let go of the duplicate (the connection itself is closed by its driver)."""
        self._socket.close()
