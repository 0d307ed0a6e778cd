"""`statuspage pull` for upstream services: each one's Statuspage v2 summary.json, fetched,
checked and stored under `upstream/<id>.json`.

A fetch that fails (no answer in time, an HTTP error, a document that is not a summary)
leaves the last good snapshot in place; the result says what happened to each service.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..read.config import SiteConfig
from ..read.upstream import (
    MAX_SNAPSHOT_BYTES,
    Upstream,
    snapshot_document,
    snapshot_path,
    summary_problems,
)
from ..write.whole import replace_whole

TIMEOUT = 10.0
"""Seconds a fetch may take before it counts as failed."""


@dataclass(frozen=True)
class Pulled:
    """What happened to one upstream service."""

    upstream: Upstream
    stored: bool
    """Whether a new snapshot was written."""
    message: str
    kept: bool = False
    """Whether, after a failure, an earlier snapshot is still there."""

    def __str__(self) -> str:
        if self.stored:
            return f"upstream {self.upstream.id}: {self.message}"
        left = ("kept the last snapshot" if self.kept else "no snapshot stored yet")
        return f"upstream {self.upstream.id}: warning: {self.message}; {left}"


def pull_upstream(config: SiteConfig, now: datetime, timeout: float = TIMEOUT) -> list[Pulled]:
    """Fetch every upstream service's summary and store the good ones; return what happened
    to each, in the order of the settings. Raise OSError if a snapshot cannot be written."""
    return [_pull(config.root, upstream, now, timeout) for upstream in config.upstream]


def _pull(root: Path, upstream: Upstream, now: datetime, timeout: float) -> Pulled:
    path = snapshot_path(root, upstream)
    try:
        summary = fetch_summary(upstream.summary_url, timeout)
    except FetchFailed as exc:
        return Pulled(upstream, False, str(exc), path.is_file())
    replace_whole(path, snapshot_document(upstream, summary, now))
    status = summary["status"]
    return Pulled(upstream, True, f"{status['indicator']} ({status['description']})")


class FetchFailed(Exception):
    """A summary could not be fetched, or what came is not a summary."""


def fetch_summary(url: str, timeout: float) -> dict[str, Any]:
    """Return the summary.json at `url`, checked; raise FetchFailed saying why not."""
    request = urllib.request.Request(url, headers={
        "Accept": "application/json", "User-Agent": f"statuspage-static/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_SNAPSHOT_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise FetchFailed(f"{url} answered HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        text = "timed out" if isinstance(reason, TimeoutError) else str(
            getattr(reason, "strerror", None) or reason)
        raise FetchFailed(f"cannot reach {url}: {text}") from None
    except TimeoutError:
        raise FetchFailed(f"cannot reach {url}: timed out") from None
    except http.client.HTTPException as exc:
        raise FetchFailed(f"{url} broke off its answer ({type(exc).__name__})") from None
    except OSError as exc:
        raise FetchFailed(f"cannot reach {url}: {exc.strerror or exc}") from None
    if len(body) > MAX_SNAPSHOT_BYTES:
        raise FetchFailed(f"{url} sent more than {MAX_SNAPSHOT_BYTES // 2**20} MiB")
    try:
        summary = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FetchFailed(f"{url} did not send JSON") from None
    wrong = summary_problems(summary)
    if wrong or not isinstance(summary, dict):
        raise FetchFailed(f"{url} is not a Statuspage summary: {wrong[0][1]}")
    return summary

