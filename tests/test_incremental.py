"""Incremental builds: the cache and page reuse never make a build wrong (an incremental build
equals a clean one, byte for byte), unchanged files are not rewritten, and a cache file that
this machine did not sign is never loaded."""

from __future__ import annotations

import gc
import hmac
import os
import pickle
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_NOW, REPO_ROOT, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from statuspage import build as build_module
from statuspage import i18n as i18n_module
from statuspage import write as write_module
from statuspage.incremental import making as making_module
from statuspage.incremental import parallel
from statuspage.incremental import parsed as parsed_module
from statuspage.incremental import quiet as quiet_module
from statuspage.incremental import store as cache_module
from statuspage.incremental.parsed import FORMAT, ParseCache
from statuspage.incremental.store import Store
from statuspage.outputs.record import Output
from statuspage.read import git as revisions_module
from statuspage.read.files import MAX_FILE_BYTES
from statuspage.write import spare as spare_module


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "status"
    root.mkdir()
    shutil.copy(REPO_ROOT / "statuspage.yaml", root / "statuspage.yaml")
    shutil.copytree(REPO_ROOT / "incidents", root / "incidents")
    return root


def build(root: Path, now: str = EXAMPLE_NOW) -> None:
    result = run_cli("build", "--config", str(root / "statuspage.yaml"), "--now", now)
    assert result.exit_code == 0, result.output


def test_incremental_build_equals_a_clean_build(example: Path) -> None:
    build(example)
    assert (example / ".statuspage-cache").is_dir()
    incident = example / "incidents/2026-11-20-chat-api-errors.md"
    incident.write_text(incident.read_text().replace("Error rates have been normal",
                                                     "Error rates have stayed normal"))
    (example / "incidents/2026-11-23-new.md").write_text(
        "---\ntitle: New one\nseverity: P3\nstarted: 2026-11-23 08:00\n"
        "components: {console: degraded_performance}\n---\n"
        "## Resolved — 2026-11-23 09:00\nDone.\n")
    postmortem = example / "incidents/2026-11-20-chat-api-errors.postmortem.md"
    postmortem.write_text(postmortem.read_text().replace("---\n", "---\npublished: "
                                                         "2026-11-23 10:00\n", 1))
    build(example, "2026-11-24 13:00")
    incremental = tree(example / "site")
    shutil.rmtree(example / ".statuspage-cache")
    shutil.rmtree(example / "site")
    build(example, "2026-11-24 13:00")
    assert tree(example / "site") == incremental
    assert b"Error rates have stayed normal" in incremental[
        "incidents/2026-11-20-chat-api-errors/index.html"]
    assert b'id="postmortem"' in incremental["incidents/2026-11-20-chat-api-errors/index.html"]


def test_unchanged_files_are_not_rewritten(example: Path) -> None:
    build(example)
    site = example / "site"
    quiet = site / "incidents/2026-10-14-chat-api-outage/index.html"
    edited = site / "incidents/2026-11-05-asr-long-audio-timeouts/index.html"
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (quiet, edited)}
    source = example / "incidents/2026-11-05-asr-long-audio-timeouts.md"
    source.write_text(source.read_text() + "\nOne more line.\n")
    build(example, "2026-11-24 12:30")
    assert (quiet.stat().st_ino, quiet.stat().st_mtime_ns) == before[quiet]
    assert (edited.stat().st_ino, edited.stat().st_mtime_ns) != before[edited]
    assert b"One more line." in edited.read_bytes()


