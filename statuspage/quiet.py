"""Quiet rebuilds: what a build keeps so that the next one, if nothing has changed but the
clock, can make only what the clock moves.

A build with no input changed (no file under incidents/, no setting, template or logo, no git
commit, the same package) still differs from the last one: the front page says when it was
made, and today's uptime keeps growing. Until the next instant at which anything else would
change (the horizon: midnight, or the next time written in any file, such as an update or a
maintenance window), every other page, feed and API file is the same as the last build's.
A quiet rebuild remakes the front page, `api/uptime.json`, the badges, any feed with no entry
(whose time is the build's), and the component pages and uptime page whose figures, as shown,
have moved (a budget left to a tenth of a minute moves every hour or two); it links every
other file from the last build. If anything is not exactly as it was, the full build runs.
"""

from __future__ import annotations

import hashlib
import pickle
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from . import __version__
from .cache import (
    file_status,
    fingerprint,
    quiet_paths,
    read_signed,
    secret,
    settled,
    toolchain,
    write_signed,
)
from .config import SiteConfig
from .errors import Problem
from .load import Found
from .model import Incident, Site
from .revisions import Revisions
from .sla import Period
from .status import Overview
from .uptime import Line, Midnights

FORMAT = 3


@dataclass(frozen=True)
class Body:
    """What a quiet rebuild makes its files from; written once, by the full build."""

    site: Site
    """The incidents the front page can show (the bars' days), and all maintenance."""
    mine: dict[str, bytes]
    """What each component page can show of its incidents, and how many it has, pickled
    apart: only the pages whose figures moved need theirs (`incidents_of`)."""
    periods: list[Period]
    """The response and resolution records of the uptime page."""
    state: Overview
    lines: list[Line]
    """Each component's uptime timeline."""
    past: dict[str, Any]
    """Figures of past days and months, as `uptime.figures` keeps them."""
    feeds: list[tuple[str, str, dict[str, Any]]]
    """Feeds with no entry (path, template, context but the settings and time)."""
    assets: dict[str, str]
    colour: str
    common: str
    """The fingerprint the last build's pages were made with."""
    problems: list[Problem]
    days: int
    files: list[str]
    """Every file of the output."""

    def incidents_of(self, components: Iterable[str]) -> dict[str, tuple[list[Incident], int]]:
        """Return what the pages of these components show of their incidents."""
        return {cid: pickle.loads(self.mine[cid]) for cid in components if cid in self.mine}


def kept_incidents(mine: list[Incident], total: int) -> bytes:
    """Return a component's incidents as `Body.mine` keeps them."""
    return pickle.dumps((mine, total), protocol=pickle.HIGHEST_PROTOCOL)


@dataclass(frozen=True)
class Snapshot:
    """What tells whether the next build may be quiet; rewritten by every build."""

    inputs: str
    """A digest of every input but the clock and git (see `inputs`)."""
    git: str | None
    """The commit checked out, where git history shows on the site (maintenance)."""
    now: datetime
    horizon: datetime
    """The first instant after `now` at which anything but the clock's outputs changes."""
    shown: dict[str, str]
    """What the clock can change of the component pages and the uptime page."""
    output: str
    """The identity of the output folder the build made."""
    body: bytes = b""
    """The signature of the body that goes with it."""
    format: int = FORMAT


class Kept(dict[str, Any]):
    """Past uptime figures, as `uptime.figures` reads and adds them."""

    def put(self, key: str, value: Any) -> None:
        self[key] = value


def inputs(config: SiteConfig, found: list[Found], templates: str,
           scanned: int) -> tuple[str, bool]:
    """Return a digest of every input of a build but the clock and git (the files as found
    at `scanned`, in ns), and whether it can be trusted: a file changed within the file
    system's clock tick before it was found could change again and keep its status."""
    # (Joined as text: the repr of ten thousand tuples takes twice as long.)
    files = "\n".join([f"{f.relative!r}{file_status(f.status)}" for f in found])
    trusted = all(settled(f.status, scanned) for f in found)
    logo: object = None
    if config.logo is not None:
        try:
            status = config.logo.stat()
            logo = file_status(status)
            trusted = trusted and settled(status, scanned)
        except OSError:
            logo = "missing"
    digest = fingerprint(__version__, toolchain(), config, templates, logo, files)
    return digest, trusted


