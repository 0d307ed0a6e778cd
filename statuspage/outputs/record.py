"""What an output module declares for each file it writes: an `Output`.

An output is made by calling `make` with exactly its `reads`, so nothing it shows can come
from anywhere else; the build keeps last build's file wherever the reads are the same (see
`incremental`). A read that moves with the clock is `Clocked`: the build passes its value at
the build's time, and the output's `clock` says how often that value can change. A read of
the measured figures is `Measures`: the build passes its value from the figures it measured
(rows are appended to the data files all day, and only what shows them moves).
"""

from __future__ import annotations

import bisect
import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..compute.metrics_days import Measured


class Clock(enum.IntEnum):
    """How an output moves with the clock when nothing it reads from the files changes.

    What changes at a day's boundary (this month, a month's neighbours in the history) is a
    value an output reads, worked out from the build's date: the output moves when that
    value does, and a quiet rebuild, which keeps every output but those that read the clock,
    never runs past midnight."""

    NEVER = 0
    """Only at an instant written in a file (a window opens, a postmortem is published)."""
    ALWAYS = 1
    """At any moment: it shows the time, or figures that grow with it."""


class Clocked:
    """A read whose value depends on the time of the build; `clock` says how often."""

    clock = Clock.ALWAYS

    def at(self, now: datetime) -> Any:
        """Return the value at `now`."""
        raise NotImplementedError

    def stamp_at(self, now: datetime) -> str:
        """Return what tells the value at `now` apart from the value at another time: by
        default the value's repr. A read may stamp what its value follows from instead, where
        that is cheaper to work out than the value."""
        return repr(self.at(now))


class _Now(Clocked):
    def at(self, now: datetime) -> datetime:
        return now

    def __reduce__(self) -> str:
        return "NOW"  # one of it, also when a build's record is loaded again


NOW: Clocked = _Now()
"""The build's time. An output that reads it is made at every build."""


@dataclass(frozen=True)
class Settled(Clocked):
    """The build's time, for an output that only compares it with instants written in the
    files (`instants`, sorted POSIX seconds) and that does not depend on the date: its value
    tells outputs apart only by where it falls among those instants."""

    instants: tuple[float, ...]
    clock = Clock.NEVER

    def at(self, now: datetime) -> datetime:
        return now

    def stamp_at(self, now: datetime) -> str:
        return str(bisect.bisect_right(self.instants, now.timestamp()))


class Measures:
    """A read of the measured figures (SPEC §7): the build passes its value in them."""

    def of(self, measured: Measured) -> Any:
        """Return the value in the build's measured figures."""
        raise NotImplementedError


@dataclass(frozen=True)
class Output:
    """One file of the site.

    `make(*reads)`, with each `Clocked` and `Measures` read replaced by its value, returns
    the file's bytes, or for a page (`template` set) the page's own names for the template."""

    path: str
    make: Callable[..., Any]
    reads: tuple[Any, ...] = ()
    template: str | None = None

    @property
    def clock(self) -> Clock:
        """Return how the output moves with the clock: as its most mobile read."""
        return max((r.clock for r in self.reads if isinstance(r, Clocked)), default=Clock.NEVER)

    @property
    def measures(self) -> bool:
        """Return whether the output reads the measured figures."""
        return any(isinstance(r, Measures) for r in self.reads)


def page(path: str, template: str, make: Callable[..., dict[str, Any]], *reads: Any) -> Output:
    """Return a page made with `template` from the names `make(*reads)` returns."""
    return Output(path, make, reads, template)


def file(path: str, make: Callable[..., bytes], *reads: Any) -> Output:
    """Return a file whose bytes `make(*reads)` returns."""
    return Output(path, make, reads)


def fixed(path: str, content: bytes) -> Output:
    """Return a file of known bytes (a static asset)."""
    return Output(path, _same, (content,))


def _same(content: bytes) -> bytes:
    return content


def json_bytes(document: Any) -> bytes:
    """Return a document as compact UTF-8 JSON with a final newline, as the site's JSON files
    are written."""
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
