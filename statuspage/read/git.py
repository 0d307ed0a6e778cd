"""How many times each maintenance window was moved, read from the repository's git history.

A calendar event's SEQUENCE must grow whenever its window changes, but a static build keeps no
state between runs; git keeps it for us. One `git log` call covers every maintenance file.
Outside a git work tree (or without git) every window counts as never moved.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..model import Maintenance
from ..times import TimeError, parse_timestamp

_WINDOW_LINE = re.compile(r"^\+(scheduled|until):\s*(.*?)\s*(?:#.*)?$")


@dataclass(frozen=True)
class Revisions:
    """What git says of one maintenance file."""

    moves: int
    """How often (scheduled, until) changed after the file was first written; an uncommitted
    change counts as one more."""
    committed: datetime | None = None
    """When the file was last committed, if it ever was."""
    first: datetime | None = None
    """When the file was first committed."""


def announced(item: Maintenance, found: Revisions | None, now: datetime) -> tuple[datetime,
                                                                                   datetime]:
    """Return when a maintenance was announced and when it last changed: its updates and
    commits, never the build time, so feeds and the API stay the same from build to build."""
    updates = [u.at for u in item.updates if u.at <= now]
    firsts = [*updates, *([found.first] if found and found.first else [])]
    lasts = [*updates, *([found.committed] if found and found.committed else [])]
    published = min(firsts) if firsts else item.scheduled
    return published, max([published, *lasts])


def window_changes(root: Path, current: dict[Path, tuple[datetime, datetime]],
                   ) -> dict[Path, Revisions] | None:
    """Return, per file, how often its window moved and when it was last committed; None if
    git could not be asked (outside a work tree, or it failed): every window then counts as
    never moved."""
    if not current:
        return {}
    found_history = _history(root, current)
    if found_history is None:
        return None
    history, committed = found_history
    found = {}
    for path, (scheduled, until) in current.items():
        versions = [*history.get(path, []), (scheduled, until)]
        distinct = [v for i, v in enumerate(versions) if i == 0 or v != versions[i - 1]]
        times = committed.get(path, [])
        found[path] = Revisions(len(distinct) - 1, max(times, default=None),
                                min(times, default=None))
    return found


Versions = dict[Path, list[tuple[datetime, datetime]]]


def _history(root: Path, current: dict[Path, tuple[datetime, datetime]],
             ) -> tuple[Versions, dict[Path, list[datetime]]] | None:
    try:
        result = subprocess.run(
            # Paths relative to the status repository, whatever the user's diff settings.
            ["git", "log", "--reverse", "--no-color", "--no-renames", "--relative",
             "--src-prefix=a/", "--dst-prefix=b/", "--no-ext-diff", "-p", "-U0",
             "--format=%x01%ct", "--", *[str(p.relative_to(root)) for p in current]],
            cwd=root, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if result.returncode != 0:
        return None
    return _parse(result.stdout, root, current)


def _parse(log: str, root: Path, current: dict[Path, tuple[datetime, datetime]],
           ) -> tuple[Versions, dict[Path, list[datetime]]]:
    """Return each file's window after every commit that changed it, oldest first, and the
    times of the commits that touched it."""
    history: Versions = {}
    committed: dict[Path, list[datetime]] = {}
    for commit in log.split("\x01")[1:]:
        changed: dict[Path, dict[str, datetime]] = {}
        path: Path | None = None
        stamp, _, body = commit.partition("\n")
        when = datetime.fromtimestamp(int(stamp), UTC) if stamp.isdigit() else None
        for line in body.split("\n"):
            if line.startswith("+++ "):
                name = line[4:].strip()
                path = root / name[2:] if name.startswith("b/") else None
                if path in current and when is not None:
                    committed.setdefault(path, []).append(when)
                continue
            match = _WINDOW_LINE.match(line)
            if path is None or path not in current or match is None:
                continue
            zone = current[path][0].tzinfo or UTC
            try:
                moment = parse_timestamp(match.group(2).strip("'\""), zone)
            except TimeError:
                continue
            changed.setdefault(path, {})[match.group(1)] = moment
        for path, values in changed.items():
            versions = history.setdefault(path, [])
            before = versions[-1] if versions else current[path]
            versions.append((values.get("scheduled", before[0]), values.get("until", before[1])))
    return history, committed
