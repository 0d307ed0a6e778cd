"""Keys: what tells one build's inputs of an output from another's.

An output's key is a digest of the code that makes it (`code_identity`), the settings, the
templates for a page, and the values of its reads (`Keys.of`). A read is stamped by its
`repr`: the model's incidents, maintenance and postmortems repr as the digest of the files
they were read from, so a page that reads ten incidents costs ten short strings, not their
text. Nothing else decides whether an output is kept.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from ..compute.metrics_days import Measured
from ..outputs.record import NOW, Clocked, Measures, Output

LIBRARIES = ("cmarkgfm", "nh3", "jinja2", "markupsafe", "babel", "yaml", "icalendar")
"""Libraries whose output a build keeps (HTML from Markdown, compiled templates, dates)."""


def digest(*parts: object) -> str:
    """Return a hex digest of the parts' reprs."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def folder_digest(*folders: Path, suffixes: tuple[str, ...] = ()) -> str:
    """Return a digest of every file under the folders (names and bytes), or of those with
    one of `suffixes`."""
    found = hashlib.sha256()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and (not suffixes or path.suffix in suffixes) \
                    and "__pycache__" not in path.parts:
                found.update(path.relative_to(folder).as_posix().encode() + b"\0")
                found.update(path.read_bytes())
    return found.hexdigest()


def code_identity(package: Path, theme: Path) -> str:
    """Return a digest of the code every output follows from: the package's own source and
    catalogs, the built-in theme, the Python version, and where each library is installed
    with the status of its file (an upgrade writes it anew).

    Read at every build: an edit of an installed package's source, or of the theme, must
    never be hidden behind a version number that did not change."""
    libraries = []
    for name in LIBRARIES:
        try:
            spec = importlib.util.find_spec(name)
            origin = spec.origin if spec is not None else None
            status = os.stat(origin) if origin else None
        except (ImportError, ValueError, OSError):
            origin, status = None, None
        libraries.append((name, origin, status and (status.st_size, status.st_mtime_ns)))
    return digest(sys.version, libraries, folder_digest(package, suffixes=(".py", ".po")),
                  folder_digest(theme))


class Keys:
    """Works out output keys for one build. A read that several outputs take (the settings,
    a component's figures) is stamped, and if it moves with the clock worked out, once."""

    def __init__(self, common: str, now: datetime, measured: Measured,
                 shared: Iterable[object] = ()) -> None:
        """`common` is a digest of what every output follows from (the code, the settings);
        `measured` the build's measured figures; `shared` are reads that many outputs take
        (the settings object)."""
        self.common, self.now, self.measured = common, now, measured
        self._stamps = {id(value): _short(repr(value)) for value in shared}
        self._values: dict[int, Any] = {}
        self._shared: set[int] = set(self._stamps)
        self._kept: list[object] = list(shared)  # (their ids stay theirs while this lives)

    def share(self, outputs: list[Output]) -> None:
        """Note the reads that more than one of `outputs` takes, to stamp each, and work out
        each that moves with the clock, once."""
        seen: set[int] = set()
        for output in outputs:
            for read in output.reads:
                if id(read) in seen and id(read) not in self._shared:
                    self._shared.add(id(read))
                    self._kept.append(read)
                seen.add(id(read))

    def resolve_shared(self) -> None:
        """Work out now the shared reads that move with the clock (before processes fork,
        so that each does not work them out again)."""
        for read in list(self._kept):
            if isinstance(read, Clocked) and id(read) in self._shared:
                self._value(read)

    def values(self, output: Output) -> tuple[Any, ...]:
        """Return the output's reads with each clocked one at this build's time, and each
        of the measured figures in this build's."""
        return tuple(self._value(r) if isinstance(r, Clocked)
                     else self._measure(r) if isinstance(r, Measures) else r
                     for r in output.reads)

    def _measure(self, read: Measures) -> Any:
        """Return the read's value in this build's figures (worked out once: its key's
        stamp is its repr)."""
        found = self._values.get(id(read), _MISSING)
        if found is _MISSING:
            found = self._values[id(read)] = read.of(self.measured)
            self._kept.append(read)
        return found

    def _value(self, read: Clocked) -> Any:
        if id(read) not in self._shared:
            return read.at(self.now)
        found = self._values.get(id(read), _MISSING)
        if found is _MISSING:
            found = self._values[id(read)] = read.at(self.now)
        return found

    def of(self, output: Output, page: str = "") -> str | None:
        """Return the key of `output`; `page` is what every page follows from besides (the
        templates, assets, the page's status), for pages. None for an output that reads the
        time itself: it is made at every build."""
        if any(read is NOW for read in output.reads):
            return None
        stamps, shared = self._stamps, self._shared
        parts = [self.common, page, output.path, output.template or ""]
        for read in output.reads:
            found = stamps.get(id(read))
            if found is None:
                found = _short(read.stamp_at(self.now) if isinstance(read, Clocked)
                               else repr(self._measure(read)) if isinstance(read, Measures)
                               else repr(read))
                if id(read) in shared:
                    stamps[id(read)] = found
            parts.append(found)
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


_MISSING = object()


def _short(stamp: str) -> str:
    """Return a long stamp as its digest (a read shared by many outputs is hashed once)."""
    return stamp if len(stamp) < 100 else hashlib.sha256(stamp.encode()).hexdigest()
