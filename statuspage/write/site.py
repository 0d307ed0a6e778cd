"""The output folder: the marker that tells a folder a build made, what a build may replace,
the leftovers of builds that were killed, and the identity of each finished site."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
from pathlib import Path

MARKER = ".statuspage-site"
"""File in every built site: it tells a later build that this folder may be replaced."""
MARKER_TEXT = b"Built by statuspage. This folder is replaced whole by every build.\n"
_RENAME_EXCHANGE = 2


class OutputRefused(Exception):
    """The output folder can't be used; the message says why and what to do."""


def check_output(out: Path, protected: list[Path]) -> None:
    """Raise OutputRefused unless `out` is a folder a build may create or replace."""
    if out.is_symlink():
        raise OutputRefused(f"output '{out}' is a symbolic link; give the real folder")
    target = out.resolve()
    for keep in protected:
        keep = keep.resolve()
        if target == keep or target in keep.parents:
            what = "is" if target == keep else "contains"
            raise OutputRefused(f"output '{out}' {what} '{keep}', which a build would replace; "
                                "choose an output folder of its own, such as 'site'")
    if target.exists() and not target.is_dir():
        raise OutputRefused(f"output '{out}' is a file, not a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise OutputRefused(f"output '{out}' is not empty and was not made by statuspage; "
                            "refusing to replace it (empty it yourself, or pick another folder)")


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders atomically (Linux renameat2); return False where that can't be done."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second),
                       _RENAME_EXCHANGE)
    return bool(result == 0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(out: Path) -> None:
    """Remove temporary folders that builds killed before finishing left beside `out`."""
    parent = out.parent
    if not parent.is_dir():
        return
    for path in parent.glob(f".{out.name}.*-*"):
        kind, _, rest = path.name[len(out.name) + 2:].partition("-")
        pid = rest.split("-", 1)[0]
        if kind in ("tmp", "old") and pid.isdigit() and not _alive(int(pid)) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def same_device(first: Path, second: Path) -> bool:
    try:
        return first.stat().st_dev == second.stat().st_dev
    except OSError:
        return False


def identity(marker: Path) -> str:
    """Return what tells one build's output apart from any other's: the marker file is
    written anew by every build, so its inode and time change each time."""
    try:
        found = marker.stat()
    except OSError:
        return ""
    return f"{found.st_dev}:{found.st_ino}:{found.st_mtime_ns}"


