"""Feeds and calendar, read back by the clients subscribers use: feedparser, icalendar, vobject."""

from __future__ import annotations

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import feedparser
import icalendar
import pytest
import vobject
import yaml
from conftest import REPO_ROOT, Repo, run_cli

URL = "https://status.acme-ai.example/"
TITLE = "Acme AI Status"
EXAMPLE_NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone(timedelta(hours=8)))
DRAFT = "2026-11-22-voice-call-drops"
ATOM = "{http://www.w3.org/2005/Atom}"
HEADING = re.compile(r"^## +[A-Za-z][A-Za-z _]*? +[—|·-] +(.+?)\s*$", re.MULTILINE)


def front_matter(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])
    assert isinstance(data, dict)
    return data


def published_sources() -> dict[str, dict[str, Any]]:
    """Return the example's published incident and maintenance files, by slug."""
    found = {}
    for path in sorted((REPO_ROOT / "incidents").glob("*.md")):
        if path.name.endswith(".postmortem.md"):
            continue
        meta = front_matter(path)
        if not meta.get("draft"):
            found[path.stem] = {"meta": meta, "text": path.read_text(encoding="utf-8")}
    return found


def entry_link(slug: str, meta: dict[str, Any]) -> str:
    kind = "maintenance" if meta.get("type") == "maintenance" else "incidents"
    return f"{URL}{kind}/{slug}/"


def heading_time(text: str) -> datetime:
    """Parse an update heading's timestamp; without an offset it is in Asia/Shanghai."""
    moment = datetime.fromisoformat(text.replace(" +", "+").replace(" -", "-"))
    return moment if moment.tzinfo else moment.replace(tzinfo=EXAMPLE_NOW.tzinfo)


def parse(path: Path, **options: Any) -> Any:
    feed = feedparser.parse(path.read_bytes(), **options)
    assert not feed.bozo, (path, feed.get("bozo_exception"))
    return feed


def test_history_feeds_hold_one_entry_per_published_item(example_site: Path) -> None:
    sources = published_sources()
    expected = {entry_link(slug, s["meta"]) for slug, s in sources.items()}
    assert len(expected) == 10
    atom = parse(example_site / "history.atom")
    rss = parse(example_site / "history.rss")
    assert atom.version == "atom10" and rss.version == "rss20"
    for feed in (atom, rss):
        assert feed.feed.title == f"{TITLE}: incident history"
        assert feed.feed.link == URL
        assert sorted(entry.link for entry in feed.entries) == sorted(expected)
    self_links = [link.href for link in atom.feed.links if link.rel == "self"]
    assert self_links == [f"{URL}history.atom"]
    assert atom.feed.id == f"{URL}history.atom"
    assert all(entry.id.startswith(URL) for entry in atom.entries)


def test_every_feed_is_newest_first_with_aware_dates(example_site: Path) -> None:
    feeds = sorted(example_site.glob("**/*.atom")) + sorted(example_site.glob("**/*.rss"))
    assert len(feeds) == 3 + 2 * 7
    for path in feeds:
        feed = parse(path)
        assert feed.entries, path
        if path.suffix == ".atom":
            raw = ET.parse(path).getroot()
            stamps = [datetime.fromisoformat(e.findtext(f"{ATOM}updated") or "")
                      for e in raw.iter(f"{ATOM}entry")]
            published = [datetime.fromisoformat(e.findtext(f"{ATOM}published") or "")
                          for e in raw.iter(f"{ATOM}entry")]
            feed_updated = datetime.fromisoformat(raw.findtext(f"{ATOM}updated") or "")
            assert feed_updated == max(stamps)
            assert all(p <= u for p, u in zip(published, stamps, strict=True))
            if path.name == "updates.atom":  # (history feeds: see test_history_feeds_order)
                assert stamps == sorted(stamps, reverse=True), path
        else:
            stamps = [parsedate_to_datetime(e.published) for e in feed.entries]
            atom = parse(path.with_suffix(".atom"))
            assert [e.id for e in feed.entries] == [e.id for e in atom.entries], path
        assert all(s.tzinfo is not None for s in stamps), path
        assert all(s <= EXAMPLE_NOW for s in stamps), path
        assert len({e.id for e in feed.entries}) == len(feed.entries), path
        for entry in feed.entries:
            assert entry.link.startswith(URL), (path, entry.link)


