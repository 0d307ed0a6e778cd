"""Fixtures that write small status repositories from dedented strings into tmp_path."""

from __future__ import annotations

import http.server
import shutil
import textwrap
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from statuspage.cli import main

REPO_ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-24 12:00 +08:00"

BASIC_CONFIG = """\
title: Test Status
url: https://status.test.example/
timezone: Asia/Shanghai
components:
  - id: api
    name: API
    group: Core
  - id: web
    name: Website
    group: Core
  - id: voice
    name: Voice
"""


class Repo:
    """A status repository in a temporary folder, written file by file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, relative: str, text: str) -> Path:
        """Write dedented `text` to `relative` under the repository and return its path."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def incident(self, name: str, text: str) -> Path:
        """Write `incidents/<name>`."""
        return self.write(f"incidents/{name}", text)

    @property
    def config(self) -> Path:
        return self.root / "statuspage.yaml"

    @property
    def site(self) -> Path:
        return self.root / "site"

    def run(self, *args: str) -> Result:
        """Run the CLI with --config pointing at this repository (output relative to it)."""
        return run_cli(*args, "--config", str(self.config))

    def check(self, now: str = NOW) -> Result:
        return self.run("check", "--now", now)

    def build(self, now: str = NOW, *extra: str) -> Result:
        return self.run("build", "--now", now, *extra)


def run_cli(*args: str) -> Result:
    """Run `statuspage ARGS` in-process and return click's result."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A repository with a basic `statuspage.yaml` (components api, web, voice) and no incidents."""
    made = Repo(tmp_path / "status")
    made.write("statuspage.yaml", BASIC_CONFIG)
    (made.root / "incidents").mkdir()
    return made


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[str], Repo]:
    """Make a repository with the given `statuspage.yaml` text."""

    def make(config: str, name: str = "status") -> Repo:
        made = Repo(tmp_path / name)
        made.write("statuspage.yaml", config)
        (made.root / "incidents").mkdir(exist_ok=True)
        return made

    return make


def problem_lines(result: Result) -> list[str]:
    """Return the `path:line: level: message` lines of a command's output."""
    return [line for line in result.output.splitlines()
            if ": error: " in line or ": warning: " in line]


def shown(repo: Repo, relative: str) -> str:
    """Return how the CLI names a repository file in messages (it was given --config path)."""
    return f"{repo.root}/{relative}"


def parse_now(text: str = NOW) -> datetime:
    from zoneinfo import ZoneInfo

    from statuspage.times import parse_timestamp

    return parse_timestamp(text, ZoneInfo("Asia/Shanghai"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="Rewrite tests/golden from the current build; review the diff.")


EXAMPLE_NOW = "2026-11-24 12:00 +08:00"


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own example, built once with a fixed `now`.

    It is built from a copy outside git: the calendar reads window moves and commit times
    from git, which would tie the golden files to this project's own history.
    """
    folder = tmp_path_factory.mktemp("example")
    shutil.copy(REPO_ROOT / "statuspage.yaml", folder / "statuspage.yaml")
    shutil.copytree(REPO_ROOT / "incidents", folder / "incidents")
    shutil.copytree(REPO_ROOT / "metrics", folder / "metrics")
    out = folder / "site"
    result = run_cli("build", "--config", str(folder / "statuspage.yaml"), "--now", EXAMPLE_NOW)
    assert result.exit_code == 0, result.output
    return out


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler that logs nothing (mix in before the standard library's own)."""

    def log_message(self, format: str, *args: object) -> None:
        return

    def answer(self, status: int, content_type: str, body: bytes) -> None:
        """Send a whole response."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class LocalServer:
    """A real HTTP server on 127.0.0.1, on a free port, answering from a thread."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
