"""The command line: each command parses its flags, calls one library function, prints the
problems and sets the exit code. Only this module reads the clock or the environment."""

from __future__ import annotations

import gc
import shlex
import signal
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import __version__
from .build import build as build_site
from .build import load_site
from .cli_common import common, now_of, print_problems, settings
from .cli_external import notify, probe, pull
from .errors import BuildFailed, Problem, sort_problems, summary
from .model import INCIDENT_COMPONENT_STATUSES, IncidentStatus, MaintenanceStatus
from .read.config import SiteConfig, load_config

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

_TIME_FORMAT = "'YYYY-MM-DD HH:MM[:SS] [+HH:MM]', in the site time zone without an offset"
_NOW_HELP = f"Build as if it were this time: {_TIME_FORMAT}."
_INCIDENT_STATUSES = ", ".join(s.value for s in IncidentStatus)
_MAINTENANCE_STATUSES = ", ".join(s.value for s in MaintenanceStatus)
_COMPONENT_STATUSES = ", ".join(s.value for s in INCIDENT_COMPONENT_STATUSES)


def _written_now(value: str | None, config: SiteConfig, option: str = "--now") -> datetime:
    """Return the time `new` and `update` write: the clock to the minute, or `value`, which
    may not be later than the clock (check would then reject what was written)."""
    clock = datetime.now(UTC).replace(microsecond=0)
    if value is None:
        return clock.replace(second=0)
    moment = now_of(value, config, option)
    if moment > clock:
        shown = clock.astimezone(moment.tzinfo)
        raise click.BadParameter(f"'{value}' is in the future (now is {shown:%Y-%m-%d %H:%M}); "
                                 "'statuspage check' would reject it", param_hint=option)
    return moment


@click.group(context_settings={"max_content_width": 100})
@click.version_option(__version__, prog_name="statuspage")
def main() -> None:
    """Static public status pages from incidents kept in git."""


for _command in (notify, probe, pull):  # the commands that talk to the outside
    main.add_command(_command)


def _github(problems: Iterable[Problem]) -> None:
    for problem in sort_problems(problems):
        line = f",line={problem.location.line}" if problem.location.line else ""
        message = problem.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        click.echo(f"::{problem.level.value} file={problem.location.path}{line}::{message}")


@main.command(short_help="Validate the settings and every file; exit 1 on any error.")
@click.option("--now", "now_text", metavar="TIME", help=_NOW_HELP)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--format", "output", type=click.Choice(["text", "github"]), default="text",
              show_default=True, help="'github' prints annotations for pull requests.")
@common
def check(config_path: str, now_text: str | None, strict: bool, output: str) -> None:
    """Validate the configuration and every incident file; exit 1 on any error."""
    config, problems = load_config(Path(config_path), config_path)
    if config is not None:
        _site, more = load_site(config, now_of(now_text, config))
        problems += more
    if output == "github":
        _github(problems)
        click.echo(summary(problems))
    else:
        print_problems(problems, err=False)
    failed = any(p.is_error for p in problems) or (strict and bool(problems))
    sys.exit(1 if failed or config is None else 0)


@main.command(short_help="Start a status repository: settings, example, CI workflow.")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--install", "requirement", metavar="REQUIREMENT",
              help="What CI installs statuspage from, written to requirements.txt, such as "
                   "'statuspage-static @ git+https://github.com/OWNER/REPO@COMMIT' "
                   "(default: the git URL this statuspage was installed from, if any).")
def init(directory: Path, requirement: str | None) -> None:
    """Scaffold a status repository: settings, an example, .gitignore and a CI workflow."""
    from . import scaffold
    requirement = requirement or scaffold.install_source()
    try:
        made = scaffold.init(directory, requirement)
    except scaffold.ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    for path in made:
        click.echo(f"created {path}")
    if requirement is None:
        click.echo(f"warning: {directory / 'requirements.txt'}: statuspage is on no package "
                   "index, so say there where CI installs it from (a git URL pinned to a commit)"
                   " before the workflow first runs; it fails until you do")
    steps = ["edit statuspage.yaml", "run 'statuspage check' and 'statuspage build'"]
    if directory.resolve() != Path.cwd().resolve():
        steps.insert(0, f"cd {shlex.quote(str(directory))}")
    click.echo(f"next: {', then '.join(steps)}")


@main.group()
def new() -> None:
    """Start a new incident, maintenance or postmortem file."""


def _run(config: SiteConfig, action: Callable[[], Path]) -> None:
    """Run a file-writing action; print the file as problems name it, or why it failed."""
    from .scaffold import ScaffoldError
    try:
        path = action()
    except ScaffoldError as exc:
        # Problems from the file check already read 'path:line: error: ...'.
        for line in str(exc).split("\n"):
            click.echo(line if ": error: " in line else f"error: {line}", err=True)
        sys.exit(1)
    click.echo(config.shown(path))