def test_no_draft_and_no_unpublished_postmortem_anywhere(example_site: Path) -> None:
    unpublished = (REPO_ROOT / "incidents/2026-11-20-chat-api-errors.postmortem.md").read_text()
    secrets = ["In review. Open question: why the connection-limit change was not caught",
               "To be agreed at the review meeting on 2026-11-26.",
               "from 512 to 64.", DRAFT, "Voice sessions disconnecting after 30 minutes"]
    assert all(s in unpublished for s in secrets[:3])
    for path in example_site.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data, (path, secret)


def test_p0_entry_carries_the_published_postmortem(example_site: Path) -> None:
    quote = "Gateway version 2.31 treats a weight it cannot parse as a fatal error and exits."
    assert quote in (REPO_ROOT / "incidents/2026-10-14-chat-api-outage.postmortem.md").read_text()
    link = f"{URL}incidents/2026-10-14-chat-api-outage/"
    for name in ("history.atom", "history.rss", "components/streaming/history.atom"):
        feed = parse(example_site / name, sanitize_html=False)
        (entry,) = [e for e in feed.entries if e.link == link]
        text = entry.content[0].value if "content" in entry else entry.description
        assert quote in text, name
        assert "<h2>Postmortem</h2>" in text
        for said in ("Failed requests were not billed. A postmortem is published below.",
                     "Most requests to the Chat API are failing with HTTP 502 or 503 errors",
                     "A routing configuration change published at 13:58 caused our API",
                     "Requests that failed with 502 or 503 can be retried",
                     "This incident is resolved. We will publish a postmortem"):
            assert said in text, (name, said)
    atom = parse(example_site / "history.atom")
    (entry,) = [e for e in atom.entries if e.link == link]
    assert entry.updated == "2026-10-17T18:00:00+08:00"
    assert entry.published == "2026-10-14T14:02:00+08:00"


def test_updates_feed_has_one_entry_per_update_and_postmortem(example_site: Path) -> None:
    updates = []
    for slug, source in published_sources().items():
        link = entry_link(slug, source["meta"])
        moments = [heading_time(stamp) for stamp in HEADING.findall(source["text"])]
        updates += [f"{link}@{m.astimezone(UTC).isoformat()}" for m in moments
                    if m <= EXAMPLE_NOW]
    assert len(updates) == len(set(updates)) == 34
    feed = parse(example_site / "updates.atom")
    assert feed.feed.title == f"{TITLE}: every update"
    assert len(feed.entries) == 34 + 1
    assert len({e.id for e in feed.entries}) == 35
    postmortems = [e for e in feed.entries if e.title.startswith("Postmortem: ")]
    assert [e.link for e in postmortems] == [
        f"{URL}incidents/2026-10-14-chat-api-outage/#postmortem"]
    assert postmortems[0].title == "Postmortem: Chat API and Streaming unavailable"
    # Each entry links to its update's anchor on the page.
    seen = sorted(f"{e.link.partition('#')[0]}@"
                  f"{datetime.fromisoformat(e.updated).astimezone(UTC).isoformat()}"
                  for e in feed.entries if e not in postmortems)
    assert all(e.link.partition("#")[2] == e.id.partition("#")[2] for e in feed.entries)
    assert seen == sorted(updates)


def test_component_feeds_only_hold_entries_touching_the_component(example_site: Path) -> None:
    sources = published_sources()
    for component in ("chat-api", "streaming", "voice", "asr", "tts", "console", "webhooks"):
        expected = {entry_link(slug, s["meta"]) for slug, s in sources.items()
                    if component in s["meta"]["components"]}
        for suffix in ("atom", "rss"):
            feed = parse(example_site / f"components/{component}/history.{suffix}")
            assert {e.link for e in feed.entries} == expected, (component, suffix)
            assert feed.feed.link == f"{URL}components/{component}/"
    chat = parse(example_site / "components/chat-api/history.atom")
    assert len(chat.entries) == 5
    assert chat.feed.title.startswith(f"{TITLE}: Chat API")


def test_entry_ids_are_stable_when_now_changes(example_site: Path, tmp_path: Path) -> None:
    later = tmp_path / "site"
    result = run_cli("build", "--config", str(REPO_ROOT / "statuspage.yaml"), "--out",
                     str(later), "--now", "2026-12-10 12:00 +08:00")
    assert result.exit_code == 0, result.output
    for name in ("history.atom", "history.rss", "components/chat-api/history.atom"):
        before = {e.link: e.id for e in parse(example_site / name).entries}
        after = {e.link: e.id for e in parse(later / name).entries}
        assert before.keys() <= after.keys(), name
        assert {k: after[k] for k in before} == before, name
    old = {e.id for e in parse(example_site / "updates.atom").entries}
    new = {e.id for e in parse(later / "updates.atom").entries}
    assert old == new


