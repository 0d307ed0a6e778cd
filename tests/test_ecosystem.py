"""The GitHub Action (action.yml) and the pre-commit hook (.pre-commit-hooks.yaml), run for
real on a status repository in a temporary folder: the action's steps as the runner would run
them (in bash, with its expressions filled in), the hook through `pre-commit try-repo`.

Both install this project in an environment of their own from the package index, as users'
machines do; each is bounded in time."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT, run_cli
from test_upstream import StatusServer, summary

INSTALL_SECONDS = 600
BROKEN = """\
---
title: Broken
severity: P9
components: {chat-api: partial_outage}
---
## Investigating — 2026-11-24 11:40 +08:00
Looking.
"""


def status_repository(folder: Path, upstream_url: str | None = None) -> Path:
    """Write a status repository as `statuspage init` makes it; return its folder."""
    result = run_cli("init", str(folder))
    assert result.exit_code == 0, result.output
    if upstream_url is not None:
        settings = folder / "statuspage.yaml"
        settings.write_text(settings.read_text() + "upstream:\n  - {id: models, name: Models, "
                            f"url: \"{upstream_url}\"}}\n")
    return folder


@pytest.fixture(scope="module")
def runner_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh Python environment, as actions/setup-python leaves one: nothing installed."""
    folder = tmp_path_factory.mktemp("runner") / "python"
    venv.EnvBuilder(with_pip=True).create(folder)
    return folder / "bin"


class Action:
    """action.yml, run step by step as GitHub's runner runs a composite action."""

    def __init__(self, inputs: dict[str, str]) -> None:
        self.definition = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
        defaults = {name: str(spec.get("default", ""))
                    for name, spec in self.definition["inputs"].items()}
        unknown = set(inputs) - set(defaults)
        assert not unknown, unknown
        self.inputs = {**defaults, **inputs}
        self.outputs: dict[str, dict[str, str]] = {}

    def value(self, name: str) -> str:
        """Return the value of a context name such as 'inputs.out'."""
        scope, _, rest = name.partition(".")
        if scope == "inputs":
            return self.inputs[rest]
        if name == "github.action_path":
            return str(REPO_ROOT)
        step, _, output = rest.partition(".outputs.")
        assert scope == "steps" and output, f"no such context in the test runner: {name}"
        return self.outputs.get(step, {}).get(output, "")

    def expand(self, text: str) -> str:
        """Fill in every ${{ name }} of `text`."""
        return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: self.value(m.group(1)), text)

    def condition(self, text: str) -> bool:
        """Return the value of an `if:` made of `name == 'x'` and `name != 'x'` joined by &&."""
        result = True
        for clause in text.split("&&"):
            found = re.fullmatch(r"\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*", clause)
            assert found, f"the test runner does not know this condition: {clause}"
            name, operator, wanted = found.groups()
            result = result and ((self.value(name) == wanted) == (operator == "=="))
        return result

    def run(self, workspace: Path, python: Path, timeout: float) -> list[tuple[str, Any]]:
        """Run the steps in `workspace` with `python`'s folder first on PATH; return what each
        did: ('ran', completed process), ('skipped', None) or ('uses', its inputs). Stop at
        the first step that fails."""
        done: list[tuple[str, Any]] = []
        for step in self.definition["runs"]["steps"]:
            assert step.get("shell", "bash") == "bash" or "uses" in step
            if "if" in step and not self.condition(step["if"]):
                done.append(("skipped", None))
                continue
            if "uses" in step:
                done.append(("uses", {k: self.expand(str(v))
                                      for k, v in step.get("with", {}).items()}))
                continue
            output = workspace.parent / f"output-{len(done)}"
            output.write_text("")
            env = {**os.environ, "PATH": f"{python}{os.pathsep}{os.environ['PATH']}",
                   "GITHUB_OUTPUT": str(output), "GITHUB_ACTION_PATH": str(REPO_ROOT),
                   **{k: self.expand(str(v)) for k, v in step.get("env", {}).items()}}
            env.pop("VIRTUAL_ENV", None)
            # As the runner does: bash --noprofile --norc -eo pipefail, the script as a file.
            script = workspace.parent / f"step-{len(done)}.sh"
            script.write_text(self.expand(step["run"]))
            ran = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail",
                                  str(script)], cwd=workspace, env=env, capture_output=True,
                                 text=True, timeout=timeout, check=False)
            done.append(("ran", ran))
            if "id" in step:
                self.outputs[step["id"]] = dict(
                    line.split("=", 1) for line in output.read_text().splitlines() if line)
            if ran.returncode != 0:
                break
        return done


