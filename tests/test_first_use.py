"""What a first real use of the commands hit: the CLI through an incident's life, and the
messages that must say plainly what is wrong."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from conftest import Repo, run_cli

NOW = "2026-11-24 12:00"
FIRST = "---\ntitle: A\nseverity: P2\n---\n## Investigating — 2026-11-24 10:00\nLooking.\n"


def test_new_incident_started_before_its_first_update(repo: Repo) -> None:
    result = repo.run("new", "incident", "Slow API", "--severity", "P2", "--started",
                      "2026-11-24 11:20", "--now", NOW)
    assert result.exit_code == 0, result.output
    text = (repo.root / "incidents/2026-11-24-slow-api.md").read_text()
    assert "started: 2026-11-24 11:20 +08:00\n" in text
    assert "## Investigating — 2026-11-24 12:00 +08:00" in text
    assert repo.build().exit_code == 0
    page = (repo.site / "incidents/2026-11-24-slow-api/index.html").read_text()
    assert "40 min" in page and "&lt; 1 min" not in page


def test_the_clock_is_written_to_the_minute_and_never_a_future_now(repo: Repo) -> None:
    assert repo.run("new", "incident", "Now", "--severity", "P3").exit_code == 0
    (path,) = (repo.root / "incidents").glob("*-now.md")
    assert repo.run("update", "now", "identified", "-m", "Found.").exit_code == 0
    headings = re.findall(r"^## \w+ — (.+)$", path.read_text(), re.M)
    assert len(headings) == 2
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d \+08:00", h) for h in headings), headings
    assert repo.run("check").exit_code == 0  # check at the real clock, as CI would
    later = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%MZ")
    before = path.read_text()
    future = repo.run("update", "now", "monitoring", "-m", "Fix out.", "--now", later)
    assert future.exit_code == 2
    assert "is in the future" in future.output and "would reject it" in future.output
    assert path.read_text() == before


def test_update_finds_a_slug_without_its_date_and_lists_candidates(repo: Repo) -> None:
    for name in ("2026-11-23-api-errors", "2026-11-24-api-latency", "2026-11-24-web"):
        repo.incident(f"{name}.md", FIRST.replace("2026-11-24 10:00", f"{name[:10]} 10:00"))
    ok = repo.run("update", "api-lat", "identified", "-m", "Found.", "--now", NOW)
    assert ok.exit_code == 0, ok.output
    assert "## Identified" in (repo.root / "incidents/2026-11-24-api-latency.md").read_text()
    both = repo.run("update", "api", "identified", "-m", "Found.", "--now", NOW)
    assert both.exit_code == 1
    assert "'api' matches 2 files (2026-11-23-api-errors, 2026-11-24-api-latency)" in both.output


def test_undocumented_aliases_are_refused_with_the_right_word(repo: Repo) -> None:
    repo.incident("2026-11-24-a.md", FIRST)
    for word in ("fix", "fixed"):
        result = repo.run("update", "a", word, "-m", "Done.", "--now", NOW)
        assert result.exit_code == 1
        assert result.output.strip() == (
            f"error: unknown incident status '{word}' (did you mean 'resolved'?); valid: "
            "investigating, identified, monitoring, resolved")
    assert repo.run("update", "a", "resolve", "-m", "Done.", "--now", NOW).exit_code == 0


def test_help_lists_statuses_and_the_time_format_and_is_not_cut_off() -> None:
    top = run_cli("--help").output
    assert "...\n" not in top.split("Commands:")[1]
    assert "Add an update to an incident or maintenance." in top
    update = run_cli("update", "--help").output
    flat = " ".join(update.split())
    assert "investigating, identified, monitoring, resolved" in flat
    assert "scheduled, in_progress, verifying, completed" in flat
    assert "HH:MM[:SS] [+HH:MM]', in the site time zone" in flat
    assert "operational, degraded_performance, partial_outage, major_outage" in flat
    incident = " ".join(run_cli("new", "incident", "--help").output.split())
    assert "P0, P1, P2 or P3" in incident and "--started" in incident


STEPS = """\
---
title: Errors
severity: P1
started: 2026-11-24 10:00
components:
  api: partial_outage
  web:
    - {at: 2026-11-24 10:00, status: degraded_performance}
---

## Investigating — 2026-11-24 10:00

Looking.
"""


def test_update_changes_components_mid_incident(repo: Repo) -> None:
    path = repo.incident("2026-11-24-errors.md", STEPS)
    result = repo.run("update", "errors", "identified", "-m", "API recovered; voice is down.",
                      "--component", "api=operational", "--component", "web=major_outage",
                      "--component", "voice=major_outage", "--now", "2026-11-24 10:30")
    assert result.exit_code == 0, result.output
    assert path.read_text() == STEPS.replace("""\
  api: partial_outage
  web:
    - {at: 2026-11-24 10:00, status: degraded_performance}
