"""Feeds: the history of incidents and maintenance as Atom and RSS, for the whole site and for
each component, and every update as its own Atom entry."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from markupsafe import Markup, escape

from ..compute.status import Seen
from ..model import Incident, Maintenance, Postmortem, Update
from ..read.config import SiteConfig
from ..read.git import announced
from ..times import written
from .facts import Facts
from .record import NOW, Output, page
from .templating import LABELS
from .views import Language

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


Chosen = tuple[datetime, Incident | Maintenance, Seen | tuple[datetime, datetime]]
"""An item of a history feed: when it happened (an incident's start, a maintenance window's),
the item, and how an incident reads now or when a maintenance was announced and last
changed. History feeds list items newest first by when they happened, as the history page
does: times written in the files, not commit times (a history written after the fact is
committed long after it happened)."""
Event = tuple[Incident | Maintenance, Update | Postmortem]
"""An entry of the updates feed: an update, or a postmortem's publication."""


def outputs(facts: Facts) -> Iterator[Output]:
    """Yield the history feeds (the site's and each component's) and the updates feed."""
    config, language = facts.config, facts.language
    _ = language.gettext
    newest = _newest(facts)
    maintenances: list[Chosen] = []
    for item in facts.site.maintenances:
        times = announced(item, facts.revisions.get(item.slug), facts.now)
        maintenances.append((item.window()[0], item, times))
    feeds: list[tuple[str | None, str, str]] = [
        (None, "", _("%(title)s: incident history") % {"title": config.title})]
    feeds += [(c.id, f"components/{c.id}/", f"{config.title}: {c.name}")
              for c in config.components]
    for component, base, title in feeds:
        chosen = _choose(newest, maintenances, component)
        # An empty feed's time is the build's.
        clock = () if chosen else (NOW,)
        for name, template in (("history.atom", "feeds/feed.atom"),
                               ("history.rss", "feeds/feed.rss")):
            yield page(base + name, template, _history_feed, config, language, title,
                       base + name, config.url + base, chosen, *clock)
    events = _events(facts)
    yield page("updates.atom", "feeds/feed.atom", _updates_feed, config, language, events,
               *(() if events else (NOW,)))


def _newest(facts: Facts) -> dict[str | None, list[Chosen]]:
    """Return the newest RECENT incidents of the site (under None) and of each component,
    with their start times, newest first."""
    ranked: list[Chosen] = [(i.started, i, facts.seen[i.slug]) for i in facts.site.incidents]
    ranked.sort(key=lambda chosen: (chosen[0], chosen[1].slug), reverse=True)
    newest: dict[str | None, list[Chosen]] = {None: ranked[:RECENT]}
    for chosen in ranked:
        for component in chosen[1].components:
            mine = newest.setdefault(component, [])
            if len(mine) < RECENT:
                mine.append(chosen)
    return newest


def _choose(newest: dict[str | None, list[Chosen]], maintenances: list[Chosen],
            component: str | None) -> tuple[Chosen, ...]:
    """Return the newest RECENT incidents and maintenance (of `component`, if given)."""
    chosen = list(newest.get(component, []))
    chosen += [found for found in maintenances
               if component is None or component in found[1].components]
    chosen.sort(key=lambda found: (found[0], _link_id(found[1])), reverse=True)
    return tuple(chosen[:RECENT])


def _history_feed(config: SiteConfig, language: Language, title: str, path: str,
                  alternate: str, chosen: tuple[Chosen, ...],
                  now: datetime | None = None) -> dict[str, Any]:
    entries = []
    for _updated, item, state in chosen:
        if isinstance(item, Incident) and isinstance(state, Seen):
            entries.append(_incident_entry(item, config, state, language))
        elif isinstance(item, Maintenance) and isinstance(state, tuple):
            entries.append(_maintenance_entry(item, config, language, state))
    return _feed(config, title, path, alternate, entries, now)


def _feed(config: SiteConfig, title: str, path: str, alternate: str, entries: list[Entry],
          now: datetime | None) -> dict[str, Any]:
    # Its own time is its newest entry's, stable from build to build; an empty feed's is now.
    updated = max((e.updated for e in entries), default=now)
    return {"config": config, "entries": entries, "feed_title": title,
            "self_url": config.url + path, "alternate": alternate, "updated": updated}


def _update_html(update: Update, config: SiteConfig, language: Language) -> str:
    when = update.at.astimezone(config.timezone)
    # (Put together directly: Markup.format cost more than the rest of an entry.)
    return (f"<p><strong>{escape(language.gettext(LABELS[update.status]))}</strong> — "
            f"{escape(written(when))}</p>{update.html}")


