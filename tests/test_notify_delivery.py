"""Delivery that can be trusted: retries on 5xx, timeouts and refused connections, none on 4xx,
one slow destination never holding up another, the previous site read over HTTP, and SMTP
over STARTTLS and TLS with a login."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BASIC_CONFIG, Repo
from receivers import closed_port, http_receiver, self_signed, smtp_receiver
from test_notify import AFTER, BEFORE, edit_after, write_before

from statuspage.cli import main
from statuspage.notify.deliver import Outcome, Policy
from statuspage.notify.run import notify
from statuspage.read.config import load_config

FAST = Policy(timeout=0.5, tries=3, backoff=0.05)

# Logins in plain text are on purpose here: the server is on 127.0.0.1, for this test only.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def sites(repo: Repo, tmp_path: Path) -> tuple[Repo, Path, Path]:
    write_before(repo)
    before, after = tmp_path / "before", tmp_path / "after"
    assert repo.build(BEFORE, "--out", str(before)).exit_code == 0
    edit_after(repo)
    assert repo.build(AFTER, "--out", str(after)).exit_code == 0
    return repo, before, after


def configured(repo: Repo, destinations: str) -> None:
    repo.config.write_text(BASIC_CONFIG + "notify:\n" + destinations)


def run(repo: Repo, before: Path, after: Path, env: dict[str, str],
        policy: Policy = FAST) -> tuple[int, list[str]]:
    config, problems = load_config(repo.config)
    assert config is not None, problems
    lines: list[str] = []
    code = notify(config, str(before), after, env, lines.append, policy=policy)
    return code, lines


def test_failing_receivers_are_retried_and_reported(sites: tuple[Repo, Path, Path]) -> None:
    repo, before, after = sites
    configured(repo, """\
  - {type: webhook, name: flaky, url_env: FLAKY, events: [incident_created]}
  - {type: webhook, name: bad, url_env: BAD, events: [incident_created]}
  - {type: webhook, name: hang, url_env: HANG, events: [incident_created]}
  - {type: slack, name: refused, url_env: REFUSED, events: [incident_created]}
  - {type: discord, name: unset, url_env: NOT_SET, events: [incident_created]}
""")
    with http_receiver() as http:
        env = {"FLAKY": f"{http.url}/flaky/k1", "BAD": f"{http.url}/bad/k2",
               "HANG": f"{http.url}/hang/k3", "REFUSED": f"http://127.0.0.1:{closed_port()}/k4"}
        started = time.monotonic()
        code, lines = run(repo, before, after, env)
        elapsed = time.monotonic() - started
        label = "incident_created 2026-11-25-api-down#investigating-20261125T030000Z"
        assert code == 1
        assert f"flaky  {label}  ok" in lines
        assert f"bad  {label}  failed: HTTP 400" in lines
        assert f"hang  {label}  failed: timed out (after 3 tries)" in lines
        assert f"refused  {label}  failed: connection refused (after 3 tries)" in lines
        assert f"unset  {label}  failed: environment variable NOT_SET is not set" in lines
        assert "1 delivered, 4 failed" in lines
        assert len(http.to("/flaky/k1")) == 2      # a 500, then the try that worked
        assert len(http.to("/bad/k2")) == 1        # a 4xx is not tried again
        assert len(http.to("/hang/k3")) == 3
        # Three tries of 0.5 s and two short waits; the destinations ran side by side.
        assert elapsed < 8, elapsed
        for line in lines:
            assert http.url not in line and "/k" not in line


def test_a_slow_destination_does_not_hold_up_the_others(sites: tuple[Repo, Path, Path]) -> None:
    repo, before, after = sites
    configured(repo, """\
  - {type: webhook, name: hang, url_env: HANG}
  - {type: slack, name: quick, url_env: QUICK}
