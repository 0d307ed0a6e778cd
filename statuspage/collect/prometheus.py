"""`statuspage pull` from Prometheus: each component's requests, errors and latency histogram
per step, asked of `/api/v1/query_range`, stored as rows of `metrics/<id>/<YYYY-MM>.csv`.

A query evaluated at `t` covers the bucket (t - step, t] and becomes the row whose `time` is
t - step. A component continues from the bucket after its latest stored row, so running pull
twice adds nothing twice. Every query of every component is answered before any file is
touched: an unreachable server, a refused query or an answer of the wrong shape changes
nothing.
"""

from __future__ import annotations

import http.client
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..errors import Location, Problem, error
from ..read.address import web_address
from ..read.config import SiteConfig
from . import csvrows
from .settings import PrometheusServer, Queries

MAX_POINTS = 10_000
"""Evaluations asked for in one request (Prometheus refuses more than 11,000)."""
LAG = 60
"""Seconds a bucket must have been over before it is pulled: Prometheus stores a scrape some
time after its moment, and a pulled row is never pulled again."""


class PullFailed(Exception):
    """Pull stopped before writing anything; the problems say why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class _Asked:
    """Where a query's problems are reported."""

    component: str
    name: str
    query: str
    location: Location

    def fail(self, message: str) -> PullFailed:
        return PullFailed([error(self.location, f"{self.component}: prometheus.{self.name}: "
                                                f"{message} (query: {self.query})")])


def pull(config: SiteConfig, since: datetime | None, now: datetime,
         environ: Mapping[str, str]) -> list[str]:
    """Append every component's new rows up to `now` (from its latest row, else from `since`,
    else from the start of the uptime bars); return a line per component."""
    server = config.collect.prometheus
    if server is None or not config.collect.queries:
        return ["nothing to pull: no component has 'prometheus' queries"]
    base, token = _address(config, server, environ)
    step = int(server.step.total_seconds())
    start = since if since is not None else now - timedelta(days=config.uptime_days)
    pending: list[tuple[str, dict[Path, list[dict[str, str]]], list[str]]] = []
    for component, queries in config.collect.queries:
        folder = csvrows.folder_of(config.root, component)
        last = csvrows.last_time(folder)
        first = int(last.timestamp()) + step if last is not None else _align(start, step)
        last_evaluation = (int(now.timestamp()) - LAG) // step * step
        if first + step > last_evaluation:
            pending.append((component, {}, []))
            continue
        answers = {name: _ask(base, token, server, _Asked(
            component, name, query, Location(config.collect.source, queries.line(name))),
            first + step, last_evaluation, step)
            for name, query in _named(queries)}
        rows, columns = _rows(answers, queries, step, component, config)
        files: dict[Path, list[dict[str, str]]] = {}
        for at, row in rows:
            files.setdefault(csvrows.month_file(folder, at), []).append(row)
        pending.append((component, files, columns))
    for _component, files, columns in pending:
        for path, lines in files.items():
            try:
                csvrows.fits(path, columns, lines, config.shown(path))
            except csvrows.RowsError as exc:
                raise PullFailed([error(Location(config.shown(path), 1), str(exc))]) from None
    return [_store(config, component, files, columns) for component, files, columns in pending]


def _address(config: SiteConfig, server: PrometheusServer,
             environ: Mapping[str, str]) -> tuple[str, str | None]:
    where = Location(config.collect.source, server.line)
    base = server.url
    if server.url_env is not None:
        base = environ.get(server.url_env, "").strip()
        if not base:
            raise PullFailed([error(where, f"metrics.prometheus.url_env: the environment "
                                           f"variable {server.url_env} is not set")])
        if web_address(base) is None:
            raise PullFailed([error(where, f"metrics.prometheus.url_env: {server.url_env} "
                                           "does not hold an http(s) address")])
    token = None
    if server.token_env is not None:
        token = environ.get(server.token_env, "").strip()
        if not token:
            raise PullFailed([error(where, f"metrics.prometheus.token_env: the environment "
                                           f"variable {server.token_env} is not set")])
    return (base or "").rstrip("/"), token


