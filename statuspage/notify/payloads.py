"""The body each kind of destination is sent: Atlassian Statuspage's webhook payloads, Slack
blocks, Discord embeds and a Teams Adaptive Card, each within its service's documented limits."""

from __future__ import annotations

import hashlib
from typing import Any

from .events import MAINTENANCE_KINDS, Event, Kind, parse_time
from .texts import Notice

# Slack (Block Kit): a header's text up to 150 characters, a section's up to 3,000, at most 10
# fields of up to 2,000, at most 50 blocks; the top-level text is the notification's fallback.
SLACK_HEADER, SLACK_SECTION, SLACK_FIELD, SLACK_FIELDS = 150, 3000, 2000, 10
# Discord: content up to 2,000; an embed's title 256, description 4,096, up to 25 fields with a
# name of 256 and a value of 1,024, footer 2,048, and at most 6,000 characters in all.
DISCORD_CONTENT, DISCORD_TITLE, DISCORD_DESCRIPTION = 2000, 256, 4096
DISCORD_FIELD_NAME, DISCORD_FIELD_VALUE, DISCORD_FOOTER, DISCORD_TOTAL = 256, 1024, 2048, 6000
# Teams: a message (card included) of at most 28 KB; the card's text is kept well below.
TEAMS_TEXT = 5000

_COLOURS = {"operational": 0x2E7D32, "degraded_performance": 0xF9A825,
            "partial_outage": 0xEF6C00, "major_outage": 0xC62828,
            "under_maintenance": 0x1565C0, "none": 0x2E7D32, "minor": 0xF9A825,
            "major": 0xEF6C00, "critical": 0xC62828, "maintenance": 0x1565C0}


def cut(text: str, limit: int) -> str:
    """Return `text`, shortened to `limit` characters with an ellipsis if it is longer."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def webhook(event: Event) -> dict[str, Any]:
    """Return the Statuspage webhook payload: page + incident (maintenance is an incident
    with `scheduled_for`), or page + component_update + component."""
    page_url = str(event.page.get("url", "")).rstrip("/") + "/"
    payload: dict[str, Any] = {
        "meta": {"unsubscribe": page_url, "documentation": f"{page_url}api/v2/summary.json",
                 "generated_at": event.at.isoformat()},
        "page": {"id": event.page.get("id"),
                 "status_indicator": event.status.get("indicator"),
                 "status_description": event.status.get("description")},
    }
    if event.component is not None:
        component = event.component
        key = f"{component['id']}@{event.at.isoformat()}:{component.get('status')}"
        payload["component_update"] = {
            "created_at": event.at.isoformat(), "new_status": component.get("status"),
            "old_status": event.old_status,
            "id": hashlib.sha256(key.encode()).hexdigest()[:12],
            "component_id": component["id"]}
        payload["component"] = {**component, "created_at": component.get("created_at"),
                                "id": component["id"], "name": component.get("name"),
                                "status": component.get("status")}
        return payload
    payload["incident"] = _incident(event)
    return payload


def _incident(event: Event) -> dict[str, Any]:
    """Return the incident as of the event: updates up to the one announced, and fields that
    Statuspage's webhooks carry but a static site does not keep, at their neutral values."""
    item = event.item
    assert item is not None
    updates = list(item["incident_updates"])
    status = item.get("status")
    if event.update is not None and event.kind is not Kind.MAINTENANCE_SCHEDULED:
        moment = parse_time(event.update.get("display_at") or event.update.get("created_at"))
        updates = [u for u in updates if parse_time(u.get("display_at") or u.get("created_at"))
                   <= moment]
        status = event.update.get("status", status)
    if event.kind is Kind.POSTMORTEM_PUBLISHED:
        status = "postmortem"
    maintenance = event.kind in MAINTENANCE_KINDS
    return {
        **item,
        "backfilled": False, "impact_override": None,
        "postmortem_body": None, "postmortem_body_last_updated_at": None,
        "postmortem_ignored": not item.get("postmortem_published_at"),
        "postmortem_notified_subscribers": event.kind is Kind.POSTMORTEM_PUBLISHED,
        "postmortem_notified_twitter": False,
        "postmortem_published_at": item.get("postmortem_published_at"),
        "scheduled_for": item.get("scheduled_for") if maintenance else None,
        "scheduled_until": item.get("scheduled_until") if maintenance else None,
        "scheduled_remind_prior": False, "scheduled_reminded_at": None,
        "scheduled_auto_transition": maintenance,
        "organization_id": item.get("page_id"), "status": status,
        "incident_updates": [{**u, "twitter_updated_at": None, "wants_twitter_update": False}
                             for u in updates],
    }


