"""Measured figures (SPEC §7) against figures worked out by hand, Prometheus's
histogram_quantile at its edges, and a straightforward reference implementation (hypothesis)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import Repo
from hypothesis import given, settings
from hypothesis import strategies as st

from statuspage.compute.metrics import histogram_quantile, nearest_rank
from statuspage.compute.metrics_days import counted_days
from statuspage.compute.metrics_days import measure as measure_days
from statuspage.model import Component, Site
from statuspage.read.metrics import LATENCY, day_rows, read_file
from statuspage.read.metrics_config import LatencyTarget, MetricsSettings, Targets

CONFIG = """\
title: T
url: https://t.example/
timezone: Asia/Shanghai
components:
  - id: api
    name: API
  - id: web
    name: Web
    latency_target: {percentile: 99, ms: 450}
metrics:
  latency_target: {percentile: 95, ms: 600}
  error_rate_target: 0.1
uptime:
  days: 7
  credits: [{below: 99.9, credit: 10}, {below: 99.0, credit: 25}]
"""

API = """\
time,count,errors,latency_ms
2026-11-23T09:30:00+08:00,1,0,80
2026-11-23T10:30:00+08:00,1,0,5000
2026-11-23T11:30:00+08:00,1,0,90
2026-11-23T23:59:59+08:00,1,0,50
2026-11-23T16:00:00Z,1,0,250
2026-11-24T00:00:00+08:00,1,0,100
2026-11-24T00:10:00+08:00,1,0,200
2026-11-24T00:20:00+08:00,1,0,300
2026-11-24T00:30:00+08:00,1,0,400
2026-11-24T00:40:00+08:00,1,1,
2026-11-24T00:50:00+08:00,1,1,500
2026-11-24T13:00:00+08:00,1,0,9999
"""

WEB = """\
time,count,errors,le_100,le_250,le_500
2026-11-24T01:00:00Z,10,1,2,6,9
2026-11-24T02:00:00Z,10,0,4,8,10
"""

MAINTENANCE = """\
---
title: Upgrade
type: maintenance
components: [api]
scheduled: 2026-11-23 10:00 +08:00
until: 2026-11-23 12:00 +08:00
---
Upgrade.

