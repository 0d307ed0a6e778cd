"""Daily bars: each day's colour level, its incidents and maintenance, and the accessible list
in which runs of quiet days are told once."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, NamedTuple, Protocol, TypeVar

from ..model import Component, Incident, Maintenance, Site
from ..read.config import SiteConfig
from .timeline import Figure
from .uptime import Day

THRESHOLDS = ((0.0, "ok"), (15.0, "minor"), (60.0, "partial"))
"""A day's colour by its weighted downtime in minutes: none is 'ok', up to 15 min 'minor', up to
60 min 'partial', more 'major'; a day with no counted time is 'none'."""


def level(figure: Figure) -> str:
    """Return the colour level of a day (documented in docs/uptime.md)."""
    if figure.counted <= 0:
        return "none"
    minutes = figure.downtime_minutes
    for limit, name in THRESHOLDS:
        if minutes <= limit:
            return name
    return "major"


def percent(value: float | None) -> str:
    """Return an uptime for people: two decimals, cut rather than rounded up, so a day with any
    downtime never reads 100.00."""
    if value is None:
        return "no data"
    cut = math.floor(value * 100) / 100
    return f"{cut:.2f}\u00a0%"  # a no-break space: the sign never wraps to a line of its own


class DayView(NamedTuple):
    """One day of one component, as a bar and as a line of the accessible list (a named
    tuple: made for every day of a year of bars, several times as fast as a frozen
    dataclass)."""

    date: date
    figure: Figure
    level: str
    incidents: tuple[Incident, ...]
    maintenances: tuple[Maintenance, ...]

    @property
    def quiet(self) -> bool:
        """Return whether nothing happened: counted time, no downtime, nothing listed."""
        return (self.figure.counted > 0 and self.figure.downtime == 0 and not self.incidents
                and not self.maintenances)


class Told(Protocol):
    """A day as the list of days tells it (a DayView, or a day as pages show it)."""

    @property
    def date(self) -> date: ...

    @property
    def level(self) -> str: ...

    @property
    def quiet(self) -> bool: ...

    @property
    def incidents(self) -> tuple[Incident, ...]: ...

    @property
    def maintenances(self) -> tuple[Maintenance, ...]: ...


D = TypeVar("D", bound=Told)


@dataclass(frozen=True)
class Run(Generic[D]):
    """Consecutive days told together: quiet days, days with no data, or one eventful day."""

    kind: str
    """'quiet', 'none' or 'day'."""
    first: date
    last: date
    day: D | None = None


def _by_day(spans: Sequence[tuple[datetime, datetime, object]], config: SiteConfig,
            days: set[date]) -> dict[date, list[object]]:
    found: dict[date, list[object]] = {}
    zone = config.timezone
    earliest, latest = min(days), max(days)
    for start, end, item in spans:
        first = start.astimezone(zone).date()
        last = max(start, end - timedelta(microseconds=1)).astimezone(zone).date()
        if last < earliest or first > latest:
            continue
        day = max(first, earliest)
        while day <= min(last, latest):
            found.setdefault(day, []).append(item)
            day += timedelta(days=1)
    return found


def day_views(config: SiteConfig, site: Site, component: Component, days: Sequence[Day],
              now: datetime, mine: Sequence[Incident] | None = None) -> list[DayView]:
    """Return the days with their level and the incidents and maintenance touching them.

    `mine` may give the component's incidents already picked out (newest first).
    """
    wanted = {d.date for d in days}
    if not wanted:
        return []
    first = datetime.combine(min(wanted), datetime.min.time(), config.timezone)
    candidates = mine if mine is not None else [i for i in site.incidents
                                                if component.id in i.components]
    incidents = _by_day([(i.started, i.end(now), i) for i in candidates
                         if i.end(now) >= first], config, wanted)
    maintenances = _by_day([(*m.window(now), m) for m in site.maintenances
                            if component.id in m.components and m.window(now)[0] <= now],
                           config, wanted)
    # (Most days have neither: the isinstance filters, for the type checker, run only on
    # the rest.)
    return [DayView(d.date, d.figure, level(d.figure),
                    tuple(i for i in incidents[d.date] if isinstance(i, Incident))
                    if d.date in incidents else (),
                    tuple(m for m in maintenances[d.date] if isinstance(m, Maintenance))
                    if d.date in maintenances else ())
            for d in days]


def runs(views: Sequence[D]) -> list[Run[D]]:
    """Return the days newest first, with consecutive quiet or no-data days merged."""
    result: list[Run[D]] = []
    told: tuple[str, date, date] | None = None  # quiet or no-data days so far: kind, first, last
    for view in reversed(views):
        kind = "quiet" if view.quiet else "none" if view.level == "none" and not (
            view.incidents or view.maintenances) else "day"
        if told is not None and told[0] == kind:
            told = (kind, view.date, told[2])
            continue
        if told is not None:
            result.append(Run(*told))
            told = None
        if kind == "day":
            result.append(Run(kind, view.date, view.date, view))
        else:
            told = (kind, view.date, view.date)
    if told is not None:
        result.append(Run(*told))
    return result
