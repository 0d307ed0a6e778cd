"""Upstream services: `statuspage pull` against a Statuspage-shaped server on 127.0.0.1 that
answers, fails, sends junk, hangs or is not there; the build showing the stored snapshots."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BASIC_CONFIG, LocalServer, QuietHandler, Repo, problem_lines, shown
from test_incremental import _full_builds

NOW = "2026-11-24 12:00 +08:00"


def summary(name: str, indicator: str = "none", description: str = "All Systems Operational",
            incidents: list[dict[str, Any]] | None = None,
            maintenances: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Return a summary.json as Statuspage serves it (the fields this project reads, and a
    few it does not)."""
    return {
        "page": {"id": "abc123", "name": name, "url": f"https://{name.lower()}.example",
                 "time_zone": "Etc/UTC", "updated_at": "2026-11-24T03:00:00.000Z"},
        "status": {"indicator": indicator, "description": description},
        "components": [{"id": "c1", "name": "API", "status": "operational", "position": 1,
                        "group_id": None, "showcase": True}],
        "incidents": incidents or [],
        "scheduled_maintenances": maintenances or [],
    }


class StatusServer:
    """A Statuspage-shaped server: `/<name>/api/v2/summary.json` answers as `modes[name]`
    says: a summary document, 'fail' (HTTP 500), 'junk' (not JSON), 'shape' (JSON that is
    not a summary) or 'hang' (no answer until the test ends)."""

    def __init__(self) -> None:
        self.modes: dict[str, Any] = {}
        self.release = threading.Event()
        self.requests: list[str] = []
        owner = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                name, _, rest = self.path.lstrip("/").partition("/")
                mode = owner.modes.get(name)
                if rest != "api/v2/summary.json" or mode is None:
                    self.send_error(404)
                    return
                if mode == "hang":
                    owner.release.wait(30)
                    return
                if mode == "fail":
                    self.send_error(500)
                    return
                body = (b"<html>maintenance</html>" if mode == "junk" else
                        json.dumps({"page": "nope"} if mode == "shape" else mode).encode())
                self.answer(200, "application/json", body)

        self.local = LocalServer(Handler)
        self.url = self.local.origin + "/"

    def close(self) -> None:
        self.release.set()
        self.local.close()


@pytest.fixture
def status_server() -> Iterator[StatusServer]:
    server = StatusServer()
    yield server
    server.close()


def closed_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def upstream_repo(root: Path, entries: list[tuple[str, str, str]]) -> Repo:
    repo = Repo(root)
    lines = [f"  - {{id: {uid}, name: {name}, url: \"{url}\"}}" for uid, name, url in entries]
    repo.write("statuspage.yaml", BASIC_CONFIG + "upstream:\n" + "\n".join(lines) + "\n")
    (repo.root / "incidents").mkdir(exist_ok=True)
    return repo


