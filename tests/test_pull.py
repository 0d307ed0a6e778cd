"""`statuspage pull` from a real Prometheus: Debian's `prometheus`, started on 127.0.0.1 over a
TSDB that `promtool` filled with known counters and histograms; the rows written are compared
with what the same queries answer over Prometheus's HTTP API."""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo, problem_lines
from localservers import closed_port, endpoints

START = 1796076000  # 2026-11-30T22:00:00Z: the data cross into December
HOURS = 4
STEP = 300
REQUESTS = 'sum(increase(http_requests_total{job="chat"}[5m]))'
ERRORS = 'sum(increase(http_requests_total{job="chat",code=~"5.."}[5m]))'
LATENCY = 'sum by (le) (increase(http_request_duration_seconds_bucket{job="chat"}[5m]))'
BOUNDS = ("0.05", "0.1", "0.25", "0.5", "1", "+Inf")
COLUMNS = {"0.05": "le_50", "0.1": "le_100", "0.25": "le_250", "0.5": "le_500", "1": "le_1000"}


def openmetrics() -> str:
    """Return four hours of a chat service's counters and latency histogram, scraped every
    15 seconds, from a seeded random source (the same every run)."""
    source = random.Random(20)
    requests = {"200": 0, "500": 0}
    buckets = [0] * len(BOUNDS)
    total = 0.0
    counter = ["# TYPE http_requests counter"]
    histogram = ["# TYPE http_request_duration_seconds histogram"]
    for index in range(HOURS * 3600 // 15):
        at = START + index * 15
        good, bad = source.randint(0, 20), source.choice([0, 0, 0, 1, 3])
        requests["200"] += good
        requests["500"] += bad
        for code, value in requests.items():
            counter.append(f'http_requests_total{{job="chat",code="{code}"}} {value} {at}')
        for _ in range(good + bad):
            took = source.choice([0.01, 0.07, 0.2, 0.3, 0.7, 2.0])
            total += took
            for number, bound in enumerate(BOUNDS):
                if bound == "+Inf" or took <= float(bound):
                    buckets[number] += 1
        for number, bound in enumerate(BOUNDS):
            histogram.append(f'http_request_duration_seconds_bucket{{job="chat",le="{bound}"}}'
                             f" {buckets[number]} {at}")
        histogram.append(f'http_request_duration_seconds_count{{job="chat"}} {buckets[-1]} {at}')
        histogram.append(f'http_request_duration_seconds_sum{{job="chat"}} {total:.3f} {at}')
    return "\n".join([*counter, *histogram, "# EOF"]) + "\n"


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prometheus stopped: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"prometheus did not get ready in 30 s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start Debian's prometheus on 127.0.0.1 over promtool-made blocks; yield its URL."""
    binaries = shutil.which("prometheus"), shutil.which("promtool")
    if None in binaries:
        if os.environ.get("CI"):
            pytest.fail("prometheus and promtool are needed (apt-get install prometheus)")
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    folder = tmp_path_factory.mktemp("prometheus")
    (folder / "data.om").write_text(openmetrics())
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics",
                    str(folder / "data.om"), str(folder / "tsdb")],
                   check=True, capture_output=True, timeout=60)
    (folder / "prometheus.yml").write_text("global: {}\n")
    port = closed_port()
    log = folder / "prometheus.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["prometheus", f"--config.file={folder / 'prometheus.yml'}",
             f"--storage.tsdb.path={folder / 'tsdb'}", "--storage.tsdb.retention.time=100y",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=output, stderr=output, cwd=folder)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def config(url: str = "", extra: str = "", queries: str = "") -> str:
    server = extra or f"{{url: '{url}', step: 5m}}"
    return f"""\
title: Pull Status
url: https://status.test.example/
timezone: Asia/Shanghai
metrics:
  prometheus: {server}
components:
  - id: chat
    name: Chat
    prometheus:
{queries or f'''      requests: '{REQUESTS}'
      errors: '{ERRORS}'
      latency: '{LATENCY}'
'''}"""


def asked(url: str, query: str, start: int, end: int) -> list[dict[str, Any]]:
    """Return the series Prometheus answers for a range query, asked directly."""
    address = f"{url}/api/v1/query_range?" + urllib.parse.urlencode(
        {"query": query, "start": start, "end": end, "step": STEP})
    with urllib.request.urlopen(address, timeout=10) as answer:
        body = json.loads(answer.read())
    assert body["status"] == "success"
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def rows(repo: Repo) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for path in sorted((repo.root / "metrics/chat").glob("*.csv")):
        with path.open(newline="") as handle:
            found += list(csv.DictReader(handle))
    return found


