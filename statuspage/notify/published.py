"""What a site publishes, read back from its Statuspage API documents in a folder or over HTTP.

Notices are made only from these published files, never from the repository, so nothing a
build leaves out (drafts, `internal:` notes, unpublished postmortems) can reach a notice.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .deliver import network_reason

DOCUMENTS = ("summary.json", "incidents.json", "scheduled-maintenances.json")
"""The documents notify reads, under api/v2/."""


class Unreadable(Exception):
    """A site's published files could not be read; the message says why (never a secret)."""


class Absent(Exception):
    """There is no site there yet (a first deploy): nothing to compare with."""


@dataclass(frozen=True)
class Published:
    """One site's published state: the page, its status, components, incidents, maintenance."""

    page: dict[str, Any]
    status: dict[str, Any]
    components: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    maintenances: list[dict[str, Any]]


def is_url(where: str) -> bool:
    """Return whether `where` names a site by its address rather than a folder."""
    return where.startswith(("http://", "https://"))


def read_published(where: str, timeout: float = 20.0) -> Published:
    """Return the state published at `where` (a folder or an http(s) address); raise Absent
    if no site is there, Unreadable if one is there but cannot be read."""
    documents = fetch_documents(where, timeout) if is_url(where) else read_folder(Path(where))
    return parse_documents(documents, where)


def fetch_documents(url: str, timeout: float = 20.0) -> dict[str, bytes]:
    """Return the bytes of each of DOCUMENTS at the site `url`; raise Absent when the first
    answers 404 (the site is not deployed yet), Unreadable on any other failure."""
    base = url if url.endswith("/") else url + "/"
    found: dict[str, bytes] = {}
    # A cache in front of the site (GitHub Pages keeps pages for minutes) could hand back an
    # older state, whose events were told already: ask past it.
    fresh = f"?fresh={time.time_ns()}"
    for name in DOCUMENTS:
        request = urllib.request.Request(f"{base}api/v2/{name}{fresh}", headers={
            "User-Agent": "statuspage-notify", "Cache-Control": "no-cache",
            "Pragma": "no-cache"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                found[name] = answer.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and not found:
                raise Absent(f"{url} has no api/v2/{name} (HTTP 404)") from None
            raise Unreadable(f"{url}: api/v2/{name}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise Unreadable(f"{url}: api/v2/{name}: {network_reason(exc)}") from None
    return found


def read_folder(folder: Path) -> dict[str, bytes]:
    """Return the bytes of each of DOCUMENTS in the built site `folder`; raise Absent if it
    holds none, Unreadable if one cannot be read."""
    if not (folder / "api" / "v2" / DOCUMENTS[0]).is_file():
        raise Absent(f"{folder} holds no built site (no api/v2/{DOCUMENTS[0]})")
    found = {}
    for name in DOCUMENTS:
        try:
            found[name] = (folder / "api" / "v2" / name).read_bytes()
        except OSError as exc:
            raise Unreadable(f"{folder}/api/v2/{name}: {exc.strerror or exc}") from None
    return found


def save_documents(documents: dict[str, bytes], folder: Path) -> None:
    """Write the documents under `folder`/api/v2: every one to a temporary file first, then
    each renamed in place, so that a run stopped while writing leaves the old set whole."""
    aside = []
    for name, content in documents.items():
        target = folder / "api" / "v2" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".partial")
        temporary.write_bytes(content)
        aside.append((temporary, target))
    for temporary, target in aside:
        temporary.replace(target)


def parse_documents(documents: dict[str, bytes], where: str) -> Published:
    """Return the published state the documents hold; raise Unreadable if they are not the
    Statuspage documents a site of this kind publishes."""
    parsed: dict[str, Any] = {}
    for name, content in documents.items():
        try:
            parsed[name] = json.loads(content)
        except (ValueError, UnicodeDecodeError):
            raise Unreadable(f"{where}: api/v2/{name} is not JSON") from None
        if not isinstance(parsed[name], dict):
            raise Unreadable(f"{where}: api/v2/{name} is not a JSON object")
    summary = parsed["summary.json"]
    try:
        published = Published(
            page=dict(summary["page"]), status=dict(summary["status"]),
            components=[dict(c) for c in summary["components"]],
            incidents=[dict(i) for i in parsed["incidents.json"]["incidents"]],
            maintenances=[dict(m) for m in
                          parsed["scheduled-maintenances.json"]["scheduled_maintenances"]])
    except (KeyError, TypeError, ValueError):
        raise Unreadable(f"{where}: the api/v2 documents do not have the expected fields") \
            from None
    for item in published.incidents + published.maintenances:
        if not isinstance(item.get("id"), str) or not isinstance(
                item.get("incident_updates"), list):
            raise Unreadable(f"{where}: an incident in api/v2 has no id or no updates")
    return published
