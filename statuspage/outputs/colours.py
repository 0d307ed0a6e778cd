"""The status's colours: of badges, of the favicon (a dot in the status's colour with its
icon) and of the browser's interface (`theme_colour`)."""

from __future__ import annotations

from ..model import Impact

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
