"""What is true at `now`: component statuses, the page indicator, response and resolution."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from .config import SiteConfig
from .i18n import N_
from .model import (
    ComponentStatus,
    Impact,
    Incident,
    Maintenance,
    MaintenanceStatus,
    Site,
)

SENTENCES = {
    Impact.NONE: N_("All Systems Operational"),
    Impact.MINOR: N_("Minor Service Outage"),
    Impact.MAJOR: N_("Partial System Outage"),
    Impact.CRITICAL: N_("Major System Outage"),
}
MAINTENANCE_SENTENCE = N_("Service Under Maintenance")


@dataclass(frozen=True)
class Overview:
    """The state of the whole page at `now`."""

    indicator: Impact
    description: str
    components: dict[str, ComponentStatus]
    ongoing: tuple[Incident, ...]
    """Unresolved incidents, newest first."""
    active: tuple[Maintenance, ...]
    """Maintenance in progress or verifying, soonest end first."""
    upcoming: tuple[Maintenance, ...]
    """Scheduled maintenance that has not started, soonest first."""


def is_ongoing(incident: Incident, now: datetime) -> bool:
    """Return whether the incident has started and is not resolved at `now`."""
    resolved = incident.resolved_at
    return incident.started <= now and (resolved is None or resolved > now)


def overview(config: SiteConfig, site: Site, now: datetime) -> Overview:
    """Return the current status of every component and of the page, as SPEC §3 defines."""
    ongoing = tuple(i for i in site.incidents if is_ongoing(i, now))
    active = tuple(sorted(
        (m for m in site.maintenances
         if m.status_at(now) in (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING)),
        key=lambda m: (m.until, m.slug)))
    upcoming = tuple(sorted(
        (m for m in site.maintenances if m.status_at(now) is MaintenanceStatus.SCHEDULED),
        key=lambda m: (m.scheduled, m.slug)))
    statuses: dict[str, ComponentStatus] = {}
    for component in config.components:
        status = ComponentStatus.OPERATIONAL
        for incident in ongoing:
            found = incident.status_of(component.id, now)
            if found.rank > status.rank:
                status = found
        if status is ComponentStatus.OPERATIONAL and any(
                component.id in m.components for m in active):
            status = ComponentStatus.UNDER_MAINTENANCE
        statuses[component.id] = status
    indicator = max((i.impact for i in ongoing), key=lambda i: i.rank, default=Impact.NONE)
    if indicator is Impact.NONE and active and not ongoing:
        description = MAINTENANCE_SENTENCE
    else:
        description = SENTENCES[indicator]
    return Overview(indicator, description, statuses, ongoing, active, upcoming)


class Verdict(enum.Enum):
    """How a response or resolution time compares with its target."""

    MET = "met"
    MISSED = "missed"
    PENDING = "pending"
    NO_TARGET = "no_target"


@dataclass(frozen=True)
class Measure:
    """A response or resolution time against its target."""

    took: timedelta | None
    """None while it has not happened yet."""
    target: timedelta | None
    verdict: Verdict


@dataclass(frozen=True)
class Performance:
    """Time to first response and to resolution of one incident."""

    response: Measure
    resolution: Measure


def _measure(start: datetime, done: datetime | None, target: timedelta | None,
             now: datetime) -> Measure:
    took = None if done is None else max(done - start, timedelta(0))
    if target is None:
        return Measure(took, None, Verdict.NO_TARGET)
    if took is None:
        late = now - start > target
        return Measure(None, target, Verdict.MISSED if late else Verdict.PENDING)
    return Measure(took, target, Verdict.MET if took <= target else Verdict.MISSED)


def performance(incident: Incident, now: datetime) -> Performance:
    """Return the incident's response (first update) and resolution against its severity."""
    first = min((u.at for u in incident.updates), default=None)
    severity = incident.severity
    return Performance(
        response=_measure(incident.started, first, severity.respond, now),
        resolution=_measure(incident.started, incident.resolved_at, severity.resolve, now),
    )
