"""Incidents from checks (`probe --open-incidents`): open one when a component's checks keep
failing, resolve it when they keep passing.

The rules, per component, after this run's row is stored:

- Open: the last `failures` rows all failed, no incident that names the component is
  ongoing, the component is not in a maintenance window, and the run of failed rows began
  after the latest incident about the component was resolved (so an outage an operator
  resolved by hand while checks still fail is not opened again until a check passes).
- Resolve: only an incident this command opened (marked `internal: {probe: <id>}` in its
  front matter), once the last `recoveries` rows passed and no row failed for `settle`; the
  `Resolved` update is dated at the first good check. A flapping endpoint therefore keeps one
  incident open until it has been steady for `settle`.

Files are written with the same checks as `statuspage new incident` and `statuspage update`;
the probe adds an update and never changes what a person wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..i18n import N_
from ..model import Incident, Site
from ..read.config import SiteConfig
from ..read.files import split_front_matter
from ..scaffold import ScaffoldError, _quoted, _write_new, add_update
from ..times import written
from .csvrows import Row
from .probe import Result
from .settings import ProbeRules

MARK = "probe"
"""The key under `internal:` naming the component an incident was opened for."""
_TITLE = N_("%(component)s is unavailable")
_FAILED = N_("Automated checks of %(component)s have failed since %(time)s (%(detail)s). "
             "We are investigating.")
_PASSED = N_("Automated checks of %(component)s have succeeded since %(time)s.")
_PLAIN = re.compile(r"[^\w .,:;/()'+%-]")


@dataclass(frozen=True)
class Action:
    """What the probe did about one component's incidents, for the printed summary."""

    component: str
    text: str


def opened_by_probe(config: SiteConfig, incident: Incident) -> str | None:
    """Return the component an incident was opened for by the probe, None if a person
    opened it."""
    try:
        text = config.source(incident.path).read_text(encoding="utf-8-sig")
    except OSError:
        return None
    document, _problems = split_front_matter(text.replace("\r\n", "\n"), incident.path)
    front = document.front.value if document is not None else None
    notes = front.get("internal") if isinstance(front, dict) else None
    value = notes.get(MARK) if isinstance(notes, dict) else None
    return value if isinstance(value, str) else None


def failing_since(rows: list[Row]) -> Row | None:
    """Return the first row of the run of failed rows the data ends with, if it does."""
    first = None
    for row in reversed(rows):
        if not row.failed:
            break
        first = row
    return first


def decide(config: SiteConfig, site: Site, component: str, rows: list[Row],
           result: Result, now: datetime,
           translate: Callable[[str], str]) -> Action | None:
    """Open or resolve the component's incident as the rules above say; return what was
    done, None for nothing."""
    rules = config.collect.rules
    about = [i for i in site.incidents if component in i.components]
    ongoing = [i for i in about if i.resolved_at is None or i.resolved_at > now]
    if ongoing:
        mine = [i for i in ongoing if opened_by_probe(config, i) == component]
        if mine and _recovered(rows, rules, now):
            return _resolve(config, mine[0], component, rows, translate)
        return None
    run = failing_since(rows)
    if run is None or len(rows) < rules.failures or any(
            not r.failed for r in rows[-rules.failures:]):
        return None
    if any(m.window(now)[0] <= now < m.window(now)[1] for m in site.maintenances
           if component in m.components):
        return None
    resolved = [i.resolved_at for i in about if i.resolved_at is not None]
    if resolved and run.time <= max(resolved):
        return None
    return _open(config, component, run, result, now, translate)


def _recovered(rows: list[Row], rules: ProbeRules, now: datetime) -> bool:
    recent = rows[-rules.recoveries:]
    if len(recent) < rules.recoveries or any(r.failed for r in recent):
        return False
    failed = [r.time for r in rows if r.failed]
    return not failed or now - max(failed) >= rules.settle


def _name(config: SiteConfig, component: str) -> str:
    found = config.component(component)
    return found.name if found is not None else component


def _open(config: SiteConfig, component: str, run: Row, result: Result, now: datetime,
          translate: Callable[[str], str]) -> Action:
    zone = config.timezone
    name = _name(config, component)
    detail = _PLAIN.sub("", result.detail)[:160]
    title = translate(_TITLE) % {"component": name}
    message = translate(_FAILED) % {
        "component": name, "time": written(run.time.astimezone(zone)), "detail": detail}
    local = now.astimezone(zone)
    lines = ["---", f"title: {_quoted(title)}", f"severity: {config.collect.rules.severity}",
             f"started: {written(run.time.astimezone(zone))}", "components:",
             f"  {component}: major_outage", "internal:",
             f"  {MARK}: {component}    # opened by 'statuspage probe', which resolves it "
             "when checks pass again", "---", "",
             f"## Investigating — {written(local)}", "", message, ""]
    base = f"{local:%Y-%m-%d}-{component}-unavailable"
    for number in range(1, 100):
        path = config.incidents_dir / (base if number == 1 else f"{base}-{number}")
        path = path.with_name(path.name + ".md")
        try:
            _write_new(config, path, "\n".join(lines), now)
        except ScaffoldError as exc:
            if "already exists" in str(exc):
                continue
            raise
        return Action(component, f"opened {config.shown(path)}")
    raise ScaffoldError(f"too many incident files named {base}*.md today")


def _resolve(config: SiteConfig, incident: Incident, component: str, rows: list[Row],
             translate: Callable[[str], str]) -> Action:
    good = [r for r in rows if not r.failed]
    failed = [r.time for r in rows if r.failed]
    first_good = next((r for r in good if not failed or r.time > max(failed)), good[-1])
    latest = max([u.at for u in incident.updates] + [incident.started])
    at = max(first_good.time, latest)
    message = translate(_PASSED) % {
        "component": _name(config, component),
        "time": written(first_good.time.astimezone(config.timezone))}
    path = add_update(config, incident.slug, "resolved", message, at)
    return Action(component, f"resolved {config.shown(path)}")
