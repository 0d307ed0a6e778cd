"""Settings for the hosts a site is published on, written by the build: `_headers`, which
Netlify and Cloudflare Pages read (SPEC §9.2; docs/deploying.md has the same for others).

- `api/` and `embed/` may be read from any origin (`Access-Control-Allow-Origin: *`): they are
  public, and status.js and other sites' dashboards fetch them.
- What changes with the clock or with every update (the API, the embeds, the badges) is kept
  by caches for a minute; the assets, whose names carry a hash of their content, for a year.
- Everything else keeps the host's default (both revalidate HTML at every request). Rules are
  written so that no path matches two of them: both hosts join the values of a header that
  several matching rules set, and `Cache-Control: max-age=60, max-age=31536000` means nothing.

Paths in `_headers` start at the deploy root, so they carry the path of the site's URL
(`/status/api/*` for https://example.com/status/).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..read.config import SiteConfig
from .record import Output, file

SHORT = "public, max-age=60"
LONG = "public, max-age=31536000, immutable"
CORS = ("Access-Control-Allow-Origin: *", "Access-Control-Allow-Methods: GET, HEAD, OPTIONS")


def outputs(config: SiteConfig) -> Iterator[Output]:
    """Yield _headers."""
    yield file("_headers", headers, config)


def headers(config: SiteConfig) -> bytes:
    """Return _headers for the site published at `config.url`."""
    base = config.base_path
    rules = [
        ("api/*", [*CORS, f"Cache-Control: {SHORT}"]),
        ("embed/*", [*CORS, f"Cache-Control: {SHORT}"]),
        ("badges/*", [f"Cache-Control: {SHORT}"]),
        ("assets/*", [f"Cache-Control: {LONG}"]),
    ]
    lines = ["# Response headers for Netlify and Cloudflare Pages, written by statuspage build.",
             f"# Paths start at the deploy root: this site is published at {base}.",
             "# Other hosts: see the deploying guide."]
    for pattern, values in rules:
        lines.append(f"{base}{pattern}")
        lines += [f"  {value}" for value in values]
    return ("\n".join(lines) + "\n").encode()
