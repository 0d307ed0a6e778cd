"""Pages: the Jinja environment (repository templates first, then the built-in theme) and one
context builder per page kind. Each builder returns `Page`s; nothing here touches the disk.
"""

from __future__ import annotations

import gettext
import hashlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from . import __version__, templating
from .bars import THRESHOLDS, day_views, percent, runs
from .config import SiteConfig
from .i18n import N_, Formats, translations
from .model import (
    Component,
    ComponentStatus,
    Incident,
    Maintenance,
    Site,
    incidents_by_component,
)
from .sla import Period
from .status import Overview, is_ongoing, performance
from .uptime import ComponentUptime, Figure

MONTHS_ON_UPTIME_PAGE = 12
COMPONENT_INCIDENTS = 50
"""A component page lists this many of its newest incidents (and maintenances)."""

RECENT_DAYS = 7
"""How many days of history the index lists, one heading a day."""

LABELS = {
    "operational": N_("Operational"),
    "degraded_performance": N_("Degraded performance"),
    "partial_outage": N_("Partial outage"),
    "major_outage": N_("Major outage"),
    "under_maintenance": N_("Under maintenance"),
    "investigating": N_("Investigating"),
    "identified": N_("Identified"),
    "monitoring": N_("Monitoring"),
    "resolved": N_("Resolved"),
    "scheduled": N_("Scheduled"),
    "in_progress": N_("In progress"),
    "verifying": N_("Verifying"),
    "completed": N_("Completed"),
    "met": N_("Met"),
    "missed": N_("Missed"),
    "pending": N_("Pending"),
    "no_target": N_("No target"),
    "none": N_("None"),
    "minor": N_("Minor"),
    "major": N_("Major"),
    "critical": N_("Critical"),
}


def _own_templates(config: SiteConfig) -> Path | None:
    """Return the repository's templates folder, or None where it has none or where it is the
    built-in theme itself (as in this project's own repository)."""
    folder = config.templates_dir
    if not folder.is_dir() or folder.resolve() == theme_dir().resolve():
        return None
    return folder


def theme_dir() -> Path:
    """Return the built-in theme: inside the installed package, or beside it in a checkout."""
    here = Path(__file__).resolve().parent
    installed = here / "templates"
    return installed if installed.is_dir() else here.parent / "templates"


@dataclass(frozen=True)
class Page:
    """One output file to render: its path under the site root, template and context."""

    path: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> str:
        """Return the relative path from this page back to the site root ('' or '../..')."""
        depth = self.path.count("/")
        return "../" * depth


def make_environment(config: SiteConfig, catalog: gettext.NullTranslations | None = None,
                     compiled: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """Return the Jinja environment: the repository's templates override the theme's;
    `compiled` keeps compiled templates from one build to the next."""
    builtin = jinja2.FileSystemLoader(str(theme_dir()))
    loaders: list[jinja2.BaseLoader] = []
    own = _own_templates(config)
    if own is not None:
        loaders.append(jinja2.FileSystemLoader(str(own)))
    loaders += [builtin, jinja2.PrefixLoader({"default": builtin}, delimiter=":")]
    env = templating.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "xml", "svg", "atom", "rss"],
                                            default_for_string=True),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=compiled,
        # A build never sees its templates change: an environment is kept only for the
        # templates it was made for (three checks of their files a page, otherwise).
        auto_reload=False,
    )
    catalog = catalog or translations(config.language)
    env.install(catalog, fixed=not templates_overridden(config))
    env.globals.update(_=_remembered(env.globals["gettext"]))
    formats = Formats(config.language, catalog)
    zone = config.timezone

    def when(value: datetime, with_date: bool = True) -> Markup:
        moment = value.astimezone(zone)
        # (Put together directly: Markup.format costs more than the rest of the filter.)
        return Markup(f'<time datetime="{escape(moment.isoformat())}">'
                      f'{escape(formats.moment(moment, with_date))}</time>')

    months: dict[str, str] = {}

    def month_label(value: str) -> str:
        found = months.get(value)
        if found is None:
            year, month = (int(p) for p in value.split("-"))
            found = months[value] = formats.month(date(year, month, 1))
        return found

    def label(value: object) -> str:
        key = str(getattr(value, "value", value))
        return catalog.gettext(LABELS[key]) if key in LABELS else key

    env.filters.update(
        when=when,
        day=formats.day,
        month=month_label,
        duration=lambda d: formats.duration(d) if isinstance(d, timedelta) else "—",
        percent=lambda value: catalog.gettext("no data") if value is None else percent(value),
        minutes=formats.minutes,
        label=label,
        t=catalog.gettext,
        value=lambda v: getattr(v, "value", v),
    )
    env.globals.update(version=__version__)
    return env


