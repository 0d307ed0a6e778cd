"""Feeds and calendar: entries for the Atom and RSS templates, and maintenance.ics."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from .config import SiteConfig
from .markup import plain_text
from .model import Incident, Maintenance, Site, Update
from .render import LABELS, Page
from .revisions import Revisions, announced
from .times import written

Gettext = Callable[[str], str]
RECENT = 50
"""Feeds hold the newest entries only, so their size stays bounded as incidents accumulate."""


@dataclass(frozen=True)
class Entry:
    """One feed entry; `content` is sanitised HTML."""

    id: str
    title: str
    link: str
    published: datetime
    updated: datetime
    content: str
    category: str

    @property
    def rfc822(self) -> str:
        """Return `published` for RSS."""
        return format_datetime(self.published.astimezone(UTC), usegmt=True)


def _update_html(update: Update, config: SiteConfig, _: Gettext) -> str:
    when = update.at.astimezone(config.timezone)
    # (Put together directly: Markup.format cost more than the rest of an entry.)
    return (f"<p><strong>{escape(_(LABELS[update.status]))}</strong> — "
            f"{escape(written(when))}</p>{update.html}")


def _incident_entry(incident: Incident, config: SiteConfig, now: datetime, _: Gettext) -> Entry:
    link = f"{config.url}incidents/{incident.slug}/"
    parts = [incident.summary_html] if incident.summary_html else []
    parts += [_update_html(u, config, _) for u in incident.updates if u.at <= now]
    postmortem = incident.published_postmortem(now)
    if postmortem is not None and postmortem.published is not None:
        parts.append(f"<h2>{escape(_('Postmortem'))}</h2>{postmortem.html}")
    return Entry(link, incident.title, link, incident.started, _incident_updated(incident, now),
                 "\n".join(parts), "incident")


def _maintenance_entry(item: Maintenance, config: SiteConfig, now: datetime, _: Gettext,
                       times: tuple[datetime, datetime]) -> Entry:
    link = f"{config.url}maintenance/{item.slug}/"
    window = Markup("<p>{}</p>").format(_("Scheduled %(start)s to %(end)s") % {
        "start": written(item.scheduled.astimezone(config.timezone)),
        "end": written(item.until.astimezone(config.timezone))})
    parts = [str(window)] + ([item.summary_html] if item.summary_html else [])
    parts += [_update_html(u, config, _) for u in item.updates if u.at <= now]
    published, updated = times
    return Entry(link, _("Maintenance: %(title)s") % {"title": item.title}, link, published,
                 updated, "\n".join(parts), "maintenance")


class HistoryChoice:
    """Chooses the entries of the history feeds by their update times alone, so the content
    is built only for the RECENT that make it in (and not at all for a feed left as it was)."""

    def __init__(self, site: Site, now: datetime, revisions: dict[str, Revisions]) -> None:
        self.now = now
        ranked = [(_incident_updated(i, now), i) for i in site.incidents if i.started <= now]
        ranked.sort(key=lambda pair: (pair[0], pair[1].slug), reverse=True)
        # The newest RECENT of each component's, picked in one pass (not a pass per component
        # over the newest incidents of every component).
        self.newest: dict[str | None, list[tuple[datetime, Incident | Maintenance]]] = {
            None: list(ranked[:RECENT])}
        for pair in ranked:
            for component in pair[1].components:
                mine = self.newest.setdefault(component, [])
                if len(mine) < RECENT:
                    mine.append(pair)
        self.maintenances = [(announced(m, revisions.get(m.slug), now), m)
                             for m in site.maintenances]
        # Each entry made once: an incident is in the feeds of each of its components too.
        self._made: dict[str, Entry] = {}

    def choose(self, component: str | None = None,
               ) -> list[tuple[datetime, Incident | Maintenance]]:
        """Return the newest RECENT incidents and maintenance (of `component`, if given) with
        their update times, newest first."""
        incidents = self.newest.get(component, [])
        chosen = incidents + [(times[1], m) for times, m in self.maintenances
                              if component is None or component in m.components]
        chosen.sort(key=lambda pair: (pair[0], _link_id(pair[1])), reverse=True)
        return chosen[:RECENT]

    def entries(self, config: SiteConfig, chosen: list[tuple[datetime, Incident | Maintenance]],
                _: Gettext, revisions: dict[str, Revisions]) -> list[Entry]:
        """Return the feed entries of what `choose` returned."""
        made = []
        for _updated, item in chosen:
            key = _link_id(item)
            if key not in self._made:
                self._made[key] = _incident_entry(item, config, self.now, _) \
                    if isinstance(item, Incident) else _maintenance_entry(
                        item, config, self.now, _,
                        announced(item, revisions.get(item.slug), self.now))
            made.append(self._made[key])
        return made


def _link_id(item: Incident | Maintenance) -> str:
    """Return the part of an entry's id after the site address: entries sort by it on ties."""
    return f"{'incidents' if isinstance(item, Incident) else 'maintenance'}/{item.slug}/"


def _incident_updated(incident: Incident, now: datetime) -> datetime:
    """Return when the incident's feed entry was last updated (see _incident_entry)."""
    updated = max([incident.started] + [u.at for u in incident.updates if u.at <= now])
    postmortem = incident.published_postmortem(now)
    if postmortem is not None and postmortem.published is not None:
        updated = max(updated, postmortem.published)
    return updated


