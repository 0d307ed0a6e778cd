"""Crash safety on a few thousand incidents: a build killed with SIGKILL at any moment leaves
the old site or the new one, whole; the next build succeeds; two builds at once do not corrupt
the output; the output never follows a symbolic link out of its folder."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, Repo

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
from generate import write

OLD, NEW = "2026-11-24 11:00", "2026-11-24 12:00"


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def build(config: Path, out: Path, now: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "statuspage.cli", "build", "--config",
                             str(config), "--out", str(out), "--now", now],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], dict[str, str]]:
    root = tmp_path_factory.mktemp("big") / "status"
    write(root, incidents=2000, years=2, components=20)
    config = root / "statuspage.yaml"
    assert build(config, root / "reference", NEW).wait() == 0
    assert build(config, root / "site", OLD).wait() == 0
    return config, digest(root / "site"), digest(root / "reference")


def test_sigkill_at_any_moment_leaves_a_whole_site(big) -> None:  # type: ignore[no-untyped-def]
    config, old, new = big
    site = config.parent / "site"
    assert old != new and len(new) > 2000
    started = time.perf_counter()
    assert build(config, config.parent / "timing", NEW).wait() == 0
    duration = time.perf_counter() - started
    outcomes = []
    for fraction in (0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 1.05):
        process = build(config, site, NEW)
        time.sleep(duration * fraction)
        process.kill()
        process.wait()
        found = digest(site)
        assert found in (old, new), f"a build killed at {fraction:.0%} left a broken site"
        outcomes.append("new" if found == new else "old")
        if found == new:
            assert build(config, site, OLD).wait() == 0
    assert build(config, site, NEW).wait() == 0
    assert digest(site) == new
    assert sorted(p.name for p in config.parent.iterdir() if p.name.startswith(".site")) == []
    assert "old" in outcomes


def test_two_builds_at_once_leave_one_whole_site(big) -> None:  # type: ignore[no-untyped-def]
    config, _old, new = big
    site = config.parent / "site"
    first, second = build(config, site, NEW), build(config, site, NEW)
    assert (first.wait(), second.wait()) == (0, 0)
    assert digest(site) == new
    assert sorted(p.name for p in config.parent.iterdir() if p.name.startswith(".site")) == []


def test_output_that_is_a_symbolic_link_is_refused(repo: Repo, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo.root / "site").symlink_to(elsewhere)
    result = repo.build()
    assert result.exit_code == 1
    assert "is a symbolic link; give the real folder" in result.output
    assert list(elsewhere.iterdir()) == []


def test_incident_linked_from_outside_is_skipped(repo: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text("---\ntitle: SECRET-OUTSIDE\nseverity: P1\nstarted: 2026-11-20 09:00\n---\n")
    (repo.root / "incidents" / "2026-11-20-linked.md").symlink_to(outside)
    result = repo.build()
    assert result.exit_code == 0, result.output
    assert (f"{repo.root}/incidents/2026-11-20-linked.md: warning: a link to a file outside the "
            "repository; skipped") in result.output
    assert not any(b"SECRET-OUTSIDE" in p.read_bytes()
                   for p in repo.site.rglob("*") if p.is_file())
