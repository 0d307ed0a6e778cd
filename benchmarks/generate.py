"""Write a synthetic status repository: N incidents over Y years, C components, bodies with
lists, tables and links, 2-5 updates each, some status steps, maintenance and postmortems.

    python benchmarks/generate.py OUT [--incidents 10000] [--years 10] [--components 100]

The same arguments always write the same files.
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta
from pathlib import Path

STATUSES = ["degraded_performance", "partial_outage", "major_outage"]
WORDS = ("api", "gateway", "cache", "database", "region", "latency", "errors", "queue",
         "worker", "deploy", "config", "rollback", "replica", "shard", "timeout", "request",
         "customer", "retry", "network", "disk", "certificate")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    return " ".join(words).capitalize() + "."


def _body(rng: random.Random, kind: int) -> str:
    text = " ".join(_sentence(rng) for _ in range(rng.randint(1, 3)))
    if kind == 0:
        text += "\n\n- " + "\n- ".join(_sentence(rng) for _ in range(3))
    elif kind == 1:
        text += ("\n\n| region | error rate |\n|---|---:|\n| us-east | 2.1% |\n"
                 "| eu-west | 0.4% |\n")
    elif kind == 2:
        text += " See [the runbook](https://docs.example.com/runbooks/api) for details."
    return text


def write(out: Path, incidents: int, years: int, components: int, seed: int = 1) -> None:
    """Write the repository into `out` (which must not exist yet)."""
    rng = random.Random(seed)
    (out / "incidents").mkdir(parents=True)
    now = datetime(2026, 11, 24, 12, 0)
    first = now - timedelta(days=365 * years)
    lines = ["title: Synthetic Status", "url: https://status.synthetic.example/",
             "timezone: America/New_York", "language: en", "components:"]
    ids = [f"component-{n:03d}" for n in range(components)]
    for n, cid in enumerate(ids):
        lines += [f"  - id: {cid}", f"    name: Component {n}", f"    group: Group {n % 10}",
                  f"    since: {first.date().isoformat()}"]
    (out / "statuspage.yaml").write_text("\n".join(lines) + "\n")
    span = int((now - first).total_seconds() // 60) - 3 * 24 * 60
    for n in range(incidents):
        started = first + timedelta(minutes=rng.randint(0, span))
        folder = out / "incidents" / f"{started.year}"
        folder.mkdir(exist_ok=True)
        slug = f"{started:%Y-%m-%d}-incident-{n:05d}"
        affected = rng.sample(ids, rng.randint(1, 3))
        front = ["---", f"title: Incident {n} on {affected[0]}",
                 f"severity: P{rng.randint(0, 3)}", f"started: {started:%Y-%m-%d %H:%M}",
                 "components:"]
        for index, cid in enumerate(affected):
            if index == 0 and rng.random() < 0.3:
                second = started + timedelta(minutes=rng.randint(5, 30))
                front += [f"  {cid}:", f"    - {{at: {started:%Y-%m-%d %H:%M}, status: "
                                       f"{rng.choice(STATUSES)}}}",
                          f"    - {{at: {second:%Y-%m-%d %H:%M}, status: "
                                                      f"{rng.choice(STATUSES)}}}"]
            else:
                front.append(f"  {cid}: {rng.choice(STATUSES)}")
        front.append("---")
        statuses = ["Investigating", "Identified", "Monitoring"][: rng.randint(1, 3)]
        moment = started + timedelta(minutes=rng.randint(3, 20))
        updates = []
        for status in statuses:
            updates.append(f"## {status} — {moment:%Y-%m-%d %H:%M}\n\n{_body(rng, n % 4)}\n")
            moment += timedelta(minutes=rng.randint(10, 90))
        moment += timedelta(minutes=rng.randint(40, 120))
        updates.append(f"## Resolved — {moment:%Y-%m-%d %H:%M}\n\n{_sentence(rng)}\n")
        body = "\n".join([_body(rng, 3), *reversed(updates)])
        (folder / f"{slug}.md").write_text("\n".join(front) + "\n\n" + body)
        if n % 25 == 0:
            published = moment + timedelta(days=2)
            (folder / f"{slug}.postmortem.md").write_text(
                f"---\npublished: {published:%Y-%m-%d %H:%M}\n---\n\n## Summary\n\n"
                f"{_body(rng, 0)}\n\n## Root cause\n\n{_body(rng, 1)}\n")
    for n in range(max(1, incidents // 100)):
        start = first + timedelta(hours=rng.randint(0, span // 60))
        (out / "incidents" / f"{start:%Y-%m-%d}-maintenance-{n:04d}.md").write_text(
            f"---\ntitle: Maintenance {n}\ntype: maintenance\n"
            f"components: [{', '.join(rng.sample(ids, 2))}]\n"
            f"scheduled: {start:%Y-%m-%d %H:%M}\nuntil: {start + timedelta(hours=2):%Y-%m-%d %H:%M}"
            f"\n---\n{_sentence(rng)}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--components", type=int, default=100)
    args = parser.parse_args()
    write(args.out, args.incidents, args.years, args.components)


if __name__ == "__main__":
    main()
