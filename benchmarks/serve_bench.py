"""`statuspage serve` at scale: the time from saving an incident file to the reloaded page
showing the change, as a reader's browser sees it (the page's long poll answers, then the page
is fetched again), for a repository of N incidents.

    python benchmarks/serve_bench.py [--incidents 1000] [--edits 5] [--work /tmp/statuspage-bench]

Prints the median and the slowest of the edits; the debounce that gathers a burst of saves
into one rebuild is part of the time.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from generate import write

WAIT = "/__statuspage/wait"


def _get(url: str, timeout: float = 60) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return str(response.read().decode())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/statuspage-bench"))
    args = parser.parse_args()
    repo = args.work / f"serve-{args.incidents}"
    shutil.rmtree(repo, ignore_errors=True)
    write(repo, incidents=args.incidents, years=10, components=100)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "statuspage.cli", "serve", "--config",
                               str(repo / "statuspage.yaml"), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                _get(base + "/")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("serve did not come up") from None
                time.sleep(0.2)
        files = sorted(p for p in (repo / "incidents").rglob("*-incident-*.md")
                       if not p.name.endswith(".postmortem.md"))
        timings = []
        for n in range(args.edits):
            time.sleep(1.0)  # a quiet moment between edits, as when a person types and saves
            version = int(_get(f"{base}{WAIT}?v=0"))
            answered = threading.Event()

            def poll(seen: int = version, done: threading.Event = answered) -> None:
                _get(f"{base}{WAIT}?v={seen}")
                done.set()

            threading.Thread(target=poll, daemon=True).start()
            time.sleep(0.3)  # the long poll is waiting
            target = files[(n * 7919) % len(files)]
            sentence = f"Benchmark edit number {n} at {time.time_ns()}."
            started = time.perf_counter()
            with target.open("a") as handle:
                handle.write(f"\n{sentence}\n")
            if not answered.wait(60):
                raise SystemExit("the page was never told to reload")
            slug = target.stem
            page = _get(f"{base}/incidents/{slug}/")
            elapsed = time.perf_counter() - started
            if sentence not in page:
                raise SystemExit(f"the reloaded page of {slug} does not show the edit")
            timings.append(elapsed)
        print(f"serve, {args.incidents:,} incidents: save to reloaded page, median "
              f"{statistics.median(timings):.2f} s, slowest {max(timings):.2f} s "
              f"({len(timings)} edits)")
        print("each edit, in order:", " ".join(f"{t:.2f}" for t in timings), file=sys.stderr)
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
