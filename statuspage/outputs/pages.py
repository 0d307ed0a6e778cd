"""The HTML pages: one declaration for each, with the names its template gets.

Every page also gets the names of `render.page_names` (settings, the page's status, assets).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from ..compute.bars import THRESHOLDS
from ..compute.sla import Period
from ..compute.status import Overview, seen
from ..compute.uptime import ComponentUptime
from ..model import Component, ComponentStatus, Incident, Maintenance, Site
from ..read.config import SiteConfig
from ..read.upstream import UpstreamStatus
from .facts import Facts
from .metrics_views import Glance, GlancesOf, MeasuredRow, MeasuredShown, ShownOf, UptimeRowsOf
from .record import NOW, Output, page
from .views import (
    YEAR,
    Bars,
    ComponentFigures,
    FigureOf,
    Language,
    MonthRow,
    Seeing,
    Status,
    UptimeRow,
    UptimeTable,
    bars,
    entry,
    in_bars,
    incident_view,
    maintenance_view,
)

MONTHS_ON_UPTIME_PAGE = 12
COMPONENT_INCIDENTS = 50
"""A component page lists this many of its newest incidents (and maintenances)."""
RECENT_DAYS = 7
"""How many days of history the front page lists, one heading a day."""


def outputs(facts: Facts) -> Iterator[Output]:
    """Yield every HTML page."""
    config, site, seen_now, status = facts.config, facts.site, facts.seen, facts.status
    for incident in site.incidents:
        yield page(f"incidents/{incident.slug}/index.html", "incident.html", incident_view,
                   config, incident, seen_now[incident.slug])
    for item in site.maintenances:
        yield page(f"maintenance/{item.slug}/index.html", "maintenance.html", maintenance_view,
                   config, item, status[item.slug])
    yield from _history(facts)
    published = tuple((i, seen_now[i.slug]) for i in site.incidents
                      if seen_now[i.slug].postmortem is not None)
    yield page("postmortems/index.html", "postmortems.html", _postmortems, config, published)
    yield page("404.html", "404.html", dict)
    days = max(config.uptime_days, RECENT_DAYS)
    today = facts.now.astimezone(config.timezone).date()
    yield page("index.html", "index.html", _front, NOW, config, facts.language,
               facts.overview, _since(site, today, days, config), facts.figures,
               GlancesOf(), facts.upstream)
    # Templates of the repository's own may show the exact figures, which move every second.
    exact = (facts.figures,) if facts.own_templates else ()
    yield page("uptime/index.html", "uptime.html", _uptime, config,
               UptimeTable(facts.language, facts.uptime, MONTHS_ON_UPTIME_PAGE),
               tuple(facts.periods), UptimeRowsOf(MONTHS_ON_UPTIME_PAGE),
               *exact)
    for component in config.components:
        yield _component_page(facts, component, today)


def _since(site: Site, today: date, days: int, config: SiteConfig) -> Site:
    """Return the incidents that can show on the front page all day (those whose impact
    reaches into the last `days` days), and all maintenance."""
    return Site(in_bars(list(site.incidents), today, days, config.timezone), site.maintenances)


def _postmortems(config: SiteConfig, published: tuple[Seeing, ...]) -> dict[str, Any]:
    views = [incident_view(config, incident, found) for incident, found in published]
    views.sort(key=lambda v: (v["postmortem"].published, v["incident"].slug), reverse=True)
    return {"postmortems": views}


def _history(facts: Facts) -> Iterator[Output]:
    """Yield the history's index and a page for each month from the first incident or
    maintenance to this month."""
    config = facts.config
    by_month: dict[str, list[Seeing | Status]] = {}
    for incident in facts.site.incidents:
        by_month.setdefault(_month(incident.started, config), []).append(
            (incident, facts.seen[incident.slug]))
    for item in facts.site.maintenances:
        by_month.setdefault(_month(item.scheduled, config), []).append(
            (item, facts.status[item.slug]))
    current = _month(facts.now, config)
    months = list(reversed(_months_between(min([current, *by_month]),
                                           max([current, *by_month]))))
    summary = tuple((m, sum(isinstance(e[0], Incident) for e in by_month.get(m, [])),
                     sum(isinstance(e[0], Maintenance) for e in by_month.get(m, [])))
                    for m in months)
    yield page("history/index.html", "history.html", _history_index, summary)
    for index, month in enumerate(months):
        newer = months[index - 1] if index > 0 else None
        older = months[index + 1] if index + 1 < len(months) else None
        yield page(f"history/{month}/index.html", "history_month.html", _history_month,
                   config, month, newer, older, tuple(by_month.get(month, ())))


def _history_index(summary: tuple[tuple[str, int, int], ...]) -> dict[str, Any]:
    return {"months": [{"month": m, "incidents": i, "maintenances": n} for m, i, n in summary]}


def _history_month(config: SiteConfig, month: str, newer: str | None, older: str | None,
                   items: tuple[Seeing | Status, ...]) -> dict[str, Any]:
    entries = sorted((entry(config, item) for item in items),
                     key=lambda e: (e["at"], e["kind"]), reverse=True)
    return {"month": month, "entries": entries, "newer": newer, "older": older}


def _front(now: datetime, config: SiteConfig, language: Language, state: Overview, site: Site,
           figures: dict[str, ComponentUptime], measured: dict[str, Glance],
           upstream: tuple[UpstreamStatus, ...] = ()) -> dict[str, Any]:
    by_component: dict[str, list[Incident]] = {}
    for incident in site.incidents:
        for cid in incident.components:
            by_component.setdefault(cid, []).append(incident)
    return {
        "now": now,
        "overview": state,
        "ongoing": [incident_view(config, i, seen(i, now)) for i in state.ongoing],
        "active": [maintenance_view(config, m, m.status_at(now)) for m in state.active],
        "upcoming": [maintenance_view(config, m, m.status_at(now)) for m in state.upcoming],
        "recent": _recent(config, site, now),
        "measured": measured,
        "upstream": upstream,
        "uptime": {cid: bars(config, language, figure, config.uptime_days,
                             by_component.get(cid, []),
                             tuple(m for m in site.maintenances if cid in m.components), now)
                   for cid, figure in figures.items()},
    }


def _recent(config: SiteConfig, site: Site, now: datetime) -> list[dict[str, Any]]:
    """Return the last RECENT_DAYS days, newest first, with what started on each."""
    today = now.astimezone(config.timezone).date()
    days: dict[date, list[dict[str, Any]]] = {
        today - timedelta(days=n): [] for n in range(RECENT_DAYS)}
    for incident in site.incidents:
        day = incident.started.astimezone(config.timezone).date()
        if day in days:
            days[day].append({"kind": "incident",
                              **incident_view(config, incident, seen(incident, now))})
    for item in site.maintenances:
        day = item.scheduled.astimezone(config.timezone).date()
        if day in days and item.scheduled <= now:
            days[day].append({"kind": "maintenance",
                              **maintenance_view(config, item, item.status_at(now))})
    return [{"date": day, "entries": entries} for day, entries in days.items()]


def _uptime(config: SiteConfig, rows: tuple[UptimeRow, ...], periods: tuple[Period, ...],
            measured: dict[str, MeasuredRow],
            figures: dict[str, ComponentUptime] | None = None) -> dict[str, Any]:
    weights = {status.value: 100 * weight for status, weight in config.weights.items()}
    names = {"rows": rows, "weights": weights, "months": MONTHS_ON_UPTIME_PAGE,
             "periods": list(periods), "measured": measured,
             "credits": config.metrics.credits}
    if figures is not None:
        names["figures"] = list(figures.values())
    return names


def _component_page(facts: Facts, component: Component, today: date) -> Output:
    config = facts.config
    mine = facts.by_component.get(component.id, [])
    maintenances = tuple(m for m in facts.site.maintenances if component.id in m.components)
    days = max(config.uptime_days, YEAR)
    shown = ComponentFigures(config, facts.language, facts.uptime, component,
                        in_bars(mine, today, days, config.timezone, COMPONENT_INCIDENTS),
                        maintenances)
    # Templates of the repository's own may show the exact figures, which move every second.
    exact = (FigureOf(facts.uptime, component.id),) if facts.own_templates else ()
    return page(f"components/{component.id}/index.html", "component.html", _component, config,
                component, facts.overview.components[component.id],
                tuple((i, facts.seen[i.slug]) for i in mine[:COMPONENT_INCIDENTS]), len(mine),
                tuple((m, facts.status[m.slug]) for m in maintenances[:COMPONENT_INCIDENTS]),
                shown, ShownOf(component.id), *exact)


def _component(config: SiteConfig, component: Component, status: ComponentStatus,
               incidents: tuple[Seeing, ...], total: int, maintenances: tuple[Status, ...],
               shown: tuple[Bars, tuple[MonthRow, ...]], measured: MeasuredShown | None,
               figure: ComponentUptime | None = None) -> dict[str, Any]:
    # A bounded page: the newest incidents here, the rest in the history by month.
    bars_shown, months = shown
    names = {
        "more": max(0, total - COMPONENT_INCIDENTS),
        "component": component,
        "status": status,
        "target": config.target_of(component),
        "incidents": [incident_view(config, i, found) for i, found in incidents],
        "maintenances": [maintenance_view(config, m, found) for m, found in maintenances],
        "uptime": bars_shown,
        "months": months,
        "measured": measured,
    }
    if figure is not None:
        names["figure"] = figure
    return names


def _month(moment: datetime, config: SiteConfig) -> str:
    local = moment.astimezone(config.timezone)  # (strftime would take twice as long)
    return f"{local.year:04d}-{local.month:02d}"


def _months_between(first: str, last: str) -> list[str]:
    year, month = (int(p) for p in first.split("-"))
    end = tuple(int(p) for p in last.split("-"))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


__all__ = ["THRESHOLDS", "outputs"]
