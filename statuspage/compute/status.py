"""What is true at `now`: component statuses, the page indicator, response and resolution."""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from ..i18n import N_
from ..model import (
    ComponentStatus,
    Impact,
    Incident,
    Maintenance,
    MaintenanceStatus,
    Postmortem,
    Site,
)
from ..read.config import SiteConfig

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

    @property
    def headline(self) -> Headline:
        """Return what every page says of the whole status."""
        return Headline(self.indicator, self.description, bool(self.ongoing),
                        bool(self.active) and not self.ongoing)


@dataclass(frozen=True)
class Headline:
    """What every page says of the whole status: the indicator and its sentence, whether an
    incident is ongoing (pages then refresh themselves), and whether maintenance alone is
    under way."""

    indicator: Impact
    description: str
    ongoing: bool
    maintenance: bool


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


T = TypeVar("T")


def _repr_once(cls: type[T]) -> type[T]:
    """Make the repr of each object of an immutable class worked out once."""
    generated = cls.__repr__

    def remembered(self: T) -> str:
        found: str | None = self.__dict__.get("_repr")
        if found is None:
            found = generated(self)
            object.__setattr__(self, "_repr", found)
        return found

    cls.__repr__ = remembered  # type: ignore[assignment,method-assign]
    return cls


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


@_repr_once
@dataclass(frozen=True)
class Seen:
    """How an incident reads at a moment: all that its views take from the time. Once it is
    resolved this is the same at every later moment but for the postmortem's publication.

    Its repr is worked out once: a build's keys read it for every page that lists it."""

    ongoing: bool
    duration: timedelta
    """From its start to its resolution, or so far."""
    performance: Performance
    postmortem: Postmortem | None
    """The postmortem if it is published by then."""


def seen(incident: Incident, now: datetime) -> Seen:
    """Return how `incident` reads at `now`."""
    return Seen(is_ongoing(incident, now), incident.end(now) - incident.started,
                performance(incident, now), incident.published_postmortem(now))


def written_instants(site: Site, more: Iterable[datetime] = ()) -> list[float]:
    """Return, sorted, the instants written in the files that can lie ahead of a build (a
    postmortem's publication, a maintenance window's start and end; any other time in the
    future fails the build) and `more`, as POSIX seconds. Between two of them, and midnight,
    nothing in the model changes but what grows with the clock."""
    found: set[float] = {moment.timestamp() for moment in more}
    for incident in site.incidents:
        if incident.postmortem is not None and incident.postmortem.published is not None:
            found.add(incident.postmortem.published.timestamp())
    for item in site.maintenances:
        found.update((item.scheduled.timestamp(), item.until.timestamp()))
    return sorted(found)


def settled_until(site: Site, state: Overview, now: datetime, instants: list[float],
                  zone: ZoneInfo) -> datetime | None:
    """Return the first moment after `now` at which anything but figures that grow with the
    clock can change: the next written instant or midnight. None while an incident is ongoing
    or maintenance under way (their durations and windows grow with the clock), or before
    anything has happened (the API's times are the build's then)."""
    if state.ongoing or state.active or not any(i.started <= now for i in site.incidents):
        return None
    local = now.astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    following = bisect.bisect_right(instants, now.timestamp())
    if following < len(instants):
        written = datetime.fromtimestamp(instants[following], zone)
        return min(midnight, written)
    return midnight
