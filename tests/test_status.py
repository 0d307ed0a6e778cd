"""SPEC §3 apart from uptime: current status, the page indicator, response and resolution,
maintenance status by clock and by updates. Expected values are worked out by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import Repo, parse_now

from statuspage.build import load_site
from statuspage.compute.status import Verdict, overview, performance
from statuspage.model import ComponentStatus, Impact, MaintenanceStatus
from statuspage.read.config import load_config


def load(repo: Repo, now: str):  # type: ignore[no-untyped-def]
    config, problems = load_config(repo.config)
    assert config is not None, problems
    site, problems = load_site(config, parse_now(now))
    assert not [p for p in problems if p.is_error], problems
    return config, site


STEPPED = """\
---
title: Streaming trouble
severity: P1
started: 2026-11-20 09:00
components:
  api:
    - {at: 2026-11-20 09:00, status: degraded_performance}
    - {at: 2026-11-20 09:30, status: major_outage}
    - {at: 2026-11-20 10:00, status: partial_outage}
  web: degraded_performance
---
## Identified — 2026-11-20 09:40
Found it.

## Investigating — 2026-11-20 09:10
Looking.
"""


@pytest.mark.parametrize(("now", "api", "web", "indicator", "sentence"), [
    ("2026-11-20 08:59", "operational", "operational", "none", "All Systems Operational"),
    ("2026-11-20 09:15", "degraded_performance", "degraded_performance", "major",
     "Partial System Outage"),
    ("2026-11-20 09:45", "major_outage", "degraded_performance", "major", "Partial System Outage"),
    ("2026-11-20 10:30", "partial_outage", "degraded_performance", "major",
     "Partial System Outage"),
])
def test_component_status_follows_the_steps(repo: Repo, now: str, api: str, web: str,
                                            indicator: str, sentence: str) -> None:
    repo.incident("2026-11-20-stream.md", STEPPED)
    config, site = load(repo, "2026-11-20 10:30")
    state = overview(config, site, parse_now(now))
    assert state.components["api"].value == api
    assert state.components["web"].value == web
    assert state.components["voice"] is ComponentStatus.OPERATIONAL
    assert state.indicator.value == indicator
    assert state.description == sentence


def test_updates_in_any_order_are_shown_newest_first_and_resolve(repo: Repo) -> None:
    repo.incident("2026-11-20-a.md", """\
        ---
        title: A
        severity: P0
        components: {api: major_outage}
        ---
        ## investigating | 2026-11-20 09:20
        one
        ## RESOLVED · 2026-11-20 12:00
        three
        ## Monitoring - 2026-11-20 11:00
        two
        """)
    config, site = load(repo, "2026-11-24 12:00")
    (incident,) = site.incidents
    assert [u.status for u in incident.updates] == ["resolved", "monitoring", "investigating"]
    assert incident.started == parse_now("2026-11-20 09:20")
    assert incident.resolved_at == parse_now("2026-11-20 12:00")
    state = overview(config, site, parse_now("2026-11-24 12:00"))
    assert state.indicator is Impact.NONE and state.ongoing == ()
    perf = performance(incident, parse_now("2026-11-24 12:00"))
    assert perf.response.took == timedelta(0) and perf.response.verdict is Verdict.MET
    assert perf.resolution.took == timedelta(hours=2, minutes=40)
    assert perf.resolution.verdict is Verdict.MET


@pytest.mark.parametrize(("now", "response", "resolution"), [
    ("2026-11-20 09:10", "pending", "pending"),
    ("2026-11-20 09:20", "missed", "pending"),
    ("2026-11-20 13:01", "missed", "missed"),
])
def test_response_and_resolution_against_p0_targets(repo: Repo, now: str, response: str,
                                                   resolution: str) -> None:
    repo.incident("2026-11-20-down.md", """\
        ---
        title: Down
        severity: P0
        started: 2026-11-20 09:00
        components: {api: major_outage}
        ---
        """)
    config, site = load(repo, now)
    perf = performance(site.incidents[0], parse_now(now))
    assert perf.response.verdict.value == response
    assert perf.resolution.verdict.value == resolution
    assert overview(config, site, parse_now(now)).description == "Major System Outage"


def test_p3_has_no_resolution_target(repo: Repo) -> None:
    repo.incident("2026-11-20-typo.md", """\
        ---
        title: Typo
        severity: P3
        components: {web: degraded_performance}
        ---
        ## Investigating — 2026-11-20 09:00
        """)
    config, site = load(repo, "2026-11-24 12:00")
    perf = performance(site.incidents[0], parse_now("2026-11-24 12:00"))
    assert perf.resolution.verdict is Verdict.NO_TARGET
    state = overview(config, site, parse_now("2026-11-24 12:00"))
    assert state.indicator is Impact.NONE
    assert state.components["web"] is ComponentStatus.DEGRADED_PERFORMANCE


MAINTENANCE = """\
---
title: Upgrade
type: maintenance
components: [api]
scheduled: 2026-12-01 02:00
until: 2026-12-01 04:00
---
{updates}
"""


@pytest.mark.parametrize(("updates", "now", "status", "api"), [
    ("", "2026-12-01 01:59", "scheduled", "operational"),
    ("", "2026-12-01 02:00", "in_progress", "under_maintenance"),
    ("", "2026-12-01 04:00", "completed", "operational"),
    ("## Completed — 2026-12-01 03:10\nDone early.", "2026-12-01 03:30", "completed",
     "operational"),
    ("## Verifying — 2026-12-01 03:10\nChecking.", "2026-12-01 03:30", "verifying",
     "under_maintenance"),
    ("## Scheduled — 2026-11-20 10:00\nAnnounced.", "2026-12-01 02:30", "in_progress",
     "under_maintenance"),
])
def test_maintenance_status_by_clock_and_by_updates(repo: Repo, updates: str, now: str,
                                                    status: str, api: str) -> None:
    repo.incident("2026-12-01-upgrade.md", MAINTENANCE.format(updates=updates))
    config, site = load(repo, now)
    (item,) = site.maintenances
    assert item.status_at(parse_now(now)) is MaintenanceStatus(status)
    state = overview(config, site, parse_now(now))
    assert state.components["api"].value == api
    expected = "Service Under Maintenance" if api == "under_maintenance" else \
        "All Systems Operational"
    assert state.description == expected
    assert state.indicator is Impact.NONE


def test_early_completion_ends_the_window(repo: Repo) -> None:
    repo.incident("2026-12-01-upgrade.md", MAINTENANCE.format(
        updates="## Completed — 2026-12-01 03:10\n## In progress — 2026-12-01 01:55"))
    _config, site = load(repo, "2026-12-02 00:00")
    assert site.maintenances[0].window() == (parse_now("2026-12-01 01:55"),
                                             parse_now("2026-12-01 03:10"))


def test_incident_during_maintenance_shows_the_incident(repo: Repo) -> None:
    repo.incident("2026-12-01-upgrade.md", MAINTENANCE.format(updates=""))
    repo.incident("2026-12-01-broke.md", """\
        ---
        title: Broke
        severity: P1
        started: 2026-12-01 02:30
        components: {api: partial_outage}
        ---
        """)
    config, site = load(repo, "2026-12-01 03:00")
    state = overview(config, site, parse_now("2026-12-01 03:00"))
    assert state.components["api"] is ComponentStatus.PARTIAL_OUTAGE
    assert state.description == "Partial System Outage"


def test_an_overrunning_maintenance_stays_out_of_uptime(repo: Repo) -> None:
    repo.incident("2026-12-01-upgrade.md", MAINTENANCE.format(
        updates="## In progress — 2026-12-01 02:00\nStarted."))
    _config, site = load(repo, "2026-12-01 05:00")
    (item,) = site.maintenances
    assert item.status_at(parse_now("2026-12-01 05:00")) is MaintenanceStatus.IN_PROGRESS
    assert item.window(parse_now("2026-12-01 05:00"))[1] == parse_now("2026-12-01 05:00")
    assert item.window()[1] == parse_now("2026-12-01 04:00")


def test_implausible_years_are_refused(repo: Repo) -> None:
    repo.incident("2026-11-20-typo.md", "---\ntitle: T\nseverity: P3\n"
                                        "started: 0202-11-20 09:00\n---\n")
    result = repo.check()
    assert result.exit_code == 1
    assert "'0202-11-20 09:00' is not a plausible year (between 1970 and 2199)" in result.output