def colour(event: Event) -> int:
    """Return the colour of an event: its status's, its impact's, or maintenance blue."""
    if event.component is not None:
        return _COLOURS.get(str(event.component.get("status")), 0x607D8B)
    assert event.item is not None
    if event.kind in MAINTENANCE_KINDS:
        return _COLOURS["maintenance"]
    if event.kind is Kind.POSTMORTEM_PUBLISHED or (
            event.update is not None and event.update.get("status") == "resolved"):
        return 0x607D8B if event.kind is Kind.POSTMORTEM_PUBLISHED else _COLOURS["operational"]
    return _COLOURS.get(str(event.item.get("impact")), 0x607D8B)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(notice: Notice) -> dict[str, Any]:
    """Return a Slack incoming-webhook message: fallback text and blocks."""
    esc = _slack_escape
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": False,
                                    "text": cut(notice.headline, SLACK_HEADER)}}]
    if notice.body:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": cut(esc(notice.body), SLACK_SECTION)}})
    if notice.facts:
        blocks.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": cut(f"*{esc(name)}*\n{esc(value)}", SLACK_FIELD)}
            for name, value in notice.facts[:SLACK_FIELDS]]})
    link = notice.link.replace("|", "%7C").replace(">", "%3E")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": cut(
        f"{esc(notice.site)} · {esc(notice.kind_text)} · <{link}|{esc(notice.link_text)}>",
        SLACK_SECTION)}]})
    return {"text": cut(f"{notice.site}: {notice.headline}", SLACK_SECTION),
            "blocks": blocks, "unfurl_links": False}


def discord(notice: Notice, event: Event) -> dict[str, Any]:
    """Return a Discord webhook message: a line of content and one embed; it mentions no one."""
    title = cut(notice.headline, DISCORD_TITLE)
    footer = cut(f"{notice.site} · {notice.kind_text}", DISCORD_FOOTER)
    fields = [{"name": cut(name, DISCORD_FIELD_NAME), "value": cut(value, DISCORD_FIELD_VALUE),
               "inline": True} for name, value in notice.facts[:25]]
    used = len(title) + len(footer) + sum(len(str(f["name"])) + len(str(f["value"]))
                                          for f in fields)
    description = cut(notice.body, max(0, min(DISCORD_DESCRIPTION, DISCORD_TOTAL - used)))
    embed: dict[str, Any] = {"title": title, "url": notice.link, "color": colour(event),
                             "fields": fields, "footer": {"text": footer},
                             "timestamp": event.at.isoformat()}
    if description:
        embed["description"] = description
    return {"content": cut(f"{notice.site}: {notice.kind_text}", DISCORD_CONTENT),
            "embeds": [embed], "allowed_mentions": {"parse": []}}


def teams(notice: Notice) -> dict[str, Any]:
    """Return a message for a Teams Workflows webhook: one Adaptive Card."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": cut(f"{notice.site} · {notice.kind_text}", 500),
         "size": "Small", "isSubtle": True, "wrap": True},
        {"type": "TextBlock", "text": cut(notice.headline, 500), "size": "Medium",
         "weight": "Bolder", "wrap": True},
    ]
    if notice.body:
        body.append({"type": "TextBlock", "text": cut(notice.body, TEAMS_TEXT), "wrap": True})
    if notice.facts:
        body.append({"type": "FactSet", "facts": [{"title": cut(name, 200),
                                                   "value": cut(value, 1000)}
                                                  for name, value in notice.facts]})
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard", "version": "1.4", "body": body,
            "actions": [{"type": "Action.OpenUrl", "title": cut(notice.link_text, 100),
                         "url": notice.link}]}
    return {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
        "content": card}]}
