"""What readers of a first real site hit, in Debian's Chromium: the reader's own time, the
Chinese pages, phones, the uptime bars by keyboard, anchors for every update, and valid,
accessible pages even with hostile Markdown."""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import shutil
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLE_NOW, REPO_ROOT, Repo, run_cli
from playwright.sync_api import Browser, Page
from test_browser import AXE, PAGES, VNU, _Quiet, browser, tab_to  # noqa: F401 (a fixture)

ATOM = "{http://www.w3.org/2005/Atom}"


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """Serve `folder` on loopback for as long as the block runs; yield its address."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def chinese_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example in Simplified Chinese."""
    folder = tmp_path_factory.mktemp("zh")
    shutil.copytree(REPO_ROOT / "incidents", folder / "incidents")
    config = (REPO_ROOT / "statuspage.yaml").read_text().replace("language: en",
                                                                 "language: zh-CN")
    (folder / "statuspage.yaml").write_text(config)
    result = run_cli("build", "--config", str(folder / "statuspage.yaml"), "--now", EXAMPLE_NOW)
    assert result.exit_code == 0, result.output
    return folder / "site"


# 5. The reader's own time


def test_the_readers_time_is_labelled_and_on_the_pages_clock(browser: Browser,  # noqa: F811
                                                             example_site: Path) -> None:
    with serving(example_site) as url:
        context = browser.new_context(timezone_id="America/New_York", locale="en-US")
        page = context.new_page()
        page.goto(url + "incidents/2026-11-20-chat-api-errors/")
        local = page.locator(".local-time").first.inner_text()
        context.close()
    # Started 09:12 +08:00: 20:12 the evening before in New York, on a 24-hour clock.
    assert local == " (your time: Nov 19, 2026, 20:12)"


def test_the_readers_time_shows_only_where_the_offsets_differed_then(
        browser: Browser, repo: Repo) -> None:  # noqa: F811
    """A site at +02:00 all year, read in Berlin: +02:00 in July (nothing to add), +01:00 in
    December (the reader's time is added), whatever the date the test runs."""
    repo.write("statuspage.yaml", repo.config.read_text().replace(
        "timezone: Asia/Shanghai", "timezone: Africa/Johannesburg"))
    for day in ("07-10", "12-01"):
        repo.incident(f"2026-{day}-x.md", f"---\ntitle: X {day}\nseverity: P3\n---\n"
                      f"## Resolved — 2026-{day} 11:00\nFixed.\n\n"
                      f"## Investigating — 2026-{day} 10:00\nLooking.\n")
    assert repo.build("2026-12-02 12:00").exit_code == 0
    with serving(repo.site) as url:
        context = browser.new_context(timezone_id="Europe/Berlin", locale="en-GB")
        page = context.new_page()
        found = {}
        for day in ("07-10", "12-01"):
            page.goto(f"{url}incidents/2026-{day}-x/")
            found[day] = page.locator(".local-time").all_inner_texts()
        context.close()
    assert found["07-10"] == []
    # 10:00 and 11:00 at +02:00 are 09:00 and 10:00 in Berlin in December.
    assert found["12-01"] and all(t.startswith(" (your time: ") for t in found["12-01"])
    assert any("09:00)" in t for t in found["12-01"]), found


# 6. Chinese


