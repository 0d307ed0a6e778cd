"""`statuspage probe` against real servers on 127.0.0.1: rows, printed lines, timeouts, bad
settings, and rows that stay whole."""

from __future__ import annotations

import csv
import multiprocessing
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Repo, problem_lines
from localservers import Endpoints, closed_port, endpoints

from statuspage.collect import csvrows

HEAD = """\
title: Probe Status
url: https://status.test.example/
timezone: Asia/Shanghai
components:
"""


@pytest.fixture
def server() -> Iterator[Endpoints]:
    with endpoints() as running:
        yield running


def rows_of(repo: Repo, component: str, month: str = "2026-11") -> list[dict[str, str]]:
    with (repo.root / f"metrics/{component}/{month}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_kind_of_check_gives_one_row_and_one_line(
        make_repo: Callable[[str], Repo], server: Endpoints) -> None:
    closed = closed_port()
    checks = {
        "ok": f"{{url: '{server.base}/ok', contains: healthy}}",
        "slow": f"{{url: '{server.base}/slow', timeout: 3s}}",
        "fail": f"{{url: '{server.base}/fail'}}",
        "hang": f"{{url: '{server.base}/hang', timeout: 1s}}",
        "trickle": f"{{url: '{server.base}/trickle', timeout: 1s}}",
        "refused": f"{{url: 'http://127.0.0.1:{closed}/ok'}}",
        "moved": f"{{url: '{server.base}/redirect', follow_redirects: false, expect: 302}}",
        "followed": f"{{url: '{server.base}/redirect', expect: [200, 204]}}",
        "wrong-text": f"{{url: '{server.base}/ok', contains: 'version 2'}}",
        "head": f"{{url: '{server.base}/needs-header', method: HEAD, "
                f"headers: {{X-Probe-Key: secret-ish}}, expect: 200-299}}",
        "tcp-open": f"{{tcp: '127.0.0.1:{server.port}', timeout: 2s}}",
        "tcp-closed": f"{{tcp: '127.0.0.1:{closed}'}}",
    }
    repo = make_repo(HEAD + "".join(f"  - id: {cid}\n    probe: {check}\n"
                                    for cid, check in checks.items()))
    started = time.monotonic()
    result = repo.run("probe", "--now", "2026-11-24 12:00 +08:00")
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    # All at once: the two 1 s timeouts and the slow answer overlap.
    assert elapsed < 2.5, elapsed
    lines = dict(line.split(": ", 1) for line in result.output.splitlines())
    assert list(lines) == list(checks)
    expected = {"ok": "ok: 200 OK", "slow": "ok: 200 OK", "fail": "FAILED: 503 Service "
                "Unavailable (expected 200-299)", "hang": "FAILED: timed out after 1s",
                "trickle": "FAILED: timed out after 1s",
                "refused": "FAILED: connection refused", "moved": "ok: 302 Found",
                "followed": "ok: 200 OK", "wrong-text": "FAILED: 200 OK without 'version 2'",
                "head": "ok: 200 OK", "tcp-open": f"ok: connected to 127.0.0.1:{server.port}",
                "tcp-closed": "FAILED: connection refused"}
    for cid, start in expected.items():
        assert lines[cid].startswith(start), (cid, lines[cid])
    answered = {"ok", "slow", "fail", "moved", "followed", "wrong-text", "head", "tcp-open"}
    for cid in checks:
        text = (repo.root / f"metrics/{cid}/2026-11.csv").read_text()
        assert text.startswith("time,count,errors,latency_ms\n"), cid
        (row,) = rows_of(repo, cid)
        assert row["time"] == "2026-11-24T04:00:00Z"
        assert row["count"] == "1"
        assert row["errors"] == ("0" if expected[cid].startswith("ok") else "1"), cid
        assert (row["latency_ms"] != "") == (cid in answered), (cid, row)
    assert float(rows_of(repo, "slow")[0]["latency_ms"]) >= 300
    assert ("HEAD", "/needs-header") in [(m, p) for m, p, _h in server.seen]
    assert [h.get("X-Probe-Key") for _m, p, h in server.seen if p == "/needs-header"] == [
        "secret-ish"]


