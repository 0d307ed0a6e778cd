"""Site settings and the component catalogue, read from `statuspage.yaml`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..collect.settings import Collect, read_collect
from ..errors import Location, Problem, error
from ..i18n import N_
from ..model import Component, ComponentStatus, Impact, SeverityLevel
from ..notify.settings import Destination, read_notify
from ..times import TimeError, parse_date, parse_duration
from .address import web_address
from .files import YamlData, check_keys, parse_yaml, read_text, suggest
from .metrics_config import COMPONENT_KEYS, MetricsSettings, read_metrics_settings
from .upstream import Upstream, parse_settings

LANGUAGES = ("en", "zh-CN")
COMPONENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SEVERITY_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")

DEFAULT_SEVERITIES = (
    SeverityLevel("P0", N_("Critical"), Impact.CRITICAL, timedelta(minutes=15), timedelta(hours=4)),
    SeverityLevel("P1", N_("Major"), Impact.MAJOR, timedelta(minutes=30), timedelta(hours=8)),
    SeverityLevel("P2", N_("Minor"), Impact.MINOR, timedelta(hours=2), timedelta(hours=24)),
    SeverityLevel("P3", N_("Low"), Impact.NONE, timedelta(hours=4), None),
)
DEFAULT_WEIGHTS = {
    ComponentStatus.MAJOR_OUTAGE: 1.0,
    ComponentStatus.PARTIAL_OUTAGE: 0.3,
    ComponentStatus.DEGRADED_PERFORMANCE: 0.0,
}

_TOP_KEYS = ("title", "url", "timezone", "language", "description", "brand", "components",
             "severities", "uptime", "notify", "probe", "metrics", "upstream")
_BRAND_KEYS = ("color", "logo")
HTML_TAG = re.compile(r"<[A-Za-z/!?]")
"""Titles and names are plain text everywhere (pages, feeds, JSON, calendar): no markup."""
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
              ".jpeg": "image/jpeg", ".webp": "image/webp"}
MAX_LOGO_BYTES = 256 * 1024
_COMPONENT_KEYS = ("id", "name", "group", "description", "since", "target", *COMPONENT_KEYS)
_SEVERITY_KEYS = ("name", "respond", "resolve", "impact")
_UPTIME_KEYS = ("days", "target", "weights", "credits")


@dataclass(frozen=True)
class SiteConfig:
    """Everything `statuspage.yaml` says, checked and with defaults filled in."""

    root: Path
    """The status repository: the folder holding `statuspage.yaml`."""
    shown_root: str
    """How `root` is written in messages ('' for the current folder)."""
    title: str
    url: str
    """Absolute URL of the published site, ending in '/'."""
    timezone: ZoneInfo
    language: str = "en"
    description: str = ""
    components: tuple[Component, ...] = ()
    severities: tuple[SeverityLevel, ...] = DEFAULT_SEVERITIES
    uptime_days: int = 90
    target: float = 99.9
    """Site-wide SLA target in percent."""
    weights: dict[ComponentStatus, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    brand_color: str | None = None
    """Accent colour of the header, such as '#4f46e5'."""
    logo: Path | None = None
    """Logo shown in the header, a file inside the repository."""
    notify: tuple[Destination, ...] = field(default=(), repr=False, compare=False)
    """Where `statuspage notify` sends notices (no output reads it: left out of the keys)."""
    collect: Collect = field(default_factory=Collect, repr=False, compare=False)
    """What `probe` checks and `pull` asks Prometheus for (no output reads it: left out of
    the keys)."""
    upstream: tuple[Upstream, ...] = ()
    """Services this site depends on, shown apart from its own components (read.upstream)."""
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    """Targets of measured latency and error rate, and service credits."""

    @property
    def incidents_dir(self) -> Path:
        """Return the folder holding incident, maintenance and postmortem files."""
        return self.root / "incidents"

    @property
    def templates_dir(self) -> Path:
        """Return the folder of the repository's own template overrides."""
        return self.root / "templates"

    @property
    def base_path(self) -> str:
        """Return the path part of `url`, such as '/status/'."""
        return urlsplit(self.url).path or "/"

    def shown(self, path: Path) -> str:
        """Return how `path` (inside the repository) is written in messages."""
        relative = path.relative_to(self.root).as_posix()
        return f"{self.shown_root.rstrip('/')}/{relative}" if self.shown_root else relative

    def source(self, shown: str) -> Path:
        """Return the file a message path (as made by `shown`) names."""
        prefix = f"{self.shown_root.rstrip('/')}/" if self.shown_root else ""
        return self.root / (shown[len(prefix):] if shown.startswith(prefix) else shown)

    def component(self, component_id: str) -> Component | None:
        """Return the component with this id, if there is one."""
        return self._components_by_id.get(component_id)

    @cached_property
    def _components_by_id(self) -> dict[str, Component]:
        # Asked for every component of every incident: a hundred components, ten thousand
        # incidents. (Not a field: left out of the settings' repr and equality.)
        found: dict[str, Component] = {}
        for component in self.components:
            found.setdefault(component.id, component)
        return found

    def severity(self, key: str) -> SeverityLevel | None:
        """Return the severity with this key, if there is one."""
        return next((s for s in self.severities if s.key == key), None)

    def target_of(self, component: Component) -> float:
        """Return the SLA target that applies to `component`."""
        return component.target if component.target is not None else self.target


