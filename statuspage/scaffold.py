"""Writing files for operators: `init`, `new incident`, `new maintenance` and `update`.

Every file is checked with the same parser as `check` before it is written, so these commands
never write what `check` would reject, and `update` changes nothing but the inserted lines.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from importlib import metadata, resources
from pathlib import Path

from .check.markdown import MarkdownRenderer
from .check.parse import POSTMORTEM_SUFFIX, SLUG, parse_document
from .check.rules import assemble
from .errors import Problem
from .model import INCIDENT_COMPONENT_STATUSES, IncidentStatus, Maintenance, MaintenanceStatus
from .read.config import SiteConfig
from .read.files import find_documents, split_front_matter, suggest
from .times import written
from .write.whole import create_whole, replace_whole

DISTRIBUTION = "statuspage-static"


class ScaffoldError(Exception):
    """A command that cannot be carried out; the message says why and what would work."""


def slugify(title: str, fallback: list[str]) -> str:
    """Return a URL slug from the Latin letters and digits of `title`; when it has too few
    (a title in Chinese, say), from `fallback` words such as component ids."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    if sum(len(w) for w in words) < 3:
        words = [w for part in fallback for w in re.findall(r"[a-z0-9]+", part.lower())]
    slug = "-".join(words)[:60].strip("-")
    return slug or "incident"


def _check_text(config: SiteConfig, path: Path, text: str, now: datetime,
                beside: Path | None = None) -> list[Problem]:
    """Return the errors `check` would report for `text` as the content of `path` (with the
    file `beside` it as it is, such as a postmortem's incident)."""
    results = []
    for where, content in [(path, text), *([(beside, beside.read_text("utf-8-sig"))]
                                           if beside else [])]:
        shown = config.shown(where) if where.is_relative_to(config.root) else str(where)
        document, problems = split_front_matter(content.replace("\r\n", "\n"), shown)
        if document is None:
            return [p for p in problems if p.is_error]
        parsed, more = parse_document(replace(document, path=str(where)), config,
                                      MarkdownRenderer())
        results.append((parsed, problems + more))
    _site, found = assemble(results, now, set())
    return [p for p in found if p.is_error]


def _write_new(config: SiteConfig, path: Path, text: str, now: datetime,
               beside: Path | None = None) -> Path:
    if beside is not None:  # a postmortem, next to its incident
        if path.exists():
            raise ScaffoldError(f"{config.shown(path)} already exists")
        problems = _check_text(config, path, text, now, beside)
        if problems:
            raise ScaffoldError("\n".join(f"{p.message}; nothing was written" for p in problems))
        _create(path, text.encode())
        return path
    if not SLUG.match(path.stem) or path.parent != config.incidents_dir:
        raise ScaffoldError(f"'{path.stem}' can't be used in a URL: use letters, digits, '-', "
                            "'_' and '.'")
    if path.exists():
        raise ScaffoldError(f"{config.shown(path)} already exists; choose another --slug")
    taken = {p.name.removesuffix(POSTMORTEM_SUFFIX).removesuffix(".md")
             for p in find_documents(config.incidents_dir)}
    if path.stem in taken:
        raise ScaffoldError(f"an incident named '{path.stem}' already exists in a sub-folder; "
                            "choose another --slug")
    problems = _check_text(config, path, text, now)
    if problems:  # (about the file as it would have been: no path, since there is no file)
        raise ScaffoldError("\n".join(f"{p.message}; nothing was written" for p in problems))
    path.parent.mkdir(parents=True, exist_ok=True)
    _create(path, text.encode())
    return path



def _create(path: Path, data: bytes) -> None:
    """Write a new file whole (`probe` writes incidents unattended, and a run can be killed);
    refuse if it exists."""
    if not create_whole(path, data):
        raise ScaffoldError(f"{path.name} already exists")

def _known(kind: str, value: str, choices: list[str]) -> None:
    if value not in choices:
        raise ScaffoldError(f"unknown {kind} '{value}'{suggest(value, choices)}; "
                            f"valid: {', '.join(choices)}")


