"""The Atlassian Statuspage public API v2, as static files at the same paths and with the same
field names, so existing clients, exporters and widgets read a statuspage site unchanged."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from ..check.markdown import plain_text
from ..compute.status import Overview, is_ongoing
from ..model import (
    ComponentStatus,
    Incident,
    IncidentStatus,
    Maintenance,
    MaintenanceStatus,
    Site,
    Update,
)
from ..read.config import SiteConfig
from ..read.git import Revisions, announced
from .facts import Facts
from .record import NOW, Output, file, json_bytes

RECENT = 50
"""incidents.json and scheduled-maintenances.json hold this many, newest first (as Statuspage)."""
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def stable_id(kind: str, key: str) -> str:
    """Return a 12-character lowercase id derived from a kind and a slug or component id."""
    number = int.from_bytes(hashlib.sha256(f"{kind}:{key}".encode()).digest()[:10], "big")
    chars = []
    for _ in range(12):
        number, digit = divmod(number, 36)
        chars.append(_ALPHABET[digit])
    return "".join(chars)


class StatuspageApi:
    """Builds the v2 documents for one build; times are ISO 8601 in the site's time zone."""

    def __init__(self, config: SiteConfig, site: Site, state: Overview, now: datetime,
                 revisions: dict[str, Revisions]) -> None:
        self.config, self.site, self.state, self.now = config, site, state, now
        self.revisions = revisions
        self.page_id = stable_id("page", config.url)
        starts = [i.started for i in site.incidents] + [m.scheduled for m in site.maintenances]
        self.first_seen = min((t for t in starts if t <= now), default=now)

    @cached_property
    def component_list(self) -> list[dict[str, Any]]:
        """Return every component and group, in page order, as Statuspage lists them."""
        return self._components()

    @cached_property
    def _by_id(self) -> dict[str, dict[str, Any]]:
        return {c["id"]: c for c in self.component_list}

    def time(self, moment: datetime | None) -> str | None:
        return None if moment is None else moment.astimezone(self.config.timezone).isoformat()

    @cached_property
    def page_info(self) -> dict[str, Any]:
        """Return the page object every document starts with."""
        return self.page()

    def page(self) -> dict[str, Any]:
        moments = [u.at for i in self.site.incidents for u in i.updates]
        moments += [i.started for i in self.site.incidents]
        moments += [u.at for m in self.site.maintenances for u in m.updates]
        latest = max((m for m in moments if m <= self.now), default=self.now)
        return {"id": self.page_id, "name": self.config.title, "url": self.config.url.rstrip("/"),
                "time_zone": self.config.timezone.key, "updated_at": self.time(latest)}

    def status(self) -> dict[str, str]:
        return {"indicator": self.state.indicator.value, "description": self.state.description}

    def _changes(self) -> dict[str, datetime]:
        """Return, per component, the last time an incident or maintenance changed it."""
        latest: dict[str, datetime] = {}

        def note(component_id: str, moment: datetime) -> None:
            if moment <= self.now and (component_id not in latest or moment > latest[component_id]):
                latest[component_id] = moment

        for incident in self.site.incidents:
            for component_id, steps in incident.components.items():
                for step in steps:
                    note(component_id, step.at)
                if incident.resolved_at:
                    note(component_id, incident.resolved_at)
        for item in self.site.maintenances:
            for component_id in item.components:
                for moment in item.window(self.now):
                    note(component_id, moment)
        return latest

    def _components(self) -> list[dict[str, Any]]:
        """Return every component and group, in page order, as Statuspage lists them."""
        found: list[dict[str, Any]] = []
        groups: dict[str, dict[str, Any]] = {}
        changes = self._changes()
        position = 0
        for component in self.config.components:
            group_id = None
            if component.group:
                group = groups.get(component.group)
                if group is None:
                    position += 1
                    group = groups[component.group] = self._group(component.group, position)
                    found.append(group)
                group_id = group["id"]
                group["components"].append(stable_id("component", component.id))
            position += 1
            status = self.state.components[component.id]
            since = self.time(datetime.combine(component.since, datetime.min.time(),
                                               self.config.timezone)) if component.since else None
            found.append({
                "id": stable_id("component", component.id), "name": component.name,
                "status": status.value, "created_at": since or self.time(self.first_seen),
                "updated_at": self.time(changes.get(component.id)) or since
                or self.time(self.first_seen),
                "position": position, "description": component.description or None,
                "showcase": True, "start_date": component.since.isoformat()
                if component.since else None, "group_id": group_id, "page_id": self.page_id,
                "group": False, "only_show_if_degraded": False,
            })
        for group in groups.values():
            children = [c for c in found if c.get("group_id") == group["id"]]
            worst = max((ComponentStatus(c["status"]) for c in children), key=lambda s: s.rank)
            group["status"] = worst.value
            group["updated_at"] = max(c["updated_at"] for c in children)
            group["created_at"] = min(c["created_at"] for c in children)
        return found

    def _group(self, name: str, position: int) -> dict[str, Any]:
        return {"id": stable_id("group", name), "name": name, "status": "operational",
                "created_at": None, "updated_at": None, "position": position,
                "description": None, "showcase": False, "start_date": None, "group_id": None,
                "page_id": self.page_id, "group": True, "only_show_if_degraded": False,
                "components": []}

    def _component_ref(self, component_id: str) -> dict[str, Any] | None:
        return self._by_id.get(stable_id("component", component_id))

    def _update(self, owner: str, update: Update, affected: list[dict[str, str]]) -> dict[str, Any]:
        moment = self.time(update.at)
        return {"id": stable_id("update", f"{owner}@{update.at.isoformat()}"),
                "status": update.status, "body": plain_text(update.html),
                "incident_id": stable_id("incident", owner), "created_at": moment,
                "updated_at": moment, "display_at": moment, "affected_components": affected,
                "deliver_notifications": True, "custom_tweet": None, "tweet_id": None}

    def incident(self, incident: Incident) -> dict[str, Any]:
        """Return one incident in Statuspage's shape, updates newest first."""
        updates = []
        ordered = list(reversed(incident.updates))
        for index, update in enumerate(ordered):
            affected = []
            for cid in incident.components:
                component = self.config.component(cid)
                if component is None:
                    continue
                before = (_status_after(incident, cid, ordered[index - 1]) if index
                          else ComponentStatus.OPERATIONAL)
                after = _status_after(incident, cid, update)
                if index == 0 or before is not after:
                    affected.append({"code": stable_id("component", cid), "name": component.name,
                                     "old_status": before.value, "new_status": after.value})
            updates.append(self._update(incident.slug, update, affected))
        monitoring = [u.at for u in incident.updates if u.status == IncidentStatus.MONITORING.value]
        first = min((u.at for u in incident.updates), default=incident.started)
        latest = max((u.at for u in incident.updates), default=incident.started)
        postmortem = incident.published_postmortem(self.now)
        return {
            "id": stable_id("incident", incident.slug), "name": incident.title,
            "status": incident.status.value if is_ongoing(incident, self.now) else "resolved",
            "created_at": self.time(min(first, incident.started)),
            "updated_at": self.time(latest), "monitoring_at": self.time(min(monitoring))
            if monitoring else None, "resolved_at": self.time(incident.resolved_at),
            "impact": incident.impact.value,
            "shortlink": f"{self.config.url}incidents/{incident.slug}/",
            "started_at": self.time(incident.started), "page_id": self.page_id,
            "incident_updates": list(reversed(updates)),
            "components": [c for cid in incident.components
                           if (c := self._component_ref(cid)) is not None],
            # Statuspage's own field: notify tells a newly published postmortem from it.
            "postmortem_published_at": self.time(postmortem.published) if postmortem else None,
        }

    def maintenance(self, item: Maintenance) -> dict[str, Any]:
        """Return one maintenance in Statuspage's shape."""
        status = item.status_at(self.now)
        ordered = sorted(item.updates, key=lambda u: u.at)
        updates = [self._update(item.slug, u, []) for u in ordered]
        created, changed = announced(item, self.revisions.get(item.slug), self.now)
        done = item.ended_at if status is MaintenanceStatus.COMPLETED else None
        return {
            "id": stable_id("incident", item.slug), "name": item.title, "status": status.value,
            "created_at": self.time(created), "updated_at": self.time(changed),
            "monitoring_at": None, "resolved_at": self.time(done), "impact": "maintenance",
            "shortlink": f"{self.config.url}maintenance/{item.slug}/",
            "started_at": self.time(item.scheduled), "page_id": self.page_id,
            "incident_updates": list(reversed(updates)),
            "components": [c for cid in item.components
                           if (c := self._component_ref(cid)) is not None],
            "scheduled_for": self.time(item.scheduled),
            "scheduled_until": self.time(item.until),
        }

    def document(self, name: str) -> dict[str, Any]:
        """Return the document at api/v2/`name` (one of DOCUMENTS)."""
        page = self.page_info
        state = self.state
        if name == "status.json":
            return {"page": page, "status": self.status()}
        if name == "components.json":
            return {"page": page, "components": self.component_list}
        if name == "incidents.json":
            # Select before building: only the newest RECENT are ever written.
            return {"page": page, "incidents": [self.incident(i) for i in [
                i for i in self.site.incidents if i.started <= self.now][:RECENT]]}
        if name == "incidents/unresolved.json":
            return {"page": page, "incidents": [self.incident(i) for i in state.ongoing]}
        if name == "scheduled-maintenances.json":
            return {"page": page, "scheduled_maintenances": [
                self.maintenance(m) for m in self.site.maintenances[:RECENT]]}
        upcoming = [self.maintenance(m) for m in state.upcoming]
        active = [self.maintenance(m) for m in state.active]
        if name == "scheduled-maintenances/upcoming.json":
            return {"page": page, "scheduled_maintenances": upcoming}
        if name == "scheduled-maintenances/active.json":
            return {"page": page, "scheduled_maintenances": active}
        assert name == "summary.json", name
        return {"page": page, "components": self.component_list,
                "incidents": [self.incident(i) for i in state.ongoing],
                "scheduled_maintenances": active + upcoming, "status": self.status()}


