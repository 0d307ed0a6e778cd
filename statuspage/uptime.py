"""Uptime: pure arithmetic on time intervals, implementing SPEC §3.

For each component, downtime at an instant is the highest weight among the statuses its
incidents give it then (never the sum); maintenance windows, time before `since` and time after
`now` count neither as downtime nor as time. Intervals are merged once per component and turned
into prefix sums, so any window costs two binary searches, whatever its length.
"""

from __future__ import annotations

import bisect
import copy
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from . import __version__
from .config import SiteConfig
from .model import (
    Component,
    ComponentStatus,
    Incident,
    Maintenance,
    Site,
    StatusStep,
    incidents_by_component,
)

Interval = tuple[float, float]
"""A half-open span [start, end) in POSIX seconds."""


@dataclass(frozen=True)
class Figure:
    """Downtime and counted time of one window, in seconds."""

    downtime: float
    counted: float

    @property
    def uptime(self) -> float | None:
        """Return uptime in percent, or None when the window has no counted time."""
        if self.counted <= 0:
            return None
        return max(0.0, 100.0 * (1.0 - self.downtime / self.counted))

    @property
    def downtime_minutes(self) -> float:
        """Return the downtime in minutes."""
        return self.downtime / 60.0

    @property
    def counted_minutes(self) -> float:
        """Return the counted time in minutes."""
        return self.counted / 60.0

    def budget(self, target: float) -> Budget:
        """Return the error budget this window allows at `target` percent."""
        allowed = self.counted_minutes * (100.0 - target) / 100.0
        return Budget(allowed, self.downtime_minutes, allowed - self.downtime_minutes)


@dataclass(frozen=True)
class Budget:
    """Error budget of a window, in minutes; `left` is negative when it is overspent."""

    allowed: float
    used: float
    left: float


def _weighted_segments(pieces: Iterable[tuple[float, float, float]]) -> list[tuple[float, float,
                                                                                  float]]:
    """Return disjoint sorted (start, end, weight) segments: the highest weight at each instant."""
    events: list[tuple[float, int, float]] = []
    for start, end, weight in pieces:
        if end > start and weight > 0:
            events.append((start, 1, weight))
            events.append((end, -1, weight))
    events.sort()
    active: dict[float, int] = {}
    segments: list[tuple[float, float, float]] = []
    previous: float | None = None
    for moment, kind, weight in events:
        if previous is not None and moment > previous and active:
            top = max(active)
            if segments and segments[-1][1] == previous and segments[-1][2] == top:
                segments[-1] = (segments[-1][0], moment, top)
            else:
                segments.append((previous, moment, top))
        count = active.get(weight, 0) + kind
        if count:
            active[weight] = count
        else:
            active.pop(weight, None)
        previous = moment
    return segments


def _union(spans: Iterable[Interval]) -> list[Interval]:
    """Return the union of spans as sorted disjoint intervals."""
    merged: list[Interval] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(segments: list[tuple[float, float, float]],
              holes: list[Interval]) -> list[tuple[float, float, float]]:
    """Return the segments with the (sorted, disjoint) holes cut out."""
    result: list[tuple[float, float, float]] = []
    index = 0
    for start, end, weight in segments:
        while index < len(holes) and holes[index][1] <= start:
            index += 1
        cursor, probe = start, index
        while probe < len(holes) and holes[probe][0] < end:
            if holes[probe][0] > cursor:
                result.append((cursor, holes[probe][0], weight))
            cursor = max(cursor, holes[probe][1])
            probe += 1
        if cursor < end:
            result.append((cursor, end, weight))
    return result


