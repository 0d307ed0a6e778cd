"""The rows of a measured-data file and what a day of them adds up to; and the fast way to
read a file whose rows are all good: a column at a time."""

from __future__ import annotations

import bisect
import csv
import hashlib
import io
import math
import operator
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import repeat
from typing import Any, NamedTuple, overload
from zoneinfo import ZoneInfo

NO_LATENCY = "none"
READ = ("time", "count", "errors", "latency_ms")
"""The columns read (besides le_*)."""
_ZONE = operator.attrgetter("tzinfo")


class Row(NamedTuple):
    """One row of a file: its time (POSIX seconds), count (`total`), errors, and its latency or its
    histogram's cumulative counts (in the order of the file's sorted bounds)."""

    time: float
    total: float
    errors: float
    latency: float | None
    buckets: tuple[float, ...]


class Later(Sequence[float]):
    """Latencies worked out when first used (a day kept from the last build, read back from
    the cache; the parts of a day from several files, merged): most past days are only
    looked at through their fingerprints."""

    __slots__ = ("_found", "_make")

    def __init__(self, make: Callable[[], array[float]]) -> None:
        self._make: Callable[[], array[float]] | None = make
        self._found = array("d")

    def _values(self) -> array[float]:
        if self._make is not None:
            self._found, self._make = self._make(), None
        return self._found

    def __len__(self) -> int:
        return len(self._values())

    @overload
    def __getitem__(self, index: int) -> float: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[float]: ...
    def __getitem__(self, index: int | slice) -> float | Sequence[float]:
        return self._values()[index]

    def __iter__(self) -> Iterator[float]:
        return iter(self._values())

    def __reduce__(self) -> tuple[Any, ...]:
        return array, ("d", self._values().tobytes())


@dataclass
class Day:
    """What one day of one file's rows adds up to."""

    count: float = 0.0
    errors: float = 0.0
    values: Sequence[float] = field(default_factory=lambda: array("d"))
    """Each check's latency, sorted (latency form): an array while rows are added."""
    buckets: list[float] = field(default_factory=list)
    """The summed cumulative count at each bound (histogram form)."""
    first: float = math.inf
    last: float = -math.inf
    """The earliest and latest row's time."""
    observed: float = 0.0
    """The count of the rows with a histogram (its +Inf bucket: rows of a file without
    latency may share the day)."""
    mark: str | None = field(default=None, repr=False, compare=False)
    """The fingerprint, once worked out (forgotten when rows are added)."""

    def add(self, row: Row) -> None:
        """Add a row (its latency is appended unsorted: `seal` sorts)."""
        self.mark = None
        self.count += row.total
        self.errors += row.errors
        if row.latency is not None:
            self._growing().append(row.latency)
        if row.buckets:
            self.observed += row.total
            if self.buckets:
                self.buckets = [a + b for a, b in zip(self.buckets, row.buckets, strict=True)]
            else:
                self.buckets = list(row.buckets)
        self.first = min(self.first, row.time)
        self.last = max(self.last, row.time)

    def _growing(self) -> array[float]:
        """Return the latencies as an array to add to."""
        self.mark = None
        if not isinstance(self.values, array):
            self.values = array("d", self.values)
        return self.values

    def extend(self, values: Iterable[float]) -> None:
        """Add latencies (unsorted: `seal` sorts)."""
        self._growing().extend(values)

    def seal(self) -> None:
        """Sort the latencies."""
        if len(self.values) > 1:
            self.values = array("d", sorted(self.values))
        self.mark = None

    def fingerprint(self) -> str:
        """Return a digest of everything the day adds up to (worked out once)."""
        if self.mark is None:
            self.mark = mark(array("d", self.values).tobytes(), repr((
                self.count, self.errors, self.buckets, self.first, self.last,
                self.observed)).encode())
        return self.mark


def mark(*parts: bytes) -> str:
    """Return a day's fingerprint made of `parts` (its latencies and sums, or what a day
    made of other days follows from)."""
    found = hashlib.sha256()
    for part in parts:
        found.update(part)
    return found.hexdigest()[:32]


@dataclass
class MetricFile:
    """One CSV file read: its form, its histogram's bounds, and its days by ordinal."""

    shown: str
    component: str
    form: str = NO_LATENCY
    bounds: tuple[float, ...] = ()
    days: dict[int, Day] = field(default_factory=dict)
    columns: tuple[str, ...] = ()
    """The header's columns, as read."""
    lines: int = 0
    """Lines read (the header's included)."""
    end: int = 0
    """Bytes read."""


