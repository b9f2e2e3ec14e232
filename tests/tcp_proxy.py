"""A TCP proxy the tests control: forwards to a server (a broker, PostgreSQL) until told not to.

A cut closes every forwarded connection and refuses new ones (accepted and closed at once)
until :meth:`TcpProxy.restore`: to the clients behind it, the network is down.

A freeze (:meth:`TcpProxy.freeze`) stops copying bytes both ways and keeps every socket open;
new connections are accepted but forwarded only once :meth:`TcpProxy.thaw` is called, and then
everything held is delivered: to the clients behind it, the server is frozen (as with SIGSTOP:
the kernel takes the bytes, nothing answers; a close is seen by the other side only after the
thaw).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Final

from tests.brokers import HOST

CHUNK: Final = 65_536


class TcpProxy:
    """Forward ``127.0.0.1:port`` to ``target``; cut and restore on demand."""

    def __init__(self, target: tuple[str, int]) -> None:
        """Listen on a free port of 127.0.0.1 (see :attr:`port`); forward from now on."""
        self.target = target
        self._server = socket.create_server((HOST, 0))
        self.port: int = self._server.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._refusing = False
        self._closed = False
        self._thawed = threading.Event()
        self._thawed.set()
        self.refused = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        """Stop copying bytes (both ways, every connection, new ones too); keep sockets open."""
        self._thawed.clear()

    def thaw(self) -> None:
        """Copy again: what was held goes through first."""
        self._thawed.set()

    def cut(self) -> None:
        """Close every forwarded connection and refuse new ones."""
        with self._lock:
            self._refusing = True
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            close(sock)

    def restore(self) -> None:
        """Forward new connections again."""
        with self._lock:
            self._refusing = False

    def close(self) -> None:
        """Stop listening and close everything."""
        self._closed = True
        self.cut()
        self.thaw()  # the held copies end on the closed sockets
        close(self._server)

    def _accept(self) -> None:
        """Accept clients; forward each one (or close it at once while cut)."""
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                refusing = self._refusing
            if refusing:
                self.refused += 1
                close(client)
                continue
            self._forward(client)

    def _forward(self, client: socket.socket) -> None:
        """Connect to the target (once thawed) and copy bytes both ways in two threads."""
        with self._lock:
            self._open.add(client)
        threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        """Wait for a thaw, connect to the target, copy both ways."""
        self._thawed.wait()
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            close(client)
            return
        upstream.settimeout(None)
        with self._lock:
            self._open.add(upstream)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=copy, args=(source, sink, self._thawed),
                             daemon=True).start()


def copy(source: socket.socket, sink: socket.socket, thawed: threading.Event) -> None:
    """Copy bytes until either side closes; then close both. While ``thawed`` is clear, what
    comes (bytes or the end) is held until it is set."""
    try:
        while True:
            thawed.wait()
            chunk = source.recv(CHUNK)
            thawed.wait()
            if not chunk:
                break
            sink.sendall(chunk)
    except OSError:
        thawed.wait()
    finally:
        close(source)
        close(sink)


def close(sock: socket.socket) -> None:
    """Shut a socket down both ways and close it, ignoring errors (it may be gone already)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