""")
    reported: list[tuple[float, Outcome]] = []
    with http_receiver() as http:
        env = {"HANG": f"{http.url}/hang/a", "QUICK": f"{http.url}/ok/b"}
        config, _problems = load_config(repo.config)
        assert config is not None
        started = time.monotonic()
        lines: list[str] = []

        def echo(line: str) -> None:
            lines.append(line)
            reported.append((time.monotonic() - started, Outcome("", line, True)))

        notify(config, str(before), after, env, echo, policy=Policy(timeout=1.0, tries=1))
        quick = [at for at, o in reported if o.event.startswith("quick  ")]
        hang = [at for at, o in reported if o.event.startswith("hang  ")]
        assert len(quick) == 7 and len(hang) == 7
        # All seven quick deliveries were done before the first slow one gave up.
        assert max(quick) < min(hang)
        assert len(http.to("/ok/b")) == 7


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *_args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_previous_site_from_its_address_saved_before_a_deploy(
        sites: tuple[Repo, Path, Path], tmp_path: Path) -> None:
    repo, before, after = sites
    configured(repo, "  - {type: webhook, url_env: HOOK}\n")
    runner = CliRunner()
    saved = tmp_path / "previous"
    with http_receiver() as http:
        with serving(before) as deployed:
            result = runner.invoke(main, ["notify", "--config", str(repo.config), "--previous",
                                          deployed, "--save-previous", str(saved)])
            assert result.exit_code == 0, result.output
            assert (saved / "api/v2/summary.json").read_bytes() == \
                   (before / "api/v2/summary.json").read_bytes()
            env = {"HOOK": f"{http.url}/ok/x"}
            direct = runner.invoke(main, ["notify", "--config", str(repo.config), "--previous",
                                          deployed, "--out", str(after), "--dry-run"], env=env)
            assert direct.exit_code == 0, direct.output
            assert "7 event(s) since the previous site" in direct.output
        # Deployed since: the saved copy is what the site was.
        later = runner.invoke(main, ["notify", "--config", str(repo.config), "--previous",
                                     str(saved), "--out", str(after)], env=env)
        assert later.exit_code == 0, later.output
        assert "7 delivered, 0 failed" in later.output


def test_no_site_at_the_address_yet(sites: tuple[Repo, Path, Path], tmp_path: Path) -> None:
    repo, _before, after = sites
    configured(repo, "  - {type: webhook, url_env: HOOK}\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    with serving(empty) as nothing:
        result = CliRunner().invoke(main, ["notify", "--config", str(repo.config),
                                           "--previous", nothing, "--out", str(after)])
        saved = CliRunner().invoke(main, ["notify", "--config", str(repo.config),
                                          "--previous", nothing, "--save-previous",
                                          str(tmp_path / "kept")])
    assert result.exit_code == 0, result.output
    assert "no previous site" in result.output and "(HTTP 404)" in result.output
    assert saved.exit_code == 0 and not (tmp_path / "kept").exists()
    refused = CliRunner().invoke(main, ["notify", "--config", str(repo.config), "--previous",
                                        f"http://127.0.0.1:{closed_port()}/", "--out",
                                        str(after), "--timeout", "1"])
    assert refused.exit_code == 1
    assert "error: the previous site:" in refused.output
    assert "connection refused" in refused.output


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_email_over_tls_with_a_login(sites: tuple[Repo, Path, Path], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    repo, before, after = sites
    certificate = self_signed(tmp_path)
    if certificate is None:
        pytest.skip("no openssl command to make a certificate with")
    # The client trusts the test's own certificate (as it would a public one) only once it
    # is among the certificates OpenSSL trusts.
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))
    with smtp_receiver("mailer", "pw-tls-42", certificate, implicit_tls=mode == "tls") as box:
        configured(repo, f"""\
  - type: email
    smtp: {{host: 127.0.0.1, port: {box.port}, {mode}: true, user_env: U, password_env: P}}
    from: status@test.example
    to: [a@test.example, b@test.example]
    events: [incident_created, postmortem_published]
""")
        monkeypatch.delenv("SSL_CERT_FILE")
        code, lines = run(repo, before, after, {"U": "mailer", "P": "pw-tls-42"})
        assert code == 1 and "CERTIFICATE_VERIFY_FAILED" in lines[-2], lines[-3:]
        assert box.messages == []
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        code, lines = run(repo, before, after, {"U": "mailer", "P": "pw-tls-42"})
        assert code == 0, lines[-3:]
        messages = box.wait_for(2)
        assert [m["Subject"] for m in messages] == ["[Test Status] Investigating: API down",
                                                   "[Test Status] Postmortem: API errors"]
        assert messages[0]["To"] == "a@test.example, b@test.example"
        assert box.logins == [("mailer", "pw-tls-42")]
        # A wrong password is refused once and not tried again.
        code, lines = run(repo, before, after, {"U": "mailer", "P": "wrong-pw-77"})
        assert code == 1
        assert any(line.endswith("failed: SMTP 535: login refused") for line in lines), lines
        assert not any("wrong-pw-77" in line for line in lines)