def _quoted(text: str) -> str:
    return json.dumps(" ".join(text.split()), ensure_ascii=False)


def new_incident(config: SiteConfig, title: str, severity: str,
                 components: list[tuple[str, str]], message: str | None, now: datetime,
                 slug: str | None = None, started: datetime | None = None) -> Path:
    """Write a new incident file with a first 'investigating' update at `now`; impact began
    at `started` (default: `now`)."""
    _known("severity", severity, [s.key for s in config.severities])
    for cid, status in components:
        _known("component", cid, [c.id for c in config.components])
        _known("status", status, [s.value for s in INCIDENT_COMPONENT_STATUSES])
    local = (started or now).astimezone(config.timezone)
    stamp = written(now.astimezone(config.timezone))
    slug = slug or slugify(title, [c for c, _ in components] + ["incident"])
    lines = ["---", f"title: {_quoted(title)}", f"severity: {severity}",
             f"started: {written(local)}"]
    if components:
        lines.append("components:")
        lines += [f"  {cid}: {status}" for cid, status in components]
    lines += ["---", "", f"## Investigating — {stamp}", "",
              (message or "We are investigating this issue.").strip(), ""]
    path = config.incidents_dir / f"{local:%Y-%m-%d}-{slug}.md"
    return _write_new(config, path, "\n".join(lines), now)


def new_maintenance(config: SiteConfig, title: str, components: list[str], start: datetime,
                    end: datetime, message: str | None, now: datetime,
                    slug: str | None = None) -> Path:
    """Write a new maintenance file for the window [start, end)."""
    for cid in components:
        _known("component", cid, [c.id for c in config.components])
    zone = config.timezone
    slug = slug or slugify(title, [*components, "maintenance"])
    lines = ["---", f"title: {_quoted(title)}", "type: maintenance",
             f"components: [{', '.join(components)}]",
             f"scheduled: {written(start.astimezone(zone))}",
             f"until: {written(end.astimezone(zone))}", "---", ""]
    if message:
        lines += [message.strip(), ""]
    path = config.incidents_dir / f"{start.astimezone(zone):%Y-%m-%d}-{slug}.md"
    return _write_new(config, path, "\n".join(lines), now)


DATED = re.compile(r"^\d{4}-\d{2}-\d{2}-")
"""The date a file name starts with, which `update` lets operators leave out."""


def new_postmortem(config: SiteConfig, prefix: str, authors: list[str],
                   now: datetime) -> Path:
    """Write an unpublished postmortem beside the incident `prefix` names, with the usual
    sections to fill in; it is published once it has a `published` time."""
    found = find(config, prefix)
    if found.maintenance:
        raise ScaffoldError(f"{config.shown(found.path)} is a maintenance; postmortems are "
                            "for incidents")
    path = found.path.with_name(found.path.stem + POSTMORTEM_SUFFIX)
    lines = ["---", "# Not published until this has a time, such as",
             f"# published: {written(now.astimezone(config.timezone))}"]
    if authors:
        lines.append(f"authors: [{', '.join(_quoted(a) for a in authors)}]")
    lines += ["---", ""]
    for heading, hint in (("Summary", "What happened, when, and to whom, in a few sentences."),
                          ("Impact", "Who was affected, how, and for how long."),
                          ("Root cause", "Why it happened."),
                          ("Action items", "- What we are changing so it does not happen "
                                           "again.")):
        lines += [f"## {heading}", "", hint, ""]
    return _write_new(config, path, "\n".join(lines), now, beside=found.path)


@dataclass(frozen=True)
class Found:
    """The file `update` works on."""

    path: Path
    maintenance: bool


