"""The scheduled workflow `init` writes, run as a script: its shell steps, in fresh clones of a
local bare repository standing in for GitHub, keep the rows across runs on the data branch (one
commit a day), commit only incidents to main, and the publishing job builds with the rows."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import run_cli
from localservers import Endpoints, endpoints


@pytest.fixture
def server() -> Iterator[Endpoints]:
    with endpoints() as running:
        yield running


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True,
                          text=True, timeout=60, env=_env())
    return done.stdout.strip()


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    bin_folder = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{bin_folder}:{os.environ.get('PATH', '')}",
            "GIT_AUTHOR_NAME": "Operator", "GIT_AUTHOR_EMAIL": "op@example.com",
            "GIT_COMMITTER_NAME": "Operator", "GIT_COMMITTER_EMAIL": "op@example.com",
            "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", **(extra or {})}


def shell_steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    """Return the steps of a job that run a script, leaving out installing statuspage (the
    tests run the one under test)."""
    return [step for step in workflow["jobs"][job]["steps"]
            if "run" in step and "pip install" not in step["run"]]


OUTCOME = re.compile(r"^steps\.([\w-]+)\.outcome == '(\w+)'$")


def run_job(origin: Path, folder: Path, workflow: dict[str, Any], job: str,
            day: str, shims: Path) -> str:
    """Do what GitHub does for a job: a shallow clone of main, then each shell step with
    `bash -e`, in the job's environment (with the date of `day`); a step may go on after a
    failure (`continue-on-error`) and run only on another step's outcome (`if`)."""
    subprocess.run(["git", "clone", "--quiet", "--depth=1", "--branch=main",
                    origin.as_uri(), str(folder)], check=True, timeout=60, env=_env())
    env = _env({"DATA_BRANCH": workflow["env"]["DATA_BRANCH"], "FAKE_DAY": day,
                "PATH": f"{shims}:{_env()['PATH']}"})
    printed = []
    outcomes: dict[str, str] = {}
    for step in shell_steps(workflow, job):
        condition = step.get("if")
        if condition is not None and condition != "${{ !cancelled() }}":  # (never cancelled)
            wanted = OUTCOME.match(condition)
            assert wanted is not None, condition
            if outcomes.get(wanted.group(1)) != wanted.group(2):
                continue
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=120)
        if "id" in step:
            outcomes[step["id"]] = "success" if done.returncode == 0 else "failure"
        if not step.get("continue-on-error"):
            assert done.returncode == 0, (step["run"], done.stdout, done.stderr)
        printed.append(done.stdout)
    return "".join(printed)


def test_the_scheduled_workflow_keeps_rows_across_runs(tmp_path: Path,
                                                       server: Endpoints) -> None:
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(origin)],
                   check=True, timeout=30, env=_env())
    start = tmp_path / "start"
    assert run_cli("init", str(start)).exit_code == 0
    config = start / "statuspage.yaml"
    text = config.read_text()
    assert "  - id: api\n" in text
    # The deployed site that notify reads before a deploy: a closed port on this machine.
    assert "url: https://status.example.com/" in text
    text = text.replace("url: https://status.example.com/", "url: http://127.0.0.1:9/")
    config.write_text(text.replace(
        "  - id: api\n", f"  - id: api\n    probe: {{url: '{server.base}/switch/api'}}\n")
        + "probe: {failures: 2, recoveries: 2, settle: 0}\n")
    (start / "incidents/example.md").unlink()
    git(start, "init", "--quiet", "--initial-branch=main")
    git(start, "add", "-A")
    git(start, "commit", "--quiet", "-m", "Status page")
    git(start, "push", "--quiet", origin.as_uri(), "main")
    workflow = yaml.safe_load((start / ".github/workflows/statuspage.yml").read_text())
    # `date -u +%Y-%m-%d` says the day the test wants; every other use of date is the real one.
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "date").write_text('#!/bin/sh\n[ "$*" = "-u +%Y-%m-%d" ] && [ -n "$FAKE_DAY" ] '
                                '&& { echo "$FAKE_DAY"; exit 0; }\nexec /bin/date "$@"\n')
    (shims / "date").chmod(0o755)

    plan = [("2026-12-01", 200), ("2026-12-01", 503), ("2026-12-01", 503),
            ("2026-12-02", 503), ("2026-12-02", 200), ("2026-12-02", 200)]
    printed = []
    for number, (day, code) in enumerate(plan):
        server.switches["api"] = code
        printed.append(run_job(origin, tmp_path / f"run{number}", workflow, "probe", day,
                               shims))
    assert "api: opened incidents/" in printed[2]
    assert "api: resolved incidents/" in printed[5]

    look = tmp_path / "look"
    subprocess.run(["git", "clone", "--quiet", origin.as_uri(), str(look)], check=True,
                   timeout=60, env=_env())
    # main: the operator's commit and the probe's two, nothing per run.
    assert git(look, "log", "--format=%s", "origin/main").splitlines() == [
        "Incidents from checks", "Incidents from checks", "Status page"]
    # The data branch: one commit a day, holding every run's row.
    assert git(look, "log", "--format=%s", "origin/status-data").splitlines() == [
        "rows of 2026-12-02", "rows of 2026-12-01"]
    assert git(look, "ls-tree", "-r", "--name-only", "origin/status-data") .startswith(
        "metrics/api/")
    month = git(look, "ls-tree", "-r", "--name-only", "origin/status-data")
    rows = git(look, "show", f"origin/status-data:{month}").splitlines()
    assert rows[0] == "time,count,errors,latency_ms"
    assert [line.split(",")[2] for line in rows[1:]] == ["0", "1", "1", "1", "0", "0"]
    first_day = git(look, "show", f"origin/status-data~1:{month}").splitlines()
    assert len(first_day) == 1 + 3

    built = run_job(origin, tmp_path / "publish", workflow, "publish", "2026-12-02", shims)
    assert "built " in built
    # The deployed site could not be read: the deploy goes on, and no notice is sent.
    assert "::warning::the deployed site could not be read" in built
    site = tmp_path / "publish/site"
    assert (tmp_path / "publish" / month).read_text().splitlines() == rows
    incident = next((site / "incidents").glob("*-api-unavailable/index.html"))
    assert "is unavailable" in incident.read_text()