def _remembered(translate: Any) -> Callable[..., Any]:
    """Return `_` for templates: Jinja's own gettext, each text with the same plain values
    translated once.

    Texts without values are constants of the compiled templates already (`templating`); a
    page's texts with values ('%(title)s: incident history') mostly have the same values on
    every page, and going through Jinja's gettext each time (context lookups, escaping,
    %-formatting) cost a third of the time of an incident page."""
    known: dict[tuple[object, ...], str] = {}

    @jinja2.pass_context
    def gettext(context: jinja2.runtime.Context, string: str, /, **variables: Any) -> Any:
        # Texts with plain values (the site's title, its time zone) are the same on every page
        # too. The type is part of the key: a Markup value is not escaped, an equal str is.
        if any(type(v) not in _PLAIN for v in variables.values()):
            return translate(context, string, **variables)
        key = (string, context.eval_ctx.autoescape,
               *((k, type(v), v) for k, v in variables.items()))
        found = known.get(key)
        if found is None:
            found = known[key] = translate(context, string, **variables)
        return found
    return gettext


_PLAIN = (str, int)
"""Types of values whose text Jinja's gettext works out from the value alone."""


def asset_name(name: str, content: bytes) -> str:
    """Return the hashed file name of a static asset, such as 'style.1a2b3c4d.css'."""
    digest = hashlib.sha256(content).hexdigest()[:10]
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"


def static_files(config: SiteConfig) -> dict[str, bytes]:
    """Return the theme's static files by relative path, repository files winning."""
    found: dict[str, bytes] = {}
    for folder in (theme_dir() / "static", config.templates_dir / "static"):
        if folder.is_dir():
            inside = folder.resolve()
            for path in sorted(folder.rglob("*")):
                # A link out of the folder would publish a file from elsewhere on the machine.
                if (path.is_file() and not path.name.startswith(".")
                        and path.resolve().is_relative_to(inside)):
                    found[path.relative_to(folder).as_posix()] = path.read_bytes()
    return found


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


def _groups(config: SiteConfig) -> list[tuple[str | None, list[Component]]]:
    groups: dict[str | None, list[Component]] = {}
    for component in config.components:
        groups.setdefault(component.group, []).append(component)
    return list(groups.items())


def _incident_view(incident: Incident, config: SiteConfig, now: datetime) -> dict[str, Any]:
    affected = []
    for cid, steps in incident.components.items():
        component = config.component(cid)
        if component is not None:
            affected.append({"component": component, "steps": steps,
                             "worst": incident.worst_status(cid)})
    resolved = incident.resolved_at
    return {
        "incident": incident,
        "affected": affected,
        "ongoing": is_ongoing(incident, now),
        "duration": incident.end(now) - incident.started,
        "resolved_at": resolved,
        "performance": performance(incident, now),
        "postmortem": incident.published_postmortem(now),
        "latest": incident.updates[0] if incident.updates else None,
    }


def _maintenance_view(item: Maintenance, config: SiteConfig, now: datetime) -> dict[str, Any]:
    return {
        "maintenance": item,
        "status": item.status_at(now),
        "components": [c for c in config.components if c.id in item.components],
        "latest": item.updates[0] if item.updates else None,
    }


def _day_entries(site: Site, config: SiteConfig, now: datetime) -> list[dict[str, Any]]:
    today = now.astimezone(config.timezone).date()
    days: dict[date, list[dict[str, Any]]] = {
        today - timedelta(days=n): [] for n in range(RECENT_DAYS)}
    for incident in site.incidents:
        day = incident.started.astimezone(config.timezone).date()
        if day in days:
            days[day].append({"kind": "incident", **_incident_view(incident, config, now)})
    for item in site.maintenances:
        day = item.scheduled.astimezone(config.timezone).date()
        if day in days and item.scheduled <= now:
            days[day].append({"kind": "maintenance", **_maintenance_view(item, config, now)})
    return [{"date": day, "entries": entries} for day, entries in days.items()]