class _Payload:
    """Unpickling this writes a file: proof that a cache was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path, str]]:
        return (Path.write_text, (self.marker, "loaded"))


def test_a_cache_this_machine_did_not_sign_is_never_loaded(example: Path, tmp_path: Path) -> None:
    build(example)
    cache = example / ".statuspage-cache/parsed.pickle"
    assert cache.is_file()
    marker = tmp_path / "forged-cache-was-loaded"
    cache.write_bytes(b"\0" * 32 + pickle.dumps({"key": _Payload(marker)}))
    build(example)
    assert not marker.exists()
    # Loaded for real, the same payload does run: the signature is what kept it out.
    pickle.loads(pickle.dumps(_Payload(marker)))
    assert marker.exists()


def test_reuse_follows_whether_any_incident_is_ongoing(example: Path) -> None:
    glitch = example / "incidents/2026-11-24-p3.md"
    glitch.write_text("---\ntitle: Cosmetic glitch\nseverity: P3\nstarted: 2026-11-24 10:00\n"
                      "components: {console: degraded_performance}\n---\n"
                      "## Investigating — 2026-11-24 10:05\nLooking.\n")
    (example / "incidents/2026-11-24-tts-latency.md").unlink()
    build(example)
    glitch.write_text(glitch.read_text() + "\n## Resolved — 2026-11-24 11:00\nFixed.\n")
    build(example)
    incremental = tree(example / "site")
    shutil.rmtree(example / ".statuspage-cache")
    shutil.rmtree(example / "site")
    build(example)
    assert tree(example / "site") == incremental
    assert b"data-refresh" not in incremental["incidents/2026-11-20-chat-api-errors/index.html"]


def test_pages_of_another_repository_in_the_same_output_are_not_reused(example: Path,
                                                                       tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(example, other)
    config = other / "statuspage.yaml"
    config.write_text(config.read_text().replace("title: Acme AI Status", "title: Staging"))
    shared = tmp_path / "shared"
    for root in (other, example, other):
        result = run_cli("build", "--config", str(root / "statuspage.yaml"), "--out",
                         str(shared), "--now", EXAMPLE_NOW)
        assert result.exit_code == 0, result.output
    page = (shared / "incidents/2026-11-20-chat-api-errors/index.html").read_text()
    assert "· Staging</title>" in page


def test_a_signed_cache_of_an_older_shape_is_ignored(example: Path) -> None:
    build(example)
    cache = ParseCache(example)
    assert cache.secret is not None
    payload = pickle.dumps({key: ("document", "parsed", []) for key in cache.old})
    cache.path.write_bytes(hmac.digest(cache.secret, payload, "sha256") + payload)
    assert ParseCache(example).old == {}
    build(example)


def clean_build(example: Path, tmp_path: Path, now: str) -> dict[str, bytes]:
    """Return the site a first build of the same files makes, in a folder of its own."""
    clean = tmp_path / f"clean-{len(list(tmp_path.glob('clean-*')))}"
    clean.mkdir()
    shutil.copy(example / "statuspage.yaml", clean / "statuspage.yaml")
    shutil.copytree(example / "incidents", clean / "incidents")
    if (example / "templates").is_dir():
        shutil.copytree(example / "templates", clean / "templates")
    build(clean, now)
    return tree(clean / "site")


def test_a_run_of_rebuilds_from_the_spare_site_equals_clean_builds(example: Path,
                                                                   tmp_path: Path) -> None:
    incidents = example / "incidents"
    ongoing = incidents / "2026-11-24-tts-latency.md"
    steps = [
        ("2026-11-24 12:00 +08:00", lambda: None),
        ("2026-11-24 13:00 +08:00", lambda: (incidents / "2026-11-22-voice-call-drops.md")
         .write_text((incidents / "2026-11-22-voice-call-drops.md").read_text() + "\nMore.\n")),
        ("2026-11-24 13:00 +08:00", lambda: (incidents / "2026-11-23-new.md").write_text(
            "---\ntitle: New one\nseverity: P3\nstarted: 2026-11-23 08:00\n"
            "components: {console: degraded_performance}\n---\n"
            "## Resolved — 2026-11-23 09:00\nDone.\n")),
        # A page's folder goes away: the spare's copy must not survive.
        ("2026-11-24 14:00 +08:00", lambda: (incidents / "2026-08-12-console-usage-chart.md")
         .unlink()),
        ("2026-11-24 15:00 +08:00", lambda: ongoing.write_text(
            ongoing.read_text() + "\n## Resolved — 2026-11-24 14:30 +08:00\nFixed.\n")),
        ("2026-11-24 15:00 +08:00", lambda: None),
        ("2026-12-02 09:00 +08:00", lambda: None),
    ]
    spare_place = Store(example, example / "site").spare
    assert spare_place is not None
    for now, change in steps:
        change()
        build(example, now)
        assert tree(example / "site") == clean_build(example, tmp_path, now), now
        # The record of the new output, whose folders' times were partly copied from the
        # spare's record rather than looked up, is exact: the next build can start from it.
        record = spare_module._read_record(spare_module._out_record(spare_place))
        assert record is not None and spare_module._matches(example / "site", record), now
    spare = list((example / ".statuspage-cache").glob("site-*"))
    assert [p.name.endswith(".json") for p in sorted(spare)].count(False) == 1
    assert not (example / "site/incidents/2026-08-12-console-usage-chart").exists()


def test_files_added_to_the_output_never_reach_a_later_build(example: Path,
                                                             tmp_path: Path) -> None:
    build(example)
    build(example, "2026-11-24 12:10 +08:00")  # now the replaced site waits as the spare
    site = example / "site"
    (site / "CNAME").write_text("status.example.com\n")
    (site / "incidents/2026-10-14-chat-api-outage/notes.txt").write_text("scratch\n")
    for now in ("2026-11-24 12:20 +08:00", "2026-11-24 12:30 +08:00",
                "2026-11-24 12:40 +08:00"):
        build(example, now)
        assert tree(site) == clean_build(example, tmp_path, now)


def test_a_rebuild_takes_the_pages_it_knows_unchanged_from_the_spare_site(
        example: Path, tmp_path: Path) -> None:
    # The record of a site lists the files its build wrote anew; every other file is the very
    # file of the site before it, which waits as the spare. So a rebuild keeps those from the
    # spare without looking at the output: a page replaced there by hand (not written in
    # place) is not taken for the build's own.
    build(example)
    build(example, "2026-11-24 12:10 +08:00")  # now the replaced site waits as the spare
    site = example / "site"
    page = site / "incidents/2026-10-14-chat-api-outage/index.html"
    page.unlink()
    page.write_text("replaced by hand\n")
    build(example, "2026-11-24 12:20 +08:00")
    assert tree(site) == clean_build(example, tmp_path, "2026-11-24 12:20 +08:00")


def test_an_edit_that_keeps_size_and_time_is_still_seen(example: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # Remember digests of files changed up to the build's start (not 2 s before), so that
    # the copies made just now are remembered by their status.
    monkeypatch.setattr(cache_module, "SETTLED_NS", 0)
    time.sleep(0.05)
    build(example)
    name = "incidents/2026-11-05-asr-long-audio-timeouts.md"
    assert any(shown.endswith(name) for shown in ParseCache(example).old_digests)
    source = example / name
    text = source.read_text()
    before = source.stat()
    source.write_text(text.replace("Timeouts", "TIMEOUTS"))
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert source.stat().st_size == before.st_size
    build(example)
    page = (example / "site/incidents/2026-11-05-asr-long-audio-timeouts/index.html").read_text()
    assert "TIMEOUTS" in page


def test_one_edit_writes_a_small_difference_not_the_whole_cache(example: Path,
                                                                tmp_path: Path) -> None:
    build(example)
    full = example / ".statuspage-cache/parsed.pickle"
    delta = full.with_name("parsed.delta.pickle")
    before = full.read_bytes()
    assert not delta.exists()
    source = example / "incidents/2026-11-05-asr-long-audio-timeouts.md"
    source.write_text(source.read_text() + "\nOne more line.\n")
    build(example, "2026-11-24 12:30 +08:00")
    assert full.read_bytes() == before
    assert 0 < delta.stat().st_size < len(before) / 3
    files = len(list((example / "incidents").glob("*.md")))
    assert len(ParseCache(example).old) == files  # a parsed file each, and nothing else
    source.write_text(source.read_text() + "\nAnd another.\n")
    build(example, "2026-11-24 12:40 +08:00")
    assert tree(example / "site") == clean_build(example, tmp_path, "2026-11-24 12:40 +08:00")
    # A difference is applied only to the full cache it was made for.
    cache = ParseCache(example)
    assert cache.secret is not None and delta.exists()
    payload = pickle.dumps({"format": FORMAT, "entries": {}, "digests": {}})
    full.write_bytes(hmac.digest(cache.secret, payload, "sha256") + payload)
    assert ParseCache(example).old == {}


def test_pages_made_in_several_processes_equal_pages_made_in_one(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = clean_build(example, tmp_path, EXAMPLE_NOW)
    monkeypatch.setattr(making_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert making_module.processes_for(10, making_module.PARALLEL_FROM) == 3
    build(example)
    assert tree(example / "site") == serial
    # A rebuild that reuses pages, in processes that each make several shares in turn.
    source = example / "incidents/2026-11-05-asr-long-audio-timeouts.md"
    source.write_text(source.read_text() + "\nOne more line.\n")
    build(example)
    rebuilt = tree(example / "site")
    assert rebuilt == clean_build(example, tmp_path, EXAMPLE_NOW)
    urls = [line for line in rebuilt["sitemap.xml"].decode().splitlines() if "<loc>" in line]
    assert len(urls) == len(set(urls)) > 20
    serial = rebuilt
    # A template error in a process of its own is still reported at its file and line.
    (example / "templates").mkdir()
    (example / "templates/incident.html").write_text(
        "{% extends 'default:incident.html' %}\n"
        "{% block content %}{{ no_such_variable }}{% endblock %}\n")
    result = run_cli("build", "--config", str(example / "statuspage.yaml"), "--now", EXAMPLE_NOW)
    assert result.exit_code == 1
    assert "templates/incident.html:2: error: template: 'no_such_variable' is undefined" \
        in result.output
    assert tree(example / "site") == serial


def test_a_process_that_dies_fails_the_build_instead_of_hanging(
        example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(example)
    before = tree(example / "site")
    monkeypatch.setattr(making_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    parent = os.getpid()
    render = making_module.render

    def dying(*args: Any, **kwargs: Any) -> bytes:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
        return render(*args, **kwargs)

    monkeypatch.setattr(making_module, "render", dying)
    (example / "templates").mkdir()  # a change of templates: every page is made again
    (example / "templates/404.html").write_text("{% extends 'default:404.html' %}\n")
    signal.alarm(120)  # a hang fails the test rather than the whole run
    try:
        result = run_cli("build", "--config", str(example / "statuspage.yaml"),
                         "--now", EXAMPLE_NOW)
    finally:
        signal.alarm(0)
    assert result.exit_code == 1
    assert "a process of the build stopped unexpectedly (stopped by signal 9" in result.output
    assert "the site was not changed" in result.output
    assert tree(example / "site") == before
    assert not list(example.glob(".site.tmp-*"))


def _git(root: Path, *args: str, when: str = "2026-11-20T00:00:00Z") -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def _clean_with_history(example: Path, tmp_path: Path, now: str) -> dict[str, bytes]:
    """Return the site a first build of a copy of the repository makes, git history and all."""
    clean = tmp_path / f"clean-{len(list(tmp_path.glob('clean-*')))}"
    shutil.copytree(example, clean, ignore=shutil.ignore_patterns("site", ".statuspage-cache"))
    build(clean, now)
    return tree(clean / "site")


def test_a_maintenance_announced_by_an_earlier_commit_changes_its_feed_entries(
        example: Path, tmp_path: Path) -> None:
    maintenance = "incidents/2026-12-01-db-upgrade.md"
    _git(example, "init", "-q")
    _git(example, "add", "-A")
    _git(example, "reset", "-q", maintenance)
    _git(example, "commit", "-qm", "everything but the maintenance")
    build(example)
    # Committed before its first update: the commit is when it was announced.
    _git(example, "add", maintenance)
    _git(example, "commit", "-qm", "the maintenance", when="2026-11-24T00:56:00Z")
    build(example)
    assert tree(example / "site") == _clean_with_history(example, tmp_path, EXAMPLE_NOW)


def test_committing_a_moved_window_changes_the_calendar_though_the_file_stays_the_same(
        example: Path, tmp_path: Path) -> None:
    maintenance = example / "incidents/2026-12-01-db-upgrade.md"
    _git(example, "init", "-q")
    _git(example, "add", "-A")
    _git(example, "commit", "-qm", "everything")
    text = maintenance.read_text()
    maintenance.write_text(text.replace("2026-12-01", "2026-12-02", 2))
    build(example)
    calendar = (example / "site/maintenance.ics").read_text()
    # The same bytes, now committed: the window's move has a time, which the calendar shows.
    _git(example, "commit", "-qam", "moved", when="2026-11-24T03:00:00Z")
    build(example)
    assert (example / "site/maintenance.ics").read_text() != calendar
    assert tree(example / "site") == _clean_with_history(example, tmp_path, EXAMPLE_NOW)


def test_spares_of_other_output_folders_are_pruned(example: Path, tmp_path: Path) -> None:
    for n in range(5):
        for now in (EXAMPLE_NOW, "2026-11-24 12:10 +08:00"):  # the second sets a spare aside
            result = run_cli("build", "--config", str(example / "statuspage.yaml"), "--out",
                             str(tmp_path / f"out-{n}"), "--now", now)
            assert result.exit_code == 0, result.output
    spares = [p for p in (example / ".statuspage-cache").glob("site-*") if p.is_dir()]
    assert len(spares) == cache_module.SPARES
    records = list((example / ".statuspage-cache").glob("site-*.json"))
    assert len(records) <= 2 * cache_module.SPARES


def test_a_parsing_process_that_dies_fails_the_build_too(
        example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(example)
    before = tree(example / "site")
    shutil.rmtree(example / ".statuspage-cache")
    monkeypatch.setattr(parsed_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    parent = os.getpid()
    parse_document = parsed_module.parse_document

    def dying(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return parse_document(*args, **kwargs)

    monkeypatch.setattr(parsed_module, "parse_document", dying)
    signal.alarm(120)
    try:
        result = run_cli("build", "--config", str(example / "statuspage.yaml"),
                         "--now", EXAMPLE_NOW)
    finally:
        signal.alarm(0)
    assert result.exit_code == 1
    assert "stopped unexpectedly" in result.output
    assert tree(example / "site") == before


def _rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return the list that the path of each output made from now on is added to."""
    made: list[str] = []
    render = making_module.render

    def recording(env: Any, output: Output, *args: Any) -> bytes:
        made.append(output.path)
        return render(env, output, *args)
    monkeypatch.setattr(making_module, "render", recording)
    return made


