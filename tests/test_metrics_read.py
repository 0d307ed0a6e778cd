"""Measured-data files (SPEC §7): every rule, bad rows as `path:line` problems from `check`
and `build`, and a failed build that keeps the last site."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
from conftest import Repo, problem_lines, shown
from hypothesis import given, settings
from hypothesis import strategies as st

from statuspage.read.metrics import read_file

HEADER = "time,count,errors,latency_ms\n"


@pytest.mark.parametrize(("rows", "message"), [
    ("2026-11-24 10:00,1,0,100\n",
     "3: error: time: '2026-11-24 10:00' has no offset; add one such as +08:00 or Z"),
    ("2026-11-24T10:00+08:00,1,0,100\nyesterday,1,0,100\n",
     "4: error: time: 'yesterday' is not an ISO 8601 time such as 2026-11-24T12:00:00+08:00"),
    ("2026-11-24T10:00+08:00,1,2,100\n", "3: error: errors: 2 is more than the count (1)"),
    ("2026-11-24T10:00+08:00,1,0,fast\n",
     "3: error: latency_ms: 'fast' is not a number of 0 or more"),
    ("2026-11-24T10:00+08:00,1,0,-3\n",
     "3: error: latency_ms: '-3' is not a number of 0 or more"),
    ("2026-11-24T10:00+08:00,1,0,nan\n",
     "3: error: latency_ms: 'nan' is not a number of 0 or more"),
    ("2026-11-24T10:00+08:00,2,0,100\n",
     "3: error: latency_ms is the latency of one check: its count must be 1"),
    ("2026-11-24T10:00+08:00,1,0\n", "3: error: 3 values for 4 columns"),
])
def test_a_bad_row_is_an_error_at_its_line(repo: Repo, rows: str, message: str) -> None:
    repo.write("metrics/api/2026-11.csv", HEADER + "2026-11-24T09:00:00+08:00,1,0,90\n" + rows)
    result = repo.check()
    assert result.exit_code == 1
    assert problem_lines(result) == [f"{shown(repo, 'metrics/api/2026-11.csv')}:{message}"]


def test_histogram_rules(repo: Repo) -> None:
    repo.write("metrics/web/a.csv", """\
        time,count,errors,le_100,le_250
        2026-11-24T09:00:00Z,10,0,5,4
        2026-11-24T10:00:00Z,10,0,5,11
        2026-11-24T11:00:00Z,10,0,5,x
        """)
    result = repo.check()
    where = shown(repo, "metrics/web/a.csv")
    assert problem_lines(result) == [
        f"{where}:2: error: le_250: 4 is less than the bucket before it (5); "
        "le_* counts are cumulative",
        f"{where}:3: error: le_250: 11 is more than the count (10), which is the +Inf bucket",
        f"{where}:4: error: le_250: 'x' is not a number of 0 or more",
    ]


def test_header_rules(repo: Repo) -> None:
    repo.write("metrics/api/a.csv", "time,latency_ms,le_100,colour\n")
    repo.write("metrics/web/b.csv", "count,errors\n1,0\n")
    repo.write("metrics/web/c.csv", "time,le_fast\n")
    result = repo.check()
    assert problem_lines(result) == [
        f"{shown(repo, 'metrics/api/a.csv')}:1: error: a file has either a latency_ms column "
        "or le_* columns, not both",
        f"{shown(repo, 'metrics/api/a.csv')}:1: warning: unknown column 'colour' is ignored",
        f"{shown(repo, 'metrics/web/b.csv')}:1: error: no 'time' column: the header must name "
        "the columns, such as 'time,count,errors,latency_ms'",
        f"{shown(repo, 'metrics/web/c.csv')}:1: error: column 'le_fast': the bound must be a "
        "number of milliseconds (such as le_250 or le_99.5)",
    ]


def test_folder_and_forms_across_files(repo: Repo) -> None:
    repo.write("metrics/apii/a.csv", HEADER)
    repo.write("metrics/api/2026-10.csv", HEADER + "2026-10-24T09:00:00Z,1,0,90\n")
    repo.write("metrics/api/2026-11.csv", "time,count,le_100\n2026-11-24T09:00:00Z,3,1\n")
    repo.write("metrics/api/errors-only.csv", "time,count,errors\n2026-11-24T09:00:00Z,3,1\n")
    repo.write("metrics/notes.txt", "not data")
    result = repo.check()
    assert problem_lines(result) == [
        f"{shown(repo, 'metrics/api/2026-11.csv')}:1: error: this file has le_* columns but "
        f"{shown(repo, 'metrics/api/2026-10.csv')} has latency_ms; all files of a component "
        "use one form",
        f"{shown(repo, 'metrics/apii')}: error: no component has the id 'apii' (folders under "
        "metrics/ are component ids)",
        f"{shown(repo, 'metrics/notes.txt')}: warning: files belong in a folder named after "
        "their component; this one is not read",
    ]


def test_a_histogram_row_without_observations_counts_for_the_error_rate_only(
        repo: Repo) -> None:
    # As pull writes it where Prometheus counted requests but no latency observations.
    repo.write("metrics/web/2026-11.csv", "time,count,errors,le_100,le_250\n"
               "2026-11-24T09:00:00+08:00,10.5,0,,\n"
               "2026-11-24T09:05:00+08:00,20,1,5,15\n")
    assert repo.build().exit_code == 0
    web = json.loads((repo.site / "api/metrics.json").read_text())["components"][0]
    day = web["days"][-1]
    assert (day["count"], day["errors"]) == (30.5, 1)
    # Ranks over the one observed row's 20: p50 at 10 lies in (100, 250]; p95 in +Inf.
    assert (day["p50"], day["p95"]) == (175.0, 250.0)
    repo.write("metrics/web/2026-11.csv", "time,count,errors,le_100,le_250\n"
               "2026-11-24T09:00:00+08:00,10.5,0,3,\n")
    result = repo.check()
    assert "2026-11.csv:2: error: le_250: '' is not a number of 0 or more" in result.output


def test_a_bad_file_fails_the_build_and_keeps_the_site(repo: Repo) -> None:
    repo.write("metrics/api/a.csv", HEADER + "2026-11-24T09:00:00+08:00,1,0,90\n")
    assert repo.build().exit_code == 0
    before = (repo.site / "api/metrics.json").read_bytes()
    repo.write("metrics/api/a.csv", HEADER + "2026-11-24T09:00:00+08:00,1,0,90\n"
               "2026-11-24T10:00:00,1,0,80\n")
    result = repo.build()
    assert result.exit_code == 1
    assert "a.csv:3: error: time: '2026-11-24T10:00:00' has no offset" in result.output
    assert (repo.site / "api/metrics.json").read_bytes() == before
    assert json.loads(before)["components"][0]["days"][-1]["count"] == 1


def test_a_file_with_many_bad_rows_reports_a_few(repo: Repo) -> None:
    repo.write("metrics/api/a.csv", HEADER + "".join(
        f"2026-11-24T09:{m:02d}:00,1,0,90\n" for m in range(50)))
    result = repo.check()
    assert result.exit_code == 1
    assert len(problem_lines(result)) == 20


def test_settings_of_targets_and_credits(make_repo: object) -> None:
    from collections.abc import Callable
    assert callable(make_repo)
    made: Callable[[str], Repo] = make_repo  # type: ignore[assignment]
    repo = made("""\
        title: T
        url: https://t.example/
        components:
          - id: api
            latency_target: {percentile: 99}
            probe: {url: "https://api.example/health"}
        metrics:
          error_rate_target: -1
          prometheus: {url: "http://127.0.0.1:9090"}
          colour: blue
        uptime:
          credits: [{below: 99.9, credit: 10}, {below: 101, credit: 25}]
        """)
    result = repo.check()
    where = str(repo.config)
    assert problem_lines(result) == [
        f"{where}:5: error: latency_target: expected '{{percentile: 95, ms: 600}}'",
        f"{where}:8: error: error_rate_target: expected a number above 0 and at most 100, "
        "got -1",
        f"{where}:10: warning: unknown key 'metrics.colour'",
        f"{where}:12: error: below: expected a number above 0 and at most 100, got 101",
    ]


ROW = st.tuples(
    st.datetimes(min_value=__import__("datetime").datetime(2026, 1, 1),
                 max_value=__import__("datetime").datetime(2026, 12, 31)),
    st.sampled_from(["+08:00", "Z", "-05:00"]),
    st.integers(0, 1), st.one_of(st.none(), st.floats(0, 10_000, allow_nan=False)))


@settings(max_examples=60, deadline=None)
@given(st.lists(ROW, max_size=40), st.booleans())
def test_reading_by_columns_and_by_rows_agree(rows: list[tuple[object, str, int, float | None]],
                                              quoted: bool) -> None:
    """A quote in the file sends it through the csv module; a bad last row through the rows
    one by one: each way of reading gives the same days."""
    lines = [f"{t.isoformat(timespec='seconds')}{zone},1,{e},{'' if v is None else repr(v)}"
             for t, zone, e, v in rows]  # type: ignore[attr-defined]
    text = HEADER + "\n".join(lines) + "\n"
    zone = ZoneInfo("Asia/Shanghai")
    fast, problems = read_file(text.encode(), "f.csv", "api", zone)
    assert problems == [] and fast is not None
    slow, problems = read_file((text.replace(",1,", ',"1",', 1) if quoted else text).encode(),
                               "f.csv", "api", zone)
    assert slow is not None
    from statuspage.read import metrics
    reader, found, _ = metrics.read_rows(text.encode(), "f.csv")
    assert reader is not None
    by_rows: dict[int, tuple[float, float, list[float]]] = {}
    day_of = metrics.DayOf(zone)
    for _line, row in found:
        count, errors, values = by_rows.get(day_of(row.time), (0.0, 0.0, []))
        by_rows[day_of(row.time)] = (count + row.total, errors + row.errors,
                                     sorted([*values, *([row.latency] if row.latency is not None
                                                        else [])]))
    for read in (fast, slow):
        assert {o: (d.count, d.errors, list(d.values)) for o, d in read.days.items()} == by_rows


def test_a_kept_file_still_says_its_warnings(repo: Repo) -> None:
    repo.write("metrics/api/a.csv", "time,latency_ms,region\n2026-11-24T09:00:00Z,90,eu\n")
    warning = f"{shown(repo, 'metrics/api/a.csv')}:1: warning: unknown column 'region' is ignored"
    import time
    time.sleep(2.1)  # settled: the next build takes the file as kept, by its status
    for _ in range(2):
        result = repo.build()
        assert result.exit_code == 0 and problem_lines(result) == [warning]
    with (repo.root / "metrics/api/a.csv").open("a") as handle:
        handle.write("2026-11-24T09:05:00Z,95,eu\n")
    assert problem_lines(repo.build()) == [warning]


@pytest.mark.parametrize("extra", ["", ",region"])
def test_a_line_with_a_cell_too_many_beside_one_with_one_too_few(repo: Repo, extra: str) -> None:
    cells = ",eu" if extra else ""
    repo.write("metrics/api/a.csv", f"time,count,errors,latency_ms{extra}\n"
               f"2026-11-24T09:00:00Z,1,0,90{cells}\n"
               f"2026-11-24T09:05:00Z,1,0,90,2026-11-24T09:06:00Z{cells}\n"
               f"2026-11-24T09:10:00Z,1,0{cells}\n"
               f"2026-11-24T09:15:00Z,1,0,90{cells}\n")
    width = 5 if extra else 4
    assert problem_lines(repo.check())[-2:] == [
        f"{shown(repo, 'metrics/api/a.csv')}:3: error: {width + 1} values for {width} columns",
        f"{shown(repo, 'metrics/api/a.csv')}:4: error: {width - 1} values for {width} columns"]
