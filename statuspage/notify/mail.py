"""E-mail notices: one message per event, plain text and HTML, threaded per incident.

The first message about an incident or maintenance has the thread's Message-ID, derived from
the incident's published id; every later one replies to it (In-Reply-To and References), so
threads hold together across runs without remembering anything.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from urllib.parse import urlsplit

from .events import Event, Kind
from .texts import Notice

_STARTS = (Kind.INCIDENT_CREATED, Kind.MAINTENANCE_SCHEDULED)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def thread_id(event: Event, host: str) -> str | None:
    """Return the Message-ID that starts the thread of the event's incident or maintenance."""
    return None if event.thread is None else f"<incident.{event.thread}@{host}>"


def message_id(event: Event, host: str) -> str:
    """Return the event's own Message-ID (the thread's for the first event of a thread)."""
    root = thread_id(event, host)
    if root is not None and event.kind in _STARTS:
        return root
    key = hashlib.sha256(f"{event.page.get('id')}:{event.label}".encode()).hexdigest()[:24]
    return f"<{event.kind.value.replace('_', '-')}.{key}@{host}>"


def message(notice: Notice, event: Event, sender: str, to: tuple[str, ...],
            sent: datetime | None = None) -> EmailMessage:
    """Return the e-mail telling `event` to `to`, dated `sent` (default: the event's time)."""
    host = urlsplit(str(event.page.get("url", ""))).hostname or "statuspage.invalid"
    mail = EmailMessage()
    mail["Subject"] = _one_line(f"[{notice.site}] {notice.headline}")
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Date"] = format_datetime(sent or event.at)
    mail["Message-ID"] = message_id(event, host)
    root = thread_id(event, host)
    if root is not None and event.kind not in _STARTS:
        mail["In-Reply-To"] = root
        mail["References"] = root
    mail["Auto-Submitted"] = "auto-generated"
    facts = "\n".join(f"{name}: {value}" for name, value in notice.facts)
    text = [notice.headline, "", notice.kind_text]
    if notice.body:
        text += ["", notice.body]
    text += ["", facts, "", f"{notice.link_text}: {notice.link}", "", "-- ",
             f"{notice.site} · {notice.page_status}"]
    mail.set_content("\n".join(text) + "\n")
    rows = "".join(f"<tr><th align=\"left\">{escape(name)}</th><td>{escape(value)}</td></tr>"
                   for name, value in notice.facts)
    html = (f"<!DOCTYPE html><html><body>"
            f"<p style=\"color:#555\">{escape(notice.site)} · {escape(notice.kind_text)}</p>"
            f"<h1 style=\"font-size:1.3em\">{escape(notice.headline)}</h1>"
            + "".join(f"<p>{escape(part)}</p>" for part in notice.body.split("\n\n") if part)
            + f"<table>{rows}</table>"
            f"<p><a href=\"{escape(notice.link)}\">{escape(notice.link_text)}</a></p>"
            f"<p style=\"color:#555\">{escape(notice.site)} · {escape(notice.page_status)}</p>"
            "</body></html>\n")
    mail.add_alternative(html, subtype="html")
    return mail
