"""Each component's days of measured data as they count: its files' days together, without
maintenance windows, time before its `since` and rows after `now` (SPEC §7)."""

from __future__ import annotations

import functools
import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from itertools import chain
from zoneinfo import ZoneInfo

from ..model import Component, Site
from ..read.metrics import HISTOGRAM, LATENCY, trimmed
from ..read.metrics_config import MetricsSettings
from ..read.metrics_rows import NO_LATENCY, Day, Later, MetricFile, Row, mark
from .metrics import ComponentMetrics, Keep, _work_out, component_metrics

RowsOf = Callable[[MetricFile, set[int]], dict[int, list[Row]]]
"""Reads a file's rows again, those of the days with the given ordinals."""


@dataclass(frozen=True)
class Measured:
    """Every measured component's figures at the build's time, by id, and the first time
    after it that a row is written for (when the figures change with no file changed)."""

    components: dict[str, ComponentMetrics]
    next_row: datetime | None = None


def measure(components: tuple[Component, ...], settings: MetricsSettings, site: Site,
            files: list[MetricFile], now: datetime, zone: ZoneInfo, bar_days: int,
            rows_of: RowsOf, keep: Keep = _work_out) -> Measured:
    """Return the figures of each component with data files at `now` (`keep` may have what
    does not change from one build to the next: past months, days cut by maintenance)."""
    by_component: dict[str, list[MetricFile]] = {}
    for found in files:
        by_component.setdefault(found.component, []).append(found)
    today = now.astimezone(zone).date()
    moment = now.timestamp()
    figures = {}
    after = math.inf
    for component in components:
        mine = by_component.get(component.id)
        if not mine:
            continue
        left_out = sorted((start.timestamp(), end.timestamp()) for m in site.maintenances
                          if component.id in m.components for start, end in [m.window(now)])
        since = (datetime.combine(component.since, time(0), zone).timestamp()
                 if component.since else -math.inf)
        form = next((f.form for f in mine if f.form != NO_LATENCY), NO_LATENCY)
        bounds = _common_bounds(mine) if form == HISTOGRAM else ()
        days, next_row = counted_days(mine, bounds, left_out, since, moment, rows_of, keep)
        after = min(after, next_row)
        first = min((o for f in mine for o in f.days), default=None)
        figures[component.id] = component_metrics(component, settings, form, bounds, days,
                                                  today, bar_days, first, keep)
    return Measured(figures, datetime.fromtimestamp(after, zone) if after < math.inf else None)


def _common_bounds(files: list[MetricFile]) -> tuple[float, ...]:
    """Return the histogram bounds that every histogram file has (a bound only some have
    can't be summed over all)."""
    common: set[float] | None = None
    for found in files:
        if found.form == HISTOGRAM:
            common = set(found.bounds) if common is None else common & set(found.bounds)
    return tuple(sorted(common or ()))


def counted_days(files: list[MetricFile], bounds: tuple[float, ...],
                 left_out: list[tuple[float, float]], since: float, now: float,
                 rows_of: RowsOf, keep: Keep = _work_out) -> tuple[dict[int, Day], float]:
    """Return a component's days by ordinal, from its files, as they count (a day that a
    span of `left_out`, `since` or `now` cuts is added up again from its rows), and the
    time of the first row after `now` (inf: none)."""
    pieces: dict[int, list[Day]] = {}
    after = math.inf
    for found in files:
        cut: set[int] = set()
        for ordinal, day in found.days.items():
            if day.first > now:
                after = min(after, day.first)
            if day.last < since or day.first > now or any(
                    a <= day.first and day.last < b for a, b in left_out):
                continue  # wholly left out
            if day.first < since or day.last > now or any(
                    a <= day.last and day.first < b for a, b in left_out):
                cut.add(ordinal)
                continue
            pieces.setdefault(ordinal, []).append(_projected(day, found, bounds))
        for ordinal, (day, later) in _cut(found, cut, left_out, since, now, rows_of,
                                          keep).items():
            after = min(after, later)
            if day.count or len(day.values):
                pieces.setdefault(ordinal, []).append(_projected(day, found, bounds))
    return {ordinal: found[0] if len(found) == 1 else _joined(found)
            for ordinal, found in pieces.items()}, after


def _cut(found: MetricFile, cut: set[int], left_out: list[tuple[float, float]], since: float,
         now: float, rows_of: RowsOf, keep: Keep) -> dict[int, tuple[Day, float]]:
    """Return each cut day of the file as it counts, and the time of its first row after
    `now` (inf: none), kept by the day's fingerprint and what cuts it; the file's rows are
    read again only for days not kept."""
    read: dict[int, list[Row]] = {}

    def make(ordinal: int) -> tuple[Day, float]:
        if not read:
            read.update(rows_of(found, cut) or {-1: []})
        rows = read.get(ordinal, [])
        return (trimmed(rows, left_out, since, now),
                min([math.inf, *(r.time for r in rows if r.time > now)]))

    result = {}
    for ordinal in sorted(cut):
        day = found.days[ordinal]
        key = repr((found.shown, ordinal, day.fingerprint(), since, now if day.last > now
                    else None, [s for s in left_out if s[0] <= day.last and day.first < s[1]]))
        result[ordinal] = keep(key, functools.partial(make, ordinal))
    return result


def _projected(day: Day, found: MetricFile, bounds: tuple[float, ...]) -> Day:
    """Return the day with its buckets at `bounds` only (the day itself if it has them)."""
    if found.form != HISTOGRAM or found.bounds == bounds or not day.buckets:
        return day
    keep = [found.bounds.index(b) for b in bounds]
    return Day(day.count, day.errors, day.values, [day.buckets[i] for i in keep],
               day.first, day.last, day.observed,
               mark(day.fingerprint().encode(), repr(bounds).encode()))


def _joined(days: list[Day]) -> Day:
    """Return several files' parts of one day as one (its latencies merged when first used,
    its fingerprint that of the parts)."""
    buckets = [d.buckets for d in days if d.buckets]
    return Day(sum(d.count for d in days), sum(d.errors for d in days),
               Later(lambda: array("d", sorted(chain.from_iterable(d.values for d in days)))),
               [math.fsum(c) for c in zip(*buckets, strict=True)] if buckets else [],
               min(d.first for d in days), max(d.last for d in days),
               sum(d.observed for d in days),
               mark(*(d.fingerprint().encode() for d in days)))


__all__ = ["LATENCY", "Measured", "counted_days", "measure"]