def test_pull_stores_each_summary_and_the_build_shows_them_apart(
        tmp_path: Path, status_server: StatusServer) -> None:
    incident = {"id": "inc1", "name": "Elevated error rates", "status": "identified",
                "impact": "major", "shortlink": "https://stspg.io/abc1",
                "updated_at": "2026-11-24T03:10:00Z"}
    resolved = dict(incident, id="inc0", name="Old and done", status="resolved")
    window = {"id": "m1", "name": "Database upgrade", "status": "in_progress",
              "impact": "maintenance", "shortlink": "javascript:alert(1)"}
    status_server.modes = {
        "models": summary("Models", "major", "Partial System Outage", [incident, resolved]),
        "payments": summary("Payments", "none", "All Systems Operational",
                            maintenances=[window]),
    }
    repo = upstream_repo(tmp_path / "status", [
        ("models", "Model Provider", f"{status_server.url}models/"),
        ("payments", "Payments Inc", f"{status_server.url}payments"),  # no final slash
    ])
    pulled = repo.run("pull", "--now", NOW)
    assert pulled.exit_code == 0, pulled.output
    assert pulled.output.splitlines() == ["upstream models: major (Partial System Outage)",
                                          "upstream payments: none (All Systems Operational)"]
    stored = json.loads((repo.root / "upstream/models.json").read_text())
    assert stored["summary"] == status_server.modes["models"]
    assert stored["fetched_at"] == "2026-11-24T12:00:00+08:00"
    assert sorted(p.name for p in (repo.root / "upstream").iterdir()) == [
        "models.json", "payments.json"]  # (no temporary file left behind)

    built = repo.build("2026-11-24 12:30 +08:00")
    assert built.exit_code == 0, built.output
    page = (repo.site / "index.html").read_text()
    section = page[page.index('id="upstream-title"'):]
    section = section[:section.index("</section>")]
    models = section[section.index('id="upstream-models"'):section.index('id="upstream-payments"')]
    payments = section[section.index('id="upstream-payments"'):]
    assert f'href="{status_server.url}models/"' in models
    assert "status-partial_outage" in models and "Partial System Outage" in models
    assert '<a href="https://stspg.io/abc1" rel="external noopener">Elevated error rates</a>' \
        in models and "Identified" in models
    assert "Old and done" not in section
    assert 'datetime="2026-11-24T12:00:00+08:00"' in models
    # A maintenance in progress shows as one; a link that is not a web address is not a link.
    assert "status-under_maintenance" in payments and "Database upgrade" in payments
    assert "javascript:" not in page
    # Never this site's own: not in its indicator, components, badges or uptime.
    api = json.loads((repo.site / "api/v2/summary.json").read_text())
    assert api["status"]["indicator"] == "none"
    names = {c["name"] for c in api["components"]}
    assert names == {"API", "Website", "Voice", "Core"}
    uptime = json.loads((repo.site / "api/uptime.json").read_text())
    assert [c["id"] for c in uptime["components"]] == ["api", "web", "voice"]
    assert not (repo.site / "badges/models.svg").exists()
    assert "banner-none" in page


@pytest.mark.parametrize("failure", ["fail", "junk", "shape", "hang", "refused"])
def test_a_failed_fetch_keeps_the_last_good_snapshot_and_says_so(
        tmp_path: Path, status_server: StatusServer, failure: str) -> None:
    status_server.modes = {"models": summary("Models")}
    url = (f"http://127.0.0.1:{closed_port()}/models/" if failure == "refused"
           else f"{status_server.url}models/")
    repo = upstream_repo(tmp_path / "status", [("models", "Model Provider",
                                                f"{status_server.url}models/")])
    assert repo.run("pull", "--now", NOW).exit_code == 0
    good = (repo.root / "upstream/models.json").read_bytes()
    status_server.modes["models"] = failure
    repo.write("statuspage.yaml", repo.config.read_text().replace(
        f"{status_server.url}models/", url))
    started = time.monotonic()
    result = repo.run("pull", "--now", "2026-11-24 13:00 +08:00", "--timeout", "0.5")
    assert time.monotonic() - started < 10
    assert result.exit_code == 0, result.output
    line, = result.output.splitlines()
    assert line.startswith("upstream models: warning: ")
    assert line.endswith("; kept the last snapshot")
    expected = {"fail": "answered HTTP 500", "junk": "did not send JSON",
                "shape": "is not a Statuspage summary", "hang": "timed out",
                "refused": "cannot reach"}[failure]
    assert expected in line
    assert (repo.root / "upstream/models.json").read_bytes() == good
    assert [p.name for p in (repo.root / "upstream").iterdir()] == ["models.json"]


def test_a_first_fetch_that_fails_stores_nothing_and_the_page_says_not_yet(
        tmp_path: Path, status_server: StatusServer) -> None:
    status_server.modes = {"models": "fail"}
    repo = upstream_repo(tmp_path / "status", [("models", "Model Provider",
                                                f"{status_server.url}models/")])
    result = repo.run("pull", "--now", NOW)
    assert result.exit_code == 0
    assert result.output.strip().endswith("answered HTTP 500; no snapshot stored yet")
    assert not (repo.root / "upstream").exists() or not any((repo.root / "upstream").iterdir())
    built = repo.build()
    assert built.exit_code == 0
    assert f"{shown(repo, 'upstream/models.json')}: warning: no snapshot of upstream " \
           "'models' yet (run 'statuspage pull')" in problem_lines(built)
    assert "Not fetched yet" in (repo.site / "index.html").read_text()


SNAPSHOT = """\
{
 "fetched_at": "2026-11-24T04:00:00+00:00",
 "url": "https://models.example/",
 "summary": {
  "page": {"name": "Models"},
  "status": {
   "indicator": "purple",
   "description": "All Systems Operational"
  },
  "components": []
 }
}
"""


