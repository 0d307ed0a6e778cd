"""The domain: components, incidents, maintenance and postmortems, parsed and frozen."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property


class ComponentStatus(enum.Enum):
    """A component's status, with Statuspage's vocabulary."""

    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"

    @property
    def rank(self) -> int:
        """Return how bad the status is, for picking the worst of several."""
        return _COMPONENT_RANK[self]


_COMPONENT_RANK = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}

INCIDENT_COMPONENT_STATUSES = tuple(
    s for s in ComponentStatus if s is not ComponentStatus.UNDER_MAINTENANCE
)


class IncidentStatus(enum.Enum):
    """The status an incident update announces."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class MaintenanceStatus(enum.Enum):
    """The status of a maintenance window."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"


class Impact(enum.Enum):
    """An incident's impact, which sets the page indicator (Statuspage's vocabulary)."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Return the order none < minor < major < critical."""
        return list(Impact).index(self)


@dataclass(frozen=True)
class Component:
    """One thing customers use, as listed in `statuspage.yaml`."""

    id: str
    name: str
    group: str | None = None
    description: str = ""
    since: date | None = None
    """No uptime is claimed before this date."""
    target: float | None = None
    """SLA target in percent for this component; None means the site's target."""


@dataclass(frozen=True)
class SeverityLevel:
    """A severity such as P1 with its promised response and resolution times."""

    key: str
    name: str
    impact: Impact
    respond: timedelta | None = None
    resolve: timedelta | None = None


@dataclass(frozen=True)
class Update:
    """One timestamped update of an incident or maintenance."""

    status: str
    """An IncidentStatus or MaintenanceStatus value."""
    at: datetime
    html: str
    line: int

    @property
    def anchor(self) -> str:
        """Return the id of the update on its page, which feeds link to:
        '<status>-<UTC time>', such as 'identified-20261124T033000Z'."""
        return f"{self.status}-{self.at.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


@dataclass(frozen=True)
class StatusStep:
    """From `at` on, a component has `status` (until the next step or the incident's end)."""

    at: datetime
    status: ComponentStatus
    line: int = 0
    """Where the step is written; 0 for the implicit step of a single status at `started`."""


@dataclass(frozen=True, repr=False)
class Postmortem:
    """A postmortem for a resolved incident; shown only once published."""

    path: str
    published: datetime | None
    authors: tuple[str, ...]
    html: str
    source: str = ""
    """A digest of the file it was read from: equal sources, equal postmortems."""

    def __repr__(self) -> str:
        return f"Postmortem({self.path!r}, source={self.source!r})"


@dataclass(frozen=True, repr=False)
class Incident:
    """An incident: what was affected, how badly, and its updates (newest first).

    Its repr is the digest of its files (`source`), which is what a build's keys read: equal
    sources, equal incidents (with the same settings)."""

    slug: str
    path: str
    title: str
    severity: SeverityLevel
    started: datetime
    components: dict[str, tuple[StatusStep, ...]]
    summary_html: str
    updates: tuple[Update, ...]
    postmortem: Postmortem | None = None
    source: str = ""
    """A digest of the file it was read from, and of its postmortem's."""

    def __repr__(self) -> str:
        return f"Incident({self.slug!r}, source={self.source!r})"

    @cached_property
    def resolved_at(self) -> datetime | None:
        """Return when the incident was resolved, or None while it is ongoing."""
        for update in self.updates:
            if update.status == IncidentStatus.RESOLVED.value:
                return update.at
        return None

    @property
    def status(self) -> IncidentStatus:
        """Return the status of the latest update (investigating if there is none)."""
        if not self.updates:
            return IncidentStatus.INVESTIGATING
        return IncidentStatus(self.updates[0].status)

    @property
    def impact(self) -> Impact:
        """Return the impact its severity carries."""
        return self.severity.impact

    def end(self, now: datetime) -> datetime:
        """Return when the impact ends: the resolution, or `now` while ongoing."""
        return self.resolved_at or now

    def status_of(self, component: str, at: datetime) -> ComponentStatus:
        """Return the status `component` has at instant `at` because of this incident."""
        steps = self.components.get(component, ())
        if at < self.started or (self.resolved_at is not None and at >= self.resolved_at):
            return ComponentStatus.OPERATIONAL
        current = ComponentStatus.OPERATIONAL
        for step in steps:
            if step.at <= at:
                current = step.status
        return current

    def worst_status(self, component: str) -> ComponentStatus:
        """Return the worst status `component` had at any time in this incident."""
        steps = self.components.get(component, ())
        return max((s.status for s in steps), key=lambda s: s.rank,
                   default=ComponentStatus.OPERATIONAL)

    def published_postmortem(self, now: datetime) -> Postmortem | None:
        """Return the postmortem if it is published by `now` and the incident is resolved."""
        pm = self.postmortem
        if pm is None or pm.published is None or self.resolved_at is None:
            return None
        return pm if pm.published <= now else None


@dataclass(frozen=True, repr=False)
class Maintenance:
    """A planned maintenance window; never counted as downtime. Its repr is the digest of its
    file, as an incident's."""

    slug: str
    path: str
    title: str
    components: tuple[str, ...]
    scheduled: datetime
    until: datetime
    summary_html: str
    updates: tuple[Update, ...]
    source: str = ""
    """A digest of the file it was read from."""

    def __repr__(self) -> str:
        return f"Maintenance({self.slug!r}, source={self.source!r})"

    def status_at(self, now: datetime) -> MaintenanceStatus:
        """Return the status at `now`: the latest update's, else what the clock says."""
        latest = next((u for u in self.updates if u.at <= now), None)
        if latest is not None:
            status = MaintenanceStatus(latest.status)
            # A 'scheduled' notice says nothing once the window opens; the clock takes over.
            if status is MaintenanceStatus.SCHEDULED:
                return self._by_clock(now)
            return status
        return self._by_clock(now)

    def _by_clock(self, now: datetime) -> MaintenanceStatus:
        if now < self.scheduled:
            return MaintenanceStatus.SCHEDULED
        if now < self.until:
            return MaintenanceStatus.IN_PROGRESS
        return MaintenanceStatus.COMPLETED

    @property
    def started_at(self) -> datetime:
        """Return when the window began: the first in-progress update, else `scheduled`."""
        starts = [u.at for u in self.updates if u.status == MaintenanceStatus.IN_PROGRESS.value]
        return min(starts) if starts else self.scheduled

    @property
    def ended_at(self) -> datetime:
        """Return when the window ended: an early `completed` update, else `until`."""
        done = [u.at for u in self.updates if u.status == MaintenanceStatus.COMPLETED.value]
        return min([*done, self.until]) if done else self.until

    def window(self, now: datetime | None = None) -> tuple[datetime, datetime]:
        """Return the real window: from its start to its (possibly early) completion; at `now`,
        a maintenance still in progress past `until` (an overrun) runs up to `now`."""
        start = min(self.started_at, self.scheduled)
        end = self.ended_at
        if now is not None and now > end and self.status_at(now) in (
                MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING):
            end = now
        return start, max(start, end)


@dataclass(frozen=True)
class Site:
    """Everything a build shows: published incidents and maintenance, newest first."""

    incidents: tuple[Incident, ...]
    maintenances: tuple[Maintenance, ...]


def incidents_by_component(site: Site) -> dict[str, list[Incident]]:
    """Return each component's incidents, newest first."""
    found: dict[str, list[Incident]] = {}
    for incident in site.incidents:
        for component_id in incident.components:
            found.setdefault(component_id, []).append(incident)
    return found
