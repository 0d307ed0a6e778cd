"""The operator's commands on real files: init, new, update, check --strict/--format github."""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import sys
import threading
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import REPO_ROOT, Repo, run_cli

from statuspage.read.files import split_front_matter

NOW = "2026-11-24 12:00"


def test_init_makes_a_repository_that_checks_and_builds(tmp_path: Path) -> None:
    target = tmp_path / "status"
    result = run_cli("init", str(target))
    assert result.exit_code == 0, result.output
    for name in ("statuspage.yaml", ".gitignore", "incidents/example.md",
                 ".github/workflows/statuspage.yml"):
        assert (target / name).is_file(), name
    config = str(target / "statuspage.yaml")
    check = run_cli("check", "--config", config, "--now", NOW)
    assert check.exit_code == 0, check.output
    assert check.output.strip() == "no problems"
    assert run_cli("build", "--config", config, "--now", NOW).exit_code == 0
    assert "Slow responses from the API" not in (target / "site/index.html").read_text()
    assert f"next: cd {target}, then edit statuspage.yaml" in result.output
    workflow = yaml.safe_load((target / ".github/workflows/statuspage.yml").read_text())
    assert workflow[True]["schedule"] == [{"cron": "*/5 * * * *"}]  # YAML 1.1 reads 'on' as True
    assert "statuspage check --format github" in json.dumps(workflow)
    assert "pip install -r requirements.txt" in json.dumps(workflow)
    again = run_cli("init", str(target))
    assert again.exit_code == 1 and "refusing to overwrite" in again.output


def _pip_wheel(requirements: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), "-r",
         str(requirements)], capture_output=True, text=True, check=False, timeout=300)


def test_init_requirements_install_or_fail_saying_what_to_put_there(tmp_path: Path) -> None:
    """statuspage is on no package index: without a source, pip stops at the line that says
    what to write there; with one (a git URL, as a fresh runner would use), it installs."""
    plain = tmp_path / "plain"
    result = run_cli("init", str(plain))
    assert "requirements.txt: statuspage is on no package index" in result.output
    refused = _pip_wheel(plain / "requirements.txt", tmp_path / "wheels")
    assert refused.returncode != 0
    assert "SET-ME: statuspage is on no package index" in refused.stderr
    assert "line 5 of" in refused.stderr
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("the project is not a git checkout here")
    # The project's repository, served over HTTP on loopback as a git host would serve it.
    served = tmp_path / "served"
    clone = served / "project.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(REPO_ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "update-server-info"], check=True)
    commit = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], check=True,
                            capture_output=True, text=True).stdout.strip()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        port = httpd.server_address[1]
        given = tmp_path / "given"
        requirement = f"statuspage-static @ git+http://127.0.0.1:{port}/project.git@{commit}"
        result = run_cli("init", str(given), "--install", requirement)
        assert "warning" not in result.output
        assert (given / "requirements.txt").read_text().splitlines()[-1] == requirement
        installed = _pip_wheel(given / "requirements.txt", tmp_path / "wheels")
        httpd.shutdown()
    assert installed.returncode == 0, installed.stderr
    assert list((tmp_path / "wheels").glob("statuspage_static-*.whl"))


def test_new_incident_writes_a_valid_file_and_never_overwrites(repo: Repo) -> None:
    result = repo.run("new", "incident", "Chat errors", "--severity", "P1", "--component",
                      "api=partial_outage", "--component", "web=degraded_performance",
                      "-m", "We are looking into errors.", "--now", NOW)
    assert result.exit_code == 0, result.output
    path = repo.root / "incidents/2026-11-24-chat-errors.md"
    assert result.output.strip() == f"{repo.root}/incidents/2026-11-24-chat-errors.md"
    assert path.read_text() == (
        '---\ntitle: "Chat errors"\nseverity: P1\nstarted: 2026-11-24 12:00 +08:00\n'
        "components:\n  api: partial_outage\n  web: degraded_performance\n---\n\n"
        "## Investigating — 2026-11-24 12:00 +08:00\n\nWe are looking into errors.\n")
    assert repo.check().exit_code == 0
    again = repo.run("new", "incident", "Chat errors", "--severity", "P1", "--now", NOW)
    assert again.exit_code == 1 and "already exists" in again.output
    assert path.read_text().endswith("We are looking into errors.\n")


@pytest.mark.parametrize(("args", "message"), [
    (["--severity", "P9"], "unknown severity 'P9'; valid: P0, P1, P2, P3"),
    (["--severity", "p1"], "unknown severity 'p1' (did you mean 'P1'?); valid: P0, P1, P2, P3"),
    (["--severity", "P1", "--component", "apii=major_outage"],
     "unknown component 'apii' (did you mean 'api'?); valid: api, web, voice"),
    (["--severity", "P1", "--component", "api=down"],
     "unknown status 'down'; valid: operational, degraded_performance, partial_outage, "
     "major_outage"),
])
def test_new_incident_refuses_unknown_names(repo: Repo, args: list[str], message: str) -> None:
    result = repo.run("new", "incident", "X", *args, "--now", NOW)
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {message}"
    assert list((repo.root / "incidents").iterdir()) == []


