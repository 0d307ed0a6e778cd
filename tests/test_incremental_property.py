"""The class of bug incremental builds can have: a file kept from an earlier build that a
clean build would make differently. Random sequences of edits, new and deleted files,
measured-data rows appended (before and after the clock, and bad ones), settings,
templates of the repository's own (one printing exact figures), edits of the built-in theme,
postmortems, drafts and steps of the clock both ways; after each, the site built
incrementally must equal, byte for byte, a clean build of the same files at the same
time. And a change of the package's own source or theme reaches every output it must."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import REPO_ROOT, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statuspage.incremental import store as store_module
from statuspage.outputs import site_files

CONFIG = """\
title: Property Status
url: https://status.property.example/sub/
timezone: America/New_York
language: {language}
components:
  - id: api
    name: {api}
    group: Core
  - id: web
    name: Website
    group: Core
    since: 2026-10-01
  - id: voice
    name: Voice
uptime:
  days: {days}
metrics:
  latency_target: {{percentile: 95, ms: 300}}
  error_rate_target: 0.5
"""
ZONE = ZoneInfo("America/New_York")
BASE = datetime(2026, 11, 10, 9, 0)
"""Incidents start between BASE - 40 days and BASE; the clock runs from BASE + 10 days."""


def _at(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M")


def _incident(n: int, start: int, length: int | None, component: str, words: str,
              draft: bool = False) -> str:
    resolved = "" if length is None else f"## Resolved — {_at(start + length)}\n{words}\n\n"
    return (f"---\ntitle: Incident {n}\nseverity: P{n % 4}\nstarted: {_at(start)}\n"
            f"components: {{{component}: {['partial_outage', 'major_outage'][n % 2]}}}\n"
            + ("draft: true\n" if draft else "") + "---\n\n"
            f"{resolved}## Investigating — {_at(start + 3)}\nLooking into {words}.\n")


class Repository:
    """A status repository changed step by step, built incrementally, and a clean build of
    each step in a folder of its own."""

    def __init__(self, root: Path, scratch: Path) -> None:
        self.root, self.scratch = root, scratch
        self.settings = {"language": "en", "api": "API", "days": 30}
        self.now = BASE + timedelta(days=10)
        self.files: dict[str, str] = {}
        self.count = 0
        root.mkdir()
        self.write_settings()
        (root / "incidents").mkdir()
        for n in range(4):
            self.add_incident(start=-n * 7 * 24 * 60 - 300, length=90 + 30 * n)
        self.put("incidents/2026-11-01-ongoing.md", _incident(99, -60, None, "voice", "echo"))
        self.put("incidents/2026-11-19-upgrade.md", self.maintenance(10 * 24 * 60 + 120, 180))
        self.put("metrics/api/2026-11.csv", "time,count,errors,latency_ms\n" + "".join(
            self.row(-m * 97, m) for m in range(40)))
        self.put("metrics/web/2026-11.csv", "time,count,errors,le_100,le_500\n" + "".join(
            self.bucket_row(-m * 181, m) for m in range(20)))

    def row(self, minutes: int, n: int) -> str:
        """Return a check `minutes` from now (as the clock stands), with its latency."""
        moment = (self.now + timedelta(minutes=minutes)).replace(tzinfo=ZONE)
        return f"{moment.isoformat()},1,{int(n % 7 == 0)},{'' if n % 11 == 0 else 50 + n * 9}\n"

    def bucket_row(self, minutes: int, n: int) -> str:
        moment = (self.now + timedelta(minutes=minutes)).replace(tzinfo=ZONE)
        return f"{moment.astimezone(UTC).isoformat()},{20 + n},{n % 3},{n},{10 + n}\n"

    def write_settings(self) -> None:
        (self.root / "statuspage.yaml").write_text(CONFIG.format(**self.settings))

    def put(self, relative: str, text: str | None) -> None:
        path = self.root / relative
        if text is None:
            path.unlink(missing_ok=True)
            self.files.pop(relative, None)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        self.files[relative] = text

    def add_incident(self, start: int, length: int | None, draft: bool = False) -> None:
        self.count += 1
        component = ["api", "web", "voice"][self.count % 3]
        self.put(f"incidents/2026-10-{self.count:02d}-i{self.count}.md",
                 _incident(self.count, start, length, component, f"words {self.count}", draft))

    @staticmethod
    def maintenance(start: int, length: int, completed: int | None = None) -> str:
        done = "" if completed is None else f"\n## Completed — {_at(start + completed)}\nDone.\n"
        return (f"---\ntitle: Upgrade\ntype: maintenance\ncomponents: [api, web]\n"
                f"scheduled: {_at(start)}\nuntil: {_at(start + length)}\n---\nWe upgrade.\n"
                + done)

    def build(self, root: Path) -> tuple[int, str]:
        # Files count as settled 50 ms after they change (2 s in real use): a build waits
        # that long, so that what it takes as unchanged by its status is.
        time.sleep(0.06)
        result = run_cli("build", "--config", str(root / "statuspage.yaml"), "--now",
                         self.now.strftime("%Y-%m-%d %H:%M:%S"))
        return result.exit_code, result.output

    def check(self) -> None:
        """Build incrementally and cleanly; both must fail alike, or give the same bytes."""
        before = _tree(self.root / "site")
        code, output = self.build(self.root)
        clean = self.scratch / f"clean-{len(list(self.scratch.iterdir()))}"
        shutil.copytree(self.root, clean, ignore=shutil.ignore_patterns(
            "site", ".statuspage-cache"))
        clean_code, clean_output = self.build(clean)
        assert code == clean_code, (output, clean_output)
        if code:
            assert _tree(self.root / "site") == before  # a failed build changes nothing
            return
        built, expected = _tree(self.root / "site"), _tree(clean / "site")
        assert sorted(built) == sorted(expected)
        assert [name for name in built if built[name] != expected[name]] == []
        shutil.rmtree(clean)


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


Step = Callable[[Repository], None]


def _edit(repo: Repository) -> None:
    name = sorted(n for n in repo.files if "-i" in n)[0]
    repo.put(name, repo.files[name].replace("Looking into", "Still looking into"))


def _resolve(repo: Repository) -> None:
    name = "incidents/2026-11-01-ongoing.md"
    if name in repo.files and "Resolved" not in repo.files[name]:
        repo.put(name, repo.files[name].replace("---\n\n", f"---\n\n## Resolved — {_at(30)}\n"
                                                           "Fixed.\n\n", 1))


def _delete(repo: Repository) -> None:
    names = sorted(n for n in repo.files if "-i" in n)
    if names:
        repo.put(names[-1], None)


def _append(minutes: int, histogram: bool = False) -> Step:
    """Append a row to a data file, `minutes` from the clock (after it: not counted yet)."""
    def step(repo: Repository) -> None:
        name = f"metrics/{'web' if histogram else 'api'}/2026-11.csv"
        row = (repo.bucket_row if histogram else repo.row)(minutes, len(repo.files[name]))
        repo.put(name, repo.files[name] + row)
    return step


def _bad_row(repo: Repository) -> None:
    repo.put("metrics/api/2026-11.csv", repo.files["metrics/api/2026-11.csv"]
             + "2026-11-20 10:00,1,0,80\n")


def _rewrite_rows(repo: Repository) -> None:
    """Drop bad rows and change the first row's latency: a file that did not only grow."""
    lines = [line for line in repo.files["metrics/api/2026-11.csv"].splitlines(keepends=True)
             if "T" in line.split(",")[0] or line.startswith("time")]
    lines[1] = lines[1].rsplit(",", 1)[0] + ",999\n"
    repo.put("metrics/api/2026-11.csv", "".join(lines))


