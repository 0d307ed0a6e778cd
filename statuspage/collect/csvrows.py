"""Rows of `metrics/<id>/<YYYY-MM>.csv`: appended whole, read back for the latest ones.

A row is never torn: rows for an existing file go in one `write()` to a file opened for
appending, then `fsync`; a new file is written under a temporary name and linked into place,
so it appears with its header and rows or not at all (and two runs never both create it).
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..write.whole import create_whole

METRICS = "metrics"


class RowsError(Exception):
    """A data file that rows can't be added to; the message names it and says why."""


@dataclass(frozen=True)
class Row:
    """A stored row as `probe` needs it back: when, how many, how many failed."""

    time: datetime
    count: float
    errors: float

    @property
    def failed(self) -> bool:
        """Return whether the row holds a failure."""
        return self.errors > 0


def folder_of(root: Path, component_id: str) -> Path:
    """Return the folder of a component's data files."""
    return root / METRICS / component_id


def month_file(folder: Path, at: datetime) -> Path:
    """Return the file (one a month, in UTC) that holds rows at `at`."""
    return folder / f"{at.astimezone(UTC):%Y-%m}.csv"


def stamp(at: datetime) -> str:
    """Return `at` as the rows write it: ISO 8601 in UTC, such as '2026-11-24T12:05:00Z'."""
    moment = at.astimezone(UTC)
    text = moment.replace(tzinfo=None).isoformat(timespec="seconds")
    return f"{text}Z"


def header_of(path: Path) -> list[str] | None:
    """Return the column names of an existing data file, None if there is no such file."""
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
        return [name.strip() for name in next(csv.reader([first]), [])]
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, csv.Error):
        raise RowsError(f"{path}: not UTF-8 CSV text ('statuspage check' says where)") from None


def append(path: Path, columns: Sequence[str], rows: Iterable[dict[str, str]],
           shown: str) -> int:
    """Add `rows` (column -> text) to the data file `path`, creating it with `columns` as its
    header; an existing file keeps its own header and column order. Return the rows added."""
    lines = list(rows)
    if not lines:
        return 0
    _sweep(path.parent)
    header = header_of(path)
    if header is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if _create(path, list(columns), lines):
            return len(lines)
        header = header_of(path) or []
    _check(header, columns, lines, shown)
    data = _text(header, lines)
    fd = os.open(path, os.O_RDWR | os.O_APPEND)
    try:
        # Held while looking at the end and writing: another run's rows, half copied in,
        # would look like a line cut short.
        _lock(fd)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            # A file whose last line was cut short: ours start on a line of their own.
            data = "\n" + data
        _write_all(fd, data.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return len(lines)


def _lock(fd: int) -> None:
    """Hold an exclusive advisory lock on `fd` until it is closed (where there are such)."""
    try:
        import fcntl
    except ImportError:  # (Windows: one writer at a time is up to the operator)
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def fits(path: Path, columns: Sequence[str], rows: list[dict[str, str]], shown: str) -> None:
    """Raise RowsError if `rows` can't be added to the existing file `path` as they are."""
    header = header_of(path)
    if header is not None:
        _check(header, columns, rows, shown)


def _check(header: list[str], columns: Sequence[str], rows: list[dict[str, str]],
           shown: str) -> None:
    missing = [c for c in columns if c not in header and any(r.get(c) for r in rows)]
    if missing or "time" not in header:
        raise RowsError(f"{shown}: its header ({','.join(header)}) lacks "
                        f"{', '.join(missing or ['time'])}; rows of this form need the "
                        f"columns {','.join(columns)} (start a new file for them)")


def _sweep(folder: Path, older: float = 600.0) -> None:
    """Remove the temporary files of runs that were killed before they could (a run takes
    seconds; one left for `older` seconds is no one's)."""
    try:
        names = [p for p in folder.iterdir() if p.name.startswith(".") and
                 p.name.endswith(".tmp")]
    except OSError:
        return
    for path in names:
        try:
            if time.time() - path.stat().st_mtime > older:
                path.unlink()
        except OSError:
            pass


def _create(path: Path, columns: list[str], rows: list[dict[str, str]]) -> bool:
    """Write a new file whole; return False if another run created it meanwhile."""
    return create_whole(path, (",".join(columns) + "\n" + _text(columns, rows)).encode())

def _text(columns: Sequence[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def data_files(folder: Path) -> list[Path]:
    """Return a component's data files, oldest month first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix == ".csv" and p.is_file()
                  and not p.name.startswith("."))


def recent_rows(folder: Path, files: int = 2) -> list[Row]:
    """Return the rows of the latest `files` data files, oldest first; rows that can't be
    read (the build reports them) are passed over."""
    rows = [row for path in data_files(folder)[-files:] for row in recent_rows_of(path)]
    rows.sort(key=lambda r: r.time)
    return rows


def _row(record: dict[str | None, str | None]) -> Row | None:
    try:
        at = datetime.fromisoformat((record.get("time") or "").strip())
        count = float(record.get("count") or 1)
        errors = float(record.get("errors") or 0)
    except ValueError:
        return None
    return Row(at, count, errors) if at.tzinfo is not None else None


def last_time(folder: Path) -> datetime | None:
    """Return the time of the latest row stored for a component, None if there is none."""
    for path in reversed(data_files(folder)):
        rows = recent_rows_of(path)
        if rows:
            return max(r.time for r in rows)
    return None


def recent_rows_of(path: Path) -> list[Row]:
    """Return the readable rows of one data file."""
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            return [row for record in csv.DictReader(handle)
                    if (row := _row(record)) is not None]
    except (UnicodeDecodeError, csv.Error):
        raise RowsError(f"{path}: not UTF-8 CSV text ('statuspage check' says where)") from None
