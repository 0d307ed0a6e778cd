"""Response and resolution records per severity, over the last 90 days and each quarter."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..model import Incident, SeverityLevel
from ..read.config import SiteConfig
from .status import Measure, Performance, Verdict, performance


@dataclass(frozen=True)
class MeasureRecord:
    """Median, worst and share met of one measure (response or resolution) over incidents."""

    median: timedelta | None
    worst: timedelta | None
    met: int
    judged: int
    """Incidents with a verdict (met or missed); pending ones and those without target wait."""

    @property
    def share_met(self) -> float | None:
        """Return the share of judged incidents that met the target, in percent."""
        return 100.0 * self.met / self.judged if self.judged else None


@dataclass(frozen=True)
class SeverityRecord:
    """How incidents of one severity were answered and fixed in one period."""

    severity: SeverityLevel
    count: int
    response: MeasureRecord
    resolution: MeasureRecord


@dataclass(frozen=True)
class Period:
    """A stretch of time the record is given for, such as 'Last 90 days' or '2026 Q4'."""

    label: str
    start: datetime
    end: datetime
    records: tuple[SeverityRecord, ...]


def _measure_record(measures: Sequence[Measure]) -> MeasureRecord:
    import statistics  # (only here: every build imports this module)
    took = [m.took for m in measures if m.took is not None]
    judged = [m for m in measures if m.verdict in (Verdict.MET, Verdict.MISSED)]
    return MeasureRecord(
        median=statistics.median(took) if took else None,  # type: ignore[type-var]
        worst=max(took) if took else None,
        met=sum(1 for m in judged if m.verdict is Verdict.MET),
        judged=len(judged),
    )


def records(config: SiteConfig, incidents: Sequence[Incident], now: datetime,
            start: datetime, end: datetime,
            measured: Callable[[Incident], Performance] | None = None,
            ) -> tuple[SeverityRecord, ...]:
    """Return one record per severity for the incidents that started in [start, end);
    `measured` gives an incident's performance at `now`, if worked out already."""
    chosen = [i for i in incidents if start <= i.started < end]
    measure = measured or (lambda incident: performance(incident, now))
    result = []
    for level in config.severities:
        mine = [measure(i) for i in chosen if i.severity.key == level.key]
        result.append(SeverityRecord(
            severity=level, count=len(mine),
            response=_measure_record([p.response for p in mine]),
            resolution=_measure_record([p.resolution for p in mine]),
        ))
    return tuple(result)


def periods(config: SiteConfig, incidents: Sequence[Incident], now: datetime,
            measured: Callable[[Incident], Performance] | None = None) -> list[Period]:
    """Return the last 90 days, then every quarter from the current one back to the first
    incident's, newest first (`measured` as for `records`). Each period ends at a midnight,
    so the list is the same all day while no incident is ongoing."""
    zone = config.timezone
    today = now.astimezone(zone).date()
    ordered = sorted(incidents, key=lambda i: i.started)
    starts = [i.started for i in ordered]

    def between(begin: datetime, end: datetime) -> list[Incident]:
        """Return the incidents that started in [begin, end), found by bisection."""
        return ordered[bisect_left(starts, begin):bisect_left(starts, end)]

    start = datetime.combine(today - timedelta(days=89), time(0), tzinfo=zone)
    tomorrow = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    result = [Period("90d", start, tomorrow,
                     records(config, between(start, tomorrow), now, start, tomorrow,
                             measured))]
    first = ordered[0].started.astimezone(zone).date() if ordered else today
    year, quarter = today.year, (today.month - 1) // 3
    while (year, quarter) >= (first.year, (first.month - 1) // 3):
        begin = datetime.combine(date(year, quarter * 3 + 1, 1), time(0), tzinfo=zone)
        following = (year + 1, 0) if quarter == 3 else (year, quarter + 1)
        finish = datetime.combine(date(following[0], following[1] * 3 + 1, 1), time(0),
                                  tzinfo=zone)
        result.append(Period(f"{year} Q{quarter + 1}", begin, finish,
                             records(config, between(begin, finish), now, begin, finish,
                                     measured)))
        year, quarter = (year - 1, 3) if quarter == 0 else (year, quarter - 1)
    return result
