"""Settings of `probe` and `pull`, read from `statuspage.yaml`: the top-level `probe:` and
`metrics.prometheus:` sections and each component's `probe:` and `prometheus:`.

`read.config` calls `read_collect` with the parsed YAML; every problem names its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..errors import Location, Problem, error
from ..read.address import web_address
from ..read.files import ENV_NAME, YamlData, check_keys
from ..times import TimeError, parse_duration

_PROBE_KEYS = ("failures", "recoveries", "severity", "settle")
_HTTP_KEYS = ("url", "method", "expect", "contains", "headers", "headers_env", "timeout",
              "follow_redirects")
_TCP_KEYS = ("tcp", "timeout")
_PROMETHEUS_KEYS = ("url", "url_env", "token_env", "step", "timeout")
_QUERY_KEYS = ("requests", "errors", "latency")
_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_RANGE = re.compile(r"^\s*(\d{3})\s*-\s*(\d{3})\s*$")
MAX_TIMEOUT = timedelta(minutes=5)


@dataclass(frozen=True)
class HttpCheck:
    """An HTTP(S) request whose answer must have an expected status (and text)."""

    url: str
    method: str = "GET"
    expect: tuple[tuple[int, int], ...] = ((200, 299),)
    """Accepted status codes, as inclusive ranges."""
    contains: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    timeout: float = 10.0
    """Seconds the whole check may take."""
    follow_redirects: bool = True
    headers_env: tuple[tuple[str, str], ...] = ()
    """Headers whose values are read from the environment: name and variable."""

    def accepts(self, code: int) -> bool:
        """Return whether an answer with status `code` passes."""
        return any(low <= code <= high for low, high in self.expect)


@dataclass(frozen=True)
class TcpCheck:
    """A TCP connection that must be accepted."""

    host: str
    port: int
    timeout: float = 10.0


@dataclass(frozen=True)
class ProbeRules:
    """When checks open and resolve incidents (`probe --open-incidents`)."""

    failures: int = 3
    """Consecutive failed checks that open an incident."""
    recoveries: int = 2
    """Consecutive good checks that resolve it..."""
    settle: timedelta = timedelta(minutes=30)
    """...once no check has failed for this long (so a flapping endpoint keeps one incident)."""
    severity: str = "P1"


@dataclass(frozen=True)
class Queries:
    """A component's PromQL expressions, with the line each is written on."""

    requests: str
    errors: str | None = None
    latency: str | None = None
    lines: tuple[tuple[str, int], ...] = ()

    def line(self, name: str) -> int:
        """Return the settings file line of the query `name`."""
        return dict(self.lines).get(name, 0)


@dataclass(frozen=True)
class PrometheusServer:
    """Where `pull` asks: the server's address (or the variable holding it) and the step."""

    url: str | None = None
    url_env: str | None = None
    token_env: str | None = None
    step: timedelta = timedelta(minutes=5)
    timeout: float = 30.0
    line: int = 0


@dataclass(frozen=True)
class Collect:
    """Everything `probe` and `pull` are told to do."""

    probes: tuple[tuple[str, HttpCheck | TcpCheck], ...] = ()
    """Component id and its check, in the order of the catalogue."""
    rules: ProbeRules = field(default_factory=ProbeRules)
    prometheus: PrometheusServer | None = None
    queries: tuple[tuple[str, Queries], ...] = ()
    source: str = "statuspage.yaml"
    """How the settings file is written in messages."""


class _Problems:
    def __init__(self, data: YamlData, shown: str) -> None:
        self.data = data
        self.shown = shown
        self.found: list[Problem] = []

    def fail(self, path: tuple[str | int, ...], message: str) -> None:
        self.found.append(error(Location(self.shown, self.data.line(*path)), message))

    def unknown(self, mapping: dict[Any, Any], known: tuple[str, ...],
                path: tuple[str | int, ...], where: str) -> None:
        self.found += check_keys(mapping, known, self.data, self.shown, path, where)

    def duration(self, mapping: dict[Any, Any], key: str, path: tuple[str | int, ...],
                 where: str, default: timedelta) -> timedelta:
        if mapping.get(key) is None:
            return default
        try:
            value = parse_duration(mapping[key])
        except TimeError as exc:
            self.fail((*path, key), f"{where}{key}: {exc}")
            return default
        if not timedelta(0) < value:
            self.fail((*path, key), f"{where}{key}: must be longer than 0s")
            return default
        return value

    def count(self, mapping: dict[Any, Any], key: str, path: tuple[str | int, ...],
              where: str, default: int) -> int:
        value = mapping.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
            self.fail((*path, key), f"{where}{key}: expected a whole number from 1 to 1000, "
                                    f"got {value!r}")
            return default
        return value

    def text(self, mapping: dict[Any, Any], key: str, path: tuple[str | int, ...],
             where: str) -> str | None:
        value = mapping.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float) or \
                not str(value).strip():
            self.fail((*path, key), f"{where}{key}: expected text, got {value!r}")
            return None
        return str(value)

    def env(self, mapping: dict[Any, Any], key: str, path: tuple[str | int, ...],
            where: str) -> str | None:
        name = self.text(mapping, key, path, where)
        if name is not None and not ENV_NAME.match(name):
            self.fail((*path, key), f"{where}{key}: '{name}' is not an environment variable "
                                    "name (letters, digits and '_')")
            return None
        return name