def stamp(at: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def expected_rows(url: str, start: int, end: int) -> list[dict[str, str]]:
    """Return the rows Prometheus's own answers make: evaluation t is the row of t - step."""
    (requests,) = asked(url, REQUESTS, start, end)
    (errors,) = asked(url, ERRORS, start, end)
    buckets = {series["metric"]["le"]: dict(series["values"])
               for series in asked(url, LATENCY, start, end)}
    made = []
    for at, count in requests["values"]:
        row = {"time": stamp(at - STEP), "count": count, "errors": dict(errors["values"])[at]}
        for bound, column in COLUMNS.items():
            row[column] = buckets[bound][at]
        made.append(row)
    return made


def test_pull_writes_what_prometheus_answers_once(
        make_repo: Callable[..., Repo], prometheus: str) -> None:
    repo = make_repo(config(prometheus))
    # (A bucket is pulled a minute after it ends: at 00:07 the last is 00:00-00:05.)
    since, middle, now = "2026-11-30 22:00 Z", "2026-12-01 00:07 Z", "2026-12-01 02:01 Z"
    first = repo.run("pull", "--since", since, "--now", middle)
    assert first.exit_code == 0, first.output
    assert first.output == (f"chat: 25 rows into {repo.root}/metrics/chat/2026-11.csv, "
                            f"{repo.root}/metrics/chat/2026-12.csv\n")
    # Evaluations at 22:05 ... 00:05 cover the buckets that start at 22:00 ... 00:00.
    assert rows(repo) == expected_rows(prometheus, START + STEP, START + 25 * STEP)
    assert rows(repo)[0]["time"] == "2026-11-30T22:00:00Z"
    assert rows(repo)[-1]["time"] == "2026-12-01T00:00:00Z"
    header = (repo.root / "metrics/chat/2026-12.csv").read_text().splitlines()[0]
    assert header == "time,count,errors,le_50,le_100,le_250,le_500,le_1000"
    again = repo.run("pull", "--since", since, "--now", middle)
    assert again.output == "chat: up to date\n" and len(rows(repo)) == 25
    rest = repo.run("pull", "--now", now)
    assert rest.exit_code == 0, rest.output
    assert rest.output == f"chat: 23 rows into {repo.root}/metrics/chat/2026-12.csv\n"
    whole = expected_rows(prometheus, START + STEP, START + 48 * STEP)
    assert rows(repo) == whole and len(whole) == 48
    assert rows(repo)[-1]["time"] == "2026-12-01T01:55:00Z"
    assert any(float(r["errors"]) > 0 for r in whole)
    assert any(r["le_1000"] != r["count"] for r in whole)
    assert repo.build("2026-12-01 10:00 +08:00").exit_code == 0


def test_pull_refusals_name_component_and_query_and_write_nothing(
        make_repo: Callable[..., Repo], prometheus: str) -> None:
    repo = make_repo(config(prometheus, queries="""\
      requests: 'sum(increase(http_requests_total{job="chat"}[5m]))'
      errors: 'sum(increase(http_requests_total{job="chat",code=~"5.."}[5m])'
"""))
    result = repo.run("pull", "--since", "2026-11-30 22:00 Z", "--now", "2026-12-01 00:00 Z")
    assert result.exit_code == 1
    (line,) = problem_lines(result)
    assert line.startswith(f"{repo.config}:11: error: chat: prometheus.errors: Prometheus "
                           f"at {prometheus} answered 400: bad_data: ")
    assert "parse error" in line
    assert line.endswith('(query: sum(increase(http_requests_total{job="chat",code=~"5.."}'
                         '[5m]))')
    assert "no metrics file was changed" in result.output and not (repo.root / "metrics").exists()
    many = make_repo(config(prometheus, queries="""\
      requests: 'increase(http_requests_total{job="chat"}[5m])'
"""), "many")
    result = many.run("pull", "--since", "2026-11-30 22:00 Z", "--now", "2026-12-01 00:00 Z")
    assert result.exit_code == 1
    assert "chat: prometheus.requests: the answer has 2 series; sum them into one" in (
        result.output)
    closed = make_repo(config(f"http://127.0.0.1:{closed_port()}"), "closed")
    result = closed.run("pull", "--since", "2026-11-30 22:00 Z", "--now", "2026-12-01 00:00 Z")
    assert result.exit_code == 1
    assert "chat: prometheus.requests: cannot reach Prometheus at http://127.0.0.1:" in (
        result.output)
    assert "Connection refused" in result.output and f"(query: {REQUESTS})" in result.output
    with endpoints() as other:
        wrong = make_repo(config(other.base), "wrong")
        result = wrong.run("pull", "--since", "2026-11-30 22:00 Z", "--now",
                           "2026-12-01 00:00 Z")
    assert result.exit_code == 1, result.output
    assert f"chat: prometheus.requests: Prometheus at {other.base} answered 404" in (
        result.output)
    for made in (repo, many, closed, wrong):
        assert not (made.root / "metrics").exists()


class _Guard(BaseHTTPRequestHandler):
    """Passes requests on to Prometheus only with the right bearer token."""

    target = ""

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != "Bearer t0ken-from-env":
            body, code = b'{"status":"error","errorType":"auth","error":"who are you"}', 401
        else:
            with urllib.request.urlopen(self.target + self.path, timeout=10) as answer:
                body, code = answer.read(), answer.status
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_pull_sends_the_token_from_the_environment_and_never_shows_it(
        make_repo: Callable[..., Repo], prometheus: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    handler = type("Guard", (_Guard,), {"target": prometheus})
    guard = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=guard.serve_forever, daemon=True)
    thread.start()
    try:
        repo = make_repo(config(extra="{url_env: PROM_URL, token_env: PROM_TOKEN}"))
        monkeypatch.setenv("PROM_URL", f"http://127.0.0.1:{guard.server_address[1]}")
        monkeypatch.setenv("PROM_TOKEN", "wrong-t0ken")
        args = ("pull", "--since", "2026-11-30 22:00 Z", "--now", "2026-11-30 23:01 Z")
        refused = repo.run(*args)
        assert refused.exit_code == 1 and "answered 401: auth: who are you" in refused.output
        assert "t0ken" not in refused.output
        monkeypatch.setenv("PROM_TOKEN", "t0ken-from-env")
        result = repo.run(*args)
        assert result.exit_code == 0, result.output
        assert rows(repo) == expected_rows(prometheus, START + STEP, START + 12 * STEP)
        monkeypatch.delenv("PROM_TOKEN")
        unset = repo.run(*args)
        assert unset.exit_code == 1 and "PROM_TOKEN is not set" in unset.output
    finally:
        guard.shutdown()
        guard.server_close()
