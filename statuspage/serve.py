"""`statuspage serve`: build, serve, watch, rebuild once per burst of changes, reload pages.

The builder is injected, so tests drive the server with a stand-in; the last good build keeps
being served while a broken file is fixed, with the problems shown on every page. The real
builds run in a process of their own (`BuildProcess`): this one serves and watches from
threads, and a build may fork processes, which a process with threads must not.
"""

from __future__ import annotations

import contextlib
import html
import http.server
import multiprocessing
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

WAIT_PATH = "/__statuspage/wait"
_NOWHERE = "/nonexistent/statuspage-serve"
_SCRIPT = (
    "<script>(function(){{var v={version};"
    "function p(){{fetch('{path}?v='+v)"
    ".then(function(r){{return r.text()}}).then(function(t){{if(+t!==v){{location.reload()}}"
    "else{{p()}}}}).catch(function(){{setTimeout(p,1000)}})}}p()}})();</script>"
)
_BANNER = (
    '<div role="alert" style="position:fixed;left:0;right:0;bottom:0;z-index:99;'
    "max-height:45vh;overflow:auto;background:#fff0f0;color:#5c0000;border-top:3px solid "
    '#cf222e;padding:.75rem 1rem;font:14px/1.4 ui-monospace,monospace;white-space:pre-wrap">'
    "<strong>The last change did not build; this page is from the last good build, if any."
    "</strong>\n{}</div>"
)


@dataclass
class Outcome:
    """What one build did: the folder to serve (None if it failed) and problem lines."""

    site: Path | None
    problems: list[str] = field(default_factory=list)


class BuildProcess:
    """Builds in a process of its own, started afresh rather than forked: `work(connection,
    *args)` runs there and answers each request sent through `connection` with an Outcome.
    Calling this object asks for one build and waits for it."""

    def __init__(self, work: Callable[..., None], *args: Any) -> None:
        self.work, self.args = work, args
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=self.work, args=(theirs, *self.args),
                                       daemon=True)
        self.process.start()
        theirs.close()

    def __call__(self) -> Outcome:
        try:
            self.connection.send(True)
            outcome: Outcome = self.connection.recv()
            return outcome
        except (EOFError, OSError):
            # It died (killed, out of memory): the next build starts a new one.
            self.connection.close()
            self.process.join(timeout=5)
            self._start()
            return Outcome(None, ["error: the build process stopped unexpectedly; "
                                  "a new one will build at the next change"])

    def stop(self) -> None:
        """Let the process end, and wait for it."""
        with contextlib.suppress(OSError):
            self.connection.send(False)
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5)
        self.connection.close()


def serve_builds(connection: Connection, build: Callable[[], Outcome],
                 after_first: Callable[[], object]) -> None:
    """Answer each request from `connection` with `build()`, until asked to stop; after the
    first good build, run `after_first` (work that makes the next build faster)."""
    first = True
    while connection.recv():
        outcome = build()
        connection.send(outcome)
        if first and outcome.site is not None:
            after_first()
            first = False


class LiveSite:
    """The site being served and its version; pages wait here for the next version."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.version = 0
        self.site: Path | None = None
        self.problems: list[str] = []

    def publish(self, outcome: Outcome) -> None:
        """Serve a new build, or keep the last good one and show the problems."""
        with self._changed:
            if outcome.site is not None:
                self.site = outcome.site
            self.problems = outcome.problems if outcome.site is None else []
            self.version += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Return the version once it differs from `seen`, or after `timeout` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != seen, timeout=timeout)
            return self.version


DELAY = 0.1
"""Seconds without changes before a rebuild: an editor's save, or `statuspage update`, is a
burst of events a few milliseconds long; anything longer only delays the reload."""


class Rebuilder:
    """Runs the builder once per burst of changes: each change restarts a short timer."""

    def __init__(self, builder: Callable[[], Outcome], live: LiveSite, delay: float = DELAY,
                 report: Callable[[Outcome], None] | None = None) -> None:
        self.builder, self.live, self.delay = builder, live, delay
        self.report = report
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self.builds = 0

    def build_now(self) -> None:
        """Build at once and publish the result."""
        with self._lock:
            outcome = self.builder()
            self.builds += 1
        if self.report is not None:
            self.report(outcome)
        self.live.publish(outcome)

    def changed(self) -> None:
        """Note a change; the build runs `delay` seconds after the last one."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.delay, self.build_now)
            self._timer.daemon = True
            self._timer.start()

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()


