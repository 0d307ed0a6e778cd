"""The pipeline: read -> parse -> validate -> compute -> render -> write."""

from __future__ import annotations

import gc
import hashlib
import itertools
import os
import pickle
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import jinja2

from . import __version__, quiet, templating, uptime
from .api import uptime_json
from .badges import component_badge, endpoint, favicon, status_badge, svg, theme_colour
from .cache import (
    UNREADABLE,
    CompiledTemplates,
    PageReuse,
    ParseCache,
    fingerprint,
    lasting,
    prune_spares,
    spare_site,
    toolchain,
)
from .config import SiteConfig
from .errors import BuildFailed, Location, Problem, error, warning
from .feeds import calendar, feed_pages
from .i18n import catalog_source, translations
from .load import MAX_FILES, Found, document_of, read_bytes, scan_documents
from .markup import MarkdownRenderer
from .model import Incident, Maintenance, Site
from .parse import POSTMORTEM_SUFFIX, Parsed, parse_document
from .render import (
    RECENT_DAYS,
    Grouped,
    Inputs,
    Page,
    asset_name,
    clock_pages,
    extra_pages,
    figure_pages,
    make_environment,
    pages,
    render_page,
    reuse_test,
    shown_incidents,
    shown_keys,
    static_files,
    templates_overridden,
    theme_dir,
)
from .revisions import Revisions, announced, window_changes
from .sla import periods
from .status import Overview, overview
from .statuspage_api import StatuspageApi, encode
from .validate import FRONT_READ, assemble
from .write import MARKER, OutputRefused, SiteWriter, check_output, identity

if TYPE_CHECKING:
    from concurrent.futures import Future

YEAR = 365
"""Days of history on component pages."""


@dataclass(frozen=True)
class BuildResult:
    """What a finished build did."""

    out: Path
    files: int
    problems: list[Problem]


A = TypeVar("A")
R = TypeVar("R")

PARALLEL_FROM = 400
"""Files to parse before it pays to start worker processes."""


_Looked = tuple[str, "tuple[Parsed | None, list[Problem]] | None"]
"""A file's digest, and what parsing it gave (None: the cache has it already)."""
_Pickled = tuple[list[str], bytes]
"""The digests of some files, and the list of what parsing them gave, pickled."""


def _read_and_parse(config: SiteConfig, settings: str, cached: Callable[[str], bool],
                    files: list[tuple[str, str]]) -> list[_Looked]:
    """Read each file (path, as shown); return its digest, and what parsing it gives unless
    the cache has that already (`cached` of its key). Each file is read once, and what is
    parsed is what was digested even if the file changes meanwhile."""
    md: MarkdownRenderer | None = None
    found: list[_Looked] = []
    for path, shown in files:
        data, problems = read_bytes(path, shown)
        digest = UNREADABLE if data is None else hashlib.sha256(data).hexdigest()
        # A file that can't be read (or is too large) is looked at anew each time: its
        # problem (its size, say) is today's, not the first one cached under UNREADABLE.
        if data is not None and cached(fingerprint(settings, shown, digest)):
            found.append((digest, None))
            continue
        document, more = (None, []) if data is None else document_of(data, path, shown)
        problems += more
        if document is None:
            found.append((digest, (None, problems)))
            continue
        md = md or MarkdownRenderer()
        parsed, more = parse_document(document, config, md)
        # The cache keeps only what later steps read of the file (the front matter keys that
        # `validate` reads, for line numbers), not its text nor the rest of its front matter:
        # each was a third of what every rebuild loads.
        parsed = replace(parsed, document=replace(
            parsed.document, body="", front=parsed.document.front.only(*FRONT_READ)))
        found.append((digest, (parsed, problems + more)))
    return found


def _read_and_pickle(config: SiteConfig, settings: str, cached: Callable[[str], bool],
                     files: list[tuple[str, str]]) -> _Pickled:
    """Return what `_read_and_parse` does, its results pickled apart from the digests (in a
    process of its own: the cache keeps the pickle as it is)."""
    looked = _read_and_parse(config, settings, cached, files)
    return [digest for digest, _ in looked], pickle.dumps(
        [outcome for _, outcome in looked], protocol=pickle.HIGHEST_PROTOCOL)