DOCUMENTS = ("summary.json", "status.json", "components.json", "incidents.json",
             "incidents/unresolved.json", "scheduled-maintenances.json",
             "scheduled-maintenances/upcoming.json", "scheduled-maintenances/active.json")


def outputs(facts: Facts) -> Iterator[Output]:
    """Yield the eight documents under api/v2/."""
    # The documents compare the time only with instants written in the files, except that a
    # window running late grows with the clock.
    moment = NOW if facts.overview.active else facts.settled
    # The components as listed (each with its last change, from every incident) are the same
    # in all eight: worked out once.
    api = StatuspageApi(facts.config, facts.site, facts.overview, facts.now, facts.revisions)
    found = (api.page_info, api.component_list)
    for name in DOCUMENTS:
        yield file(f"api/v2/{name}", _document, name, facts.config, facts.site, facts.overview,
                   facts.revisions, found, moment)


def _document(name: str, config: SiteConfig, site: Site, state: Overview,
              revisions: dict[str, Revisions],
              found: tuple[dict[str, Any], list[dict[str, Any]]], now: datetime) -> bytes:
    api = StatuspageApi(config, site, state, now, revisions)
    api.page_info, api.component_list = found
    return json_bytes(api.document(name))


def _status_after(incident: Incident, component_id: str, update: Update) -> ComponentStatus:
    """Return the component's status as of an update. Updates in the same minute as the
    resolution (operators write minutes) report the status before it; only the resolved
    update reports the recovery."""
    if update.status == IncidentStatus.RESOLVED.value:
        return ComponentStatus.OPERATIONAL
    moment = update.at
    resolved = incident.resolved_at
    if resolved is not None and moment >= resolved:
        moment = resolved - timedelta(microseconds=1)
    return incident.status_of(component_id, moment)