@pytest.mark.parametrize(("text", "line", "message"), [
    (SNAPSHOT, 7, "summary: status.indicator: expected one of none, minor, major, critical, "
                  "maintenance"),
    (SNAPSHOT.replace('"purple"', '"none",,'), 7, "invalid JSON: Expecting property name "
                                                  "enclosed in double quotes"),
    (SNAPSHOT.replace('"purple"', '"none"').replace('"2026-11-24T04:00:00+00:00"', '"soon"'),
     2, "fetched_at: expected a time with its UTC offset"),
    (SNAPSHOT.replace('"purple"', '"none"').replace('"components": []', '"components": 3'),
     10, "summary: components: expected a list"),
])
def test_a_stored_snapshot_that_is_not_valid_is_an_error_at_its_line(
        repo: Repo, text: str, line: int, message: str) -> None:
    repo.write("statuspage.yaml", BASIC_CONFIG + "upstream:\n"
               "  - {id: models, name: Models, url: 'https://models.example/'}\n")
    assert repo.build().exit_code == 0
    before = (repo.site / "index.html").read_bytes()
    repo.write("upstream/models.json", text)
    expected = f"{shown(repo, 'upstream/models.json')}:{line}: error: {message}"
    checked = repo.check()
    assert checked.exit_code == 1
    assert problem_lines(checked) == [expected]
    built = repo.build()
    assert built.exit_code == 1
    assert expected in problem_lines(built)
    assert "Traceback" not in built.output
    assert (repo.site / "index.html").read_bytes() == before


def test_upstream_settings_are_checked_with_their_lines(repo: Repo) -> None:
    repo.write("statuspage.yaml", BASIC_CONFIG + """\
upstream:
  - {id: Models, name: Models, url: "https://models.example/"}
  - {id: cloud, name: Cloud, url: "ftp://cloud.example/"}
  - {id: pay, url: "https://pay.example/"}
  - {id: ok, name: Fine, url: "https://fine.example/", colour: red}
  - {id: ok, name: Again, url: "https://again.example/"}
""")
    result = repo.check()
    assert result.exit_code == 1
    where = shown(repo, "statuspage.yaml")
    assert problem_lines(result) == [
        f"{where}:14: error: upstream id 'Models' must be lowercase letters, digits and "
        "hyphens, starting with a letter or digit",
        f"{where}:15: error: upstream url 'ftp://cloud.example/' must be the absolute http(s) "
        "address of a status page, such as 'https://status.openai.com/'",
        f"{where}:16: error: upstream: 'name' is required and must be text",
        f"{where}:17: warning: unknown key 'upstream.colour'",
        f"{where}:18: error: duplicate upstream id 'ok'",
    ]


def test_a_new_snapshot_is_seen_by_a_rebuild_that_would_otherwise_be_quiet(
        tmp_path: Path, status_server: StatusServer, monkeypatch: pytest.MonkeyPatch) -> None:
    full = _full_builds(monkeypatch)
    status_server.modes = {"models": summary("Models")}
    repo = upstream_repo(tmp_path / "status", [("models", "Model Provider",
                                                f"{status_server.url}models/")])
    repo.incident("2026-11-20-errors.md", """\
        ---
        title: Errors
        severity: P2
        components: {api: partial_outage}
        ---
        ## Resolved — 2026-11-20 10:40 +08:00
        Fine again.
        ## Investigating — 2026-11-20 09:20 +08:00
        Looking.
        """)  # (a site where nothing has happened yet is never rebuilt quietly)
    assert repo.run("pull", "--now", NOW).exit_code == 0
    assert repo.build("2026-11-24 12:00:00 +08:00").exit_code == 0
    assert repo.build("2026-11-24 12:00:05 +08:00").exit_code == 0
    assert full == ["full"]  # the second build was quiet
    status_server.modes["models"] = summary("Models", "critical", "Major System Outage")
    assert repo.run("pull", "--now", "2026-11-24 12:00:06 +08:00").exit_code == 0
    assert repo.build("2026-11-24 12:00:07 +08:00").exit_code == 0
    assert full == ["full", "full"]
    assert "Major System Outage" in (repo.site / "index.html").read_text()
