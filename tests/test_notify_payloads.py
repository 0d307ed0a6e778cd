"""What notify sends: every event kind, the webhook payloads validated against the JSON Schema
written from Statuspage's documented webhook fields, and the Slack, Discord and Teams messages
held to each service's documented limits, with very long and non-Latin text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import REPO_ROOT, Repo
from test_notify import AFTER, BEFORE, edit_after, write_before

from statuspage.notify.events import Event, Kind, differences
from statuspage.notify.payloads import discord, slack, teams, webhook
from statuspage.notify.published import Published, read_published
from statuspage.notify.texts import Words

SCHEMA = json.loads((REPO_ROOT / "schemas/statuspage-webhook.schema.json").read_text())
LATER = "2026-11-25 15:00 +08:00"


def build(repo: Repo, now: str, folder: Path) -> Published:
    result = repo.build(now, "--out", str(folder))
    assert result.exit_code == 0, result.output
    return read_published(str(folder))


@pytest.fixture
def three_states(repo: Repo, tmp_path: Path) -> list[Published]:
    write_before(repo)
    before = build(repo, BEFORE, tmp_path / "1")
    edit_after(repo)
    after = build(repo, AFTER, tmp_path / "2")
    # The voice window closes with the clock; the website move gets an update.
    text = (repo.root / "incidents/2026-12-02-web-maintenance.md").read_text()
    repo.incident("2026-12-02-web-maintenance.md", text + "\n## Scheduled — 2026-11-25 14:30\n"
                  "The move starts an hour later than planned.\n")
    later = build(repo, LATER, tmp_path / "3")
    return [before, after, later]


def all_events(states: list[Published]) -> list[Event]:
    return differences(states[0], states[1]) + differences(states[1], states[2])


def test_every_kind_of_event(three_states: list[Published]) -> None:
    events = all_events(three_states)
    assert {e.kind for e in events} == set(Kind)
    later = [e.label for e in differences(three_states[1], three_states[2])]
    assert later == ["maintenance_completed 2026-11-25-voice-maintenance",
                     "maintenance_update 2026-12-02-web-maintenance#scheduled-20261125T063000Z",
                     "component_update 'Voice' under_maintenance->operational"]


def test_a_site_compared_with_itself_gives_no_event(three_states: list[Published]) -> None:
    for state in three_states:
        assert differences(state, state) == []


def test_an_edited_old_update_gives_no_event(repo: Repo, tmp_path: Path) -> None:
    write_before(repo)
    before = build(repo, BEFORE, tmp_path / "1")
    path = repo.root / "incidents/2026-11-24-web-slow.md"
    path.write_text(path.read_text().replace("webiste", "website"))
    after = build(repo, BEFORE, tmp_path / "2")
    assert before.incidents != after.incidents   # the text did change on the site
    assert differences(before, after) == []


def test_webhook_payloads_match_statuspage_fields(three_states: list[Published]) -> None:
    validator = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    for event in all_events(three_states):
        payload = webhook(event)
        errors = sorted(validator.iter_errors(payload), key=str)
        assert not errors, (event.label, [e.message for e in errors[:3]])
        if event.kind in (Kind.MAINTENANCE_SCHEDULED, Kind.MAINTENANCE_STARTED,
                          Kind.MAINTENANCE_UPDATE, Kind.MAINTENANCE_COMPLETED):
            assert payload["incident"]["scheduled_for"] and payload["incident"]["impact"] == \
                   "maintenance"
    # The schema can fail: a payload without its page, or with both shapes, is refused.
    payload = webhook(all_events(three_states)[0])
    assert list(validator.iter_errors({**payload, "page": {"id": "x"}}))
    assert list(validator.iter_errors({**payload, "component_update": {}, "component": {}}))


def long_states(repo: Repo, tmp_path: Path, language: str) -> list[Published]:
    if language != "en":
        repo.config.write_text(repo.config.read_text() + f"language: {language}\n")
    before = build(repo, BEFORE, tmp_path / "1")
    title = ("Very long title about the voice service and its many parts " * 8).strip()
    body = ("语音服务的一次很长的更新。" if language == "zh-CN" else
            "When 5 < 6 & *more* with @everyone in it. ") * 400
    repo.incident("2026-11-24-long.md", f"""\
        ---
        title: {title}
        severity: P1
        components: {{voice: major_outage, api: partial_outage, web: degraded_performance}}
        ---
        ## Identified — 2026-11-24 11:00
        {body}
        """)
    return [before, build(repo, BEFORE, tmp_path / "2")]


def _slack_limits(message: dict[str, Any]) -> None:
    assert len(message["text"]) <= 3000
    assert len(message["blocks"]) <= 50
    for block in message["blocks"]:
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert len(block["text"]["text"]) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in block["elements"])


def _discord_limits(message: dict[str, Any]) -> None:
    assert len(message["content"]) <= 2000
    assert len(message["embeds"]) <= 10
    assert message["allowed_mentions"] == {"parse": []}
    for embed in message["embeds"]:
        assert len(embed["title"]) <= 256
        assert len(embed.get("description", "")) <= 4096
        assert len(embed["fields"]) <= 25
        assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in embed["fields"])
        assert len(embed["footer"]["text"]) <= 2048
        total = len(embed["title"]) + len(embed.get("description", "")) + len(
            embed["footer"]["text"]) + sum(len(f["name"]) + len(f["value"])
                                           for f in embed["fields"])
        assert total <= 6000


def _teams_limits(message: dict[str, Any]) -> None:
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert len(json.dumps(message, ensure_ascii=False).encode()) <= 28 * 1024
    assert card["actions"][0]["type"] == "Action.OpenUrl"


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_chat_messages_keep_within_each_services_limits(repo: Repo, tmp_path: Path,
                                                        language: str) -> None:
    events = differences(*long_states(repo, tmp_path, language))
    assert next(e.kind for e in events) is Kind.INCIDENT_CREATED
    words = Words(language)
    for event in events:
        notice = words.notice(event)
        _slack_limits(slack(notice))
        _discord_limits(discord(notice, event))
        _teams_limits(teams(notice))
    created = words.notice(events[0])
    assert len(created.body) > 4000   # the limits were reached, not avoided
    message = slack(created)
    assert message["blocks"][1]["text"]["text"].endswith("…")
    if language == "en":
        assert "When 5 &lt; 6 &amp;" in message["blocks"][1]["text"]["text"]
    else:
        assert message["blocks"][0]["text"]["text"].startswith("已定位: Very long title")


def test_component_filter(three_states: list[Published]) -> None:
    from statuspage.notify.run import matches
    from statuspage.notify.settings import Destination
    events = all_events(three_states)
    voice = Destination("webhook", "v", url="http://127.0.0.1/", components=("voice",))
    assert [e.label for e in events if matches(voice, e)] == [
        "maintenance_started 2026-11-25-voice-maintenance",
        "component_update 'Voice' operational->under_maintenance",
        "maintenance_completed 2026-11-25-voice-maintenance",
        "component_update 'Voice' under_maintenance->operational"]
    only = Destination("slack", "s", url="http://127.0.0.1/", events=(Kind.POSTMORTEM_PUBLISHED,))
    assert [e.label for e in events if matches(only, e)] == [
        "postmortem_published 2026-11-20-api-errors#postmortem"]