def _postmortem(published: int | None) -> Step:
    def step(repo: Repository) -> None:
        name = sorted(n for n in repo.files if "-i" in n and "postmortem" not in n)[0]
        when = "" if published is None else f"published: {_at(published)}\n"
        repo.put(name.replace(".md", ".postmortem.md"),
                 f"---\n{when}authors: [ops]\n---\n## Root cause\nA loose cable.\n")
    return step


def _draft(repo: Repository) -> None:
    name = sorted(n for n in repo.files if "-i" in n)[-1]
    text = repo.files[name]
    repo.put(name, text.replace("draft: true\n", "") if "draft: true" in text
             else text.replace("---\n\n", "draft: true\n---\n\n", 1))


def _completed_early(repo: Repository) -> None:
    repo.put("incidents/2026-11-19-upgrade.md", repo.maintenance(10 * 24 * 60 + 120, 180, 60))


def _setting(key: str, value: object) -> Step:
    def step(repo: Repository) -> None:
        repo.settings[key] = value
        repo.write_settings()
    return step


def _override(name: str, text: str | None) -> Step:
    def step(repo: Repository) -> None:
        repo.put(f"templates/{name}", text)
    return step


def _theme(theme: Path, addition: str) -> Step:
    def step(repo: Repository) -> None:
        page = theme / "component.html"
        page.write_text(page.read_text().replace("{% block content %}",
                                                 "{% block content %}" + addition, 1))
    return step


