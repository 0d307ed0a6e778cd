"""`statuspage probe`: check every component that has a `probe`, all at once, and append one
row per component to its data file.

Each check runs in a thread of its own, bounded by its timeout: a socket timeout bounds every
wait on the network, and a check still running when its time is up is counted as timed out
(its thread is left to end on its own and can't keep the process alive).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from ..read.config import SiteConfig
from . import csvrows
from .settings import HttpCheck, TcpCheck

COLUMNS = ("time", "count", "errors", "latency_ms")
MAX_BODY = 1024 * 1024
"""How much of an answer's body `contains` looks through."""
_GRACE = 0.5


@dataclass(frozen=True)
class Result:
    """What one check found."""

    component: str
    ok: bool
    latency_ms: float | None
    """Time to the whole answer (or the accepted connection); None when nothing answered."""
    detail: str
    """What happened, for people: '200 OK', 'connection refused', 'timed out after 5s'."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def run_all(checks: tuple[tuple[str, HttpCheck | TcpCheck], ...]) -> list[Result]:
    """Return the results of all checks, run at the same time, in the order given; a check
    that has not ended by its timeout is a failure ('timed out')."""
    found: dict[str, Result] = {}

    def one(component: str, check: HttpCheck | TcpCheck) -> None:
        found[component] = _guarded(component, check)

    started = time.perf_counter()
    threads = [threading.Thread(target=one, args=pair, daemon=True, name=f"probe-{pair[0]}")
               for pair in checks]
    for thread in threads:
        thread.start()
    for (_component, check), thread in zip(checks, threads, strict=True):
        thread.join(max(0.0, started + check.timeout + _GRACE - time.perf_counter()))
    return [found.get(component) or Result(component, False, None,
                                           f"timed out after {check.timeout:g}s")
            for component, check in checks]


def _guarded(component: str, check: HttpCheck | TcpCheck) -> Result:
    try:
        if isinstance(check, TcpCheck):
            return _tcp(component, check)
        return _http(component, check)
    except Exception as exc:  # a check that breaks is a failed check, not a crash
        return Result(component, False, None, f"{type(exc).__name__}: {exc}")


def _tcp(component: str, check: TcpCheck) -> Result:
    started = time.perf_counter()
    try:
        with socket.create_connection((check.host, check.port), timeout=check.timeout):
            elapsed = (time.perf_counter() - started) * 1000
    except OSError as exc:
        return Result(component, False, None, _network_error(exc, check.timeout))
    return Result(component, True, elapsed, f"connected to {check.host}:{check.port}")


def _http(component: str, check: HttpCheck) -> Result:
    handlers: list[urllib.request.BaseHandler] = [] if check.follow_redirects else [
        _NoRedirects()]
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(check.url, method=check.method,
                                     headers={"User-Agent": "statuspage-probe",
                                              **dict(check.headers)})
    started = time.perf_counter()
    deadline = started + check.timeout
    try:
        response = opener.open(request, timeout=check.timeout)
    except urllib.error.HTTPError as answer:
        response = answer
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return Result(component, False, None, _network_error(reason, check.timeout))
    try:
        code = response.status if response.status is not None else 0
        body = _read(response, deadline, check.contains is not None)
    except (OSError, http.client.HTTPException) as exc:
        return Result(component, False, None, _network_error(exc, check.timeout))
    finally:
        response.close()
    elapsed = (time.perf_counter() - started) * 1000
    status = f"{code} {response.reason or ''}".strip()
    if not check.accepts(code):
        return Result(component, False, elapsed, f"{status} (expected {_expected(check)})")
    if check.contains is not None and check.contains.encode() not in body:
        return Result(component, False, elapsed, f"{status} without '{check.contains}'")
    return Result(component, True, elapsed, status)


def _read(response: http.client.HTTPResponse | urllib.error.HTTPError, deadline: float,
          keep: bool) -> bytes:
    """Return the body (up to MAX_BODY when it is looked at), raising TimeoutError if it
    trickles in past the deadline."""
    kept = bytearray()
    while True:
        if time.perf_counter() > deadline:
            raise TimeoutError("timed out")
        chunk = response.read(65536)
        if not chunk:
            return bytes(kept)
        if keep and len(kept) < MAX_BODY:
            kept += chunk[: MAX_BODY - len(kept)]


def _network_error(exc: object, timeout: float) -> str:
    if isinstance(exc, TimeoutError | socket.timeout) or "timed out" in str(exc):
        return f"timed out after {timeout:g}s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, socket.gaierror):
        return f"name not found ({exc.strerror})"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not accepted ({exc.verify_message})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def _expected(check: HttpCheck) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in check.expect)


def row_of(result: Result, at: datetime) -> dict[str, str]:
    """Return the data row of a result: one check, failed or not, and its latency."""
    latency = "" if result.latency_ms is None else f"{result.latency_ms:.1f}"
    return {"time": csvrows.stamp(at), "count": "1", "errors": "0" if result.ok else "1",
            "latency_ms": latency}


def record(config: SiteConfig, result: Result, at: datetime) -> None:
    """Append the result's row to its component's file for the month of `at`."""
    path = csvrows.month_file(csvrows.folder_of(config.root, result.component), at)
    csvrows.append(path, COLUMNS, [row_of(result, at)], config.shown(path))


def line_of(result: Result) -> str:
    """Return the line `probe` prints for a result."""
    latency = "" if result.latency_ms is None else f" in {result.latency_ms:.0f} ms"
    return f"{result.component}: {'ok' if result.ok else 'FAILED'}: {result.detail}{latency}"
