"""Embeds in Chromium: a host page on one 127.0.0.1 port shows the status of a site served from
another port under /status/, with the headers its `_headers` file asks for; and `_headers`
itself."""

from __future__ import annotations

import http.server
import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BASIC_CONFIG, LocalServer, QuietHandler, Repo
from playwright.sync_api import Browser, Page
from test_browser import browser

__all__ = ["browser"]  # (the fixture, shared with the other browser tests)

NOW = "2026-11-24 12:00 +08:00"
MAX_SCRIPT_BYTES = 3 * 1024
INCIDENT = """\
    ---
    title: Voice calls dropping
    severity: P1
    components: {voice: major_outage}
    ---
    ## Investigating — 2026-11-24 11:40 +08:00
    Calls drop after a minute; we are looking into it.
    """
MAINTENANCE = """\
    ---
    title: Database upgrade
    type: maintenance
    components: [api]
    scheduled: 2026-11-24 11:00 +08:00
    until: 2026-11-24 13:00 +08:00
    ---
    We upgrade the database.
    """


def header_rules(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return the rules of a `_headers` file: (path pattern, [(name, value)])."""
    rules: list[tuple[str, list[tuple[str, str]]]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            rules.append((line.strip(), []))
        else:
            name, _, value = line.strip().partition(":")
            rules[-1][1].append((name.strip(), value.strip()))
    return rules


def matches(pattern: str, path: str) -> bool:
    """Return whether a URL path matches a `_headers` pattern ('*' matches anything)."""
    return re.fullmatch(".*".join(re.escape(p) for p in pattern.split("*")), path) is not None


class SiteServer:
    """Serves `folder` under `prefix` with the headers of its `_headers` (unless `headers`
    is off), or answers every API request with `api_status` if set."""

    def __init__(self, prefix: str = "/status/") -> None:
        self.folder: Path | None = None
        self.prefix = prefix
        self.headers = True
        self.api_status: int | None = None
        self.requests: list[str] = []
        owner = self

        class Handler(QuietHandler, http.server.SimpleHTTPRequestHandler):
            def translate_path(self, path: str) -> str:
                assert owner.folder is not None
                path = path.split("?", 1)[0]
                if not path.startswith(owner.prefix):
                    return str(owner.folder / "missing")
                inside = path[len(owner.prefix):]
                return str(owner.folder / inside) if inside else str(owner.folder)

            def send_head(self) -> Any:
                owner.requests.append(self.path)
                if owner.api_status and self.path.startswith(owner.prefix + "api/"):
                    self.send_error(owner.api_status)
                    return None
                return super().send_head()

            def end_headers(self) -> None:
                if owner.headers and owner.folder is not None:
                    rules = header_rules((owner.folder / "_headers").read_text())
                    for pattern, values in rules:
                        if matches(pattern, self.path.split("?", 1)[0]):
                            for name, value in values:
                                self.send_header(name, value)
                super().end_headers()

        self.local = LocalServer(Handler)
        self.url = self.local.origin + prefix

    def close(self) -> None:
        self.local.close()


class HostServer:
    """Another origin: serves the HTML in `pages` by path."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        owner = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                body = owner.pages.get(self.path, "").encode()
                self.answer(200 if body else 404, "text/html; charset=utf-8", body)

        self.local = LocalServer(Handler)
        self.url = self.local.origin + "/"

    def close(self) -> None:
        self.local.close()


@pytest.fixture
def site_server() -> Iterator[SiteServer]:
    server = SiteServer()
    yield server
    server.close()


@pytest.fixture
def host() -> Iterator[HostServer]:
    server = HostServer()
    yield server
    server.close()


def build_site(tmp_path: Path, url: str, name: str, *, language: str = "en",
               files: dict[str, str] | None = None) -> Path:
    """Build a site published at `url` with the given incident files; return its folder."""
    repo = Repo(tmp_path / name)
    repo.write("statuspage.yaml", BASIC_CONFIG.replace(
        "https://status.test.example/", url) + f"language: {language}\n")
    (repo.root / "incidents").mkdir()
    for file_name, text in (files or {}).items():
        repo.incident(file_name, text)
    result = repo.build(NOW)
    assert result.exit_code == 0, result.output
    return repo.site


HOST_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Acme docs</title></head>
<body style="font: 16px sans-serif">
<h1>Acme API docs</h1>
<p id="line">Service status: <script src="{script}"></script></p>
<p id="after">The rest of the page.</p>
</body></html>
"""


def open_host(browser: Browser, url: str, scheme: str = "light") -> tuple[Page, list[str]]:
    """Open `url` in a new context; return the page and the list its errors go to."""
    context = browser.new_context(color_scheme=scheme,  # type: ignore[arg-type]
                                  viewport={"width": 900, "height": 600})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page, errors


@pytest.mark.parametrize(("scheme", "colour"), [("light", "rgb(26, 127, 55)"),
                                                ("dark", "rgb(63, 185, 80)")])
def test_the_script_shows_the_sentence_and_colour_from_a_site_under_a_sub_path(
        browser: Browser, tmp_path: Path, site_server: SiteServer, host: HostServer,
        scheme: str, colour: str) -> None:
    site_server.folder = build_site(tmp_path, site_server.url, "calm")
    host.pages["/"] = HOST_PAGE.format(script=site_server.url + "embed/status.js")
    page, errors = open_host(browser, host.url, scheme)
    status = page.locator("#line a.statuspage-status")
    assert status.inner_text() == "All Systems Operational"
    assert status.get_attribute("href") == site_server.url
    assert status.get_attribute("data-indicator") == "none"
    assert status.locator("span").evaluate("e => getComputedStyle(e).backgroundColor") == colour
    assert page.locator(".statuspage-banner").count() == 0
    assert "/status/api/v2/summary.json" in site_server.requests
    cookies = page.context.cookies()
    assert errors == [] and cookies == []
    page.context.close()


@pytest.mark.parametrize(("scheme", "background"), [("light", "rgb(255, 255, 255)"),
                                                    ("dark", "rgb(21, 27, 35)")])
def test_during_an_incident_a_banner_shows_until_dismissed(
        browser: Browser, tmp_path: Path, site_server: SiteServer, host: HostServer,
        scheme: str, background: str) -> None:
    site_server.folder = build_site(tmp_path, site_server.url, "incident",
                                    files={"2026-11-24-voice.md": INCIDENT})
    host.pages["/"] = HOST_PAGE.format(script=site_server.url + "embed/status.js")
    page, errors = open_host(browser, host.url, scheme)
    assert page.locator("#line .statuspage-status").inner_text() == "Partial System Outage"
    banner = page.locator(".statuspage-banner")
    assert banner.is_visible()
    assert banner.get_attribute("role") == "status"
    assert banner.evaluate("e => getComputedStyle(e).backgroundColor") == background
    link = banner.get_by_role("link", name="Voice calls dropping")
    assert link.get_attribute("href") == site_server.url + "incidents/2026-11-24-voice/"
    assert banner.locator("strong").inner_text() == "Partial System Outage"
    page.screenshot(path=str(tmp_path / f"banner-{scheme}.png"))
    page.get_by_role("button", name="Dismiss").click()
    assert page.locator(".statuspage-banner").count() == 0
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("#line .statuspage-status").inner_text() == "Partial System Outage"
    assert page.locator(".statuspage-banner").count() == 0  # remembered for the session
    assert errors == []
    page.context.close()
    again, _ = open_host(browser, host.url, scheme)  # a new session sees it again
    assert again.locator(".statuspage-banner").is_visible()
    again.context.close()


def test_maintenance_in_progress_shows_in_blue_and_in_chinese(
        browser: Browser, tmp_path: Path, site_server: SiteServer, host: HostServer) -> None:
    site_server.folder = build_site(tmp_path, site_server.url, "window", language="zh-CN",
                                    files={"2026-11-24-db.md": MAINTENANCE})
    host.pages["/"] = HOST_PAGE.format(script=site_server.url + "embed/status.js")
    page, errors = open_host(browser, host.url)
    status = page.locator("#line .statuspage-status")
    assert status.inner_text() == "服务维护中"
    assert status.get_attribute("data-indicator") == "maintenance"
    assert status.locator("span").evaluate(
        "e => getComputedStyle(e).backgroundColor") == "rgb(9, 105, 218)"
    banner = page.locator(".statuspage-banner")
    assert "Database upgrade" in banner.inner_text()
    assert banner.get_by_role("button", name="关闭").is_visible()
    assert errors == []
    page.context.close()


@pytest.mark.parametrize("failure", ["down", "api-503", "no-cors"])
def test_nothing_breaks_when_the_site_cannot_be_read(
        browser: Browser, tmp_path: Path, site_server: SiteServer, host: HostServer,
        failure: str) -> None:
    site_server.folder = build_site(tmp_path, site_server.url, "calm")
    host.pages["/"] = HOST_PAGE.format(script=site_server.url + "embed/status.js")
    if failure == "down":
        site_server.close()
    elif failure == "api-503":
        site_server.api_status = 503
    else:
        site_server.headers = False  # as a host that ignores _headers would serve it
    page, errors = open_host(browser, host.url)
    page.wait_for_timeout(300)
    assert page.locator(".statuspage-status, .statuspage-banner").count() == 0
    assert page.locator("#after").inner_text() == "The rest of the page."
    assert page.locator("#line").inner_text() == "Service status:"
    assert errors == []
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_iframe_view_on_another_origin(
        browser: Browser, tmp_path: Path, site_server: SiteServer, host: HostServer,
        scheme: str) -> None:
    site_server.folder = build_site(tmp_path, site_server.url, "incident",
                                    files={"2026-11-24-voice.md": INCIDENT,
                                           "2026-11-24-db.md": MAINTENANCE})
    host.pages["/"] = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Console</title>'
        '</head><body style="font: 16px sans-serif; margin: 24px">'
        '<h1>Acme console</h1><p>Our platform:</p>'
        f'<iframe src="{site_server.url}embed/" title="Service status" width="420" '
        'height="440" style="border: 1px solid #999; border-radius: 8px"></iframe>'
        f'<p>Today: <script src="{site_server.url}embed/status.js" data-banner="off">'
        '</script></p></body></html>')
    page, errors = open_host(browser, host.url, scheme)
    frame = page.frame_locator("iframe")
    assert frame.locator("h1").inner_text() == "Partial System Outage"
    incident = frame.get_by_role("link", name="Voice calls dropping")
    assert incident.get_attribute("href") == site_server.url + "incidents/2026-11-24-voice/"
    assert frame.get_by_role("link", name="Database upgrade").is_visible()
    rows = frame.locator(".component")
    assert rows.count() == 3
    assert "Major outage" in rows.nth(2).inner_text()
    assert incident.get_attribute("target") == "_blank"  # links open outside the frame
    background = frame.locator("body").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == ("rgb(255, 255, 255)" if scheme == "light" else "rgb(21, 27, 35)")
    assert page.locator(".statuspage-banner").count() == 0  # data-banner="off"
    assert page.locator(".statuspage-status").inner_text() == "Partial System Outage"
    page.screenshot(path=str(tmp_path / f"embed-{scheme}.png"))
    assert errors == []
    page.context.close()


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_sizes_as_served(tmp_path: Path, site_server: SiteServer, language: str) -> None:
    site_server.folder = build_site(tmp_path, site_server.url, language, language=language,
                                    files={"2026-11-24-voice.md": INCIDENT})
    sizes = {}
    for path in ("embed/status.js", "embed/index.html"):
        with urllib.request.urlopen(site_server.url + path, timeout=10) as response:
            body = response.read()
            assert int(response.headers["Content-Length"]) == len(body)
            assert response.headers["Access-Control-Allow-Origin"] == "*"
        sizes[path] = len(body)
    assert sizes["embed/status.js"] <= MAX_SCRIPT_BYTES, sizes
    print(language, sizes)


def test_headers_under_a_sub_path(tmp_path: Path) -> None:
    site = build_site(tmp_path, "https://example.github.io/status/", "sub")
    rules = header_rules((site / "_headers").read_text())
    assert [pattern for pattern, _ in rules] == [
        "/status/api/*", "/status/embed/*", "/status/badges/*", "/status/assets/*"]
    values = dict(rules)
    assert ("Access-Control-Allow-Origin", "*") in values["/status/api/*"]
    assert ("Access-Control-Allow-Origin", "*") in values["/status/embed/*"]
    assert ("Cache-Control", "public, max-age=31536000, immutable") in values["/status/assets/*"]
    assert ("Cache-Control", "public, max-age=60") in values["/status/api/*"]
    # Both hosts join the values of a header several matching rules set: no file matches two.
    for path in site.rglob("*"):
        if path.is_file():
            url = "/status/" + path.relative_to(site).as_posix()
            assert sum(matches(p, url) for p, _ in rules) <= 1, url
    # The assets it caches for a year carry their content's hash in their name.
    assets = [p.name for p in (site / "assets").iterdir()]
    assert assets and all(re.fullmatch(r"[a-z]+\.[0-9a-f]{10}\.[a-z]+", n) for n in assets)
    page = json.loads((site / "api/v2/summary.json").read_text())
    assert page["page"]["url"] == "https://example.github.io/status"
    assert "embed/" not in (site / "sitemap.xml").read_text()
    assert 'name="robots" content="noindex"' in (site / "embed/index.html").read_text()