class _Reader:
    """Collects problems while reading typed values out of the YAML."""

    def __init__(self, data: YamlData, shown: str) -> None:
        self.data = data
        self.shown = shown
        self.problems: list[Problem] = []

    def at(self, *path: str | int) -> Location:
        return Location(self.shown, self.data.line(*path))

    def fail(self, path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(error(self.at(*path), message))

    def text(self, mapping: dict[Any, Any], key: str, path: tuple[str | int, ...],
             required: bool = False, default: str = "") -> str:
        value = mapping.get(key)
        if value is None:
            if required:
                self.fail(path, f"'{key}' is required")
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail((*path, key), f"{key}: expected text, got {_kind(value)}")
            return default
        if HTML_TAG.search(str(value)):
            self.fail((*path, key), f"{key}: HTML is not allowed here; write plain text")
            return default
        return str(value)

    def number(self, mapping: dict[Any, Any], key: str, path: tuple[str | int, ...],
               low: float, high: float, default: float) -> float:
        value = mapping.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail((*path, key), f"{key}: expected a number, got {_kind(value)}")
            return default
        if not low <= value <= high:
            self.fail((*path, key), f"{key}: {value} is out of range ({low:g} to {high:g})")
            return default
        return float(value)


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: f"text '{value}'", bool: f"'{value}'",
            int: f"the number {value}", float: f"the number {value}"}.get(
        type(value), type(value).__name__)


def load_config(path: Path, shown: str | None = None) -> tuple[SiteConfig | None, list[Problem]]:
    """Return the site configuration at `path` (None if unusable) and every problem found."""
    shown = shown if shown is not None else path.name
    if not path.is_file():
        return None, [error(Location(shown), "no such file (run 'statuspage init' to create one, "
                                             "or give its path with --config)")]
    text, problems = read_text(path, shown)
    if text is None:
        return None, problems
    data, more = parse_yaml(text, shown)
    problems += more
    if data is None:
        return None, problems
    if not isinstance(data.value, dict):
        return None, [*problems, error(Location(shown, 1), "must be a mapping of settings")]
    reader = _Reader(data, shown)
    raw: dict[Any, Any] = data.value
    problems += check_keys(raw, _TOP_KEYS, data, shown)

    title = reader.text(raw, "title", (), required=True)
    url = reader.text(raw, "url", (), required=True)
    if url:
        parts = web_address(url)
        if parts is None or parts.query:
            reader.fail(("url",), f"url: '{url}' must be an absolute http(s) address "
                                  "such as 'https://status.example.com/'")
        url = url if url.endswith("/") else url + "/"
    zone_name = reader.text(raw, "timezone", (), default="UTC")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        reader.fail(("timezone",), f"timezone: unknown time zone '{zone_name}' "
                                   "(use an IANA name such as 'Asia/Shanghai' or 'UTC')")
        zone = ZoneInfo("UTC")
    language = reader.text(raw, "language", (), default="en")
    if language not in LANGUAGES:
        reader.fail(("language",), f"language: '{language}' is not supported; "
                                   f"use one of {', '.join(LANGUAGES)}")
    description = reader.text(raw, "description", ())

    brand_color, logo = _brand(raw.get("brand"), reader, problems, path.parent)
    components = _components(raw.get("components"), reader, problems)
    severities = _severities(raw.get("severities"), reader, problems)
    days, target, weights = _uptime(raw.get("uptime"), reader, problems)
    notify = read_notify(raw.get("notify"), data, shown, [c.id for c in components], problems)
    collect, more = read_collect(raw, data, shown, tuple(s.key for s in severities))
    problems += more
    metrics, more = read_metrics_settings(raw, data, shown)
    problems += reader.problems + more
    upstream, more = parse_settings(raw.get("upstream"), data, shown)
    problems += more
    if any(p.is_error for p in problems):
        return None, problems
    root = path.parent
    return SiteConfig(
        root=root, shown_root=_parent(shown), title=title, url=url, timezone=zone,
        language=language, description=description, components=components,
        severities=severities, uptime_days=days, target=target, weights=weights,
        brand_color=brand_color, logo=logo, notify=notify, collect=collect,
        upstream=upstream, metrics=metrics,
    ), problems