@pytest.fixture
def status_server() -> Iterator[StatusServer]:
    server = StatusServer()
    yield server
    server.close()


def test_the_action_checks_pulls_builds_and_hands_the_site_to_pages(
        tmp_path: Path, runner_python: Path, status_server: StatusServer) -> None:
    status_server.modes = {"models": summary("Models", "minor", "Minor Service Outage")}
    workspace = status_repository(tmp_path / "workspace", f"{status_server.url}models/")
    action = Action({"pull": "true", "upload-pages-artifact": "true", "out": "public"})
    done = action.run(workspace, runner_python, INSTALL_SECONDS)
    kinds = [kind for kind, _ in done]
    # setup-python, install, pull, check, build, upload
    assert kinds == ["uses", "ran", "ran", "ran", "ran", "uses"], done
    for kind, ran in done:
        if kind == "ran":
            assert ran.returncode == 0, ran.stdout + ran.stderr
    _install, pull, check, build = (ran for kind, ran in done if kind == "ran")
    assert (runner_python / "statuspage").exists()  # installed from the action's own folder
    assert check.stdout.strip().endswith("no problems")
    assert pull.stdout.strip() == "upstream models: minor (Minor Service Outage)"
    assert "built" in build.stdout
    assert action.outputs["build"] == {"site": "public"}
    assert done[-1][1] == {"path": "public"}
    site = workspace / "public"
    assert "Minor Service Outage" in (site / "index.html").read_text()
    assert (site / "embed/status.js").is_file() and (site / "_headers").is_file()

    # A pull request: only the check, which fails with an annotation on the broken file.
    (workspace / "incidents/2026-11-24-broken.md").write_text(BROKEN)
    checked = Action({"build": "false"}).run(workspace, runner_python, INSTALL_SECONDS)
    assert [kind for kind, _ in checked] == ["uses", "ran", "skipped", "ran"]
    failed = checked[-1][1]
    assert failed.returncode == 1
    assert "::error file=incidents/2026-11-24-broken.md,line=3::" in failed.stdout


def test_the_action_passes_inputs_as_data_not_as_commands(
        tmp_path: Path, runner_python: Path) -> None:
    # An input that would run a command if pasted into the script.
    workspace = status_repository(tmp_path / "workspace")
    hostile = 'site"; touch pwned; echo "'
    done = Action({"out": hostile}).run(workspace, runner_python, INSTALL_SECONDS)
    assert not (workspace / "pwned").exists()
    assert (workspace / hostile / "index.html").is_file(), done[-1]


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
                    *args], cwd=folder, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where pre-commit keeps the environments it installs: new for this test run."""
    return tmp_path_factory.mktemp("pre-commit")


def try_repo(repository: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    assert pre_commit, "pre-commit is missing: install the test extra"
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run([pre_commit, "try-repo", str(REPO_ROOT), "statuspage-check", *args],
                          cwd=repository, env=env, capture_output=True, text=True,
                          timeout=INSTALL_SECONDS, check=False)


def test_the_pre_commit_hook_checks_a_status_repository(
        tmp_path: Path, pre_commit_home: Path) -> None:
    repository = status_repository(tmp_path / "status")
    (repository / "README.md").write_text("Our status page.\n")
    _git(repository, "init", "-q")
    _git(repository, "add", ".")
    _git(repository, "commit", "-qm", "start")
    passed = try_repo(repository, pre_commit_home, "--all-files")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"statuspage check\.+Passed", passed.stdout), passed.stdout

    (repository / "incidents/2026-11-24-broken.md").write_text(BROKEN)
    _git(repository, "add", ".")
    failed = try_repo(repository, pre_commit_home, "--all-files")
    assert failed.returncode == 1
    assert re.search(r"statuspage check\.+Failed", failed.stdout), failed.stdout
    assert "incidents/2026-11-24-broken.md:3: error: " in failed.stdout

    # A change that touches nothing a build reads does not run the check.
    skipped = try_repo(repository, pre_commit_home, "--files", "README.md")
    assert skipped.returncode == 0
    assert re.search(r"statuspage check\.+\(no files to check\)Skipped", skipped.stdout), \
        skipped.stdout
