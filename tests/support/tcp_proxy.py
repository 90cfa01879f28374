"""A TCP proxy the tests can cut: makes a real PostgreSQL unreachable for a while without touching it."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from psycopg.conninfo import conninfo_to_dict


class CuttableProxy:
    def __init__(self, upstream: tuple[str, int] | str) -> None:
        self.upstream = upstream
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._cut = False
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _connect_upstream(self) -> socket.socket:
        if isinstance(self.upstream, str):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect(self.upstream)
        return s

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._cut:
                client.close()
                continue
            try:
                server = self._connect_upstream()
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._cut:  # cut while we were connecting
                    client.close()
                    server.close()
                    continue
                self._open.update((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
                with self._lock:
                    self._open.discard(s)

    def cut(self) -> None:
        """Drop every connection and refuse new ones, like a network partition."""
        self._cut = True
        with self._lock:
            sockets = list(self._open)
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self._cut = False

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """Wait until every connection has ended by itself (its client closed it and the rest was forwarded).

        Closing the proxy while a client's last bytes (an MQTT DISCONNECT) are still in flight would cut them off,
        and the broker would take the clean goodbye for a lost connection and publish the will."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if not self._open:
                    return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._listener.close()


def postgres_behind_proxy(url: str) -> tuple[CuttableProxy, str]:
    """A proxy in front of the PostgreSQL at `url` (TCP or Unix socket) and the URL that reaches it through it."""
    info = conninfo_to_dict(url)
    host = str(info.get("host") or "")
    port = info.get("port") or 5432
    upstream: tuple[str, int] | str = f"{host}/.s.PGSQL.{port}" if host.startswith("/") else (host, int(port))
    proxy = CuttableProxy(upstream)
    return proxy, f"postgresql://{info.get('user') or 'postgres'}@127.0.0.1:{proxy.port}/{info['dbname']}"
