"""The build as a whole: safe output, determinism, links, leaks, sanitising."""

from __future__ import annotations

import filecmp
import html
import html.parser
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from conftest import REPO_ROOT, Repo, run_cli

from statuspage.write import MARKER

INCIDENT = """\
---
title: API errors
severity: P1
started: 2026-11-20 09:12
components:
  api: partial_outage
---
## Resolved — 2026-11-20 10:40
Fixed.

## Investigating — 2026-11-20 09:20
Looking.
"""


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_writes_every_page_kind(repo: Repo) -> None:
    repo.incident("2026-11-20-api.md", INCIDENT)
    result = repo.build()
    assert result.exit_code == 0, result.output
    files = tree(repo.site)
    for path in ["index.html", "incidents/2026-11-20-api/index.html", "history/index.html",
                 "history/2026-11/index.html", "postmortems/index.html", "uptime/index.html",
                 "components/api/index.html", "404.html", "sitemap.xml", "robots.txt", MARKER]:
        assert path in files, path
    assert any(p.startswith("assets/style.") and p.endswith(".css") for p in files)


def test_failed_build_leaves_previous_site_intact(repo: Repo) -> None:
    repo.incident("2026-11-20-api.md", INCIDENT)
    assert repo.build().exit_code == 0
    before = tree(repo.site)
    repo.incident("2026-11-21-broken.md", "---\ntitle: x\nseverity: P9\n---\n")
    result = repo.build()
    assert result.exit_code == 1
    assert "build failed" in result.output
    assert tree(repo.site) == before
    leftovers = [p.name for p in repo.root.iterdir() if p.name.startswith(".site.")]
    assert leftovers == []


def test_template_error_leaves_previous_site_intact(repo: Repo) -> None:
    assert repo.build().exit_code == 0
    before = tree(repo.site)
    repo.write("templates/index.html", "{% extends 'default:index.html' %}\n"
                                       "{% block content %}{{ no_such_variable }}{% endblock %}\n")
    result = repo.build()
    assert result.exit_code == 1
    assert f"{repo.root}/templates/index.html:2: error: template: 'no_such_variable' is undefined" \
        in result.output
    assert tree(repo.site) == before


@pytest.mark.parametrize("name", ["index.html", "feeds/feed.atom", "feeds/feed.rss",
                                  "sitemap.xml", "robots.txt"])
def test_a_template_error_is_told_at_its_file_and_line_in_every_kind_of_template(
        repo: Repo, name: str) -> None:
    repo.write(f"templates/{name}", "first line\n{{ config.title }}\n{{ no_such_name.x }}\n")
    result = repo.build()
    assert result.exit_code == 1
    assert f"{repo.root}/templates/{name}:3: error: template: 'no_such_name' is undefined" \
        in result.output, result.output


@pytest.mark.parametrize("target", [".", "incidents", "templates"])
def test_refuses_to_replace_a_folder_it_did_not_make(repo: Repo, target: str) -> None:
    (repo.root / "templates").mkdir(exist_ok=True)
    (repo.root / "templates" / "keep.html").write_text("mine")
    repo.incident("2026-11-20-api.md", INCIDENT)
    result = repo.build("2026-11-24 12:00", "--out", str(repo.root / target))
    assert result.exit_code == 1
    assert "would replace" in result.output or "not made by statuspage" in result.output
    assert (repo.root / "incidents" / "2026-11-20-api.md").is_file()
    assert (repo.root / "templates" / "keep.html").read_text() == "mine"


