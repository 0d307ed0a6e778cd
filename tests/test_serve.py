"""`serve` on port 0 with real HTTP requests: an injected builder, a real watcher."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from conftest import BASIC_CONFIG

from statuspage.serve import WAIT_PATH, BuildProcess, Outcome, Server, serve_builds


def get(server: Server, path: str = "/") -> tuple[int, str]:
    host, port = server.address
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_for(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


class FakeBuilder:
    """Builds a one-page site from the watched folder's files; fails when 'broken' exists."""

    def __init__(self, source: Path, out: Path) -> None:
        self.source, self.out, self.calls = source, out, 0

    def __call__(self) -> Outcome:
        self.calls += 1
        if (self.source / "broken").exists():
            return Outcome(None, ["incidents/x.md:3: error: broken on purpose"])
        self.out.mkdir(exist_ok=True)
        names = sorted(p.name for p in self.source.iterdir())
        (self.out / "index.html").write_text(
            f"<!DOCTYPE html><html><body><p>build {self.calls}: {' '.join(names)}</p>"
            "</body></html>")
        return Outcome(self.out)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, FakeBuilder, Path]]:
    source = tmp_path / "incidents"
    source.mkdir()
    builder = FakeBuilder(source, tmp_path / "site")
    server = Server(builder, [source], port=0, delay=0.3)
    server.start()
    yield server, builder, source
    server.stop()


def test_a_change_shows_up_and_open_pages_are_told(served) -> None:  # type: ignore[no-untyped-def]
    server, _builder, source = served
    status, page = get(server)
    assert status == 200 and "build 1: </p>" in page
    assert f"fetch('{WAIT_PATH}?v='+v)" in page  # the reload script, in serve mode only
    seen = server.live.version
    waiter: list[str] = []
    thread = threading.Thread(target=lambda: waiter.append(get(server, f"{WAIT_PATH}?v={seen}")[1]))
    thread.start()
    (source / "a.md").write_text("x")
    thread.join(timeout=10)
    assert waiter == [str(seen + 1)]
    assert "build 2: a.md" in get(server)[1]


def test_a_burst_of_writes_gives_one_rebuild(served) -> None:  # type: ignore[no-untyped-def]
    server, builder, source = served
    for n in range(25):
        (source / f"f{n}.md").write_text(str(n))
    wait_for(lambda: builder.calls == 2)
    time.sleep(0.8)
    assert builder.calls == 2
    assert "f24.md" in get(server)[1]


def test_a_broken_file_keeps_the_last_good_site_and_shows_why(served) -> None:  # type: ignore[no-untyped-def]
    server, builder, source = served
    (source / "broken").write_text("")
    wait_for(lambda: builder.calls == 2)
    wait_for(lambda: bool(server.live.problems))
    status, page = get(server)
    assert status == 200 and "build 1: </p>" in page
    assert "incidents/x.md:3: error: broken on purpose" in page and 'role="alert"' in page
    (source / "broken").unlink()
    wait_for(lambda: builder.calls == 3)
    wait_for(lambda: not server.live.problems)
    assert "broken on purpose" not in get(server)[1]


def test_nothing_built_yet_is_a_503_not_a_directory_listing(tmp_path: Path) -> None:
    server = Server(lambda: Outcome(None, ["statuspage.yaml:1: error: bad"]), [], port=0)
    server.start()
    try:
        status, page = get(server, "/statuspage.yaml")
        assert status == 503 and "statuspage.yaml:1: error: bad" in page
    finally:
        server.stop()


def test_built_site_has_no_reload_script(example_site: Path) -> None:
    assert "__statuspage" not in (example_site / "index.html").read_text()


def test_cli_serve_builds_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    repo = tmp_path / "status"
    repo.mkdir()
    (repo / "statuspage.yaml").write_text(BASIC_CONFIG)
    (repo / "incidents").mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "statuspage.cli", "serve", "--port", "0"], cwd=repo,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stdout is not None
        lines = []
        while not any(line.startswith("serving on ") for line in lines):
            lines.append(process.stdout.readline())
            assert lines[-1], "".join(lines)
        url = next(line for line in lines if line.startswith("serving on ")).split()[2]
        with urllib.request.urlopen(url, timeout=10) as response:
            assert "All Systems Operational" in response.read().decode()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert "stopping" in process.stdout.read()
    finally:
        process.kill()


