"""Build speed at scale: cold build, rebuild with no change, rebuild after one edit, peak
memory and output size, for N = 1,000 and 10,000 incidents; and Pelican on the same Markdown
in the same run, for comparison.

    python benchmarks/build_bench.py [--sizes 1000 10000] [--work /tmp/statuspage-bench]

Pelican is optional (pip install 'pelican[markdown]': without Markdown support it skips every
article); without it those columns are skipped. Prints a
Markdown table, and each timed run on stderr.

The cold build and Pelican's are each the median of three runs, taken in turns (ours, then
Pelican's, three times), so that a machine slowing down for a minute slows both; the ratio is
that of the medians. Each cold run starts from the repository as a fresh clone has it: no site,
no cache (the machine's key and library versions under ~/.cache/statuspage stay, as on a
developer's machine; a machine's very first build looks the versions up, about 60 ms more).
Memory is sampled in a cold build of its own after them, as the sampling takes CPU.
The rebuild columns are each the median of three runs: "no change" at the same time, "one
edit" after appending to a different incident each time, and "10 min later" at 12:10:00, :01
and :02 with the last edit a few seconds old, as a scheduled build would find it.

Nothing is deleted until every run is timed: earlier sites, caches and Pelican outputs are
moved aside and removed at the end. On a file system that must not reuse an inode soon after
it is freed (ext4 without a journal, as on the reference machine), making a file right after
tens of thousands were deleted costs a look at each of them in the kernel (perf shows ext4's
recently_deleted): a cold build at 10,000 incidents took 1-6 s longer right after sites were
deleted than on a quiet disk, its kernel time 3.9-9.9 s against 2.2 s.
A CI runner's fresh clone has nothing of the kind, and Pelican's output would pay it too.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from generate import write

NOW = "2026-11-24 12:00"
LATER = "2026-11-24 12:10"
"""A rebuild with nothing changed but the clock (the index, uptime figures and component
pages move with it), as a scheduled CI build makes."""


def _tree_pss_kb(root: int) -> int:
    """Return the proportional set size of a process and all its descendants, in KB (shared
    pages are split between the processes that share them, so forked workers count once)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def run(command: list[str], cwd: Path | None = None, memory: bool = False) -> tuple[float, int]:
    """Return the wall time in seconds of a command and, if `memory`, the peak memory in MB of
    it and its worker processes together (sampled every 50 ms, which costs some CPU, so only
    where memory is reported); otherwise its own peak resident size."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        # (Not process.poll(): it could reap the process before wait4 below gets its usage.)
        while memory and not done.wait(0.05):
            peak[0] = max(peak[0], _tree_pss_kb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()[-2000:]}"
                         if process.stderr else "failed")
    return elapsed, max(peak[0], usage.ru_maxrss) // 1024


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


class Trash:
    """Folders this run is done with, moved aside now and deleted when every timing is over."""

    def __init__(self, work: Path) -> None:
        self.folder = work / "trash"
        shutil.rmtree(self.folder, ignore_errors=True)  # a killed run's (before any timing)
        self.folder.mkdir()
        self.count = 0

    def put(self, path: Path) -> None:
        """Move `path` (if it is there) into the trash."""
        if path.exists():
            self.count += 1
            path.rename(self.folder / str(self.count))

    def empty(self) -> None:
        """Delete what the trash holds, once nothing more is timed."""
        shutil.rmtree(self.folder)


def pelican_content(repo: Path, work: Path, trash: Trash) -> Path | None:
    """Write the incident Markdown as Pelican articles; None if Pelican is not installed."""
    if importlib.util.find_spec("pelican") is None:
        return None
    content = work / "pelican-content"
    trash.put(content)
    content.mkdir(parents=True)
    for path in (repo / "incidents").rglob("*.md"):
        if path.name.endswith(".postmortem.md"):
            continue
        _, front, body = path.read_text().split("---\n", 2)
        title = next(line[7:] for line in front.splitlines() if line.startswith("title: "))
        started = next((line[9:] for line in front.splitlines() if line.startswith("started: ")),
                       "2026-01-01 00:00")
        (content / path.name).write_text(f"Title: {title}\nDate: {started}\n\n{body}")
    (work / "pelicanconf.py").write_text(
        "SITENAME = 'bench'\nSITEURL = ''\nTIMEZONE = 'UTC'\n"
        "DEFAULT_PAGINATION = 10\nRELATIVE_URLS = True\n")
    return content


def pelican_time(content: Path, work: Path, trash: Trash) -> float:
    """Return Pelican's time to build the articles into an output folder of its own."""
    output = work / "pelican-output"
    trash.put(output)
    elapsed, _memory = run([sys.executable, "-m", "pelican", str(content), "-o", str(output),
                            "-s", str(work / "pelicanconf.py"), "-q"])
    # Without the markdown package Pelican skips every .md file, quietly, in a fraction of
    # the time: a comparison with that would be meaningless.
    articles = sum(1 for _ in output.glob("*.html")) - 6
    if articles < sum(1 for _ in content.glob("*.md")) // 2:
        raise SystemExit("Pelican made no article pages: install it with its Markdown support, "
                         "pip install 'pelican[markdown]'")
    return elapsed