def test_refuses_non_empty_foreign_folder_but_reuses_its_own(repo: Repo, tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("do not delete")
    result = repo.build("2026-11-24 12:00", "--out", str(foreign))
    assert result.exit_code == 1
    assert f"{foreign}: error: output '{foreign}' is not empty and was not made by statuspage" \
        in result.output
    assert (foreign / "precious.txt").read_text() == "do not delete"
    own = tmp_path / "own"
    assert repo.build("2026-11-24 12:00", "--out", str(own)).exit_code == 0
    (own / "stale.html").write_text("from an older build")
    assert repo.build("2026-11-24 12:00", "--out", str(own)).exit_code == 0
    assert not (own / "stale.html").exists()


def test_same_inputs_and_now_give_identical_output(tmp_path: Path) -> None:
    config = str(REPO_ROOT / "statuspage.yaml")
    for name in ("one", "two"):
        result = run_cli("build", "--config", config, "--out", str(tmp_path / name),
                         "--now", "2026-11-24T04:00:00Z")
        assert result.exit_code == 0, result.output
    comparison = filecmp.dircmp(tmp_path / "one", tmp_path / "two")
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    assert not comparison.diff_files


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


@pytest.mark.parametrize("base", ["https://status.test.example/",
                                  "https://example.github.io/status/"])
def test_every_internal_link_resolves_under_the_site_url(make_repo, base: str) -> None:
    config = (REPO_ROOT / "statuspage.yaml").read_text().replace(
        "https://status.acme-ai.example/", base)
    repo = make_repo(config)
    for path in (REPO_ROOT / "incidents").glob("*.md"):
        repo.incident(path.name, path.read_text())
    assert repo.build().exit_code == 0
    prefix = urlsplit(base).path
    checked = 0
    for page in repo.site.rglob("*.html"):
        relative = page.relative_to(repo.site).as_posix()
        # 404.html is served at unknown depths, so it must use links from the site root.
        page_url = base + ("no/such/deep/page" if relative == "404.html" else relative)
        parser = _Links()
        parser.feed(page.read_text())
        for link in parser.links:
            if link.startswith("#"):
                continue
            target = urlsplit(urljoin(page_url, link))
            if target.netloc != urlsplit(base).netloc:
                continue
            assert target.path.startswith(prefix), (relative, link)
            local = repo.site / target.path[len(prefix):]
            if target.path.endswith("/"):
                local = local / "index.html"
            assert local.is_file(), f"{relative} links to {link}, which is missing"
            checked += 1
    assert checked > 100


def test_markdown_is_sanitised(repo: Repo) -> None:
    repo.incident("2026-11-20-xss.md", """\
        ---
        title: Script & "quotes" <3
        severity: P2
        started: 2026-11-20 09:00
        components: {api: degraded_performance}
        ---
        Summary <script>alert('summary')</script> [click](javascript:alert(1))
        <img src="x" onerror="alert(2)"> <iframe src="https://evil.example"></iframe>

        ## Investigating — 2026-11-20 09:10
        <a href="https://ok.example" onclick="alert(3)">ok</a> <form><input></form>
        """)
    assert repo.build().exit_code == 0
    page = (repo.site / "incidents/2026-11-20-xss/index.html").read_text()
    for bad in ("<script>alert", "javascript:", "onerror", "onclick", "<iframe", "<form",
                "<input"):
        assert bad not in page, bad
    assert "Script &amp; &#34;quotes&#34; &lt;3" in page
    repo.incident("2026-11-21-tag.md", "---\ntitle: <script>alert(1)</script>\nseverity: P2\n"
                                       "started: 2026-11-21 09:00\n---\n")
    refused = repo.build()
    assert refused.exit_code == 1
    assert (f"{repo.root}/incidents/2026-11-21-tag.md:2: error: title: HTML is not allowed in a "
            "title; write plain text") in refused.output
    assert 'href="https://ok.example" rel="nofollow noopener noreferrer"' in page


def test_nothing_unpublished_reaches_the_site(repo: Repo) -> None:
    repo.incident("2026-11-20-api.md", INCIDENT.replace(
        "---\n## Resolved", "internal:\n  note: MARKER-INTERNAL-1\n---\n## Resolved", 1))
    repo.incident("2026-11-21-secret.md", """\
        ---
        title: MARKER-DRAFT-TITLE
        draft: true
        severity: P1
        started: 2026-11-21 09:00
        ---
        MARKER-DRAFT-BODY
        """)
    repo.incident("2026-11-20-api.postmortem.md", """\
        ---
        authors: [Someone]
        ---
        MARKER-UNPUBLISHED-POSTMORTEM
        """)
    repo.incident("2026-11-22-resolved-later.md", """\
        ---
        title: Published incident  # MARKER-YAML-COMMENT
        severity: P2
        started: 2026-11-22 09:00
        ---
        ## Investigating — 2026-11-22 09:05
        Looking.
        """)
    repo.incident("2026-11-22-resolved-later.postmortem.md", """\
        ---
        published: 2026-11-23 09:00
        ---
        MARKER-POSTMORTEM-OF-ONGOING
        """)
    result = repo.build()
    assert result.exit_code == 0, result.output
    text = b"".join(tree(repo.site).values())
    for marker in (b"MARKER-INTERNAL", b"MARKER-DRAFT", b"MARKER-UNPUBLISHED",
                   b"MARKER-YAML-COMMENT", b"MARKER-POSTMORTEM-OF-ONGOING", b"2026-11-21-secret"):
        assert marker not in text, marker


def test_published_postmortem_is_shown_once_its_time_has_come(repo: Repo) -> None:
    repo.incident("2026-11-20-api.md", INCIDENT)
    repo.incident("2026-11-20-api.postmortem.md", """\
        ---
        published: 2026-11-23 18:00
        authors: [A. Writer]
        ---
        ## Root cause
        A bad config push.
        """)
    assert repo.build("2026-11-23 17:59").exit_code == 0
    assert "Root cause" not in (repo.site / "incidents/2026-11-20-api/index.html").read_text()
    assert repo.build("2026-11-23 18:00").exit_code == 0
    page = (repo.site / "incidents/2026-11-20-api/index.html").read_text()
    assert '<h2 id="section-root-cause">Root cause</h2>' in page
    assert "2026-11-20-api/#postmortem" in (repo.site / "postmortems/index.html").read_text()


def test_repository_templates_override_and_extend_the_theme(repo: Repo) -> None:
    repo.write("templates/404.html", """\
        {% extends "default:404.html" %}
        {% block content %}<p>OVERRIDDEN-404</p>{{ super() }}{% endblock %}
        """)
    repo.write("templates/static/style.css", "body { color: rebeccapurple }\n")
    assert repo.build().exit_code == 0
    page = (repo.site / "404.html").read_text()
    assert "OVERRIDDEN-404" in page and "Page not found" in page
    css = [p for p in (repo.site / "assets").iterdir() if p.name.startswith("style.")]
    assert [p.read_text() for p in css] == ["body { color: rebeccapurple }\n"]


def test_head_brand_logo_and_status_favicon(repo: Repo) -> None:
    repo.write("logo.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>\n')
    repo.write("statuspage.yaml", repo.config.read_text()
               + 'brand:\n  color: "#123abc"\n  logo: logo.svg\n')
    repo.incident("2026-11-24-down.md", "---\ntitle: Down\nseverity: P0\n"
                                        "components: {api: major_outage}\n---\n"
                                        "## Investigating — 2026-11-24 11:00\nDown.\n")
    assert repo.build().exit_code == 0
    page = (repo.site / "index.html").read_text()
    assert '<meta name="theme-color" content="#cf222e">' in page
    assert '<meta property="og:title" content="Test Status">' in page
    assert '<meta property="og:url" content="https://status.test.example/">' in page
    assert 'style="border-top: 4px solid #123abc"' in page
    assert 'data-refresh="60"' in page
    logo = next((repo.site / "assets").glob("logo.*.svg"))
    assert f'<img src="assets/{logo.name}" alt="" height="28">' in page
    icon = next((repo.site / "assets").glob("favicon.*.svg")).read_text()
    assert 'fill="#cf222e"' in icon  # red: a P0 is ongoing
    script = next((repo.site / "assets").glob("site.*.js"))
    assert script.stat().st_size <= 2048


@pytest.mark.parametrize(("brand", "message"), [
    ('brand:\n  color: red\n', "14: error: brand.color: 'red' is not a colour like '#4f46e5'"),
    ("brand:\n  logo: ../outside.svg\n", "14: error: brand.logo: no file '../outside.svg' in the "
                                         "repository"),
])
def test_brand_mistakes(repo: Repo, brand: str, message: str) -> None:
    repo.write("statuspage.yaml", repo.config.read_text() + brand)
    result = repo.check()
    assert result.exit_code == 1
    assert f"{repo.root}/statuspage.yaml:{message}" in result.output


# The Markdown links and image stand in paragraphs of their own: in CommonMark, a line right
# after a raw <div> is part of that HTML block, so there it would be shown as text, not a link.
HOSTILE = """\
---
title: Hostile input
severity: P1
started: 2026-11-20 09:00
components: {api: major_outage}
---
<script>alert('summary')</script><style>body{display:none}</style>
<img src="x" onerror="alert(1)"> <a href="javascript:alert(2)">js</a>
<a href="data:text/html;base64,PHNjcmlwdD4=">data</a> <iframe src="https://evil.example"></iframe>
<form action="https://evil.example"><input name="q"></form>
<div style="position:fixed;top:0;left:0;width:100%;height:100%">cover</div>

[md link](javascript:alert(3)) ![md image](data:image/svg+xml;base64,PHN2Zz4=)

## Resolved — 2026-11-20 10:00
<svg onload="alert(4)"></svg><object data="x.swf"></object><embed src="x.swf">
<meta http-equiv="refresh" content="0;url=https://evil.example"><base href="https://evil.example/">

## Investigating — 2026-11-20 09:05
<details open ontoggle="alert(5)"><summary>x</summary></details>

[ok](https://ok.example/a)
"""


def test_hostile_markdown_is_sanitised_in_every_output(repo: Repo) -> None:
    repo.incident("2026-11-20-hostile.md", HOSTILE)
    repo.incident("2026-11-20-hostile.postmortem.md",
                  "---\npublished: 2026-11-21 09:00\n---\n" + HOSTILE.split("---\n", 2)[2])
    result = repo.build()
    assert result.exit_code == 0, result.output
    checked = 0
    for path in repo.site.rglob("*"):
        if not path.is_file() or path.suffix not in (".html", ".atom", ".rss", ".json", ".ics"):
            continue
        text = path.read_text()
        if path.suffix in (".atom", ".rss"):
            text = html.unescape(text)  # feed content is HTML escaped inside XML
        # The theme's own optional script is the one script a page may have.
        text = re.sub(r'<script src="[./]*assets/site\.[0-9a-f]+\.js" defer></script>', "", text)
        lowered = text.lower()
        for bad in ("<script", "javascript:", "data:text", "data:image", "onerror", "onload",
                    "ontoggle", "<iframe", "<form", "<input", "<object", "<embed", "<style",
                    "http-equiv", "<base", "position:fixed", "evil.example"):
            assert bad not in lowered, f"{bad} in {path.relative_to(repo.site)}"
        checked += 1
    assert checked > 20
    page = (repo.site / "incidents/2026-11-20-hostile/index.html").read_text()
    assert '<a href="https://ok.example/a" rel="nofollow noopener noreferrer">ok</a>' in page


def test_template_texts_may_have_any_variable_name(repo: Repo) -> None:
    repo.write("templates/404.html", "{% extends 'default:404.html' %}{% block content %}"
                                     "{{ _('Lost in %(context)s and %(string)s', context='A', "
                                     "string='B') }}{% endblock %}\n")
    result = repo.build()
    assert result.exit_code == 0, result.output
    assert "Lost in A and B" in (repo.site / "404.html").read_text()