def _parse_all(config: SiteConfig, settings: str, cached: Callable[[str], bool],
               files: list[tuple[str, str]]) -> list[tuple[list[_Looked], bytes | None]]:
    """Read and parse files (see `_read_and_parse`), across the machine's cores when there are
    enough of them (a first build reads every file); return what each gave, in parts, each
    with its results pickled if another process parsed them."""
    workers = _workers(len(files), PARALLEL_FROM)
    if workers == 1:
        return [(_read_and_parse(config, settings, cached, files), None)]
    # Eight chunks a process: the last to finish leaves the others idle for less.
    size = max(50, len(files) // (workers * 8))
    chunks = [files[i:i + size] for i in range(0, len(files), size)]
    forked = _Forked(partial(_read_and_pickle, config, settings, cached), chunks, workers,
                     "parsing files")
    parts: list[tuple[list[_Looked], bytes | None]] = []
    with lasting():  # what comes back lives as long as the build, like the cache
        for digests, pickled in forked.each():  # unpickled while the others go on
            parts.append((list(zip(digests, pickle.loads(pickled), strict=True)), pickled))
    return parts


def load_site(config: SiteConfig, now: datetime) -> tuple[Site, list[Problem]]:
    """Return the published content of the repository and every problem in it."""
    with rare_collections():
        site, problems, _sources, _changed, cache = _load(
            config, now, scan_documents(config.incidents_dir))
        cache.save()
    return site, problems


def _load(config: SiteConfig, now: datetime, files: list[Found] | None,
          ) -> tuple[Site, list[Problem], dict[str, str], int, ParseCache]:
    """Return the site from the files `scan_documents` found (None: too many), its problems,
    a fingerprint of each file by name (for reuse), how many files were not in the cache, and
    the cache (for the caller to save when it has put in it what it will)."""
    problems: list[Problem] = []
    results: list[tuple[Parsed, list[Problem]]] = []
    unreadable: set[str] = set()
    if files is None:
        where = Location(config.shown(config.incidents_dir))
        return Site((), ()), [error(where, f"more than {MAX_FILES:,} files; refusing to read "
                                           "them (is this the right folder?)")], {}, 0, \
            ParseCache(config.root, used=False)
    inside = config.root.resolve()
    # Only a link can lead outside: folders that are links are not walked into.
    linked = not config.incidents_dir.resolve().is_relative_to(inside)
    cache = ParseCache(config.root)
    settings = fingerprint(__version__, toolchain(), config, FRONT_READ)
    looks: list[tuple[Found, str]] = []  # files to read: changed, or new to the cache
    keys: dict[str, str] = {}  # by path below the folder
    folder = config.shown(config.incidents_dir)
    taken: list[Found] = []
    for found in files:
        shown = f"{folder}/{found.relative}"
        if (linked or found.link) and not Path(found.path).resolve().is_relative_to(inside):
            problems.append(warning(Location(shown),
                                    "a link to a file outside the repository; skipped"))
            continue
        taken.append(found)
        digest = cache.known_digest(shown, found.status)
        if digest is not None:
            key = fingerprint(settings, shown, digest)
            if cache.get(key) is not None:
                keys[found.relative] = key
                continue
        looks.append((found, shown))
    fresh = 0
    looked = iter(looks)
    for part, pickled in _parse_all(config, settings, cache.has,
                                    [(f.path, shown) for f, shown in looks]):
        fresh_keys: list[str | None] = []
        for (found, shown), (digest, outcome) in zip(itertools.islice(looked, len(part)), part,
                                                     strict=True):
            cache.note_digest(shown, found.status, digest)
            keys[found.relative] = key = fingerprint(settings, shown, digest)
            if outcome is None:
                cache.get(key)  # kept for the next build
            else:
                cache.put(key, outcome)
                fresh += 1
            fresh_keys.append(None if outcome is None else key)
        if pickled is not None:
            cache.pickled_already(fresh_keys, pickled)
    by_name: dict[str, str] = {}
    for relative in (f.relative for f in taken):  # in the order the files were found
        key = keys[relative]
        name = relative.rpartition("/")[2]
        by_name[name] = key
        parsed, problems_here = cache.get(key)
        if parsed is None:
            problems += problems_here
            unreadable.add(name.removesuffix(POSTMORTEM_SUFFIX).removesuffix(".md"))
            continue
        results.append((parsed, problems_here))
    site, more = assemble(results, now, unreadable)
    return site, problems + more, by_name, fresh, cache


@contextmanager
def rare_collections() -> Iterator[None]:
    """Let the cyclic garbage collector run far less often for a while.

    A build makes hundreds of thousands of small objects that live until it ends (parsed
    files, the cache); with the default thresholds the collector walks them over and over,
    which costs more than a second at 10,000 incidents. Reference counting still frees
    everything that is not in a cycle."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 20, 10)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()  # what was loaded `lasting`


def build(config: SiteConfig, out: Path, now: datetime) -> BuildResult:
    """Build the site into `out`; raise BuildFailed (leaving `out` untouched) on any error."""
    with rare_collections():
        scanned = time.time_ns()
        files = scan_documents(config.incidents_dir)
        templates = _templates_fingerprint(config)
        # What the quiet rebuild compares with the last build's, and the full one keeps.
        inputs = None if files is None else quiet.inputs(config, files, templates, scanned)
        if inputs is not None:
            done = _quiet_build(config, out, now, inputs[0], templates)
            if done is not None:
                return done
        return _build(config, out, now, files, templates, inputs)


def _build(config: SiteConfig, out: Path, now: datetime, files: list[Found] | None,
           templates: str, inputs: tuple[str, bool] | None) -> BuildResult:
    """Build in full from the `files` found (None: too many); `inputs` is their digest and
    whether they are settled (`quiet.inputs`)."""
    site, problems, sources, changed, cache = _load(config, now, files)
    if any(p.is_error for p in problems):
        cache.save()
        raise BuildFailed(problems)
    try:
        _check_output(config, out)
    except OutputRefused as exc:
        cache.save()
        raise BuildFailed([*problems, error(Location(str(out)), str(exc))]) from None
    spare = spare_site(config.root, out)
    writer = SiteWriter(out, spare)
    try:
        reuse, snapshot = _render_all(config, site, now, writer, sources, changed, cache,
                                      templates)
        _finish(writer, reuse, spare)
    except BaseException:
        writer.abort()
        raise
    digest, settled = inputs or ("", False)
    made = snapshot(problems, sorted(writer.files)) if settled else None
    if made is None:
        quiet.save(config, out, None)
    else:
        head, body = made
        quiet.save(config, out, replace(head, inputs=digest, output=identity(out / MARKER)),
                   body)
    return BuildResult(out, writer.count, problems)


def _check_output(config: SiteConfig, out: Path) -> None:
    """Raise OutputRefused if a build may not replace `out` (see write.check_output)."""
    check_output(out, [config.root, config.incidents_dir, config.templates_dir])


def _finish(writer: SiteWriter, reuse: PageReuse, spare: Path | None) -> None:
    """Swap the new site in, keep what its pages were made from, and prune the spare sites
    of other output folders."""
    writer.commit()
    reuse.save()
    if spare is not None:
        prune_spares(spare)


def _quiet_build(config: SiteConfig, out: Path, now: datetime, inputs: str, templates: str,
                 ) -> BuildResult | None:
    """Make only what the clock moves, if nothing else (`inputs`, git) has changed since the
    last build (see quiet.py); None if the full build must run."""
    snapshot = quiet.load(config, out)
    if snapshot is None or not snapshot.now <= now < snapshot.horizon \
            or identity(out / MARKER) != snapshot.output or inputs != snapshot.inputs or (
                snapshot.git is not None and quiet.git_head(config.root) != snapshot.git):
        return None
    try:
        _check_output(config, out)
    except OutputRefused:
        return None
    body = quiet.load_body(config, out, snapshot)
    if body is None:
        return None
    lines = [replace(line, timeline=line.timeline.counted_until(now.timestamp()))
             for line in body.lines]
    figures = uptime.figures(config, lines, now, body.days, quiet.Kept(body.past))
    shown = shown_keys(config, figures, body.periods)
    moved = {path for path, key in shown.items() if snapshot.shown.get(path) != key}
    env = _environment(config, translations(config.language), templates)
    mine = body.incidents_of(f.component.id for f in figures
                             if f"components/{f.component.id}/index.html" in moved)
    made = list(clock_pages(config, body.site, body.state, now, body.assets, figures,
                            body.colour, mine, body.periods, moved))
    made += [Page(path, template, {**context, "config": config, "updated": now})
             for path, template, context in body.feeds]
    spare = spare_site(config.root, out)
    writer = SiteWriter(out, spare)
    try:
        for path, content in _clock_files(config, body.state, now, figures):
            writer.write(path, content)
        _made, problem = _make_pages(made, env, writer, config)
        if problem is not None:
            raise BuildFailed([problem])
        for path in body.files:
            if path not in writer.files and not writer.reuse(path):
                writer.abort()
                return None
        # Pages made again here are made again by the next full build too (their keys
        # would need every input of theirs, which a quiet rebuild does not read).
        reuse = PageReuse(config.root, writer, body.common)
        reuse.new = {path: key for path, key in reuse.old.items() if path not in moved}
        _finish(writer, reuse, spare)
    except BaseException:
        writer.abort()
        raise
    quiet.save(config, out, replace(snapshot, now=now, shown=shown,
                                    output=identity(out / MARKER)))
    return BuildResult(out, writer.count, body.problems)


_Quiet = Callable[[list[Problem], list[str]], tuple[quiet.Snapshot, quiet.Body] | None]
"""What makes the snapshot a quiet rebuild needs, given the build's warnings and files."""


def _render_all(config: SiteConfig, site: Site, now: datetime, writer: SiteWriter,
                sources: dict[str, str], changed: int, cache: ParseCache, templates: str,
                ) -> tuple[PageReuse, _Quiet]:
    """Make every file of the site; return the page keys, and what makes the snapshot a
    quiet rebuild needs."""
    assets: dict[str, str] = {}
    for name, content in static_files(config).items():
        assets[name] = f"assets/{asset_name(name, content)}"
        writer.write(assets[name], content)
    state = overview(config, site, now)
    maintenance = bool(state.active) and not state.ongoing
    icon = favicon(state.indicator, maintenance)
    assets["favicon.svg"] = f"assets/{asset_name('favicon.svg', icon)}"
    writer.write(assets["favicon.svg"], icon)
    if config.logo is not None:
        logo = config.logo.read_bytes()
        assets["logo"] = f"assets/{asset_name('logo' + config.logo.suffix.lower(), logo)}"
        writer.write(assets["logo"], logo)
    catalog = translations(config.language)
    env = _environment(config, catalog, templates)
    written: list[str] = []
    days = max(config.uptime_days, YEAR)
    inputs = Inputs(now, sources)
    grouped = Grouped.of(config, site, inputs)
    colour = theme_colour(state.indicator, maintenance)
    reuse = PageReuse(config.root, writer, fingerprint(
        __version__, toolchain(), config, assets, colour, state.indicator, state.description,
        bool(state.ongoing), templates))
    same = reuse_test(reuse.check, sources)
    # Read once: a commit made during the build must not be taken for the one it shows.
    head = quiet.git_head(config.root) if site.maintenances else None
    revisions, answered = _revisions(config, site, cache, head)

    def programs_and_feeds(live: list[tuple[str, str, dict[str, Any]]]) -> Iterator[Page]:
        """Write the files for programs that don't show uptime; yield the feeds, noting in
        `live` those with no entry."""
        # The calendar follows from the maintenance files, what git says of them, and the
        # time.
        kept = same("maintenance.ics", [
            f"{inputs.maintenance(m)}|{known}|{announced(m, known, now)}"
            for m in site.maintenances for known in [revisions.get(m.slug)]])
        for path, content in _machine_files(config, site, state, now, revisions,
                                            catalog.gettext, kept):
            writer.write(path, content)
        yield from _noting(feed_pages(config, site, now, catalog.gettext, revisions,
                                      _feed_check(inputs, same, now, revisions)), live)

    def share(turn: int) -> _Share:
        """Take one turn: the files for programs and the feeds (turn 0), or a share of the
        pages that follow from the files alone; in a process of its own when there are
        several. Return what this turn added, as one process may take several."""
        checked, linked = set(reuse.new), len(reuse.linked)
        live: list[tuple[str, str, dict[str, Any]]] = []
        made, problem = _make_pages(programs_and_feeds(live) if turn == 0 else pages(
            config, site, state, now, assets, colour, reuse.check, (turn - 1, shares), grouped),
            env, writer, config)
        return _Share(turn, made, {k: v for k, v in reuse.new.items() if k not in checked},
                      reuse.linked[linked:], writer.share(), problem, live)

    # Processes pay when there are many pages: to make (a first build, or one after a change
    # of settings, templates or overall status), or to check and link (about 0.1 ms each, at
    # every rebuild).
    many = len(site.incidents) + len(site.maintenances)
    making = many if reuse.fresh else changed
    # (Only checks in a process with no other thread: `serve` answers requests and watches
    # files meanwhile, and a process forked while a thread holds a lock can hang on it.)
    pays = making >= PAGES_PARALLEL_FROM or (many >= PAGES_CHECKED_FROM
                                             and threading.active_count() == 1)
    workers = _workers(many, 1) if pays else 1
    # With processes, the pages are cut into a few shares per process, and each process
    # takes the next share nobody has taken until none is left: this one too, once it has
    # done what only it does. However the pages' costs fall, the processes finish close
    # together (a fixed share each left one process idle for seconds at 10,000 incidents).
    shares = workers * SHARES_PER_PROCESS if workers > 1 else 1
    turns = _Turns() if workers > 1 else None

    def shares_taken(failed: Callable[[], bool]) -> list[_Share]:
        """Take turns until none is left (or, `failed`, another process has died)."""
        done: list[_Share] = []
        while (k := turns.take(failed) if turns else len(done)) is not None and k <= shares:
            done.append(share(k))
            if done[-1].problem is not None:
                break
        return done

    live_feeds: list[tuple[str, str, dict[str, Any]]] = []
    timelines = uptime.Timelines(config, site, now, grouped.by_component, cache, grouped.inputs)
    with _Forked(lambda _: shares_taken(lambda: False), list(range(1, workers)), workers - 1,
                 "making pages") as forked:
        # Meanwhile this process works out the uptime figures (kept in the cache, which only
        # it writes) and makes the pages and files that show them, then takes turns too.
        lines = timelines.lines()
        figures = uptime.figures(config, lines, now, days, memo=cache)
        # (Worked out whether or not the uptime page is made again, for the quiet snapshot
        # too; the records of quarters whose incidents stand still are kept in the cache.)
        found_periods = periods(config, site.incidents, now, cache, grouped.inputs.incident)
        past = {key: cache.get(key) for key in {uptime.past_key(f) for f in figures}}
        shown = shown_keys(config, figures, found_periods)
        # (Only saved here: letting go of the parsed files would copy the memory that the
        # other processes share, page by page; they go once those are done.)
        cache.save()
        for path, content in _clock_files(config, state, now, figures):
            writer.write(path, content)
        made, problem = _make_pages(figure_pages(
            config, site, state, now, assets, figures, colour, reuse.check, shown, grouped,
            found_periods),
            env, writer, config)
        written += made
        problems = [(-1, problem)]
        for mine in shares_taken(forked.failed):  # reuse and the writer noted them already
            written += mine.made
            problems.append((mine.part, mine.problem))
            live_feeds += mine.live
        for done in (s for part in forked.results() for s in part):
            written += done.made
            reuse.new.update(done.checked)
            reuse.linked += done.linked
            writer.merge(done.files)
            problems.append((done.part, done.problem))
            live_feeds += done.live
    cache.release()
    # The lowest share's, whichever process met it first: the same error at every run.
    found = [p for _, p in sorted(problems, key=lambda pair: pair[0]) if p is not None]
    if found:
        raise BuildFailed(found[:1])
    written += reuse.linked
    made, problem = _make_pages(extra_pages(config, written), env, writer, config)
    if problem is not None:
        raise BuildFailed([problem])
    def snapshot(problems: list[Problem], files: list[str],
                 ) -> tuple[quiet.Snapshot, quiet.Body] | None:
        """Return what a quiet rebuild needs, worked out only where it will be kept (not
        after an edit: the file is not settled); None if no rebuild can be quiet."""
        until = quiet.horizon(config, site, state, now, revisions)
        # Templates of the repository's own may show the time anywhere (the 404 page, say).
        if until is None or not answered or templates_overridden(config):
            return None
        return quiet.Snapshot(
            inputs="", git=head, now=now, horizon=until, shown=shown, output=""), quiet.Body(
            site=quiet.shown_on_front(site, now, max(config.uptime_days, RECENT_DAYS)),
            mine={cid: quiet.kept_incidents(shown_incidents(found, now, days), len(found))
                  for cid, found in grouped.by_component.items()},
            periods=found_periods, state=state, lines=lines,
            past=past, feeds=live_feeds, assets=assets, colour=colour, common=reuse.common,
            problems=problems, days=days, files=files)
    return reuse, snapshot


@dataclass(frozen=True)
class _Share:
    """What a process that made a share of the pages hands back."""

    part: int
    made: list[str]
    checked: dict[str, str]
    linked: list[str]
    files: tuple[set[str], ...]
    problem: Problem | None
    live: list[tuple[str, str, dict[str, Any]]]
    """The feeds it made with no entry (their time is the build's), for the quiet rebuild."""


def _noting(made: Iterable[Page], live: list[tuple[str, str, dict[str, Any]]],
            ) -> Iterator[Page]:
    """Yield the feeds `made`, noting in `live` those with no entry."""
    for page in made:
        if not page.context["entries"]:
            live.append((page.path, page.template, {
                k: v for k, v in page.context.items() if k not in ("config", "updated")}))
        yield page


def _make_pages(made: Iterable[Page], env: jinja2.Environment, writer: SiteWriter,
                config: SiteConfig) -> tuple[list[str], Problem | None]:
    """Render and write pages; return their paths, and the template error that stopped it."""
    written = []
    try:
        for page in made:
            writer.write(page.path, render_page(env, page).encode())
            written.append(page.path)
    except jinja2.TemplateError as exc:
        return written, _template_problem(exc, config)
    return written, None


PAGES_PARALLEL_FROM = 1000
"""Incident and maintenance pages to make before it pays to start processes for them."""
PAGES_CHECKED_FROM = 3000
"""Incidents and maintenance notices from which it pays to start processes to check which
pages a rebuild can keep."""
SHARES_PER_PROCESS = 8
"""Shares of the pages per process, taken in turn: the more, the less the last one to finish
leaves the other processes idle (and each costs little beyond taking its turn)."""


class _Turns:
    """Hands out 0, 1, 2, … across processes forked after it is made: each number once."""

    def __init__(self) -> None:
        import multiprocessing  # (here and below only: a quiet rebuild starts no process)
        context = multiprocessing.get_context("fork")
        self._next: Any = context.RawValue("i", 0)
        self.lock = context.Lock()

    def take(self, failed: Callable[[], bool]) -> int | None:
        """Return the next number; None if `failed` says to stop waiting (a process that
        died holding the lock would otherwise keep this one waiting forever)."""
        while not self.lock.acquire(timeout=0.2):
            if failed():
                return None
        try:
            found: int = self._next.value
            self._next.value = found + 1
        finally:
            self.lock.release()
        return found


_JOB: Callable[[Any], Any] | None = None


def _workers(count: int, threshold: int) -> int:
    """Return how many processes to use for `count` pieces of work: one below `threshold`
    (starting processes would cost more than it saves) or where fork is not available."""
    import multiprocessing
    if count < threshold or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(os.cpu_count() or 1, 8)


def _run_job(argument: Any) -> Any:
    assert _JOB is not None
    return _JOB(argument)


class _Forked(Generic[A, R]):
    """Runs `job` on each of `arguments` in `processes` forked processes (none: nothing to
    run); `results` waits for them, in order. `doing` says what they do, for errors."""

    def __init__(self, job: Callable[[A], R], arguments: list[A], processes: int,
                 doing: str) -> None:
        self.doing = doing
        self.futures: list[Future[R]] = []
        if not arguments:
            return
        global _JOB
        _JOB = job  # a forked process finds it here: closures can't be sent
        # Objects the collector never visits stay shared with the forked processes instead
        # of being copied page by page as it marks them.
        gc.freeze()
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        try:
            # With fork, the executor starts all its processes at the first submit.
            self.pool = ProcessPoolExecutor(processes,
                                            mp_context=multiprocessing.get_context("fork"))
            self.futures = [self.pool.submit(_run_job, argument) for argument in arguments]
        finally:
            gc.unfreeze()
            _JOB = None

    def results(self) -> list[R]:
        """Return the results; a process that died (killed for memory, say) fails the build
        rather than leaving it waiting forever."""
        return list(self.each())

    def each(self) -> Iterator[R]:
        """Yield the results in order, each as soon as it is there (see `results`)."""
        if not self.futures:
            return
        from concurrent.futures.process import BrokenProcessPool
        try:
            for future in self.futures:
                yield future.result()
        except BrokenProcessPool:
            raise BuildFailed([error(Location("build"), f"a process {self.doing} stopped "
                                     "unexpectedly (out of memory?); the site was not "
                                     "changed")]) from None
        finally:
            self.pool.shutdown(cancel_futures=True)

    def failed(self) -> bool:
        """Return whether a process has died (its results would raise)."""
        return any(f.done() and f.exception() is not None for f in self.futures)

    def __enter__(self) -> _Forked[A, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the processes however the work here ended: none may go on writing into a
        folder that is being thrown away."""
        if self.futures:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _feed_check(inputs: Inputs, same: Callable[[str, list[str | None]], bool], now: datetime,
                revisions: dict[str, Revisions],
                ) -> Callable[[str, list[tuple[datetime, Incident | Maintenance]]], bool]:
    """Return the test feed_pages uses to skip a history feed made from the same entries
    (`same` being the pages' reuse test)."""
    def entry(updated: datetime, item: Incident | Maintenance) -> str | None:
        if isinstance(item, Incident):
            shown = inputs.incident(item)
            return None if shown is None else f"{updated.isoformat()}|{shown}"
        # A maintenance entry's times also come from git (when it was announced).
        return (f"{updated.isoformat()}|{inputs.maintenance(item)}"
                f"|{announced(item, revisions.get(item.slug), now)}")

    def unchanged(path: str, chosen: list[tuple[datetime, Incident | Maintenance]]) -> bool:
        # An empty feed's time is the build's.
        return bool(chosen) and same(path, [entry(updated, item) for updated, item in chosen])
    return unchanged


_ENVIRONMENT: dict[str, jinja2.Environment] = {}


def _environment(config: SiteConfig, catalog: Any, templates: str) -> jinja2.Environment:
    """Return the Jinja environment for these settings and templates, kept from the last build
    with the same ones (so `serve` compiles templates once, not at every rebuild)."""
    key = fingerprint(config, config.language, templates)
    if key not in _ENVIRONMENT:
        _ENVIRONMENT.clear()
        compiled = CompiledTemplates(config.root, fingerprint(
            key, __version__, toolchain(), sys.version, templating.REVISION))
        _ENVIRONMENT[key] = make_environment(config, catalog, compiled)
    return _ENVIRONMENT[key]


def _templates_fingerprint(config: SiteConfig) -> str:
    """Return a digest of every template and static file, built-in and the repository's, and
    of the site language's catalog (its fixed texts are part of the compiled templates)."""
    digest = hashlib.sha256(catalog_source(config.language))
    for folder in (theme_dir(), config.templates_dir):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    digest.update(path.relative_to(folder).as_posix().encode())
                    digest.update(path.read_bytes())
    return digest.hexdigest()


def _revisions(config: SiteConfig, site: Site, memo: uptime.Memo, head: str | None,
               ) -> tuple[dict[str, Revisions], bool]:
    """Return what git says of each maintenance file, by slug, and whether that answer holds
    until `head` (`quiet.git_head`) changes; it is kept in `memo` under `head` and the
    windows, as reading the history takes a while."""
    windows = {config.source(m.path): (m.scheduled, m.until) for m in site.maintenances}
    if not windows:
        return {}, True
    key = "revisions:" + fingerprint(head, sorted(
        (str(path), window) for path, window in windows.items()))
    found = memo.get(key)
    if not isinstance(found, dict):
        found = window_changes(config.root, windows)
        if found is None:
            # Every window counts as never moved. Outside git (no commit to name) that stays
            # so until there is one; a failure of git inside a repository is asked again.
            return {m.slug: Revisions(0) for m in site.maintenances}, not head
        memo.put(key, found)
    return {m.slug: found[config.source(m.path)] for m in site.maintenances
            if config.source(m.path) in found}, True


def _machine_files(config: SiteConfig, site: Site, state: Overview, now: datetime,
                   revisions: dict[str, Revisions], gettext: Callable[[str], str],
                   calendar_kept: bool) -> Iterator[tuple[str, bytes]]:
    """Yield the files made for programs but uptime and badges (`_clock_files`): the v2 API
    and the calendar (unless the last build's is `calendar_kept`)."""
    for path, document in StatuspageApi(config, site, state, now, revisions).documents():
        yield path, encode(document)
    if not calendar_kept:
        yield "maintenance.ics", calendar(config, site.maintenances, now, revisions, gettext)


def _clock_files(config: SiteConfig, state: Overview, now: datetime,
                 figures: list[uptime.ComponentUptime]) -> Iterator[tuple[str, bytes]]:
    """Yield the files for programs that move with the clock: uptime and the badges."""
    yield "api/uptime.json", uptime_json(config, figures, now)
    maintenance = bool(state.active) and not state.ongoing
    label, message, colour, shields = status_badge(config.title, state.indicator,
                                                   state.description, maintenance)
    yield "badges/status.svg", svg(label, message, colour)
    yield "api/badges/status.json", encode(endpoint(label, message, shields))
    for figure in figures:
        component = figure.component
        label, message, colour, shields = component_badge(
            component.name, state.components[component.id], figure.windows["90d"].uptime)
        yield f"badges/{component.id}.svg", svg(label, message, colour)
        yield f"api/badges/{component.id}.json", encode(endpoint(label, message, shields))


def _template_problem(original: jinja2.TemplateError, config: SiteConfig) -> Problem:
    """Return the template error as a problem at the template's file and line."""
    exc = original
    if isinstance(exc, jinja2.TemplateNotFound):
        exc = jinja2.TemplateError(f"no template named '{exc.name}'")
    if isinstance(exc, jinja2.TemplateSyntaxError):
        name = exc.filename or exc.name or "template"
        return error(Location(_shown_template(name, config), exc.lineno), exc.message or str(exc))
    for frame in reversed(traceback.extract_tb(original.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt", ".svg")):
            return error(Location(_shown_template(frame.filename, config), frame.lineno or 0),
                         f"template: {exc}")
    return error(Location("templates"), f"template: {exc}")


def _shown_template(name: str, config: SiteConfig) -> str:
    path = Path(name)
    try:
        return config.shown(path.resolve())
    except ValueError:
        return name
