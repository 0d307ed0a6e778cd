"""Real receivers on 127.0.0.1 for notify's tests: an HTTP server that records each request
and answers per path (ok, fail first with 500, 400, never answer), and an SMTP server
(aiosmtpd) the messages are read back from."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HANG_LIMIT = 15.0
"""The longest a 'never answers' path holds a request (tests use much shorter timeouts)."""


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Records every request. Paths: /ok... -> 200, /teams... -> 202, /flaky... -> 500 on its
    first request then 200, /bad... -> 400, /hang... -> no answer until stopped."""

    url: str
    requests: list[Received] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


@contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver("")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                receiver.requests.append(Received(self.path, dict(self.headers), body))
                seen = len(receiver.to(self.path))
            if self.path.startswith("/hang"):
                receiver.stopping.wait(HANG_LIMIT)
                return
            if self.path.startswith("/bad"):
                code = 400
            elif self.path.startswith("/flaky") and seen == 1:
                code = 500
            else:
                code = 202 if self.path.startswith("/teams") else 200
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.stopping.set()
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def wait_for(self, count: int, limit: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + limit
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


@contextmanager
def smtp_receiver(user: str | None = None, password: str | None = None,
                  certificate: tuple[Path, Path] | None = None,
                  implicit_tls: bool = False) -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1: with `user`, it asks for a login; with `certificate`
    (cert, key), it offers STARTTLS (and requires it) or, with `implicit_tls`, speaks TLS
    from the start."""
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    box = Mailbox(closed_port())

    class Handler:
        async def handle_DATA(self, _server: object, _session: object,
                              envelope: Any) -> str:
            parsed = message_from_bytes(envelope.content, policy=default)
            assert isinstance(parsed, EmailMessage)
            box.messages.append(parsed)
            return "250 OK"

    def authenticate(_server: object, _session: object, _envelope: object, _mechanism: str,
                     data: object) -> AuthResult:
        if isinstance(data, LoginPassword):
            given = (data.login.decode(), data.password.decode())
            box.logins.append(given)
            return AuthResult(success=given == (user, password), handled=False)
        return AuthResult(success=False, handled=False)

    options: dict[str, Any] = {}
    if user is not None:
        # (aiosmtpd cannot tell that a connection it accepted over TLS is secure: only
        # STARTTLS is required before a login.)
        options.update(authenticator=authenticate, auth_required=True,
                       auth_require_tls=certificate is not None and not implicit_tls)
    context = None
    if certificate is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(certificate[0]), str(certificate[1]))
        if implicit_tls:
            options["ssl_context"] = context
        else:
            options.update(tls_context=context, require_starttls=True)
    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port, **options)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def self_signed(folder: Path) -> tuple[Path, Path] | None:
    """Return a certificate for 127.0.0.1 and its key, made with the openssl command (None
    where there is no openssl)."""
    if shutil.which("openssl") is None:
        return None
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True,
                   timeout=60)
    return cert, key
