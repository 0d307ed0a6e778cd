"""What every output module declares its files from: one build's facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from ..compute.sla import Period, periods
from ..compute.status import Overview, Seen, overview, seen, written_instants
from ..compute.timeline import Remember, timelines
from ..compute.uptime import Uptime
from ..model import Incident, MaintenanceStatus, Site, incidents_by_component
from ..read.config import SiteConfig
from ..read.git import Revisions, window_changes
from ..read.upstream import UpstreamStatus
from .record import Settled
from .site_files import assets
from .views import YEAR, FiguresAt, Language


@dataclass(frozen=True)
class Facts:
    """The site and what is true of it at the build's time (`now`)."""

    config: SiteConfig
    language: Language
    site: Site
    now: datetime
    overview: Overview
    seen: dict[str, Seen]
    """How each incident reads now, by slug."""
    status: dict[str, MaintenanceStatus]
    """Each maintenance's status now, by slug."""
    uptime: Uptime
    periods: list[Period]
    revisions: dict[str, Revisions]
    """What git says of each maintenance file, by slug."""
    settled: Settled
    """The time, for outputs that only compare it with instants written in the files."""
    assets: dict[str, str]
    """Each static file's published path, by name ('style.css', 'favicon.svg', 'logo')."""
    own_templates: bool
    """Whether the repository has templates of its own (which may show anything)."""
    upstream: tuple[UpstreamStatus, ...] = ()
    """The upstream services as their stored snapshots show them."""
    by_component: dict[str, list[Incident]] = field(default_factory=dict)
    """Each component's incidents, newest first."""

    def __post_init__(self) -> None:
        if not self.by_component:
            self.by_component.update(incidents_by_component(self.site))

    @cached_property
    def figures(self) -> FiguresAt:
        """Every component's exact figures at the build's time, as outputs read them."""
        return FiguresAt(self.uptime)


def gather(config: SiteConfig, site: Site, now: datetime, own_templates: bool,
           remember: Remember, upstream: tuple[UpstreamStatus, ...] = (),
           ) -> tuple[Facts, dict[str, bytes]]:
    """Return what the outputs are declared from, and each asset's bytes by published path
    (`remember` has what pure functions of the site return worked out, or kept)."""
    state = overview(config, site, now)
    windows = {config.source(m.path): (m.scheduled, m.until) for m in site.maintenances}
    moved = window_changes(config.root, windows) or {}  # (outside git: never moved)
    revisions = {m.slug: moved.get(config.source(m.path), Revisions(0))
                 for m in site.maintenances}
    instants = written_instants(site, [t for r in revisions.values()
                                       for t in (r.committed, r.first) if t is not None])
    seen_now = {i.slug: seen(i, now) for i in site.incidents}
    named, files = assets(config, state.headline)
    return Facts(
        config=config, language=Language(config.language), site=site, now=now,
        overview=state, seen=seen_now, status={m.slug: m.status_at(now) for m in site.maintenances},
        uptime=Uptime(config, timelines(config, site, now, remember=remember),
                      max(config.uptime_days, YEAR), remember),
        periods=periods(config, site.incidents, now, lambda i: seen_now[i.slug].performance),
        revisions=revisions, settled=Settled(tuple(instants)), assets=named,
        own_templates=own_templates,
        upstream=upstream), files