def _parent(shown: str) -> str:
    return shown.rsplit("/", 1)[0] if "/" in shown else ""


def _brand(value: Any, reader: _Reader, problems: list[Problem],
           root: Path) -> tuple[str | None, Path | None]:
    if value is None:
        return None, None
    if not isinstance(value, dict):
        reader.fail(("brand",), f"brand: expected a mapping such as '{{color: \"#4f46e5\", "
                                f"logo: logo.svg}}', got {_kind(value)}")
        return None, None
    problems += check_keys(value, _BRAND_KEYS, reader.data, reader.shown, ("brand",), "brand.")
    colour = reader.text(value, "color", ("brand",)) or None
    if colour is not None and not _COLOUR.match(colour):
        reader.fail(("brand", "color"), f"brand.color: '{colour}' is not a colour like '#4f46e5'")
        colour = None
    name = reader.text(value, "logo", ("brand",)) or None
    logo = None
    if name is not None:
        candidate = (root / name).resolve()
        if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
            reader.fail(("brand", "logo"), f"brand.logo: no file '{name}' in the repository")
        elif candidate.suffix.lower() not in LOGO_TYPES:
            reader.fail(("brand", "logo"), f"brand.logo: use one of "
                                           f"{', '.join(LOGO_TYPES)}, not '{candidate.suffix}'")
        elif candidate.stat().st_size > MAX_LOGO_BYTES:
            reader.fail(("brand", "logo"), f"brand.logo: larger than {MAX_LOGO_BYTES // 1024} KiB")
        else:
            logo = candidate
    return colour, logo


def _components(value: Any, reader: _Reader, problems: list[Problem]) -> tuple[Component, ...]:
    if value is None:
        reader.fail(("components",), "'components' is required: list what customers use")
        return ()
    if not isinstance(value, list):
        reader.fail(("components",), f"components: expected a list, got {_kind(value)}")
        return ()
    found: list[Component] = []
    for index, item in enumerate(value):
        path = ("components", index)
        if not isinstance(item, dict):
            reader.fail(path, f"components: each entry must be a mapping, got {_kind(item)}")
            continue
        problems += check_keys(item, _COMPONENT_KEYS, reader.data, reader.shown, path)
        cid = reader.text(item, "id", path, required=True)
        if cid and not COMPONENT_ID.match(cid):
            reader.fail((*path, "id"), f"component id '{cid}' must be lowercase letters, digits "
                                       "and hyphens, starting with a letter or digit")
            cid = ""
        elif cid == "status":
            reader.fail((*path, "id"), "component id 'status' is reserved: "
                                       "badges/status.svg is the badge of the whole page")
            cid = ""
        elif cid and any(c.id == cid for c in found):
            reader.fail((*path, "id"), f"duplicate component id '{cid}'")
            cid = ""
        name = reader.text(item, "name", path, default=cid)
        since = None
        if item.get("since") is not None:
            try:
                since = parse_date(item["since"])
            except TimeError as exc:
                reader.fail((*path, "since"), f"since: {exc}")
        target = None
        if "target" in item:
            target = reader.number(item, "target", path, 0.0, 100.0, 100.0)
            if target == 0:
                reader.fail((*path, "target"), "target: must be above 0")
        if cid:
            found.append(Component(
                id=cid, name=name, group=reader.text(item, "group", path) or None,
                description=reader.text(item, "description", path), since=since, target=target,
            ))
    return tuple(found)


