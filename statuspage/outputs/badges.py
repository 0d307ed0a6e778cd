"""Badges: flat SVG badges with a title, and shields.io endpoint JSON, for the whole page and
each component; and the favicon, a dot in the colour of the status."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

from ..compute.status import Headline
from ..i18n import N_
from ..model import ComponentStatus
from .colours import COLOURS, INDICATOR_STATUS
from .facts import Facts
from .record import Output, file, json_bytes
from .views import BadgeUptime, Language

STATUS_WORDS = {
    "operational": N_("operational"),
    "degraded_performance": N_("degraded"),
    "partial_outage": N_("partial outage"),
    "major_outage": N_("major outage"),
    "under_maintenance": N_("maintenance"),
}
"""A badge's status words, short and in lower case (translated into the site's language)."""
_NARROW = set("fijlrtI.,:;|!'() ")
_WIDE = set("mwMW%@")


def _width(text: str) -> int:
    """Return an estimate of the text's width in pixels in 11 px Verdana."""
    total = 0.0
    for char in text:
        total += 4.0 if char in _NARROW else 10.0 if char in _WIDE else 7.5 if (
            char.isupper() or ord(char) > 0x2E80) else 6.6
    return int(total + 0.5)


def svg(label: str, message: str, colour: str, colon: str = ": ") -> bytes:
    """Return a flat two-part badge; its title and aria-label say the same as its text,
    joined by `colon` (the language's own)."""
    left, right = _width(label) + 12, _width(message) + 12
    shown_label, shown_message = html.escape(label, quote=False), html.escape(message,
                                                                              quote=False)
    spoken = f"{shown_label}{colon}{shown_message}".replace('"', "&quot;")
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


def outputs(facts: Facts) -> Iterator[Output]:
    """Yield the page's badges and each component's."""
    headline, language = facts.overview.headline, facts.language
    title = facts.config.title
    yield file("badges/status.svg", _status_svg, title, headline, language)
    yield file("api/badges/status.json", _status_json, title, headline, language)
    for component in facts.config.components:
        status = facts.overview.components[component.id]
        uptime = BadgeUptime(facts.uptime, component.id, "90d")
        yield file(f"badges/{component.id}.svg", _component_svg, component.name, status, uptime,
                   language)
        yield file(f"api/badges/{component.id}.json", _component_json, component.name, status,
                   uptime, language)


def _status_svg(title: str, headline: Headline, language: Language) -> bytes:
    label, message, colour, _shields = status_badge(title, headline, language)
    return svg(label, message, colour, language.gettext(": "))


def _status_json(title: str, headline: Headline, language: Language) -> bytes:
    label, message, _colour, shields = status_badge(title, headline, language)
    return json_bytes(endpoint(label, message, shields))


def _component_svg(name: str, status: ComponentStatus, uptime: str,
                   language: Language) -> bytes:
    label, message, colour, _shields = component_badge(name, status, uptime, language)
    return svg(label, message, colour, language.gettext(": "))


def _component_json(name: str, status: ComponentStatus, uptime: str,
                    language: Language) -> bytes:
    label, message, _colour, shields = component_badge(name, status, uptime, language)
    return json_bytes(endpoint(label, message, shields))


def component_badge(name: str, status: ComponentStatus, uptime: str,
                    language: Language) -> tuple[str, str, str, str]:
    """Return (label, message, svg colour, shields colour) for a component whose uptime reads
    `uptime`."""
    colour, shields = COLOURS[status.value]
    words = language.gettext(STATUS_WORDS[status.value])
    message = f"{words} · {uptime.replace(chr(0xA0), ' ')}"
    return name, message, colour, shields


def status_badge(title: str, headline: Headline,
                 language: Language) -> tuple[str, str, str, str]:
    """Return (label, message, svg colour, shields colour) for the whole page."""
    key = "under_maintenance" if headline.maintenance else INDICATOR_STATUS[headline.indicator]
    colour, shields = COLOURS[key]
    # (Lower case reads as a badge in English; other scripts have no case to change.)
    return title, language.gettext(headline.description).lower(), colour, shields


def endpoint(label: str, message: str, shields: str) -> dict[str, Any]:
    """Return a shields.io endpoint badge document."""
    return {"schemaVersion": 1, "label": label, "message": message, "color": shields}
