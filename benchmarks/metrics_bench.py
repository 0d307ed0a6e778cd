"""Measured data at scale: 20 components with a year of 5-minute rows each (about 2.1 million
rows, about 60 MB of CSV, one file a month and component: 18 with each check's latency, 2 with
Prometheus histograms), against the same repository without them.

    python benchmarks/metrics_bench.py [--work /tmp/statuspage-metrics-bench] [--incidents 200]

Prints a Markdown table, and each timed run on stderr. Cold builds (no site, no cache) are the
median of three, with and without the data in turns; peak memory (all processes, sampled as
benchmarks/build_bench.py does) in a cold build of its own; "no change" is a rebuild with
nothing changed, "one row each" a rebuild after one more row was appended to every
component's current file (each the median of three).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from build_bench import Trash, run
from generate import write

NOW = "2026-11-24 12:00"
END = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # NOW in New York
START = END - timedelta(days=365)
STEP = timedelta(minutes=5)
COMPONENTS = 20
HISTOGRAMS = 2
BOUNDS = (100, 250, 500, 1000)


def _latency_rows(rng: random.Random, first: datetime, last: datetime) -> str:
    rows = []
    moment = first
    while moment < last:
        failed = rng.random() < 0.001
        latency = "" if failed and rng.random() < 0.5 else f"{rng.lognormvariate(5, 0.5):.1f}"
        rows.append(f"{moment:%Y-%m-%dT%H:%M:%SZ},1,{int(failed)},{latency}\n")
        moment += STEP
    return "".join(rows)


def _histogram_rows(rng: random.Random, first: datetime, last: datetime) -> str:
    rows = []
    moment = first
    while moment < last:
        count = rng.randint(50, 400)
        cumulative = sorted(rng.randint(0, count) for _ in BOUNDS)
        rows.append(f"{moment:%Y-%m-%dT%H:%M:%SZ},{count},{rng.randint(0, 1)},"
                    + ",".join(map(str, cumulative)) + "\n")
        moment += STEP
    return "".join(rows)


def write_metrics(repo: Path) -> tuple[int, float]:
    """Write a year of rows for each component; return the rows and megabytes written."""
    rng = random.Random(19)
    rows, size = 0, 0
    for n in range(COMPONENTS):
        folder = repo / "metrics" / f"component-{n:03d}"
        folder.mkdir(parents=True)
        histogram = n < HISTOGRAMS
        header = ("time,count,errors," + ",".join(f"le_{b}" for b in BOUNDS) if histogram
                  else "time,count,errors,latency_ms")
        month = START.replace(day=1, hour=0, minute=0)
        while month < END:
            following = (month + timedelta(days=32)).replace(day=1)
            first, last = max(month, START), min(following, END)
            text = header + "\n" + (_histogram_rows if histogram else _latency_rows)(
                rng, first, last)
            path = folder / f"{month:%Y-%m}.csv"
            path.write_text(text)
            rows += text.count("\n") - 1
            size += len(text)
            month = following
    return rows, size / 1e6


def append_row(repo: Path, moment: datetime) -> None:
    """Append one row to every component's newest file."""
    for n in range(COMPONENTS):
        newest = max((repo / "metrics" / f"component-{n:03d}").glob("*.csv"))
        row = (f"{moment:%Y-%m-%dT%H:%M:%SZ},100,0,10,20,30,40\n" if n < HISTOGRAMS
               else f"{moment:%Y-%m-%dT%H:%M:%SZ},1,0,123.4\n")
        with newest.open("a") as handle:
            handle.write(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/statuspage-metrics-bench"))
    parser.add_argument("--incidents", type=int, default=200)
    args = parser.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    trash = Trash(work)
    repos = {}
    for name in ("plain", "measured"):
        repo = work / name
        trash.put(repo)
        write(repo, incidents=args.incidents, years=2, components=COMPONENTS)
        repos[name] = repo
    started = time.perf_counter()
    rows, megabytes = write_metrics(repos["measured"])
    print(f"wrote {rows:,} rows, {megabytes:.1f} MB in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    time.sleep(2.5)  # files settle, as files checked out before a build have

    def build(repo: Path, now: str = NOW) -> list[str]:
        return [sys.executable, "-m", "statuspage.cli", "build", "--config",
                str(repo / "statuspage.yaml"), "--now", now]

    def fresh(repo: Path) -> None:
        for made in (repo / ".statuspage-cache", repo / "site"):
            trash.put(made)

    colds: dict[str, list[float]] = {"plain": [], "measured": []}
    for _ in range(3):
        for name, repo in repos.items():
            fresh(repo)
            colds[name].append(run(build(repo))[0])
    print(f"cold runs {colds}", file=sys.stderr)
    memory = {}
    for name, repo in repos.items():
        fresh(repo)
        memory[name] = run(build(repo), memory=True)[1]
    repo = repos["measured"]
    run(build(repo))
    unchanged = [run(build(repo))[0] for _ in range(3)]
    appended = []
    for n in range(3):
        append_row(repo, END - timedelta(minutes=3 - n))
        time.sleep(0.1)
        appended.append(run(build(repo))[0])
    print(f"no change {unchanged}, one row each {appended}", file=sys.stderr)
    cold = {name: statistics.median(times) for name, times in colds.items()}
    print("| rows | CSV | cold, without | cold, with | more | peak memory, with (without) "
          "| rebuild, no change | rebuild, one row each | more |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {rows:,} | {megabytes:.0f} MB | {cold['plain']:.2f} s | {cold['measured']:.2f} s "
          f"| {cold['measured'] - cold['plain']:+.2f} s | {memory['measured']} MB "
          f"({memory['plain']} MB) | {statistics.median(unchanged):.2f} s "
          f"| {statistics.median(appended):.2f} s "
          f"| {statistics.median(appended) - statistics.median(unchanged):+.2f} s |")
    trash.empty()


if __name__ == "__main__":
    main()