def pages(config: SiteConfig, site: Site, state: Overview, now: datetime,
          assets: dict[str, str], theme_color: str, unchanged: Callable[[str, str], bool],
          part: tuple[int, int], grouped: Grouped) -> Iterator[Page]:
    """Yield the pages that follow from the files alone: each incident's and maintenance's,
    the history months, the postmortems and the 404 page (see `figure_pages` for the rest).

    `unchanged(path, inputs)` may answer that a page made from the same inputs (its files'
    fingerprints, and what the time changes on it) already exists: it is skipped. `part`
    (k, n) yields only the k-th of n shares of the pages, for n processes to make them side
    by side; a page's share is decided before any work is done for it. `grouped` is
    `Grouped.of` the site, worked out once for all the shares.
    """
    inputs = grouped.inputs
    # The k-th of n shares takes every n-th page of each kind from the k-th on (incidents and
    # maintenance by slicing: a share walks only its own).
    k, n = part
    turns = itertools.count()

    def takes() -> bool:
        return next(turns) % n == k

    page = _pager(config, state, now, assets, theme_color)
    same = reuse_test(unchanged, inputs.known)
    for incident in site.incidents[k::n]:
        path = f"incidents/{incident.slug}/index.html"
        if same(path, [inputs.incident(incident)]):
            continue
        yield page(path, "incident.html", **_incident_view(incident, config, now))
    for item in site.maintenances[k::n]:
        path = f"maintenance/{item.slug}/index.html"
        if same(path, [inputs.maintenance(item)]):
            continue
        yield page(path, "maintenance.html", **_maintenance_view(item, config, now))
    yield from _history(config, grouped.by_month, now, page, same, inputs, takes)
    if takes():
        published = [i for i in site.incidents if i.published_postmortem(now) is not None]
        # Its list follows from the incidents with a published postmortem and their files.
        if not same("postmortems/index.html", [inputs.incident(i) for i in published]):
            postmortems = [_incident_view(i, config, now) for i in published]
            postmortems.sort(key=lambda v: (v["postmortem"].published, v["incident"].slug),
                             reverse=True)
            yield page("postmortems/index.html", "postmortems.html", postmortems=postmortems)
    if takes():
        yield page("404.html", "404.html")


def figure_pages(config: SiteConfig, site: Site, state: Overview, now: datetime,
                 assets: dict[str, str], figures: list[ComponentUptime], theme_color: str,
                 unchanged: Callable[[str, str], bool], shown: dict[str, str],
                 grouped: Grouped, found: list[Period]) -> Iterator[Page]:
    """Yield the pages that show uptime figures (`figures` hold a year of days): the front
    page, the uptime page and each component's. `found` holds the `periods` of the site, and
    `shown` is `shown_keys` of the figures and them; the rest is as for `pages`."""
    inputs = grouped.inputs
    page = _pager(config, state, now, assets, theme_color)
    by_id = {f.component.id: f for f in figures}
    by_component = grouped.by_component
    yield _front(page, config, site, state, now, figures, by_component)
    same = reuse_test(unchanged, inputs.known)
    # The windows, months and response records as shown (worked out anew at every build,
    # so an edit of an old incident's words leaves the page be).
    day = now.astimezone(config.timezone).date().isoformat()
    if not same("uptime/index.html", [shown["uptime/index.html"], day]):
        yield _uptime(page, config, figures, found)
    for component in config.components:
        figure = by_id[component.id]
        mine = by_component.get(component.id, [])
        path = f"components/{component.id}/index.html"
        # Its uptime figures as shown (a year of days, so they move with the clock), its
        # status, and every incident and maintenance that its list or its bars can show.
        if same(path, [shown[path], str(state.components.get(component.id)),
                       *(inputs.incident(i) for i in mine),
                       *(inputs.maintenance(m) for m in site.maintenances
                         if component.id in m.components)]):
            continue
        yield _component_page(page, component, config, site, state, now, figure, mine,
                              len(mine))


PageMaker = Callable[..., Page]


