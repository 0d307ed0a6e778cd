"""Upstream services: the `upstream:` settings, and the snapshots of their status pages that
`statuspage pull` stores under `upstream/<id>.json` and a build reads.

A snapshot is `{"fetched_at": ISO time, "url": the page's address, "summary": its Statuspage
v2 summary.json as fetched}`. What a build shows of it is an `UpstreamStatus`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import Location, Problem, error, warning
from ..model import ComponentStatus
from .address import web_address
from .files import YamlData, check_keys, parse_yaml

UPSTREAM_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FOLDER = "upstream"
"""Where the snapshots live, beside statuspage.yaml."""
MAX_SNAPSHOT_BYTES = 4 * 1024 * 1024
INDICATORS = ("none", "minor", "major", "critical", "maintenance")
"""The indicators a Statuspage summary may give (maintenance: a window in progress)."""
_KEYS = ("id", "name", "url")


@dataclass(frozen=True)
class Upstream:
    """A service this site depends on, with a Statuspage-compatible status page."""

    id: str
    name: str
    url: str
    """The status page's address, ending in '/'; its API is at `url` + 'api/v2/'."""

    @property
    def summary_url(self) -> str:
        """Return the address of the page's summary.json."""
        return f"{self.url}api/v2/summary.json"


@dataclass(frozen=True)
class UpstreamIncident:
    """An unresolved incident or a maintenance in progress on an upstream page."""

    name: str
    status: str
    impact: str
    link: str | None
    """The incident's page on the upstream site (its shortlink), if it has a web address."""


@dataclass(frozen=True)
class UpstreamStatus:
    """What a build shows of one upstream service."""

    upstream: Upstream
    fetched_at: datetime | None
    """When the snapshot was fetched; None if there is no snapshot yet."""
    indicator: str = "none"
    description: str = ""
    status: ComponentStatus = ComponentStatus.OPERATIONAL
    """The indicator as a component status, for the colour and icon it is shown with."""
    incidents: tuple[UpstreamIncident, ...] = ()


def parse_settings(value: Any, data: YamlData, shown: str) -> tuple[tuple[Upstream, ...],
                                                                      list[Problem]]:
    """Return the services listed under `upstream:` and every problem with them."""
    problems: list[Problem] = []

    def fail(path: tuple[str | int, ...], message: str) -> None:
        problems.append(error(Location(shown, data.line("upstream", *path)), message))

    if value is None:
        return (), problems
    if not isinstance(value, list):
        fail((), "upstream: expected a list such as "
                 "'- {id: openai, name: OpenAI, url: https://status.openai.com/}'")
        return (), problems
    found: list[Upstream] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            fail((index,), "upstream: each entry must be a mapping with id, name and url")
            continue
        problems += check_keys(item, _KEYS, data, shown, ("upstream", index), "upstream.")
        texts = {k: item.get(k) for k in _KEYS}
        bad = [k for k, v in texts.items() if not isinstance(v, str) or not v.strip()]
        for key in bad:
            fail((index, key), f"upstream: '{key}' is required and must be text")
        if bad:
            continue
        uid, name, url = (str(texts[k]).strip() for k in _KEYS)
        if not UPSTREAM_ID.match(uid):
            fail((index, "id"), f"upstream id '{uid}' must be lowercase letters, digits and "
                                "hyphens, starting with a letter or digit")
            continue
        if any(u.id == uid for u in found):
            fail((index, "id"), f"duplicate upstream id '{uid}'")
            continue
        parts = web_address(url)
        if parts is None or parts.query:
            fail((index, "url"), f"upstream url '{url}' must be the absolute http(s) address "
                                 "of a status page, such as 'https://status.openai.com/'")
            continue
        if "<" in name:
            fail((index, "name"), "upstream name: HTML is not allowed here; write plain text")
            continue
        found.append(Upstream(uid, name, url if url.endswith("/") else url + "/"))
    return tuple(found), problems