def _clock(minutes: int) -> Step:
    def step(repo: Repository) -> None:
        repo.now += timedelta(minutes=minutes)
    return step


EXACT = textwrap.dedent("""\
    {% extends "default:component.html" %}
    {% block description %}{{ figure.windows['30d'].uptime }}
    {{ figure.days[-1].figure.counted }}{% endblock %}
    """)
INCIDENT = textwrap.dedent("""\
    {% extends "default:incident.html" %}
    {% block title %}! {{ incident.title }}{% endblock %}
    """)


def _steps(theme: Path) -> st.SearchStrategy[Step]:
    return st.sampled_from([
        _edit, _resolve, _delete, _draft, _completed_early,
        lambda repo: repo.add_incident(start=-200, length=40),
        lambda repo: repo.add_incident(start=-30, length=None),
        _postmortem(None), _postmortem(10 * 24 * 60 + 30), _postmortem(-10),
        _setting("api", "Chat API"), _setting("days", 90), _setting("language", "zh-CN"),
        _setting("language", "en"),
        _override("component.html", EXACT), _override("component.html", None),
        _override("incident.html", INCIDENT), _override("incident.html", None),
        _theme(theme, "<p>{{ months | length }} months</p>"),
        _theme(theme, "<p>{{ uptime.uptime }}</p>"),
        _clock(0), _clock(1), _clock(7), _clock(45), _clock(6 * 60), _clock(24 * 60),
        _clock(-1), _clock(-90),
        _append(-5), _append(-24 * 60), _append(30), _append(-3, histogram=True),
        _append(20, histogram=True), _bad_row, _rewrite_rows])


@pytest.fixture
def theme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the built-in theme that steps may edit, as a checkout's developer does."""
    folder = tmp_path_factory.mktemp("theme") / "templates"
    shutil.copytree(site_files.theme_dir(), folder)
    return folder


@settings(max_examples=20, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_an_incremental_build_equals_a_clean_build_after_any_changes(
        data: st.DataObject, tmp_path_factory: pytest.TempPathFactory, theme: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "SETTLED_NS", 50_000_000)
    original = theme.parent / "original"
    if not original.exists():
        shutil.copytree(theme, original)
    shutil.rmtree(theme)
    shutil.copytree(original, theme)
    monkeypatch.setattr(site_files, "theme_dir", lambda: theme)
    folder = tmp_path_factory.mktemp("property")
    (folder / "scratch").mkdir()
    repo = Repository(folder / "status", folder / "scratch")
    repo.check()
    for step in data.draw(st.lists(_steps(theme), min_size=2, max_size=7), label="steps"):
        step(repo)
        repo.check()


def test_a_change_of_the_packages_source_or_theme_reaches_the_outputs(tmp_path: Path) -> None:
    # An editable install: the package and theme are files anyone may change between builds.
    # The version stays the same; the outputs must not.
    package = tmp_path / "checkout" / "statuspage"
    shutil.copytree(REPO_ROOT / "statuspage", package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO_ROOT / "templates", package / "templates")
    example = tmp_path / "status"
    example.mkdir()
    shutil.copy(REPO_ROOT / "statuspage.yaml", example / "statuspage.yaml")
    shutil.copytree(REPO_ROOT / "incidents", example / "incidents")
    # (Without the site hooks, which would lead `statuspage` to the installed package.)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(package.parent), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])}

    def build() -> dict[str, bytes]:
        result = subprocess.run(
            [sys.executable, "-S", "-c", "import sys, statuspage.cli; assert 'checkout' in "
             "statuspage.cli.__file__; sys.exit(statuspage.cli.main())", "build", "--config",
             str(example / "statuspage.yaml"), "--now", "2026-11-24 12:00 +08:00"],
            env=environment, cwd=tmp_path, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        return _tree(example / "site")

    first = build()
    page = "incidents/2026-11-20-chat-api-errors/index.html"
    # A parse rule: titles are read in capitals.
    parse = package / "check/parse.py"
    parse.write_text(parse.read_text().replace('return " ".join(str(title).split())',
                                               'return " ".join(str(title).upper().split())'))
    second = build()
    assert b"ELEVATED ERROR RATE ON CHAT API" in second[page]
    assert second != first
    # The built-in theme: a component page says more than it did.
    component = package / "templates/component.html"
    component.write_text(component.read_text().replace(
        "{% block content %}", "{% block content %}<p>{{ months | length }} months shown</p>", 1))
    third = build()
    assert b"months shown</p>" in third["components/chat-api/index.html"]
    assert {k: v for k, v in third.items() if not k.startswith("components/")} == \
        {k: v for k, v in second.items() if not k.startswith("components/")}