## Completed — 2026-11-23 11:00 +08:00
Done early.
"""


@pytest.fixture
def built(make_repo: Callable[[str], Repo]) -> dict[str, Any]:
    repo = make_repo(CONFIG)
    repo.write("metrics/api/2026-11.csv", API)
    repo.write("metrics/web/2026-11.csv", WEB)
    repo.incident("2026-11-23-upgrade.md", MAINTENANCE)
    result = repo.build()
    assert result.exit_code == 0, result.output
    document = json.loads((repo.site / "api/metrics.json").read_text())
    return {c["id"]: c for c in document["components"]}


def _days(component: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["date"]: d for d in component["days"]}


def test_latency_checks_by_hand(built: dict[str, Any]) -> None:
    api = built["api"]
    days = _days(api)
    # 11-24 (Shanghai): 16:00Z on the 23rd is midnight here; the 13:00 row is after `now`.
    # Values 100 200 250 300 400 500 (one check failed without an answer): n = 6,
    # p50 at rank ⌈3⌉ = 250, p95 at ⌈5.7⌉ = 500, p99 at ⌈5.94⌉ = 500; 2 of 7 failed.
    assert days["2026-11-24"] == {"date": "2026-11-24", "count": 7, "errors": 1 + 1,
                                  "error_rate": round(200 / 7, 6), "p50": 250.0,
                                  "p95": 500.0, "p99": 500.0}
    # 11-23: the 10:30 row falls in the maintenance window, which ended early at 11:00:
    # 80, 90 and 50 count; p50 at rank ⌈1.5⌉ = 80, p95 at ⌈2.85⌉ = 90.
    assert days["2026-11-23"] == {"date": "2026-11-23", "count": 3, "errors": 0,
                                  "error_rate": 0.0, "p50": 80.0, "p95": 90.0, "p99": 90.0}
    assert days["2026-11-22"]["count"] == 0 and days["2026-11-22"]["p50"] is None
    assert days["2026-11-22"]["error_rate"] is None
    # The week: 50 80 90 100 200 250 300 400 500: p50 at ⌈4.5⌉ = 200, p95 at ⌈8.55⌉ = 500.
    week = {"count": 10, "errors": 2, "error_rate": 20.0, "p50": 200.0, "p95": 500.0,
            "p99": 500.0}
    assert api["windows"]["7d"] == week
    assert api["months"]["2026-11"] == {**week, "latency": 500.0, "latency_met": True,
                                        "error_rate_met": False}
    assert api["latency_target"] == {"percentile": 95, "ms": 600}
    assert api["error_rate_target"] == 0.1


def test_histogram_by_hand(built: dict[str, Any]) -> None:
    web = built["web"]
    # Summed: 20 requests, cumulative 6 at 100 ms, 14 at 250, 19 at 500.
    # p50: rank 10 in (100, 250]: 100 + 150 × (10 − 6) / (14 − 6) = 175.
    # p95: rank 19 in (250, 500]: 250 + 250 × (19 − 14) / (19 − 14) = 500.
    # p99: rank 19.8 is past the last bound: the highest finite bound, 500.
    assert _days(web)["2026-11-24"] == {"date": "2026-11-24", "count": 20, "errors": 1,
                                        "error_rate": 5.0, "p50": 175.0, "p95": 500.0,
                                        "p99": 500.0}
    month = web["months"]["2026-11"]
    assert (month["latency"], month["latency_met"]) == (500.0, False)  # p99 ≤ 450 missed


@pytest.mark.parametrize(("cumulative", "total", "percentile", "expected"), [
    ([6, 14, 19], 20, 10, 100 * 2 / 6),          # in the first bucket: from 0
    ([6, 14, 19], 20, 30, 100.0),                # exactly at a bound
    ([5, 5, 10], 10, 60, 250 + 250 * 1 / 5),     # past an empty bucket: from its bound
    ([5, 5, 10], 10, 50, 100.0),
    ([0, 0, 0], 4, 50, 500.0),                   # all in +Inf: the highest finite bound
    ([0, 0, 0], 0, 50, None),                    # no observations
])
def test_histogram_quantile_edges(cumulative: list[float], total: float, percentile: float,
                                  expected: float | None) -> None:
    found = histogram_quantile((100, 250, 500), cumulative, total, percentile)
    assert found == (None if expected is None else pytest.approx(expected))


def test_fractional_bounds() -> None:
    # 4 requests: 1 at most 0.5 ms, 3 at most 2.5 ms. p50: rank 2 in (0.5, 2.5]:
    # 0.5 + 2 × (2 − 1) / (3 − 1) = 1.5.
    assert histogram_quantile((0.5, 2.5), (1, 3), 4, 50) == pytest.approx(1.5)


def test_nearest_rank() -> None:
    values = [15, 20, 35, 40, 50]
    assert [nearest_rank(values, p) for p in (5, 30, 40, 50, 100)] == [15, 20, 20, 35, 50]
    assert nearest_rank([], 50) is None
    assert nearest_rank([7.0], 99.9) == 7.0


VALUES = st.lists(st.integers(0, 40).map(lambda v: v / 4), max_size=40).map(sorted)


@settings(max_examples=300, deadline=None)
@given(VALUES, VALUES, st.sampled_from([0.1, 1, 5, 33.3, 50, 90, 95, 99, 99.9, 100]))
def test_nearest_rank_of_two_sorted_lists_is_that_of_both_merged(
        values: list[float], more: list[float], percentile: float) -> None:
    assert nearest_rank(values, percentile, more) == \
        nearest_rank(sorted(values + more), percentile)


def test_a_dst_day_in_new_york_has_25_hours_of_rows() -> None:
    zone = ZoneInfo("America/New_York")
    start = datetime(2026, 11, 1, 4, tzinfo=UTC)  # midnight, EDT
    text = "time,count,errors\n" + "".join(
        f"{(start + timedelta(hours=h)).isoformat()},1,0\n" for h in range(27))
    found, problems = read_file(text.encode(), "f.csv", "api", zone)
    assert problems == [] and found is not None
    by_date = {datetime.fromordinal(o).date().isoformat(): d.count
               for o, d in found.days.items()}
    assert by_date == {"2026-11-01": 25, "2026-11-02": 2}


ROWS = st.lists(st.tuples(st.integers(0, 20 * 24 * 12), st.integers(0, 1),
                          st.one_of(st.none(), st.integers(1, 5000).map(lambda v: v / 10))),
                max_size=60)
START = datetime(2026, 11, 1, tzinfo=ZoneInfo("Asia/Shanghai"))


@settings(max_examples=80, deadline=None)
@given(ROWS, st.integers(0, 20 * 24 * 12), st.integers(0, 20 * 24 * 12), st.integers(1, 48),
       st.sampled_from([None, 3, 9]))
def test_figures_agree_with_a_reference(rows: list[tuple[int, int, float | None]], now_at: int,
                                        window_at: int, window_length: int,
                                        since_day: int | None) -> None:
    """Days, windows and months from the aggregates (with days cut by maintenance, `since`
    and `now` read again) are those worked out from the rows one by one."""
    zone = ZoneInfo("Asia/Shanghai")
    moments = [START + timedelta(minutes=5 * r[0]) for r in rows]
    text = "time,count,errors,latency_ms\n" + "".join(
        f"{m.isoformat()},1,{e},{'' if v is None else v}\n"
        for m, (_at, e, v) in zip(moments, rows, strict=True))
    found, problems = read_file(text.encode(), "f.csv", "api", zone)
    assert found is not None and problems == []
    now = START + timedelta(minutes=5 * now_at)
    left_out = (START + timedelta(minutes=5 * window_at),
                START + timedelta(minutes=5 * (window_at + window_length)))
    since = (START + timedelta(days=since_day)) if since_day is not None else None
    component = Component("api", "API", since=since.date() if since else None)

    class _Window:
        components = ("api",)

        def window(self, _now: datetime) -> tuple[datetime, datetime]:
            return left_out

    figures = measure_days(
        (component,), MetricsSettings(Targets(LatencyTarget(90, 300), 1.0)),
        Site((), (_Window(),)),  # type: ignore[arg-type]
        [found], now, zone, 30,
        lambda f, ordinals: day_rows(text.encode(), "f.csv", zone, ordinals))
    counted = [(m, e, v) for m, (_at, e, v) in zip(moments, rows, strict=True)
               if m <= now and not left_out[0] <= m < left_out[1]
               and (since is None or m >= since)]

    def reference(first: datetime, end: datetime) -> tuple[float, float, list[float | None]]:
        inside = [(e, v) for m, e, v in counted if first <= m < end]
        values = sorted(v for _e, v in inside if v is not None)
        ranks = [math.ceil(p * len(values) / 100) for p in (50, 95, 99, 90)]
        return (len(inside), sum(e for e, _v in inside),
                [values[max(r, 1) - 1] if values else None for r in ranks])

    if not found.days:
        assert figures.components["api"].days[-1][1].count == 0
        return
    got = figures.components["api"]
    today = now.astimezone(zone).date()
    for day, stat in got.days:
        first = datetime(day.year, day.month, day.day, tzinfo=zone)
        assert (stat.count, stat.errors, [stat.p50, stat.p95, stat.p99, stat.target]) == \
            reference(first, first + timedelta(days=1)), day
    for n in (7, 30):
        first = datetime.combine(today - timedelta(days=n - 1), datetime.min.time(), zone)
        stat = got.windows[f"{n}d"]
        assert (stat.count, stat.errors, [stat.p50, stat.p95, stat.p99, stat.target]) == \
            reference(first, first + timedelta(days=n))
    month = got.months[f"{today.year:04d}-{today.month:02d}"]
    first = datetime(today.year, today.month, 1, tzinfo=zone)
    count, errors, quantiles = reference(first, datetime(2026, 12, 1, tzinfo=zone))
    assert (month.stat.count, month.stat.errors) == (count, errors)
    assert month.latency_met == (None if quantiles[3] is None else quantiles[3] <= 300)
    assert month.error_rate_met == (None if not count else 100 * errors / count <= 1.0)


def test_days_cut_only_where_something_is_left_out() -> None:
    zone = ZoneInfo("UTC")
    text = ("time,count,errors,latency_ms\n2026-11-01T01:00:00Z,1,0,10\n"
            "2026-11-02T01:00:00Z,1,0,20\n")
    found, _problems = read_file(text.encode(), "f.csv", "api", zone)
    assert found is not None and found.form == LATENCY
    asked: list[set[int]] = []

    def rows_of(_f: object, ordinals: set[int]) -> dict[int, list[Any]]:
        asked.append(ordinals)
        return day_rows(text.encode(), "f.csv", zone, ordinals)

    window = (datetime(2026, 11, 2, 0, 30, tzinfo=UTC).timestamp(),
              datetime(2026, 11, 2, 1, 30, tzinfo=UTC).timestamp())
    days, after = counted_days([found], (), [window], -math.inf, math.inf, rows_of)
    assert asked == []  # the window holds all of the day's rows: no need to read it again
    assert {o: d.count for o, d in days.items()} == {min(found.days): 1}
    days, after = counted_days([found], (), [], -math.inf,
                               datetime(2026, 11, 1, 0, 30, tzinfo=UTC).timestamp(), rows_of)
    assert days == {} and after == datetime(2026, 11, 1, 1, tzinfo=UTC).timestamp()


def test_a_file_without_latency_beside_a_histogram_counts_in_the_error_rate_only(
        make_repo: Callable[[str], Repo]) -> None:
    repo = make_repo(CONFIG)
    repo.write("metrics/web/2026-11.csv", WEB)
    repo.write("metrics/web/errors.csv", "time,count,errors\n2026-11-24T03:00:00Z,20,3\n")
    assert repo.build().exit_code == 0
    web = json.loads((repo.site / "api/metrics.json").read_text())["components"][0]
    # As above (p50 175 of the histogram's 20), with 40 requests and 4 errors.
    assert _days(web)["2026-11-24"] == {"date": "2026-11-24", "count": 40, "errors": 4,
                                        "error_rate": 10.0, "p50": 175.0, "p95": 500.0,
                                        "p99": 500.0}
