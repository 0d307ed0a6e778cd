"""Documents to model objects: read each file's fields and updates, collecting problems.

Rules that need only one file live here; rules across files and against `now` are in
`validate`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import Location, Problem, error, warning
from ..model import (
    INCIDENT_COMPONENT_STATUSES,
    ComponentStatus,
    Incident,
    IncidentStatus,
    Maintenance,
    MaintenanceStatus,
    Postmortem,
    StatusStep,
    Update,
)
from ..read.config import HTML_TAG, SiteConfig
from ..read.files import Document, check_keys, suggest
from ..times import TimeError, parse_timestamp, written
from .markdown import MarkdownRenderer

SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
POSTMORTEM_SUFFIX = ".postmortem.md"
HEADING_HINT = "update heading must look like '## Identified — 2026-11-20 09:55 +08:00'"

_INCIDENT_KEYS = ("title", "type", "severity", "started", "components", "draft", "internal")
_MAINTENANCE_KEYS = ("title", "type", "components", "scheduled", "until", "draft", "internal")
_POSTMORTEM_KEYS = ("published", "authors", "draft", "internal")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_H2 = re.compile(r"^##(?!#)\s*(.*?)\s*#*\s*$")
_LEAD = re.compile(r"([^\W\d_]+)(?:[ _-][^\W\d_]+)?")
_LOOSE = re.compile(r"^([^\W\d_]+)\s*[:,;.]?\s+\d{4}-\d{2}-\d{2}")
_DEEPER = re.compile(r"^#{3,6}(?!#)\s*(.*?)\s*#*\s*$")
_MARKS = ("`", "~", "#")
"""What a line that opens or closes a fence, or is a heading, starts with (after spaces)."""
_SPLIT = re.compile(r"^(?P<status>[^\W\d][\w \-]*?)\s+(?:—|–|-|\||·)\s+(?P<when>.+)$")


@dataclass(frozen=True)
class Parsed:
    """One file's result: the object it describes (or None) and whether it is a draft."""

    document: Document
    slug: str
    item: Incident | Maintenance | Postmortem | None
    draft: bool
    latest: datetime | None = None
    """The latest time written in it (a start, a status change, an update), worked out once
    and kept with it: each build checks that none is in the future."""


def status_word(text: str) -> str:
    """Return the status as written in a heading, normalised: 'In progress' -> 'in_progress'."""
    return re.sub(r"[\s-]+", "_", text.strip().lower())


def split_updates(
    doc: Document, statuses: tuple[str, ...], config: SiteConfig, md: MarkdownRenderer,
) -> tuple[str, list[Update], list[Problem]]:
    """Return the summary HTML, the updates (as written) and the problems of the headings."""
    problems: list[Problem] = []
    sections: list[tuple[str, datetime, int, list[str]]] = []
    summary: list[str] = []
    current = summary
    fence: str | None = None
    for index, line in enumerate(doc.body.split("\n")):
        if line.lstrip()[:1] not in _MARKS:  # most lines: no fence, no heading
            current.append(line)
            continue
        number = doc.body_line + index
        marker = _FENCE.match(line)
        if marker:
            token = marker.group(1)
            if fence is None:
                fence = token[0] * len(token)
            elif token.startswith(fence):
                fence = None
        heading = _H2.match(line) if fence is None else None
        if heading is None:
            deeper = _DEEPER.match(line) if fence is None else None
            if deeper and isinstance(_read_heading(deeper.group(1), statuses, config,
                                                   Location(doc.shown, number)), tuple):
                problems.append(error(Location(doc.shown, number),
                                      "update headings are level 2: start the line with '## '"))
            current.append(line)
            continue
        found = _read_heading(heading.group(1), statuses, config, Location(doc.shown, number))
        if found is None:
            current.append(line)
        elif isinstance(found, Problem):
            problems.append(found)
            current.append(line)
        else:
            body: list[str] = []
            sections.append((found[0], found[1], number, body))
            current = body
    rendered = md.render_many(["\n".join(summary)] + ["\n".join(s[3]) for s in sections])
    updates = [Update(status, at, html, number)
               for (status, at, number, _body), html in zip(sections, rendered[1:], strict=True)]
    return rendered[0], updates, problems