class _Cumulative:
    """Prefix sums over disjoint weighted segments: the measure of (-inf, t) in O(log n)."""

    def __init__(self, segments: Sequence[tuple[float, float, float]]) -> None:
        self.starts = [s for s, _e, _w in segments]
        self.ends = [e for _s, e, _w in segments]
        self.weights = [w for _s, _e, w in segments]
        self.before: list[float] = []
        total = 0.0
        for start, end, weight in segments:
            self.before.append(total)
            total += (end - start) * weight

    def at(self, moment: float) -> float:
        index = bisect.bisect_right(self.starts, moment) - 1
        if index < 0:
            return 0.0
        covered = min(moment, self.ends[index]) - self.starts[index]
        return self.before[index] + covered * self.weights[index]

    def between(self, start: float, end: float) -> float:
        return self.at(end) - self.at(start) if end > start else 0.0

    def at_each(self, moments: Sequence[float]) -> dict[float, float]:
        """Return `at` of each of the ascending `moments`, in one walk over the segments."""
        starts, ends, weights, before = self.starts, self.ends, self.weights, self.before
        found: dict[float, float] = {}
        index = bisect.bisect_right(starts, moments[0]) - 1 if moments else -1
        last = len(starts) - 1
        for moment in moments:
            while index < last and starts[index + 1] <= moment:
                index += 1
            found[moment] = 0.0 if index < 0 else (
                before[index] + (min(moment, ends[index]) - starts[index]) * weights[index])
        return found


class ComponentTimeline:
    """Everything needed to answer 'downtime and counted time between a and b' for a component."""

    def __init__(self, down: list[tuple[float, float, float]], excluded: list[Interval],
                 first: float | None, last: float) -> None:
        segments = _subtract(down, excluded)
        self._down = _Cumulative(segments)
        self._excluded = _Cumulative([(s, e, 1.0) for s, e in excluded])
        self.first = first
        """Nothing is counted before this instant (the component's `since`), if set."""
        self.last = last
        """Nothing is counted after this instant (`now`)."""
        self.basis = hashlib.sha256(repr((segments, excluded, first)).encode()).hexdigest()
        """A digest of all that figures of spans ending by `last` follow from."""

    def counted_until(self, last: float) -> ComponentTimeline:
        """Return this timeline counting up to `last` instead: the same as one made at
        `last` if nothing in it was still open at its own end (an ongoing incident, a
        maintenance under way) and nothing starts in between."""
        moved = copy.copy(self)
        moved.last = last
        return moved

    def figure(self, start: float, end: float) -> Figure:
        """Return downtime and counted time in [start, end)."""
        if self.first is not None:
            start = max(start, self.first)
        end = min(end, self.last)
        if end <= start:
            return Figure(0.0, 0.0)
        counted = (end - start) - self._excluded.between(start, end)
        return Figure(self._down.between(start, end), max(0.0, counted))

    def figures(self, bounds: Sequence[float]) -> list[Figure]:
        """Return `figure` of each span between consecutive ascending `bounds` (days, months),
        working out each bound once; equal figures are one shared object."""
        first, last = self.first, self.last
        spans = [(start if first is None else max(start, first), min(end, last))
                 for start, end in pairwise(bounds)]
        moments = sorted({moment for span in spans for moment in span})
        down, excluded = self._down.at_each(moments), self._excluded.at_each(moments)
        shared: dict[tuple[float, float], Figure] = {}
        result = []
        for start, end in spans:
            if end <= start:
                key = (0.0, 0.0)
            else:
                counted = (end - start) - (excluded[end] - excluded[start])
                key = (down[end] - down[start], max(0.0, counted))
            figure = shared.get(key)
            if figure is None:
                figure = shared[key] = Figure(*key)
            result.append(figure)
        return result


def _local_midnight(day: date, zone: ZoneInfo) -> float:
    return datetime.combine(day, time(0), tzinfo=zone).timestamp()


def timeline(config: SiteConfig, site: Site, component: Component, now: datetime,
             incidents: Sequence[Incident] | None = None,
             maintenances: Sequence[Maintenance] | None = None) -> ComponentTimeline:
    """Return the component's downtime and excluded time as interval arithmetic.

    `incidents` and `maintenances` may be given already narrowed to this component.
    """
    weights = config.weights
    end_of_all = now.timestamp()
    pieces: list[tuple[float, float, float]] = []
    for incident in site.incidents if incidents is None else incidents:
        steps = incident.components.get(component.id)
        if steps:
            pieces += _incident_pieces(incident, steps, weights, now)
    windows = (m.window(now) for m in (site.maintenances if maintenances is None else maintenances)
               if component.id in m.components)
    excluded = _union((start.timestamp(), min(end.timestamp(), end_of_all))
                      for start, end in windows)
    first = _local_midnight(component.since, config.timezone) if component.since else None
    return ComponentTimeline(_weighted_segments(pieces), excluded, first, end_of_all)


