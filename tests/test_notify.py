"""`statuspage notify` end to end: two builds a few edits apart, notices delivered to real
receivers on 127.0.0.1, read back and checked; a second run delivers nothing; nothing
unpublished or secret is in any notice or any line printed."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import BASIC_CONFIG, Repo
from receivers import HttpReceiver, Mailbox, http_receiver, smtp_receiver

from statuspage.cli import main

BEFORE = "2026-11-24 12:00 +08:00"
AFTER = "2026-11-25 12:00 +08:00"
LEAKS = ("SECRET-DRAFT", "SECRET-INTERNAL", "SECRET-POSTMORTEM-UNPUBLISHED")
ENV = {"HOOK_SECRET": "hmac-key-7f3a9c", "SMTP_USER": "mailer",
       "SMTP_PASSWORD": "pw-91b2c3d4"}

DESTINATIONS = """\
notify:
  - type: webhook
    url_env: HOOK_URL
    secret_env: HOOK_SECRET
  - type: webhook
    name: api-only
    url_env: API_HOOK_URL
    components: [api]
  - type: slack
    url_env: SLACK_URL
  - type: discord
    url_env: DISCORD_URL
  - type: teams
    url_env: TEAMS_URL
  - type: email
    smtp: {{host: 127.0.0.1, port: {port}, user_env: SMTP_USER, password_env: SMTP_PASSWORD}}
    from: status@test.example
    to: [customers@test.example]
