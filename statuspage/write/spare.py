"""The spare site: the site a build replaced, kept in the cache folder so that the next build
starts from it (writing only what differs), and the records that say what a finished site
holds, so that a spare is trusted only while it is exactly what its record says."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from .site import MARKER, MARKER_TEXT, identity, same_device


def set_aside(out: Path, spare: Path) -> bool:
    """Make a spare of the finished site `out` where there is none (after a first build): a
    copy of it made of hard links, recorded as the site it replaced, so that the next build
    starts from it as from any spare rather than from an empty folder. Return whether it was
    made. Meant for a moment when no build runs (`serve` after its first build)."""
    current = _read_record(_out_record(spare))
    if spare.exists() or current is None or not same_device(spare.parent, out.parent) \
            or not current.get("identity") or current["identity"] != identity(out / MARKER):
        return False
    tmp = spare.with_name(f"{spare.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        tmp.mkdir()
        for folder in sorted(current["folders"], key=lambda f: f.count("/")):
            os.mkdir(f"{tmp}/{folder}")
        for name in current["files"]:
            os.link(f"{out}/{name}", f"{tmp}/{name}")
        (tmp / MARKER).write_bytes(MARKER_TEXT)
        record = _record(tmp, set(current["files"]), set(current["folders"]), {})
        if identity(out / MARKER) != current["identity"]:  # replaced meanwhile after all
            raise OSError("the site changed")
        os.rename(tmp, spare)  # (fails if a spare appeared meanwhile)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return False
    _write_record(_spare_record(spare), record)
    _write_record(_out_record(spare), {**current, "fresh": [], "after": record["identity"]})
    return True


def _record(tree: Path, files: set[str], folders: set[str],
            known: dict[str, int]) -> dict[str, Any]:
    """Return what a finished folder holds: its marker's identity, its files, and the
    modification time of each of its folders (which changes when an entry is added to or
    removed from that folder), as `known` has it or else as found."""
    return {"identity": identity(tree / MARKER), "files": sorted(files),
            "folders": {folder: known[folder] if folder in known
                        else os.lstat(f"{tree}/{folder}").st_mtime_ns for folder in folders}}


def _matches(tree: Path, record: dict[str, Any]) -> bool:
    """Return True if `tree` still holds exactly what `record` says."""
    try:
        if not record["identity"] or identity(tree / MARKER) != record["identity"]:
            return False
        for folder, mtime in record["folders"].items():
            if os.lstat(f"{tree}/{folder}").st_mtime_ns != mtime:
                return False
        top = {name.split("/", 1)[0] for name in record["files"]} | {MARKER}
        return set(os.listdir(tree)) == top
    except (OSError, KeyError, TypeError, AttributeError):
        return False


def _spare_record(spare: Path) -> Path:
    return spare.with_name(spare.name + ".json")


def _out_record(spare: Path) -> Path:
    return spare.with_name(spare.name + ".out.json")


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict) or not isinstance(found.get("files"), list) \
            or not isinstance(found.get("folders"), dict):
        return None
    return found


def _write_record(path: Path, record: dict[str, Any]) -> None:
    try:
        temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        temporary.write_text(json.dumps(record))
        os.replace(temporary, path)
    except OSError:
        return