def update_entries(config: SiteConfig, site: Site, now: datetime, _: Gettext) -> list[Entry]:
    """Return one entry per update and per postmortem publication, newest first."""
    entries = []
    # Only the RECENT newest are kept: find the oldest time that can make it, and build
    # entries for those only.
    owners: list[Incident | Maintenance] = [*site.incidents, *site.maintenances]
    times = [u.at for owner in owners for u in owner.updates if u.at <= now]
    times += [pm.published for i in site.incidents
              if (pm := i.published_postmortem(now)) is not None and pm.published is not None]
    cutoff = heapq.nlargest(RECENT, times)[-1] if len(times) > RECENT else None
    for owner, kind, title in ([(i, "incidents", i.title) for i in site.incidents]
                               + [(m, "maintenance", _("Maintenance: %(title)s") % {
                                   "title": m.title}) for m in site.maintenances]):
        link = f"{config.url}{kind}/{owner.slug}/"
        for update in owner.updates:
            if update.at > now or (cutoff is not None and update.at < cutoff):
                continue
            label = _(LABELS[update.status])
            stamp = update.at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            entries.append(Entry(f"{link}#{update.status}-{stamp}", f"{label}: {title}", link,
                                 update.at, update.at, _update_html(update, config, _),
                                 update.status))
        if isinstance(owner, Incident):
            postmortem = owner.published_postmortem(now)
            if postmortem is not None and postmortem.published is not None and (
                    cutoff is None or postmortem.published >= cutoff):
                entries.append(Entry(f"{link}#postmortem",
                                     _("Postmortem: %(title)s") % {"title": title},
                                     f"{link}#postmortem", postmortem.published,
                                     postmortem.published, postmortem.html, "postmortem"))
    entries.sort(key=lambda e: (e.updated, e.id), reverse=True)
    return entries[:RECENT]


def feed_updated(entries: Sequence[Entry], fallback: datetime) -> datetime:
    """Return the feed's own update time: its newest entry's (stable across builds)."""
    return max((e.updated for e in entries), default=fallback)


def calendar(config: SiteConfig, maintenances: Iterable[Maintenance], now: datetime,
             revisions: dict[str, Revisions], _: Gettext) -> bytes:
    """Return maintenance.ics: one VEVENT per maintenance window, times in UTC."""
    from icalendar import Calendar, Event  # only here: most builds keep the last calendar

    host = urlsplit(config.url).hostname or "statuspage"
    cal = Calendar()
    cal.add("prodid", "-//statuspage//maintenance//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("%(title)s: maintenance") % {"title": config.title})
    for item in sorted(maintenances, key=lambda m: (m.scheduled, m.slug)):
        event = Event()
        # DTSTAMP is the last change we know of (an update, or the file's last commit), not
        # the build time, so unchanged events stay byte-identical from one build to the next.
        known = revisions.get(item.slug, Revisions(0))
        changed = announced(item, known, now)[1]
        text = plain_text("\n".join([item.summary_html] + [u.html for u in item.updates]))
        event.add("uid", f"maintenance-{item.slug}@{host}")
        event.add("dtstamp", changed.astimezone(UTC))
        event.add("last-modified", changed.astimezone(UTC))
        event.add("dtstart", item.scheduled.astimezone(UTC))
        event.add("dtend", item.until.astimezone(UTC))
        event.add("sequence", known.moves)
        event.add("status", "CONFIRMED")
        event.add("summary", _("Maintenance: %(title)s") % {"title": item.title})
        event.add("description", text)
        event.add("url", f"{config.url}maintenance/{item.slug}/")
        cal.add_component(event)
    return bytes(cal.to_ical())


def feed_pages(config: SiteConfig, site: Site, now: datetime, _: Gettext,
               revisions: dict[str, Revisions],
               unchanged: Callable[[str, list[tuple[datetime, Incident | Maintenance]]], bool]
               = lambda path, chosen: False) -> Iterable[Page]:
    """Yield the Atom and RSS feeds: history, updates, and history per component.

    `unchanged(path, chosen)` may answer that a history feed made from the same incidents and
    maintenance already exists: it is skipped."""
    def feed(path: str, template: str, title: str, alternate: str,
             entries: list[Entry]) -> Page:
        return Page(path, template, {"config": config, "entries": entries, "feed_title": title,
                                     "self_url": config.url + path, "alternate": alternate,
                                     "updated": feed_updated(entries, now)})

    choice = HistoryChoice(site, now, revisions)
    feeds: list[tuple[str | None, str, str]] = [
        (None, "", _("%(title)s: incident history") % {"title": config.title})]
    feeds += [(c.id, f"components/{c.id}/", f"{config.title}: {c.name}")
              for c in config.components]
    for component, base, title in feeds:
        chosen = choice.choose(component)
        made = [(base + name, template) for name, template in (
            ("history.atom", "feeds/feed.atom"), ("history.rss", "feeds/feed.rss"))
            if not unchanged(base + name, chosen)]
        if made:
            entries = choice.entries(config, chosen, _, revisions)
            for path, template in made:
                yield feed(path, template, title, config.url + base, entries)
        if component is None:
            yield feed("updates.atom", "feeds/feed.atom",
                       _("%(title)s: every update") % {"title": config.title}, config.url,
                       update_entries(config, site, now, _))