class _Watcher(FileSystemEventHandler):
    def __init__(self, rebuilder: Rebuilder, ignored: Callable[[Path], bool],
                 appeared: Callable[[Path], None]) -> None:
        self.rebuilder, self.ignored, self.appeared = rebuilder, ignored, appeared

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type in ("created", "moved"):
            self.appeared(Path(str(getattr(event, "dest_path", "") or event.src_path)))
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        if any(p and not self.ignored(Path(str(p))) for p in paths):
            self.rebuilder.changed()


class _Handler(http.server.SimpleHTTPRequestHandler):
    live: LiveSite

    def __init__(self, *args: Any, live: LiveSite, **kwargs: Any) -> None:
        self.live = live
        super().__init__(*args, directory=str(live.site or _NOWHERE), **kwargs)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == WAIT_PATH:
            seen = int((parse_qs(parts.query).get("v") or ["0"])[0] or 0)
            self._send(str(self.live.wait(seen, timeout=25.0)).encode(), "text/plain")
            return
        if self.live.site is None:
            # Nothing has built yet: say why, and never fall back to serving some other folder.
            page = "<!DOCTYPE html><html lang=\"en\"><title>statuspage</title><body></body></html>"
            self._send(self._inject(page).encode(), "text/html; charset=utf-8", status=503)
            return
        target = Path(self.translate_path(parts.path))
        if target.is_dir():
            target = target / "index.html"
        if target.suffix == ".html" and target.is_file():
            self._send(self._inject(target.read_text(encoding="utf-8")).encode(),
                       "text/html; charset=utf-8")
            return
        super().do_GET()

    def _inject(self, page: str) -> str:
        extra = _SCRIPT.format(version=self.live.version, path=WAIT_PATH)
        if self.live.problems:
            extra = _BANNER.format(html.escape("\n".join(self.live.problems))) + extra
        index = page.rfind("</body>")
        return page[:index] + extra + page[index:] if index >= 0 else page + extra

    def _send(self, body: bytes, kind: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (a tab closed or moved on while it waited for a reload)
        is normal; anything else is reported as the standard library does."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class Server:
    """An HTTP server for the live site, with a file watcher that rebuilds it."""

    def __init__(self, builder: Callable[[], Outcome], watch: list[Path], host: str = "127.0.0.1",
                 port: int = 8000, delay: float = DELAY,
                 report: Callable[[Outcome], None] | None = None,
                 ignored: Callable[[Path], bool] = lambda path: False,
                 shallow: tuple[Path, ...] = ()) -> None:
        self.live = LiveSite()
        self.rebuilder = Rebuilder(builder, self.live, delay, report)
        # Folders in `watch` are watched with everything under them. Those in `shallow` are
        # watched for their own files, and each folder in them that is not ignored (now or
        # when it appears) with everything under it: a repository's root holds the cache and
        # the built site, whose thousands of folders a recursive watch would follow through
        # every rename.
        self.watch, self.ignored, self.shallow = watch, ignored, shallow
        self._watched: set[Path] = set()
        self._watcher = _Watcher(self.rebuilder, ignored, self._appeared)
        handler = partial(_Handler, live=self.live)
        self.httpd = _HTTPServer((host, port), handler)
        self.observer = Observer()
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """Return the host and port the server listens on."""
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Build once, then serve and watch in background threads."""
        self.rebuilder.build_now()
        for path in self.shallow:
            if path.is_dir():
                self.observer.schedule(self._watcher, str(path), recursive=False)
                for child in sorted(path.iterdir()):
                    self._appeared(child)
        for path in self.watch:
            self._watch(path)
        self.observer.start()
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def _watch(self, path: Path) -> None:
        if path.exists() and path not in self._watched and not any(
                w in path.parents for w in self._watched):
            self._watched.add(path)
            self.observer.schedule(self._watcher, str(path), recursive=path.is_dir())

    def _appeared(self, folder: Path) -> None:
        """Watch a folder that is (or just came to be) in a shallow folder, unless ignored."""
        if folder.parent in self.shallow and folder.is_dir() and not folder.is_symlink() \
                and not self.ignored(folder / "-"):
            self._watch(folder)

    def stop(self) -> None:
        """Stop watching and serving; wait for both to end."""
        self.rebuilder.cancel()
        self.observer.stop()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.observer.join(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)
