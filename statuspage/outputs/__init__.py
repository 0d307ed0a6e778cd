"""Outputs: every file a build writes, declared by the module of its kind (see `record`).

A new kind of output is a module with an `outputs(facts)` function, named in MODULES.
"""

from __future__ import annotations

from . import (
    badges,
    calendar,
    embed,
    feeds,
    host,
    metrics_json,
    pages,
    site_files,
    statuspage_v2,
    uptime_json,
)
from .facts import Facts
from .record import Output

MODULES = (pages, feeds, calendar, statuspage_v2, uptime_json, metrics_json, badges, embed)
"""The modules whose outputs follow from the facts, in the order they are made."""


def declare(facts: Facts, assets: dict[str, bytes]) -> list[Output]:
    """Return every output of the site: the assets (published path -> bytes), each module's
    outputs, then the sitemap and robots.txt, which list the pages."""
    made = list(site_files.outputs(assets))
    for module in MODULES:
        made += module.outputs(facts)
    made += site_files.index_outputs(facts.config, [o.path for o in made])
    made += host.outputs(facts.config)
    return made
