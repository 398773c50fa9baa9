"""A TCP proxy on loopback that can be frozen: it stops passing bytes either way but closes nothing, the way a
network partition looks to both ends (a database that stops answering without closing the connection)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field


@dataclass
class Proxy:
    """``port`` to connect to instead of the target's; ``freeze()`` and ``thaw()`` the traffic."""

    port: int
    flowing: threading.Event = field(default_factory=threading.Event)

    def freeze(self) -> None:
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()


@contextmanager
def tcp_proxy(target_host: str, target_port: int) -> Iterator[Proxy]:
    """Forward 127.0.0.1:<proxy.port> to the target until the block ends, then close every connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    proxy = Proxy(listener.getsockname()[1])
    proxy.thaw()
    stop = threading.Event()
    sockets: list[socket.socket] = []

    def pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while not stop.is_set():
                proxy.flowing.wait()
                data = source.recv(65536)
                if not data:
                    break
                while not proxy.flowing.is_set() and not stop.is_set():  # frozen with bytes in hand: hold them
                    proxy.flowing.wait(0.1)
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection((target_host, target_port))
            sockets.extend([client, upstream])
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pump, args=(a, b), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        stop.set()
        proxy.thaw()
        thread.join()
        listener.close()
        for s in sockets:
            with suppress(OSError):
                s.close()
