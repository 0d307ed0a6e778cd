"""Badges: flat SVG badges with a title, and shields.io endpoint JSON."""

from __future__ import annotations

import html
from typing import Any

from .bars import percent
from .model import ComponentStatus, Impact

COLOURS = {
    "operational": ("#1a7f37", "brightgreen"),
    "degraded_performance": ("#9a6700", "yellow"),
    "partial_outage": ("#bc4c00", "orange"),
    "major_outage": ("#cf222e", "red"),
    "under_maintenance": ("#0969da", "blue"),
}
INDICATOR_STATUS = {
    Impact.NONE: "operational",
    Impact.MINOR: "degraded_performance",
    Impact.MAJOR: "partial_outage",
    Impact.CRITICAL: "major_outage",
}
STATUS_WORDS = {
    "operational": "operational",
    "degraded_performance": "degraded",
    "partial_outage": "partial outage",
    "major_outage": "major outage",
    "under_maintenance": "maintenance",
}
_NARROW = set("fijlrtI.,:;|!'() ")
_WIDE = set("mwMW%@")


def _width(text: str) -> int:
    """Return an estimate of the text's width in pixels in 11 px Verdana."""
    total = 0.0
    for char in text:
        total += 4.0 if char in _NARROW else 10.0 if char in _WIDE else 7.5 if (
            char.isupper() or ord(char) > 0x2E80) else 6.6
    return int(total + 0.5)


def svg(label: str, message: str, colour: str) -> bytes:
    """Return a flat two-part badge; its title and aria-label say the same as its text."""
    left, right = _width(label) + 12, _width(message) + 12
    shown_label, shown_message = html.escape(label, quote=False), html.escape(message,
                                                                              quote=False)
    spoken = f"{shown_label}: {shown_message}".replace('"', "&quot;")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + right}" height="20" '
        f'role="img" aria-label="{spoken}"><title>{spoken}</title>'
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<g fill="#fff" text-anchor="middle" '
        f'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2:g}" y="14">{shown_label}</text>'
        f'<text x="{left + right / 2:g}" y="14">{shown_message}</text></g></svg>\n'
    ).encode()


def component_badge(name: str, status: ComponentStatus,
                    uptime: float | None) -> tuple[str, str, str, str]:
    """Return (label, message, svg colour, shields colour) for a component."""
    colour, shields = COLOURS[status.value]
    message = f"{STATUS_WORDS[status.value]} · {percent(uptime).replace(chr(0xA0), ' ')}"
    return name, message, colour, shields


def status_badge(title: str, indicator: Impact, description: str,
                 maintenance: bool) -> tuple[str, str, str, str]:
    """Return (label, message, svg colour, shields colour) for the whole page."""
    key = "under_maintenance" if maintenance else INDICATOR_STATUS[indicator]
    colour, shields = COLOURS[key]
    return title, description.lower(), colour, shields


def endpoint(label: str, message: str, shields: str) -> dict[str, Any]:
    """Return a shields.io endpoint badge document."""
    return {"schemaVersion": 1, "label": label, "message": message, "color": shields}


def favicon(indicator: Impact, maintenance: bool) -> bytes:
    """Return the favicon: a dot in the colour of the page's current status, with its icon."""
    key = "under_maintenance" if maintenance else INDICATOR_STATUS[indicator]
    colour = COLOURS[key][0]
    mark = {"operational": "M9 16.5l4.5 4.5L23 11", "under_maintenance": "M16 9v7l4 4",
            "major_outage": "M11 11l10 10M21 11L11 21"}.get(key, "M16 8v10M16 23v1")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
            f'<circle cx="16" cy="16" r="15" fill="{colour}"/><path d="{mark}" fill="none" '
            f'stroke="#fff" stroke-width="3.5" stroke-linecap="round" '
            f'stroke-linejoin="round"/></svg>\n').encode()


def theme_colour(indicator: Impact, maintenance: bool) -> str:
    """Return the colour browsers tint their interface with: the current status's."""
    return COLOURS["under_maintenance" if maintenance else INDICATOR_STATUS[indicator]][0]