""", """\
  api:
    - {at: 2026-11-24 10:00 +08:00, status: partial_outage}
    - {at: 2026-11-24 10:30 +08:00, status: operational}
  web:
    - {at: 2026-11-24 10:00, status: degraded_performance}
    - {at: 2026-11-24 10:30 +08:00, status: major_outage}
  voice:
    - {at: 2026-11-24 10:30 +08:00, status: major_outage}
""").replace("## Investigating", "## Identified — 2026-11-24 10:30 +08:00\n\n"
             "API recovered; voice is down.\n\n## Investigating")
    assert repo.check().exit_code == 0
    bare = repo.incident("2026-11-24-bare.md", FIRST)
    assert repo.run("update", "bare", "identified", "-m", "Web is slow.", "--component",
                    "web=degraded_performance", "--now", NOW).exit_code == 0
    assert "components:\n  web:\n    - {at: 2026-11-24 12:00 +08:00, status: " \
           "degraded_performance}\n---\n" in bare.read_text()
    bad = repo.run("update", "bare", "monitoring", "-m", "x", "--component", "web=down",
                   "--now", NOW)
    assert bad.exit_code == 1 and "unknown status 'down'" in bad.output
    assert repo.check().exit_code == 0


def test_new_postmortem_is_unpublished_until_given_a_time(repo: Repo) -> None:
    repo.incident("2026-11-24-a.md", FIRST.replace("Looking.", "Looking.\n\n"
                                                   "## Resolved — 2026-11-24 11:00\nFixed."))
    result = repo.run("new", "postmortem", "a", "--author", "Lin Wei")
    assert result.exit_code == 0, result.output
    path = repo.root / "incidents/2026-11-24-a.postmortem.md"
    assert result.output.strip() == str(path)
    text = path.read_text()
    assert 'authors: ["Lin Wei"]' in text and "\n# published: " in text
    assert "## Root cause" in text
    assert repo.check().exit_code == 0
    assert repo.build().exit_code == 0
    assert "Root cause" not in (repo.site / "incidents/2026-11-24-a/index.html").read_text()
    again = repo.run("new", "postmortem", "a")
    assert again.exit_code == 1 and "already exists" in again.output


def test_init_in_a_folder_says_to_cd_there(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("init", str(tmp_path / "status"))
    assert f"next: cd {tmp_path / 'status'}, then edit statuspage.yaml" in result.output


# Messages


def test_an_indentation_mistake_is_called_one(repo: Repo) -> None:
    repo.incident("2026-11-24-a.md", "---\ntitle: A\n severity: P2\n---\n")
    repo.incident("2026-11-24-b.md", "---\ntitle: B\nseverity: P2\ncomponents:\n"
                                     "  api: partial_outage\n   web: partial_outage\n---\n")
    repo.incident("2026-11-24-c.md", "---\ntitle: API: errors\nseverity: P2\n---\n")
    output = repo.check().output
    assert "2026-11-24-a.md:3: error: YAML syntax: mapping values are not allowed in this " \
           "context (this line is indented 1 more than the one above" in output
    assert "2026-11-24-b.md:6: error: YAML syntax: mapping values are not allowed in this " \
           "context (this line is indented 1 more than the one above" in output
    assert "2026-11-24-c.md:2: error: YAML syntax: mapping values are not allowed in this " \
           "context (a value containing ': ' must be quoted" in output


def test_a_broken_settings_file_says_the_site_was_kept(repo: Repo) -> None:
    assert repo.build().exit_code == 0
    repo.write("statuspage.yaml", "title: [unclosed\n")
    result = repo.build()
    assert result.exit_code == 1
    assert f"build failed: {repo.site} was not changed" in result.output
    assert (repo.site / "index.html").is_file()


def test_a_bad_window_names_no_file_that_was_never_written(repo: Repo) -> None:
    bad = repo.run("new", "maintenance", "Backwards", "--start", "2026-12-01 04:00", "--end",
                   "2026-12-01 02:00", "--now", NOW)
    assert bad.exit_code == 1
    assert bad.output.strip() == ("error: until: the window must end after it starts; "
                                  "nothing was written")
    assert list((repo.root / "incidents").iterdir()) == []


def test_now_in_a_future_time_error_is_in_the_site_zone(repo: Repo) -> None:
    repo.incident("2026-11-24-a.md", FIRST.replace("10:00", "13:00"))
    result = repo.run("check", "--now", "2026-11-24T04:00:00Z")
    assert "update at 2026-11-24 13:00 +08:00 is in the future (now is 2026-11-24 12:00 " \
           "+08:00)" in result.output
