"""Uptime figures (SPEC §3): each component's days, windows and calendar months, from its
timeline (`timeline`); and `Uptime`, every component's figures at any moment of a build."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from ..model import Component, Site
from ..read.config import SiteConfig
from .timeline import ComponentTimeline, Figure, Line, Remember, _call, _local_midnight, timelines


class Day(NamedTuple):
    """One day of a component's history (a tuple: a year of them for each component is
    made, and kept, at every build)."""

    date: date
    figure: Figure


@dataclass(frozen=True)
class ComponentUptime:
    """A component's figures: daily bars, rolling windows and calendar months."""

    component: Component
    target: float
    days: tuple[Day, ...]
    """The bar window, oldest first, ending with today."""
    windows: dict[str, Figure]
    """'7d', '30d', '90d', and one for the bar window and the length of `days`."""
    months: dict[str, Figure]
    """'YYYY-MM' -> figure, oldest first."""


WINDOWS = (7, 30, 90)


class Midnights:
    """Local midnights of a time zone as POSIX seconds, each worked out once."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._known: dict[date, float] = {}

    def __call__(self, day: date) -> float:
        found = self._known.get(day)
        if found is None:
            found = self._known[day] = _local_midnight(day, self.zone)
        return found


def day_figures(line: ComponentTimeline, zone: ZoneInfo | Midnights, today: date,
                count: int) -> list[Day]:
    """Return the `count` days ending with `today`, oldest first."""
    midnight = zone if isinstance(zone, Midnights) else Midnights(zone)
    days = [today - timedelta(days=n) for n in range(count - 1, -1, -1)]
    figures = line.figures([*map(midnight, days), midnight(today + timedelta(days=1))])
    return [Day(d, figure) for d, figure in zip(days, figures, strict=True)]


def window_figure(line: ComponentTimeline, zone: ZoneInfo | Midnights, today: date,
                  count: int) -> Figure:
    """Return the figure of the `count` calendar days ending with today (today up to now)."""
    midnight = zone if isinstance(zone, Midnights) else Midnights(zone)
    return line.figure(midnight(today - timedelta(days=count - 1)),
                       midnight(today + timedelta(days=1)))


def month_figures(line: ComponentTimeline, zone: ZoneInfo | Midnights, first: date,
                  today: date) -> dict[str, Figure]:
    """Return each calendar month from `first`'s month to today's, oldest first."""
    midnight = zone if isinstance(zone, Midnights) else Midnights(zone)
    starts = []
    year, month = first.year, first.month
    while (year, month) <= (today.year, today.month):
        starts.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    figures = line.figures([midnight(d) for d in [*starts, date(year, month, 1)]])
    return {f"{d.year:04d}-{d.month:02d}": found
            for d, found in zip(starts, figures, strict=True)}


def compute(config: SiteConfig, site: Site, now: datetime,
            days: int | None = None) -> list[ComponentUptime]:
    """Return every component's uptime figures at `now`."""
    return figures(config, timelines(config, site, now), now, days)


@dataclass(frozen=True)
class Present:
    """What of a component's figures moves within a day: today's, the windows' (each
    ending today) and this month's."""

    today: Day
    windows: dict[str, Figure]
    month: str
    this_month: Figure


