"""`statuspage probe --open-incidents` through outages of real endpoints on 127.0.0.1: one
incident opened, then resolved; none while one is open, during maintenance, or for a flapping
endpoint that has not settled."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from conftest import Repo
from localservers import Endpoints, endpoints

from statuspage.read.files import split_front_matter

START = datetime.fromisoformat("2026-11-24T12:00:00+08:00")


@pytest.fixture
def server() -> Iterator[Endpoints]:
    with endpoints() as running:
        yield running


def config(server: Endpoints, language: str = "en", settle: str = "10m") -> str:
    return f"""\
title: Probe Status
url: https://status.test.example/
timezone: Asia/Shanghai
language: {language}
components:
  - id: api
    name: Public API
    probe: {{url: '{server.base}/switch/api', timeout: 2s}}
  - id: web
    name: Website
    probe: {{url: '{server.base}/switch/web', timeout: 2s}}
probe: {{failures: 3, recoveries: 2, settle: {settle}, severity: P2}}
"""


def at(step: int) -> str:
    return (START + timedelta(minutes=5 * step)).isoformat()


def run_steps(repo: Repo, server: Endpoints, plan: str, first: int = 0,
              component: str = "api") -> list[str]:
    """Run one probe per character of `plan` ('o' the endpoint answers 200, 'f' 503) and
    return what each run printed about incidents."""
    said = []
    for offset, state in enumerate(plan):
        server.switches[component] = 200 if state == "o" else 503
        result = repo.run("probe", "--open-incidents", "--now", at(first + offset))
        assert result.exit_code == 0, result.output
        said += [line for line in result.output.splitlines()
                 if ": opened " in line or ": resolved " in line]
    return said


def incident_files(repo: Repo) -> list[str]:
    return sorted(p.name for p in (repo.root / "incidents").glob("*.md"))


def test_an_outage_opens_one_incident_and_recovery_resolves_it(
        make_repo: Callable[[str], Repo], server: Endpoints) -> None:
    repo = make_repo(config(server))
    said = run_steps(repo, server, "ooff")
    assert said == [] and incident_files(repo) == []
    said = run_steps(repo, server, "f", first=4)
    name = "2026-11-24-api-unavailable.md"
    assert said == [f"api: opened {repo.root}/incidents/{name}"]
    opened = (repo.root / "incidents" / name).read_text()
    assert opened == (
        '---\ntitle: "Public API is unavailable"\nseverity: P2\n'
        "started: 2026-11-24 12:10 +08:00\ncomponents:\n  api: major_outage\ninternal:\n"
        "  probe: api    # opened by 'statuspage probe', which resolves it when checks pass "
        "again\n---\n\n## Investigating — 2026-11-24 12:20 +08:00\n\n"
        "Automated checks of Public API have failed since 2026-11-24 12:10 +08:00 "
        "(503 Service Unavailable (expected 200-299)). We are investigating.\n")
    # Still failing: the open incident names the component, so nothing new.
    assert run_steps(repo, server, "ff", first=5) == []
    # Two good checks, but the last failure is only 5 minutes old (settle: 10m).
    assert run_steps(repo, server, "o", first=7) == []
    said = run_steps(repo, server, "o", first=8)
    assert said == [f"api: resolved {repo.root}/incidents/{name}"]
    text = (repo.root / "incidents" / name).read_text()
    # Added above the first update (newest first), the rest of the file as it was.
    resolved = ("## Resolved — 2026-11-24 12:35 +08:00\n\nAutomated checks of Public API "
                "have succeeded since 2026-11-24 12:35 +08:00.\n\n")
    assert text == opened.replace("## Investigating", resolved + "## Investigating")
    assert run_steps(repo, server, "oo", first=9) == []
    assert incident_files(repo) == [name]
    web = (repo.root / "metrics/web/2026-11.csv").read_text().splitlines()
    api = (repo.root / "metrics/api/2026-11.csv").read_text().splitlines()
    assert len(web) == len(api) == 1 + 11
    assert [line.split(",")[2] for line in api[1:]] == list("00111110000")
    build = repo.build(at(11))
    assert build.exit_code == 0, build.output
    page = (repo.site / f"incidents/{name.removesuffix('.md')}/index.html").read_text()
    assert "Public API is unavailable" in page and "Automated checks of" in page
    assert "statuspage probe" not in page  # the internal note stays out


def test_a_flapping_endpoint_keeps_one_incident_until_it_settles(
        make_repo: Callable[[str], Repo], server: Endpoints) -> None:
    repo = make_repo(config(server, settle="30m"))
    said = run_steps(repo, server, "fff" + "oofoof" + "ooooo")
    assert said == [f"api: opened {repo.root}/incidents/2026-11-24-api-unavailable.md"]
    said = run_steps(repo, server, "o", first=14)
    assert said == [f"api: resolved {repo.root}/incidents/2026-11-24-api-unavailable.md"]
    assert "## Resolved — 2026-11-24 12:45 +08:00" in (
        repo.root / "incidents/2026-11-24-api-unavailable.md").read_text()
    # A new outage after it settled is a new incident.
    said = run_steps(repo, server, "fff", first=15)
    assert said == [f"api: opened {repo.root}/incidents/2026-11-24-api-unavailable-2.md"]
    assert repo.check(at(17)).exit_code == 0


def test_no_incident_while_a_person_has_one_open_or_during_maintenance(
        make_repo: Callable[[str], Repo], server: Endpoints) -> None:
    repo = make_repo(config(server))
    repo.incident("2026-11-24-api-slow.md", """\
        ---
        title: API is slow
        severity: P1
        components: {api: partial_outage}
        ---
        ## Investigating — 2026-11-24 11:50 +08:00
        We are looking into it.
        """)
    repo.incident("2026-11-24-web-move.md", """\
        ---
        title: Moving the website
        type: maintenance
        components: [web]
        scheduled: 2026-11-24 11:30 +08:00
        until: 2026-11-24 13:00 +08:00
        ---
        """)
    server.switches["web"] = 503
    assert run_steps(repo, server, "fffff") == []
    assert incident_files(repo) == ["2026-11-24-api-slow.md", "2026-11-24-web-move.md"]
    # Checks keep passing: the person's incident is theirs to resolve.
    assert run_steps(repo, server, "ooooo", first=5) == []
    assert "Resolved" not in (repo.root / "incidents/2026-11-24-api-slow.md").read_text()
    # After the window, web's failures open an incident: the failures began inside the
    # window but no incident about web was resolved after they began.
    server.switches["web"] = 503
    said = run_steps(repo, server, "o", first=12)
    assert said == [f"web: opened {repo.root}/incidents/2026-11-24-web-unavailable.md"]


def test_an_incident_resolved_by_hand_is_not_reopened_by_the_same_failures(
        make_repo: Callable[[str], Repo], server: Endpoints) -> None:
    repo = make_repo(config(server))
    assert len(run_steps(repo, server, "fff")) == 1
    assert repo.run("update", "2026-11-24-api", "resolved", "-m", "Known; fixed upstream.",
                    "--now", at(2) + "").exit_code == 0
    assert run_steps(repo, server, "ffff", first=3) == []
    said = run_steps(repo, server, "offf", first=7)
    assert said == [f"api: opened {repo.root}/incidents/2026-11-24-api-unavailable-2.md"]


def test_incidents_are_written_in_the_site_language(
        make_repo: Callable[[str], Repo], server: Endpoints) -> None:
    repo = make_repo(config(server, "zh-CN"))
    run_steps(repo, server, "fff")
    text = (repo.root / "incidents/2026-11-24-api-unavailable.md").read_text()
    document, problems = split_front_matter(text, "x.md")
    assert document is not None and not problems
    assert document.front.value["title"] == "Public API 无法访问"
    assert "自动检查" in document.body


def test_a_bad_row_in_another_data_file_does_not_stop_incidents_being_opened(
        make_repo: Callable[[str], Repo], server: Endpoints) -> None:
    repo = make_repo(config(server))
    # A file of a component without a probe, with a row the build refuses.
    repo.write("metrics/web/2026-10.csv", "time,count,errors\n2026-10-01T00:00:00Z,1,2\n")
    said = run_steps(repo, server, "fff")
    assert said == [f"api: opened {repo.root}/incidents/2026-11-24-api-unavailable.md"]
    build = repo.build(at(3))
    assert build.exit_code == 1 and "metrics/web/2026-10.csv:2: error" in build.output
