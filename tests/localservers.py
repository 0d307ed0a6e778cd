"""Real servers on 127.0.0.1 for the probe tests: HTTP endpoints that answer, answer slowly,
fail, hang and redirect, one whose answer a test switches, and ports nothing listens on."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Endpoints(ThreadingHTTPServer):
    """An HTTP server whose paths behave as their names say; `/switch/<name>` answers the
    status set in `switches[name]`."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.switches: dict[str, int] = {}
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.stopping = threading.Event()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: Endpoints

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.do_GET()

    def do_GET(self) -> None:
        self.server.seen.append((self.command, self.path, dict(self.headers.items())))
        path = self.path
        if path == "/ok":
            self._answer(200, b"all systems healthy")
        elif path == "/slow":
            time.sleep(0.3)
            self._answer(200, b"healthy, slowly")
        elif path == "/fail":
            self._answer(503, b"down")
        elif path == "/hang":
            self.server.stopping.wait(30)
        elif path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):
                if self.server.stopping.wait(0.1):
                    return
                self.wfile.write(b"x")
                self.wfile.flush()
        elif path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/needs-header":
            ok = self.headers.get("X-Probe-Key") == "secret-ish"
            self._answer(200 if ok else 401, b"ok" if ok else b"no key")
        elif path.startswith("/switch/"):
            code = self.server.switches.get(path.removeprefix("/switch/"), 200)
            self._answer(code, b"healthy" if code < 400 else b"broken")
        else:
            self._answer(404, b"no such endpoint")

    def _answer(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@contextmanager
def endpoints() -> Iterator[Endpoints]:
    """Run an `Endpoints` server in a thread for the duration of the block."""
    server = Endpoints()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
