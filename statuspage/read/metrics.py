"""Measured data (SPEC §7): `metrics/<component>/*.csv`, read and checked row by row into
daily aggregates (`MetricFile`), with every bad row a `path:line` problem.

A file is read into what each day (in the site time zone) of its rows adds up to: the
count, the errors, and the latencies (each check's, sorted) or the histogram's buckets
(summed). What a period leaves out (maintenance, time before `since`, rows after `now`)
is taken out of the few days it touches by reading those days' rows again (`rows`).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..errors import Location, Problem, error, warning
from .metrics_rows import NO_LATENCY, READ, Day, MetricFile, Row, by_columns

LATENCY = "latency_ms"
HISTOGRAM = "le"
KNOWN = READ
MAX_PROBLEMS = 20
"""Problems reported per file: a file with a systematic mistake has it on every row."""


class DayOf:
    """Maps POSIX seconds to the ordinal of the day that holds them in a time zone, each
    quarter hour worked out once (every offset in use is a multiple of it)."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._known: dict[int, int] = {}

    def exact(self, moment: float) -> int:
        return datetime.fromtimestamp(moment, self.zone).toordinal()

    def __call__(self, moment: float) -> int:
        key = int(moment // 900)
        found = self._known.get(key)
        if found is None:
            start, end = self.exact(key * 900), self.exact(key * 900 + 899)
            found = self._known[key] = start if start == end else -1
        return found if found >= 0 else self.exact(moment)


def scan_metrics(root: Path, components: set[str],
                 shown: str = "metrics") -> tuple[list[tuple[str, Path, str]], list[Problem]]:
    """Return each CSV file under `root` (the metrics folder) as (component, path, path as
    messages show it), sorted, and the problems of the folder's layout."""
    problems: list[Problem] = []
    found: list[tuple[str, Path, str]] = []
    if not root.is_dir():
        return found, problems
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        where = f"{shown}/{entry.name}"
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            problems.append(warning(Location(where), "files belong in a folder named after "
                                                     "their component; this one is not read"))
            continue
        if entry.name not in components:
            problems.append(error(Location(where), f"no component has the id '{entry.name}' "
                                                   "(folders under metrics/ are component ids)"))
            continue
        for path in sorted(Path(entry.path).rglob("*.csv")):
            if path.is_file():
                found.append((entry.name, path, f"{where}/{path.relative_to(entry.path)}"))
    return found, problems


class _Reader:
    """Reads a file's rows, given its header; collects problems (a few per file)."""

    def __init__(self, shown: str, columns: tuple[str, ...]) -> None:
        self.shown = shown
        self.problems: list[Problem] = []
        self.errors = 0
        self.columns = columns
        index = {name: i for i, name in enumerate(columns)}
        self.time = index.get("time")
        self.count = index.get("count")
        self.error_column = index.get("errors")
        self.latency = index.get(LATENCY)
        bounds: list[tuple[float, int, str]] = []
        for i, name in enumerate(columns):
            if name.startswith("le_"):
                bound = _bound(name[3:])
                if bound is None:
                    self.fail(1, f"column '{name}': the bound must be a number of milliseconds "
                                 "(such as le_250 or le_99.5)")
                else:
                    bounds.append((bound, i, name))
            elif name not in KNOWN:
                self.problems.append(warning(Location(shown, 1), f"unknown column '{name}' "
                                                                 "is ignored"))
        bounds.sort()
        for (a, _, first), (b, _, second) in itertools.pairwise(bounds):
            if a == b:
                self.fail(1, f"columns '{first}' and '{second}' are the same bound")
        self.bounds = tuple(b for b, _, _ in bounds)
        self.bucket_columns = tuple(i for _, i, _ in bounds)
        self.bucket_names = tuple(n for _, _, n in bounds)
        if self.time is None:
            self.fail(1, "no 'time' column: the header must name the columns, such as "
                         "'time,count,errors,latency_ms'")
        if self.latency is not None and bounds:
            self.fail(1, "a file has either a latency_ms column or le_* columns, not both")
        if len(set(columns)) != len(columns):
            self.fail(1, "a column is named twice")

    @property
    def form(self) -> str:
        return LATENCY if self.latency is not None else HISTOGRAM if self.bounds else NO_LATENCY

    def fail(self, line: int, message: str) -> None:
        self.errors += 1
        if self.errors <= MAX_PROBLEMS:
            self.problems.append(error(Location(self.shown, line), message))

    def row(self, cells: list[str], line: int) -> Row | None:
        """Return the row, or None (with a problem) if it is bad."""
        if len(cells) != len(self.columns):
            self.fail(line, f"{len(cells)} values for {len(self.columns)} columns")
            return None
        assert self.time is not None
        text = cells[self.time]
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(line, f"time: '{text}' is not an ISO 8601 time such as "
                            "2026-11-24T12:00:00+08:00")
            return None
        if moment.tzinfo is None:
            self.fail(line, f"time: '{text}' has no offset; add one such as +08:00 or Z")
            return None
        count = self.number(cells, self.count, "count", line, 1.0)
        errors = self.number(cells, self.error_column, "errors", line, 0.0)
        if count is None or errors is None:
            return None
        if errors > count:
            self.fail(line, f"errors: {cells[self.error_column or 0]} is more than the count "
                            f"({_shown(count)})")
            return None
        latency = None
        if self.latency is not None and cells[self.latency].strip():
            latency = self.number(cells, self.latency, LATENCY, line, 0.0)
            if latency is None:
                return None
            if count != 1:
                self.fail(line, "latency_ms is the latency of one check: its count must be 1")
                return None
        buckets: tuple[float, ...] = ()
        # A row whose le_* cells are all empty measured no latency (`pull` writes one where
        # Prometheus counted requests but no observations): it counts for the error rate only.
        if self.bounds and any(cells[c].strip() for c in self.bucket_columns):
            values: list[float] = []
            for column, name in zip(self.bucket_columns, self.bucket_names, strict=True):
                value = self.number(cells, column, name, line, None)
                if value is None:
                    return None
                if values and value < values[-1]:
                    self.fail(line, f"{name}: {_shown(value)} is less than the bucket before "
                                    f"it ({_shown(values[-1])}); le_* counts are cumulative")
                    return None
                values.append(value)
            if values[-1] > count:
                self.fail(line, f"{self.bucket_names[-1]}: {_shown(values[-1])} is more than "
                                f"the count ({_shown(count)}), which is the +Inf bucket")
                return None
            buckets = tuple(values)
        return Row(moment.timestamp(), count, errors, latency, buckets)

    def number(self, cells: list[str], column: int | None, name: str, line: int,
               default: float | None) -> float | None:
        if column is None or (default is not None and not cells[column].strip()):
            return default
        text = cells[column]
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            self.fail(line, f"{name}: '{text}' is not a number of 0 or more")
            return None
        return value


def _bound(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _shown(value: float) -> str:
    return f"{value:g}"


def read_rows(data: bytes, shown: str, start: int = 0, lines: int = 0,
              columns: tuple[str, ...] = ()) -> tuple[_Reader | None, Iterator[tuple[int, Row]],
                                                       list[Problem]]:
    """Return a reader for the file's bytes from `start` (`lines` lines read before it;
    `columns` the header, if read already), the (line, row) pairs it gives, and the problems
    of the bytes' encoding or header. The rows' problems are the reader's as it goes."""
    try:
        text = data[start:].decode("utf-8-sig" if start == 0 else "utf-8")
    except UnicodeDecodeError as exc:
        return None, iter(()), [error(Location(shown), f"not UTF-8 text (byte {exc.start})")]
    reader = csv.reader(io.StringIO(text, newline=""))
    if not columns:
        header = next(reader, None)
        if header is None:
            return None, iter(()), []
        columns = tuple(c.strip() for c in header)
    found = _Reader(shown, columns)

    def rows() -> Iterator[tuple[int, Row]]:
        for cells in reader:
            line = lines + reader.line_num
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            row = found.row(cells, line)
            if row is not None:
                yield line, row

    return found, rows(), found.problems


def read_file(data: bytes, shown: str, component: str, zone: ZoneInfo,
              known: MetricFile | None = None) -> tuple[MetricFile | None, list[Problem]]:
    """Return the file's daily aggregates (None if it has errors) and its problems. With
    `known` (what the file's first `known.end` bytes were read to), only the bytes after
    them are read and added to it."""
    start = known.end if known is not None else 0
    if known is not None:
        reader, rows, problems = read_rows(data, shown, known.end, known.lines, known.columns)
        found = known
    else:
        reader, rows, problems = read_rows(data, shown)
        found = MetricFile(shown, component)
    if reader is None:
        return (found if not problems else None), problems
    if reader.errors:
        return None, problems
    if known is None:
        found.form, found.bounds, found.columns = reader.form, reader.bounds, reader.columns
    day_of = DayOf(zone)
    days = found.days
    touched: set[int] = set()
    if reader.time is not None and by_columns(
            reader.columns, reader.time, reader.count, reader.error_column, reader.latency,
            reader.bucket_columns, data, start, found, zone, touched):
        rows = iter(())
    for _line, row in rows:
        ordinal = day_of(row.time)
        day = days.get(ordinal)
        if day is None:
            day = days[ordinal] = Day()
        day.add(row)
        touched.add(ordinal)
    if reader.errors:
        return None, problems
    for ordinal in touched:
        days[ordinal].seal()
    found.lines = (known.lines if known is not None else 0) + data[start:].count(b"\n")
    found.end = len(data)
    return found, problems


def day_rows(data: bytes, shown: str, zone: ZoneInfo,
             ordinals: set[int]) -> dict[int, list[Row]]:
    """Return the rows of the file (read before without errors) on the given days."""
    _reader, rows, _problems = read_rows(data, shown)
    day_of = DayOf(zone)
    found: dict[int, list[Row]] = {}
    for _line, row in rows:
        ordinal = day_of(row.time)
        if ordinal in ordinals:
            found.setdefault(ordinal, []).append(row)
    return found


def check_forms(files: list[MetricFile]) -> list[Problem]:
    """Return an error for each file of a component whose latency form is not that of the
    component's first file with one (files without latency go with either form)."""
    problems = []
    first: dict[str, MetricFile] = {}
    for found in files:
        if found.form == NO_LATENCY:
            continue
        known = first.setdefault(found.component, found)
        if known.form != found.form:
            problems.append(error(Location(found.shown, 1), (
                f"this file has {_form_name(found.form)} but {known.shown} has "
                f"{_form_name(known.form)}; all files of a component use one form")))
    return problems


def _form_name(form: str) -> str:
    return "latency_ms" if form == LATENCY else "le_* columns"


def trimmed(rows: list[Row], left_out: list[tuple[float, float]], since: float,
            now: float) -> Day:
    """Return what the rows add up to without those before `since`, after `now`, or inside
    a span of `left_out` (start included, end not)."""
    day = Day()
    for row in rows:
        if row.time < since or row.time > now or any(a <= row.time < b for a, b in left_out):
            continue
        day.add(row)
    day.seal()
    return day