def test_chinese_title_gets_a_readable_slug_or_the_given_one(repo: Repo) -> None:
    result = repo.run("new", "incident", "语音服务中断", "--severity", "P0", "--component",
                      "voice=major_outage", "--now", NOW)
    assert result.output.strip() == f"{repo.root}/incidents/2026-11-24-voice-incident.md"
    text = (repo.root / "incidents/2026-11-24-voice-incident.md").read_text(encoding="utf-8")
    assert 'title: "语音服务中断"' in text
    given = repo.run("new", "incident", "语音服务中断", "--severity", "P0", "--slug",
                     "voice-outage", "--now", NOW)
    assert given.output.strip() == f"{repo.root}/incidents/2026-11-24-voice-outage.md"


def test_new_maintenance(repo: Repo) -> None:
    result = repo.run("new", "maintenance", "DB upgrade", "--component", "api", "--component",
                      "web", "--start", "2026-12-01 02:00", "--end", "2026-12-01 04:00",
                      "-m", "Writes may fail for 5 minutes.", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert (repo.root / "incidents/2026-12-01-db-upgrade.md").read_text() == (
        '---\ntitle: "DB upgrade"\ntype: maintenance\ncomponents: [api, web]\n'
        "scheduled: 2026-12-01 02:00 +08:00\nuntil: 2026-12-01 04:00 +08:00\n---\n\n"
        "Writes may fail for 5 minutes.\n")
    bad = repo.run("new", "maintenance", "Backwards", "--start", "2026-12-01 04:00", "--end",
                   "2026-12-01 02:00", "--now", NOW)
    assert bad.exit_code == 1 and "until: the window must end after it starts" in bad.output


NEWEST_FIRST = ("---\r\ntitle: Errors\r\nseverity: P2\r\ncomponents:\r\n  api: partial_outage"
                "\r\n---\r\nSummary stays.\r\n\r\n## Identified — 2026-11-24 10:30\r\n"
                "Found.\r\n\r\n## Investigating — 2026-11-24 10:00\r\nLooking.   \r\n")


def test_update_inserts_above_the_newest_and_keeps_every_other_byte(repo: Repo) -> None:
    path = repo.root / "incidents/2026-11-24-errors.md"
    path.write_bytes(b"\xef\xbb\xbf" + NEWEST_FIRST.encode())
    result = repo.run("update", "2026-11-24-err", "monitoring", "-m", "Fix deployed.",
                      "--now", NOW)
    assert result.exit_code == 0, result.output
    data = path.read_bytes()
    inserted = "## Monitoring — 2026-11-24 12:00 +08:00\r\n\r\nFix deployed.\r\n\r\n".encode()
    head, tail = NEWEST_FIRST.split("## Identified")
    assert data == b"\xef\xbb\xbf" + head.encode() + inserted + ("## Identified" + tail).encode()
    resolved = repo.run("update", "2026-11-24", "resolve", "-m", "Fixed.", "--now",
                        "2026-11-24 12:30")
    assert resolved.exit_code == 0, resolved.output
    assert "## Resolved — 2026-11-24 12:30 +08:00" in path.read_text(encoding="utf-8-sig")
    after = repo.run("update", "2026-11-24", "identified", "-m", "Again?", "--now",
                     "2026-11-24 12:40")
    assert after.exit_code == 1
    assert "was resolved at 2026-11-24 12:30 +08:00" in after.output
    assert repo.check("2026-11-24 13:00").exit_code == 0


def test_update_appends_when_updates_are_written_oldest_first(repo: Repo) -> None:
    path = repo.incident("2026-11-24-old.md", """\
        ---
        title: Old first
        severity: P2
        ---
        ## Investigating — 2026-11-24 10:00
        One.

        ## Identified — 2026-11-24 10:30
        Two.
        """)
    before = path.read_bytes()
    assert repo.run("update", "2026-11-24-old", "mon", "-m", "Three.", "--now", NOW).exit_code == 0
    added = "\n## Monitoring — 2026-11-24 12:00 +08:00\n\nThree.\n"
    assert path.read_bytes() == before + added.encode()


@pytest.mark.parametrize(("prefix", "status", "message"), [
    ("2026", "monitoring", "'2026' matches 2 files (2026-11-24-a, 2026-11-24-b); give more of "
                           "the name"),
    ("nothing", "monitoring", "no incident or maintenance file starts with 'nothing'"),
    ("2026-11-24-a", "completed", "unknown incident status 'completed'; valid: investigating, "
                                  "identified, monitoring, resolved"),
])
def test_update_refuses(repo: Repo, prefix: str, status: str, message: str) -> None:
    for name in ("a", "b"):
        repo.incident(f"2026-11-24-{name}.md", "---\ntitle: A\nseverity: P2\n---\n"
                                               "## Investigating — 2026-11-24 10:00\n")
    result = repo.run("update", prefix, status, "-m", "Text.", "--now", NOW)
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {message}"


def test_update_maintenance_statuses(repo: Repo) -> None:
    repo.incident("2026-11-24-m.md", "---\ntitle: M\ntype: maintenance\ncomponents: [api]\n"
                                     "scheduled: 2026-11-24 11:00\nuntil: 2026-11-24 13:00\n---\n")
    assert repo.run("update", "2026-11-24-m", "in progress", "-m", "Started.",
                    "--now", NOW).exit_code == 0
    assert repo.run("update", "2026-11-24-m", "done", "-m", "Done.",
                    "--now", "2026-11-24 12:10").exit_code == 0
    no_text = repo.run("update", "2026-11-24-m", "verifying", "--now", "2026-11-24 12:20")
    assert no_text.exit_code == 1 and "an update needs words for customers" in no_text.output
    text = (repo.root / "incidents/2026-11-24-m.md").read_text()
    assert "## In progress — 2026-11-24 12:00 +08:00" in text
    assert "## Completed — 2026-11-24 12:10 +08:00" in text


def test_check_strict_and_github_format(repo: Repo) -> None:
    repo.incident("2026-11-20-a.md", "---\ntitle: A\nseverity: P2\ncolour: red\n---\n"
                                     "## Investigating — 2026-11-20 10:00\n")
    assert repo.check().exit_code == 0
    strict = repo.run("check", "--now", NOW, "--strict")
    assert strict.exit_code == 1
    github = repo.run("check", "--now", NOW, "--format", "github")
    assert github.output.splitlines() == [
        f"::warning file={repo.root}/incidents/2026-11-20-a.md,line=4::unknown key 'colour'",
        "1 warning"]
    repo.incident("2026-11-20-b.md", "---\ntitle: B\nseverity: P8\n---\n")
    assert f"::error file={repo.root}/incidents/2026-11-20-b.md,line=3::severity: unknown " \
           "severity 'P8'; use one of P0, P1, P2, P3" in repo.run(
               "check", "--now", NOW, "--format", "github").output


def test_schemas_accept_the_example_and_reject_mistakes() -> None:
    schemas = REPO_ROOT / "schemas"
    config_schema = json.loads((schemas / "statuspage.schema.json").read_text())
    front_schema = json.loads((schemas / "front-matter.schema.json").read_text())
    config = yaml.safe_load((REPO_ROOT / "statuspage.yaml").read_text())
    config["components"] = [{**c, "since": str(c["since"])} if "since" in c else c
                            for c in config["components"]]
    jsonschema.validate(config, config_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**config, "timzone": "UTC"}, config_schema)
    for path in sorted((REPO_ROOT / "incidents").rglob("*.md")):
        document, problems = split_front_matter(path.read_text(), path.name)
        assert document is not None, problems
        jsonschema.validate(document.front.value, front_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"title": "x", "severity": "P1", "componets": {}}, front_schema)


