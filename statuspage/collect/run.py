"""What `statuspage probe` does, start to end: check, store the rows, then (when asked) open
or resolve incidents from the stored rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from ..errors import Problem
from ..i18n import translations
from ..read.config import SiteConfig
from ..scaffold import ScaffoldError
from . import csvrows, incidents, probe
from .settings import HttpCheck, TcpCheck


@dataclass
class ProbeRun:
    """What a run printed and what went wrong (a failed check is not an error)."""

    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def probe_all(config: SiteConfig, now: datetime, open_incidents: bool,
              environ: Mapping[str, str]) -> ProbeRun:
    """Check every component with a `probe`, append the rows, and open or resolve incidents
    if `open_incidents`."""
    run = ProbeRun()
    if not config.collect.probes:
        run.lines.append("nothing to probe: no component has a 'probe' setting")
        return run
    checks = tuple((component, _with_secrets(check, environ, component, run))
                   for component, check in config.collect.probes)
    if run.errors:
        return run
    results = probe.run_all(checks)
    for result in results:
        run.lines.append(probe.line_of(result))
        try:
            probe.record(config, result, now)
        except (csvrows.RowsError, OSError) as exc:
            run.errors.append(f"error: {result.component}: row not stored: {exc}")
    if not open_incidents or run.errors:
        return run
    from ..build import load_incidents  # (only here: the plain probe reads no incident)
    site, problems = load_incidents(config, now)
    if any(p.is_error for p in problems):
        run.problems = problems
        run.errors.append("error: incidents were not opened or resolved: fix the problems "
                          "above first")
        return run
    translate = translations(config.language).gettext
    for result in results:
        rows = csvrows.recent_rows(csvrows.folder_of(config.root, result.component))
        rows = [r for r in rows if r.time <= now]
        try:
            action = incidents.decide(config, site, result.component, rows, result, now,
                                      translate)
        except (ScaffoldError, OSError) as exc:
            run.errors.append(f"error: {result.component}: {exc}")
            continue
        if action is not None:
            run.lines.append(f"{action.component}: {action.text}")
    return run


def _with_secrets(check: HttpCheck | TcpCheck, environ: Mapping[str, str], component: str,
                  run: ProbeRun) -> HttpCheck | TcpCheck:
    """Return the check with its `headers_env` headers filled in from the environment."""
    if isinstance(check, TcpCheck) or not check.headers_env:
        return check
    found = []
    for name, variable in check.headers_env:
        value = environ.get(variable, "")
        if not value or "\n" in value or "\r" in value:
            run.errors.append(f"error: {component}: probe.headers_env: the environment variable "
                              f"{variable} is not set (or is not one line)")
        found.append((name, value))
    return replace(check, headers=check.headers + tuple(found))
