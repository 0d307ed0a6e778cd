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
from .read.config import SiteConfig, suggest
from .read.files import find_documents, split_front_matter
from .times import written

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


def _check_text(config: SiteConfig, path: Path, text: str, now: datetime) -> list[Problem]:
    """Return the errors `check` would report for `text` as the content of `path`."""
    shown = config.shown(path) if path.is_relative_to(config.root) else str(path)
    document, problems = split_front_matter(text, shown)
    if document is None:
        return [p for p in problems if p.is_error]
    document = replace(document, path=str(path))
    parsed, more = parse_document(document, config, MarkdownRenderer())
    _site, found = assemble([(parsed, problems + more)], now, set())
    return [p for p in found if p.is_error]


def _write_new(config: SiteConfig, path: Path, text: str, now: datetime) -> Path:
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
    if problems:
        raise ScaffoldError("\n".join(str(p) for p in problems))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path


def _known(kind: str, value: str, choices: list[str]) -> None:
    if value not in choices:
        raise ScaffoldError(f"unknown {kind} '{value}'{suggest(value, choices)}; "
                            f"valid: {', '.join(choices)}")


def _quoted(text: str) -> str:
    return json.dumps(" ".join(text.split()), ensure_ascii=False)


def new_incident(config: SiteConfig, title: str, severity: str,
                 components: list[tuple[str, str]], message: str | None, now: datetime,
                 slug: str | None = None) -> Path:
    """Write a new incident file with a first 'investigating' update at `now`."""
    _known("severity", severity, [s.key for s in config.severities])
    for cid, status in components:
        _known("component", cid, [c.id for c in config.components])
        _known("status", status, [s.value for s in INCIDENT_COMPONENT_STATUSES])
    local = now.astimezone(config.timezone)
    stamp = written(local)
    slug = slug or slugify(title, [c for c, _ in components] + ["incident"])
    lines = ["---", f"title: {_quoted(title)}", f"severity: {severity}", f"started: {stamp}"]
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


@dataclass(frozen=True)
class Found:
    """The file `update` works on."""

    path: Path
    maintenance: bool


def find(config: SiteConfig, prefix: str) -> Found:
    """Return the incident or maintenance file whose slug is `prefix` or starts with it."""
    files = [p for p in find_documents(config.incidents_dir)
             if not p.name.endswith(POSTMORTEM_SUFFIX)]
    exact = [p for p in files if p.stem == prefix]
    matches = exact or [p for p in files if p.stem.startswith(prefix)]
    if not matches:
        near = [p.stem for p in files if prefix.lower() in p.stem.lower()][-3:]
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise ScaffoldError(f"no incident or maintenance file starts with '{prefix}'{hint}")
    if len(matches) > 1:
        names = ", ".join(p.stem for p in matches[:8])
        raise ScaffoldError(f"'{prefix}' matches {len(matches)} files ({names}); "
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
    if wanted in ("resolve", "fix", "fixed") and not maintenance:
        return IncidentStatus.RESOLVED.value
    if wanted in ("complete", "done") and maintenance:
        return MaintenanceStatus.COMPLETED.value
    starts = [c for c in choices if c.startswith(wanted)]
    if len(starts) == 1:
        return starts[0]
    kind = "maintenance" if maintenance else "incident"
    raise ScaffoldError(f"unknown {kind} status '{word}'{suggest(wanted, choices)}; "
                        f"valid: {', '.join(choices)}")


def add_update(config: SiteConfig, prefix: str, word: str, message: str | None,
               now: datetime) -> Path:
    """Insert a timestamped update section; every other byte of the file stays as it was."""
    found = find(config, prefix)
    status = status_for(word, found.maintenance)
    if not (message or "").strip():
        raise ScaffoldError('an update needs words for customers: add -m "what changed"')
    raw = found.path.read_bytes()
    newline = b"\r\n" if b"\r\n" in raw else b"\n"
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
    found.path.write_bytes(updated)
    return found.path


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