def _pager(config: SiteConfig, state: Overview, now: datetime, assets: dict[str, str],
           theme_color: str) -> PageMaker:
    """Return the maker of pages with what every page's context has."""
    common = {"config": config, "overview": state, "now": now, "assets": assets,
              "groups": _groups(config), "thresholds": THRESHOLDS, "theme_color": theme_color}

    def page(path: str, template: str, **context: Any) -> Page:
        return Page(path, template, {**common, "page_path": path, **context})
    return page


@dataclass(frozen=True)
class Grouped:
    """The site's incidents as the pages group them, and what can change how each shows:
    worked out once per build, before the pages are shared out among processes (each share
    would otherwise work it all out again)."""

    by_component: dict[str, list[Incident]]
    by_month: dict[str, list[Incident | Maintenance]]
    inputs: Inputs

    @classmethod
    def of(cls, config: SiteConfig, site: Site, inputs: Inputs) -> Grouped:
        by_month: dict[str, list[Incident | Maintenance]] = {}
        for incident in site.incidents:
            inputs.incident(incident)
            by_month.setdefault(_month(incident.started, config), []).append(incident)
        for item in site.maintenances:
            inputs.maintenance(item)
            by_month.setdefault(_month(item.scheduled, config), []).append(item)
        return cls(incidents_by_component(site), by_month, inputs)


def _front(page: PageMaker, config: SiteConfig, site: Site, state: Overview, now: datetime,
           figures: list[ComponentUptime], by_component: dict[str, list[Incident]]) -> Page:
    return page("index.html", "index.html", **_index(config, site, state, now),
                uptime={f.component.id: _bars(config, site, f, now, config.uptime_days,
                                              by_component.get(f.component.id, []))
                        for f in figures})


def _uptime(page: PageMaker, config: SiteConfig, figures: list[ComponentUptime],
            found: list[Period]) -> Page:
    weights = {status.value: 100 * weight for status, weight in config.weights.items()}
    return page("uptime/index.html", "uptime.html", figures=figures, weights=weights,
                months=MONTHS_ON_UPTIME_PAGE, periods=found)


def _component_page(page: PageMaker, component: Component, config: SiteConfig, site: Site,
                    state: Overview, now: datetime, figure: ComponentUptime,
                    mine: list[Incident], total: int) -> Page:
    return page(f"components/{component.id}/index.html", "component.html",
                **_component(component, config, site, state, now, mine, total),
                uptime=_bars(config, site, figure, now, len(figure.days), mine), figure=figure)


def shown_incidents(mine: list[Incident], now: datetime, days: int) -> list[Incident]:
    """Return what a component page can show of the component's incidents (newest first)
    until the next midnight: the newest of them, and those in its bars' `days`."""
    since = now - timedelta(days=days + 2)
    return mine[:COMPONENT_INCIDENTS] + [i for i in mine[COMPONENT_INCIDENTS:]
                                         if i.end(now) >= since]


def clock_pages(config: SiteConfig, site: Site, state: Overview, now: datetime,
                assets: dict[str, str], figures: list[ComponentUptime], theme_color: str,
                mine: dict[str, tuple[list[Incident], int]], found: list[Period],
                wanted: set[str]) -> Iterator[Page]:
    """Yield what a quiet rebuild makes of the pages: the front page, and of the component
    pages and the uptime page those in `wanted`; `site` holds what the front page shows,
    `mine` what each component page shows (`shown_incidents`, and how many it has)."""
    page = _pager(config, state, now, assets, theme_color)
    yield _front(page, config, site, state, now, figures, incidents_by_component(site))
    if "uptime/index.html" in wanted:
        yield _uptime(page, config, figures, found)
    for figure in figures:
        component = figure.component
        if f"components/{component.id}/index.html" in wanted:
            shown, total = mine.get(component.id, ([], 0))
            yield _component_page(page, component, config, site, state, now, figure, shown,
                                  total)


def shown_keys(config: SiteConfig, figures: list[ComponentUptime],
               found: list[Period]) -> dict[str, str]:
    """Return what the clock can change of each component page and of the uptime page, by
    path: their figures as the built-in theme shows them, and the uptime page's response
    records (`found`, the `periods`: each one's name and records, not its bounds, which move
    with the clock); or exactly, with templates of the repository's own (which may show
    anything)."""
    exact = templates_overridden(config)
    keys = {f"components/{f.component.id}/index.html": repr(f) if exact else _shown_figures(f)
            for f in figures}
    keys["uptime/index.html"] = repr((figures, found)) if exact else ";".join(
        [*map(_shown_uptime, figures), repr([(p.label, p.records) for p in found])])
    return keys


