"""The `notify:` setting: each mistake reported with its line, secrets only by name."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import BASIC_CONFIG, REPO_ROOT, Repo, problem_lines, run_cli, shown

from statuspage.notify.events import RECENT, differences
from statuspage.notify.published import Published


def test_mistakes_in_notify_are_reported_with_their_lines(
        make_repo: Callable[[str], Repo]) -> None:
    repo = make_repo(BASIC_CONFIG + """\
notify:
  - type: slak
    url_env: SLACK
  - type: webhook
    url_env: https://hooks.example/abc
  - type: discord
  - type: teams
    url_env: TEAMS
    components: [apii]
    events: [incident_create]
    colour: red
  - type: email
    smtp: {host: smtp.example, starttls: true, tls: true, user_env: U}
    from: not-an-address
  - type: slack
    url: https://hooks.example/x
    secret_env: S
""")
    result = repo.check()
    assert result.exit_code == 1
    config = shown(repo, "statuspage.yaml")
    assert problem_lines(result) == [
        f"{config}:14: error: notify: type: expected one of webhook, slack, discord, teams, "
        "email, got 'slak' (did you mean 'slack'?)",
        f"{config}:17: error: notify: url_env: expected the name of an environment variable, "
        "such as 'SLACK_WEBHOOK_URL' (never the secret itself)",
        f"{config}:18: error: notify: discord: give exactly one of 'url_env' (the environment "
        "variable holding the address: addresses hold tokens) or 'url'",
        f"{config}:21: error: notify: components: unknown component 'apii' "
        "(did you mean 'api'?)",
        f"{config}:22: error: notify: events: unknown event 'incident_create' (did you mean "
        "'incident_created'?); use some of incident_created, incident_update, "
        "maintenance_scheduled, maintenance_update, maintenance_started, "
        "maintenance_completed, component_update, postmortem_published",
        f"{config}:23: warning: notify: unknown key 'colour'",
        f"{config}:24: error: notify: email: 'to' is required (one address or a list)",
        f"{config}:25: error: notify: smtp: give both 'user_env' and 'password_env' to log "
        "in, or neither",
        f"{config}:25: error: notify: smtp: use 'tls' (TLS from the start, port 465) or "
        "'starttls' (port 587), not both",
        f"{config}:26: error: notify: from: 'not-an-address' is not an e-mail address",
        f"{config}:29: error: notify: secret_env: only a webhook signs its requests",
    ]
    assert "https://hooks.example/abc" not in result.output.replace(
        "url_env: expected", "")


def test_notify_settings_change_no_output(make_repo: Callable[[str], Repo]) -> None:
    repo = make_repo(BASIC_CONFIG)
    assert repo.build().exit_code == 0
    repo.config.write_text(BASIC_CONFIG + "notify:\n  - {type: slack, url_env: SLACK}\n")
    result = repo.build()
    assert result.exit_code == 0, result.output
    assert repo.check().exit_code == 0


def _item(number: int) -> dict[str, object]:
    day = f"2026-{1 + number // 28:02d}-{1 + number % 28:02d}T10:00:00+08:00"
    return {"id": f"i{number}", "name": f"Incident {number}", "started_at": day,
            "created_at": day, "shortlink": f"https://s.example/incidents/{number}/",
            "components": [], "incident_updates": [
                {"id": f"u{number}", "status": "resolved", "body": "", "display_at": day}]}


def test_an_old_incident_coming_into_a_full_list_is_not_news() -> None:
    page: dict[str, object] = {"id": "p", "name": "S", "url": "https://s.example"}
    status = {"indicator": "none", "description": "All Systems Operational"}
    listed = [_item(n) for n in range(RECENT, 0, -1)]  # newest first, as published
    old = Published(page, status, [], listed, [])
    # The newest incident was made a draft: the 51st newest comes into view.
    new = Published(page, status, [], [*listed[1:], _item(0)], [])
    assert differences(old, new) == []
    # A new incident, older than the list's oldest, in a list that was not full, is news.
    short = Published(page, status, [], listed[:10], [])
    grown = Published(page, status, [], [*listed[:10], _item(0)], [])
    assert [e.label for e in differences(short, grown)] == [
        "incident_created 0#resolved-20260101T020000Z"]


def test_init_workflow_notifies_after_a_deploy(tmp_path: Path) -> None:
    target = tmp_path / "status"
    assert run_cli("init", str(target)).exit_code == 0
    workflow = yaml.safe_load((target / ".github/workflows/statuspage.yml").read_text())
    steps = workflow["jobs"]["publish"]["steps"]
    runs = [step.get("run", step.get("uses", "")) for step in steps]
    save = runs.index("statuspage notify --save-previous previous-site")
    deploy = next(n for n, step in enumerate(steps) if step.get("id") == "deploy")
    tell = runs.index("statuspage notify --previous previous-site")
    assert save < runs.index("statuspage build") < deploy < tell
    assert steps[save]["continue-on-error"] is True
    assert steps[tell]["if"] == "steps.previous.outcome == 'success'"
    assert all(value.startswith("${{ secrets.") for value in steps[tell]["env"].values())
    # The starter's example destinations, uncommented, are valid settings.
    config = target / "statuspage.yaml"
    text = config.read_text()
    example = text[text.index("# notify:"):]
    config.write_text(text.replace(example, "\n".join(
        line.removeprefix("# ") for line in example.splitlines()) + "\n"))
    check = run_cli("check", "--config", str(config), "--now", "2026-11-24 12:00")
    assert check.exit_code == 0, check.output
    schema = json.loads((REPO_ROOT / "schemas/statuspage.schema.json").read_text())
    settings = yaml.safe_load(config.read_text())
    settings["components"] = [{**c, "since": str(c["since"])} if "since" in c else c
                              for c in settings["components"]]
    jsonschema.validate(settings, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**settings, "notify": [{"type": "slack"}]}, schema)
