"""Rules across files and against the build's `now`; drafts and postmortems sorted out."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..errors import Location, Problem, error, warning
from ..model import Incident, Maintenance, Postmortem, Site
from ..times import written
from .parse import Parsed

FRONT_READ = ("started",)
"""The front matter keys that these rules read of a parsed file: a parsed file is kept (and
cached) with only these."""


def _future(where: Location, what: str, at: datetime, now: datetime) -> Problem:
    # 'now' in the zone the time was written in, so the two read side by side.
    return error(where, f"{what} {written(at)} is in the future "
                        f"(now is {written(now.astimezone(at.tzinfo))})")


def _time_problems(item: Parsed, now: datetime) -> list[Problem]:
    found: list[Problem] = []
    if item.latest is None or item.latest <= now:  # most files: nothing in the future
        return found
    doc = item.document
    if isinstance(item.item, Incident):
        incident = item.item
        # An implied 'started' or step is the time of something written elsewhere in the file,
        # which gets its own message; only what is written here is reported here.
        if incident.started > now and "started" in doc.front.value:
            found.append(_future(doc.at("started"), "started", incident.started, now))
        for cid, steps in incident.components.items():
            found += [_future(Location(doc.shown, step.line), f"components: {cid}: change at",
                              step.at, now) for step in steps if step.line and step.at > now]
    if isinstance(item.item, Incident | Maintenance):
        found += [_future(Location(doc.shown, u.line), "update at", u.at, now)
                  for u in item.item.updates if u.at > now]
    return found


def assemble(
    results: list[tuple[Parsed, list[Problem]]], now: datetime, unreadable: set[str],
) -> tuple[Site, list[Problem]]:
    """Return the published site (no drafts) and every problem across the files.

    Problems in a draft are reported as warnings: a draft may be unfinished, and it is not
    published, but its author still wants to hear about them. `unreadable` holds the slugs
    of files that could not be read, whose postmortems are not orphans.
    """
    problems: list[Problem] = []
    by_slug: dict[str, Parsed] = {}
    postmortems: dict[str, tuple[Parsed, Postmortem]] = {}
    for parsed, found in results:
        found = found + _time_problems(parsed, now)
        if parsed.draft:
            found = [warning(p.location, f"(draft) {p.message}") for p in found]
        problems += found
        if isinstance(parsed.item, Postmortem) or parsed.document.path.endswith(
                ".postmortem.md"):
            other = postmortems.get(parsed.slug)
            if other is not None:
                problems.append(error(Location(parsed.document.shown, 1),
                                      f"second postmortem for '{parsed.slug}' "
                                      f"(the first is {other[0].document.shown})"))
            elif isinstance(parsed.item, Postmortem):
                postmortems[parsed.slug] = (parsed, parsed.item)
            continue
        other_doc = by_slug.get(parsed.slug)
        if other_doc is not None:
            problems.append(error(Location(parsed.document.shown, 1),
                                  f"duplicate slug '{parsed.slug}': "
                                  f"{other_doc.document.shown} has the same file name"))
            continue
        by_slug[parsed.slug] = parsed

    incidents: list[Incident] = []
    maintenances: list[Maintenance] = []
    for slug, (parsed, _postmortem) in sorted(postmortems.items()):
        owner = by_slug.get(slug)
        if owner is None and slug not in unreadable:
            problems.append(error(Location(parsed.document.shown, 1),
                                  f"postmortem without an incident: no incident file "
                                  f"'{slug}.md' next to it"))
        elif owner is not None and owner.item is not None and not isinstance(
                owner.item, Incident):
            problems.append(error(Location(parsed.document.shown, 1),
                                  f"postmortem for '{slug}', which is not an incident"))
    for slug, parsed in sorted(by_slug.items()):
        if parsed.draft or parsed.item is None:
            continue
        if isinstance(parsed.item, Incident):
            incident = parsed.item
            attached = postmortems.get(slug)
            if attached is not None and not attached[0].draft:
                incident = replace(incident, postmortem=attached[1],
                                   source=f"{incident.source}+{attached[1].source}")
            incidents.append(incident)
        elif isinstance(parsed.item, Maintenance):
            maintenances.append(parsed.item)
    incidents.sort(key=lambda i: (i.started, i.slug), reverse=True)
    maintenances.sort(key=lambda m: (m.scheduled, m.slug), reverse=True)
    return Site(tuple(incidents), tuple(maintenances)), problems
