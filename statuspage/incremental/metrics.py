"""Measured-data files, kept read from one build to the next: a file's daily aggregates are
read again only when its status changes, worked out again only when its bytes do, and a file
that only grew (rows appended) has only its new bytes read. A first build reads the files in
a process per core.

Each file's aggregates are kept in a signed file of their own under the cache folder, so an
appended row rewrites one small file, not the whole cache; its days' latencies in another,
read only when a figure needs them (past months are mostly kept whole: their days are looked
at through their fingerprints)."""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..compute.metrics_days import Measured, measure
from ..errors import Location, Problem, error
from ..model import Site
from ..read.config import SiteConfig
from ..read.metrics import check_forms, day_rows, read_file, scan_metrics
from ..read.metrics_rows import Day, Later, MetricFile, Row
from .keys import digest
from .parallel import processes_for, shared
from .store import cache_folder, file_status, read_signed, secret, settled, write_signed

FORMAT = 4
PARALLEL_FROM = 4
"""Files to read before it pays to start processes."""
MEMO = "memo.pickle"
RESULT = "figures.pickle"
MAX_BYTES = 1 << 30
"""A data file larger than this is refused."""


def metrics_folder(config: SiteConfig) -> Path:
    """Return the folder of measured data."""
    return config.root / "metrics"


class _Entry:
    """What is kept of one file: the key it was read under, its status and digest, and
    what it was read to."""

    def __init__(self, key: str, status: tuple[int, ...] | None, known: str,
                 found: MetricFile, complete: bool, warnings: list[Problem]) -> None:
        self.key, self.status, self.digest, self.file = key, status, known, found
        self.complete = complete
        """Whether the bytes read ended with a line's end (rows appended start a line)."""
        self.warnings = warnings
        """The file's warnings (an unknown column), said again while it is kept."""

    @property
    def identity(self) -> str:
        """Return what tells this reading of the file from any other: the key it was read
        under (code, time zone) and the bytes read."""
        return digest(self.key, self.digest)

    def __reduce__(self) -> tuple[Any, ...]:
        # The days as columns, without their latencies (`_save` keeps those apart): a
        # year's days read back several times as fast as with an object each.
        days = self.file.days.values()
        columns = (list(self.file.days), *(array("d", (getattr(d, name) for d in days))
                                           for name in ("count", "errors", "first", "last",
                                                        "observed")),
                   [d.buckets for d in days], [d.fingerprint() for d in days])
        return _entry, (self.key, self.status, self.digest, replace(self.file, days={}),
                        self.complete, self.warnings, columns)


def _entry(key: str, status: tuple[int, ...] | None, known: str, found: MetricFile,
           complete: bool, warnings: list[Problem], columns: tuple[Any, ...]) -> _Entry:
    """Return an entry as `_Entry.__reduce__` kept it (its days' latencies not read yet)."""
    ordinals, counts, errors, firsts, lasts, observed, buckets, marks = columns
    found.days = {o: Day(c, e, (), b, f, la, ob, m) for o, c, e, f, la, ob, b, m in zip(
        ordinals, counts, errors, firsts, lasts, observed, buckets, marks, strict=True)}
    return _Entry(key, status, known, found, complete, warnings)


class _Read:
    """Reads whole files (in a forked process): each gives its digest and what it read to."""

    def __init__(self, config: SiteConfig) -> None:
        self.zone = config.timezone

    def __call__(self, job: tuple[str, str, str]) -> bytes:
        path, shown, component = job
        data, problems = _read(path, shown)
        if data is None:
            return pickle.dumps((None, None, problems, False))
        found, more = read_file(data, shown, component, self.zone)
        return pickle.dumps((hashlib.sha256(data).hexdigest(), found, problems + more,
                             data.endswith(b"\n")), protocol=pickle.HIGHEST_PROTOCOL)


def _read(path: str, shown: str) -> tuple[bytes | None, list[Problem]]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        return None, [error(Location(shown), f"can't be read: {exc.strerror}")]
    if len(data) > MAX_BYTES:
        return None, [error(Location(shown), f"larger than {MAX_BYTES >> 20} MiB")]
    return data, []