def git_head(root: Path) -> str:
    """Return what the history git shows of `root` follows from: the commit checked out, and
    a shallow clone's boundary (deepening it shows more history without moving HEAD); ''
    outside git."""
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD", "--git-path", "shallow"],
                                cwd=root, capture_output=True, text=True, timeout=30,
                                check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    if result.returncode != 0:
        return ""
    head, _, shallow = result.stdout.strip().partition("\n")
    try:
        boundary = (root / shallow).read_bytes() if shallow else b""
    except OSError:
        boundary = b""
    return f"{head}|{hashlib.sha256(boundary).hexdigest()}"


def horizon(config: SiteConfig, site: Site, state: Overview, now: datetime,
            revisions: dict[str, Revisions]) -> datetime | None:
    """Return the first instant after `now` at which a page, feed or API file can change
    other than through the clock's own outputs; None if one changes all the time (an
    incident ongoing, maintenance under way) or if nothing has happened yet (the API's
    times are the build's then)."""
    if state.ongoing or state.active or not any(i.started <= now for i in site.incidents):
        return None
    zone = config.timezone
    midnight = Midnights(zone)(now.astimezone(zone).date() + timedelta(days=1))
    moments: list[datetime] = [datetime.fromtimestamp(midnight, zone)]
    for incident in site.incidents:
        moments.append(incident.started)
        moments += [update.at for update in incident.updates]
        moments += [step.at for steps in incident.components.values() for step in steps]
        if incident.postmortem is not None and incident.postmortem.published is not None:
            moments.append(incident.postmortem.published)
    for item in site.maintenances:
        moments += [item.scheduled, item.until, *(update.at for update in item.updates)]
    for known in revisions.values():
        moments += [t for t in (known.committed, known.first) if t is not None]
    return min(t for t in moments if t > now)


def shown_on_front(site: Site, now: datetime, days: int) -> Site:
    """Return the incidents whose impact reaches into the last `days` days (and a margin),
    all that the front page can show before the next midnight, and all maintenance."""
    since = now - timedelta(days=days + 2)
    return Site(tuple(i for i in site.incidents if i.end(now) >= since), site.maintenances)


def load(config: SiteConfig, out: Path) -> Snapshot | None:
    """Return the snapshot the last build into `out` left, if it is ours and whole."""
    paths, key = quiet_paths(config.root, out), secret()
    if paths is None or key is None:
        return None
    found = read_signed(key, paths[0])
    if found is None or not isinstance(found[1], Snapshot) or found[1].format != FORMAT:
        return None
    return found[1]


def load_body(config: SiteConfig, out: Path, snapshot: Snapshot) -> Body | None:
    """Return the body that goes with the snapshot, if it is there and whole."""
    paths, key = quiet_paths(config.root, out), secret()
    if paths is None or key is None:
        return None
    found = read_signed(key, paths[1])
    if found is None or found[0] != snapshot.body or not isinstance(found[1], Body):
        return None
    return found[1]


def save(config: SiteConfig, out: Path, snapshot: Snapshot | None,
         body: Body | None = None) -> None:
    """Keep the snapshot for the next build into `out`, with a new body if one is given
    (else with the last one); None forgets the last snapshot."""
    paths, key = quiet_paths(config.root, out), secret()
    if paths is None or key is None:
        return
    head, rest = paths
    if body is not None and snapshot is not None:
        signature = write_signed(key, rest, body)
        snapshot = replace(snapshot, body=signature) if signature else None
    if snapshot is None or not write_signed(key, head, snapshot):
        head.unlink(missing_ok=True)