def templates_overridden(config: SiteConfig) -> bool:
    """Return True if the repository has templates of its own (not only static files)."""
    folder = _own_templates(config)
    return folder is not None and any(
        path.is_file() and path.relative_to(folder).parts[0] != "static"
        for path in folder.rglob("*"))


def _shown_figures(figure: ComponentUptime) -> str:
    """Return a component's figures as the built-in theme's component page shows them.

    Every figure that includes today moves with the clock (its counted time grows), but what
    the page shows of it (a percentage cut to two decimals, whether it is below target, the
    minutes of downtime, the budget left to a tenth of a minute, today's colour) seldom does;
    past days and months stand still unless what they follow from changes (`figure.past`).
    Keyed on this, a rebuild seconds or minutes later links the page instead of making it
    again. A repository with templates of its own may show anything, so its pages are keyed
    on the exact figures."""
    target = figure.target
    shown = partial(_shown, target=target)
    today = figure.days[-1].figure
    # A day shows no budget; without downtime its percentage is 100 or 'no data'.
    day = (today.counted > 0,) if today.downtime == 0 else shown(today)
    month = list(figure.months.items())[-1:]
    return repr((figure.component, target, figure.past, day,
                 [(name, shown(found)) for name, found in figure.windows.items()],
                 [(name, shown(found)) for name, found in month]))


def _shown(found: Figure, target: float, allowed: bool = False) -> tuple[object, ...]:
    """Return what the built-in theme shows of a window or month: downtime, percentage cut to
    two decimals, whether it is below target, the budget left (and allowed) to 0.1 minute."""
    uptime, budget = found.uptime, found.budget(target)
    return (found.downtime, found.counted > 0, percent(uptime),
            uptime is not None and uptime < target, round(budget.left, 1), budget.left < 0,
            round(budget.allowed, 1) if allowed else None)


def _shown_uptime(figure: ComponentUptime) -> str:
    """Return a component's figures as the built-in uptime page shows them (see
    `_shown_figures`): three windows and the last months."""
    windows = [(name, _shown(figure.windows[name], figure.target, allowed=True))
               for name in ("7d", "30d", "90d")]
    months = [(month, _shown(found, figure.target, allowed=True))
              for month, found in sorted(figure.months.items())[-MONTHS_ON_UPTIME_PAGE:]]
    return repr((figure.component, figure.target, windows, months))


def extra_pages(config: SiteConfig, html_paths: list[str]) -> Iterator[Page]:
    """Yield sitemap.xml and robots.txt, which list the pages already made."""
    listed = sorted(p for p in html_paths if p.endswith(".html") and p != "404.html")
    urls = [config.url + (p[: -len("index.html")] if p.endswith("index.html") else p)
            for p in listed]
    yield Page("sitemap.xml", "sitemap.xml", {"config": config, "urls": urls})
    yield Page("robots.txt", "robots.txt", {"config": config})


def _bars(config: SiteConfig, site: Site, figure: ComponentUptime, now: datetime,
          count: int, mine: list[Incident] | None = None) -> dict[str, Any]:
    views = day_views(config, site, figure.component, figure.days[-count:], now, mine)
    return {"days": views, "runs": runs(views), "count": count,
            "window": figure.windows.get(f"{count}d")}


def _index(config: SiteConfig, site: Site, state: Overview, now: datetime) -> dict[str, Any]:
    return {
        "ongoing": [_incident_view(i, config, now) for i in state.ongoing],
        "active": [_maintenance_view(m, config, now) for m in state.active],
        "upcoming": [_maintenance_view(m, config, now) for m in state.upcoming],
        "recent": _day_entries(site, config, now),
    }


def _component(component: Component, config: SiteConfig, site: Site, state: Overview,
               now: datetime, mine: list[Incident], total: int) -> dict[str, Any]:
    # A bounded page: the newest incidents here, the rest in the history by month.
    incidents = [_incident_view(i, config, now) for i in mine[:COMPONENT_INCIDENTS]]
    maintenances = [_maintenance_view(m, config, now) for m in site.maintenances
                    if component.id in m.components][:COMPONENT_INCIDENTS]
    return {
        "more": max(0, total - COMPONENT_INCIDENTS),
        "component": component,
        "status": state.components.get(component.id, ComponentStatus.OPERATIONAL),
        "target": config.target_of(component),
        "incidents": incidents,
        "maintenances": maintenances,
    }


