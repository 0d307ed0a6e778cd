"""The settings of measured figures (SPEC §7): `metrics:` targets, each component's own
targets, and `uptime.credits`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import Location, Problem, error
from .files import YamlData, check_keys

METRICS_KEYS = ("latency_target", "error_rate_target", "prometheus")
"""Keys of `metrics:` (`prometheus` is read by `statuspage pull`)."""
COMPONENT_KEYS = ("latency_target", "error_rate_target", "probe", "prometheus")
"""A component's keys for its measured figures (`probe` and `prometheus` are read by
`statuspage probe` and `statuspage pull`)."""


@dataclass(frozen=True)
class LatencyTarget:
    """A latency objective: the `percentile` of a month's latencies is at most `ms`."""

    percentile: float
    ms: float


@dataclass(frozen=True)
class Targets:
    """The latency and error-rate targets that apply to a component (None: none set)."""

    latency: LatencyTarget | None = None
    error_rate: float | None = None
    """In percent."""


@dataclass(frozen=True)
class Credit:
    """A month whose uptime is below `below` percent earns `credit` percent of its fee."""

    below: float
    credit: float


@dataclass(frozen=True)
class MetricsSettings:
    """Targets for the site, overrides by component id, and the service credits."""

    site: Targets = field(default_factory=Targets)
    components: dict[str, Targets] = field(default_factory=dict)
    credits: tuple[Credit, ...] = ()
    """Lowest threshold first."""

    def targets(self, component: str) -> Targets:
        """Return the targets that apply to `component`."""
        own = self.components.get(component)
        if own is None:
            return self.site
        return Targets(own.latency or self.site.latency,
                       own.error_rate if own.error_rate is not None else self.site.error_rate)

    def credit(self, uptime: float | None) -> float | None:
        """Return the credit a month with this uptime earns (None: none configured or no
        data; 0 when it earns none)."""
        if not self.credits or uptime is None:
            return None
        return next((c.credit for c in self.credits if uptime < c.below), 0.0)


def read_metrics_settings(raw: dict[Any, Any], data: YamlData,
                          shown: str) -> tuple[MetricsSettings, list[Problem]]:
    """Return the settings of measured figures in `statuspage.yaml` (`raw`) and their
    problems."""
    problems: list[Problem] = []

    def at(*path: str | int) -> Location:
        return Location(shown, data.line(*path))

    site = Targets()
    value = raw.get("metrics")
    if value is not None:
        if not isinstance(value, dict):
            problems.append(error(at("metrics"), "metrics: expected a mapping such as "
                                                 "'{latency_target: {percentile: 95, ms: 600}}'"))
        else:
            problems += check_keys(value, METRICS_KEYS, data, shown, ("metrics",), "metrics.")
            site = _targets(value, ("metrics",), at, problems)
    components: dict[str, Targets] = {}
    listed = raw.get("components")
    for index, item in enumerate(listed if isinstance(listed, list) else []):
        if isinstance(item, dict) and any(k in item for k in COMPONENT_KEYS[:2]):
            components[str(item.get("id"))] = _targets(item, ("components", index), at,
                                                       problems)
    credits: tuple[Credit, ...] = ()
    uptime = raw.get("uptime")
    if isinstance(uptime, dict) and "credits" in uptime:
        credits = _credits(uptime["credits"], at, problems)
    return MetricsSettings(site, components, credits), problems


def _number(value: Any, name: str, where: Location, problems: list[Problem], low: float,
            high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not low <= value <= high or (low == 0 and value == 0 and name != "credit"):
        problems.append(error(where, f"{name}: expected a number above {low:g} and at most "
                                     f"{high:g}, got {value!r}"))
        return None
    return float(value)


def _targets(mapping: dict[Any, Any], path: tuple[str | int, ...], at: Any,
             problems: list[Problem]) -> Targets:
    latency = None
    value = mapping.get("latency_target")
    if value is not None:
        where = at(*path, "latency_target")
        if not isinstance(value, dict) or set(value) != {"percentile", "ms"}:
            problems.append(error(where, "latency_target: expected "
                                         "'{percentile: 95, ms: 600}'"))
        else:
            percentile = _number(value["percentile"], "percentile", where, problems, 0, 100)
            ms = _number(value["ms"], "ms", where, problems, 0, 3_600_000)
            if percentile is not None and ms is not None:
                latency = LatencyTarget(percentile, ms)
    rate = None
    if mapping.get("error_rate_target") is not None:
        rate = _number(mapping["error_rate_target"], "error_rate_target",
                       at(*path, "error_rate_target"), problems, 0, 100)
    return Targets(latency, rate)


def _credits(value: Any, at: Any, problems: list[Problem]) -> tuple[Credit, ...]:
    where = at("uptime", "credits")
    if not isinstance(value, list) or not all(isinstance(v, dict) and set(v) == {
            "below", "credit"} for v in value):
        problems.append(error(where, "uptime.credits: expected a list such as "
                                     "'[{below: 99.9, credit: 10}, {below: 99.0, credit: 25}]'"))
        return ()
    found = []
    for index, item in enumerate(value):
        here = at("uptime", "credits", index)
        below = _number(item["below"], "below", here, problems, 0, 100)
        credit = _number(item["credit"], "credit", here, problems, 0, 100)
        if below is not None and credit is not None:
            found.append(Credit(below, credit))
    found.sort(key=lambda c: c.below)
    return tuple(found)