def read_measured(config: SiteConfig, site: Site, now: datetime,
                  code: str) -> tuple[Measured, list[Problem]]:
    """Return every component's measured figures at `now` and the problems of the data: the
    last build's, if no data file, setting or maintenance they follow from has changed, it
    was the same day, and no row was written for a time between its `now` and this one."""
    root = metrics_folder(config)
    found, problems = scan_metrics(root, {c.id for c in config.components},
                                   config.shown(root) if root.exists() else "metrics")
    if not found:
        return Measured({}), problems
    scanned = time.time_ns()
    statuses: list[os.stat_result | OSError] = []
    for _component, path, _shown in found:
        try:
            statuses.append(os.stat(path))
        except OSError as exc:
            statuses.append(exc)
    folder = cache_folder(config.root)
    signing = secret() if folder is not None else None
    store = folder / "metrics" if folder is not None and signing is not None else None
    inputs = digest(code, FORMAT, config.timezone.key, config.components, config.metrics,
                    config.uptime_days, site.maintenances, now.astimezone(config.timezone).date(),
                    problems, [(shown, file_status(status) if isinstance(status, os.stat_result)
                                else None)
                               for (_c, _p, shown), status in zip(found, statuses, strict=True)])
    trusted = all(isinstance(s, os.stat_result) and settled(s, scanned) for s in statuses)
    last = read_signed(signing, store / RESULT) if store is not None and signing else None
    if last is not None and isinstance(last[1], _Result) and last[1].inputs == inputs \
            and last[1].now <= now < last[1].until:
        return last[1].measured, last[1].problems
    try:
        measured, problems = _read_measured(config, site, now, code, found, statuses,
                                            scanned, problems, store, signing)
    except _Stale:  # every file is read again, as in a first build, and kept anew
        measured, problems = _read_measured(config, site, now, code, found, statuses,
                                            scanned, problems, _forget(store), signing)
    if store is not None and signing is not None and trusted:
        write_signed(signing, store / RESULT, _Result(
            inputs, now, measured.next_row or datetime.max.replace(tzinfo=UTC), measured,
            problems))
    return measured, problems


@dataclass(frozen=True)
class _Result:
    """The last build's figures, and what they follow from."""

    inputs: str
    now: datetime
    until: datetime
    """The time of the first row after `now`."""
    measured: Measured
    problems: list[Problem]


def _read_measured(config: SiteConfig, site: Site, now: datetime, code: str,
                   found: list[tuple[str, Path, str]], statuses: list[os.stat_result | OSError],
                   scanned: int, layout: list[Problem], store: Path | None,
                   signing: bytes | None) -> tuple[Measured, list[Problem]]:
    """Return the figures and problems of the data files `found`, whose statuses were read
    at `scanned` (ns), and the folder's `layout` problems, with what `store` (signed with
    `signing`) keeps of each file."""
    problems = list(layout)
    key = digest(code, FORMAT, config.timezone.key)
    if store is not None:
        try:
            store.mkdir(parents=True, exist_ok=True)
        except OSError:
            store = None
    files: list[MetricFile | None] = []
    fresh: list[tuple[int, str, str, str]] = []
    kept: dict[str, str] = {}
    """What each file is kept as, by its name in the cache folder (see `_Entry.identity`)."""
    for index, ((component, path, shown), status) in enumerate(zip(found, statuses, strict=True)):
        name = hashlib.sha256(shown.encode()).hexdigest()[:32] + ".pickle"
        if isinstance(status, OSError):
            problems.append(error(Location(shown), f"can't be read: {status.strerror}"))
            files.append(None)
            continue
        entry = _load(store, signing, name, key)
        if entry is not None and entry.status == file_status(status):
            kept[name] = entry.identity
            problems += entry.warnings
            files.append(entry.file)
            continue
        data, more = _read(str(path), shown)
        if data is None:
            problems += more
            files.append(None)
            continue
        # The digest of the bytes read last time, then of the whole file, in one pass.
        start = entry.file.end if entry is not None and len(data) > entry.file.end else 0
        reading = hashlib.sha256(memoryview(data)[:start])
        prefix = reading.hexdigest() if start else None
        reading.update(memoryview(data)[start:])
        whole = reading.hexdigest()
        if entry is not None and entry.digest == whole:
            entry.status = file_status(status) if settled(status, scanned) else None
            _save(store, signing, name, entry)
            kept[name] = entry.identity
            problems += entry.warnings
            files.append(entry.file)
            continue
        if entry is not None and entry.complete and prefix == entry.digest:
            grown, more = read_file(data, shown, component, config.timezone, entry.file)
            problems += more  # (the header's warnings again, with the new rows' problems)
            files.append(grown)
            if grown is not None and settled(status, scanned):
                entry = _Entry(key, file_status(status), whole, grown, data.endswith(b"\n"),
                               more)
                _save(store, signing, name, entry)
            if grown is not None:
                # (A file changed within the clock tick may change again, as rows are
                # appended: the next build grows it again from what was kept before.)
                kept[name] = entry.identity
            continue
        files.append(None)
        fresh.append((index, str(path), shown, component))
    job = _Read(config)
    results = shared(job, [(p, s, c) for _i, p, s, c in fresh],
                     processes_for(len(fresh), PARALLEL_FROM))
    for (index, where, shown, _component), pickled in zip(fresh, results, strict=True):
        whole, read, more, complete = pickle.loads(pickled)
        problems += more
        files[index] = read
        if read is not None:
            try:
                status = os.stat(where)
            except OSError:
                continue  # (gone since: the next build finds out)
            name = hashlib.sha256(shown.encode()).hexdigest()[:32] + ".pickle"
            entry = _Entry(key, file_status(status) if settled(status, scanned) else None,
                           whole, read, complete, more)
            _save(store, signing, name, entry)
            kept[name] = entry.identity
    if store is not None:  # (what is kept of a file that did not read is kept no more)
        for stale in store.glob("*.pickle"):
            if stale.name not in kept and stale.name not in (MEMO, RESULT):
                stale.unlink(missing_ok=True)
        values = {_values_name(n, identity) for n, identity in kept.items()}
        for stale in store.glob("*.values"):
            if stale.name not in values:
                stale.unlink(missing_ok=True)
    read = [f for f in files if f is not None]
    problems += check_forms(read)
    if len(read) < len(files) or any(p.is_error for p in problems):
        return Measured({}), problems
    paths = {shown: path for _c, path, shown in found}

    def rows_of(file: MetricFile, ordinals: set[int]) -> dict[int, list[Row]]:
        data, _problems = _read(str(paths[file.shown]), file.shown)
        return day_rows(data or b"", file.shown, config.timezone, ordinals)

    before = read_signed(signing, store / MEMO) if store is not None and signing else None
    memo = _Kept(key, before[1][1] if before is not None and isinstance(before[1], tuple)
                 and before[1][0] == key else {})
    measured = measure(config.components, config.metrics, site, read, now, config.timezone,
                       config.uptime_days, rows_of, memo)
    if memo.new.keys() != memo.old.keys() and store is not None and signing is not None:
        write_signed(signing, store / MEMO, (key, memo.new))
    return measured, problems