def _align(moment: datetime, step: int) -> int:
    seconds = math.ceil(moment.timestamp())
    return -(-seconds // step) * step


def _named(queries: Queries) -> list[tuple[str, str]]:
    return [(name, query) for name, query in (
        ("requests", queries.requests), ("errors", queries.errors),
        ("latency", queries.latency)) if query is not None]


def _shown(base: str) -> str:
    """Return the server's address without any user name or password in it."""
    parts = urllib.parse.urlsplit(base)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _ask(base: str, token: str | None, server: PrometheusServer, asked: _Asked,
         start: int, end: int, step: int) -> list[dict[str, Any]]:
    """Return the series a range query answers, in chunks Prometheus accepts, merged."""
    merged: dict[str, dict[str, Any]] = {}
    chunk = step * (MAX_POINTS - 1)
    for begin in range(start, end + 1, chunk + step):
        finish = min(end, begin + chunk)
        for series in _request(base, token, server, asked, begin, finish, step):
            key = json.dumps(series["metric"], sort_keys=True)
            merged.setdefault(key, {"metric": series["metric"], "values": []})[
                "values"].extend(series["values"])
    return list(merged.values())


def _request(base: str, token: str | None, server: PrometheusServer, asked: _Asked,
             start: int, end: int, step: int) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"query": asked.query, "start": start, "end": end,
                                    "step": step})
    headers = {"Accept": "application/json", "User-Agent": "statuspage-pull"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{base}/api/v1/query_range?{query}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=server.timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as refused:
        detail = _error_text(refused.read())
        raise asked.fail(f"Prometheus at {_shown(base)} answered {refused.code}"
                         f"{': ' + detail if detail else ''}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise asked.fail(f"cannot reach Prometheus at {_shown(base)}: {reason}") from None
    except (http.client.HTTPException, ValueError):
        # Their text can quote the address, password and all: none of it is shown.
        raise asked.fail(f"cannot ask Prometheus at {_shown(base)}: not a valid address, or "
                         "not an HTTP answer") from None
    try:
        answer = json.loads(body)
    except ValueError:
        raise asked.fail(f"{_shown(base)} did not answer JSON; is this Prometheus?") from None
    return _series(answer, asked)


def _error_text(body: bytes) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        return ""
    if isinstance(answer, dict):
        return f"{answer.get('errorType', '')}: {answer.get('error', '')}".strip(": ")
    return ""


def _series(answer: Any, asked: _Asked) -> list[dict[str, Any]]:
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(answer, dict) or answer.get("status") != "success" or \
            not isinstance(data, dict):
        raise asked.fail("the answer is not a successful Prometheus query result")
    if data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
        raise asked.fail(f"expected a range vector (matrix), got {data.get('resultType')!r}")
    found = []
    for series in data["result"]:
        values = series.get("values") if isinstance(series, dict) else None
        if not isinstance(values, list) or not isinstance(series.get("metric"), dict) or any(
                not isinstance(v, list) or len(v) != 2 or not isinstance(v[1], str)
                for v in values):
            raise asked.fail("a series of the answer is not shaped as Prometheus shapes them")
        found.append(series)
    return found


def _values(series: dict[str, Any], asked: _Asked) -> dict[int, str]:
    found: dict[int, str] = {}
    for at, text in series["values"]:
        try:
            number = float(text)
        except ValueError:
            raise asked.fail(f"'{text}' is not a number") from None
        if math.isfinite(number) and number < 0:
            raise asked.fail(f"a negative figure ({text}); use increase() of counters")
        found[round(float(at))] = text
    return found


def _single(series: list[dict[str, Any]], asked: _Asked) -> dict[int, str]:
    if len(series) > 1:
        raise asked.fail(f"the answer has {len(series)} series; sum them into one, such as "
                         "sum(increase(...[5m]))")
    return _values(series[0], asked) if series else {}


def _buckets(series: list[dict[str, Any]], asked: _Asked) -> dict[str, dict[int, str]]:
    found: dict[str, dict[int, str]] = {}
    for item in series:
        bound = item["metric"].get("le")
        if bound is None:
            raise asked.fail("a series has no 'le' label; sum the histogram's _bucket series "
                             "by (le)")
        if bound in ("+Inf", "Inf", "inf"):
            continue
        try:
            ms = Decimal(bound) * 1000
        except InvalidOperation:
            raise asked.fail(f"le=\"{bound}\" is not a number") from None
        if not ms.is_finite() or ms < 0:
            raise asked.fail(f"le=\"{bound}\" is not a bound in seconds")
        column = f"le_{_plain(ms)}"
        if column in found:
            raise asked.fail(f"two series have le=\"{bound}\"; sum them by (le)")
        found[column] = _values(item, asked)
    return found


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _rows(answers: dict[str, list[dict[str, Any]]], queries: Queries, step: int,
          component: str, config: SiteConfig) -> tuple[list[tuple[datetime, dict[str, str]]],
                                                        list[str]]:
    def asked(name: str) -> _Asked:
        return _Asked(component, name, dict(_named(queries))[name],
                      Location(config.collect.source, queries.line(name)))

    requests = _single(answers["requests"], asked("requests"))
    errors = _single(answers["errors"], asked("errors")) if "errors" in answers else {}
    buckets = _buckets(answers["latency"], asked("latency")) if "latency" in answers else {}
    columns = sorted(buckets, key=lambda c: Decimal(c[3:]))
    rows = []
    for at in sorted(requests):
        count = requests[at]
        if not math.isfinite(float(count)):
            continue
        failed = errors.get(at, "0")
        if not math.isfinite(float(failed)) or float(failed) > float(count):
            # increase() extrapolates each series on its own: keep the row valid.
            failed = count if math.isfinite(float(failed)) else "0"
        row = {"time": csvrows.stamp(datetime.fromtimestamp(at - step, UTC)), "count": count,
               "errors": failed}
        below = "0"
        for column in columns:
            value = buckets[column].get(at)
            if value is None:
                continue
            if not math.isfinite(float(value)) or float(value) < float(below):
                value = below  # cumulative, as histogram_quantile makes it
            if float(value) > float(count):
                value = count
            row[column] = below = value
        rows.append((datetime.fromtimestamp(at - step, UTC), row))
    return rows, ["time", "count", "errors", *columns]


def _store(config: SiteConfig, component: str, files: dict[Path, list[dict[str, str]]],
           columns: list[str]) -> str:
    if not files:
        return f"{component}: up to date"
    added = 0
    for path, rows in sorted(files.items()):
        try:
            added += csvrows.append(path, columns, rows, config.shown(path))
        except (csvrows.RowsError, OSError) as exc:
            raise PullFailed([error(Location(config.shown(path)), str(exc))]) from None
    names = ", ".join(config.shown(p) for p in sorted(files))
    return f"{component}: {added} rows into {names}"