def test_new_refuses_a_slug_that_leaves_the_folder(repo: Repo) -> None:
    result = repo.run("new", "incident", "X", "--severity", "P3", "--slug", "../../escaped",
                      "--now", NOW)
    assert result.exit_code == 1
    assert "can't be used in a URL" in result.output
    assert sorted(p.name for p in repo.root.rglob("*.md")) == []


def test_update_keeps_seconds_and_early_completion_after_work_began(repo: Repo) -> None:
    repo.incident("2026-11-24-sec.md", "---\ntitle: S\nseverity: P3\n"
                                       "started: 2026-11-24 10:00:30\n---\n")
    done = repo.run("update", "2026-11-24-sec", "resolved", "-m", "Fixed.",
                    "--now", "2026-11-24 10:00:50")
    assert done.exit_code == 0, done.output
    assert "## Resolved — 2026-11-24 10:00:50 +08:00" in (
        repo.root / "incidents/2026-11-24-sec.md").read_text()
    repo.incident("2026-11-25-m.md", "---\ntitle: M\ntype: maintenance\ncomponents: [api]\n"
                                     "scheduled: 2026-11-25 02:00\nuntil: 2026-11-28 02:00\n---\n")
    assert repo.run("update", "2026-11-25-m", "in_progress", "-m", "Started early.",
                    "--now", NOW).exit_code == 0
    early = repo.run("update", "2026-11-25-m", "done", "-m", "Done early.",
                     "--now", "2026-11-24 12:30")
    assert early.exit_code == 0, early.output