def _incident_entry(incident: Incident, config: SiteConfig, state: Seen,
                    language: Language) -> Entry:
    link = f"{config.url}incidents/{incident.slug}/"
    parts = [incident.summary_html] if incident.summary_html else []
    parts += [_update_html(u, config, language) for u in incident.updates]
    if state.postmortem is not None:
        parts.append(f"<h2>{escape(language.gettext('Postmortem'))}</h2>{state.postmortem.html}")
    return Entry(link, incident.title, link, incident.started,
                 _incident_updated(incident, state), "\n".join(parts), "incident")


def _maintenance_entry(item: Maintenance, config: SiteConfig, language: Language,
                       times: tuple[datetime, datetime]) -> Entry:
    _ = language.gettext
    link = f"{config.url}maintenance/{item.slug}/"
    window = Markup("<p>{}</p>").format(_("Scheduled %(start)s to %(end)s") % {
        "start": written(item.scheduled.astimezone(config.timezone)),
        "end": written(item.until.astimezone(config.timezone))})
    parts = [str(window)] + ([item.summary_html] if item.summary_html else [])
    parts += [_update_html(u, config, language) for u in item.updates]
    published, updated = times
    return Entry(link, _("Maintenance: %(title)s") % {"title": item.title}, link, published,
                 updated, "\n".join(parts), "maintenance")


def _link_id(item: Incident | Maintenance) -> str:
    """Return the part of an entry's id after the site address: entries sort by it on ties."""
    return f"{'incidents' if isinstance(item, Incident) else 'maintenance'}/{item.slug}/"


def _incident_updated(incident: Incident, state: Seen) -> datetime:
    """Return when the incident's feed entry was last updated (see _incident_entry)."""
    updated = max([incident.started] + [u.at for u in incident.updates])
    postmortem = state.postmortem
    if postmortem is not None and postmortem.published is not None:
        updated = max(updated, postmortem.published)
    return updated


def _events(facts: Facts) -> tuple[Event, ...]:
    """Return the newest RECENT updates and postmortem publications, newest first."""
    found: list[tuple[datetime, Event]] = []
    owners: list[Incident | Maintenance] = [*facts.site.incidents, *facts.site.maintenances]
    for owner in owners:
        found += [(u.at, (owner, u)) for u in owner.updates]
        postmortem = facts.seen[owner.slug].postmortem if isinstance(owner, Incident) else None
        if postmortem is not None:
            found.append((_published(postmortem), (owner, postmortem)))
    if len(found) > RECENT:  # (ids only for those that can make it)
        cutoff = heapq.nlargest(RECENT, (at for at, _event in found))[-1]
        found = [pair for pair in found if pair[0] >= cutoff]
    # Newest first; equal times and ids keep the order of the files.
    ordered = sorted(((at, _event_id(*event), -n, event) for n, (at, event) in enumerate(found)),
                     key=lambda entry: entry[:3], reverse=True)
    return tuple(event for *_order, event in ordered[:RECENT])


def _event_id(owner: Incident | Maintenance, what: Update | Postmortem) -> str:
    """Return the id of an update's or postmortem's entry after the site address."""
    if isinstance(what, Postmortem):
        return f"{_link_id(owner)}#postmortem"
    return f"{_link_id(owner)}#{what.anchor}"


def _published(postmortem: Postmortem) -> datetime:
    assert postmortem.published is not None
    return postmortem.published


def _updates_feed(config: SiteConfig, language: Language, events: Sequence[Event],
                  now: datetime | None = None) -> dict[str, Any]:
    _ = language.gettext
    entries = []
    for owner, what in events:
        title = owner.title if isinstance(owner, Incident) else \
            _("Maintenance: %(title)s") % {"title": owner.title}
        link = f"{config.url}{_link_id(owner)}"
        entry_id = f"{config.url}{_event_id(owner, what)}"
        if isinstance(what, Postmortem):
            entries.append(Entry(entry_id, _("Postmortem: %(title)s") % {"title": title},
                                 f"{link}#postmortem", _published(what), _published(what),
                                 what.html, "postmortem"))
        else:
            label, colon = _(LABELS[what.status]), _(": ")
            entries.append(Entry(entry_id, f"{label}{colon}{title}", f"{link}#{what.anchor}",
                                 what.at, what.at,
                                 _update_html(what, config, language), what.status))
    return _feed(config, _("%(title)s: every update") % {"title": config.title}, "updates.atom",
                 config.url, entries, now)
