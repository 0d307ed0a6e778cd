"""Timelines: when each status held each component, as interval arithmetic (SPEC §3).

Downtime at an instant is the highest weight among the statuses a component's incidents give
it then (never the sum); maintenance windows, time before `since` and time after the build's
time count neither as downtime nor as time. Intervals are merged once per component and
turned into prefix sums, so any span costs two binary searches, whatever its length.
"""

from __future__ import annotations

import bisect
import copy
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from ..model import (
    Component,
    ComponentStatus,
    Incident,
    Maintenance,
    MaintenanceStatus,
    Site,
    StatusStep,
    incidents_by_component,
)
from ..read.config import SiteConfig

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

    def __repr__(self) -> str:
        return f"ComponentTimeline({self.basis!r}, last={self.last!r})"

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


def _earliest(config: SiteConfig, site: Site, today: date) -> date:
    """Return where the monthly record of a component without `since` starts: the earliest
    incident or maintenance."""
    # (Local dates follow instants in order: only the earliest instant is converted.)
    first = min((*(i.started for i in site.incidents), *(m.scheduled for m in site.maintenances)),
                default=None)
    return today if first is None else min(today, first.astimezone(config.timezone).date())


@dataclass(frozen=True)
class Line:
    """A component's timeline, and the day its monthly record starts."""

    component: Component
    timeline: ComponentTimeline
    first: date


Remember = Callable[..., Any]
"""How a build has a pure function's result worked out: `remember(function, *args)`. The
plain call by default; a build may keep results from one build to the next."""


def _call(function: Callable[..., Any], *args: Any) -> Any:
    return function(*args)


def timelines(config: SiteConfig, site: Site, now: datetime,
              by_component: dict[str, list[Incident]] | None = None,
              remember: Remember = _call) -> list[Line]:
    """Return every component's timeline at `now`; `by_component` is
    `incidents_by_component` of the site, if worked out already."""
    today = now.astimezone(config.timezone).date()
    incidents = incidents_by_component(site) if by_component is None else by_component
    maintenances: dict[str, list[Maintenance]] = {}
    for item in site.maintenances:
        for component_id in item.components:
            maintenances.setdefault(component_id, []).append(item)
    earliest = _earliest(config, site, today)
    found = []
    for component in config.components:
        mine = tuple(incidents.get(component.id, []))
        windows = tuple((m, m.status_at(now)) for m in maintenances.get(component.id, []))
        # While nothing of the component is open, its timeline is the same at any time from
        # now on (but for where it stops counting): worked out as of the end of time.
        opened = any(i.resolved_at is None for i in mine) or any(
            status in (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING)
            for _m, status in windows)
        line = remember(settled_timeline, config, component, mine, windows,
                        now if opened else None)
        found.append(Line(component, line.counted_until(now.timestamp()),
                          min(component.since, today) if component.since else earliest))
    return found


def settled_timeline(config: SiteConfig, component: Component, incidents: tuple[Incident, ...],
                     windows: tuple[tuple[Maintenance, MaintenanceStatus], ...],
                     at: datetime | None) -> ComponentTimeline:
    """Return the component's timeline at `at`, or (None) once all its incidents and
    windows are over: the incidents resolved, and the windows as their statuses tell (one
    still to come counts from where it is written, beyond any moment it is counted up to)."""
    return timeline(config, Site((), ()), component, at or _END_OF_TIME, incidents,
                    [m for m, _status in windows])


_END_OF_TIME = datetime(9999, 12, 31, tzinfo=UTC)


