"""The commands that talk to the world outside the repository: `probe` and `pull` bring
figures and upstream services' status in, `notify` tells people what a deploy changed. Each is
added to `cli.main`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from .cli_common import common, now_of, print_problems, settings


@click.command(short_help="Tell webhooks, chat and e-mail what changed since the last deploy.")
@click.option("--previous", metavar="PREV",
              help="The site to compare with: the previous build's folder, or the deployed "
                   "site's address (default: the site's url from statuspage.yaml).")
@click.option("--out", "out_text", metavar="DIR",
              help="The new build's folder (default: 'site' beside the settings file).")
@click.option("--dry-run", is_flag=True, help="Print every notice that would be sent; send none.")
@click.option("--save-previous", "save_to", metavar="DIR",
              help="Only copy what PREV publishes into DIR (before a deploy replaces it), for a "
                   "later 'notify --previous DIR'.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(0.1, 300),
              help="Seconds to wait for a receiver or the previous site.")
@common
def notify(config_path: str, previous: str | None, out_text: str | None, dry_run: bool,
           save_to: str | None, timeout: float) -> None:
    """Tell webhooks, Slack, Discord, Teams and e-mail what changed since the previous site."""
    import os

    from .notify.deliver import Policy
    from .notify.run import notify as notify_site
    from .notify.run import save_previous
    config, problems = settings(config_path, err=True)
    if problems:
        print_problems(problems, err=True)
    previous = previous or config.url
    if save_to is not None:
        sys.exit(save_previous(previous, Path(save_to), click.echo, timeout))
    out = Path(out_text) if out_text else config.root / "site"
    sys.exit(notify_site(config, previous, out, os.environ, click.echo, dry_run,
                         Policy(timeout=timeout), datetime.now(UTC)))


@click.command(short_help="Check each component's endpoint; append a row each to metrics/.")
@click.option("--now", "now_text", metavar="TIME",
              help="Date the rows (and incidents) as if it were this time.")
@click.option("--open-incidents", is_flag=True,
              help="Open an incident after repeated failed checks; resolve it after good ones.")
@common
def probe(config_path: str, now_text: str | None, open_incidents: bool) -> None:
    """Check every component that has a 'probe' and append one row each to metrics/."""
    from .collect.run import probe_all
    config, problems = settings(config_path, err=True)
    if problems:
        print_problems(problems, err=True)
    import os

    from .collect.csvrows import RowsError
    try:
        run = probe_all(config, now_of(now_text, config), open_incidents, os.environ)
    except RowsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    for line in run.lines:
        click.echo(line)
    if run.problems:
        print_problems(run.problems, err=True)
    for line in run.errors:
        click.echo(line, err=True)
    sys.exit(1 if run.errors else 0)


@click.command(short_help="Bring rows from Prometheus and upstream services' status in.")
@click.option("--since", "since_text", metavar="TIME",
              help="Start here when nothing is stored yet (default: the uptime bars' days).")
@click.option("--now", "now_text", metavar="TIME", help="Pull up to this time (default: now).")
@click.option("--timeout", default=10.0, show_default=True, metavar="SECONDS",
              help="How long each upstream service's fetch may take.")
@common
def pull(config_path: str, since_text: str | None, now_text: str | None, timeout: float) -> None:
    """Bring measured figures from Prometheus into metrics/ as rows, then store each upstream
    service's status under upstream/ (a failed upstream fetch keeps the last snapshot)."""
    import os

    from .collect.csvrows import RowsError
    from .collect.prometheus import PullFailed
    from .collect.prometheus import pull as pull_prometheus
    from .collect.upstream import pull_upstream
    config, problems = settings(config_path, err=True)
    if problems:
        print_problems(problems, err=True)
    now = now_of(now_text, config)
    since = now_of(since_text, config, "--since") if since_text else None
    failed = False
    try:
        # Said only when there is nothing else to pull either.
        asked = bool(config.collect.queries) or not config.upstream
        lines = pull_prometheus(config, since, now, os.environ) if asked else []
    except (RowsError, PullFailed) as exc:
        if isinstance(exc, PullFailed):
            print_problems(exc.problems, err=True)
        else:
            click.echo(f"error: {exc}", err=True)
        click.echo("pull from Prometheus failed: no metrics file was changed", err=True)
        failed, lines = True, []
    for line in lines:
        click.echo(line)
    try:  # the upstream services are fetched whatever Prometheus did
        pulled = pull_upstream(config, now, timeout)
    except OSError as exc:
        click.echo(f"error: cannot write a snapshot: {exc}", err=True)
        sys.exit(1)
    for result in pulled:
        click.echo(str(result), err=not result.stored)
    sys.exit(1 if failed else 0)
