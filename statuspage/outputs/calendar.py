"""The calendar: every maintenance window as an iCalendar event (maintenance.ics)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

from ..check.markdown import plain_text
from ..model import Maintenance
from ..read.config import SiteConfig
from ..read.git import Revisions, announced
from .facts import Facts
from .record import Output, file
from .views import Language

Window = tuple[Maintenance, int, datetime]
"""A maintenance, how often its window moved, and when it last changed."""


def outputs(facts: Facts) -> Iterator[Output]:
    """Yield maintenance.ics."""
    windows = []
    for item in facts.site.maintenances:
        known = facts.revisions.get(item.slug, Revisions(0))
        windows.append((item, known.moves, announced(item, known, facts.now)[1]))
    yield file("maintenance.ics", calendar, facts.config, facts.language, tuple(windows))


def calendar(config: SiteConfig, language: Language, windows: tuple[Window, ...]) -> bytes:
    """Return maintenance.ics: one VEVENT per maintenance window, times in UTC.

    The event's times are the real window: an `in_progress` update before `scheduled` opens
    it, a `completed` update before `until` closes it. SEQUENCE counts every move: those git
    saw (`scheduled` or `until` edited, see read/git.py) and those updates made, so a window
    that closed early counts as moved even outside git."""
    from icalendar import Calendar, Event  # only here: most builds keep the last calendar

    _ = language.gettext
    host = urlsplit(config.url).hostname or "statuspage"
    cal = Calendar()
    cal.add("prodid", "-//statuspage//maintenance//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("%(title)s: maintenance") % {"title": config.title})
    for item, moves, changed in sorted(windows, key=lambda w: (w[0].scheduled, w[0].slug)):
        event = Event()
        # DTSTAMP is the last change we know of (an update, or the file's last commit), not
        # the build time, so unchanged events stay byte-identical from one build to the next.
        text = plain_text("\n".join([item.summary_html] + [u.html for u in item.updates]))
        event.add("uid", f"maintenance-{item.slug}@{host}")
        event.add("dtstamp", changed.astimezone(UTC))
        event.add("last-modified", changed.astimezone(UTC))
        start, end = item.window()
        event.add("dtstart", start.astimezone(UTC))
        event.add("dtend", end.astimezone(UTC))
        event.add("sequence", moves + (start != item.scheduled) + (end != item.until))
        event.add("status", "CONFIRMED")
        event.add("summary", _("Maintenance: %(title)s") % {"title": item.title})
        event.add("description", text)
        event.add("url", f"{config.url}maintenance/{item.slug}/")
        cal.add_component(event)
    return bytes(cal.to_ical())
