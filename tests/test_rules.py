"""One test per validation rule, through the real CLI: exact `path:line: level: message` lines."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result
from conftest import BASIC_CONFIG, Repo, problem_lines, shown

CONFIG = "statuspage.yaml"
INCIDENT = "incidents/2026-11-20-x.md"
TS_HINT = "timestamps look like '2026-11-20 09:55 +08:00' or '2026-11-20T01:55:00Z'"
HEADING = "update heading must look like '## Identified — 2026-11-20 09:55 +08:00'"
STATUSES = "operational, degraded_performance, partial_outage, major_outage"
IMPACTS = "none, minor, major, critical"
BAD_ID = "must be lowercase letters, digits and hyphens, starting with a letter or digit"
RESOLVED = "update after the incident was resolved (at 2026-11-20 10:00 +08:00); " \
           "remove it or move the resolution later"
NOW_IS = "(now is 2026-11-24 12:00 +08:00)"
# A minimal config whose first component entry starts on line 4.
MINIMAL = "title: T\nurl: https://x.example/\ncomponents:\n"


def assert_problems(repo: Repo, result: Result, relative: str, *expected: str) -> None:
    """Assert the problem lines (`line: level: message`, prefixed with the path) and exit code."""
    lines = [f"{shown(repo, relative)}:{item}" for item in expected]
    assert problem_lines(result) == lines, result.output
    assert result.exit_code == (1 if any(": error: " in line for line in lines) else 0)


# --- statuspage.yaml ------------------------------------------------------------------------

CONFIG_CASES = [
    pytest.param(BASIC_CONFIG + "timzone: UTC\n",
                 "13: warning: unknown key 'timzone' (did you mean 'timezone'?)", id="unknown-key"),
    pytest.param(BASIC_CONFIG + "uptime:\n  dayz: 30\n",
                 "14: warning: unknown key 'uptime.dayz' (did you mean 'days'?)",
                 id="unknown-uptime-key"),
    pytest.param(MINIMAL + "  - id: api\n    nmae: API\n",
                 "5: warning: unknown key 'nmae' (did you mean 'name'?)",
                 id="unknown-component-key"),
    pytest.param(BASIC_CONFIG.replace("title: Test Status\n", ""),
                 "1: error: 'title' is required", id="missing-title"),
    pytest.param(BASIC_CONFIG.replace("url: https://status.test.example/\n", ""),
                 "1: error: 'url' is required", id="missing-url"),
    pytest.param(BASIC_CONFIG.replace("https://status.test.example/", "status.test.example"),
                 "2: error: url: 'status.test.example' must be an absolute http(s) address such "
                 "as 'https://status.example.com/'", id="url-not-absolute"),
    pytest.param(BASIC_CONFIG.replace("https://status.test.example/", "ftp://x.example/"),
                 "2: error: url: 'ftp://x.example/' must be an absolute http(s) address such as "
                 "'https://status.example.com/'", id="url-not-http"),
    pytest.param(BASIC_CONFIG.replace("https://status.test.example/", "http://[::1/"),
                 "2: error: url: 'http://[::1/' must be an absolute http(s) address such as "
                 "'https://status.example.com/'", id="url-not-an-address"),
    pytest.param(BASIC_CONFIG.replace("Asia/Shanghai", "Mars/Olympus"),
                 "3: error: timezone: unknown time zone 'Mars/Olympus' (use an IANA name such as "
                 "'Asia/Shanghai' or 'UTC')", id="unknown-timezone"),
    pytest.param(BASIC_CONFIG + "language: fr\n",
                 "13: error: language: 'fr' is not supported; use one of en, zh-CN",
                 id="unsupported-language"),
    pytest.param("title: T\nurl: https://x.example/\n",
                 "1: error: 'components' is required: list what customers use",
                 id="components-missing"),
    pytest.param(MINIMAL.replace("components:\n", "components: api\n"),
                 "3: error: components: expected a list, got text 'api'", id="components-not-list"),
    pytest.param(MINIMAL + "  - id: ../x\n", f"4: error: component id '../x' {BAD_ID}",
                 id="id-path"),
    pytest.param(MINIMAL + "  - id: Chat API\n", f"4: error: component id 'Chat API' {BAD_ID}",
                 id="id-space"),
    pytest.param(MINIMAL + "  - id: api\n  - id: api\n",
                 "5: error: duplicate component id 'api'", id="duplicate-id"),
    pytest.param(MINIMAL + "  - id: api\n    since: 2025-02-30\n",
                 "5: error: since: '2025-02-30' is not a real date (day is out of range for month)",
                 id="since-impossible"),
    pytest.param(MINIMAL + "  - id: api\n    since: yesterday\n",
                 "5: error: since: 'yesterday' is not a date; dates look like '2025-01-01'",
                 id="since-text"),
    pytest.param(MINIMAL + "  - id: api\n    target: 101\n",
                 "5: error: target: 101 is out of range (0 to 100)", id="component-target-101"),
    pytest.param(MINIMAL + "  - id: api\n    target: 0\n",
                 "5: error: target: must be above 0", id="component-target-0"),
    *[pytest.param(BASIC_CONFIG + f"uptime:\n  days: {days}\n",
                   "14: error: uptime.days: expected a whole number of days from 1 to 3660, "
                   f"got {kind}", id=f"uptime-days-{days}")
      for days, kind in (("ninety", "text 'ninety'"), ("0", "the number 0"),
                         ("90.5", "the number 90.5"))],
    pytest.param(BASIC_CONFIG + "uptime:\n  target: 0\n", "14: error: target: must be above 0",
                 id="uptime-target-0"),
    pytest.param(BASIC_CONFIG + "uptime:\n  target: 101\n",
                 "14: error: target: 101 is out of range (0 to 100)", id="uptime-target-101"),
    pytest.param(BASIC_CONFIG + "uptime:\n  weights:\n    major_outag: 1.0\n",
                 "15: error: uptime.weights: unknown status 'major_outag' "
                 "(did you mean 'major_outage'?)", id="weight-unknown"),
    pytest.param(BASIC_CONFIG + "uptime:\n  weights:\n    partial_outage: 1.5\n",
                 "15: error: partial_outage: 1.5 is out of range (0 to 1)", id="weight-range"),
    pytest.param(BASIC_CONFIG + "severities:\n  P1: {name: Major, impact: huge}\n",
                 f"14: error: impact: 'huge'; use one of {IMPACTS}", id="severity-impact"),
    pytest.param(BASIC_CONFIG + "severities:\n  P4: {name: Tiny}\n",
                 f"14: error: impact: missing; use one of {IMPACTS}", id="severity-no-impact"),
    pytest.param(BASIC_CONFIG + "severities:\n  P1: {respond: 15 minutes, impact: major}\n",
                 "14: error: respond: '15 minutes' is not a duration; durations look like '15m', "
                 "'4h' or '1d'", id="severity-duration"),
    pytest.param(BASIC_CONFIG + "severities:\n  P1: {respnd: 30m, impact: major}\n",
                 "14: warning: unknown key 'respnd' (did you mean 'respond'?)",
                 id="severity-unknown-key"),
    pytest.param(BASIC_CONFIG + "description: Status: all good\n",
                 "13: error: YAML syntax: mapping values are not allowed in this context (a value "
                 "containing ': ' must be quoted, such as title: \"API: errors\")",
                 id="yaml-syntax"),
    # The tab is invisible: the message must name it (the pure-Python loader's wording does).
    pytest.param(MINIMAL + "\t- id: api\n",
                 "4: error: YAML syntax: tabs are not allowed for indentation in YAML; use spaces",
                 id="tab-before-item"),
    pytest.param(MINIMAL + "  - id: api\n\tname: API\n",
                 "5: error: YAML syntax: tabs are not allowed for indentation in YAML; use spaces",
                 id="tab-in-mapping"),
    pytest.param("- a\n- b\n", "1: error: must be a mapping of settings", id="not-a-mapping"),
]


@pytest.mark.parametrize(("config", "expected"), CONFIG_CASES)
def test_config_rule(make_repo: Callable[[str], Repo], config: str, expected: str) -> None:
    repo = make_repo(config)
    assert_problems(repo, repo.check(), CONFIG, expected)


def test_yaml_error_at_end_of_file_names_the_line_that_opened_it(
        make_repo: Callable[[str], Repo]) -> None:
    repo = make_repo(MINIMAL + '  - id: api\n    name: "API\n  - id: web\n')
    result = repo.check()
    assert result.exit_code == 1
    # The quote opened on line 5; the file has 6 lines, so line 7 names nothing.
    [line] = problem_lines(result)
    assert line.startswith(f"{shown(repo, CONFIG)}:5: error: YAML syntax: "), line


# --- incident files ---------------------------------------------------------------------------

FRONT = """\
title: Errors
severity: P1
started: 2026-11-20 09:12 +08:00
components:
  api: partial_outage
