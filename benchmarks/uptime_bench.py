"""Time the uptime computation: 100 components, 10,000 incidents over 10 years, 365-day
histories (issue target: under one second on the 2-core reference machine).

    python benchmarks/uptime_bench.py [--components 100] [--incidents 10000] [--years 10]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from statuspage.compute.uptime import compute
from statuspage.model import (
    Component,
    ComponentStatus,
    Incident,
    Maintenance,
    Site,
    StatusStep,
    Update,
)
from statuspage.read.config import DEFAULT_SEVERITIES, SiteConfig

STATUSES = [ComponentStatus.MAJOR_OUTAGE, ComponentStatus.PARTIAL_OUTAGE,
            ComponentStatus.DEGRADED_PERFORMANCE]


def synthetic(components: int, incidents: int, years: int, seed: int = 7) -> tuple[
        SiteConfig, Site, datetime]:
    """Return a reproducible configuration and site of the given size."""
    rng = random.Random(seed)
    zone = ZoneInfo("America/New_York")
    now = datetime(2026, 11, 24, 12, 0, tzinfo=zone)
    first = now - timedelta(days=365 * years)
    comps = tuple(Component(f"c{n:03d}", f"Component {n}", group=f"g{n % 8}",
                            since=(first + timedelta(days=rng.randint(0, 400))).date())
                  for n in range(components))
    made = []
    for n in range(incidents):
        start = first + timedelta(minutes=rng.randint(0, 365 * years * 1440 - 6000))
        end = start + timedelta(minutes=rng.randint(5, 600))
        affected = {}
        for comp in rng.sample(comps, rng.randint(1, 3)):
            steps, at = [], start
            for _ in range(rng.randint(1, 3)):
                steps.append(StatusStep(at, rng.choice(STATUSES)))
                at += timedelta(minutes=rng.randint(1, 60))
                if at >= end:
                    break
            affected[comp.id] = tuple(steps)
        made.append(Incident(f"i{n}", "", "", rng.choice(DEFAULT_SEVERITIES), start, affected, "",
                             (Update("resolved", end, "", 0),)))
    maintenance = []
    for n in range(incidents // 50):
        start = first + timedelta(hours=rng.randint(0, 365 * years * 24 - 10))
        maintenance.append(Maintenance(f"m{n}", "", "", tuple(c.id for c in rng.sample(comps, 3)),
                                       start, start + timedelta(hours=2), "", ()))
    config = SiteConfig(root=Path("."), shown_root="", title="Bench", url="https://b.example/",
                        timezone=zone, components=comps)
    return config, Site(tuple(made), tuple(maintenance)), now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--components", type=int, default=100)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    config, site, now = synthetic(args.components, args.incidents, args.years)
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = compute(config, site, now, days=365)
        timings.append(time.perf_counter() - started)
    days = sum(len(r.days) for r in result)
    months = sum(len(r.months) for r in result)
    print(f"uptime: {args.components} components, {args.incidents:,} incidents over "
          f"{args.years} years, {days:,} component-days and {months:,} component-months")
    print(f"best {min(timings):.3f} s, median {sorted(timings)[len(timings) // 2]:.3f} s "
          f"of {args.repeat} runs")
    assert date.fromisoformat(str(result[0].days[-1].date)) == now.date()


if __name__ == "__main__":
    main()
