"""Views: what templates are given of incidents, maintenance and uptime.

Uptime reaches the built-in pages as the text they show (`Bars`, `MonthRow`), made here with
the same formats as the templates' filters: a component page's reads then change when what
it shows changes, not every second as the figures do.
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any, NamedTuple

from ..compute.bars import DayView, Run, day_views, percent, runs
from ..compute.status import Seen
from ..compute.timeline import Figure
from ..compute.uptime import ComponentUptime, Uptime
from ..i18n import Formats, translations
from ..model import Component, Incident, Maintenance, MaintenanceStatus, Site
from ..read.config import SiteConfig
from ..read.metrics_config import MetricsSettings
from .record import Clocked

YEAR = 365
"""Days of history on component pages."""


class Language:
    """The site's language: its catalog and the formats of dates, times and figures, made
    once when first needed. It reprs (and pickles) as its code: the catalogs are part of the
    code every key holds."""

    def __init__(self, code: str) -> None:
        self.code = code

    @cached_property
    def catalog(self) -> gettext.NullTranslations:
        return translations(self.code)

    @cached_property
    def formats(self) -> Formats:
        return Formats(self.code, self.catalog)

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def percent(self, value: float | None) -> str:
        """Return an uptime as pages show it ('no data' translated)."""
        return self.gettext("no data") if value is None else percent(value)

    def __repr__(self) -> str:
        return f"Language({self.code!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"code": self.code}


def incident_view(config: SiteConfig, incident: Incident, seen: Seen) -> dict[str, Any]:
    """Return what templates are given of one incident (documented in docs/theming.md)."""
    affected = []
    for cid, steps in incident.components.items():
        component = config.component(cid)
        if component is not None:
            affected.append({"component": component, "steps": steps,
                             "worst": incident.worst_status(cid)})
    return {
        "incident": incident,
        "affected": affected,
        "ongoing": seen.ongoing,
        "duration": seen.duration,
        "resolved_at": incident.resolved_at,
        "performance": seen.performance,
        "postmortem": seen.postmortem,
        "latest": incident.updates[0] if incident.updates else None,
    }


def maintenance_view(config: SiteConfig, item: Maintenance,
                     status: MaintenanceStatus) -> dict[str, Any]:
    """Return what templates are given of one maintenance."""
    return {
        "maintenance": item,
        "status": status,
        "components": [c for c in config.components if c.id in item.components],
        "latest": item.updates[0] if item.updates else None,
    }


Seeing = tuple[Incident, Seen]
"""An incident and how it reads at the build's time: what pages that list it read."""
Status = tuple[Maintenance, MaintenanceStatus]
"""A maintenance and its status at the build's time."""


def entry(config: SiteConfig, item: Seeing | Status) -> dict[str, Any]:
    """Return a line of a list of incidents and maintenance, with its kind and time."""
    owner, state = item
    if isinstance(owner, Incident):
        assert isinstance(state, Seen)
        return {"kind": "incident", "at": owner.started, **incident_view(config, owner, state)}
    assert isinstance(state, MaintenanceStatus)
    return {"kind": "maintenance", "at": owner.scheduled,
            **maintenance_view(config, owner, state)}


class BarDay(NamedTuple):
    """One day of the bars as pages show it (a named tuple: a page shows hundreds, made
    several times as fast as frozen dataclasses)."""

    date: date
    level: str
    quiet: bool
    uptime: str
    """The percentage as shown, or 'no data'."""
    downtime: str
    """The minutes of downtime as shown."""
    down: bool
    """Whether the day had any downtime."""
    counted: bool
    """Whether the day had any counted time."""
    incidents: tuple[Incident, ...]
    maintenances: tuple[Maintenance, ...]


BarRun = Run[BarDay]
"""Days told together in the bars' list: quiet days, days with no data, or one day."""


@dataclass(frozen=True)
class Bars:
    """A strip of daily bars and the list that tells it in words."""

    days: tuple[BarDay, ...]
    runs: tuple[BarRun, ...]
    count: int
    uptime: str
    """The uptime of the whole strip, as shown."""


