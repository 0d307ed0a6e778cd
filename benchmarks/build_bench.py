"""Build speed at scale: cold build, rebuild with no change, rebuild after one edit, peak
memory and output size, for N = 1,000 and 10,000 incidents; and Pelican on the same Markdown
in the same run, for comparison.

    python benchmarks/build_bench.py [--sizes 1000 10000] [--work /tmp/statuspage-bench]

Pelican is optional (pip install pelican); without it that column is skipped. Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from generate import write

NOW = "2026-11-24 12:00"


def run(command: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Return the wall time in seconds and the peak memory in MB of a command."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()[-2000:]}"
                         if process.stderr else "failed")
    return elapsed, usage.ru_maxrss // 1024


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def pelican_time(repo: Path, work: Path) -> float | None:
    """Return Pelican's time to build the same incident Markdown as articles."""
    if importlib.util.find_spec("pelican") is None:
        return None
    content = work / "pelican-content"
    shutil.rmtree(content, ignore_errors=True)
    content.mkdir(parents=True)
    for path in (repo / "incidents").rglob("*.md"):
        if path.name.endswith(".postmortem.md"):
            continue
        _, front, body = path.read_text().split("---\n", 2)
        title = next(line[7:] for line in front.splitlines() if line.startswith("title: "))
        started = next((line[9:] for line in front.splitlines() if line.startswith("started: ")),
                       "2026-01-01 00:00")
        (content / path.name).write_text(f"Title: {title}\nDate: {started}\n\n{body}")
    settings = work / "pelicanconf.py"
    settings.write_text("SITENAME = 'bench'\nSITEURL = ''\nTIMEZONE = 'UTC'\n"
                        "DEFAULT_PAGINATION = 10\nRELATIVE_URLS = True\n")
    output = work / "pelican-output"
    shutil.rmtree(output, ignore_errors=True)
    elapsed, _memory = run([sys.executable, "-m", "pelican", str(content), "-o", str(output),
                            "-s", str(settings), "-q"])
    return elapsed


def bench(size: int, work: Path) -> dict[str, str]:
    repo = work / f"repo-{size}"
    shutil.rmtree(repo, ignore_errors=True)
    write(repo, incidents=size, years=10, components=100)
    build = [sys.executable, "-m", "statuspage.cli", "build", "--config",
             str(repo / "statuspage.yaml"), "--now", NOW]
    cold, memory = run(build)
    unchanged, _ = run(build)
    edited = sorted((repo / "incidents").rglob("*.md"))[size // 2]
    with edited.open("a") as handle:
        handle.write("\nOne more sentence for the benchmark.\n")
    one_edit, _ = run(build)
    pelican = pelican_time(repo, work)
    return {
        "incidents": f"{size:,}",
        "cold build": f"{cold:.1f} s",
        "no change": f"{unchanged:.1f} s",
        "one edit": f"{one_edit:.1f} s",
        "peak memory": f"{memory} MB",
        "output": f"{size_mb(repo / 'site'):.0f} MB",
        "Pelican, same Markdown": f"{pelican:.1f} s" if pelican is not None else "not installed",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/statuspage-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = [bench(size, args.work) for size in args.sizes]
    print(f"machine: {os.cpu_count()} cores; statuspage build --now '{NOW}'")
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "---|" * len(rows[0]))
    for row in rows:
        print("| " + " | ".join(row.values()) + " |")


if __name__ == "__main__":
    main()
