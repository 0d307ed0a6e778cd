"""Files written whole or not at all, for what commands write into a status repository
(incidents, data rows, snapshots): a run that is killed leaves the old file or the new one."""

from __future__ import annotations

import os
from pathlib import Path


def replace_whole(path: Path, content: bytes) -> None:
    """Write `content` to `path`, replacing any file there, through a file beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = _aside(path, content)
    try:
        os.replace(aside, path)
    finally:
        aside.unlink(missing_ok=True)
    _sync_folder(path.parent)


def create_whole(path: Path, content: bytes) -> bool:
    """Write `content` as the new file `path`; return False, writing nothing, if a file of
    that name exists (another run made it meanwhile)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = _aside(path, content)
    try:
        os.link(aside, path)
    except FileExistsError:
        return False
    finally:
        aside.unlink(missing_ok=True)
    _sync_folder(path.parent)
    return True


def _aside(path: Path, content: bytes) -> Path:
    """Return a hidden file beside `path` holding `content`, on disk."""
    aside = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        aside.unlink(missing_ok=True)
        raise
    os.close(fd)
    return aside


def _sync_folder(folder: Path) -> None:
    """Put the folder's new entry on disk too (where the system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