HOSTILE = """\
---
title: Hostile update
severity: P2
started: 2026-11-23 10:00 +08:00
components:
  api: degraded_performance
---
## Investigating — 2026-11-23 10:05 +08:00
Before <script>alert(1)</script> after.
Click [x](javascript:alert(1)) now.
"""


def test_feed_content_is_sanitised(repo: Repo) -> None:
    repo.incident("2026-11-23-hostile.md", HOSTILE)
    result = repo.build()
    assert result.exit_code == 0, result.output
    for name in ("history.atom", "history.rss", "updates.atom", "components/api/history.atom",
                 "components/api/history.rss"):
        data = (repo.site / name).read_bytes()
        for bad in (b"<script", b"&lt;script", b"javascript:", b"alert(1)"):
            assert bad not in data, (name, bad)
        feed = parse(repo.site / name, sanitize_html=False)
        (entry,) = feed.entries
        text = entry.content[0].value if "content" in entry else entry.description
        assert "Before" in text and "after." in text and "now." in text
        assert "<script" not in text.lower() and "javascript:" not in text.lower()


FEED_LINK = re.compile(r'<link rel="alternate" type="application/atom\+xml"[^>]*? href="([^"]+)"')


def test_every_page_links_to_an_existing_feed(example_site: Path) -> None:
    pages = sorted(example_site.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        hrefs = FEED_LINK.findall(page.read_text(encoding="utf-8"))
        assert hrefs, page
        address = URL + page.relative_to(example_site).as_posix()
        for href in hrefs:
            resolved = urljoin(address, href)
            assert resolved.startswith(URL), (page, href)
            target = example_site / resolved.removeprefix(URL)
            assert target.is_file() and target.suffix == ".atom", (page, href)


def test_calendar_is_valid_for_icalendar_and_vobject(example_site: Path) -> None:
    data = (example_site / "maintenance.ics").read_bytes()
    assert data.endswith(b"\r\n")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line
    calendar = icalendar.Calendar.from_ical(data)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert sorted(events) == [
        "maintenance-2026-11-10-database-upgrade@status.acme-ai.example",
        "maintenance-2026-12-01-db-upgrade@status.acme-ai.example"]
    first = events["maintenance-2026-11-10-database-upgrade@status.acme-ai.example"]
    assert first.decoded("DTSTART") == datetime(2026, 11, 9, 18, 0, tzinfo=UTC)
    assert first.decoded("DTEND") == datetime(2026, 11, 9, 19, 40, tzinfo=UTC)  # done early
    assert str(first["SUMMARY"]) == ("Maintenance: Database upgrade for Chat API and Voice "
                                     "Conversations")
    assert str(first["URL"]) == f"{URL}maintenance/2026-11-10-database-upgrade/"
    assert "switchover of up to 5 minutes, requests" in str(first["DESCRIPTION"])
    for event in events.values():
        for key in ("DTSTAMP", "SUMMARY", "DESCRIPTION", "URL", "SEQUENCE", "STATUS"):
            assert key in event, key
        assert int(event["SEQUENCE"]) >= 0
        assert str(event["STATUS"]) == "CONFIRMED"
        for key in ("DTSTART", "DTEND", "DTSTAMP"):
            assert event.decoded(key).utcoffset() == timedelta(0), key
    for key in (b"DTSTART", b"DTEND", b"DTSTAMP"):
        stamps = re.findall(rb"^" + key + rb"[:;].*$", data, re.MULTILINE)
        assert len(stamps) == 2 and all(s.rstrip(b"\r").endswith(b"Z") for s in stamps)
    parsed = vobject.readOne(data.decode("utf-8"), validate=True)
    assert [e.uid.value for e in parsed.vevent_list] == [
        "maintenance-2026-11-10-database-upgrade@status.acme-ai.example",
        "maintenance-2026-12-01-db-upgrade@status.acme-ai.example"]
    assert parsed.vevent_list[1].dtend.value == datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


MAINTENANCE = """\
---
title: Database upgrade
type: maintenance
components: [api]
scheduled: {start}
until: {end}
---
{body}
"""
UID = "maintenance-2026-12-01-db@status.test.example"


def _write_maintenance(repo: Repo, start: str = "2026-12-01 02:00 +08:00",
                       end: str = "2026-12-01 04:00 +08:00", body: str = "We upgrade.") -> None:
    repo.incident("2026-12-01-db.md", MAINTENANCE.format(start=start, end=end, body=body))


@pytest.fixture(autouse=True)
def _plain_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the developer's git configuration and any enclosing work tree out of the tests."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))


def _git(repo: Repo, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid",
                    "-c", "commit.gpgsign=false", *args], cwd=repo.root, check=True,
                   capture_output=True)