def _incident_pieces(incident: Incident, steps: Sequence[StatusStep],
                     weights: dict[ComponentStatus, float],
                     now: datetime) -> list[tuple[float, float, float]]:
    """Return what the incident's `steps` for one component weigh, from when to when."""
    end = min(incident.end(now), now).timestamp()
    started = incident.started.timestamp()
    moments = [step.at.timestamp() for step in steps]
    return [(max(moment, started), min(following, end), weights.get(step.status, 0.0))
            for step, moment, following in zip(steps, moments, [*moments[1:], end], strict=True)]


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
    past: str
    """A digest of what every day but today, and every month but this one, follow from: two
    equal digests, equal figures there (today and this month move with the clock)."""


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


def _earliest(config: SiteConfig, site: Site, today: date) -> date:
    """Return where the monthly record of a component without `since` starts: the earliest
    incident or maintenance."""
    # (Local dates follow instants in order: only the earliest instant is converted.)
    first = min((*(i.started for i in site.incidents), *(m.scheduled for m in site.maintenances)),
                default=None)
    return today if first is None else min(today, first.astimezone(config.timezone).date())


class Memo(Protocol):
    """Where figures of past days and months are kept from one build to the next."""

    def get(self, key: str) -> Any: ...

    def put(self, key: str, value: Any) -> None: ...


def compute(config: SiteConfig, site: Site, now: datetime,
            days: int | None = None, memo: Memo | None = None) -> list[ComponentUptime]:
    """Return every component's uptime figures at `now`.

    With a `memo`, the figures of past days and months (which only a change of incidents,
    maintenance, settings or the date can move) are taken from it when it has them, and put
    in it when it has not: only today, this month and the windows are worked out again."""
    return figures(config, timelines(config, site, now), now, days, memo)


@dataclass(frozen=True)
class Line:
    """A component's timeline, and the day its monthly record starts."""

    component: Component
    timeline: ComponentTimeline
    first: date


def timelines(config: SiteConfig, site: Site, now: datetime,
              by_component: dict[str, list[Incident]] | None = None) -> list[Line]:
    """Return every component's timeline at `now`; `by_component` is
    `incidents_by_component` of the site, if worked out already."""
    return Timelines(config, site, now, by_component).lines()


class Known(Protocol):
    """What can change how each incident and maintenance shows, as a build works it out once
    (`render.Inputs`): their files, and where the clock is in them."""

    def incident(self, incident: Incident) -> str | None:
        """None while it is ongoing."""

    def maintenance(self, item: Maintenance) -> str: ...


def memo_key(prefix: str, parts: Iterable[str]) -> str:
    """Return the key under which a memo keeps what follows from `parts` alone."""
    return prefix + hashlib.sha256("\n".join(parts).encode()).hexdigest()


class Timelines:
    """Every component's timeline at `now`, found in two steps.

    With a `memo` and what is `known` of the site's files, a component's timeline is kept in
    the memo and taken from it while its incidents and maintenance are the same files and
    none is open at `now` (see `_timeline_key`): after an edit, only the components that the
    edited file names are worked out again. Making the object finds what the memo has, which
    reads every incident once: a build does it before it forks, as afterwards each read
    copies shared memory. `lines` works out the rest."""

    def __init__(self, config: SiteConfig, site: Site, now: datetime,
                 by_component: dict[str, list[Incident]] | None = None,
                 memo: Memo | None = None, known: Known | None = None) -> None:
        self.config, self.site, self.now, self.memo = config, site, now, memo
        self.today = now.astimezone(config.timezone).date()
        self.incidents = incidents_by_component(site) if by_component is None else by_component
        self.maintenances: dict[str, list[Maintenance]] = {}
        for item in site.maintenances:
            for component_id in item.components:
                self.maintenances.setdefault(component_id, []).append(item)
        self.earliest = _earliest(config, site, self.today)
        settings = repr((__version__, config))
        self.keys: dict[str, str | None] = {}
        self.kept: dict[str, ComponentTimeline] = {}
        for component in config.components:
            key = self.keys[component.id] = None if memo is None or known is None \
                else _timeline_key(settings, component, self.incidents.get(component.id, []),
                                   self.maintenances.get(component.id, []), known, now)
            found = memo.get(key) if memo is not None and key is not None else None
            if isinstance(found, ComponentTimeline):
                self.kept[component.id] = found.counted_until(now.timestamp())

    def lines(self) -> list[Line]:
        """Return every component's timeline, working out those the memo has not."""
        result = []
        for component in self.config.components:
            line = self.kept.get(component.id)
            if line is None:
                line = timeline(self.config, self.site, component, self.now,
                                self.incidents.get(component.id, []),
                                self.maintenances.get(component.id, []))
                key = self.keys.get(component.id)
                if self.memo is not None and key is not None:
                    self.memo.put(key, line)
            result.append(Line(component, line, min(component.since, self.today)
                               if component.since else self.earliest))
        return result


