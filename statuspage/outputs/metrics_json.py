"""api/metrics.json: each measured component's latency and error-rate figures (SPEC §7)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ..compute.metrics import Stat
from ..compute.metrics_days import Measured
from ..compute.uptime import WINDOWS
from ..read.config import SiteConfig
from .facts import Facts
from .metrics_views import Figures
from .record import NOW, Output, file, json_bytes


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _amount(value: float) -> float | int:
    return int(value) if value == int(value) else round(value, 6)


def stat_json(stat: Stat) -> dict[str, Any]:
    """Return a period's figures as api/metrics.json gives them (whole counts as integers)."""
    return {"count": _amount(stat.count), "errors": _amount(stat.errors),
            "error_rate": _number(stat.error_rate), "p50": _number(stat.p50),
            "p95": _number(stat.p95), "p99": _number(stat.p99)}


def outputs(facts: Facts) -> Iterator[Output]:
    """Yield api/metrics.json."""
    yield file("api/metrics.json", metrics_json, NOW, facts.config, Figures())


def metrics_json(now: datetime, config: SiteConfig, measured: Measured) -> bytes:
    """Return api/metrics.json: targets, windows, months and the bar window's days of each
    component with data."""
    components = []
    for figures in measured.components.values():
        latency = figures.targets.latency
        components.append({
            "id": figures.component.id,
            "name": figures.component.name,
            "latency_target": None if latency is None else {
                "percentile": latency.percentile, "ms": latency.ms},
            "error_rate_target": figures.targets.error_rate,
            "windows": {f"{n}d": stat_json(figures.windows[f"{n}d"]) for n in WINDOWS},
            "months": {month: {**stat_json(found.stat),
                               "latency": _number(found.stat.target),
                               "latency_met": found.latency_met,
                               "error_rate_met": found.error_rate_met}
                       for month, found in figures.months.items()},
            "days": [{"date": day.isoformat(), **stat_json(stat)}
                     for day, stat in figures.days],
        })
    return json_bytes({"generated_at": now.astimezone(UTC).isoformat(),
                       "timezone": config.timezone.key, "components": components})
