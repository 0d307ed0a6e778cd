"""`statuspage notify`: compare two published states, then tell each destination about the
events it takes, or print what would be sent."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from functools import partial
from pathlib import Path

from ..outputs.statuspage_v2 import stable_id
from ..read.config import SiteConfig
from .deliver import (
    SIGNATURE_HEADER,
    Failed,
    Job,
    Mailer,
    Outcome,
    Policy,
    post,
    run_jobs,
    signature,
)
from .events import Event, differences
from .mail import message
from .payloads import discord, slack, teams, webhook
from .published import (
    Absent,
    Published,
    Unreadable,
    fetch_documents,
    is_url,
    parse_documents,
    read_folder,
    read_published,
    save_documents,
)
from .settings import Destination
from .texts import Words

Echo = Callable[[str], None]
DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Secrets:
    """A destination's address and credentials, read from the environment."""

    url: str | None
    secret: str | None
    user: str | None
    password: str | None
    missing: tuple[str, ...]
    """The environment variables it names that are not set (or empty)."""


def secrets_of(destination: Destination, environ: Mapping[str, str]) -> Secrets:
    """Return what the environment holds for `destination`."""
    missing: list[str] = []

    def get(name: str | None) -> str | None:
        if name is None:
            return None
        value = environ.get(name, "")
        if not value:
            missing.append(name)
            return None
        return value

    smtp = destination.smtp
    url = destination.url or get(destination.url_env)
    return Secrets(url, get(destination.secret_env), get(smtp.user_env if smtp else None),
                   get(smtp.password_env if smtp else None), tuple(missing))


class Redact:
    """Takes every secret value out of a text before it is shown (a last guard: no message
    is meant to hold one)."""

    def __init__(self, values: list[str | None]) -> None:
        self.values = sorted({v for v in values if v and len(v) >= 3}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, "[secret]")
        return text


def matches(destination: Destination, event: Event) -> bool:
    """Return whether `event` goes to `destination` (its component and event filters)."""
    if destination.events and event.kind not in destination.events:
        return False
    if not destination.components:
        return True
    wanted = {stable_id("component", c) for c in destination.components}
    return bool(wanted & event.component_ids)


def notify(config: SiteConfig, previous: str, out: Path, environ: Mapping[str, str],
           echo: Echo, dry_run: bool = False, policy: Policy = DEFAULT_POLICY,
           now: datetime | None = None) -> int:
    """Tell every destination of `config` what changed from the site at `previous` (a folder
    or an address) to the one built in `out`; return the exit status (1 if anything failed).
    E-mails are dated `now` (by default, the time of the event each tells)."""
    try:
        new = read_published(str(out), policy.timeout)
    except (Absent, Unreadable) as exc:
        echo(f"error: the new site: {exc}; build it first ('statuspage build --out {out}')")
        return 1
    try:
        old = read_published(previous, policy.timeout)
    except Absent as exc:
        echo(f"no previous site: {exc}; nothing to compare with, so no notices were sent "
             "(a first deploy)")
        return 0
    except Unreadable as exc:
        echo(f"error: the previous site: {exc}; no notices were sent")
        return 1
    return tell(config, old, new, environ, echo, dry_run, policy, now)


def tell(config: SiteConfig, old: Published, new: Published, environ: Mapping[str, str],
         echo: Echo, dry_run: bool = False, policy: Policy = DEFAULT_POLICY,
         now: datetime | None = None) -> int:
    """Deliver (or, dry, print) the events between two published states; return the exit
    status."""
    events = differences(old, new)
    found = {d.name: secrets_of(d, environ) for d in config.notify}
    redact = Redact([v for s in found.values() for v in (s.url, s.secret, s.user, s.password)])
    say: Echo = lambda text: echo(redact(text))  # noqa: E731
    say(f"{len(events)} event(s) since the previous site" + (":" if events else ""))
    for event in events:
        say(f"  {event.label}")
    if not config.notify:
        say("no destinations: add them under 'notify:' in statuspage.yaml")
        return 0
    words = Words(config.language)
    jobs = []
    for destination in config.notify:
        chosen = [e for e in events if matches(destination, e)]
        secrets = found[destination.name]
        if dry_run:
            _print(destination, chosen, words, secrets, say, now)
            continue
        jobs.append(_job(destination, chosen, words, secrets, policy, now))
    if dry_run:
        say("dry run: nothing was sent")
        return 0

    def report(outcome: Outcome) -> None:
        say(outcome.line())

    outcomes = run_jobs(jobs, policy, report)
    failed = sum(not o.ok for o in outcomes)
    say(f"{len(outcomes) - failed} delivered, {failed} failed")
    return 1 if failed else 0


