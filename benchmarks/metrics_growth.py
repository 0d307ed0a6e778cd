"""How much a year of probe rows adds to a repository: raw, and as git stores it when the rows
are committed once a month, once a day (as the scheduled workflow's data branch does), or at
every run (measured over one week and scaled to the year).

    python benchmarks/metrics_growth.py [--interval 300] [--components 1]

Each layout is written with `git fast-import` into a scratch repository, then `git gc
--aggressive` packs it and `git count-objects -v` gives the size.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta

HEADER = "time,count,errors,latency_ms\n"


def year_of_rows(interval: int, seed: int = 1) -> list[tuple[datetime, str]]:
    """Return a year of one component's probe rows: mostly fast answers, a few slow ones,
    a failed check now and then."""
    source = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for number in range(365 * 86400 // interval):
        at = start + timedelta(seconds=number * interval)
        failed = source.random() < 0.002
        latency = "" if failed and source.random() < 0.5 else \
            f"{source.lognormvariate(4.5, 0.5):.1f}"
        stamp = at.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
        rows.append((at, f"{stamp},1,{int(failed)},{latency}\n"))
    return rows


def _blob(data: bytes) -> bytes:
    return b"data %d\n" % len(data) + data + b"\n"


def stream(rows: list[tuple[datetime, str]], every: str, components: int) -> bytes:
    """Return a fast-import stream committing the rows month file by month file, a commit
    at the end of each `every` period ('month', 'day' or 'run')."""
    out = bytearray()
    files: dict[str, str] = {}
    changed: set[str] = set()
    commits = 0
    when = 0

    def commit() -> None:
        nonlocal commits
        out.extend(b"commit refs/heads/data\ncommitter probe <probe@example.com> %d +0000\n"
                   % when)
        out.extend(_blob(f"rows up to {when}".encode()))
        commits += 1  # (each commit continues the branch: fast-import keeps its tip)
        for name in sorted(changed):
            for component in range(components):
                out.extend(b"M 100644 inline metrics/c%d/%s\n" % (component, name.encode()))
                out.extend(_blob(files[name].encode()))
        changed.clear()

    key = None
    for at, line in rows:
        period = {"month": f"{at:%Y-%m}", "day": f"{at:%Y-%m-%d}", "run": at.isoformat()}[every]
        if key is not None and period != key:
            commit()
        key = period
        name = f"{at:%Y-%m}.csv"
        files[name] = files.get(name, HEADER) + line
        changed.add(name)
        when = int(at.timestamp())
    if changed:
        commit()
    return bytes(out)


def packed_size(data: bytes) -> tuple[int, int]:
    """Return (commits' packed size in bytes, number of commits) for a fast-import stream."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["git", "init", "--quiet", "--bare", folder], check=True)
        subprocess.run(["git", "-C", folder, "fast-import", "--quiet"], input=data, check=True)
        subprocess.run(["git", "-C", folder, "gc", "--quiet", "--aggressive", "--prune=now"],
                       check=True)
        counted = subprocess.run(["git", "-C", folder, "count-objects", "-v"], check=True,
                                 capture_output=True, text=True).stdout
        values = dict(line.split(": ") for line in counted.splitlines())
        commits = subprocess.run(["git", "-C", folder, "rev-list", "--count", "data"],
                                 check=True, capture_output=True, text=True).stdout
        return int(values["size-pack"]) * 1024 + int(values["size"]) * 1024, int(commits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=int, default=300, help="seconds between checks")
    parser.add_argument("--components", type=int, default=1)
    options = parser.parse_args()
    rows = year_of_rows(options.interval)
    raw = (len(HEADER) * 12 + sum(len(line) for _at, line in rows)) * options.components
    print(f"{len(rows):,} rows a year per component; raw CSV: {raw / 1e6:.2f} MB")
    for every in ("month", "day"):
        size, commits = packed_size(stream(rows, every, options.components))
        print(f"committed every {every}: {commits:,} commits, {size / 1e6:.2f} MB packed")
    week = [r for r in rows if r[0] < rows[0][0] + timedelta(days=7)]
    size, commits = packed_size(stream(week, "run", options.components))
    print(f"committed every run: {commits:,} commits a week, {size / 1e6:.2f} MB packed; "
          f"about {size * 365 / 7 / 1e6:.0f} MB a year")


if __name__ == "__main__":
    main()