def _severities(
    value: Any, reader: _Reader, problems: list[Problem],
) -> tuple[SeverityLevel, ...]:
    if value is None:
        return DEFAULT_SEVERITIES
    if not isinstance(value, dict) or not value:
        reader.fail(("severities",),
                    "severities: expected a mapping such as "
                    "'P1: {name: Major, respond: 30m, resolve: 8h, impact: major}'")
        return DEFAULT_SEVERITIES
    defaults = {s.key: s for s in DEFAULT_SEVERITIES}
    impacts = [i.value for i in Impact]
    levels = []
    for key, item in value.items():
        path = ("severities", key)
        if not SEVERITY_KEY.match(str(key)):
            reader.fail(path, f"severity '{key}' must be letters, digits, '-' or '_'")
            continue
        if not isinstance(item, dict):
            reader.fail(path, f"severities: {key} must be a mapping, got {_kind(item)}")
            continue
        problems += check_keys(item, _SEVERITY_KEYS, reader.data, reader.shown, path)
        default = defaults.get(str(key))
        times: list[timedelta | None] = []
        for which in ("respond", "resolve"):
            if item.get(which) is None:
                times.append(None)
                continue
            try:
                times.append(parse_duration(item[which]))
            except TimeError as exc:
                reader.fail((*path, which), f"{which}: {exc}")
                times.append(None)
        impact_text = item.get("impact", default.impact.value if default else None)
        if impact_text not in impacts:
            shown = "missing" if impact_text is None else f"'{impact_text}'"
            reader.fail((*path, "impact"), f"impact: {shown}; use one of {', '.join(impacts)}")
            continue
        name = reader.text(item, "name", path, default=default.name if default else str(key))
        levels.append(SeverityLevel(str(key), name, Impact(impact_text), times[0], times[1]))
    return tuple(levels) or DEFAULT_SEVERITIES


def _uptime(
    value: Any, reader: _Reader, problems: list[Problem],
) -> tuple[int, float, dict[ComponentStatus, float]]:
    weights = dict(DEFAULT_WEIGHTS)
    if value is None:
        return 90, 99.9, weights
    if not isinstance(value, dict):
        reader.fail(("uptime",), f"uptime: expected a mapping, got {_kind(value)}")
        return 90, 99.9, weights
    problems += check_keys(value, _UPTIME_KEYS, reader.data, reader.shown, ("uptime",), "uptime.")
    days = value.get("days", 90)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
        reader.fail(("uptime", "days"), f"uptime.days: expected a whole number of days "
                                        f"from 1 to 3660, got {_kind(days)}")
        days = 90
    target = reader.number(value, "target", ("uptime",), 0.0, 100.0, 99.9)
    if target == 0:
        reader.fail(("uptime", "target"), "target: must be above 0")
    raw = value.get("weights")
    if raw is not None and not isinstance(raw, dict):
        reader.fail(("uptime", "weights"), f"uptime.weights: expected a mapping, got {_kind(raw)}")
    elif raw:
        names = [s.value for s in DEFAULT_WEIGHTS]
        for key in raw:
            if key not in names:
                reader.fail(("uptime", "weights", key),
                            f"uptime.weights: unknown status '{key}'{suggest(str(key), names)}")
                continue
            weights[ComponentStatus(key)] = reader.number(
                raw, key, ("uptime", "weights"), 0.0, 1.0, DEFAULT_WEIGHTS[ComponentStatus(key)])
    return days, target, weights
