"""The command line: each command parses its flags, calls one library function, prints the
problems and sets the exit code. Only this module reads the clock or the environment."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .build import build as build_site
from .build import load_site
from .config import SiteConfig, load_config
from .errors import BuildFailed, Problem, sort_problems, summary
from .times import TimeError, parse_timestamp

F = TypeVar("F", bound=Callable[..., Any])


def _print_problems(problems: Iterable[Problem], err: bool) -> None:
    items = sort_problems(problems)
    for problem in items:
        click.echo(str(problem), err=err)
    click.echo(summary(items), err=err)


def common(func: F) -> F:
    """Add --config and --debug to a command, and turn surprises into one clear line."""

    @click.option("--config", "config_path", default="statuspage.yaml", show_default=True,
                  type=click.Path(dir_okay=False, path_type=str),
                  help="The status repository's settings file.")
    @click.option("--debug", is_flag=True, help="Show a traceback for internal errors.")
    @functools.wraps(func)
    def wrapper(*args: Any, debug: bool, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if debug:
                raise
            click.echo(f"error: internal error: {type(exc).__name__}: {exc} "
                       "(run again with --debug for the traceback)", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _config(config_path: str, err: bool) -> tuple[SiteConfig, list[Problem]]:
    config, problems = load_config(Path(config_path), config_path)
    if config is None:
        _print_problems(problems, err)
        sys.exit(1)
    return config, problems


def _now(value: str | None, config: SiteConfig) -> datetime:
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return parse_timestamp(value, config.timezone)
    except TimeError as exc:
        raise click.BadParameter(str(exc), param_hint="--now") from None


_NOW_HELP = "Build as if it were this time (naive times are in the site time zone)."


@click.group()
@click.version_option(__version__, prog_name="statuspage")
def main() -> None:
    """Static public status pages from incidents kept in git."""


@main.command()
@click.option("--now", "now_text", metavar="TIME", help=_NOW_HELP)
@common
def check(config_path: str, now_text: str | None) -> None:
    """Validate the configuration and every incident file; exit 1 on any error."""
    config, problems = _config(config_path, err=False)
    _site, more = load_site(config, _now(now_text, config))
    problems += more
    _print_problems(problems, err=False)
    sys.exit(1 if any(p.is_error for p in problems) else 0)


@main.command()
@click.option("--out", "out_text", metavar="DIR",
              help="Output folder (default: 'site' beside the settings file).")
@click.option("--now", "now_text", metavar="TIME", help=_NOW_HELP)
@common
def build(config_path: str, out_text: str | None, now_text: str | None) -> None:
    """Render the site; a failed build leaves the previous one untouched."""
    config, problems = _config(config_path, err=True)
    out = Path(out_text) if out_text else config.root / "site"
    started = time.perf_counter()
    try:
        result = build_site(config, out, _now(now_text, config))
    except BuildFailed as failed:
        _print_problems([*problems, *failed.problems], err=True)
        click.echo(f"build failed: {out} was not changed", err=True)
        sys.exit(1)
    problems += result.problems
    if problems:
        _print_problems(problems, err=True)
    elapsed = time.perf_counter() - started
    click.echo(f"built {result.files} files into {out} in {elapsed:.2f} s")