def summary_problems(summary: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Return what is wrong with a Statuspage v2 summary.json document, each with the key
    path it is at; [] if it has the shape this project reads."""
    if not isinstance(summary, dict):
        return [((), "expected a JSON object (Statuspage's summary.json)")]
    found: list[tuple[tuple[str | int, ...], str]] = []
    page = summary.get("page")
    if not isinstance(page, dict) or not isinstance(page.get("name"), str):
        found.append((("page",), "page: expected an object with a name"))
    status = summary.get("status")
    if not isinstance(status, dict):
        found.append((("status",), "status: expected an object with indicator and description"))
    else:
        if status.get("indicator") not in INDICATORS:
            found.append((("status", "indicator"), f"status.indicator: expected one of "
                                                   f"{', '.join(INDICATORS)}"))
        if not isinstance(status.get("description"), str):
            found.append((("status", "description"), "status.description: expected text"))
    for key in ("components", "incidents", "scheduled_maintenances"):
        items = summary.get(key, [])
        if not isinstance(items, list):
            found.append(((key,), f"{key}: expected a list"))
            continue
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) \
                    or not isinstance(item.get("status"), str):
                found.append(((key, index), f"{key}[{index}]: expected an object with a name "
                                            "and a status"))
                break
            link = item.get("shortlink")
            if link is not None and not isinstance(link, str):
                found.append(((key, index, "shortlink"), f"{key}[{index}].shortlink: "
                                                         "expected text"))
                break
    if "components" not in summary:
        found.append(((), "components: missing"))
    return found


def snapshot_path(root: Path, upstream: Upstream) -> Path:
    """Return the file a snapshot of `upstream` is stored in."""
    return root / FOLDER / f"{upstream.id}.json"


def snapshot_document(upstream: Upstream, summary: Any, fetched_at: datetime) -> bytes:
    """Return the bytes of a snapshot: one key a line, so a problem has a line to point at."""
    return (json.dumps({"fetched_at": fetched_at.isoformat(), "url": upstream.url,
                        "summary": summary}, ensure_ascii=False, indent=1) + "\n").encode()


def read_snapshots(root: Path, upstreams: tuple[Upstream, ...], shown: Callable[[Path], str],
                   ) -> tuple[tuple[UpstreamStatus, ...], list[Problem]]:
    """Return what each upstream's stored snapshot says, in the order of the settings, and
    every problem (`shown(path)` is how a path is written in messages). A service with no
    snapshot yet is shown without a status, with a warning."""
    statuses: list[UpstreamStatus] = []
    problems: list[Problem] = []
    for upstream in upstreams:
        path = snapshot_path(root, upstream)
        where = shown(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            problems.append(warning(Location(where), f"no snapshot of upstream '{upstream.id}' "
                                                     "yet (run 'statuspage pull')"))
            statuses.append(UpstreamStatus(upstream, None))
            continue
        except OSError as exc:
            problems.append(error(Location(where), f"cannot read: {exc.strerror}"))
            continue
        status, more = _snapshot(upstream, raw, where)
        problems += more
        if status is not None:
            statuses.append(status)
    return tuple(statuses), problems


def _snapshot(upstream: Upstream, raw: bytes,
              where: str) -> tuple[UpstreamStatus | None, list[Problem]]:
    if len(raw) > MAX_SNAPSHOT_BYTES:
        return None, [error(Location(where), f"larger than {MAX_SNAPSHOT_BYTES // 2**20} MiB")]
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [error(Location(where, 1), "not UTF-8 text")]
    except json.JSONDecodeError as exc:
        return None, [error(Location(where, exc.lineno), f"invalid JSON: {exc.msg}")]
    wrong: list[tuple[tuple[str | int, ...], str]] = []
    fetched: datetime | None = None
    if not isinstance(document, dict):
        wrong.append(((), "expected an object with fetched_at, url and summary"))
    else:
        try:
            fetched = datetime.fromisoformat(str(document.get("fetched_at")))
            if fetched.tzinfo is None:
                raise ValueError
        except ValueError:
            wrong.append((("fetched_at",), "fetched_at: expected a time with its UTC offset"))
        wrong += [(("summary", *path), f"summary: {message}")
                  for path, message in summary_problems(document.get("summary"))]
    if wrong or fetched is None:
        lines, _ = parse_yaml(raw.decode("utf-8"), where)  # (JSON is YAML: for the lines)
        return None, [error(Location(where, lines.line(*path) if lines else 1), message)
                      for path, message in wrong]
    return _status(upstream, document["summary"], fetched), []


_INDICATOR_STATUS = {"none": ComponentStatus.OPERATIONAL,
                     "minor": ComponentStatus.DEGRADED_PERFORMANCE,
                     "major": ComponentStatus.PARTIAL_OUTAGE,
                     "critical": ComponentStatus.MAJOR_OUTAGE,
                     "maintenance": ComponentStatus.UNDER_MAINTENANCE}


def _status(upstream: Upstream, summary: dict[str, Any], fetched: datetime) -> UpstreamStatus:
    status = summary["status"]
    active = [m for m in summary.get("scheduled_maintenances", [])
              if m["status"] in ("in_progress", "verifying")]
    listed = [i for i in summary.get("incidents", [])
              if i["status"] not in ("resolved", "postmortem")] + active
    indicator = status["indicator"]
    shown = _INDICATOR_STATUS[indicator]
    if indicator == "none" and active:
        shown = ComponentStatus.UNDER_MAINTENANCE
    return UpstreamStatus(
        upstream, fetched, indicator, status["description"], shown,
        tuple(UpstreamIncident(i["name"], i["status"], str(i.get("impact") or "none"),
                               _link(i.get("shortlink"))) for i in listed))


def _link(value: Any) -> str | None:
    """Return an incident's address if it is a web address (never javascript: or the like)."""
    if isinstance(value, str) and web_address(value) is not None:
        return value
    return None