class _Kept:
    """What measuring worked out (past months, days cut by maintenance), by a digest of all
    it follows from, from the last build; what this build asks for is kept for the next."""

    def __init__(self, key: str, old: dict[str, Any]) -> None:
        self.key, self.old = key, old
        self.new: dict[str, Any] = {}

    def __call__(self, key: str, make: Callable[[], Any]) -> Any:
        name = digest(self.key, key)
        found = self.new.get(name, self.old.get(name, _MISSING))
        if found is _MISSING:
            found = make()
        self.new[name] = found
        return found


_MISSING = object()


class _Stale(Exception):
    """A kept file's latencies can't be read back (the cache folder was changed meanwhile)."""


class _ValuesFile:
    """The latencies of one kept file's days, read once, when a day's are first used."""

    def __init__(self, path: str, signing: bytes, known: str) -> None:
        self.path, self.signing, self.known = path, signing, known
        self.days: dict[int, array[float]] | None = None

    def day(self, ordinal: int) -> array[float]:
        if self.days is None:
            found = read_signed(self.signing, self.path)
            if found is None or not isinstance(found[1], tuple) or found[1][0] != self.known:
                raise _Stale(self.path)
            self.days = found[1][1]
        return self.days.get(ordinal, array("d"))


def _values_name(name: str, identity: str) -> str:
    """Return the name of the file that keeps the latencies of the entry `name`."""
    return f"{name.removesuffix('.pickle')}-{identity[:16]}.values"


def _forget(store: Path | None) -> Path | None:
    """Remove what `store` keeps of each file; return it."""
    if store is not None:
        for kept in [*store.glob("*.pickle"), *store.glob("*.values")]:
            if kept.name not in (MEMO, RESULT):
                kept.unlink(missing_ok=True)
    return store


def _load(store: Path | None, signing: bytes | None, name: str, key: str) -> _Entry | None:
    if store is None or signing is None:
        return None
    found = read_signed(signing, os.path.join(store, name))
    if found is None or not isinstance(found[1], _Entry) or found[1].key != key:
        return None
    entry: _Entry = found[1]
    values = _ValuesFile(os.path.join(store, _values_name(name, entry.identity)), signing,
                         entry.identity)
    for ordinal, day in entry.file.days.items():
        day.values = Later(functools.partial(values.day, ordinal))
    return entry


def _save(store: Path | None, signing: bytes | None, name: str, entry: _Entry) -> None:
    """Keep the entry: its days' latencies in a file of their own (unless kept already
    under its identity), then the rest."""
    if store is None or signing is None:
        return
    found = entry.file
    values = store / _values_name(name, entry.identity)
    if not values.exists() and not write_signed(signing, values, (entry.identity, {
            o: array("d", d.values) for o, d in found.days.items()})):
        return
    write_signed(signing, store / name, entry)
