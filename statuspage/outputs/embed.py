"""Embeds: the status on other sites' pages (SPEC §9.1).

`embed/status.js` is one script tag's worth of status: it reads `api/v2/summary.json` beside
itself, so it works wherever the site is published, under a sub-path too. `embed/index.html`
is a chromeless view for an iframe. Both are templates of the theme (`templates/embed/`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..compute.status import Overview, Seen
from ..model import Incident, Maintenance, MaintenanceStatus
from ..read.config import SiteConfig
from .facts import Facts
from .record import Output, page
from .views import incident_view, maintenance_view


def outputs(facts: Facts) -> Iterator[Output]:
    """Yield embed/status.js and embed/index.html."""
    yield page("embed/status.js", "embed/status.js", _script, facts.config)
    state = facts.overview
    ongoing = tuple((i, facts.seen[i.slug]) for i in state.ongoing)
    active = tuple((m, facts.status[m.slug]) for m in state.active)
    yield page("embed/index.html", "embed/index.html", _view, facts.config, state, ongoing,
               active)


def _script(config: SiteConfig) -> dict[str, Any]:
    return {"config": config}


def _view(config: SiteConfig, state: Overview, ongoing: tuple[tuple[Incident, Seen], ...],
          active: tuple[tuple[Maintenance, MaintenanceStatus], ...]) -> dict[str, Any]:
    return {"overview": state,
            "maintenance": bool(active) and not ongoing,
            "ongoing": [incident_view(config, i, seen) for i, seen in ongoing],
            "active": [maintenance_view(config, m, status) for m, status in active]}
