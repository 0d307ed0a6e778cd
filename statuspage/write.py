"""Writing the site: into a temporary folder beside the output, swapped in only when whole.

The output folder is only ever replaced by one that a build finished, so readers and
uploads see the old site or the new one, never a mix. A folder that a build did not make
is never replaced.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import secrets
import shutil
from pathlib import Path, PurePosixPath

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


class SiteWriter:
    """Collects the files of one build in a temporary folder; `commit` swaps it in."""

    def __init__(self, out: Path) -> None:
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(out)
        token = secrets.token_hex(4)
        self.tmp = out.parent / f".{out.name}.tmp-{os.getpid()}-{token}"
        self.tmp.mkdir()
        self.count = 0
        self.kept = 0
        # The site being replaced, if a build made it: unchanged files are linked from it.
        self.previous = out if (out / MARKER).is_file() and not out.is_symlink() else None

    def write(self, relative: str, data: bytes) -> None:
        """Write one file of the site; `relative` must stay inside the site."""
        parts = PurePosixPath(relative).parts
        if not parts or PurePosixPath(relative).is_absolute() or any(
                p in ("..", ".", "") for p in parts):
            raise ValueError(f"refusing to write outside the site: {relative!r}")
        path = self.tmp.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.count += 1
        if self._keep(parts, path, data):
            return
        path.write_bytes(data)

    def _keep(self, parts: tuple[str, ...], path: Path, data: bytes) -> bool:
        """Link the previous build's copy when it has the same bytes, so an unchanged file keeps
        its modification time (rsync and CDN uploads skip it) and costs no write."""
        if self.previous is None:
            return False
        old = self.previous.joinpath(*parts)
        try:
            if old.is_symlink() or old.stat().st_size != len(data) or old.read_bytes() != data:
                return False
            os.link(old, path)
        except OSError:
            return False
        self.kept += 1
        return True

    def reuse(self, relative: str) -> bool:
        """Link the previous build's copy of a file known to be unchanged; False if it has none."""
        parts = PurePosixPath(relative).parts
        if self.previous is None or ".." in parts:
            return False
        old = self.previous.joinpath(*parts)
        path = self.tmp.joinpath(*parts)
        try:
            if old.is_symlink() or not old.is_file():
                return False
            path.parent.mkdir(parents=True, exist_ok=True)
            os.link(old, path)
        except OSError:
            return False
        self.count += 1
        self.kept += 1
        return True

    def commit(self) -> None:
        """Replace the output folder with the finished one in a single step."""
        (self.tmp / MARKER).write_bytes(MARKER_TEXT)
        if not self.out.exists():
            os.rename(self.tmp, self.out)
            return
        if _exchange(self.tmp, self.out):
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        old = self.out.parent / f".{self.out.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
        os.rename(self.out, old)
        os.rename(self.tmp, self.out)
        shutil.rmtree(old, ignore_errors=True)

    def abort(self) -> None:
        """Throw the unfinished folder away; the output is untouched."""
        shutil.rmtree(self.tmp, ignore_errors=True)