def _read_heading(
    text: str, statuses: tuple[str, ...], config: SiteConfig, where: Location,
) -> tuple[str, datetime] | Problem | None:
    """Return (status, time) for an update heading, a problem for a broken one, else None.

    A heading looks like an update when it starts with a status word, or when a word is
    followed by a date (a misspelt status); such a heading that does not parse is an error.
    """
    lead = _LEAD.match(text)
    starts = lead is not None and (status_word(lead.group(1)) in statuses
                                   or status_word(lead.group(0)) in statuses)
    match = _SPLIT.match(text)
    if match is None:
        loose = _LOOSE.match(text)
        if starts:
            fix = ("put ' — ' between the status and the time" if any(c.isdigit() for c in text)
                   else "add the time after the status")
            return error(where, f"{HEADING_HINT} ({fix})")
        if loose:
            return error(where, HEADING_HINT + suggest(status_word(loose.group(1)), statuses))
        return None
    status, when = status_word(match["status"]), match["when"]
    if status not in statuses:
        if not starts and not when[:1].isdigit():
            return None
        return error(where, f"unknown update status '{match['status']}'; use one of "
                            f"{', '.join(statuses)}{suggest(status, statuses)}")
    try:
        return status, parse_timestamp(when, config.timezone)
    except TimeError as exc:
        return error(where, f"update heading: {exc}")


def _timestamp(doc: Document, key: str, config: SiteConfig,
               problems: list[Problem]) -> datetime | None:
    value = doc.front.value.get(key)
    if value is None:
        return None
    try:
        return parse_timestamp(value, config.timezone)
    except TimeError as exc:
        problems.append(error(doc.at(key), f"{key}: {exc}"))
        return None


