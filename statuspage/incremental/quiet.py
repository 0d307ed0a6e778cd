"""Quiet rebuilds: when nothing but the clock and the measured data has changed since the
last build, only the outputs that read the clock or the measured figures are looked at again.

A build with no input changed (no file under incidents/, setting, template, logo, git commit
or code) makes the same outputs from the same reads, but for the reads that move with the
clock (`Clocked`) and those of the measured figures (`Measures`: rows are appended to the
data files all day). Until the next instant written in a file or the next midnight (the
horizon), no other read can change either. So the last full build keeps the outputs that
read the clock or the figures, with their reads, and a rebuild before the horizon measures
again and works out only their keys at its own time: it makes those whose key moved and
keeps every other file of the last site.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from ..errors import BuildFailed, Problem
from ..model import Site
from ..outputs.record import Clock, Output
from ..outputs.render import page_names
from ..read.config import SiteConfig
from ..read.files import Found
from ..read.upstream import snapshot_path
from ..write import MARKER, OutputRefused, SiteWriter, check_output, identity
from .keys import Keys, digest
from .making import Maker, previous_keys, save_keys
from .metrics import read_measured
from .store import Store, file_status, settled

FORMAT = 2


@dataclass(frozen=True)
class Snapshot:
    """What tells whether the next build may be quiet; rewritten by every build."""

    inputs: str
    """A digest of every input but the clock (`inputs`)."""
    now: datetime
    horizon: datetime
    """The first moment after `now` at which anything but the clock's reads can change."""
    output: str
    """The identity of the output folder the build made."""
    body: bytes
    """The signature of the body that goes with it."""
    format: int = FORMAT


@dataclass(frozen=True)
class Body:
    """What a quiet rebuild makes its outputs from; written by the full build only."""

    live: list[Output]
    """The outputs that read the clock or the measured figures, with what they read."""
    page: tuple[Any, ...]
    """What every page follows from besides its reads: the page names' parts."""
    problems: list[Problem]
    """The warnings the full build printed, but those of the measured data."""
    site: Site
    """The maintenance that the measured figures leave out."""


def inputs(code: str, config: SiteConfig, templates: str, found: list[Found],
           scanned: int) -> tuple[str, bool]:
    """Return a digest of every input of a build but the clock and the measured data (the
    files as found at `scanned`, in ns, by their status), and whether it can be trusted: a
    file changed within the file system's clock tick before it was found could change again
    and keep its status."""
    # (Joined as text: the repr of ten thousand tuples takes twice as long.)
    files = "\n".join([f"{f.relative!r}{file_status(f.status)}" for f in found])
    trusted = all(settled(f.status, scanned) for f in found)
    logo: object = None
    if config.logo is not None:
        try:
            status = config.logo.stat()
            logo = file_status(status)
            trusted = trusted and settled(status, scanned)
        except OSError:
            logo = "missing"
    # The upstream services' snapshots (statuspage pull) are read by every full build.
    snapshots: list[object] = []
    for upstream in config.upstream:
        try:
            status = snapshot_path(config.root, upstream).stat()
        except OSError:
            snapshots.append("missing")
            continue
        snapshots.append(file_status(status))
        trusted = trusted and settled(status, scanned)
    return digest(code, config, templates, logo, files, snapshots, git_head(config.root)), \
        trusted


def git_head(root: Path) -> str:
    """Return what the history git shows of `root` follows from: the commit checked out, and
    a shallow clone's boundary (deepening it shows more history without moving HEAD); ''
    outside git."""
    import hashlib

    try:
        result = subprocess.run(["git", "rev-parse", "HEAD", "--git-path", "shallow"],
                                cwd=root, capture_output=True, text=True, timeout=30,
                                check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    if result.returncode != 0:
        return ""
    head, _, shallow = result.stdout.strip().partition("\n")
    try:
        boundary = (root / shallow).read_bytes() if shallow else b""
    except OSError:
        boundary = b""
    return f"{head}|{hashlib.sha256(boundary).hexdigest()}"


def keep(store: Store, out: Path, now: datetime, inputs: str | None, horizon: datetime | None,
         outputs: list[Output], page: tuple[Any, ...], problems: list[Problem],
         site: Site) -> None:
    """Keep what a quiet rebuild needs after a full build into `out` (`inputs`: the digest
    of its inputs, if they could be trusted; `horizon`: when anything but the clock's reads
    can change next, if known; `problems`: its warnings but the measured data's), or forget
    the last build's if it can't be quiet."""
    if inputs is None or horizon is None:
        store.save("quiet", None)
        return
    signature = store.save("quiet-body", Body(live(outputs), page, problems,
                                              Site((), site.maintenances)))
    store.save("quiet", Snapshot(inputs, now, horizon, identity(out / MARKER), signature)
               if signature else None)


def live(outputs: list[Output]) -> list[Output]:
    """Return the outputs that read the clock or the measured figures."""
    return [o for o in outputs if o.clock is not Clock.NEVER or o.measures]


def rebuild(config: SiteConfig, out: Path, now: datetime, store: Store, inputs: str,
            environment: Callable[[], jinja2.Environment], templates: str,
            common: str, code: str) -> tuple[int, list[Problem]] | None:
    """Rebuild only what moved with the clock or the measured data, if nothing else has
    changed since the last build (same `inputs`, before its horizon): make the outputs that
    read either whose key moved, and keep every other file of the last site. Return how
    many files the site has and the warnings; None if the full build must run. Raise
    BuildFailed on a template error or an error in the measured data (the site unchanged)."""
    snapshot = store.load("quiet")
    if not isinstance(snapshot, Snapshot) or snapshot.format != FORMAT \
            or snapshot.inputs != inputs or not snapshot.now <= now < snapshot.horizon \
            or identity(out / MARKER) != snapshot.output:
        return None
    body = store.load("quiet-body", snapshot.body)
    if not isinstance(body, Body):
        return None
    try:
        check_output(out, [config.root, config.incidents_dir, config.templates_dir])
    except OutputRefused:
        return None
    measured, problems = read_measured(config, body.site, now, code)
    if any(p.is_error for p in problems):
        raise BuildFailed(body.problems + problems)
    headline, named = body.page
    writer = SiteWriter(out, store.spare)
    try:
        previous = previous_keys(store, writer)
        maker = Maker(config, environment(), Keys(common, now, measured, shared=(config,)),
                      writer, page_names(config, headline, named),
                      digest(templates, named, headline))
        maker.keys.share(body.live)
        made = maker.make(body.live, previous)
        if made.problem is not None:
            raise BuildFailed([made.problem])
        if not previous or any(path not in writer.files and not writer.reuse(path)
                               for path in previous):
            writer.abort()  # (a file of the last site is gone: the full build runs)
            return None
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    save_keys(store, writer, {**previous, **made.keys})
    store.save("quiet", replace(snapshot, now=now, output=identity(out / MARKER)))
    return writer.count, body.problems + problems