def by_columns(header: tuple[str, ...], time_at: int, count_at: int | None,
               errors_at: int | None, latency_at: int | None, bucket_columns: tuple[int, ...],
               data: bytes, start: int, found: MetricFile, zone: ZoneInfo,
               touched: set[int]) -> bool:
    """Add the file's rows after `start` to `found` a column at a time (tens of times as fast
    as row by row), if every row is good; False (nothing added) if any is not, for the rows
    to be read one by one, each bad one a problem."""
    every = all(c in READ or c.startswith("le_") for c in header)
    columns = _columns(data[start:].decode("utf-8-sig" if start == 0 else "utf-8"),
                       len(header), start == 0, every)
    if columns is None:
        return False
    if not columns or not columns[0]:
        return True
    for column in (count_at, errors_at, latency_at, *bucket_columns):
        if column is not None:
            joined = "".join(columns[column])
            # nan, inf and negative numbers (and exponents like 1e-3): read one by one
            if "n" in joined or "N" in joined or "-" in joined:
                return False
    try:
        moments = list(map(datetime.fromisoformat, columns[time_at]))
        if None in map(_ZONE, moments):
            return False
        counts = _floats(columns, count_at, "1")
        errors = _floats(columns, errors_at, "0")
        latencies = None
        gaps: list[int] = []
        if latency_at is not None:
            cells = columns[latency_at]
            if "" in cells:
                cells = list(cells)
                gaps.append(cells.index(""))
                while True:
                    cells[gaps[-1]] = "nan"
                    try:
                        gaps.append(cells.index("", gaps[-1] + 1))
                    except ValueError:
                        break
            latencies = list(map(float, cells))
        buckets = [_floats(columns, c, None) for c in bucket_columns]
    except ValueError:
        return False
    del columns
    if not all(map(operator.le, errors, counts)):
        return False
    if latencies is not None and counts.count(1.0) != len(counts) and any(
            v == v and c != 1 for v, c in zip(latencies, counts, strict=True)):
        return False
    for lower, upper in zip(buckets, [*buckets[1:], counts], strict=False):
        if not all(map(operator.le, lower, upper)):
            return False
    if not all(map(operator.le, moments, moments[1:])):
        order = sorted(range(len(moments)), key=moments.__getitem__)
        moments = [moments[i] for i in order]
        counts, errors = [counts[i] for i in order], [errors[i] for i in order]
        buckets = [[b[i] for i in order] for b in buckets]
        if latencies is not None:
            latencies = [latencies[i] for i in order]
            gaps = [i for i, v in enumerate(latencies) if v != v]
    days = found.days
    first = datetime.fromtimestamp(moments[0].timestamp(), zone).date().toordinal()
    position = 0
    ordinal = first
    while position < len(moments):
        after = datetime.combine(date.fromordinal(ordinal + 1), time(0), zone)
        stop = bisect.bisect_left(moments, after, position)
        if stop > position:
            day = days.get(ordinal)
            if day is None:
                day = days[ordinal] = Day()
            day.mark = None
            day.count += sum(counts[position:stop])
            day.errors += sum(errors[position:stop])
            day.first = min(day.first, moments[position].timestamp())
            day.last = max(day.last, moments[stop - 1].timestamp())
            if latencies is not None:
                here = latencies[position:stop]
                if bisect.bisect_left(gaps, position) < bisect.bisect_left(gaps, stop):
                    here = [v for v in here if v == v]
                day.extend(here)
            if buckets:
                day.observed += sum(counts[position:stop])
                sums = [sum(column[position:stop]) for column in buckets]
                day.buckets = ([a + b for a, b in zip(day.buckets, sums, strict=True)]
                               if day.buckets else sums)
            touched.add(ordinal)
            position = stop
        ordinal = max(ordinal + 1, datetime.fromtimestamp(
            moments[position].timestamp(), zone).date().toordinal()
            if position < len(moments) else ordinal + 1)
    return True


def _columns(text: str, width: int, header: bool, every: bool) -> list[list[str]] | None:
    """Return the text's cells column by column (without the header line, if `header`),
    or None if a line has another number of cells than `width` (`every`: each column is
    read)."""
    if '"' in text:  # quoted cells: the csv module's business
        table = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
        table = table[1:] if header else table
        if any(len(row) != width for row in table):
            return None
        return [list(c) for c in zip(*table, strict=True)] if table else []
    if "\r" in text:
        text = text.replace("\r", "")
    if header:
        text = text[text.find("\n") + 1:] if "\n" in text else ""
    if "\n\n" in text or text.startswith("\n"):  # blank lines
        text = "\n".join(line for line in text.split("\n") if line) + "\n"
    text = text.removesuffix("\n")
    if not text:
        return []
    # Every line must have width - 1 commas. Counted over the whole text when every column
    # is read: a line with one too many and another with one too few would shift the cells
    # between them, putting each of those lines' time in a numeric column, which then does
    # not read as a number. A column that is not read could take a time unnoticed.
    if text.count(",") != (width - 1) * (text.count("\n") + 1) or (not every and set(
            map(str.count, text.split("\n"), repeat(","))) != {width - 1}):
        return None
    cells = text.replace("\n", ",").split(",")
    return [cells[i::width] for i in range(width)]


def _floats(columns: list[list[str]], column: int | None,
            default: str | None) -> list[float]:
    if column is None:
        return [float(default or 0)] * len(columns[0])
    cells = columns[column]
    if default is not None:
        if cells.count(default) == len(cells):
            return [float(default)] * len(cells)
        if "" in cells:
            cells = [c or default for c in cells]
    return list(map(float, cells))