def _title(doc: Document, problems: list[Problem]) -> str:
    title = doc.front.value.get("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        problems.append(error(doc.at(), "'title' is required"))
        return ""
    if isinstance(title, bool) or not isinstance(title, str | int | float):
        problems.append(error(doc.at("title"), "title: expected text"))
        return ""
    if HTML_TAG.search(str(title)):
        problems.append(error(doc.at("title"), "title: HTML is not allowed in a title; "
                                               "write plain text"))
    return " ".join(str(title).split())


def _is_draft(doc: Document, problems: list[Problem]) -> bool:
    value = doc.front.value.get("draft", False)
    if not isinstance(value, bool):
        # Not a draft: the error must fail the build rather than hide the file quietly.
        problems.append(error(doc.at("draft"), f"draft: expected true or false, got '{value}'"))
        return False
    return value


def parse_document(
    doc: Document, config: SiteConfig, md: MarkdownRenderer,
) -> tuple[Parsed, list[Problem]]:
    """Return what the document describes, with every problem found in it alone."""
    problems: list[Problem] = []
    name = os.path.basename(doc.path)
    is_postmortem = name.endswith(POSTMORTEM_SUFFIX)
    slug = name[: -len(POSTMORTEM_SUFFIX)] if is_postmortem else os.path.splitext(name)[0]
    if not SLUG.match(slug):
        problems.append(error(Location(doc.shown, 1), f"file name '{name}' can't be used in a URL: "
                                                      "use letters, digits, '-', '_' and '.'"))
    draft = _is_draft(doc, problems)
    item: Incident | Maintenance | Postmortem | None
    if is_postmortem:
        item = _postmortem(doc, config, md, problems)
    else:
        kind = doc.front.value.get("type", "incident")
        if kind == "maintenance":
            item = _maintenance(doc, slug, config, md, problems)
        elif kind == "incident":
            item = _incident(doc, slug, config, md, problems)
        else:
            problems.append(error(doc.at("type"), f"type: '{kind}' is not 'incident' or "
                                                  "'maintenance'"))
            item = None
    if any(p.is_error for p in problems):
        item = None
    times: list[datetime] = []
    if isinstance(item, Incident):
        times = [item.started, *(s.at for steps in item.components.values() for s in steps)]
    if isinstance(item, Incident | Maintenance):
        times += [update.at for update in item.updates]
    return Parsed(doc, slug, item, draft, max(times, default=None)), problems


def _incident(doc: Document, slug: str, config: SiteConfig, md: MarkdownRenderer,
              problems: list[Problem]) -> Incident | None:
    front = doc.front.value
    problems += check_keys(front, _INCIDENT_KEYS, doc.front, doc.shown)
    title = _title(doc, problems)
    severity = None
    key = front.get("severity")
    keys = [s.key for s in config.severities]
    if key is None:
        problems.append(error(doc.at(), f"'severity' is required; use one of {', '.join(keys)}"))
    else:
        severity = config.severity(str(key))
        if severity is None:
            problems.append(error(doc.at("severity"), f"severity: unknown severity '{key}'; use "
                                                      f"one of {', '.join(keys)}"
                                                      f"{suggest(str(key), keys)}"))
    started = _timestamp(doc, "started", config, problems)
    statuses = tuple(s.value for s in IncidentStatus)
    summary, updates, more = split_updates(doc, statuses, config, md)
    problems += more
    if started is None and "started" not in front:
        if updates:
            started = min(u.at for u in updates)
        else:
            problems.append(error(doc.at(), "'started' is required when there are no updates"))
    if started is None or severity is None:
        _components(doc, config, started, problems)
        return None
    components = _components(doc, config, started, problems)
    ordered = sorted(updates, key=lambda u: u.at, reverse=True)
    problems += _check_incident_times(doc, started, ordered, components)
    return Incident(slug, doc.shown, title, severity, started, components, summary,
                    tuple(ordered), source=doc.digest)


def _check_incident_times(doc: Document, started: datetime, updates: list[Update],
                          components: dict[str, tuple[StatusStep, ...]]) -> list[Problem]:
    problems = []
    resolved = [u for u in updates if u.status == IncidentStatus.RESOLVED.value]
    if resolved:
        first_resolved = resolved[-1]
        for update in updates:
            if update.at > first_resolved.at or (update is not first_resolved
                                                  and update.status == "resolved"):
                problems.append(error(
                    Location(doc.shown, update.line),
                    f"update after the incident was resolved (at {written(first_resolved.at)}); "
                    "remove it or move the resolution later"))
        if first_resolved.at < started:
            problems.append(error(Location(doc.shown, first_resolved.line),
                                  "resolved before the incident started "
                                  f"(started {written(started)})"))
        for cid, steps in components.items():
            for step in steps:
                if step.line and step.at > first_resolved.at:
                    problems.append(error(Location(doc.shown, step.line),
                                          f"components: {cid}: status change after the incident "
                                          "was resolved"))
    for update in updates:
        if update.at < started and update.status != "resolved":
            problems.append(warning(Location(doc.shown, update.line),
                                    f"update is before 'started' ({written(started)})"))
    return problems


def _components(doc: Document, config: SiteConfig, started: datetime | None,
                problems: list[Problem]) -> dict[str, tuple[StatusStep, ...]]:
    value = doc.front.value.get("components")
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(error(doc.at("components"), "components: expected a mapping of component "
                                                    "id to status, such as "
                                                    "'chat-api: partial_outage'"))
        return {}
    ids = [c.id for c in config.components]
    names = [s.value for s in INCIDENT_COMPONENT_STATUSES]
    result: dict[str, tuple[StatusStep, ...]] = {}
    for cid, spec in value.items():
        where = doc.at("components", cid)
        if config.component(str(cid)) is None:
            problems.append(error(where, f"components: unknown component '{cid}'"
                                         f"{suggest(str(cid), ids)}"))
            continue
        steps: list[StatusStep] = []
        if isinstance(spec, str):
            status = _status(spec, names, where, problems)
            if status is not None and started is not None:
                steps.append(StatusStep(started, status))
        elif isinstance(spec, list) and spec:
            for index, step in enumerate(spec):
                steps += _step(doc, config, str(cid), index, step, problems)
        else:
            problems.append(error(where, f"components: {cid}: expected a status or a list of "
                                         "{at: <timestamp>, status: <status>} steps"))
        if started is not None:
            for step in steps:
                if step.at < started:
                    problems.append(error(Location(doc.shown, step.line),
                                          f"components: {cid}: status change before the "
                                          "incident started"))
        result[str(cid)] = tuple(sorted(steps, key=lambda s: s.at))
    return result


def _step(doc: Document, config: SiteConfig, cid: str, index: int, step: Any,
          problems: list[Problem]) -> list[StatusStep]:
    where = doc.at("components", cid, index)
    if not isinstance(step, dict) or set(step) != {"at", "status"}:
        problems.append(error(where, f"components: {cid}: each step needs exactly 'at' and "
                                     "'status', such as {at: 2026-11-20 09:30, status: "
                                     "major_outage}"))
        return []
    names = [s.value for s in INCIDENT_COMPONENT_STATUSES]
    status = _status(step["status"], names, doc.at("components", cid, index, "status"), problems)
    try:
        at = parse_timestamp(step["at"], config.timezone)
    except TimeError as exc:
        problems.append(error(doc.at("components", cid, index, "at"), f"at: {exc}"))
        return []
    return [StatusStep(at, status, doc.front.line("components", cid, index))] \
        if status is not None else []


def _status(value: Any, names: list[str], where: Location,
            problems: list[Problem]) -> ComponentStatus | None:
    if isinstance(value, str) and value in names:
        return ComponentStatus(value)
    problems.append(error(where, f"unknown component status '{value}'; use one of "
                                 f"{', '.join(names)}{suggest(str(value), names)}"))
    return None


def _maintenance(doc: Document, slug: str, config: SiteConfig, md: MarkdownRenderer,
                 problems: list[Problem]) -> Maintenance | None:
    front = doc.front.value
    problems += check_keys(front, _MAINTENANCE_KEYS, doc.front, doc.shown)
    title = _title(doc, problems)
    components: list[str] = []
    value = front.get("components", [])
    ids = [c.id for c in config.components]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(error(doc.at("components"), "components: expected a list of component "
                                                    "ids, such as [chat-api, voice]"))
    else:
        for index, cid in enumerate(value):
            if config.component(cid) is None:
                problems.append(error(doc.at("components", index), f"components: unknown "
                                      f"component '{cid}'{suggest(cid, ids)}"))
            elif cid not in components:
                components.append(cid)
    scheduled = _timestamp(doc, "scheduled", config, problems)
    until = _timestamp(doc, "until", config, problems)
    for key, found in (("scheduled", scheduled), ("until", until)):
        if found is None and key not in front:
            problems.append(error(doc.at(), f"'{key}' is required for maintenance"))
    if scheduled is not None and until is not None and until <= scheduled:
        problems.append(error(doc.at("until"), "until: the window must end after it starts"))
    statuses = tuple(s.value for s in MaintenanceStatus)
    summary, updates, more = split_updates(doc, statuses, config, md)
    problems += more
    began = min((u.at for u in updates if u.status == MaintenanceStatus.IN_PROGRESS.value),
                default=None)
    for update in updates:
        # Completing early is fine once work began (an in-progress update before it).
        if (scheduled is not None and update.status == MaintenanceStatus.COMPLETED.value
                and update.at < scheduled and (began is None or began > update.at)):
            problems.append(error(Location(doc.shown, update.line),
                                  "completed before the window starts; to call off a "
                                  "maintenance, delete its file or mark it 'draft: true'"))
    if scheduled is None or until is None:
        return None
    ordered = tuple(sorted(updates, key=lambda u: u.at, reverse=True))
    return Maintenance(slug, doc.shown, title, tuple(components), scheduled, until, summary,
                       ordered, source=doc.digest)


def _postmortem(doc: Document, config: SiteConfig, md: MarkdownRenderer,
                problems: list[Problem]) -> Postmortem | None:
    front = doc.front.value
    problems += check_keys(front, _POSTMORTEM_KEYS, doc.front, doc.shown)
    published = _timestamp(doc, "published", config, problems)
    authors = front.get("authors", [])
    if isinstance(authors, str):
        authors = [authors]
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        problems.append(error(doc.at("authors"), "authors: expected a list of names"))
        authors = []
    return Postmortem(doc.shown, published, tuple(authors), md.render(doc.body), doc.digest)
