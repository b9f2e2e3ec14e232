"""A TCP proxy the tests control: forwards to a broker until :meth:`TcpProxy.cut` is called.

A cut closes every forwarded connection and refuses new ones (accepted and closed at once)
until :meth:`TcpProxy.restore`: to the clients behind it, the network is down.
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
        self.refused = 0
        threading.Thread(target=self._accept, daemon=True).start()

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
        """Connect to the target and copy bytes both ways in two threads."""
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            close(client)
            return
        upstream.settimeout(None)
        with self._lock:
            self._open.update((client, upstream))
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=copy, args=(source, sink), daemon=True).start()


def copy(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes until either side closes; then close both."""
    try:
        while chunk := source.recv(CHUNK):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        close(source)
        close(sink)


def close(sock: socket.socket) -> None:
    """Shut a socket down both ways and close it, ignoring errors (it may be gone already)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