def _timeline_key(settings: str, component: Component, incidents: Sequence[Incident],
                  maintenances: Sequence[Maintenance], known: Known,
                  now: datetime) -> str | None:
    """Return the memo key of the component's timeline at `now`, or None while one of its
    incidents or maintenance windows is open.

    A timeline made at one instant holds at another, up to where it stops counting
    (`counted_until`), while each incident is resolved by both (`known` tells none apart
    from an ongoing one, and how many of its updates are due) and each maintenance window
    has ended by both or starts after both (`known` tells these apart by its status)."""
    parts = [settings, component.id]
    for incident in incidents:
        found = known.incident(incident)
        if found is None:
            return None
        parts.append(f"{incident.slug}|{found}")
    for item in maintenances:
        start, end = item.window(now)
        if start <= now < end or (start, end) != item.window():  # under way, or overrunning
            return None
        parts.append(f"{item.slug}|{known.maintenance(item)}")
    return memo_key(_TIMELINE, parts)


_TIMELINE = "timeline:"
"""The prefix of a memo's keys for components' timelines."""


_PAST = "uptime:"
"""The prefix of a memo's keys for past figures."""


def past_key(figure: ComponentUptime) -> str:
    """Return the memo key under which `figures` keeps the past days and months of `figure`."""
    return _PAST + figure.past


def figures(config: SiteConfig, lines: list[Line], now: datetime, days: int | None = None,
            memo: Memo | None = None) -> list[ComponentUptime]:
    """Return the figures of each component's timeline at `now` (see `compute`)."""
    zone = Midnights(config.timezone)
    today = now.astimezone(config.timezone).date()
    tomorrow = today + timedelta(days=1)
    this_month = date(today.year, today.month, 1)
    following = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    count = days or config.uptime_days
    result = []
    for component, line, first in ((x.component, x.timeline, x.first) for x in lines):
        past = hashlib.sha256(repr((__version__, line.basis, config.timezone.key, today, count,
                                    first)).encode()).hexdigest()
        key = _PAST + past  # (as `past_key` gives it for the figure made here)
        kept = memo.get(key) if memo is not None else None
        # Kept as the first day's ordinal and each past day's figure (most days share one):
        # a year of days for each of a hundred components is loaded and saved at every build.
        if isinstance(kept, tuple) and len(kept) == 3:
            (today_figure,) = line.figures([zone(today), zone(tomorrow)])
            (month_figure,) = line.figures([zone(this_month), zone(following)])
            start = date.fromordinal(kept[0])
            day_list = [Day(start + timedelta(days=n), figure) for n, figure in enumerate(kept[1])]
            day_list.append(Day(today, today_figure))
            month_map = {**kept[2], f"{today.year:04d}-{today.month:02d}": month_figure}
        else:
            day_list = day_figures(line, zone, today, count)
            month_map = month_figures(line, zone, first, today)
            if memo is not None:
                memo.put(key, (day_list[0].date.toordinal(),
                               tuple(day.figure for day in day_list[:-1]),
                               dict(list(month_map.items())[:-1])))
        result.append(ComponentUptime(
            component=component,
            target=config.target_of(component),
            days=tuple(day_list),
            windows={f"{n}d": window_figure(line, zone, today, n)
                     for n in sorted({*WINDOWS, config.uptime_days, count})},
            months=month_map,
            past=past,
        ))
    return result