def _history(config: SiteConfig, by_month: dict[str, list[Incident | Maintenance]],
             now: datetime, page: Any, same: Callable[[str, list[str | None]], bool],
             inputs: Inputs, takes: Callable[[], bool]) -> Iterator[Page]:
    current = _month(now, config)
    first = min([current, *by_month])
    last = max([current, *by_month])
    months = list(reversed(_months_between(first, last)))
    summary = [{"month": m, "incidents": sum(isinstance(e, Incident) for e in by_month.get(m, [])),
                "maintenances": sum(isinstance(e, Maintenance) for e in by_month.get(m, []))}
               for m in months]
    if takes():
        yield page("history/index.html", "history.html", months=summary)
    for index, month in enumerate(months):
        path = f"history/{month}/index.html"
        newer = months[index - 1] if index > 0 else None
        older = months[index + 1] if index + 1 < len(months) else None
        items = by_month.get(month, [])
        if not takes() or same(path, [month, str(newer), str(older), *(
                inputs.incident(i) if isinstance(i, Incident) else inputs.maintenance(i)
                for i in items)]):
            continue
        entries = sorted((_entry(item, config, now) for item in items),
                         key=lambda e: (e["at"], e["kind"]), reverse=True)
        yield page(path, "history_month.html", month=month, entries=entries, newer=newer,
                   older=older)


def _entry(item: Incident | Maintenance, config: SiteConfig, now: datetime) -> dict[str, Any]:
    if isinstance(item, Incident):
        return {"kind": "incident", "at": item.started, **_incident_view(item, config, now)}
    return {"kind": "maintenance", "at": item.scheduled, **_maintenance_view(item, config, now)}


def reuse_test(unchanged: Callable[[str, str], bool], known: dict[str, str],
               ) -> Callable[[str, list[str | None]], bool]:
    """Return a test of whether a page exists already, made from the same inputs: its files'
    fingerprints in `known` and what the clock changes on it. An input of None changes with
    the clock, so the page is always made anew; so is every page when nothing is known."""
    def same(path: str, found: list[str | None]) -> bool:
        return bool(known) and None not in found and unchanged(path, "|".join(
            i for i in found if i is not None))
    return same


class Inputs:
    """What can change how each incident and maintenance shows on a page or in a feed, worked
    out once per build (a page for every incident, its month and its components all ask)."""

    def __init__(self, now: datetime, known: dict[str, str]) -> None:
        self.now, self.known = now, known
        self._incidents: dict[str, str | None] = {}
        self._maintenances: dict[str, str] = {}

    def incident(self, incident: Incident) -> str | None:
        """Return its files, how many of its updates are due and whether its postmortem is
        out; None while it is ongoing, as its views change with the clock then ('so far',
        pending targets)."""
        slug = incident.slug
        if slug not in self._incidents:
            now, known = self.now, self.known
            if is_ongoing(incident, now):
                self._incidents[slug] = None
                return None
            resolved = incident.resolved_at
            # (Resolved, as most are: every update is due, as none may follow the resolution.)
            due = len(incident.updates) if resolved is not None and resolved <= now \
                else sum(u.at <= now for u in incident.updates)
            self._incidents[slug] = (
                f"{known.get(slug + '.md')}|{known.get(slug + '.postmortem.md')}|{due}"
                f"|{incident.published_postmortem(now) is not None}")
        return self._incidents[slug]

    def maintenance(self, item: Maintenance) -> str:
        """Return its file, and where the clock is in it."""
        if item.slug not in self._maintenances:
            now = self.now
            self._maintenances[item.slug] = (
                f"{self.known.get(item.slug + '.md')}|{item.status_at(now)}"
                f"|{item.window(now)}|{sum(u.at <= now for u in item.updates)}")
        return self._maintenances[item.slug]


def render_page(env: jinja2.Environment, page: Page) -> str:
    """Return the page rendered with its template."""
    # The 404 page is served at any depth, so only links from the site's own path work there.
    root = page.context["config"].base_path if page.path == "404.html" else page.root
    return env.get_template(page.template).render(page.context, root=root)