"""

EXPECTED = [
    "incident_update 2026-11-24-web-slow#identified-20261124T043000Z",
    "maintenance_started 2026-11-25-voice-maintenance",
    "incident_created 2026-11-25-api-down#investigating-20261125T030000Z",
    "maintenance_scheduled 2026-12-02-web-maintenance",
    "component_update 'Voice' operational->under_maintenance",
    "component_update 'API' operational->major_outage",
    "postmortem_published 2026-11-20-api-errors#postmortem",
]
API_ONLY = [EXPECTED[2], EXPECTED[5], EXPECTED[6]]

# Logins in plain text are on purpose here: the server is on 127.0.0.1, for this test only.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def write_before(repo: Repo) -> None:
    repo.incident("2026-11-20-api-errors.md", """\
        ---
        title: API errors
        severity: P1
        components: {api: partial_outage}
        internal: {note: SECRET-INTERNAL-ONE}
        ---
        ## Resolved — 2026-11-20 10:40
        Error rates are normal.

        ## Investigating — 2026-11-20 09:20
        We are investigating errors on the API.
        """)
    repo.incident("2026-11-20-api-errors.postmortem.md", """\
        ---
        authors: [Ops]
        ---
        ## Summary
        A configuration push.
        """)
    repo.incident("2026-11-24-web-slow.md", """\
        ---
        title: Website slow
        severity: P2
        components: {web: degraded_performance}
        ---
        ## Investigating — 2026-11-24 10:00
        The webiste is slow for some users.
        """)
    repo.incident("2026-11-23-draft.md", """\
        ---
        title: SECRET-DRAFT incident
        draft: true
        severity: P1
        components: {voice: major_outage}
        ---
        ## Investigating — 2026-11-23 10:00
        SECRET-DRAFT body.
        """)
    repo.incident("2026-11-25-voice-maintenance.md", """\
        ---
        title: Voice cluster upgrade
        type: maintenance
        components: [voice]
        scheduled: 2026-11-25 10:00
        until: 2026-11-25 14:00
        ---
        We will upgrade the voice cluster.
        """)


def edit_after(repo: Repo) -> None:
    # A typo fixed in an old update (no event) and a new update (one event).
    repo.incident("2026-11-24-web-slow.md", """\
        ---
        title: Website slow
        severity: P2
        components: {web: degraded_performance}
        ---
        ## Identified — 2026-11-24 12:30
        A slow database query; we are deploying a fix.

        ## Investigating — 2026-11-24 10:00
        The website is slow for some users.
        """)
    repo.incident("2026-11-25-api-down.md", """\
        ---
        title: API down
        severity: P0
        components: {api: major_outage}
        ---
        ## Investigating — 2026-11-25 11:00
        The API is not answering.
        """)
    repo.incident("2026-11-20-api-errors.postmortem.md", """\
        ---
        authors: [Ops]
        published: 2026-11-25 09:00
        ---
        ## Summary
        A configuration push.
        """)
    text = (repo.root / "incidents/2026-11-20-api-errors.md").read_text()
    (repo.root / "incidents/2026-11-20-api-errors.md").write_text(
        text.replace("SECRET-INTERNAL-ONE", "SECRET-INTERNAL-TWO"))
    repo.incident("2026-11-24-web-slow.postmortem.md", """\
        ---
        authors: [Ops]
        ---
        SECRET-POSTMORTEM-UNPUBLISHED
        """)
    repo.incident("2026-11-23-draft.md", """\
        ---
        title: SECRET-DRAFT incident
        draft: true
        severity: P1
        components: {voice: major_outage}
        ---
        ## Identified — 2026-11-25 10:00
        SECRET-DRAFT second update.

        ## Investigating — 2026-11-23 10:00
        SECRET-DRAFT body.
        """)
    repo.incident("2026-12-02-web-maintenance.md", """\
        ---
        title: Website move
        type: maintenance
        components: [web]
        scheduled: 2026-12-02 01:00
        until: 2026-12-02 02:00
        ---
        The website moves to a new host.
        """)


@pytest.fixture
def two_sites(repo: Repo, tmp_path: Path) -> tuple[Repo, Path, Path]:
    """A repository built before and after a few edits, into two folders."""
    write_before(repo)
    before, after = tmp_path / "before", tmp_path / "after"
    built = repo.build(BEFORE, "--out", str(before))
    assert built.exit_code == 0, built.output
    edit_after(repo)
    built = repo.build(AFTER, "--out", str(after))
    assert built.exit_code == 0, built.output
    return repo, before, after


@pytest.fixture
def receivers() -> Iterator[tuple[HttpReceiver, Mailbox]]:
    with http_receiver() as http, smtp_receiver(ENV["SMTP_USER"], ENV["SMTP_PASSWORD"]) as mail:
        yield http, mail


def environment(http: HttpReceiver) -> dict[str, str]:
    return {**ENV, "HOOK_URL": f"{http.url}/ok/hook-tok3n-aa", "API_HOOK_URL":
            f"{http.url}/ok/api-tok3n-bb", "SLACK_URL": f"{http.url}/ok/slack-tok3n-cc",
            "DISCORD_URL": f"{http.url}/ok/discord-tok3n-dd",
            "TEAMS_URL": f"{http.url}/teams/tok3n-ee"}


def run_notify(repo: Repo, previous: Path, out: Path, env: dict[str, str],
               *extra: str) -> Result:
    return CliRunner().invoke(main, ["notify", "--previous", str(previous), "--out", str(out),
                                     "--config", str(repo.config), *extra], env=env,
                              catch_exceptions=False)


def with_destinations(repo: Repo, port: int) -> None:
    repo.config.write_text(BASIC_CONFIG + DESTINATIONS.format(port=port))


def lines_of(result: Result, destination: str) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith(f"{destination}  ")]


def test_notify_between_two_builds_delivers_each_notice_once(
        two_sites: tuple[Repo, Path, Path], receivers: tuple[HttpReceiver, Mailbox]) -> None:
    repo, before, after = two_sites
    http, mail = receivers
    with_destinations(repo, mail.port)
    env = environment(http)
    result = run_notify(repo, before, after, env)
    assert result.exit_code == 0, result.output
    for name in ("webhook#1", "slack#1", "discord#1", "teams#1", "email#1"):
        assert lines_of(result, name) == [f"{name}  {label}  ok" for label in EXPECTED], name
    assert lines_of(result, "api-only") == [f"api-only  {label}  ok" for label in API_ONLY]
    assert "38 delivered, 0 failed" in result.output

    paths = {"/ok/hook-tok3n-aa": 7, "/ok/api-tok3n-bb": 3, "/ok/slack-tok3n-cc": 7,
             "/ok/discord-tok3n-dd": 7, "/teams/tok3n-ee": 7}
    assert {p: len(http.to(p)) for p in paths} == paths
    assert len(http.requests) == sum(paths.values())
    messages = mail.wait_for(7)
    assert len(messages) == 7
    assert mail.logins and set(mail.logins) == {(ENV["SMTP_USER"], ENV["SMTP_PASSWORD"])}

    hooks = [r.json() for r in http.to("/ok/hook-tok3n-aa")]
    assert [h["incident"]["name"] if "incident" in h else h["component"]["name"]
            for h in hooks] == ["Website slow", "Voice cluster upgrade", "API down",
                                "Website move", "Voice", "API", "API errors"]
    for request in http.to("/ok/hook-tok3n-aa"):
        expected = "sha256=" + hmac.new(ENV["HOOK_SECRET"].encode(), request.body,
                                        hashlib.sha256).hexdigest()
        assert request.headers["X-Statuspage-Signature"] == expected
    assert all("X-Statuspage-Signature" not in r.headers for r in http.to("/ok/api-tok3n-bb"))

    update = hooks[0]["incident"]
    assert update["status"] == "identified"
    assert [u["status"] for u in update["incident_updates"]] == ["identified", "investigating"]
    assert hooks[5]["component_update"]["old_status"] == "operational"
    assert hooks[5]["component_update"]["new_status"] == "major_outage"
    assert hooks[6]["incident"]["status"] == "postmortem"

    slack = http.to("/ok/slack-tok3n-cc")[0].json()
    assert slack["blocks"][0]["text"]["text"] == "Identified: Website slow"
    assert "https://status.test.example/incidents/2026-11-24-web-slow/" \
           "#identified-20261124T043000Z|" in json.dumps(slack)

    subjects = [m["Subject"] for m in messages]
    assert subjects == ["[Test Status] Identified: Website slow",
                        "[Test Status] In progress: Maintenance: Voice cluster upgrade",
                        "[Test Status] Investigating: API down",
                        "[Test Status] Scheduled: Maintenance: Website move",
                        "[Test Status] Voice: Operational → Under maintenance",
                        "[Test Status] API: Operational → Major outage",
                        "[Test Status] Postmortem: API errors"]
    for mail_message in messages:
        kinds = [part.get_content_type() for part in mail_message.iter_parts()]
        assert kinds == ["text/plain", "text/html"]
        assert mail_message["Message-ID"]
    assert len({m["Message-ID"] for m in messages}) == 7
    # Dated when sent (as a mail server expects), not when the event happened.
    sent = [parsedate_to_datetime(m["Date"]) for m in messages]
    assert all(abs((moment - datetime.now(UTC)).total_seconds()) < 600 for moment in sent)

    everything = [result.output] + [r.body.decode() + json.dumps(r.headers)
                                    for r in http.requests] + [m.as_string() for m in messages]
    everything += [str(p.get_content()) for m in messages for p in m.iter_parts()]
    for text in everything:
        for leak in (*LEAKS, ENV["HOOK_SECRET"], ENV["SMTP_PASSWORD"], "tok3n"):
            assert leak not in text

    # The sites as deployed now agree: a second run has nothing to tell.
    again = run_notify(repo, after, after, env)
    assert again.exit_code == 0, again.output
    assert "0 event(s) since the previous site" in again.output
    assert "0 delivered, 0 failed" in again.output
    assert len(http.requests) == sum(paths.values())
    assert len(mail.messages) == 7


def test_email_threads_replies_per_incident_across_runs(
        two_sites: tuple[Repo, Path, Path], receivers: tuple[HttpReceiver, Mailbox],
        tmp_path: Path) -> None:
    repo, before, after = two_sites
    http, mail = receivers
    with_destinations(repo, mail.port)
    assert run_notify(repo, before, after, environment(http)).exit_code == 0
    # A later run: the new incident gets an update.
    text = (repo.root / "incidents/2026-11-25-api-down.md").read_text()
    repo.incident("2026-11-25-api-down.md", text.replace(
        "## Investigating", "## Identified — 2026-11-25 11:40\nA failed disk.\n\n## Investigating"))
    later = tmp_path / "later"
    assert repo.build("2026-11-25 12:10 +08:00", "--out", str(later)).exit_code == 0
    result = run_notify(repo, after, later, environment(http))
    assert result.exit_code == 0, result.output
    messages = mail.wait_for(8)
    first = next(m for m in messages if m["Subject"].endswith("Investigating: API down"))
    reply = messages[7]
    assert reply["Subject"] == "[Test Status] Identified: API down"
    assert reply["In-Reply-To"] == first["Message-ID"] == reply["References"]
    assert "A failed disk." in reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "A failed disk." in reply.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_dry_run_prints_every_payload_and_sends_nothing(
        two_sites: tuple[Repo, Path, Path], receivers: tuple[HttpReceiver, Mailbox]) -> None:
    repo, before, after = two_sites
    http, mail = receivers
    with_destinations(repo, mail.port)
    result = run_notify(repo, before, after, environment(http), "--dry-run")
    assert result.exit_code == 0, result.output
    assert http.requests == [] and mail.messages == []
    assert result.output.count("--- webhook#1  ") == 7
    assert result.output.count("--- email#1  ") == 7
    assert '"component_update": {' in result.output
    assert "Subject: [Test Status] Investigating: API down" in result.output
    assert "dry run: nothing was sent" in result.output
    for leak in (*LEAKS, ENV["HOOK_SECRET"], ENV["SMTP_PASSWORD"], "tok3n", http.url):
        assert leak not in result.output


def test_a_first_deploy_has_no_previous_site(two_sites: tuple[Repo, Path, Path],
                                             receivers: tuple[HttpReceiver, Mailbox],
                                             tmp_path: Path) -> None:
    repo, _before, after = two_sites
    http, mail = receivers
    with_destinations(repo, mail.port)
    result = run_notify(repo, tmp_path / "nothing-here", after, environment(http))
    assert result.exit_code == 0, result.output
    assert "no previous site" in result.output and "no notices were sent" in result.output
    assert http.requests == []


def test_new_site_must_be_built(two_sites: tuple[Repo, Path, Path], tmp_path: Path) -> None:
    repo, before, _after = two_sites
    result = run_notify(repo, before, tmp_path / "unbuilt", {})
    assert result.exit_code == 1
    assert "error: the new site:" in result.output
