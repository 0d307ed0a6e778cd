"""The built example in a real browser: Debian's Chromium driven by Playwright, with axe-core
for accessibility (WCAG 2.1 A and AA) and the Nu Html Checker for validity.

.ci/run installs Chromium, Java and the npm tools in tests/browser/; these tests fail, rather
than skip, when they are missing.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright

TOOLS = Path(__file__).parent / "browser" / "node_modules"
AXE = TOOLS / "axe-core" / "axe.min.js"
VNU = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGES = [
    "",
    "incidents/2026-10-14-chat-api-outage/",
    "incidents/2026-11-24-tts-latency/",
    "maintenance/2026-11-10-database-upgrade/",
    "history/",
    "history/2026-11/",
    "uptime/",
    "components/chat-api/",
    "postmortems/",
    "embed/",
]
MODES = [("light", 1280, 900), ("dark", 1280, 900), ("light", 360, 740), ("dark", 360, 740)]


@pytest.fixture(scope="module")
def served(example_site: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(example_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Chromium is missing: run .ci/run (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        yield launched
        launched.close()


def _open(browser: Browser, url: str, scheme: str, width: int, height: int,
          javascript: bool = True) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height},
                                  color_scheme=scheme,  # type: ignore[arg-type]
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.goto(url)
    return page


@pytest.mark.parametrize(("scheme", "width", "height"), MODES,
                         ids=[f"{s}-{w}px" for s, w, _h in MODES])
def test_no_accessibility_violations_and_no_sideways_scrolling(
        browser: Browser, served: str, scheme: str, width: int, height: int) -> None:
    assert AXE.is_file(), "axe-core is missing: run .ci/run (npm ci in tests/browser)"
    found = {}
    for path in PAGES:
        page = _open(browser, served + path, scheme, width, height)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("""async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' '))
                .slice(0, 3).join(', '));
        }""")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if result or overflow > 0:
            found[path or "index"] = {"axe": result, "overflow_px": overflow}
        page.context.close()
    assert found == {}


def test_pages_are_complete_without_javascript(browser: Browser, served: str) -> None:
    page = _open(browser, served, "light", 1280, 900, javascript=False)
    assert page.locator("h1#overall").inner_text() == "Minor Service Outage"
    assert page.locator(".component", has_text="Text to Speech").locator(
        ".status").inner_text() == "Degraded performance"
    assert "Slow Text to Speech responses" in page.locator("main").inner_text()
    page.get_by_text("Day by day").first.click()
    assert page.get_by_role("link", name="Elevated error rate on Chat API").first.is_visible()
    page.context.close()


def tab_to(page: Page, target: Locator, what: str, presses: int = 60) -> None:
    """Press Tab until `target` has the focus; fail if it never does."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"{what} never took the focus")


def test_day_by_day_record_is_reachable_by_keyboard(browser: Browser, served: str) -> None:
    page = _open(browser, served, "light", 1280, 900)
    tab_to(page, page.locator("details.days summary").first, "the first 'Day by day' summary")
    page.keyboard.press("Enter")
    record = page.locator("details.days").first
    assert record.evaluate("el => el.open")
    assert "98.16" in record.inner_text()
    page.context.close()


def test_script_adds_the_readers_time_and_keeps_the_sites(browser: Browser, served: str) -> None:
    context = browser.new_context(timezone_id="America/New_York")
    page = context.new_page()
    page.goto(served + "incidents/2026-11-20-chat-api-errors/")
    first = page.locator("time").first
    assert "UTC+08:00" in first.inner_text()
    local = page.locator(".local-time").first.inner_text()
    assert "Nov 19, 2026" in local and "20:12" in local  # started 09:12 +08:00, in New York
    context.close()


def test_every_page_is_valid_html(example_site: Path) -> None:
    assert VNU.is_file(), "vnu-jar is missing: run .ci/run (npm ci in tests/browser)"
    java = shutil.which("java")
    assert java is not None, "Java is missing: run .ci/run (apt-get install default-jre-headless)"
    result = subprocess.run([java, "-jar", str(VNU), "--skip-non-html", "--errors-only",
                             "--format", "text", str(example_site)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_index_is_light_and_loads_nothing_from_elsewhere(browser: Browser, served: str,
                                                         example_site: Path) -> None:
    context = browser.new_context()
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(served)
    page.wait_for_load_state("networkidle")
    context.close()
    assert requested and all(url.startswith(served) for url in requested), requested
    weight = sum((example_site / url[len(served):] if url != served
                  else example_site / "index.html").stat().st_size for url in requested)
    assert weight <= 60 * 1024, f"index with its assets weighs {weight} bytes"
    assert not any(url.endswith((".woff", ".woff2", ".ttf", ".otf")) for url in requested)