@dataclass(frozen=True)
class MonthRow:
    """One month of a component's record, as its page shows it."""

    month: str
    uptime: str
    below: bool
    """Whether its uptime is below the target."""
    downtime: str
    budget: str | None
    """The error budget left, to a tenth of a minute (None: no counted time)."""
    overspent: bool


def _bar_days(views: Sequence[DayView], language: Language) -> tuple[BarDay, ...]:
    texts: dict[int, tuple[str, str]] = {}  # (most days share one figure, by identity)
    shown = []
    for view in views:
        figure = view.figure
        text = texts.get(id(figure))
        if text is None:
            text = texts[id(figure)] = (language.percent(figure.uptime),
                                        language.formats.minutes(figure.downtime_minutes))
        shown.append(BarDay(view.date, view.level, view.quiet, *text, figure.downtime > 0,
                              figure.counted > 0, view.incidents, view.maintenances))
    return tuple(shown)


def bars(config: SiteConfig, language: Language, figure: ComponentUptime, count: int,
         incidents: list[Incident], maintenances: tuple[Maintenance, ...],
         now: datetime) -> Bars:
    """Return the last `count` days of `figure` as bars, with the incidents and maintenance
    of each day (from `incidents`, newest first, and `maintenances`)."""
    views = day_views(config, Site((), maintenances), figure.component, figure.days[-count:],
                      now, incidents)
    shown = _bar_days(views, language)
    return Bars(shown, tuple(runs(shown)), count, language.percent(_window(figure, count).uptime))


def _window(figure: ComponentUptime, count: int) -> Figure:
    return figure.windows[f"{count}d"]


def month_rows(language: Language, figure: ComponentUptime) -> tuple[MonthRow, ...]:
    """Return a component's months, newest first, as its page shows them."""
    return tuple(_month_row(language, month, found, figure.target)
                 for month, found in sorted(figure.months.items(), reverse=True))


def _month_row(language: Language, month: str, found: Figure, target: float) -> MonthRow:
    budget = found.budget(target)
    return MonthRow(month, language.percent(found.uptime),
                    found.uptime is not None and found.uptime < target,
                    language.formats.minutes(found.downtime_minutes),
                    str(round(budget.left, 1)) if found.counted else None, budget.left < 0)


@dataclass(frozen=True)
class FiguresAt(Clocked):
    """Every component's exact figures at the build's time (they move every second)."""

    uptime: Uptime

    def at(self, now: datetime) -> dict[str, ComponentUptime]:
        return self.uptime.at(now)


@dataclass(frozen=True)
class FigureOf(Clocked):
    """One component's exact figures at the build's time."""

    uptime: Uptime
    component: str

    def at(self, now: datetime) -> ComponentUptime:
        return self.uptime.at(now)[self.component]


Shown = tuple[Bars, tuple[MonthRow, ...]]
"""A component page's uptime as shown: a year of bars and its months, newest first."""


@dataclass(frozen=True)
class ComponentFigures(Clocked):
    """A component page's uptime as shown. Its days before today and months before this one
    follow from the component's timeline, its incidents and maintenance and the date: that,
    with today's day, this month and the strip's uptime as shown, is its stamp."""

    config: SiteConfig
    language: Language
    uptime: Uptime
    component: Component
    incidents: tuple[Incident, ...]
    """Its incidents that the bars can show this day (newest first)."""
    maintenances: tuple[Maintenance, ...]

    def at(self, now: datetime) -> Shown:
        figure = self.uptime.at(now)[self.component.id]
        return (bars(self.config, self.language, figure, len(figure.days),
                     list(self.incidents), self.maintenances, now),
                month_rows(self.language, figure))

    def stamp_at(self, now: datetime) -> str:
        moving = self.uptime.present(now)[self.component.id]
        (today,) = _bar_days(day_views(self.config, Site((), self.maintenances),
                                         self.component, [moving.today], now,
                                         list(self.incidents)), self.language)
        window = moving.windows[f"{self.uptime.days}d"]
        target = self.config.target_of(self.component)
        return repr((self.uptime.basis(self.component.id), self.language, self.component,
                     self.incidents, self.maintenances, today,
                     self.language.percent(window.uptime),
                     _month_row(self.language, moving.month, moving.this_month, target)))


