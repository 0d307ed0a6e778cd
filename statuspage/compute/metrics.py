"""Measured figures (SPEC §7): each component's count, errors, error rate and latency
percentiles per day, per 7/30/90-day window and per calendar month, held against its
targets, from its days of data (`read.metrics`) with what is left out already taken out."""

from __future__ import annotations

import functools
import math
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from itertools import chain
from typing import Any, TypeVar

from ..model import Component
from ..read.metrics import HISTOGRAM, LATENCY
from ..read.metrics_config import MetricsSettings, Targets
from ..read.metrics_rows import Day
from .uptime import WINDOWS

PERCENTILES = (50, 95, 99)

T = TypeVar("T")
Keep = Callable[[str, Callable[[], Any]], Any]
"""How a build has a result worked out: `keep(key, make)` returns `make()`, or what it
returned for the same key, kept from an earlier build."""


def _work_out(_key: str, make: Callable[[], T]) -> T:
    return make()


def nearest_rank(values: Sequence[float], percentile: float,
                 more: Sequence[float] = ()) -> float | None:
    """Return the value at position ⌈p/100 × n⌉ of the sorted `values` (None if empty); with
    `more` (sorted too), of both together, as if merged."""
    total = len(values) + len(more)
    if not total:
        return None
    numerator, denominator = _exact(percentile)
    rank = max(-(-numerator * total // (denominator * 100)), 1)  # ⌈p × n / 100⌉, exactly
    if not more:
        return values[rank - 1]
    if not values:
        return more[rank - 1]
    # The rank-th smallest of two sorted lists: take i from `values` and rank - i from
    # `more`, with i the least for which values[i] is not below what `more` gives.
    low, high = max(0, rank - len(more)), min(rank, len(values))
    while low < high:
        middle = (low + high) // 2
        if values[middle] < more[rank - middle - 1]:
            low = middle + 1
        else:
            high = middle
    taken = rank - low
    return max(values[low - 1] if low else -math.inf, more[taken - 1] if taken else -math.inf)


@functools.lru_cache(maxsize=64)
def _exact(percentile: float) -> tuple[int, int]:
    """Return the percentile as written (95.1, not the float nearest it), as a fraction."""
    found = Fraction(str(percentile))
    return found.numerator, found.denominator


def histogram_quantile(bounds: Sequence[float], cumulative: Sequence[float], total: float,
                       percentile: float) -> float | None:
    """Return Prometheus's `histogram_quantile` of cumulative bucket counts at `bounds`,
    `total` being the +Inf bucket: linear within the first bucket whose count reaches the
    rank (from the previous bound, or 0), the highest finite bound past them (None: no
    observations)."""
    if total <= 0 or not bounds:
        return None
    rank = percentile / 100 * total
    below, lower = 0.0, 0.0
    for bound, count in zip(bounds, cumulative, strict=True):
        if count >= rank and count > below:
            return lower + (bound - lower) * (rank - below) / (count - below)
        below, lower = count, bound
    return bounds[-1]


@dataclass(frozen=True)
class Stat:
    """The figures of a period; percentiles in ms (None: no latency measured)."""

    count: float
    errors: float
    p50: float | None
    p95: float | None
    p99: float | None
    target: float | None
    """The latency at the target's percentile."""

    @property
    def error_rate(self) -> float | None:
        """Return 100 × errors / count, in percent (None when count is 0)."""
        return 100 * self.errors / self.count if self.count else None


@dataclass(frozen=True)
class MonthStat:
    """A calendar month's figures and its verdicts (None: no target or no data)."""

    stat: Stat
    latency_met: bool | None
    error_rate_met: bool | None


@dataclass(frozen=True)
class ComponentMetrics:
    """One component's measured figures."""

    component: Component
    form: str
    targets: Targets
    days: tuple[tuple[date, Stat], ...]
    """The bar window, oldest first, ending today."""
    windows: dict[str, Stat]
    months: dict[str, MonthStat]
    """From the first month with data to this month, oldest first."""


class Pool:
    """A component's days, each as it counts (what is left out already taken out), up to
    the day `end` (today, by ordinal). What follows from days before today alone (their
    figures, their latencies sorted together, past months) is had through `keep`: today's
    rows change from build to build, the days before it seldom do."""

    def __init__(self, form: str, bounds: tuple[float, ...], days: dict[int, Day],
                 targets: Targets, end: int, keep: Keep = _work_out) -> None:
        self.form, self.bounds, self.days, self.targets = form, bounds, days, targets
        self.end, self.keep = end, keep
        self.percentiles: tuple[float, ...] = (
            *PERCENTILES, targets.latency.percentile if targets.latency else 50)
        self.kind = repr((form, bounds, self.percentiles))
        """What a figure follows from besides its days."""

    def stat(self, ordinals: Iterable[int]) -> Stat:
        """Return the figures of the days with these ordinals."""
        found = [day for day in map(self.days.get, ordinals) if day is not None]
        count = sum(day.count for day in found)
        errors = sum(day.errors for day in found)
        quantiles: list[float | None] = [None] * 4
        if self.form == LATENCY:
            ordered = found[0].values if len(found) == 1 else sorted(
                chain.from_iterable(day.values for day in found))
            quantiles = [nearest_rank(ordered, p) for p in self.percentiles]
        elif self.form == HISTOGRAM:
            quantiles = self._from_buckets(found)
        return Stat(count, errors, *quantiles)

    def _from_buckets(self, found: list[Day]) -> list[float | None]:
        with_buckets = [day for day in found if day.buckets]
        if not with_buckets:
            return [None] * 4
        sums = [math.fsum(column) for column in
                zip(*(day.buckets for day in with_buckets), strict=True)]
        total = math.fsum(day.observed for day in with_buckets)
        return [histogram_quantile(self.bounds, sums, total, p) for p in self.percentiles]

    def each_day(self, ordinals: range) -> tuple[Stat, ...]:
        """Return the figures of each day (those before today kept)."""
        past = range(ordinals.start, min(ordinals.stop, self.end))
        kept: tuple[Stat, ...] = self._kept(
            ("days", past.start,
             [day.fingerprint() if day else None for day in map(self.days.get, past)]),
            lambda: tuple(self.stat((o,)) for o in past))
        return kept + tuple(self.stat((o,)) for o in range(past.stop, ordinals.stop))

    def to_today(self, ordinals: range) -> Stat:
        """Return the figures of days that end with today: the latencies of the days before
        it sorted together (kept), today's ranked in with them."""
        if self.form != LATENCY or self.end not in ordinals:
            return self.stat(ordinals)
        past = [o for o in ordinals if o in self.days and o != self.end]
        ordered: array[float] = self._kept(
            ("sorted", [self.days[o].fingerprint() for o in past]),
            lambda: array("d", sorted(chain.from_iterable(self.days[o].values for o in past))))
        found = [self.days[o] for o in past]
        today = self.days.get(self.end)
        if today is not None:
            found.append(today)
        more = today.values if today is not None else ()
        return Stat(sum(day.count for day in found), sum(day.errors for day in found),
                    *(nearest_rank(ordered, p, more) for p in self.percentiles))

    def windows(self) -> dict[str, Stat]:
        """Return the figures of the 7, 30 and 90 days ending with today."""
        return {f"{length}d": self.to_today(range(self.end - length + 1, self.end + 1))
                for length in sorted(WINDOWS)}

    def month(self, first: date) -> MonthStat:
        """Return the figures of the calendar month that starts on `first`."""
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        ordinals = range(first.toordinal(), following.toordinal())
        if self.end in ordinals:
            return self._verdicts(self.to_today(range(ordinals.start, self.end + 1)))
        stat: Stat = self._kept(
            ("month", [(o, self.days[o].fingerprint()) for o in ordinals if o in self.days]),
            lambda: self.stat(ordinals))
        return self._verdicts(stat)

    def _kept(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        found: T = self.keep(repr((self.kind, key)), make)
        return found

    def _verdicts(self, stat: Stat) -> MonthStat:
        latency = self.targets.latency
        return MonthStat(
            stat,
            None if latency is None or stat.target is None else stat.target <= latency.ms,
            None if self.targets.error_rate is None or stat.error_rate is None
            else stat.error_rate <= self.targets.error_rate)


def component_metrics(component: Component, settings: MetricsSettings, form: str,
                      bounds: tuple[float, ...], days: dict[int, Day], today: date,
                      bar_days: int, first: int | None = None,
                      keep: Keep = _work_out) -> ComponentMetrics:
    """Return a component's figures at a time in `today`, from its days by ordinal (what
    does not count already taken out); its months from that of the day `first` (by
    default its first day that counts)."""
    end = today.toordinal()
    pool = Pool(form, bounds, days, settings.targets(component.id), end, keep)
    shown = tuple(zip(map(date.fromordinal, range(end - bar_days + 1, end + 1)),
                      pool.each_day(range(end - bar_days + 1, end + 1)), strict=True))
    windows = pool.windows()
    months: dict[str, MonthStat] = {}
    if first is None and days:
        first = min(days)
    if first is not None:
        start = date.fromordinal(min(first, end)).replace(day=1)
        while start <= today:
            months[f"{start.year:04d}-{start.month:02d}"] = pool.month(start)
            start = (start + timedelta(days=32)).replace(day=1)
    return ComponentMetrics(component, form, pool.targets, shown, windows, months)