@pytest.mark.parametrize("page", ["components/chat-api/index.html", "uptime/index.html"])
def test_uptime_pages_are_kept_while_what_they_show_stands_still(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    (example / "incidents/2026-11-24-tts-latency.md").unlink()  # nothing ongoing
    made = _rendered(monkeypatch)
    # Seven seconds on, every figure that includes today has moved, but not as shown; ten
    # minutes on it may have; after midnight the bars have moved.
    steps = [("2026-11-24 12:00:00 +08:00", False), ("2026-11-24 12:00:07 +08:00", True),
             ("2026-11-24 12:10:00 +08:00", None), ("2026-11-25 00:30:00 +08:00", False)]
    for now, reused in steps:
        made.clear()
        build(example, now)
        if reused is not None:
            assert (page not in made) == reused, now
        assert tree(example / "site") == clean_build(example, tmp_path, now), now


def test_an_edit_of_an_incidents_words_or_times_gives_what_a_clean_build_gives(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = _rendered(monkeypatch)
    build(example)
    incident = example / "incidents/2026-07-16-chat-api-rate-limits.md"
    text = incident.read_text()
    incident.write_text(text.replace("were not billed", "were not charged"))
    made.clear()
    build(example)
    assert "incidents/2026-07-16-chat-api-rate-limits/index.html" in made
    assert "incidents/2026-11-20-chat-api-errors/index.html" not in made
    assert tree(example / "site") == clean_build(example, tmp_path, EXAMPLE_NOW)
    # An earlier first update changes the response record of its quarter (not its downtime).
    incident.write_text(text.replace("## Investigating — 2026-07-16 08:51",
                                     "## Investigating — 2026-07-16 08:30"))
    made.clear()
    build(example)
    assert "uptime/index.html" in made
    assert tree(example / "site") == clean_build(example, tmp_path, EXAMPLE_NOW)


def test_with_templates_of_its_own_component_pages_follow_the_exact_figures(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (example / "incidents/2026-11-24-tts-latency.md").unlink()
    (example / "templates").mkdir()
    (example / "templates/component.html").write_text(
        "{% extends 'default:component.html' %}{% block description %}counted "
        "{{ figure.days[-1].figure.counted }} s{% endblock %}\n")
    made = _rendered(monkeypatch)
    for now in ("2026-11-24 12:00:00 +08:00", "2026-11-24 12:00:07 +08:00"):
        made.clear()
        build(example, now)
        assert {"components/chat-api/index.html", "uptime/index.html"} <= set(made)
        assert tree(example / "site") == clean_build(example, tmp_path, now), now
    assert "counted 43207.0 s" in (example / "site/components/chat-api/index.html").read_text()


def _full_builds(monkeypatch: pytest.MonkeyPatch, settled: bool = True) -> list[str]:
    """Return the list that gets an entry each time a build reads the incident files (a full
    build; a quiet one does not). If `settled`, files count as settled at once (a build only
    trusts file times that are two seconds old, and the files here were just copied)."""
    if settled:
        monkeypatch.setattr(cache_module, "SETTLED_NS", 0)
    calls: list[str] = []
    check = build_module._check

    def recording(*args: Any) -> Any:
        calls.append("full")
        return check(*args)
    monkeypatch.setattr(build_module, "_check", recording)
    return calls


def test_a_rebuild_when_only_the_clock_moved_remakes_only_what_the_clock_moves(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (example / "incidents/2026-11-24-tts-latency.md").unlink()  # nothing ongoing
    # A component without incidents: its feeds have no entry, so their time is the build's.
    settings = example / "statuspage.yaml"
    settings.write_text(settings.read_text().replace(
        "components:\n", "components:\n  - id: fax\n    name: Fax gateway\n", 1))
    full = _full_builds(monkeypatch)
    build(example, "2026-11-24 12:00:00 +08:00")
    page = example / "site/incidents/2026-11-20-chat-api-errors/index.html"
    feed = (example / "site/components/fax/history.atom").read_bytes()
    before = page.stat().st_mtime_ns
    full.clear()
    made = _rendered(monkeypatch)
    build(example, "2026-11-24 12:00:07 +08:00")
    assert full == []
    empty = [f.parent.relative_to(example / "site").as_posix() for f in
             (example / "site/components").glob("*/history.atom") if b"<entry>" not in
             f.read_bytes()]
    assert "components/fax" in empty
    # What shows the time itself; the uptime and component pages and the badges show the same
    # as before.
    assert set(made) == {"index.html", "api/uptime.json", "api/metrics.json",
                         *(f"{c}/history.{kind}" for c in empty for kind in ("atom", "rss"))}
    assert page.stat().st_mtime_ns == before
    assert (example / "site/components/fax/history.atom").read_bytes() != feed
    assert tree(example / "site") == clean_build(example, tmp_path, "2026-11-24 12:00:07 +08:00")


def test_quiet_rebuilds_stop_where_anything_but_the_clock_would_change(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (example / "incidents/2026-11-24-tts-latency.md").unlink()
    full = _full_builds(monkeypatch)
    # (time, quiet?): midnight; the maintenance window opening at 02:00 and closing at 04:00
    # (no rebuild is quiet while it is under way); None where either may be right (the
    # figures shown may have moved in an hour).
    steps = [("2026-11-30 23:00:00 +08:00", False), ("2026-11-30 23:59:59 +08:00", True),
             ("2026-12-01 00:00:01 +08:00", False), ("2026-12-01 01:59:59 +08:00", None),
             ("2026-12-01 02:00:01 +08:00", False), ("2026-12-01 02:00:09 +08:00", False),
             ("2026-12-01 04:30:00 +08:00", False), ("2026-12-01 04:30:05 +08:00", True),
             ("2026-12-01 04:29:00 +08:00", False)]  # back in time: built in full
    for now, quiet in steps:
        full.clear()
        build(example, now)
        if quiet is not None:
            assert (full == []) == quiet, now
        assert tree(example / "site") == clean_build(example, tmp_path, now), now


@pytest.mark.parametrize("change", ["incident", "settings", "template", "commit"])
def test_any_change_of_input_makes_a_full_build(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    (example / "incidents/2026-11-24-tts-latency.md").unlink()

    _git(example, "init", "-q")
    _git(example, "add", "incidents")
    _git(example, "commit", "-qm", "incidents")
    full = _full_builds(monkeypatch)
    build(example)
    build(example, "2026-11-24 12:00:03 +08:00")
    assert full == ["full"]  # the second was quiet
    full.clear()
    if change == "incident":
        incident = example / "incidents/2026-11-20-chat-api-errors.md"
        incident.write_text(incident.read_text() + "\nOne more line.\n")
    elif change == "settings":
        settings = example / "statuspage.yaml"
        settings.write_text(settings.read_text().replace("name: Chat API", "name: Chat", 1))
    elif change == "template":
        (example / "templates").mkdir()
        (example / "templates/404.html").write_text("gone\n")
    else:  # what git says of the maintenance changes, though no file does
        _git(example, "add", "-A")
        _git(example, "commit", "-qm", "the rest")
    build(example, "2026-11-24 12:00:07 +08:00")
    assert full == ["full"]
    assert tree(example / "site") == _clean_with_history(example, tmp_path,
                                                         "2026-11-24 12:00:07 +08:00")


def test_compiled_templates_follow_the_settings_and_ignore_files_not_signed_here(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(example)
    folders = list((example / ".statuspage-cache").glob("templates-*"))
    assert len(folders) == 1 and list(folders[0].iterdir())
    # Jinja folds filters of fixed values (labels, months) into compiled code, in the
    # site's language: a change of language must not be served the English code.
    settings = example / "statuspage.yaml"
    settings.write_text(settings.read_text().replace("language: en", "language: zh-CN"))
    build(example)
    assert tree(example / "site") == clean_build(example, tmp_path, EXAMPLE_NOW)
    assert [f.name for f in (example / ".statuspage-cache").glob("templates-*")] != \
        [f.name for f in folders]
    # Compiled code that this machine did not sign is never loaded.
    marker = tmp_path / "forged-template-was-loaded"
    for compiled in next((example / ".statuspage-cache").glob("templates-*")).iterdir():
        compiled.write_bytes(b"\0" * 32 + pickle.dumps(_Payload(marker)))
    (example / "incidents/2026-11-24-tts-latency.md").unlink()
    build(example)
    assert not marker.exists()
    assert tree(example / "site") == clean_build(example, tmp_path, EXAMPLE_NOW)


def test_a_changed_catalog_makes_templates_and_pages_anew(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Fixed texts are part of the compiled templates, and of the pages kept from build to
    # build: a new translation (an upgrade, a fix in a checkout) must reach every page.
    settings = example / "statuspage.yaml"
    settings.write_text(settings.read_text().replace("language: en", "language: zh-CN"))
    build(example)
    page = example / "site/incidents/2026-11-03-webhooks-delivery-delays/index.html"
    assert 'history/">历史</a>' in page.read_text()
    # The catalog is part of the package, as a checkout's edit or an upgrade changes it.
    catalog = tmp_path / "package/locale/zh_CN/LC_MESSAGES/messages.po"
    catalog.parent.mkdir(parents=True)
    source = i18n_module.catalog_source("zh-CN").decode()
    catalog.write_text(source.replace('msgstr "历史"', 'msgstr "过往"'))
    monkeypatch.setattr(i18n_module, "catalog_source", lambda language: catalog.read_bytes())
    identity = build_module.code_identity
    monkeypatch.setattr(build_module, "code_identity",
                        lambda package, theme: identity(catalog.parents[3], theme))
    build(example, "2026-11-24 12:00:05 +08:00")
    assert 'history/">过往</a>' in page.read_text()
    assert 'history/">历史</a>' not in page.read_text()


def test_a_file_changed_just_before_a_build_is_not_trusted_for_a_quiet_rebuild(
        example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Its size and times could stay the same through a second change within the file
    # system's clock tick, so the build after it reads the files again.
    (example / "incidents/2026-11-24-tts-latency.md").unlink()
    full = _full_builds(monkeypatch, settled=False)
    build(example)  # (copied a moment ago)
    build(example, "2026-11-24 12:00:03 +08:00")
    assert full == ["full", "full"]


def test_a_key_file_cut_short_is_replaced_and_never_signs(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An empty key (a write cut short) would sign with what anyone can guess: a snapshot
    # forged with it, committed to the repository, must not be loaded.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user"))
    (tmp_path / "user/statuspage").mkdir(parents=True)
    (tmp_path / "user/statuspage/key").write_bytes(b"")
    marker = tmp_path / "forged-snapshot-was-loaded"
    head = Store(example, example / "site").path("quiet")
    assert head is not None
    payload = pickle.dumps(_Payload(marker))
    head.write_bytes(hmac.digest(b"", payload, "sha256") + payload)
    build(example)
    assert not marker.exists()
    key = (tmp_path / "user/statuspage/key").read_bytes()
    assert len(key) == 32 and cache_module.secret() == key


def test_with_templates_of_its_own_rebuilds_are_quiet_too(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A page gets the time only if it reads the clock: a template of the repository's own
    # can't show it anywhere else, so it can't be out of date there.
    (example / "incidents/2026-11-24-tts-latency.md").unlink()
    (example / "templates").mkdir()
    (example / "templates/index.html").write_text(
        "{% extends 'default:index.html' %}{% block title %}{{ now }}{% endblock %}\n")
    full = _full_builds(monkeypatch)
    for now in ("2026-11-24 12:00:00 +08:00", "2026-11-24 12:05:00 +08:00"):
        full.clear()
        build(example, now)
        assert full == (["full"] if now.endswith("00:00 +08:00") else [])
        assert tree(example / "site") == clean_build(example, tmp_path, now)
    (example / "templates/404.html").write_text("made at {{ now }}\n")
    result = run_cli("build", "--config", str(example / "statuspage.yaml"), "--now", EXAMPLE_NOW)
    assert result.exit_code == 1
    assert "templates/404.html:1: error: template: 'now' is undefined" in result.output


def test_what_git_could_not_say_is_asked_again(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    maintenance = example / "incidents/2026-12-01-db-upgrade.md"
    _git(example, "init", "-q")
    _git(example, "add", "-A")
    _git(example, "commit", "-qm", "everything")
    maintenance.write_text(maintenance.read_text().replace("2026-12-01", "2026-12-02", 2))
    _git(example, "commit", "-qam", "moved", when="2026-11-22T00:00:00Z")
    monkeypatch.setattr(revisions_module, "_history", lambda root, current: None)
    build(example)
    assert "SEQUENCE:0" in (example / "site/maintenance.ics").read_text()
    monkeypatch.undo()
    build(example)
    assert "SEQUENCE:1" in (example / "site/maintenance.ics").read_text()


def test_deepening_a_shallow_clone_counts_as_new_history(example: Path) -> None:
    _git(example, "init", "-q")
    _git(example, "add", "-A")
    _git(example, "commit", "-qm", "first")
    _git(example, "commit", "-q", "--allow-empty", "-m", "second")
    before = quiet_module.git_head(example)
    assert before
    first = subprocess.run(["git", "rev-parse", "HEAD~1"], cwd=example, capture_output=True,
                           text=True, check=True).stdout
    (example / ".git/shallow").write_text(first)  # as a clone with --depth 1 has
    assert quiet_module.git_head(example) != before


def test_a_folder_refused_for_its_size_leaves_the_cache_as_it_was(
        example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(example)
    before = ParseCache(example).old
    assert before
    monkeypatch.setattr(build_module, "scan_documents", lambda folder: None)  # too many
    result = run_cli("build", "--config", str(example / "statuspage.yaml"), "--now", EXAMPLE_NOW)
    assert result.exit_code == 1 and "refusing to read" in result.output
    assert ParseCache(example).old.keys() == before.keys()


def test_the_postmortems_page_is_kept_until_its_list_changes(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    postmortem = example / "incidents/2026-11-20-chat-api-errors.postmortem.md"
    postmortem.write_text(postmortem.read_text().replace("---\n", "---\npublished: "
                                                         "2026-11-24 15:00\n", 1))
    build(example)
    assert b"2026-11-20-chat-api-errors" not in (
        example / "site/postmortems/index.html").read_bytes()
    made = _rendered(monkeypatch)
    source = example / "incidents/2026-11-05-asr-long-audio-timeouts.md"
    source.write_text(source.read_text() + "\nOne more line.\n")
    build(example, "2026-11-24 12:30")
    assert "incidents/2026-11-05-asr-long-audio-timeouts/index.html" in made
    assert "postmortems/index.html" not in made
    # Its publication time reached, with no file changed, the postmortem is listed.
    build(example, "2026-11-24 15:30")
    assert "postmortems/index.html" in made
    listed = tree(example / "site")
    assert b"2026-11-20-chat-api-errors" in listed["postmortems/index.html"]
    assert listed == clean_build(example, tmp_path, "2026-11-24 15:30")


def test_files_read_and_parsed_in_processes_give_the_site_one_process_gives(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = clean_build(example, tmp_path, EXAMPLE_NOW)
    monkeypatch.setattr(parsed_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    build(example)
    assert tree(example / "site") == serial
    # A file touched but not changed is read again (its status moved), not parsed again.
    parsed: list[str] = []
    parse_document = parsed_module.parse_document

    def counting(document: Any, *args: Any) -> Any:
        parsed.append(document.shown)
        return parse_document(document, *args)

    monkeypatch.setattr(parsed_module, "PARALLEL_FROM", 10_000)
    monkeypatch.setattr(parsed_module, "parse_document", counting)
    touched = example / "incidents/2026-11-05-asr-long-audio-timeouts.md"
    os.utime(touched, (time.time() - 60, time.time() - 60))
    edited = example / "incidents/2026-10-14-chat-api-outage.md"
    edited.write_text(edited.read_text() + "\nOne more line.\n")
    build(example)
    assert [Path(p).name for p in parsed] == [edited.name]


def test_a_build_leaves_the_callers_garbage_collector_as_it_was(example: Path) -> None:
    # `serve` builds again and again in one process, as a library user may.
    before = gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()
    build(example)
    source = example / "incidents/2026-11-05-asr-long-audio-timeouts.md"
    source.write_text(source.read_text() + "\nOne more line.\n")
    build(example, "2026-11-24 12:30")
    assert (gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()) == before


def test_a_file_too_large_is_told_at_its_size_now(example: Path) -> None:
    build(example)
    big = example / "incidents/2026-11-20-big.md"
    big.write_text("---\ntitle: Big\nseverity: P2\n---\n" + "x" * (MAX_FILE_BYTES + 10))
    config = str(example / "statuspage.yaml")
    sizes = []
    for _ in range(2):
        result = run_cli("build", "--config", config, "--now", EXAMPLE_NOW)
        assert result.exit_code == 1
        sizes.append(big.stat().st_size)
        assert f"file is {sizes[-1]:,} bytes" in result.output, result.output
        with big.open("a") as handle:
            handle.write("y" * 5000)
    assert sizes[0] != sizes[1]


def test_work_shared_among_processes_comes_back_in_order_or_fails_whole() -> None:
    pieces = list(range(40))
    assert parallel.shared(lambda n: n * n, pieces, 3) == [n * n for n in pieces]
    parent = os.getpid()

    def raising(n: int) -> int:
        if os.getpid() != parent:
            raise ValueError(f"piece {n} in a process of its own")
        time.sleep(0.05)  # (time for the other process to start and take a piece)
        return n

    with pytest.raises(parallel.ProcessFailed, match=r"ValueError: piece \d+ in a process"):
        parallel.shared(raising, pieces, 2)
    # With another thread running, nothing is forked: the work is done here, in turn.
    waiting = threading.Event()
    other = threading.Thread(target=waiting.wait)
    other.start()
    try:
        assert parallel.processes_for(10_000, 1) == 1
        assert parallel.shared(lambda n: os.getpid(), pieces, 2) == [os.getpid()] * 40
    finally:
        waiting.set()
        other.join()


_NAMES = st.sampled_from(["a", "b", "a/b", "a/c", "a/b/c", "a/b/d", "b/a", "b/a/index.html"])


def _consistent(files: dict[str, bytes]) -> bool:
    """Return whether no path of `files` is also the folder of another."""
    return not any(other.startswith(name + "/") for name in files for other in files)


@settings(max_examples=300, deadline=None)
@given(sites=st.lists(st.tuples(st.dictionaries(_NAMES, st.sampled_from([b"1", b"2", b"33"]),
                                                max_size=6).filter(_consistent),
                                st.booleans(), st.booleans()), min_size=1, max_size=6))
def test_sites_written_in_turn_from_spares_hold_exactly_their_files(
        sites: list[tuple[dict[str, bytes], bool, bool]],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # Files become folders and folders files from one site to the next; unchanged files are
    # sometimes written again and sometimes reused, and a spare is sometimes set aside
    # between builds (as `serve` does). Each site must hold its files and nothing else, and
    # its record must match it, so that it can be the next spare.
    root = tmp_path_factory.mktemp("writer")
    out, spare = root / "site", root / "cache" / "site-spare"
    spare.parent.mkdir()
    before: dict[str, bytes] = {}
    for files, reuse, aside in sites:
        writer = write_module.SiteWriter(out, spare)
        for name, data in files.items():
            if not (reuse and before.get(name) == data and writer.reuse(name)):
                writer.write(name, data)
        writer.commit()
        assert {k: v for k, v in tree(out).items() if k != write_module.MARKER} == files
        record = spare_module._read_record(spare_module._out_record(spare))
        assert record is not None and spare_module._matches(out, record)
        if aside and write_module.set_aside(out, spare):
            kept = spare_module._read_record(spare_module._spare_record(spare))
            assert kept is not None and spare_module._matches(spare, kept)
            assert {k: v for k, v in tree(spare).items() if k != write_module.MARKER} == files
        before = files


def _write_site(out: Path, spare: Path, files: dict[str, bytes],
                writer: write_module.SiteWriter | None = None) -> None:
    writer = writer or write_module.SiteWriter(out, spare)
    for name, data in files.items():
        writer.write(name, data)
    writer.commit()


def test_a_file_replaced_in_the_output_by_what_the_build_makes_is_still_written(
        tmp_path: Path) -> None:
    # The spare's copy of a file is compared, not the output's (which is not published).
    out, spare = tmp_path / "site", tmp_path / "cache" / "site-spare"
    spare.parent.mkdir()
    _write_site(out, spare, {"f": b"A", "g": b"G", "h": b"H"})
    _write_site(out, spare, {"f": b"A", "g": b"G2", "h": b"H"})
    (out / "f").unlink()
    (out / "f").write_bytes(b"B")  # a new file, as `git pull` of a committed site makes
    _write_site(out, spare, {"f": b"B", "g": b"G2", "h": b"H"})
    assert (out / "f").read_bytes() == b"B"


def test_builds_that_overlap_leave_no_stale_file_for_a_later_one(tmp_path: Path) -> None:
    # A build that replaces an output another build replaced meanwhile can't tell which
    # files are the spare's very files; the next build must not take them for such.
    out, spare = tmp_path / "site", tmp_path / "cache" / "site-spare"
    spare.parent.mkdir()
    _write_site(out, spare, {"f": b"A", "g": b"G", "h": b"H"})
    _write_site(out, spare, {"f": b"A", "g": b"G2", "h": b"H"})
    first = write_module.SiteWriter(out, spare)  # claims the spare
    _write_site(out, spare, {"f": b"A", "g": b"G3", "h": b"H"})  # starts afresh, ends first
    _write_site(out, spare, {"f": b"A", "g": b"G3", "h": b"H"}, first)
    assert (out / "g").read_bytes() == b"G3"
    later = write_module.SiteWriter(out, spare)
    for name in ("f", "g", "h"):  # unchanged, as the page keys would say
        assert later.reuse(name)
    later.commit()
    assert tree(out) == {write_module.MARKER: write_module.MARKER_TEXT,
                         "f": b"A", "g": b"G3", "h": b"H"}


def test_a_spare_set_aside_after_a_first_build_is_where_the_next_build_starts(
        tmp_path: Path) -> None:
    out, spare = tmp_path / "site", tmp_path / "cache" / "site-spare"
    spare.parent.mkdir()
    files = {"index.html": b"i", "incidents/a/index.html": b"a", "incidents/b/index.html": b"b"}
    _write_site(out, spare, files)
    assert write_module.set_aside(out, spare)
    assert not write_module.set_aside(out, spare)  # there is one already
    later = write_module.SiteWriter(out, spare)
    assert later._unchanged == set(files)  # each known to be the output's very file
    later.write("incidents/a/index.html", b"a2")
    for name in ("index.html", "incidents/b/index.html"):
        assert later.reuse(name)
    later.commit()
    assert tree(out) == {write_module.MARKER: write_module.MARKER_TEXT, **files,
                         "incidents/a/index.html": b"a2"}