def _commit(repo: Repo, message: str) -> None:
    _git(repo, "add", "statuspage.yaml", "incidents")
    _git(repo, "commit", "-q", "-m", message)


def _event(repo: Repo) -> Any:
    result = repo.build()
    assert result.exit_code == 0, result.output
    (event,) = icalendar.Calendar.from_ical((repo.site / "maintenance.ics").read_bytes()).walk(
        "VEVENT")
    assert str(event["UID"]) == UID
    return event


def test_sequence_grows_when_the_window_moves(repo: Repo) -> None:
    _git(repo, "init", "-q")
    _write_maintenance(repo)
    _commit(repo, "announce")
    assert int(_event(repo)["SEQUENCE"]) == 0

    _write_maintenance(repo, end="2026-12-01 05:00 +08:00")
    _commit(repo, "longer")
    event = _event(repo)
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTEND") == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)

    _write_maintenance(repo, start="2026-12-01 01:00 +08:00", end="2026-12-01 05:00 +08:00")
    event = _event(repo)
    assert int(event["SEQUENCE"]) == 2
    assert event.decoded("DTSTART") == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    _commit(repo, "earlier")
    assert int(_event(repo)["SEQUENCE"]) == 2

    _write_maintenance(repo, start="2026-12-01 01:00 +08:00", end="2026-12-01 05:00 +08:00",
                       body="We upgrade the primary cluster.")
    assert int(_event(repo)["SEQUENCE"]) == 2
    _commit(repo, "wording")
    event = _event(repo)
    assert int(event["SEQUENCE"]) == 2
    assert "We upgrade the primary cluster." in str(event["DESCRIPTION"])


def test_history_feeds_are_newest_first_by_when_things_happened(repo: Repo) -> None:
    """A history written after the fact and committed at once: the commit is not when the
    maintenance happened, so it does not put maintenance above the incidents."""
    _git(repo, "init", "-q")
    for day, kind in (("10", "m"), ("15", "i"), ("20", "i"), ("22", "m")):
        if kind == "m":
            repo.incident(f"2026-11-{day}-m.md", MAINTENANCE.format(
                start=f"2026-11-{day} 02:00", end=f"2026-11-{day} 03:00", body="Work."))
        else:
            repo.incident(f"2026-11-{day}-i.md", f"---\ntitle: I\nseverity: P2\n"
                          f"components: {{api: partial_outage}}\n---\n## Resolved — "
                          f"2026-11-{day} 11:00\nFixed.\n\n## Investigating — "
                          f"2026-11-{day} 10:00\nLooking.\n")
    _commit(repo, "history")
    assert repo.build().exit_code == 0
    order = ["maintenance/2026-11-22-m/", "incidents/2026-11-20-i/", "incidents/2026-11-15-i/",
             "maintenance/2026-11-10-m/"]
    for name in ("history.atom", "history.rss", "components/api/history.atom"):
        feed = parse(repo.site / name)
        assert [e.link.removeprefix("https://status.test.example/") for e in feed.entries] \
            == order, name


def test_a_window_that_closed_early_moves_the_event(repo: Repo) -> None:
    _write_maintenance(repo, body="We upgrade.\n\n## In progress — 2026-12-01 01:50\nStarted."
                                  "\n\n## Completed — 2026-12-01 03:10\nDone early.")
    event = _event_at(repo, "2026-12-01 04:00")
    assert event.decoded("DTSTART") == datetime(2026, 11, 30, 17, 50, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 11, 30, 19, 10, tzinfo=UTC)
    assert int(event["SEQUENCE"]) == 2


def _event_at(repo: Repo, now: str) -> Any:
    result = repo.build(now)
    assert result.exit_code == 0, result.output
    (event,) = icalendar.Calendar.from_ical((repo.site / "maintenance.ics").read_bytes()).walk(
        "VEVENT")
    return event