def _pairs(values: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        cid, sep, status = value.partition("=")
        if not sep or not cid or not status:
            raise click.BadParameter(f"'{value}' must look like ID=STATUS, such as "
                                     "chat-api=partial_outage", param_hint="--component")
        pairs.append((cid.strip(), status.strip()))
    return pairs


_BACKFILL = (f"Write as if it were this time, for backfilling: {_TIME_FORMAT} (default: now, "
             "to the minute).")


@new.command("incident", short_help="Write a new incident file.")
@click.argument("title")
@click.option("--severity", required=True,
              help="A severity key of statuspage.yaml (P0, P1, P2 or P3 unless it says others).")
@click.option("--component", "components", multiple=True, metavar="ID=STATUS",
              help=f"An affected component and its status ({_COMPONENT_STATUSES}); repeat "
                   "for more.")
@click.option("-m", "--message", help="Text of the first update.")
@click.option("--slug", help="File name after the date (default: from the title).")
@click.option("--started", "started_text", metavar="TIME",
              help="When impact began, if before this first update (default: the update's "
                   "time).")
@click.option("--now", "now_text", metavar="TIME", help=_BACKFILL)
@common
def new_incident(config_path: str, title: str, severity: str, components: tuple[str, ...],
                 message: str | None, slug: str | None, started_text: str | None,
                 now_text: str | None) -> None:
    """Write incidents/YYYY-MM-DD-SLUG.md with a first 'investigating' update; print its
    path."""
    from . import scaffold
    config, _problems = settings(config_path, err=True)
    pairs = _pairs(components)
    now = _written_now(now_text, config)
    started = None if started_text is None else _written_now(started_text, config, "--started")
    _run(config, lambda: scaffold.new_incident(config, title, severity, pairs, message, now,
                                               slug, started))


@new.command("maintenance", short_help="Write a new maintenance file.")
@click.argument("title")
@click.option("--component", "components", multiple=True, metavar="ID",
              help="A component under maintenance; repeat for more.")
@click.option("--start", required=True, metavar="TIME",
              help=f"When the window opens: {_TIME_FORMAT}.")
@click.option("--end", required=True, metavar="TIME", help="When the window closes.")
@click.option("-m", "--message", help="What will happen and what customers should expect.")
@click.option("--slug", help="File name after the date (default: from the title).")
@click.option("--now", "now_text", metavar="TIME", help=_BACKFILL)
@common
def new_maintenance(config_path: str, title: str, components: tuple[str, ...], start: str,
                    end: str, message: str | None, slug: str | None,
                    now_text: str | None) -> None:
    """Write a maintenance file for a window; print its path."""
    from . import scaffold
    config, _problems = settings(config_path, err=True)
    begin, finish = now_of(start, config, "--start"), now_of(end, config, "--end")
    now = _written_now(now_text, config)
    _run(config, lambda: scaffold.new_maintenance(config, title, list(components), begin, finish,
                                          message, now, slug))


@new.command("postmortem", short_help="Write a postmortem for an incident.")
@click.argument("slug")
@click.option("--author", "authors", multiple=True, metavar="NAME",
              help="An author's name; repeat for more.")
@common
def new_postmortem(config_path: str, slug: str, authors: tuple[str, ...]) -> None:
    """Write SLUG.postmortem.md beside the incident (its slug, with or without the date, or a
    unique prefix of it), unpublished, with sections to fill in; print its path."""
    from . import scaffold
    config, _problems = settings(config_path, err=True)
    now = _written_now(None, config)
    _run(config, lambda: scaffold.new_postmortem(config, slug, list(authors), now))


_UPDATE_HELP = f"""Add a timestamped update to an incident or maintenance.

SLUG is its file name, with or without the date, or a unique prefix of it. STATUS is one of
{_INCIDENT_STATUSES} for an incident ('resolve' resolves), or {_MAINTENANCE_STATUSES}
for a maintenance ('done' completes), or a unique prefix of one."""


@main.command(short_help="Add an update to an incident or maintenance.", help=_UPDATE_HELP)
@click.argument("slug")
@click.argument("status")
@click.option("-m", "--message", help="Text of the update.")
@click.option("--component", "components", multiple=True, metavar="ID=STATUS",
              help=f"A component's status from this update on ({_COMPONENT_STATUSES}); "
                   "repeat for more.")
@click.option("--now", "now_text", metavar="TIME", help=_BACKFILL)
@common
def update(config_path: str, slug: str, status: str, message: str | None,
           components: tuple[str, ...], now_text: str | None) -> None:
    """Add a timestamped update to an incident or maintenance (see _UPDATE_HELP)."""
    from . import scaffold
    config, _problems = settings(config_path, err=True)
    pairs = _pairs(components)
    now = _written_now(now_text, config)
    _run(config, lambda: scaffold.add_update(config, slug, status, message, now, pairs))


@main.command()
@click.option("--out", "out_text", metavar="DIR",
              help="Output folder (default: 'site' beside the settings file).")
@click.option("--now", "now_text", metavar="TIME", help=_NOW_HELP)
@common
def build(config_path: str, out_text: str | None, now_text: str | None) -> None:
    """Render the site; a failed build leaves the previous one untouched."""
    kept = Path(out_text) if out_text else Path(config_path).parent / "site"
    config, problems = settings(config_path, err=True,
                               failed=f"build failed: {kept} was not changed")
    out = Path(out_text) if out_text else config.root / "site"
    started = time.perf_counter()
    try:
        result = build_site(config, out, now_of(now_text, config))
    except BuildFailed as failed:
        print_problems([*problems, *failed.problems], err=True)
        click.echo(f"build failed: {out} was not changed", err=True)
        sys.exit(1)
    problems += result.problems
    if problems:
        print_problems(problems, err=True)
    elapsed = time.perf_counter() - started
    click.echo(f"built {result.files} files into {out} in {elapsed:.2f} s")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@main.command()
@click.option("--port", default=8000, show_default=True, help="Port to listen on (0: any free).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@common
def serve(config_path: str, port: int, host: str) -> None:
    """Build, serve, and rebuild on every change, reloading open pages."""
    import tempfile

    from .incremental.store import Store, drop_spare
    from .serve import BuildProcess, Outcome, Server

    path = Path(config_path)
    root = path.resolve().parent
    with tempfile.TemporaryDirectory(prefix="statuspage-serve-") as folder:
        out = Path(folder) / "site"
        builder = BuildProcess(_build_for_serve, config_path, out)

        def report(outcome: Outcome) -> None:
            stamp = time.strftime("%H:%M:%S")
            for line in outcome.problems:
                click.echo(line, err=True)
            if outcome.site is None:
                click.echo(f"{stamp} build failed; still serving the last good site", err=True)
            else:
                click.echo(f"{stamp} built")

        def ignored(changed: Path) -> bool:
            try:
                parts = changed.resolve().relative_to(root).parts
            except ValueError:
                return True
            # Files at the top (statuspage.yaml, a logo) count; the cache and the site don't.
            return not parts or any(p.startswith(".") or p == "__pycache__" for p in parts) or (
                parts[0] == "site")

        try:
            server = Server(builder, [root / "incidents", root / "templates", root / "metrics"],
                            host, port, report=report, ignored=ignored, shallow=(root,))
        except OSError as exc:
            builder.stop()
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        # Ctrl-C, and a plain kill, both stop cleanly (and remove the temporary folder), even
        # when SIGINT was inherited as ignored from a shell that started us in the background.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)
        server.start()
        bound_host, bound_port = server.address
        try:
            # (Inside: a signal that comes as soon as this line is out still stops cleanly.)
            click.echo(f"serving on http://{bound_host}:{bound_port}/ (Ctrl-C to stop)")
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            click.echo("stopping")
        finally:
            server.stop()
            builder.stop()
            # The temporary output goes with this session; so does its spare.
            spare = Store(root, out).spare
            if spare is not None:
                drop_spare(spare)


def _build_for_serve(connection: Connection, config_path: str, out: Path) -> None:
    """Build for `serve` in a process of its own, at the time each request comes, keeping
    the templates' environment from one build to the next."""
    from .build import Session
    from .incremental.store import Store
    from .serve import Outcome, serve_builds
    from .write import set_aside

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # (serve stops it when it stops itself)
    gc.set_threshold(100_000, 20, 10)
    path = Path(config_path)
    session = Session()

    def builder() -> Outcome:
        config, problems = load_config(path, config_path)
        if config is None:
            return Outcome(None, [str(p) for p in problems])
        try:
            result = build_site(config, out, datetime.now(UTC).replace(microsecond=0), session)
        except BuildFailed as failed:
            return Outcome(None, [str(p) for p in [*problems, *failed.problems]])
        except Exception as exc:  # serve must outlive a bug: show it, keep the old site
            return Outcome(None, [f"error: internal error: {type(exc).__name__}: {exc}"])
        return Outcome(out, [str(p) for p in [*problems, *result.problems]])

    def set_spare_aside() -> None:
        # The first edit's rebuild then starts from a spare, as every later one does, instead
        # of making every folder and link of the site.
        spare = Store(path.resolve().parent, out).spare
        if spare is not None:
            set_aside(out, spare)

    serve_builds(connection, builder, set_spare_aside)


def run() -> None:
    """Run the `statuspage` command, with this process's own garbage collector settings."""
    # A build makes hundreds of thousands of objects that live until it ends (the parsed files,
    # the site, the outputs); with the default thresholds the collector walks them over and
    # over.
    gc.set_threshold(100_000, 20, 10)
    main()


if __name__ == "__main__":
    run()

