"""The `notify:` list of statuspage.yaml: where notices go, checked with the line of each key.

Addresses and credentials are named here by the environment variable that holds them
(`url_env`, `secret_env`, `user_env`, `password_env`); only the command line reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import Location, Problem, error, warning
from ..read.address import web_address
from ..read.files import ENV_NAME, YamlData, suggest
from .events import Kind

TYPES = ("webhook", "slack", "discord", "teams", "email")
_KEYS = ("type", "name", "url", "url_env", "secret_env", "components", "events")
_EMAIL_KEYS = ("type", "name", "smtp", "from", "to", "components", "events")
_SMTP_KEYS = ("host", "port", "starttls", "tls", "user_env", "password_env")
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


@dataclass(frozen=True)
class Smtp:
    """How to reach the mail server."""

    host: str
    port: int
    starttls: bool
    tls: bool
    """Connect over TLS from the start (usually port 465)."""
    user_env: str | None = None
    password_env: str | None = None


@dataclass(frozen=True)
class Destination:
    """One place notices go."""

    type: str
    name: str
    """How delivery lines name it: its `name`, or its type and position ('slack#2')."""
    url: str | None = None
    url_env: str | None = None
    secret_env: str | None = None
    components: tuple[str, ...] = ()
    """Component ids: only events about one of them go here (all when empty)."""
    events: tuple[Kind, ...] = ()
    """Event kinds that go here (all when empty)."""
    smtp: Smtp | None = None
    sender: str = ""
    to: tuple[str, ...] = ()


def read_notify(value: Any, data: YamlData, shown: str, component_ids: list[str],
                problems: list[Problem]) -> tuple[Destination, ...]:
    """Return the destinations `value` (the `notify:` setting) lists, adding its problems."""
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(error(Location(shown, data.line("notify")),
                              "notify: expected a list of destinations, such as "
                              "'- {type: slack, url_env: SLACK_WEBHOOK_URL}'"))
        return ()
    found = []
    counts: dict[str, int] = {}
    names: set[str] = set()
    for index, item in enumerate(value):
        path: tuple[str | int, ...] = ("notify", index)
        here = _Here(data, shown, path, problems)
        if not isinstance(item, dict):
            here.fail((), "expected a mapping with 'type' and where to send")
            continue
        kind = item.get("type")
        if kind not in TYPES:
            here.fail(("type",), f"type: expected one of {', '.join(TYPES)}, got {kind!r}"
                      f"{suggest(str(kind), TYPES)}")
            continue
        counts[kind] = counts.get(kind, 0) + 1
        here.keys(item, _EMAIL_KEYS if kind == "email" else _KEYS)
        name = here.text(item, "name") or f"{kind}#{counts[kind]}"
        if name in names:
            here.fail(("name",), f"name: '{name}' is used by another destination")
        names.add(name)
        components = here.names(item, "components")
        for position, component in enumerate(components):
            if component not in component_ids:
                here.fail(("components", position), f"components: unknown component "
                          f"'{component}'{suggest(component, component_ids)}")
        events = here.names(item, "events")
        kinds = [k.value for k in Kind]
        for position, event in enumerate(events):
            if event not in kinds:
                here.fail(("events", position), f"events: unknown event '{event}'"
                          f"{suggest(event, kinds)}; use some of {', '.join(kinds)}")
        common: dict[str, Any] = {"type": kind, "name": name, "components": tuple(components),
                                  "events": tuple(Kind(e) for e in events if e in kinds)}
        if kind == "email":
            smtp = _smtp(item.get("smtp"), here)
            sender = here.text(item, "from")
            if not sender:
                here.fail((), "email: 'from' is required (the sender's address)")
            elif not _ADDRESS.match(sender):
                here.fail(("from",), f"from: '{sender}' is not an e-mail address")
            to = here.names(item, "to")
            if not to:
                here.fail((), "email: 'to' is required (one address or a list)")
            for position, address in enumerate(to):
                if not _ADDRESS.match(address):
                    here.fail(("to", position), f"to: '{address}' is not an e-mail address")
            if smtp is not None:
                found.append(Destination(**common, smtp=smtp, sender=sender, to=tuple(to)))
            continue
        url, url_env = here.text(item, "url"), here.env(item, "url_env")
        if bool(url) == bool(url_env):
            here.fail((), f"{kind}: give exactly one of 'url_env' (the environment variable "
                          "holding the address: addresses hold tokens) or 'url'")
        elif url and web_address(url) is None:
            here.fail(("url",), "url: expected an http(s) address")
        secret_env = here.env(item, "secret_env")
        if secret_env and kind != "webhook":
            here.fail(("secret_env",), "secret_env: only a webhook signs its requests")
        found.append(Destination(**common, url=url or None, url_env=url_env or None,
                                 secret_env=secret_env or None))
    return tuple(found)


def _smtp(value: Any, here: _Here) -> Smtp | None:
    if not isinstance(value, dict):
        here.fail(("smtp",), "smtp: expected a mapping such as '{host: smtp.example.com, "
                             "port: 587, starttls: true, user_env: SMTP_USER, "
                             "password_env: SMTP_PASSWORD}'")
        return None
    inner = _Here(here.data, here.shown, (*here.path, "smtp"), here.problems)
    inner.keys(value, _SMTP_KEYS, "smtp.")
    host = inner.text(value, "host")
    if not host:
        inner.fail((), "smtp: 'host' is required")
    starttls, tls = inner.flag(value, "starttls"), inner.flag(value, "tls")
    if starttls and tls:
        inner.fail(("tls",), "smtp: use 'tls' (TLS from the start, port 465) or 'starttls' "
                             "(port 587), not both")
    port = value.get("port", 465 if tls else 587 if starttls else 25)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        inner.fail(("port",), f"port: expected a port number, got {port!r}")
        return None
    user_env, password_env = inner.env(value, "user_env"), inner.env(value, "password_env")
    if bool(user_env) != bool(password_env):
        inner.fail((), "smtp: give both 'user_env' and 'password_env' to log in, or neither")
    if not host:
        return None
    return Smtp(host, port, starttls, tls, user_env or None, password_env or None)


class _Here:
    """Reads one destination's values, adding a problem with its line for each bad one."""

    def __init__(self, data: YamlData, shown: str, path: tuple[str | int, ...],
                 problems: list[Problem]) -> None:
        self.data, self.shown, self.path, self.problems = data, shown, path, problems

    def fail(self, key: tuple[str | int, ...], message: str) -> None:
        self.problems.append(error(Location(self.shown, self.data.line(*self.path, *key)),
                                   f"notify: {message}"))

    def keys(self, mapping: dict[Any, Any], known: tuple[str, ...], where: str = "") -> None:
        for key in mapping:
            if key not in known:
                self.problems.append(warning(
                    Location(self.shown, self.data.line(*self.path, key)),
                    f"notify: unknown key '{where}{key}'{suggest(str(key), known)}"))

    def text(self, mapping: dict[Any, Any], key: str) -> str:
        value = mapping.get(key)
        if value is None:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail((key,), f"{key}: expected text")
            return ""
        return value.strip()

    def env(self, mapping: dict[Any, Any], key: str) -> str:
        value = self.text(mapping, key)
        if value and not ENV_NAME.match(value):
            self.fail((key,), f"{key}: expected the name of an environment variable, "
                              "such as 'SLACK_WEBHOOK_URL' (never the secret itself)")
        return value

    def flag(self, mapping: dict[Any, Any], key: str) -> bool:
        value = mapping.get(key, False)
        if not isinstance(value, bool):
            self.fail((key,), f"{key}: expected true or false")
            return False
        return value

    def names(self, mapping: dict[Any, Any], key: str) -> list[str]:
        value = mapping.get(key)
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in items):
            self.fail((key,), f"{key}: expected text or a list of texts")
            return []
        return [str(v) for v in items]