def bench(size: int, work: Path, trash: Trash) -> dict[str, str]:
    repo = work / f"repo-{size}"
    trash.put(repo)
    write(repo, incidents=size, years=10, components=100)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com",
                    "commit", "-qm", "synthetic"], cwd=repo, check=True)
    content = pelican_content(repo, work, trash)
    time.sleep(2.5)  # let the files settle, as files checked out before a build have
    build = [sys.executable, "-m", "statuspage.cli", "build", "--config",
             str(repo / "statuspage.yaml"), "--now", NOW]

    def fresh() -> None:
        for made in (repo / ".statuspage-cache", repo / "site"):
            trash.put(made)

    # Cold builds, ours and Pelican's in turns; each of ours timed alone, as Pelican's is.
    colds: list[float] = []
    pelicans: list[float] = []
    for _ in range(3):
        fresh()
        os.sync()  # neither pays for writing out the other's files
        colds.append(run(build)[0])
        if content is not None:
            os.sync()
            pelicans.append(pelican_time(content, work, trash))
    print(f"{size}: cold runs {[round(t, 2) for t in colds]}, Pelican "
          f"{[round(t, 2) for t in pelicans]}", file=sys.stderr)
    cold = statistics.median(colds)
    pelican = statistics.median(pelicans) if pelicans else None
    # Memory is sampled in a cold build of its own: the sampler walks /proc every 50 ms.
    fresh()
    _, memory = run(build, memory=True)
    second, _ = run(build)  # sets aside the replaced site as the next build's start
    # Rebuilds are short and this machine is noisy: each is the median of three.
    unchanged = statistics.median(run(build)[0] for _ in range(3))
    files = sorted((repo / "incidents").rglob("*-incident-*.md"))
    edits = []
    for n in range(3):
        with files[size // 2 + n * 7].open("a") as handle:
            handle.write("\nOne more sentence for the benchmark.\n")
        edits.append(run(build)[0])
    one_edit = statistics.median(edits)
    time.sleep(2.5)  # a scheduled build finds the last edit settled
    laters = [run([*build[:-1], f"{LATER}:{n:02d}"])[0] for n in range(3)]
    print(f"{size}: later runs {[round(t, 2) for t in laters]}", file=sys.stderr)
    later = statistics.median(laters)
    return {
        "incidents": f"{size:,}",
        "cold build": f"{cold:.1f} s",
        "second build": f"{second:.1f} s",
        "no change": f"{unchanged:.1f} s",
        "no change, 10 min later": f"{later:.1f} s",
        "one edit": f"{one_edit:.1f} s",
        "peak memory (all processes)": f"{memory} MB",
        "output": f"{size_mb(repo / 'site'):.0f} MB",
        "Pelican, same Markdown": f"{pelican:.1f} s" if pelican is not None else "not installed",
        "cold / Pelican": f"{cold / pelican:.2f}" if pelican is not None else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/statuspage-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    trash = Trash(args.work)
    rows = [bench(size, args.work, trash) for size in args.sizes]
    trash.empty()
    print(f"machine: {os.cpu_count()} cores; statuspage build --now '{NOW}'")
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "---|" * len(rows[0]))
    for row in rows:
        print("| " + " | ".join(row.values()) + " |")


if __name__ == "__main__":
    main()