def read_collect(raw: dict[Any, Any], data: YamlData, shown: str,
                 severities: tuple[str, ...]) -> tuple[Collect, list[Problem]]:
    """Return the probe and pull settings in the top-level mapping `raw`, and their problems."""
    out = _Problems(data, shown)
    probes: list[tuple[str, HttpCheck | TcpCheck]] = []
    queries: list[tuple[str, Queries]] = []
    components = raw.get("components")
    for index, item in enumerate(components if isinstance(components, list) else []):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        cid = item["id"]
        path: tuple[str | int, ...] = ("components", index)
        if item.get("probe") is not None:
            check = _check(item["probe"], (*path, "probe"), out)
            if check is not None:
                probes.append((cid, check))
        if item.get("prometheus") is not None:
            found = _queries(item["prometheus"], (*path, "prometheus"), out)
            if found is not None:
                queries.append((cid, found))
        if item.get("probe") is not None and item.get("prometheus") is not None:
            out.fail((*path, "prometheus"), f"component '{cid}': give it 'probe' or "
                     "'prometheus', not both (all rows of a component have one form)")
    rules = _rules(raw.get("probe"), out, severities, bool(probes))
    server = _server(raw.get("metrics"), out)
    if queries and server is None:
        out.fail(("components",), "components with 'prometheus' queries need "
                                  "'metrics: {prometheus: {url: ...}}'")
    return Collect(tuple(probes), rules, server, tuple(queries), shown), out.found


def _check(value: Any, path: tuple[str | int, ...], out: _Problems) -> HttpCheck | TcpCheck | None:
    if not isinstance(value, dict):
        out.fail(path, "probe: expected a mapping such as '{url: https://api.example.com/health}'"
                       " or '{tcp: db.example.com:5432}'")
        return None
    timeout = out.duration(value, "timeout", path, "probe.", timedelta(seconds=10))
    if timeout > MAX_TIMEOUT:
        out.fail((*path, "timeout"), "probe.timeout: at most 5m")
        timeout = timedelta(seconds=10)
    if "tcp" in value:
        out.unknown(value, _TCP_KEYS, path, "probe.")
        target = out.text(value, "tcp", path, "probe.") or ""
        host, _, port = target.rpartition(":")
        host = host.strip("[]")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            out.fail((*path, "tcp"), f"probe.tcp: '{target}' must be HOST:PORT, such as "
                                     "'db.example.com:5432'")
            return None
        return TcpCheck(host, int(port), timeout.total_seconds())
    out.unknown(value, _HTTP_KEYS, path, "probe.")
    url = out.text(value, "url", path, "probe.")
    if url is None:
        out.fail(path, "probe: give 'url' (an HTTP check) or 'tcp' (a TCP connect)")
        return None
    if web_address(url) is None:
        out.fail((*path, "url"), f"probe.url: '{url}' must be an absolute http(s) address")
        return None
    method = (out.text(value, "method", path, "probe.") or "GET").upper()
    if method not in _METHODS:
        out.fail((*path, "method"), f"probe.method: '{method}' is not one of {', '.join(_METHODS)}")
    expect = _expect(value.get("expect", "200-299"), (*path, "expect"), out)
    headers = _headers(value, "headers", path, out)
    secret = _headers(value, "headers_env", path, out)
    for name, variable in secret:
        if not ENV_NAME.match(variable):
            out.fail((*path, "headers_env", name), f"probe.headers_env: '{variable}' is not an "
                                                   "environment variable name")
    follow = value.get("follow_redirects", True)
    if not isinstance(follow, bool):
        out.fail((*path, "follow_redirects"), "probe.follow_redirects: expected true or false")
        follow = True
    contains = value.get("contains")
    if contains is not None and (not isinstance(contains, str) or not contains):
        out.fail((*path, "contains"), "probe.contains: expected the text the answer must hold")
        contains = None
    return HttpCheck(url, method, expect, contains, headers, timeout.total_seconds(), follow,
                     secret)


