"""Measured figures (SPEC §7): each component's count, errors, error rate and latency
percentiles per day, per 7/30/90-day window and per calendar month, held against its
targets, from its days of data (`read.metrics`) with what is left out already taken out."""

from __future__ import annotations

import functools
import math
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


def nearest_rank(values: Sequence[float], percentile: float) -> float | None:
    """Return the value at position ⌈p/100 × n⌉ of the sorted `values` (None if empty)."""
    if not values:
        return None
    numerator, denominator = _exact(percentile)
    rank = -(-numerator * len(values) // (denominator * 100))  # ⌈p × n / 100⌉, exactly
    return values[max(rank, 1) - 1]


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
    """A component's days, each as it counts (what is left out already taken out)."""

    def __init__(self, form: str, bounds: tuple[float, ...], days: dict[int, Day],
                 targets: Targets) -> None:
        self.form, self.bounds, self.days, self.targets = form, bounds, days, targets
        self.percentiles: tuple[float, ...] = (
            *PERCENTILES, targets.latency.percentile if targets.latency else 50)

    def stat(self, ordinals: Iterable[int], values: list[float] | None = None) -> Stat:
        """Return the figures of the days with these ordinals (`values`: their latencies
        sorted, if known)."""
        found = [day for day in map(self.days.get, ordinals) if day is not None]
        count = sum(day.count for day in found)
        errors = sum(day.errors for day in found)
        quantiles: list[float | None] = [None] * 4
        if self.form == LATENCY:
            ordered: Sequence[float]
            if values is not None:
                ordered = values
            elif len(found) == 1:
                ordered = found[0].values
            else:
                ordered = sorted(chain.from_iterable(day.values for day in found))
            quantiles = [nearest_rank(ordered, p) for p in self.percentiles]
        elif self.form == HISTOGRAM:
            with_buckets = [day for day in found if day.buckets]
            if with_buckets:
                sums = [math.fsum(column) for column in
                        zip(*(day.buckets for day in with_buckets), strict=True)]
                total = math.fsum(day.observed for day in with_buckets)
                quantiles = [histogram_quantile(self.bounds, sums, total, p)
                             for p in self.percentiles]
        p50, p95, p99, target = quantiles
        return Stat(count, errors, p50, p95, p99, target)

    def windows(self, end: int) -> dict[str, Stat]:
        """Return the figures of the 7, 30 and 90 days ending with the day `end`: each
        window's latencies sorted from the shorter one's and the days it adds."""
        found = {}
        values: list[float] = []
        covered = 0
        for length in sorted(WINDOWS):
            days = range(end - length + 1, end + 1)
            if self.form == LATENCY:
                values = sorted(chain(values, *(self.days[o].values for o in
                                                range(end - length + 1, end - covered + 1)
                                                if o in self.days)))
                covered = length
            found[f"{length}d"] = self.stat(days, values if self.form == LATENCY else None)
        return found

    def month(self, first: date, keep: Keep = _work_out) -> MonthStat:
        """Return the figures of the calendar month that starts on `first` (`keep` may have
        them from an earlier build, under a digest of all they follow from)."""
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        ordinals = range(first.toordinal(), following.toordinal())
        key = repr((self.form, self.bounds, self.targets, self.percentiles,
                    [(o, self.days[o].fingerprint()) for o in ordinals if o in self.days]))
        found: MonthStat = keep(key, lambda: self._month(ordinals))
        return found

    def _month(self, ordinals: range) -> MonthStat:
        stat = self.stat(ordinals)
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
    pool = Pool(form, bounds, days, settings.targets(component.id))
    end = today.toordinal()
    shown = tuple((date.fromordinal(o), pool.stat((o,)))
                  for o in range(end - bar_days + 1, end + 1))
    windows = pool.windows(end)
    months: dict[str, MonthStat] = {}
    if first is None and days:
        first = min(days)
    if first is not None:
        start = date.fromordinal(min(first, end)).replace(day=1)
        while start <= today:
            months[f"{start.year:04d}-{start.month:02d}"] = pool.month(start, keep)
            start = (start + timedelta(days=32)).replace(day=1)
    return ComponentMetrics(component, form, pool.targets, shown, windows, months)