def _body(destination: Destination, event: Event, words: Words) -> bytes:
    """Return the JSON body an HTTP destination is sent for `event`."""
    if destination.type == "webhook":
        payload = webhook(event)
    elif destination.type == "slack":
        payload = slack(words.notice(event))
    elif destination.type == "discord":
        payload = discord(words.notice(event), event)
    else:
        payload = teams(words.notice(event))
    return json.dumps(payload, ensure_ascii=False).encode()


def _job(destination: Destination, events: list[Event], words: Words, secrets: Secrets,
         policy: Policy, now: datetime | None) -> Job:
    if secrets.missing:
        reason = (f"environment variable {', '.join(secrets.missing)} is not set")

        def unset() -> None:
            raise Failed(reason, again=False)

        return Job(destination.name, [(e.label, unset) for e in events])
    if destination.type == "email":
        assert destination.smtp is not None
        mailer = Mailer(destination.smtp, secrets.user, secrets.password, policy.timeout)
        sends = [(e.label, partial(mailer.send, message(words.notice(e), e, destination.sender,
                                                         destination.to, now))) for e in events]
        return Job(destination.name, sends, mailer.close)
    assert secrets.url is not None
    sends = []
    for event in events:
        body = _body(destination, event, words)
        headers = {SIGNATURE_HEADER: signature(secrets.secret, body)} if secrets.secret else {}
        sends.append((event.label, partial(post, secrets.url, body, headers, policy.timeout)))
    return Job(destination.name, sends)


def _print(destination: Destination, events: list[Event], words: Words, secrets: Secrets,
           say: Echo, now: datetime | None) -> None:
    """Print what `destination` would be sent (never its address or credentials)."""
    if secrets.missing:
        say(f"{destination.name}: environment variable {', '.join(secrets.missing)} is not "
            "set: a real run would fail")
    for event in events:
        say(f"--- {destination.name}  {event.label}")
        if destination.type == "email":
            say(_readable(message(words.notice(event), event, destination.sender,
                                  destination.to, now)))
            continue
        if destination.type == "webhook" and destination.secret_env:
            say(f"{SIGNATURE_HEADER}: sha256=<HMAC of the body with ${destination.secret_env}>")
        say(json.dumps(json.loads(_body(destination, event, words)), ensure_ascii=False,
                       indent=2))


def save_previous(previous: str, folder: Path, echo: Echo, timeout: float = 20.0) -> int:
    """Copy the documents notify reads from the site at `previous` into `folder`, to compare
    with after a deploy replaced that site; return the exit status. No site there (a first
    deploy) writes nothing, which a later `notify --previous folder` takes as no site."""
    try:
        documents = (fetch_documents(previous, timeout) if is_url(previous)
                     else read_folder(Path(previous)))
        parse_documents(documents, previous)
    except Absent as exc:
        echo(f"no previous site: {exc}; nothing saved")
        return 0
    except Unreadable as exc:
        echo(f"error: the previous site: {exc}")
        return 1
    save_documents(documents, folder)
    echo(f"saved the published state of {previous} into {folder}")
    return 0


def _readable(mail: EmailMessage) -> str:
    """Return an e-mail as a person reads it: its headers, then each part decoded."""
    lines = [f"{name}: {value}" for name, value in mail.items()
             if name.lower() not in ("content-type", "mime-version")]
    for part in mail.iter_parts():
        lines += ["", f"[{part.get_content_type()}]", str(part.get_content()).rstrip("\n")]
    return "\n".join(lines)