"""  # lines 2-6; the closing '---' is line 7
BODY = "\n## Investigating — 2026-11-20 09:20 +08:00\n\nLooking.\n"  # heading on line 9
STEPS = "  api:\n    - {at: 2026-11-20 09:12, status: major_outage}\n    - %s\n"  # steps: 7, 8


def doc(front: str = FRONT, body: str = BODY) -> str:
    return f"---\n{front}---\n{body}"


def with_steps(second: str) -> str:
    return FRONT.replace("  api: partial_outage\n", STEPS % second)


def front_without(key: str) -> str:
    return "".join(line + "\n" for line in FRONT.splitlines() if not line.startswith(key))


INCIDENT_CASES = [
    pytest.param(doc(), (), id="valid"),
    pytest.param(doc(FRONT + "type: incident\n"), (), id="type-incident"),
    pytest.param(doc(with_steps("{at: 2026-11-20 09:40, status: degraded_performance}")), (),
                 id="status-steps"),
    pytest.param(doc(front_without("started")), (), id="started-from-first-update"),
    pytest.param(doc(FRONT.replace("09:12 +08:00", "09:12:30.5")), (), id="started-fractions"),
    pytest.param(doc(front_without("title")), ("2: error: 'title' is required",),
                 id="missing-title"),
    pytest.param(doc(front_without("severity")),
                 ("2: error: 'severity' is required; use one of P0, P1, P2, P3",),
                 id="missing-severity"),
    pytest.param(doc(FRONT.replace("P1", "P11")),
                 ("3: error: severity: unknown severity 'P11'; use one of P0, P1, P2, P3 "
                  "(did you mean 'P1'?)",), id="unknown-severity"),
    pytest.param(doc(FRONT.replace("api:", "apii:")),
                 ("6: error: components: unknown component 'apii' (did you mean 'api'?)",),
                 id="unknown-component"),
    pytest.param(doc(FRONT.replace("partial_outage", "partial_outtage")),
                 (f"6: error: unknown component status 'partial_outtage'; use one of {STATUSES} "
                  "(did you mean 'partial_outage'?)",), id="unknown-component-status"),
    pytest.param(doc(FRONT.replace("  api: partial_outage\n", "  api: []\n")),
                 ("6: error: components: api: expected a status or a list of "
                  "{at: <timestamp>, status: <status>} steps",), id="empty-steps"),
    pytest.param(doc(FRONT.replace("components:\n  api: partial_outage\n", "components: [api]\n")),
                 ("5: error: components: expected a mapping of component id to status, such as "
                  "'chat-api: partial_outage'",), id="components-list"),
    pytest.param(doc(with_steps("{status: degraded_performance}")),
                 ("8: error: components: api: each step needs exactly 'at' and 'status', such as "
                  "{at: 2026-11-20 09:30, status: major_outage}",), id="step-without-at"),
    pytest.param(doc(with_steps("{at: soon, status: degraded_performance}")),
                 (f"8: error: at: 'soon' is not a timestamp; {TS_HINT}",), id="step-bad-at"),
    pytest.param(doc(with_steps("{at: 2026-11-20 09:00, status: degraded_performance}")),
                 ("8: error: components: api: status change before the incident started",),
                 id="step-before-started"),
    pytest.param(doc(FRONT.replace("2026-11-20 09:12 +08:00", "yesterday")),
                 (f"4: error: started: 'yesterday' is not a timestamp; {TS_HINT}",),
                 id="started-text"),
    pytest.param(doc(FRONT.replace("2026-11-20 09:12 +08:00", "2026-02-30 09:12")),
                 ("4: error: started: '2026-02-30 09:12' is not a real date or time "
                  "(day is out of range for month)",), id="started-impossible-date"),
    pytest.param(doc(FRONT.replace("2026-11-20 09:12 +08:00", "2026-11-20")),
                 (f"4: error: started: '2026-11-20' has no time of day; {TS_HINT}",),
                 id="started-date-only"),
    pytest.param(doc(front_without("started"), "\nJust a summary.\n"),
                 ("2: error: 'started' is required when there are no updates",),
                 id="no-started-no-updates"),
    pytest.param(doc(body="\n## Resolved 2026-11-20\n"),
                 (f"9: error: {HEADING} (put ' — ' between the status and the time)",),
                 id="heading-no-separator"),
    pytest.param(doc(body="\n## Resolved —\n"),
                 (f"9: error: {HEADING} (add the time after the status)",),
                 id="heading-no-timestamp"),
    pytest.param(doc(body="\n## Resolved\n"),
                 (f"9: error: {HEADING} (add the time after the status)",),
                 id="heading-status-only"),
    pytest.param(doc(body="\n## Monitoring: 2026-11-20 10:00\n"),
                 (f"9: error: {HEADING} (put ' — ' between the status and the time)",),
                 id="heading-colon-separator"),
    pytest.param(doc(body="\n## Montoring: 2026-11-20 10:00\n"),
                 (f"9: error: {HEADING} (did you mean 'monitoring'?)",),
                 id="heading-misspelt-status"),
    pytest.param(doc(body="\n### Monitoring — 2026-11-20 10:00\n"),
                 ("9: error: update headings are level 2: start the line with '## '",),
                 id="heading-level-3"),
    pytest.param(doc(body="\n## Resolved — 2026-11-20\n"),
                 (f"9: error: update heading: '2026-11-20' has no time of day; {TS_HINT}",),
                 id="heading-date-only"),
    pytest.param(doc(body="\n## Resolved — 2026-02-30 10:00\n"),
                 ("9: error: update heading: '2026-02-30 10:00' is not a real date or time "
                  "(day is out of range for month)",), id="heading-impossible-date"),
    pytest.param(doc(body="\n## Fixed — 2026-11-20 10:00\n"),
                 ("9: error: unknown update status 'Fixed'; use one of investigating, identified, "
                  "monitoring, resolved",), id="heading-unknown-status"),
    pytest.param(doc(body="\n## Background\n\n```\n## Resolved\n```\n"), (),
                 id="plain-heading-and-fenced-code"),
    pytest.param(doc(body="\n## Resolved — 2026-11-20 10:00\n\n## Monitoring — 2026-11-20 10:30\n"),
                 (f"11: error: {RESOLVED}",), id="update-after-resolved"),
    pytest.param(doc(body="\n## Resolved — 2026-11-20 10:00\n\n## Resolved — 2026-11-20 10:30\n"),
                 (f"11: error: {RESOLVED}",), id="resolved-twice"),
    pytest.param(doc(body="\n## Investigating — 2026-11-20 09:00\n"),
                 ("9: warning: update is before 'started' (2026-11-20 09:12 +08:00)",),
                 id="update-before-started"),
    # One mistake, one error: 'api: partial_outage' names no time that could be after the
    # resolution.
    pytest.param(doc(body="\n## Resolved — 2026-11-20 09:00\n"),
                 ("9: error: resolved before the incident started (started 2026-11-20 09:12 "
                  "+08:00)",), id="resolved-before-started"),
    pytest.param(doc(body="\n## Investigating — 2026-11-25 09:00\n"),
                 (f"9: error: update at 2026-11-25 09:00 +08:00 is in the future {NOW_IS}",),
                 id="update-in-future"),
    # The file has no 'started': the update is the one thing in the future.
    pytest.param(doc(front_without("started"), "\n## Investigating — 2026-11-25 09:00\n"),
                 (f"8: error: update at 2026-11-25 09:00 +08:00 is in the future {NOW_IS}",),
                 id="update-in-future-started-implied"),
    # The plain status of 'api' changes nothing at a time of its own.
    pytest.param(doc(FRONT.replace("2026-11-20 09:12", "2026-11-25 09:12"), ""),
                 (f"4: error: started 2026-11-25 09:12 +08:00 is in the future {NOW_IS}",),
                 id="started-in-future"),
    pytest.param(doc(with_steps("{at: 2026-11-25 09:40, status: degraded_performance}")),
                 ("8: error: components: api: change at 2026-11-25 09:40 +08:00 is in the future "
                  f"{NOW_IS}",), id="step-in-future"),
    pytest.param(doc(FRONT + "severty: P1\n"),
                 ("7: warning: unknown key 'severty' (did you mean 'severity'?)",),
                 id="unknown-front-matter-key"),
    pytest.param(doc(FRONT + "type: outage\n"),
                 ("7: error: type: 'outage' is not 'incident' or 'maintenance'",), id="type-other"),
    pytest.param(doc(FRONT.replace("P1", "P9") + "draft: true\n"),
                 ("3: warning: (draft) severity: unknown severity 'P9'; "
                  "use one of P0, P1, P2, P3",),
                 id="draft-error-is-warning"),
    # A draft flag that is not true/false hides the file; CI must fail, not warn.
    pytest.param(doc(FRONT + "draft: 'false'\n"),
                 ("7: error: draft: expected true or false, got 'false'",), id="draft-not-bool"),
]


@pytest.mark.parametrize("status", ["Resolved", "RESOLVED", "resolved"])
@pytest.mark.parametrize("separator", ["—", "–", "-", "|", "·"], ids=["em", "en", "hyphen",
                                                                   "bar", "dot"])
def test_update_heading_separators_and_case(repo: Repo, separator: str, status: str) -> None:
    # Without 'started' the file is only valid if the heading was read as an update.
    repo.incident("2026-11-20-x.md",
                  doc(front_without("started"), f"\n## {status} {separator} 2026-11-20 10:40\n"))
    result = repo.check()
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["no problems"]


def test_duplicate_slug_in_two_folders(repo: Repo) -> None:
    repo.incident("a/2026-11-20-x.md", doc())
    repo.incident("b/2026-11-20-x.md", doc())
    assert_problems(repo, repo.check(), "incidents/b/2026-11-20-x.md",
                    f"1: error: duplicate slug '2026-11-20-x': {shown(repo, 'incidents')}"
                    "/a/2026-11-20-x.md has the same file name")


# --- maintenance files ------------------------------------------------------------------------

MAINTENANCE = """\
title: Database upgrade
type: maintenance
components: [api, voice]
scheduled: 2026-12-01 02:00 +08:00
until: 2026-12-01 04:00 +08:00
"""  # lines 2-6; a heading after a blank line is on line 9
PAST_MAINTENANCE = MAINTENANCE.replace("2026-12-01", "2026-11-20")


MAINTENANCE_CASES = [
    pytest.param(doc(MAINTENANCE, ""), (), id="maint-valid-upcoming"),
    pytest.param(doc(PAST_MAINTENANCE, "\n## In progress — 2026-11-20 02:00\n"
                                       "\n## Completed — 2026-11-20 03:00\n"), (),
                 id="maint-in-progress-accepted"),
    pytest.param(doc(MAINTENANCE, "\n## Completed — 2026-11-20 03:00\n"),
                 ("9: error: completed before the window starts; to call off a maintenance, "
                  "delete its file or mark it 'draft: true'",), id="maint-completed-before-start"),
    pytest.param(doc(MAINTENANCE.replace("scheduled: 2026-12-01 02:00 +08:00\n", ""), ""),
                 ("2: error: 'scheduled' is required for maintenance",),
                 id="maint-missing-scheduled"),
    pytest.param(doc(MAINTENANCE.replace("until: 2026-12-01 04:00 +08:00\n", ""), ""),
                 ("2: error: 'until' is required for maintenance",), id="maint-missing-until"),
    pytest.param(doc(MAINTENANCE.replace("04:00", "01:00"), ""),
                 ("6: error: until: the window must end after it starts",),
                 id="maint-until-before"),
    pytest.param(doc(MAINTENANCE.replace("04:00", "02:00"), ""),
                 ("6: error: until: the window must end after it starts",), id="maint-until-equal"),
    pytest.param(doc(MAINTENANCE.replace("[api, voice]", "[api, voise]"), ""),
                 ("4: error: components: unknown component 'voise' (did you mean 'voice'?)",),
                 id="maint-unknown-component"),
    pytest.param(doc(MAINTENANCE.replace("[api, voice]", "\n  - api\n  - voise"), ""),
                 ("6: error: components: unknown component 'voise' (did you mean 'voice'?)",),
                 id="maint-unknown-component-block-list"),
    pytest.param(doc(MAINTENANCE.replace("[api, voice]", "{api: partial_outage}"), ""),
                 ("4: error: components: expected a list of component ids, such as "
                  "[chat-api, voice]",), id="maint-components-not-list"),
    pytest.param(doc(PAST_MAINTENANCE, "\n## Resolved — 2026-11-20 03:00\n"),
                 ("9: error: unknown update status 'Resolved'; use one of scheduled, in_progress, "
                  "verifying, completed",), id="maint-incident-status"),
    pytest.param(doc(MAINTENANCE, "\n## In progress — 2026-12-01 02:00\n"),
                 (f"9: error: update at 2026-12-01 02:00 +08:00 is in the future {NOW_IS}",),
                 id="maint-update-in-future"),
    pytest.param(doc(MAINTENANCE + "severity: P1\n", ""),
                 ("7: warning: unknown key 'severity'",), id="maint-unknown-key"),
]


@pytest.mark.parametrize(("text", "expected"), INCIDENT_CASES + MAINTENANCE_CASES)
def test_incident_or_maintenance_rule(repo: Repo, text: str, expected: tuple[str, ...]) -> None:
    repo.incident("2026-11-20-x.md", text)
    assert_problems(repo, repo.check(), INCIDENT, *expected)


# --- postmortems ------------------------------------------------------------------------------

RESOLVED_INCIDENT = doc(body="\n## Resolved — 2026-11-20 10:00\n")
POSTMORTEM = "incidents/2026-11-20-x.postmortem.md"

POSTMORTEM_CASES = [
    pytest.param(RESOLVED_INCIDENT, "published: 2026-11-21 10:00\nauthors: Ann\n", (),
                 id="valid-one-author"),
    pytest.param(None, "published: 2026-11-21 10:00\n",
                 ("1: error: postmortem without an incident: no incident file '2026-11-20-x.md' "
                  "next to it",), id="without-incident"),
    pytest.param(doc(MAINTENANCE, ""), "published: 2026-11-21 10:00\n",
                 ("1: error: postmortem for '2026-11-20-x', which is not an incident",),
                 id="of-maintenance"),
    pytest.param(RESOLVED_INCIDENT, "published: next week\n",
                 (f"2: error: published: 'next week' is not a timestamp; {TS_HINT}",),
                 id="published-text"),
    pytest.param(RESOLVED_INCIDENT, "published: 2026-11-21 10:00\nauthors: {name: Ann}\n",
                 ("3: error: authors: expected a list of names",), id="authors-mapping"),
]


@pytest.mark.parametrize(("incident", "front", "expected"), POSTMORTEM_CASES)
def test_postmortem_rule(repo: Repo, incident: str | None, front: str,
                         expected: tuple[str, ...]) -> None:
    if incident is not None:
        repo.incident("2026-11-20-x.md", incident)
    repo.incident("2026-11-20-x.postmortem.md", doc(front, "## Summary\n"))
    assert_problems(repo, repo.check(), POSTMORTEM, *expected)


# --- --now, the count line, build ---------------------------------------------------------------

UPDATE_AT_1130 = doc(FRONT, "\n## Investigating — 2026-11-24 11:30 +08:00\n")


@pytest.mark.parametrize(("now", "future"), [
    pytest.param("2026-11-24 11:00", True, id="naive-is-site-zone"),
    pytest.param("2026-11-24 12:00", False, id="naive-after"),
    pytest.param("2026-11-24T03:00Z", True, id="utc-before"),
    pytest.param("2026-11-24T04:00:00+00:00", False, id="utc-after"),
    pytest.param("2026-11-24 04:00 +01:00", True, id="offset-before"),
])
def test_now_naive_or_with_offset(repo: Repo, now: str, future: bool) -> None:
    repo.incident("2026-11-20-x.md", UPDATE_AT_1130)
    result = repo.check(now)
    assert result.exit_code == (1 if future else 0), result.output
    assert any("update at 2026-11-24 11:30 +08:00 is in the future" in line
               for line in problem_lines(result)) is future


def test_a_file_from_the_cache_reports_its_times_at_their_lines(repo: Repo) -> None:
    # A parsed file is cached with only part of its front matter; a time that is in the future
    # only for a later build (one with an earlier --now) is still reported at its own line.
    repo.incident("2026-11-20-x.md", doc(
        FRONT.replace("2026-11-20 09:12", "2026-11-25 09:12"),
        "\n## Investigating — 2026-11-25 09:30\n"))
    assert repo.build("2026-11-26 12:00").exit_code == 0
    assert list((repo.root / ".statuspage-cache").glob("parsed*"))
    result = repo.build()
    assert result.exit_code == 1
    assert_problems(repo, result, INCIDENT,
                    f"4: error: started 2026-11-25 09:12 +08:00 is in the future {NOW_IS}",
                    f"9: error: update at 2026-11-25 09:30 +08:00 is in the future {NOW_IS}")


def test_now_that_is_not_a_timestamp_is_a_usage_error(repo: Repo) -> None:
    result = repo.check("tomorrow")
    assert result.exit_code == 2
    assert f"Invalid value for --now: 'tomorrow' is not a timestamp; {TS_HINT}" in result.output


@pytest.mark.parametrize(("files", "count", "problems"), [
    pytest.param({}, "no problems", 0, id="none"),
    pytest.param({"a.md": doc(front_without("title"))}, "1 error", 1, id="one-error"),
    pytest.param({"a.md": doc(FRONT + "colour: red\n")}, "1 warning", 1, id="one-warning"),
    pytest.param({"a.md": doc(FRONT + "colour: red\nshade: blue\n")}, "2 warnings", 2,
                 id="two-warnings"),
    pytest.param({"a.md": doc(FRONT.replace("P1", "P9") + "colour: red\n"),
                  "b.md": doc(front_without("title"))}, "2 errors, 1 warning", 3, id="mixed"),
])
def test_count_line_ends_the_output(repo: Repo, files: dict[str, str], count: str,
                                    problems: int) -> None:
    for name, text in files.items():
        repo.incident(name, text)
    result = repo.check()
    assert result.output.splitlines()[-1] == count
    assert len(problem_lines(result)) == problems


def test_build_with_an_error_fails_and_prints_it(repo: Repo) -> None:
    repo.incident("2026-11-20-x.md", doc(FRONT.replace("api:", "apii:")))
    result = repo.build()
    assert_problems(repo, result, INCIDENT,
                    "6: error: components: unknown component 'apii' (did you mean 'api'?)")
    assert result.output.splitlines()[-2:] == ["1 error",
                                               f"build failed: {repo.site} was not changed"]
    assert not repo.site.exists()


def test_build_with_a_broken_draft_warns_and_succeeds(repo: Repo) -> None:
    repo.incident("2026-11-20-x.md", doc(FRONT.replace("api:", "apii:") + "draft: true\n"))
    result = repo.build()
    assert_problems(repo, result, INCIDENT, "6: warning: (draft) components: unknown component "
                                            "'apii' (did you mean 'api'?)")
    assert (repo.site / "index.html").is_file()
    assert not (repo.site / "incidents" / "2026-11-20-x").exists()
