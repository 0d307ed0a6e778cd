"""Making the outputs: each is kept from the last build into the same folder when its key is
the one that build recorded, and made otherwise, across processes when there are many."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jinja2

from ..errors import Problem
from ..outputs.record import Clock, Output
from ..outputs.render import render, template_problem
from ..read.config import SiteConfig
from ..write import MARKER, SiteWriter, identity
from .keys import Keys
from .parallel import processes_for, shared
from .store import Store

PARALLEL_FROM = 1000
"""Outputs to make before it pays to start processes for them."""
PIECES_PER_PROCESS = 16
"""Pieces of the outputs per process, taken in turn: the more, the closer together the
processes finish."""


@dataclass(frozen=True)
class Made:
    """What making some outputs did: the key of each (None: made at every build), and the
    first template error, if any."""

    keys: dict[str, str | None]
    problem: Problem | None
    share: tuple[set[str], ...] = ()
    """What the writer of the process that made them noted (see SiteWriter.share)."""


class Maker:
    """Makes outputs into a site being written."""

    def __init__(self, config: SiteConfig, env: jinja2.Environment, keys: Keys,
                 writer: SiteWriter, names: dict[str, Any], page_common: str) -> None:
        """`names` are what every HTML page gets, and `page_common` a digest of what else
        than their reads every page follows from (templates, those names)."""
        self.config, self.env, self.keys, self.writer = config, env, keys, writer
        self.names, self.page_common = names, page_common
        self.pid = os.getpid()

    def key(self, output: Output) -> str | None:
        """Return the key of an output at this build."""
        html = output.template is not None and output.template.endswith(".html")
        return self.keys.of(output, self.page_common if html else "")

    def make(self, outputs: list[Output], previous: dict[str, str | None]) -> Made:
        """Keep each of `outputs` whose key is the one in `previous` (path -> key) and whose
        file the last build left; make and write the others. Stop at the first template
        error. In a process forked from the build's, what the writer noted goes back with
        what it made."""
        found: dict[str, str | None] = {}
        problem = None
        writer = self.writer
        for output in outputs:
            key = self.key(output)
            found[output.path] = key
            if key is not None and previous.get(output.path) == key \
                    and writer.reuse(output.path):
                continue
            try:
                content = render(self.env, output, self.keys.values(output), self.names)
            except jinja2.TemplateError as exc:
                problem = template_problem(exc, self.config)
                break
            writer.write(output.path, content)
        forked = os.getpid() != self.pid
        return Made(found, problem, writer.hand_over() if forked else ())


def make_site(maker: Maker, outputs: list[Output], previous: dict[str, str | None],
              before: Callable[[], object] = lambda: None) -> Made:
    """Keep each output whose key is the one in `previous` (path -> key) and whose file the
    last build left; make the others, across processes when there are many (`before` runs
    meanwhile in this one). Return every output's key and the first template error, in the
    outputs' order."""
    keys = maker.keys
    keys.share(outputs)
    processes = processes_for(len(outputs), PARALLEL_FROM)
    if processes == 1:
        before()
        return maker.make(outputs, previous)
    # What moves with the clock is made last: meanwhile this process works out the figures
    # those outputs share (every component's), which the processes forked for them inherit.
    settled = [o for o in outputs if o.clock is Clock.NEVER]
    moving = [o for o in outputs if o.clock is not Clock.NEVER]

    def first() -> None:
        before()
        keys.resolve_shared()

    parts = _shared(maker, settled, previous, processes, first)
    parts += _shared(maker, moving, previous, processes, lambda: None)
    found: dict[str, str | None] = {}
    problems = []
    for part in parts:
        if part.share:
            maker.writer.merge(part.share)
        found.update(part.keys)
        if part.problem is not None:
            problems.append(part.problem)
    # The first piece's error, whichever process met it first: the same error at every run.
    return Made(found, problems[0] if problems else None)


def _shared(maker: Maker, outputs: list[Output], previous: dict[str, str | None],
            processes: int, before: Callable[[], object]) -> list[Made]:
    """Return what making `outputs` in pieces across `processes` gave, piece by piece."""
    size = max(1, len(outputs) // (processes * PIECES_PER_PROCESS))
    pieces = [outputs[i:i + size] for i in range(0, len(outputs), size)]
    return shared(lambda piece: maker.make(piece, previous), pieces, processes, before)


def previous_keys(store: Store, writer: SiteWriter) -> dict[str, str | None]:
    """Return the keys the last build into this folder recorded, if the folder is still the
    site it made (another repository building into the same folder makes its own)."""
    found = store.load("outputs")
    if writer.previous is None or not isinstance(found, dict) \
            or found.get("identity") != identity(writer.out / MARKER):
        return {}
    keys = found.get("keys")
    return keys if isinstance(keys, dict) else {}


def save_keys(store: Store, writer: SiteWriter, keys: dict[str, str | None]) -> None:
    """Record the keys of the site just committed, for the next build."""
    store.save("outputs", {"identity": identity(writer.out / MARKER), "keys": keys})