def find(config: SiteConfig, prefix: str) -> Found:
    """Return the incident or maintenance file whose slug, with or without its date, is
    `prefix` or starts with it."""
    files = [p for p in find_documents(config.incidents_dir)
             if not p.name.endswith(POSTMORTEM_SUFFIX)]
    names = {p: (p.stem, DATED.sub("", p.stem, count=1)) for p in files}
    exact = [p for p in files if prefix in names[p]]
    matches = exact or [p for p in files if any(n.startswith(prefix) for n in names[p])]
    if not matches:
        near = [p.stem for p in files if prefix.lower() in p.stem.lower()][-3:]
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise ScaffoldError(f"no incident or maintenance file starts with '{prefix}'{hint}")
    if len(matches) > 1:
        listed = ", ".join(p.stem for p in matches[:8])
        raise ScaffoldError(f"'{prefix}' matches {len(matches)} files ({listed}); "
                            "give more of the name")
    text = matches[0].read_text(encoding="utf-8-sig")
    return Found(matches[0], bool(re.search(r"(?m)^type:\s*['\"]?maintenance", text)))


def status_for(word: str, maintenance: bool) -> str:
    """Return the update status `word` names: a status, a unique prefix, or 'resolve'."""
    kinds: list[MaintenanceStatus] | list[IncidentStatus] = (
        list(MaintenanceStatus) if maintenance else list(IncidentStatus))
    choices: list[str] = [s.value for s in kinds]
    wanted = re.sub(r"[\s-]+", "_", word.strip().lower())
    if wanted in choices:
        return wanted
    if wanted == "resolve" and not maintenance:
        return IncidentStatus.RESOLVED.value
    if wanted in ("complete", "done") and maintenance:
        return MaintenanceStatus.COMPLETED.value
    starts = [c for c in choices if c.startswith(wanted)]
    if len(starts) == 1:
        return starts[0]
    kind = "maintenance" if maintenance else "incident"
    hint = suggest(wanted, choices) or (
        f" (did you mean '{choices[-1]}'?)" if wanted in ("fix", "fixed", "finished") else "")
    raise ScaffoldError(f"unknown {kind} status '{word}'{hint}; "
                        f"valid: {', '.join(choices)}")


def add_update(config: SiteConfig, prefix: str, word: str, message: str | None,
               now: datetime, components: list[tuple[str, str]] | None = None) -> Path:
    """Insert a timestamped update section, and a status step for each of `components` (id,
    status); every other byte of the file stays as it was."""
    found = find(config, prefix)
    status = status_for(word, found.maintenance)
    if not (message or "").strip():
        raise ScaffoldError('an update needs words for customers: add -m "what changed"')
    raw = found.path.read_bytes()
    newline = b"\r\n" if b"\r\n" in raw else b"\n"
    if components:
        raw = _with_steps(config, found, raw, components, now)
    label = status.replace("_", " ").capitalize()
    body = (message or "").strip()
    section = f"## {label} — {written(now.astimezone(config.timezone))}\n\n"
    section += f"{body}\n\n" if body else ""
    encoded = section.replace("\n", newline.decode()).encode()
    offset = _insert_at(config, found.path, raw)
    if offset is None:
        head = raw if raw.endswith(newline) or not raw else raw + newline
        updated = head + newline + encoded.rstrip(newline) + newline
    else:
        updated = raw[:offset] + encoded + raw[offset:]
    problems = _check_text(config, found.path, updated.decode("utf-8-sig"), now)
    if problems:
        raise ScaffoldError("\n".join(str(p) for p in problems))
    replace_whole(found.path, updated)
    return found.path


def _with_steps(config: SiteConfig, found: Found, raw: bytes,
                components: list[tuple[str, str]], now: datetime) -> bytes:
    """Return the file's bytes with a status step at `now` for each (component, status)."""
    from .steps import StepError, add_step
    if found.maintenance:
        raise ScaffoldError("--component is for incidents: a maintenance's components are "
                            "under maintenance for its whole window")
    for cid, status in components:
        _known("component", cid, [c.id for c in config.components])
        _known("status", status, [s.value for s in INCIDENT_COMPONENT_STATUSES])
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    crlf = b"\r\n" in raw
    text = raw[len(bom):].decode("utf-8").replace("\r\n", "\n")
    shown = config.shown(found.path)
    at = now.astimezone(config.timezone)
    for cid, status in components:
        document, _problems = split_front_matter(text, shown)
        if document is None:
            raise ScaffoldError(f"{shown}: fix its front matter first (run 'statuspage check')")
        parsed, _more = parse_document(replace(document, path=str(found.path)), config,
                                       MarkdownRenderer())
        started = getattr(parsed.item, "started", None) or at
        try:
            text = add_step(text, shown, cid, status, at, started)
        except StepError as exc:
            raise ScaffoldError(str(exc)) from None
    return bom + (text.replace("\n", "\r\n") if crlf else text).encode("utf-8")