@dataclass(frozen=True)
class WindowCell:
    """A component's uptime over a window, as the uptime page shows it."""

    uptime: str
    below: bool


@dataclass(frozen=True)
class UptimeMonth:
    """A month of a component's record, as the uptime page shows it."""

    month: str
    uptime: str
    downtime: str
    allowed: str | None
    """The error budget, to a tenth of a minute (None: no counted time)."""
    left: str | None
    overspent: bool
    met: bool | None
    """Whether the month met the target (None: no data)."""
    credit: str | None = None
    """The service credit the month earns, in percent of the fee (None: no credits set or
    no data)."""


@dataclass(frozen=True)
class UptimeRow:
    """A component's line of the uptime page: its windows, the budget left of the last 30
    days, and its last months (newest first)."""

    component: Component
    target: float
    windows: tuple[WindowCell, ...]
    """The last 7, 30 and 90 days."""
    budget: str | None
    """'left / allowed' of the last 30 days, in minutes (None: no counted time)."""
    overspent: bool
    months: tuple[UptimeMonth, ...]


@dataclass(frozen=True)
class UptimeTable(Clocked):
    """Every component's line of the uptime page, as shown."""

    language: Language
    uptime: Uptime
    months: int
    """How many months each component shows."""

    def at(self, now: datetime) -> tuple[UptimeRow, ...]:
        return tuple(_uptime_row(self.language, figure, self.months, self.uptime.config.metrics)
                     for figure in self.uptime.at(now).values())

    def stamp_at(self, now: datetime) -> str:
        # The months before this one follow from each timeline and the date; the rest moves.
        day = now.astimezone(self.uptime.config.timezone).date()
        found = []
        for cid, moving in self.uptime.present(now).items():
            component = self.uptime.lines[cid].component
            figure = ComponentUptime(component, self.uptime.config.target_of(component), (),
                                     moving.windows, {moving.month: moving.this_month})
            found.append((self.uptime.basis(cid), _uptime_row(self.language, figure, 1,
                                                              self.uptime.config.metrics)))
        return repr((day, self.language, self.months, found))


def _uptime_row(language: Language, figure: ComponentUptime, count: int,
                settings: MetricsSettings | None = None) -> UptimeRow:
    target = figure.target
    windows = tuple(WindowCell(language.percent(w.uptime), w.uptime is not None
                               and w.uptime < target)
                    for w in (figure.windows[name] for name in ("7d", "30d", "90d")))
    last30 = figure.windows["30d"]
    budget = last30.budget(target)
    months = []
    for month, found in sorted(figure.months.items(), reverse=True)[:count]:
        spent = found.budget(target)
        months.append(UptimeMonth(
            month, language.percent(found.uptime), language.formats.minutes(
                found.downtime_minutes),
            str(round(spent.allowed, 1)) if found.counted else None,
            str(round(spent.left, 1)) if found.counted else None, spent.left < 0,
            None if found.uptime is None else found.uptime >= target,
            _credit(settings, found.uptime)))
    return UptimeRow(figure.component, target, windows,
                     f"{round(budget.left, 1)} / {round(budget.allowed, 1)}"
                     if last30.counted else None, budget.left < 0, tuple(months))


def _credit(settings: MetricsSettings | None, uptime: float | None) -> str | None:
    earned = None if settings is None else settings.credit(uptime)
    return None if earned is None else f"{earned:g}"


@dataclass(frozen=True)
class BadgeUptime(Clocked):
    """A component's uptime over a window, as a badge shows it (in English, cut to two
    decimals, 'no data' for none)."""

    uptime: Uptime
    component: str
    window: str

    def at(self, now: datetime) -> str:
        return percent(self.uptime.present(now)[self.component].windows[self.window].uptime)


def in_bars(incidents: list[Incident], today: date, days: int, zone: Any,
            newest: int = 0) -> tuple[Incident, ...]:
    """Return the incidents (newest first) that bars of `days` days ending `today` can show,
    and the `newest` first ones whatever their date: the same all day long."""
    since = datetime.combine(today - timedelta(days=days + 1), datetime.min.time(), zone)
    return tuple(incidents[:newest]) + tuple(i for i in incidents[newest:]
                                             if i.resolved_at is None or i.resolved_at >= since)

