"""What every command shares: --config and --debug, reading the settings, the time a
command is run for, and printing problems."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from .errors import Problem, sort_problems, summary
from .read.config import SiteConfig, load_config
from .times import TimeError, parse_timestamp

F = TypeVar("F", bound=Callable[..., Any])


def print_problems(problems: Iterable[Problem], err: bool) -> None:
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


def settings(config_path: str, err: bool,
            failed: str | None = None) -> tuple[SiteConfig, list[Problem]]:
    config, problems = load_config(Path(config_path), config_path)
    if config is None:
        print_problems(problems, err)
        if failed:
            click.echo(failed, err=err)
        sys.exit(1)
    return config, problems


def now_of(value: str | None, config: SiteConfig, option: str = "--now") -> datetime:
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return parse_timestamp(value, config.timezone)
    except TimeError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None