def _texts(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        text = re.sub(r"<(script|style)\b.*?</\1>", "", text, flags=re.S)
    return text


def test_chinese_pages_feeds_and_badges_have_no_english_units_or_ascii_colons(
        chinese_site: Path) -> None:
    for path in sorted(chinese_site.rglob("*")):
        if path.suffix not in (".html", ".atom", ".rss", ".svg"):
            continue
        text = _texts(path)
        shown = re.sub(r"<[^>]+>", " ", text) if path.suffix == ".html" else text
        assert not re.search(r"\d min\b", shown), path
        # A colon after Chinese text is the full-width one.
        assert not re.search(r"[\u4e00-\u9fff\uff09]: ", text), (
            path, re.findall(r".{20}[\u4e00-\u9fff]: .{10}", text)[:3])
    badge = (chinese_site / "badges/chat-api.svg").read_text(encoding="utf-8")
    assert "正常 · 99.90 %" in badge and "Chat API：正常" in badge
    assert "operational" not in badge
    assert "服务轻微中断" in (chinese_site / "badges/status.svg").read_text(encoding="utf-8")
    uptime = (chinese_site / "uptime/index.html").read_text(encoding="utf-8")
    assert "16.0 / 42.4 分钟" in uptime


# 7. Phones


@pytest.mark.parametrize("width", [375, 390])
@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_phone_pages_read_without_sideways_scrolling(browser: Browser,  # noqa: F811
                                                     example_site: Path, chinese_site: Path,
                                                     width: int, language: str) -> None:
    site = example_site if language == "en" else chinese_site
    found = {}
    with serving(site) as url:
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        for path in PAGES:
            page.goto(url + path)
            wide = page.evaluate("""() => {
                const out = [];
                const page = document.documentElement;
                if (page.scrollWidth > page.clientWidth) out.push('page');
                document.querySelectorAll('.table-wrap').forEach((el, n) => {
                    if (el.scrollWidth > el.clientWidth + 1) out.push('table ' + n);
                });
                return out;
            }""")
            if wide:
                found[path or "index"] = wide
        page.goto(url)
        # The strip shows as many days as its label says.
        shown = page.evaluate("""() => Array.from(document.querySelector('.bars').children)
            .filter(i => i.getBoundingClientRect().width > 0).length""")
        label = page.locator(".bars-figure").first.inner_text()
        context.close()
    assert found == {}
    assert shown == 90 and "90" in label


# 8. Pages


def test_a_maintenance_completed_early_shows_when_it_ended(example_site: Path) -> None:
    page = (example_site / "maintenance/2026-11-10-database-upgrade/index.html").read_text()
    assert re.search(r"Completed early at</dt><dd><time datetime=\"2026-11-10T03:40:00\+08:00\"",
                     page)
    history = (example_site / "history/2026-11/index.html").read_text()
    assert "03:40 UTC+08:00</time> (planned until" in history


def test_an_ongoing_incident_says_as_of_when(example_site: Path) -> None:
    page = (example_site / "incidents/2026-11-24-tts-latency/index.html").read_text()
    assert re.search(r"1 h 55 min so far, as of <time datetime=\"2026-11-24T12:00:00\+08:00\">",
                     page)


def test_every_update_has_the_anchor_the_feeds_link_to(example_site: Path) -> None:
    root = ET.parse(example_site / "updates.atom").getroot()
    checked = 0
    for entry in root.iter(f"{ATOM}entry"):
        entry_id = entry.findtext(f"{ATOM}id") or ""
        link = entry.find(f"{ATOM}link")
        assert link is not None
        href = link.get("href", "")
        assert href.partition("#")[2] == entry_id.partition("#")[2], (href, entry_id)
        path, _, anchor = href.removeprefix("https://status.acme-ai.example/").partition("#")
        page = (example_site / path / "index.html").read_text()
        assert f'id="{anchor}"' in page, (path, anchor)
        checked += 1
    assert checked > 20


def test_each_days_detail_is_reachable_by_keyboard(browser: Browser,  # noqa: F811
                                                   example_site: Path) -> None:
    with serving(example_site) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(url)
        strip = page.locator(".bars").first
        tab_to(page, strip, "the first uptime strip", 40)
        detail = page.locator(".bar-detail").first
        assert detail.get_attribute("aria-live") == "polite"
        today = detail.inner_text()
        page.keyboard.press("ArrowLeft")
        yesterday = detail.inner_text()
        for _ in range(3):
            page.keyboard.press("ArrowLeft")
        four_days = detail.inner_text()
        label = strip.get_attribute("aria-label")
        context.close()
    assert today == "Nov 24, 2026: 100 %, no downtime"
    assert yesterday == "Nov 23, 2026: 100 %, no downtime"
    # 20 November: the Chat API incident, from the bar's own title.
    assert four_days.startswith("Nov 20, 2026: 98.16") and "1 incident" in four_days
    assert label == "Day by day: Chat API"


# 9. Valid and accessible, with hostile input too


def _axe(page: Page, only: dict[str, object]) -> list[str]:
    """Return the ids of the axe-core rules (of `only`) that the page breaks."""
    page.add_script_tag(path=str(AXE))
    violations: list[str] = page.evaluate(
        "async (only) => (await axe.run(document, {runOnly: only})).violations.map(v => v.id)",
        only)
    return violations

HOSTILE = """\
---
title: Hostile
severity: P2
components: {api: partial_outage}
---
## Resolved — 2026-11-24 11:00

[click](javascript:alert(1)) and [data](data:text/html,x) and <a href="vbscript:x">v</a>
<img src="https://example.com/a.png"> <img alt="no source"> <img src="x.png" width="wide">
<time datetime="soon">soon</time> <ol start="x"><li>one</li></ol>
<span lang="!!">odd</span> <table><tr><th scope="sideways">h</th><td colspan="0">c</td></tr></table>
<a title="href=x">no address</a> <script>alert(1)</script><iframe src="x"></iframe>

## Investigating — 2026-11-24 10:00

Looking.
"""


def test_hostile_markdown_still_gives_valid_accessible_pages(browser: Browser,  # noqa: F811
                                                              repo: Repo) -> None:
    repo.incident("2026-11-24-hostile.md", HOSTILE)
    assert repo.build().exit_code == 0
    page_file = repo.site / "incidents/2026-11-24-hostile/index.html"
    text = page_file.read_text()
    assert "javascript:" not in text and "<script>alert" not in text and "<iframe" not in text
    java = shutil.which("java")
    assert java is not None and VNU.is_file(), "run .ci/run for Java and vnu-jar"
    result = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--format", "text",
                             str(page_file)], capture_output=True, text=True, check=False,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    with serving(repo.site) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "incidents/2026-11-24-hostile/")
        violations = _axe(page, {"type": "tag", "values": [
            "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]})
        context.close()
    assert violations == []


def test_the_response_table_has_no_empty_header(browser: Browser,  # noqa: F811
                                                example_site: Path) -> None:
    with serving(example_site) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "incidents/2026-10-14-chat-api-outage/")
        violations = _axe(page, {"type": "rule", "values": ["empty-table-header"]})
        context.close()
    assert violations == []
