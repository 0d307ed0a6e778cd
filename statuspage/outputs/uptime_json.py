"""api/uptime.json: each component's uptime figures (SPEC §4)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from ..compute.timeline import Figure
from ..compute.uptime import WINDOWS, ComponentUptime
from ..read.config import SiteConfig
from .facts import Facts
from .record import NOW, Output, file, json_bytes


def _number(value: float | None, places: int = 6) -> float | None:
    return None if value is None else round(value, places)


def _numbers(figure: Figure) -> dict[str, float | None]:
    return {"downtime_minutes": _number(figure.downtime_minutes, 4),
            "counted_minutes": _number(figure.counted_minutes, 4),
            "uptime": _number(figure.uptime)}


def outputs(facts: Facts) -> Iterator[Output]:
    """Yield api/uptime.json."""
    yield file("api/uptime.json", uptime_json, NOW, facts.config, facts.figures)


def uptime_json(now: datetime, config: SiteConfig, found: dict[str, ComponentUptime]) -> bytes:
    """Return api/uptime.json: windows, months and the bar window's days per component."""
    figures = list(found.values())
    numbers: dict[Figure, dict[str, float | None]] = {}  # most days share a figure
    dates: dict[date, str] = {}  # and every component the same days

    def day(when: date, figure: Figure) -> dict[str, Any]:
        found = numbers.get(figure)
        if found is None:
            found = numbers[figure] = _numbers(figure)
        text = dates.get(when)
        if text is None:
            text = dates[when] = when.isoformat()
        return {"date": text, **found}

    document = {
        "generated_at": now.astimezone(UTC).isoformat(),
        "timezone": config.timezone.key,
        "components": [{
            "id": f.component.id,
            "name": f.component.name,
            "target": f.target,
            "windows": {f"{n}d": _number(f.windows[f"{n}d"].uptime) for n in WINDOWS},
            "months": {month: _number(figure.uptime) for month, figure in f.months.items()},
            "days": [day(d.date, d.figure)
                     for d in f.days[-config.uptime_days:]],
        } for f in figures],
    }
    return json_bytes(document)