def test_sequence_is_zero_outside_git(repo: Repo) -> None:
    _write_maintenance(repo, end="2026-12-01 06:00 +08:00")
    assert int(_event(repo)["SEQUENCE"]) == 0


@pytest.mark.parametrize("setting", ["subfolder", "noprefix"])
def test_sequence_counts_whatever_the_git_layout_and_settings(
        repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str) -> None:
    """The status repository may sit in a sub-folder of a git work tree, and the user's own
    git configuration may set diff.noprefix; neither may hide a moved window."""
    if setting == "noprefix":
        (tmp_path / "gitconfig").write_text("[diff]\n\tnoprefix = true\n")
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    _git(repo, "init", "-q", str(repo.root.parent if setting == "subfolder" else repo.root))
    _write_maintenance(repo)
    _commit(repo, "announce")
    _write_maintenance(repo, end="2026-12-01 05:00 +08:00")
    _commit(repo, "longer")
    assert int(_event(repo)["SEQUENCE"]) == 1


POSTMORTEM_LATER = "---\npublished: 2026-11-26 10:00 +08:00\n---\n## Summary\n\nSecret cause.\n"


def test_postmortem_appears_only_once_published(repo: Repo) -> None:
    repo.incident("2026-11-20-api.md", HOSTILE.replace(
        "## Investigating", "## Resolved — 2026-11-23 11:00 +08:00\nFixed.\n\n## Investigating"))
    repo.incident("2026-11-20-api.postmortem.md", POSTMORTEM_LATER)
    assert repo.build().exit_code == 0
    for path in repo.site.rglob("*"):
        assert not path.is_file() or b"Secret cause." not in path.read_bytes(), path
    assert repo.build("2026-11-27 12:00 +08:00").exit_code == 0
    (entry,) = parse(repo.site / "history.atom").entries
    assert "Secret cause." in entry.content[0].value
    assert entry.updated == "2026-11-26T10:00:00+08:00"
    titles = [e.title for e in parse(repo.site / "updates.atom").entries]
    assert titles == ["Postmortem: Hostile update", "Resolved: Hostile update",
                      "Investigating: Hostile update"]


CJK_CONFIG = """\
title: 状态页
url: https://example.github.io/status/
timezone: Asia/Shanghai
language: zh-CN
components:
  - id: api
    name: 接口
"""


def test_non_ascii_and_path_prefix(make_repo: Callable[[str], Repo]) -> None:
    repo = make_repo(CJK_CONFIG)
    repo.incident("2026-12-01-db.md", MAINTENANCE.format(
        start="2026-12-01 02:00 +08:00", end="2026-12-01 04:00 +08:00",
        body="我们将升级数据库集群。写入可能会被拒绝，最长五分钟。" * 3).replace(
        "Database upgrade", "数据库升级：聊天接口与语音会话在此期间可能出现短暂的不可用情况"))
    assert repo.build().exit_code == 0
    data = (repo.site / "maintenance.ics").read_bytes()
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")
    (event,) = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert str(event["SUMMARY"]).startswith("维护：数据库升级：聊天接口")
    assert str(event["URL"]) == "https://example.github.io/status/maintenance/2026-12-01-db/"
    vobject.readOne(data.decode("utf-8"), validate=True)
    feed = parse(repo.site / "history.atom")
    assert feed.feed.link == "https://example.github.io/status/"
    assert [e.link for e in feed.entries] == [
        "https://example.github.io/status/maintenance/2026-12-01-db/"]



def test_maintenance_without_updates_is_stable_across_builds(repo: Repo) -> None:
    repo.incident("2026-11-29-db.md", "---\ntitle: DB\ntype: maintenance\ncomponents: [api]\n"
                                      "scheduled: 2026-11-29 02:00\nuntil: 2026-11-29 04:00\n"
                                      "---\nUpgrade.\n")
    built = []
    for now in ("2026-11-24 01:40", "2026-11-24 01:50"):
        assert repo.build(now).exit_code == 0
        built.append([(repo.site / name).read_bytes() for name in
                      ("history.atom", "history.rss", "maintenance.ics")])
    assert built[0] == built[1]
    created = json.loads((repo.site / "api/v2/scheduled-maintenances.json").read_text())[
        "scheduled_maintenances"][0]["created_at"]
    entry = feedparser.parse(built[1][0]).entries[0]
    assert created == "2026-11-29T02:00:00+08:00"
    assert entry.published == created
