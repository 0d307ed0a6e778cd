"""Events: what a customer can see changed between two published states of a site.

Made from the published Statuspage documents only. An update is identified by its id (derived
from its incident and its time), so editing an old update's text is not a new update: like
Statuspage, which does not notify subscribers of an edited update, it gives no event. Comparing
a state with itself gives none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .published import Published

RECENT = 50
"""incidents.json and scheduled-maintenances.json list this many, newest first."""


class Kind(StrEnum):
    """The kinds of event, in the order events of the same moment are told."""

    INCIDENT_CREATED = "incident_created"
    INCIDENT_UPDATE = "incident_update"
    MAINTENANCE_SCHEDULED = "maintenance_scheduled"
    MAINTENANCE_UPDATE = "maintenance_update"
    MAINTENANCE_STARTED = "maintenance_started"
    MAINTENANCE_COMPLETED = "maintenance_completed"
    COMPONENT_UPDATE = "component_update"
    POSTMORTEM_PUBLISHED = "postmortem_published"


_ORDER = {kind: n for n, kind in enumerate(Kind)}
MAINTENANCE_KINDS = (Kind.MAINTENANCE_SCHEDULED, Kind.MAINTENANCE_UPDATE,
                     Kind.MAINTENANCE_STARTED, Kind.MAINTENANCE_COMPLETED)


@dataclass(frozen=True)
class Event:
    """One change a customer can see, with the published objects that describe it."""

    kind: Kind
    at: datetime
    """When it happened (the update's time, the window's edge, the component's change)."""
    page: dict[str, Any]
    status: dict[str, Any]
    """The page's status (indicator and description) in the new state."""
    item: dict[str, Any] | None = None
    """The incident or maintenance as published now (None for a component event)."""
    update: dict[str, Any] | None = None
    """The update this event announces, if any."""
    component: dict[str, Any] | None = None
    old_status: str | None = None
    """A component's status before (component events)."""

    @property
    def component_ids(self) -> frozenset[str]:
        """Return the published ids of the components this event concerns."""
        if self.component is not None:
            return frozenset({self.component["id"]})
        assert self.item is not None
        return frozenset(c["id"] for c in self.item.get("components", []) if "id" in c)

    @property
    def link(self) -> str:
        """Return the page (and the place on it) this event is about."""
        if self.item is None:
            return str(self.page.get("url", "")).rstrip("/") + "/"
        link = str(self.item.get("shortlink", ""))
        if self.kind is Kind.POSTMORTEM_PUBLISHED:
            return f"{link}#postmortem"
        if self.update is not None:
            return f"{link}#{anchor(self.update)}"
        return link

    @property
    def label(self) -> str:
        """Return how the event is named on a delivery line: its kind and what it is about."""
        if self.component is not None:
            return f"{self.kind} {self.component.get('name', '')!r} " \
                   f"{self.old_status}->{self.component.get('status')}"
        assert self.item is not None
        slug = str(self.item.get("shortlink", "")).rstrip("/").rpartition("/")[2]
        if self.kind is Kind.POSTMORTEM_PUBLISHED:
            return f"{self.kind} {slug}#postmortem"
        if self.update is not None:
            return f"{self.kind} {slug}#{anchor(self.update)}"
        return f"{self.kind} {slug}"

    @property
    def thread(self) -> str | None:
        """Return the id of the incident or maintenance whose story this event continues."""
        return None if self.item is None else str(self.item["id"])


def anchor(update: dict[str, Any]) -> str:
    """Return the id of an update on its page: its status and its UTC time, as the feeds use."""
    moment = parse_time(update.get("display_at") or update.get("created_at"))
    return f"{update.get('status')}-{moment.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


def parse_time(value: object) -> datetime:
    """Return a published ISO 8601 time (UTC's epoch if there is none that parses)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.fromtimestamp(0, UTC)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def differences(old: Published, new: Published) -> list[Event]:
    """Return the events that take a reader of `old` to `new`, oldest first."""
    events: list[Event] = []
    page, status = new.page, new.status
    older, skip = _known(old.incidents, new.incidents)
    for incident in new.incidents:
        before = older.get(incident["id"])
        if incident["id"] in skip:
            continue
        updates = _updates(incident)
        if before is None:
            newest = updates[-1] if updates else None
            events.append(Event(Kind.INCIDENT_CREATED, _when(incident, newest), page, status,
                                item=incident, update=newest))
            continue
        known = {u.get("id") for u in before["incident_updates"]}
        events += [Event(Kind.INCIDENT_UPDATE, _when(incident, u), page, status, item=incident,
                         update=u) for u in updates if u.get("id") not in known]
        published = incident.get("postmortem_published_at")
        if published and not before.get("postmortem_published_at"):
            events.append(Event(Kind.POSTMORTEM_PUBLISHED, parse_time(published), page, status,
                                item=incident))
    older, skip = _known(old.maintenances, new.maintenances)
    for item in new.maintenances:
        before = older.get(item["id"])
        if item["id"] in skip:
            continue
        updates = _updates(item)
        if before is None:
            events.append(Event(Kind.MAINTENANCE_SCHEDULED, _when(item, None), page, status,
                                item=item, update=updates[-1] if updates else None))
            continue
        known = {u.get("id") for u in before["incident_updates"]}
        fresh = [u for u in updates if u.get("id") not in known]
        events += [Event(Kind.MAINTENANCE_UPDATE, _when(item, u), page, status, item=item, update=u)
                   for u in fresh]
        now = item.get("status")
        if now != before.get("status") and all(u.get("status") != now for u in fresh):
            # The clock opened or closed the window: no update says so.
            if now == "in_progress" and before.get("status") == "scheduled":
                events.append(Event(Kind.MAINTENANCE_STARTED, parse_time(
                    item.get("scheduled_for")), page, status, item=item))
            elif now == "completed":
                ended = item.get("resolved_at") or item.get("scheduled_until")
                events.append(Event(Kind.MAINTENANCE_COMPLETED, parse_time(ended), page,
                                    status, item=item))
    was = {c["id"]: c for c in old.components if not c.get("group")}
    for component in new.components:
        before = was.get(component["id"])
        if component.get("group") or before is None or before.get("status") == component.get(
                "status"):
            continue
        events.append(Event(Kind.COMPONENT_UPDATE, parse_time(component.get("updated_at")),
                            page, status, component=component, old_status=before.get("status")))
    # Incidents and maintenance first (the story), then the component statuses they moved,
    # then postmortems: each group in the order things happened.
    group = {Kind.COMPONENT_UPDATE: 1, Kind.POSTMORTEM_PUBLISHED: 2}
    events.sort(key=lambda e: (group.get(e.kind, 0), e.at, _ORDER[e.kind]))
    return events


def _known(old: list[dict[str, Any]], new: list[dict[str, Any]]
           ) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Return the old items by id, and the ids of items of `new` missing from `old` only
    because `old`'s list was full and they are older than all it listed (they came into view
    when a newer one went away: not news)."""
    found = {item["id"]: item for item in old}
    skip: set[str] = set()
    if len(old) >= RECENT:
        oldest = min(parse_time(item.get("started_at")) for item in old)
        skip = {item["id"] for item in new if item["id"] not in found
                and parse_time(item.get("started_at")) < oldest}
    return found, skip


def _updates(item: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the item's updates, oldest first."""
    return sorted(item["incident_updates"],
                  key=lambda u: parse_time(u.get("display_at") or u.get("created_at")))


def _when(item: dict[str, Any], update: dict[str, Any] | None) -> datetime:
    if update is not None:
        return parse_time(update.get("display_at") or update.get("created_at"))
    return parse_time(item.get("created_at") or item.get("started_at"))
