"""Uptime (SPEC §3) against figures worked out by hand, and its invariants (hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statuspage.compute.timeline import timeline, timelines
from statuspage.compute.uptime import Uptime, compute, day_figures, window_figure
from statuspage.model import (
    Component,
    ComponentStatus,
    Incident,
    Maintenance,
    Site,
    StatusStep,
    Update,
)
from statuspage.read.config import DEFAULT_SEVERITIES, DEFAULT_WEIGHTS, SiteConfig

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
MAJOR, PARTIAL, DEGRADED = (ComponentStatus.MAJOR_OUTAGE, ComponentStatus.PARTIAL_OUTAGE,
                            ComponentStatus.DEGRADED_PERFORMANCE)


def config(zone: ZoneInfo = SHANGHAI, since: date | None = None,
           weights: dict[ComponentStatus, float] | None = None) -> SiteConfig:
    return SiteConfig(root=Path("."), shown_root="", title="T", url="https://t.example/",
                      timezone=zone, components=(Component("api", "API", since=since),),
                      weights=weights or dict(DEFAULT_WEIGHTS))


def at(text: str, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def incident(start: datetime, end: datetime | None, *steps: tuple[datetime, ComponentStatus],
             slug: str = "i") -> Incident:
    updates = (Update("resolved", end, "", 1),) if end else ()
    return Incident(slug, "x.md", "x", DEFAULT_SEVERITIES[1], start,
                    {"api": tuple(StatusStep(t, s) for t, s in steps)}, "", updates)


def simple(start: str, end: str | None, status: ComponentStatus = MAJOR,
           zone: ZoneInfo = SHANGHAI, slug: str = "i") -> Incident:
    begin = at(start, zone)
    return incident(begin, at(end, zone) if end else None, (begin, status), slug=slug)


def maintenance(start: str, until: str, completed: str | None = None) -> Maintenance:
    updates = (Update("completed", at(completed), "", 1),) if completed else ()
    return Maintenance("m", "m.md", "m", ("api",), at(start), at(until), "", updates)


def day(cfg: SiteConfig, site: Site, which: str, now: str = "2026-11-30T00:00") -> tuple[
        float, float, float | None]:
    """Return (downtime minutes, counted minutes, uptime) of one day."""
    line = timeline(cfg, site, cfg.components[0], at(now, cfg.timezone))
    (found,) = day_figures(line, cfg.timezone, date.fromisoformat(which), 1)
    return (round(found.figure.downtime_minutes, 6), round(found.figure.counted_minutes, 6),
            None if found.figure.uptime is None else round(found.figure.uptime, 6))


def test_autumn_dst_day_in_new_york_has_1500_minutes() -> None:
    cfg = config(NEW_YORK)
    outage = simple("2026-11-01T01:30", "2026-11-01T03:00", zone=NEW_YORK)
    # 01:30 EDT to 03:00 EST is 2.5 hours: the clock repeats 01:00-02:00.
    assert day(cfg, Site((outage,), ()), "2026-11-01") == (150.0, 1500.0, 90.0)
    assert day(cfg, Site((), ()), "2026-03-08")[1] == 1380.0


@pytest.mark.parametrize(("incidents", "which", "expected"), [
    # An incident across midnight is split at local midnight.
    ([simple("2026-11-05T23:00", "2026-11-06T01:00")], "2026-11-05", (60.0, 1440.0, 95.833333)),
    ([simple("2026-11-05T23:00", "2026-11-06T01:00")], "2026-11-06", (60.0, 1440.0, 95.833333)),
    # Partial 10:00-12:00 and major 11:00-11:30 overlap: 0.3*90 + 1.0*30 = 57, not added twice.
    ([simple("2026-11-05T10:00", "2026-11-05T12:00", PARTIAL),
      simple("2026-11-05T11:00", "2026-11-05T11:30", MAJOR, slug="j")], "2026-11-05",
     (57.0, 1440.0, 96.041667)),
    # Two identical overlapping majors count once.
    ([simple("2026-11-05T10:00", "2026-11-05T11:00"),
      simple("2026-11-05T10:00", "2026-11-05T11:00", slug="j")], "2026-11-05",
     (60.0, 1440.0, 95.833333)),
    # Degraded performance weighs 0 by default.
    ([simple("2026-11-05T10:00", "2026-11-05T20:00", DEGRADED)], "2026-11-05",
     (0.0, 1440.0, 100.0)),
])
def test_shanghai_days(incidents: list[Incident], which: str,
                       expected: tuple[float, float, float]) -> None:
    assert day(config(), Site(tuple(incidents), ()), which) == expected


def test_status_steps_weigh_each_part() -> None:
    start = at("2026-11-05T10:00")
    stepped = incident(start, at("2026-11-05T13:00"), (start, DEGRADED),
                       (at("2026-11-05T11:00"), MAJOR), (at("2026-11-05T11:30"), PARTIAL))
    # degraded 60 min * 0 + major 30 * 1 + partial 90 * 0.3 = 57
    assert day(config(), Site((stepped,), ()), "2026-11-05") == (57.0, 1440.0, 96.041667)


def test_incident_overlapping_maintenance() -> None:
    site = Site((simple("2026-11-05T10:00", "2026-11-05T12:00"),),
                (maintenance("2026-11-05T11:00", "2026-11-05T13:00"),))
    # Only 10:00-11:00 is downtime; 11:00-13:00 is left out of the day's length too.
    assert day(config(), site, "2026-11-05") == (60.0, 1320.0, 95.454545)


def test_maintenance_completed_early_ends_the_window() -> None:
    site = Site((simple("2026-11-05T03:30", "2026-11-05T04:30"),),
                (maintenance("2026-11-05T02:00", "2026-11-05T04:00", "2026-11-05T03:10"),))
    # Excluded 02:00-03:10 (70 min); the outage 03:30-04:30 counts in full.
    assert day(config(), site, "2026-11-05") == (60.0, 1370.0, 95.620438)


def test_since_in_the_middle_of_a_window() -> None:
    cfg = config(since=date(2026, 11, 20))
    site = Site((simple("2026-11-19T10:00", "2026-11-20T01:00"),), ())
    line = timeline(cfg, site, cfg.components[0], at("2026-11-24T12:00"))
    seven = window_figure(line, SHANGHAI, date(2026, 11, 24), 7)
    # Counted: Nov 20-23 whole (4 * 1440) plus Nov 24 to noon (720); downtime only 00:00-01:00.
    assert (seven.counted_minutes, seven.downtime_minutes) == (6480.0, 60.0)
    assert day(cfg, site, "2026-11-19") == (0.0, 0.0, None)


def test_ongoing_incident_counts_up_to_now() -> None:
    site = Site((simple("2026-11-24T10:00", None),), ())
    assert day(config(), site, "2026-11-24", now="2026-11-24T12:00") == (120.0, 720.0,
                                                                       83.333333)
    assert day(config(), site, "2026-11-25", now="2026-11-24T12:00") == (0.0, 0.0, None)


def test_window_edges_are_local_midnights() -> None:
    site = Site((simple("2026-11-17T23:00", "2026-11-18T01:00"),), ())
    line = timeline(config(), site, config().components[0], at("2026-11-24T12:00"))
    # The 7-day window ending Nov 24 starts at Nov 18 00:00: only the second hour is in it.
    assert window_figure(line, SHANGHAI, date(2026, 11, 24), 7).downtime_minutes == 60.0
    assert window_figure(line, SHANGHAI, date(2026, 11, 24), 8).downtime_minutes == 120.0


def test_months_and_windows_of_compute() -> None:
    cfg = config(since=date(2026, 10, 1))
    site = Site((simple("2026-10-31T23:30", "2026-11-01T00:30"),), ())
    (result,) = compute(cfg, site, at("2026-11-24T12:00"))
    assert list(result.months) == ["2026-10", "2026-11"]
    assert result.months["2026-10"].downtime_minutes == 30.0
    assert result.months["2026-10"].counted_minutes == 31 * 1440
    assert result.months["2026-11"].counted_minutes == 23 * 1440 + 720
    assert len(result.days) == 90 and result.days[-1].date == date(2026, 11, 24)
    # The 90-day window starts before `since`, so it counts Oct 1 .. Nov 24 noon: 54.5 days.
    assert result.windows["90d"].counted_minutes == (31 + 23) * 1440 + 720
    budget = result.months["2026-10"].budget(99.9)
    assert (round(budget.allowed, 3), budget.used, round(budget.left, 3)) == (44.64, 30.0, 14.64)


def test_no_counted_time_is_no_data_not_100() -> None:
    cfg = config(since=date(2026, 12, 1))
    (result,) = compute(cfg, Site((), ()), at("2026-11-24T12:00"))
    assert result.windows["7d"].uptime is None
    assert all(d.figure.uptime is None for d in result.days)


# --- Properties ---------------------------------------------------------------------------

BASE = at("2026-11-01T00:00")
NOW = at("2026-11-24T12:00")
STATUSES = st.sampled_from([MAJOR, PARTIAL, DEGRADED])


@st.composite
def incidents(draw: st.DrawFn) -> Incident:
    start = BASE + timedelta(minutes=draw(st.integers(0, 23 * 1440)))
    length = timedelta(minutes=draw(st.integers(1, 3 * 1440)))
    end = start + length
    return incident(start, end if end <= NOW else None, (start, draw(STATUSES)),
                    slug=f"i{draw(st.integers(0, 10**9))}")


def figures(site: Site, cfg: SiteConfig | None = None) -> list[tuple[float, float]]:
    cfg = cfg or config()
    line = timeline(cfg, site, cfg.components[0], NOW)
    return [(d.figure.downtime, d.figure.counted)
            for d in day_figures(line, SHANGHAI, date(2026, 11, 24), 30)]


@settings(max_examples=200, deadline=None)
@given(st.lists(incidents(), max_size=6))
def test_uptime_stays_between_0_and_100(found: list[Incident]) -> None:
    (result,) = compute(config(), Site(tuple(found), ()), NOW)
    values = [d.figure.uptime for d in result.days] + [w.uptime for w in result.windows.values()]
    assert all(v is None or 0.0 <= v <= 100.0 for v in values)


@settings(max_examples=200, deadline=None)
@given(incidents(), st.floats(0.01, 0.99))
def test_splitting_an_incident_changes_nothing(whole: Incident, where: float) -> None:
    start = whole.started
    end = whole.resolved_at or NOW
    middle = start + (end - start) * where
    status = whole.components["api"][0].status
    first = incident(start, middle, (start, status), slug="a")
    second = incident(middle, whole.resolved_at, (middle, status), slug="b")
    joined, split = figures(Site((whole,), ())), figures(Site((first, second), ()))
    assert [(round(d, 6), round(c, 6)) for d, c in joined] == \
        [(round(d, 6), round(c, 6)) for d, c in split]


@settings(max_examples=200, deadline=None)
@given(st.lists(incidents(), max_size=5), incidents())
def test_adding_an_incident_never_raises_uptime(found: list[Incident], extra: Incident) -> None:
    before = figures(Site(tuple(found), ()))
    after = figures(Site((*found, extra), ()))
    assert all(a[0] >= b[0] - 1e-6 for a, b in zip(after, before, strict=True))


@settings(max_examples=100, deadline=None)
@given(st.lists(incidents(), max_size=5))
def test_all_weights_zero_gives_100(found: list[Incident]) -> None:
    cfg = config(weights={s: 0.0 for s in DEFAULT_WEIGHTS})
    (result,) = compute(cfg, Site(tuple(found), ()), NOW)
    assert {d.figure.uptime for d in result.days} == {100.0}


@settings(max_examples=200, deadline=None)
@given(st.lists(incidents(), max_size=6))
def test_a_windows_downtime_is_the_sum_of_its_days(found: list[Incident]) -> None:
    cfg = config()
    site = Site(tuple(found), ())
    line = timeline(cfg, site, cfg.components[0], NOW)
    days = day_figures(line, SHANGHAI, date(2026, 11, 24), 30)
    window = window_figure(line, SHANGHAI, date(2026, 11, 24), 30)
    assert window.downtime == pytest.approx(sum(d.figure.downtime for d in days), abs=1e-6)
    assert window.counted == pytest.approx(sum(d.figure.counted for d in days), abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(st.lists(incidents(), max_size=6), st.lists(st.integers(-3 * 1440, 40 * 1440),
                                                   min_size=2, max_size=12, unique=True),
       st.integers(0, 30))
def test_figures_of_many_spans_at_once_equal_each_span_alone(
        found: list[Incident], minutes: list[int], since: int) -> None:
    # Bounds before `since` and after now included; each span worked out alone must agree
    # to the last bit, as pages are reused by comparing figures.
    cfg = config(since=(BASE + timedelta(days=since)).date())
    site = Site(tuple(found), (maintenance("2026-11-10T01:00", "2026-11-10T03:00"),))
    line = timeline(cfg, site, cfg.components[0], NOW)
    bounds = sorted((BASE + timedelta(minutes=m)).timestamp() for m in minutes)
    assert line.figures(bounds) == [line.figure(a, b) for a, b in pairwise(bounds)]


@st.composite
def around_now(draw: st.DrawFn) -> Incident:
    """An incident resolved before NOW, open at it, resolved after it, or not yet started."""
    start = NOW + timedelta(minutes=draw(st.integers(-10 * 1440, 3 * 1440)))
    length = draw(st.none() | st.integers(1, 3 * 1440))
    steps = [(start, draw(STATUSES))]
    if length is not None and length > 1 and draw(st.booleans()):
        steps.append((start + timedelta(minutes=length // 2), draw(STATUSES)))
    return incident(start, None if length is None else start + timedelta(minutes=length),
                    *steps, slug=f"i{draw(st.integers(0, 10**9))}")


@st.composite
def maintenances_around_now(draw: st.DrawFn) -> Maintenance:
    """A maintenance over, under way, overrunning or ahead at NOW (perhaps completed early)."""
    start = NOW + timedelta(minutes=draw(st.integers(-600, 600) | st.integers(-5 * 1440,
                                                                              3 * 1440)))
    until = start + timedelta(minutes=draw(st.integers(1, 600)))
    updates: tuple[Update, ...] = ()
    if draw(st.booleans()):
        status = draw(st.sampled_from(["in_progress", "verifying", "completed"]))
        updates = (Update(status, start + timedelta(minutes=draw(st.integers(0, 900))), "", 1),)
    return Maintenance(f"m{draw(st.integers(0, 10**9))}", "m.md", "m", ("api",), start, until,
                       "", updates)


@settings(max_examples=300, deadline=None)
@given(st.lists(around_now(), max_size=5, unique_by=lambda i: i.slug),
       st.lists(maintenances_around_now(), max_size=3, unique_by=lambda m: m.slug),
       st.integers(0, 120) | st.integers(0, 5 * 1440))
def test_figures_at_a_later_time_from_a_builds_timelines_equal_figures_made_afresh(
        found: list[Incident], held: list[Maintenance], later: int) -> None:
    # What a quiet rebuild does: the timelines made at NOW, counted up to a later moment,
    # while nothing was open at NOW (no incident ongoing, no window under way or ahead of
    # the moment, which a quiet rebuild's horizon rules out).
    cfg = config(since=date(2026, 10, 20))
    moment = NOW + timedelta(minutes=later)
    found = [i for i in found if i.resolved_at is not None and i.resolved_at <= NOW]
    held = [m for m in held if (m.window(NOW)[1] <= NOW and m.window(moment)[1] <= NOW)
            or m.window(moment)[0] >= moment]
    site = Site(tuple(found), tuple(held))
    kept = Uptime(cfg, timelines(cfg, site, NOW), 40)
    fresh = Uptime(cfg, timelines(cfg, site, moment), 40)
    assert kept.at(moment) == fresh.at(moment)
    assert kept.at(NOW) == {f.component.id: f for f in compute(cfg, site, NOW, days=40)}
