"""The pipeline: read -> check -> compute -> outputs -> write.

Every output is declared by the module of its kind (`outputs`); whether a rebuild keeps one
follows from what it reads (`incremental`), which no stage needs to know about.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .check.parse import POSTMORTEM_SUFFIX
from .check.rules import assemble
from .compute.status import settled_until
from .errors import BuildFailed, Location, Problem, error
from .incremental import quiet
from .incremental.keys import Keys, code_identity, digest, folder_digest
from .incremental.making import Maker, make_site, previous_keys, save_keys
from .incremental.memo import Memo
from .incremental.metrics import read_measured
from .incremental.parallel import ProcessFailed
from .incremental.parsed import ParseCache, parse_files
from .incremental.session import Session
from .incremental.store import Store, prune_spares
from .model import Site
from .outputs import declare, site_files
from .outputs.facts import gather
from .outputs.render import page_names
from .read.config import SiteConfig
from .read.files import MAX_FILES, Found, inside_repository, scan_documents
from .read.upstream import UpstreamStatus, read_snapshots
from .write import OutputRefused, SiteWriter, check_output

__all__ = ["BuildResult", "Session", "build", "load_incidents", "load_site"]


@dataclass(frozen=True)
class BuildResult:
    """What a finished build did."""

    out: Path
    files: int
    problems: list[Problem]


def build(config: SiteConfig, out: Path, now: datetime,
          session: Session | None = None) -> BuildResult:
    """Build the site into `out`; raise BuildFailed (leaving `out` untouched) on any error.
    A `session` keeps what builds in one process share (the templates' environment)."""
    try:
        return _build(config, out, now, session or Session())
    except ProcessFailed as exc:
        raise BuildFailed([error(Location("build"), f"a process of the build stopped "
                                 f"unexpectedly ({exc}); the site was not changed")]) from None


def _build(config: SiteConfig, out: Path, now: datetime, session: Session) -> BuildResult:
    store = Store(config.root, out)
    scanned = time.time_ns()
    files = scan_documents(config.incidents_dir)                               # read
    code = code_identity(Path(__file__).parent, site_files.theme_dir())
    own = site_files.own_templates(config)
    templates = digest(code, config.language, folder_digest(own) if own else "")
    common = digest(code, config)
    inputs, trusted = quiet.inputs(code, config, templates, files or [], scanned)
    if files is not None:  # nothing but the clock and the measured data changed
        done = quiet.rebuild(config, out, now, store, inputs,
                             lambda: session.environment(config, templates), templates, common,
                             code)
        if done is not None:
            return BuildResult(out, *done)
    site, problems, cache = _check(config, now, files, code)                  # check
    measured, more = read_measured(config, site, now, code)
    upstream = _upstream(config, problems)
    said = problems + more  # (the measured data's are not kept for quiet rebuilds: they measure)
    if any(p.is_error for p in said):
        raise BuildFailed(said)
    _check_output(config, out, said)
    memo = Memo(store, code)
    facts, assets = gather(config, site, now, own is not None and                # compute
                           site_files.templates_overridden(config), memo, upstream)
    outputs = declare(facts, assets)                                           # outputs
    # The parsed files are kept for the next build and let go of before processes fork
    # (they would otherwise share what this one then frees).
    cache.save()
    cache.release()
    headline = facts.overview.headline
    writer = SiteWriter(out, store.spare)                                      # write
    try:
        maker = Maker(config, session.environment(config, templates),
                      Keys(common, now, measured,
                           shared=(config, facts.language, site, facts.overview)),
                      writer, page_names(config, headline, facts.assets),
                      digest(templates, facts.assets, headline))
        made = make_site(maker, outputs, previous_keys(store, writer))
        if made.problem is not None:
            raise BuildFailed([made.problem])
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    memo.save()
    save_keys(store, writer, made.keys)
    horizon = settled_until(site, facts.overview, now, list(facts.settled.instants),
                            config.timezone)
    quiet.keep(store, out, now, inputs if files is not None and trusted else None, horizon,
               outputs, (headline, facts.assets), problems, site)
    if store.spare is not None:
        prune_spares(store.spare)
    return BuildResult(out, writer.count, said)


def load_incidents(config: SiteConfig, now: datetime) -> tuple[Site, list[Problem]]:
    """Return the published incidents and maintenance of the repository and their
    problems (not those of its measured data or upstream snapshots)."""
    return _incidents(config, now, code_identity(Path(__file__).parent, site_files.theme_dir()))


def load_site(config: SiteConfig, now: datetime) -> tuple[Site, list[Problem]]:
    """Return the published content of the repository and every problem in it."""
    code = code_identity(Path(__file__).parent, site_files.theme_dir())
    site, problems = _incidents(config, now, code)
    _upstream(config, problems)
    return site, problems + read_measured(config, site, now, code)[1]


def _incidents(config: SiteConfig, now: datetime, code: str) -> tuple[Site, list[Problem]]:
    site, problems, cache = _check(config, now, scan_documents(config.incidents_dir), code)
    cache.save()
    return site, problems


def _upstream(config: SiteConfig, problems: list[Problem]) -> tuple[UpstreamStatus, ...]:
    """Return the stored snapshots of the upstream services, adding their problems."""
    found, more = read_snapshots(config.root, config.upstream, config.shown)
    problems += more
    return found


def _check(config: SiteConfig, now: datetime, files: list[Found] | None,
           code: str) -> tuple[Site, list[Problem], ParseCache]:
    """Return the site from the files `scan_documents` found (None: too many), its problems,
    and the parse cache, for the caller to save."""
    cache = ParseCache(config.root)
    if files is None:
        where = Location(config.shown(config.incidents_dir))
        return Site((), ()), [error(where, f"more than {MAX_FILES:,} files; refusing to read "
                                           "them (is this the right folder?)")], cache
    taken, problems = inside_repository(config.root, config.incidents_dir,
                                        config.shown(config.incidents_dir), files)
    results = []
    unreadable: set[str] = set()
    for (found, _shown), (parsed, problems_here) in zip(
            taken, parse_files(config, taken, code, cache), strict=True):
        if parsed is None:
            problems += problems_here
            name = found.relative.rpartition("/")[2]
            unreadable.add(name.removesuffix(POSTMORTEM_SUFFIX).removesuffix(".md"))
        else:
            results.append((parsed, problems_here))
    site, more = assemble(results, now, unreadable)
    return site, problems + more, cache


def _check_output(config: SiteConfig, out: Path, problems: list[Problem]) -> None:
    """Raise BuildFailed if a build may not replace `out` (see write.check_output)."""
    try:
        check_output(out, [config.root, config.incidents_dir, config.templates_dir])
    except OutputRefused as exc:
        raise BuildFailed([*problems, error(Location(str(out)), str(exc))]) from None
