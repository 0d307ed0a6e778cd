"""Response and resolution records per severity, over the last 90 days and each quarter."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from . import __version__
from .config import SiteConfig
from .model import Incident, SeverityLevel
from .status import Measure, Verdict, performance
from .uptime import Memo, memo_key


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
            start: datetime, end: datetime) -> tuple[SeverityRecord, ...]:
    """Return one record per severity for the incidents that started in [start, end)."""
    chosen = [i for i in incidents if start <= i.started < end]
    result = []
    for level in config.severities:
        mine = [performance(i, now) for i in chosen if i.severity.key == level.key]
        result.append(SeverityRecord(
            severity=level, count=len(mine),
            response=_measure_record([p.response for p in mine]),
            resolution=_measure_record([p.resolution for p in mine]),
        ))
    return tuple(result)


def periods(config: SiteConfig, incidents: Sequence[Incident], now: datetime,
            memo: Memo | None = None,
            known: Callable[[Incident], str | None] | None = None) -> list[Period]:
    """Return the last 90 days, then every quarter from the current one back to the first
    incident's, newest first.

    With a `memo`, and `known` giving what can change how an incident shows (None while it
    is ongoing), the records of a quarter whose incidents are all resolved are kept in the
    memo: they are the same at any later time while those incidents' files are."""
    zone = config.timezone
    today = now.astimezone(zone).date()
    ordered = sorted(incidents, key=lambda i: i.started)
    starts = [i.started for i in ordered]
    settings = f"{__version__}|{config.severities!r}|{zone.key}"

    def kept_records(label: str, begin: datetime, finish: datetime,
                     ) -> tuple[SeverityRecord, ...]:
        """Return the records of the incidents that started in [begin, finish)."""
        chosen = between(begin, finish)
        key = None
        if memo is not None and known is not None:
            found = [known(i) for i in chosen]
            if None not in found:  # (none ongoing: each is resolved, and stays so)
                key = memo_key("period:", [settings, label, *map(str, found)])
                kept = memo.get(key)
                if isinstance(kept, tuple):
                    return kept
        made = records(config, chosen, now, begin, finish)
        if memo is not None and key is not None:
            memo.put(key, made)
        return made

    def between(begin: datetime, end: datetime) -> list[Incident]:
        """Return the incidents that started in [begin, end), found by bisection."""
        return ordered[bisect_left(starts, begin):bisect_left(starts, end)]

    start = datetime.combine(today - timedelta(days=89), time(0), tzinfo=zone)
    result = [Period("90d", start, now, records(config, between(start, now), now, start, now))]
    first = ordered[0].started.astimezone(zone).date() if ordered else today
    year, quarter = today.year, (today.month - 1) // 3
    while (year, quarter) >= (first.year, (first.month - 1) // 3):
        begin = datetime.combine(date(year, quarter * 3 + 1, 1), time(0), tzinfo=zone)
        following = (year + 1, 0) if quarter == 3 else (year, quarter + 1)
        finish = datetime.combine(date(following[0], following[1] * 3 + 1, 1), time(0),
                                  tzinfo=zone)
        label = f"{year} Q{quarter + 1}"
        result.append(Period(label, begin, min(finish, now),
                             kept_records(label, begin, finish)))
        year, quarter = (year - 1, 3) if quarter == 0 else (year, quarter - 1)
    return result
