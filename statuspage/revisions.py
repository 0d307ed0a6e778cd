"""How many times each maintenance window was moved, read from the repository's git history.

A calendar event's SEQUENCE must grow whenever its window changes, but a static build keeps no
state between runs; git keeps it for us. One `git log` call covers every maintenance file.
Outside a git work tree (or without git) every window counts as never moved.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from .times import TimeError, parse_timestamp

_WINDOW_LINE = re.compile(r"^\+(scheduled|until):\s*(.*?)\s*(?:#.*)?$")


def window_changes(root: Path, current: dict[Path, tuple[datetime, datetime]]) -> dict[Path, int]:
    """Return, per file, how many times its (scheduled, until) changed after it was first
    written, counting an uncommitted change as one more."""
    counts = {path: 0 for path in current}
    if not current:
        return counts
    history = _history(root, current)
    for path, (scheduled, until) in current.items():
        versions = [*history.get(path, []), (scheduled, until)]
        distinct = [v for i, v in enumerate(versions) if i == 0 or v != versions[i - 1]]
        counts[path] = len(distinct) - 1
    return counts


def _history(root: Path, current: dict[Path, tuple[datetime, datetime]],
             ) -> dict[Path, list[tuple[datetime, datetime]]]:
    try:
        result = subprocess.run(
            # Paths relative to the status repository, whatever the user's diff settings.
            ["git", "log", "--reverse", "--no-color", "--no-renames", "--relative",
             "--src-prefix=a/", "--dst-prefix=b/", "--no-ext-diff", "-p", "-U0",
             "--format=%x01", "--", *[str(p.relative_to(root)) for p in current]],
            cwd=root, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError, ValueError):
        return {}
    if result.returncode != 0:
        return {}
    return _parse(result.stdout, root, current)


def _parse(log: str, root: Path, current: dict[Path, tuple[datetime, datetime]],
           ) -> dict[Path, list[tuple[datetime, datetime]]]:
    """Return each file's window after every commit that changed it, oldest first."""
    history: dict[Path, list[tuple[datetime, datetime]]] = {}
    for commit in log.split("\x01")[1:]:
        changed: dict[Path, dict[str, datetime]] = {}
        path: Path | None = None
        for line in commit.split("\n"):
            if line.startswith("+++ "):
                name = line[4:].strip()
                path = root / name[2:] if name.startswith("b/") else None
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
    return history