def test_cli_serve_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    repo = tmp_path / "status"
    (repo / "incidents").mkdir(parents=True)
    (repo / "statuspage.yaml").write_text(BASIC_CONFIG)
    process = subprocess.Popen(
        [sys.executable, "-m", "statuspage.cli", "serve", "--port", "0"], cwd=repo,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(tmp_path)})
    try:
        assert process.stdout is not None
        while not process.stdout.readline().startswith("serving on "):
            assert process.poll() is None
        assert [p.name for p in tmp_path.glob("statuspage-serve-*")] != []
        # After the first build, a spare is set aside for the first edit's rebuild to start
        # from; it goes with the session.
        cache = repo / ".statuspage-cache"
        wait_for(lambda: any(p.is_dir() for p in cache.glob("site-*")), timeout=20)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=40) == 0
        assert list(tmp_path.glob("statuspage-serve-*")) == []
        assert [p for p in cache.glob("site-*") if p.is_dir()] == []
    finally:
        process.kill()


def test_a_shallow_folder_is_watched_for_its_own_files_and_folders_not_ignored(
        tmp_path: Path) -> None:
    source = tmp_path / "incidents"
    source.mkdir()
    deep = tmp_path / ".statuspage-cache" / "site-spare" / "incidents"
    deep.mkdir(parents=True)
    builder = FakeBuilder(source, tmp_path / "out")
    server = Server(builder, [source], port=0, delay=0.2, shallow=(tmp_path,),
                    ignored=lambda path: bool({".statuspage-cache", "out"} & set(path.parts)))
    server.start()
    try:
        (deep / "index.html").write_text("a spare site's page")
        time.sleep(0.8)
        assert builder.calls == 1
        (tmp_path / "statuspage.yaml").write_text("title: changed\n")
        wait_for(lambda: builder.calls == 2)
        # A folder made while serving (a logo's, or templates/) is watched from then on.
        (tmp_path / "brand").mkdir()
        wait_for(lambda: builder.calls == 3)
        time.sleep(0.5)
        (tmp_path / "brand" / "logo.svg").write_text("<svg/>")
        wait_for(lambda: builder.calls == 4)
    finally:
        server.stop()


def test_builds_run_in_a_process_of_their_own_that_is_started_again_if_it_dies(
        tmp_path: Path) -> None:
    builds = BuildProcess(_count_builds, tmp_path / "count")
    try:
        pids = [builds().problems[0] for _ in range(2)]
        assert pids[0] == pids[1] != str(os.getpid())  # one process, not this one, kept
        os.kill(int(pids[0]), signal.SIGKILL)
        wait_for(lambda: not builds.process.is_alive())
        failed = builds()
        assert failed.site is None and "stopped unexpectedly" in failed.problems[0]
        assert builds().problems[0] not in pids  # a new one
    finally:
        builds.stop()
    assert not builds.process.is_alive()


def _count_builds(connection: Connection, count: Path) -> None:
    """A build process that answers with its process id, and sets a file aside once."""
    def build() -> Outcome:
        return Outcome(count, [str(os.getpid())])

    serve_builds(connection, build, lambda: count.write_text("after the first"))


def test_a_page_that_goes_away_while_waiting_is_no_error(  # type: ignore[no-untyped-def]
        served, capfd: pytest.CaptureFixture[str]) -> None:
    """A tab closed (or moved on) while it waits for a reload is normal: no traceback."""
    import socket
    import struct

    server, _builder, source = served
    host, port = server.address
    seen = server.live.version
    for n in range(3):
        client = socket.create_connection((host, port), timeout=5)
        client.sendall(f"GET {WAIT_PATH}?v={seen} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(0.2)  # the request is read and waits
        # Close with a reset, as a browser tearing down a tab does.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        (source / f"n{n}.md").write_text("x")
        wait_for(lambda before=seen: server.live.version > before)
        seen = server.live.version
        time.sleep(0.2)  # the waiting handler writes its answer to the closed socket
    assert get(server)[0] == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Error" not in err, err