class Uptime:
    """Every component's figures at any moment from the build's on, while nothing open at
    the build (an ongoing incident, maintenance under way) has moved: each component's
    timeline counts up to that moment (`ComponentTimeline.counted_until`).

    What moves within a day (`present`) is worked out at each moment asked; the days before
    today and the months before this one once per date."""

    def __init__(self, config: SiteConfig, lines: list[Line], days: int,
                 remember: Remember = _call) -> None:
        self.config, self.days, self.remember = config, days, remember
        self.lines = {line.component.id: line for line in lines}
        self._present: tuple[datetime, dict[str, Present]] | None = None
        self._at: tuple[datetime, dict[str, ComponentUptime]] | None = None
        self._past: dict[date, dict[str, Past]] = {}

    def basis(self, component: str) -> str:
        """Return a digest of all that the component's figures follow from, but the time."""
        line = self.lines[component]
        return f"{line.timeline.basis}|{line.first}|{self.days}"

    def present(self, now: datetime) -> dict[str, Present]:
        """Return what of each component's figures moves within a day, at `now`, by id."""
        if self._present is None or self._present[0] != now:
            zone = Midnights(self.config.timezone)
            today = now.astimezone(self.config.timezone).date()
            month = f"{today.year:04d}-{today.month:02d}"
            counts = sorted({*WINDOWS, self.config.uptime_days, self.days})
            found = {}
            for cid, line in self.lines.items():
                timeline = line.timeline.counted_until(now.timestamp())
                found[cid] = Present(
                    day_figures(timeline, zone, today, 1)[0],
                    {f"{n}d": window_figure(timeline, zone, today, n) for n in counts}, month,
                    month_figures(timeline, zone, max(line.first, today.replace(day=1)),
                                  today)[month])
            self._present = (now, found)
        return self._present[1]

    def past(self, day: date) -> dict[str, Past]:
        """Return each component's days before `day` and months before its month, by id."""
        found = self._past.get(day)
        if found is None:
            moment = datetime.combine(day, time(0), tzinfo=self.config.timezone)
            found = self._past[day] = {cid: self.remember(
                past_figures, self.config, replace(
                    line, timeline=line.timeline.counted_until(moment.timestamp())),
                moment, self.days) for cid, line in self.lines.items()}
        return found

    def at(self, now: datetime) -> dict[str, ComponentUptime]:
        """Return each component's figures at `now`, by id, with `days` days of history
        (worked out once for the last moment asked)."""
        if self._at is None or self._at[0] != now:
            self._at = (now, self._figures_at(now))
        return self._at[1]

    def _figures_at(self, now: datetime) -> dict[str, ComponentUptime]:
        today = now.astimezone(self.config.timezone).date()
        past = self.past(today)
        found = {}
        for (cid, moving), earlier in zip(self.present(now).items(), past.values(),
                                          strict=True):
            component = self.lines[cid].component
            start = date.fromordinal(earlier.start)
            found[cid] = ComponentUptime(
                component, self.config.target_of(component),
                (*(Day(start + timedelta(days=n), figure)
                   for n, figure in enumerate(earlier.days)), moving.today),
                moving.windows, {**earlier.months, moving.month: moving.this_month})
        return found

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_present": None, "_at": None, "remember": _call}


class Past(NamedTuple):
    """A component's figures of the days before a day and the months before its month (a
    tuple, as a build keeps them for the next)."""

    start: int
    """The first day's ordinal."""
    days: tuple[Figure, ...]
    months: dict[str, Figure]


def past_figures(config: SiteConfig, line: Line, midnight: datetime, days: int) -> Past:
    """Return the component's figures of the `days - 1` days before `midnight`'s day and of
    the months before its month."""
    found = figures(config, [line], midnight, days)[0]
    return Past(found.days[0].date.toordinal(), tuple(day.figure for day in found.days[:-1]),
                dict(list(found.months.items())[:-1]))


def figures(config: SiteConfig, lines: list[Line], now: datetime,
            days: int | None = None) -> list[ComponentUptime]:
    """Return the figures of each component's timeline at `now`: `days` days (by default the
    bar window), the windows, and each month since its record starts."""
    zone = Midnights(config.timezone)
    today = now.astimezone(config.timezone).date()
    count = days or config.uptime_days
    return [ComponentUptime(
        component=line.component,
        target=config.target_of(line.component),
        days=tuple(day_figures(line.timeline, zone, today, count)),
        windows={f"{n}d": window_figure(line.timeline, zone, today, n)
                 for n in sorted({*WINDOWS, config.uptime_days, count})},
        months=month_figures(line.timeline, zone, line.first, today),
    ) for line in lines]