def _headers(value: dict[Any, Any], key: str, path: tuple[str | int, ...],
             out: _Problems) -> tuple[tuple[str, str], ...]:
    raw = value.get(key) or {}
    if not isinstance(raw, dict):
        out.fail((*path, key), f"probe.{key}: expected a mapping of header names to values")
        return ()
    found = []
    for name, text in raw.items():
        if not _HEADER_NAME.match(str(name)) or not isinstance(text, str | int | float) \
                or isinstance(text, bool) or "\n" in str(text) or "\r" in str(text):
            out.fail((*path, key, name), f"probe.{key}: '{name}' must be a header name with a "
                                         "one-line text value")
        else:
            found.append((str(name), str(text)))
    return tuple(found)


def _expect(value: Any, path: tuple[str | int, ...],
            out: _Problems) -> tuple[tuple[int, int], ...]:
    items = value if isinstance(value, list) else [value]
    found: list[tuple[int, int]] = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool) and 100 <= item <= 599:
            found.append((item, item))
            continue
        match = _RANGE.match(item) if isinstance(item, str) else None
        if match and 100 <= int(match[1]) <= int(match[2]) <= 599:
            found.append((int(match[1]), int(match[2])))
            continue
        out.fail(path, f"probe.expect: {item!r} is not a status code (200), a list of them "
                       "([200, 204]) or a range ('200-299')")
        return ((200, 299),)
    return tuple(found) or ((200, 299),)


def _rules(value: Any, out: _Problems, severities: tuple[str, ...],
           used: bool) -> ProbeRules:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        out.fail(("probe",), "probe: expected a mapping such as '{failures: 3, recoveries: 2, "
                             "severity: P1}'")
        return ProbeRules()
    out.unknown(value, _PROBE_KEYS, ("probe",), "probe.")
    severity = out.text(value, "severity", ("probe",), "probe.") or "P1"
    if (used or "severity" in value) and severity not in severities:
        out.fail(("probe", "severity") if "severity" in value else ("probe",),
                 f"probe.severity: '{severity}' is not a severity of this site; "
                 f"use one of {', '.join(severities)}")
    return ProbeRules(
        failures=out.count(value, "failures", ("probe",), "probe.", 3),
        recoveries=out.count(value, "recoveries", ("probe",), "probe.", 2),
        settle=out.duration(value, "settle", ("probe",), "probe.", timedelta(minutes=30))
        if value.get("settle") not in (0, "0") else timedelta(0),
        severity=severity)


def _server(value: Any, out: _Problems) -> PrometheusServer | None:
    if not isinstance(value, dict) or value.get("prometheus") is None:
        return None
    raw = value["prometheus"]
    path = ("metrics", "prometheus")
    if not isinstance(raw, dict):
        out.fail(path, "metrics.prometheus: expected a mapping such as "
                       "'{url: http://prometheus:9090, step: 5m}'")
        return None
    where = "metrics.prometheus."
    out.unknown(raw, _PROMETHEUS_KEYS, path, where)
    url = out.text(raw, "url", path, where)
    url_env = out.env(raw, "url_env", path, where)
    if (url is None) == (url_env is None):
        out.fail(path, "metrics.prometheus: give 'url' or 'url_env' (the name of an "
                       "environment variable holding it), one of them")
    if url is not None:
        parts = web_address(url)
        if parts is None:
            out.fail((*path, "url"), "metrics.prometheus.url: must be an absolute http(s) "
                                     "address such as 'http://prometheus:9090'")
        elif parts.password:
            out.fail((*path, "url"), "metrics.prometheus.url: no passwords in the settings "
                                     "file; use url_env or token_env")
    step = out.duration(raw, "step", path, where, timedelta(minutes=5))
    if step.total_seconds() % 1 or step < timedelta(seconds=10):
        out.fail((*path, "step"), "metrics.prometheus.step: whole seconds, at least 10s")
    timeout = out.duration(raw, "timeout", path, where, timedelta(seconds=30))
    return PrometheusServer(url, url_env, out.env(raw, "token_env", path, where), step,
                            min(timeout, MAX_TIMEOUT).total_seconds(), out.data.line(*path))


def _queries(value: Any, path: tuple[str | int, ...], out: _Problems) -> Queries | None:
    if not isinstance(value, dict):
        out.fail(path, "prometheus: expected a mapping of 'requests', 'errors' and 'latency' "
                       "PromQL queries")
        return None
    out.unknown(value, _QUERY_KEYS, path, "prometheus.")
    texts = {key: out.text(value, key, path, "prometheus.") for key in _QUERY_KEYS}
    requests = texts["requests"]
    if requests is None:
        out.fail(path, "prometheus: 'requests' is required (a query of the number of requests "
                       "per step, such as sum(increase(http_requests_total[5m])))")
        return None
    return Queries(requests, texts["errors"], texts["latency"],
                   tuple((k, out.data.line(*path, k)) for k in _QUERY_KEYS if k in value))