def _insert_at(config: SiteConfig, path: Path, raw: bytes) -> int | None:
    """Return the byte offset of the first update heading when updates are written newest
    first (or there is one), None to append at the end (oldest first, or no update)."""
    text = raw.decode("utf-8-sig")
    document, _problems = split_front_matter(text.replace("\r\n", "\n"), str(path))
    if document is None:
        raise ScaffoldError(f"{config.shown(path)}: fix its front matter first "
                            "(run 'statuspage check')")
    document = replace(document, path=str(path))
    parsed, _more = parse_document(document, config, MarkdownRenderer())
    item = parsed.item
    updates = sorted(getattr(item, "updates", ()), key=lambda u: u.line)
    done = [u for u in updates if u.status == IncidentStatus.RESOLVED.value]
    if done and not isinstance(item, Maintenance):
        raise ScaffoldError(f"{config.shown(path)} was resolved at {written(done[0].at)}; "
                            "an update after the resolution is not allowed (if it broke "
                            "again, start a new incident with 'statuspage new incident')")
    if not updates or (len(updates) > 1 and updates[0].at < updates[-1].at):
        return None
    # Line numbers count the decoded text; the raw lines keep any BOM and '\r' in their bytes.
    return sum(len(line) + 1 for line in raw.split(b"\n")[: updates[0].line - 1])


PLACEHOLDER = ("SET-ME: statuspage is on no package index, so replace this line with the pip "
               "requirement to install it from (see the lines above)")


def install_source() -> str | None:
    """Return the pip requirement for the statuspage that is running when a fresh machine can
    install it the same way: the git URL and commit it was installed from (PEP 610); else
    None (a local folder or an editable checkout is not on the runner)."""
    try:
        direct = json.loads(metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
                            or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        direct = {}
    vcs = direct.get("vcs_info") or {}
    if vcs.get("vcs") == "git" and direct.get("url", "").startswith(("https://", "ssh://")):
        return f"{DISTRIBUTION} @ git+{direct['url']}@{vcs.get('commit_id', 'main')}"
    return None


def requirements(requirement: str | None) -> str:
    """Return requirements.txt for the CI workflow: `requirement`, or a line pip refuses
    with words saying what to put there (so the first run fails plainly, naming the file)."""
    return (
        "# The statuspage your CI installs (read by .github/workflows/statuspage.yml).\n"
        "# statuspage is not published on a package index: install it from its git\n"
        "# repository, pinned to a commit or tag, such as\n"
        f"#   {DISTRIBUTION} @ git+https://github.com/OWNER/REPO@COMMIT\n"
        f"{requirement or PLACEHOLDER}\n")


def init(target: Path, requirement: str | None = None) -> list[Path]:
    """Write a ready status repository into `target`; refuse to overwrite anything.
    `requirement` is what CI installs statuspage from (see `requirements`)."""
    source = resources.files("statuspage") / "starter"
    text = requirements(requirement)
    made: list[tuple[Path, bytes]] = [(target / "requirements.txt", text.encode())]
    for name in ("statuspage.yaml", "gitignore", "incidents/example.md",
                 "github/workflows/statuspage.yml"):
        data = (source / name).read_bytes()
        relative = {"gitignore": ".gitignore",
                    "github/workflows/statuspage.yml": ".github/workflows/statuspage.yml"}.get(
            name, name)
        made.append((target / relative, data))
    existing = [str(p) for p, _ in made if p.exists()]
    if existing:
        raise ScaffoldError(f"refusing to overwrite {', '.join(existing)}")
    for path, data in made:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return [p for p, _ in made]