def test_rows_are_added_to_the_month_of_the_check_in_utc(
        make_repo: Callable[[str], Repo], server: Endpoints) -> None:
    repo = make_repo(HEAD + f"  - id: api\n    probe: {{url: '{server.base}/ok'}}\n")
    for now in ("2026-11-30 23:55 Z", "2026-12-01 07:55 +08:00", "2026-12-01 00:00 Z"):
        assert repo.run("probe", "--now", now).exit_code == 0
    assert [r["time"] for r in rows_of(repo, "api")] == ["2026-11-30T23:55:00Z",
                                                          "2026-11-30T23:55:00Z"]
    assert [r["time"] for r in rows_of(repo, "api", "2026-12")] == ["2026-12-01T00:00:00Z"]


def test_an_existing_file_keeps_its_header_and_a_cut_line_stays_apart(
        make_repo: Callable[[str], Repo], server: Endpoints) -> None:
    repo = make_repo(HEAD + f"  - id: api\n    probe: {{url: '{server.base}/fail'}}\n")
    path = repo.write("metrics/api/2026-11.csv",
                      "latency_ms,time,note,errors,count\n12,2026-11-24T03:55:00Z,by hand,0,1\n"
                      "13,2026-11-24T03:5")
    assert repo.run("probe", "--now", "2026-11-24 04:00 Z").exit_code == 0
    cut, added = path.read_text().splitlines()[-2:]
    assert cut == "13,2026-11-24T03:5"
    latency, *rest = added.split(",")
    assert float(latency) > 0 and rest == ["2026-11-24T04:00:00Z", "", "1", "1"]


def test_bad_settings_exit_1_naming_the_line(make_repo: Callable[[str], Repo]) -> None:
    repo = make_repo(HEAD + "  - id: api\n    probe: {url: 'ftp://example.com/'}\n"
                            "  - id: db\n    probe: {tcp: 'db.example.com'}\n"
                            "  - id: web\n    probe:\n      url: https://example.com/\n"
                            "      expect: 200-2x9\n      timeout: soon\n"
                            "probe: {failures: 0, severity: P9}\n")
    result = repo.run("probe")
    assert result.exit_code == 1
    config = str(repo.config)
    assert problem_lines(result) == [
        f"{config}:6: error: probe.url: 'ftp://example.com/' must be an absolute http(s) address",
        f"{config}:8: error: probe.tcp: 'db.example.com' must be HOST:PORT, such as "
        "'db.example.com:5432'",
        f"{config}:12: error: probe.expect: '200-2x9' is not a status code (200), a list of "
        "them ([200, 204]) or a range ('200-299')",
        f"{config}:13: error: probe.timeout: 'soon' is not a duration; durations look like "
        "'15m', '4h' or '1d'",
        f"{config}:14: error: probe.failures: expected a whole number from 1 to 1000, got 0",
        f"{config}:14: error: probe.severity: 'P9' is not a severity of this site; use one of "
        "P0, P1, P2, P3",
    ]
    assert not (repo.root / "metrics").exists()


def test_no_probe_settings_is_not_an_error(repo: Repo) -> None:
    result = repo.run("probe")
    assert result.exit_code == 0, result.output
    assert "nothing to probe" in result.output


def _append_many(path: str, worker: int) -> None:
    for number in range(200):
        csvrows.append(Path(path), ("time", "count", "errors", "latency_ms"),
                       [{"time": f"2026-11-24T04:{worker:02d}:{number % 60:02d}Z", "count": "1",
                         "errors": "0", "latency_ms": f"{worker}.{number}" * 20}], "x.csv")


