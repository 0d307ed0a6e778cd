"""Measured data in incremental builds: a new row remakes what shows it and nothing else, a
rebuild with only the clock moved notices a new row, a file that only grew has only its new
bytes read, and every rebuild equals a clean build."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, run_cli
from test_incremental import _full_builds, _rendered, tree

from statuspage.incremental import metrics as metrics_module
from statuspage.incremental import store as store_module
from statuspage.read import metrics as read_module

NOW = "2026-11-24 12:00:00 +08:00"


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(store_module, "SETTLED_NS", 50_000_000)
    root = tmp_path / "status"
    root.mkdir()
    shutil.copy(REPO_ROOT / "statuspage.yaml", root / "statuspage.yaml")
    shutil.copytree(REPO_ROOT / "incidents", root / "incidents")
    shutil.copytree(REPO_ROOT / "metrics", root / "metrics")
    (root / "incidents/2026-11-24-tts-latency.md").unlink()  # nothing ongoing
    return root


def build(root: Path, now: str = NOW) -> None:
    time.sleep(0.06)  # files settle 50 ms after they change (see the fixture)
    result = run_cli("build", "--config", str(root / "statuspage.yaml"), "--now", now)
    assert result.exit_code == 0, result.output


def clean(root: Path, tmp_path: Path, now: str = NOW) -> dict[str, bytes]:
    copy = tmp_path / f"clean-{len(list(tmp_path.glob('clean-*')))}"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("site", ".statuspage-cache"))
    build(copy, now)
    return tree(copy / "site")


def _append(root: Path, component: str, row: str) -> None:
    with (root / f"metrics/{component}/2026-11.csv").open("a") as handle:
        handle.write(row)


def test_a_new_row_remakes_only_what_shows_it(example: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    build(example)
    made = _rendered(monkeypatch)
    _append(example, "chat-api", "2026-11-24T11:55:00+08:00,1,1,2500\n")
    build(example, NOW)
    # The day's figures move: the component's page, the uptime page's month, the front
    # page's line and the API; no other component's page, no incident. (The feeds of a
    # component without incidents show the build's time: made at every build.)
    assert set(made) == {"index.html", "api/uptime.json", "api/metrics.json",
                         "components/chat-api/index.html", "uptime/index.html",
                         "components/tts/history.atom", "components/tts/history.rss"}
    assert tree(example / "site") == clean(example, tmp_path)


def test_a_new_row_is_taken_in_by_a_rebuild_with_only_the_clock_moved(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(example)
    full = _full_builds(monkeypatch)
    build(example, "2026-11-24 12:00:05 +08:00")
    page = (example / "site/components/streaming/index.html").read_bytes()
    _append(example, "streaming", "2026-11-24T04:00:00Z,100,50,1,2,3,4,5,6\n")
    build(example, "2026-11-24 12:00:10 +08:00")
    assert full == []  # both quiet: the figures are measured again, nothing else
    assert (example / "site/components/streaming/index.html").read_bytes() != page
    assert tree(example / "site") == clean(example, tmp_path, "2026-11-24 12:00:10 +08:00")


def test_a_row_after_now_counts_once_its_time_comes(example: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _append(example, "chat-api", "2026-11-24T12:30:00+08:00,1,1,\n")
    build(example)
    full = _full_builds(monkeypatch)
    build(example, "2026-11-24 12:29:00 +08:00")
    before = (example / "site/api/metrics.json").read_bytes()
    build(example, "2026-11-24 12:31:00 +08:00")
    assert full == []  # quiet
    assert json.loads((example / "site/api/metrics.json").read_bytes())["components"] != \
        json.loads(before)["components"]
    assert tree(example / "site") == clean(example, tmp_path, "2026-11-24 12:31:00 +08:00")


def test_an_error_in_the_data_fails_a_quiet_rebuild_and_keeps_the_site(
        example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(example)
    before = tree(example / "site")
    full = _full_builds(monkeypatch)
    _append(example, "chat-api", "2026-11-24T11:57:00+08:00,1,2,100\n")
    time.sleep(0.06)
    result = run_cli("build", "--config", str(example / "statuspage.yaml"), "--now", NOW)
    assert result.exit_code == 1 and full == []
    assert "metrics/chat-api/2026-11.csv:" in result.output and "errors" in result.output
    assert tree(example / "site") == before


def test_a_file_that_only_grew_is_read_from_where_it_ended(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(example)
    started: list[int] = []
    read_file = metrics_module.read_file

    def recording(data: bytes, shown: str, component: str, zone: Any,
                  known: Any = None) -> Any:
        started.append(0 if known is None else known.end)
        return read_file(data, shown, component, zone, known)
    monkeypatch.setattr(metrics_module, "read_file", recording)
    path = example / "metrics/chat-api/2026-11.csv"
    size = path.stat().st_size
    _append(example, "chat-api", "2026-11-24T11:56:00+08:00,1,0,120\n")
    build(example)
    assert started == [size]
    # An edit that is not an append: read whole, and the same as a clean build.
    started.clear()
    path.write_text(path.read_text().replace(",1,0,", ",1,1,", 1))
    build(example)
    assert started == [0]
    assert tree(example / "site") == clean(example, tmp_path)
    assert read_module.MAX_PROBLEMS == 20


def test_latencies_read_under_another_time_zone_are_not_used(example: Path,
                                                              tmp_path: Path) -> None:
    build(example)
    settings = example / "statuspage.yaml"
    settings.write_text(settings.read_text().replace("timezone: Asia/Shanghai",
                                                     "timezone: America/New_York"))
    build(example)
    # The next day's figures read the kept latencies back (those of the day before today
    # are no longer in memory): they must be those grouped by New York's days.
    build(example, "2026-11-25 12:00:00 +08:00")
    assert tree(example / "site") == clean(example, tmp_path, "2026-11-25 12:00:00 +08:00")


def test_a_file_that_failed_to_read_is_kept_anew_once_mended(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(example)
    path = example / "metrics/chat-api/2026-11.csv"
    good = path.read_bytes()
    _append(example, "chat-api", "2026-11-24T11:57:00+08:00,1,2,100\n")
    time.sleep(0.06)
    failed = run_cli("build", "--config", str(example / "statuspage.yaml"), "--now", NOW)
    assert failed.exit_code == 1
    path.write_bytes(good)
    forgotten: list[object] = []
    forget = metrics_module._forget

    def recording(store: Any) -> Any:
        forgotten.append(store)
        return forget(store)
    monkeypatch.setattr(metrics_module, "_forget", recording)
    build(example)
    build(example, "2026-11-25 12:00:00 +08:00")
    assert forgotten == []  # what is kept of each file reads back: no file is read again
    assert tree(example / "site") == clean(example, tmp_path, "2026-11-25 12:00:00 +08:00")