def test_rows_from_processes_at_once_stay_whole(tmp_path: Path) -> None:
    path = tmp_path / "metrics/api/2026-11.csv"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(path), n)) for n in range(6)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
    lines = path.read_text().splitlines()
    assert lines[0] == "time,count,errors,latency_ms"
    assert len(lines) == 1 + 6 * 200 and "" not in lines
    for line in lines[1:]:
        time_text, count, errors, latency = line.split(",")
        assert latency == latency[:len(latency) // 20] * 20, line
        worker = int(latency.partition(".")[0])
        assert time_text.startswith(f"2026-11-24T04:{worker:02d}:")
        assert (count, errors) == ("1", "0")
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


def test_a_killed_probe_leaves_whole_rows(make_repo: Callable[..., Repo],
                                         server: Endpoints) -> None:
    import os
    import signal
    import subprocess
    import sys
    repo = make_repo(HEAD + "".join(f"  - id: c{n}\n    probe: {{url: '{server.base}/ok'}}\n"
                                    for n in range(20)))
    delay, wrote = 0.2, 0
    for round_number in range(30):
        process = subprocess.Popen(
            [sys.executable, "-m", "statuspage.cli", "probe", "--config", str(repo.config),
             "--now", f"2026-11-24 04:{round_number:02d} Z"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        files = list(repo.root.glob("metrics/*/*.csv"))
        wrote += bool(files)
        if wrote >= 3:
            break
        delay = min(delay * 1.3, 3.0) if not files else delay  # bounded: 30 rounds at most
    assert wrote, "no run got as far as writing"
    for path in repo.root.glob("metrics/*/*.csv"):
        lines = path.read_text().splitlines()
        assert lines[0] == "time,count,errors,latency_ms"
        assert all(len(line.split(",")) == 4 and line.endswith(tuple("0123456789"))
                   for line in lines[1:]), lines
    # A killed run may leave its temporary file (never a .csv); a later run sweeps it away
    # once it is old.
    for left in repo.root.glob("metrics/*/.*.tmp"):
        os.utime(left, (time.time() - 3600, time.time() - 3600))
    assert repo.run("probe", "--now", "2026-11-24 05:00 Z").exit_code == 0
    assert list(repo.root.glob("metrics/*/.*")) == []


def test_the_editor_schema_takes_what_the_settings_take(make_repo: Callable[..., Repo]) -> None:
    import json

    import jsonschema
    import yaml
    from conftest import REPO_ROOT
    text = HEAD + """\
  - id: api
    probe: {url: 'https://api.example.com/health', method: HEAD, expect: [200, '300-399'],
            contains: ok, headers: {X-Key: abc}, timeout: 5s, follow_redirects: false}
  - id: db
    probe: {tcp: 'db.example.com:5432', timeout: 2s}
  - id: chat
    prometheus: {requests: 'sum(rate(x[5m]))', errors: 'sum(rate(y[5m]))', latency: 'z'}
probe: {failures: 2, recoveries: 3, settle: 0, severity: P2}
metrics:
  prometheus: {url_env: PROM, token_env: PROM_TOKEN, step: 1m, timeout: 10s}
"""
    repo = make_repo(text)
    assert repo.check().output.strip() == "no problems"
    schema = json.loads((REPO_ROOT / "schemas/statuspage.schema.json").read_text())
    jsonschema.validate(yaml.safe_load(text), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(text.replace("tcp:", "tpc:")), schema)


def test_secret_headers_come_from_the_environment(
        make_repo: Callable[..., Repo], server: Endpoints,
        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(HEAD + f"  - id: api\n    probe: {{url: '{server.base}/needs-header', "
                            "headers_env: {X-Probe-Key: PROBE_KEY}}\n")
    monkeypatch.delenv("PROBE_KEY", raising=False)
    missing = repo.run("probe")
    assert missing.exit_code == 1
    assert "api: probe.headers_env: the environment variable PROBE_KEY is not set" in (
        missing.output)
    assert not (repo.root / "metrics").exists() and server.seen == []
    monkeypatch.setenv("PROBE_KEY", "secret-ish")
    result = repo.run("probe", "--now", "2026-11-24 04:00 Z")
    assert result.exit_code == 0 and "api: ok: 200 OK" in result.output
    assert "secret-ish" not in result.output
    monkeypatch.setenv("PROBE_KEY", "wrong")
    assert "api: FAILED: 401 Unauthorized" in repo.run("probe").output


def test_https_is_checked_with_certificates_verified(
        make_repo: Callable[..., Repo], tmp_path: Path) -> None:
    import shutil
    import ssl
    import subprocess
    import threading
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    server = Endpoints()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        repo = make_repo(HEAD + f"  - id: api\n    probe: {{url: 'https://127.0.0.1:{server.port}"
                                "/ok', timeout: 3s}\n")
        untrusted = repo.run("probe")
        assert untrusted.exit_code == 0
        assert "api: FAILED: certificate not accepted" in untrusted.output
        # Trusting the certificate (as a company CA would be), the same check passes.
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
            trusted = repo.run("probe")
        assert "api: ok: 200 OK" in trusted.output, trusted.output
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
