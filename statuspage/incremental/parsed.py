"""Parsed files, kept from one build to the next: a file is parsed again only when its bytes,
the settings or the code change, and read again only when its status changes (as git's index
knows a file unchanged). A first build parses in a process per core."""

from __future__ import annotations

import hashlib
import itertools
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..check.markdown import MarkdownRenderer
from ..check.parse import Parsed, parse_document
from ..check.rules import FRONT_READ
from ..errors import Problem
from ..read.config import SiteConfig
from ..read.files import Found, document_of, read_bytes
from .keys import digest
from .parallel import processes_for, shared
from .store import FOLDER, cache_folder, file_status, read_signed, secret, settled, write_signed

_NAME = "parsed.pickle"
FORMAT = 8
"""The shape of cached entries; a cache of another shape is ignored, whatever its keys."""
UNREADABLE = "unreadable"
"""The digest of a file that could not be read."""
PARALLEL_FROM = 400
"""Files to parse before it pays to start processes."""

Outcome = tuple["Parsed | None", list[Problem]]
"""What reading and parsing a file gave: the parsed file (None if it could not be read or
split) and its problems."""


def parse_files(config: SiteConfig, files: list[tuple[Found, str]], code: str,
                cache: ParseCache) -> list[Outcome]:
    """Return what each file (as found, and its path as messages show it) parses to, in order:
    from `cache` where it has the same bytes parsed with the same settings and `code`, else
    read and parsed now (and put in the cache)."""
    settings = digest(code, config, FRONT_READ)
    keys: dict[int, str] = {}
    looks: list[tuple[int, Found, str]] = []
    for index, (found, shown) in enumerate(files):
        known = cache.known_digest(shown, found.status)
        if known is not None:
            key = digest(settings, shown, known)
            if cache.get(key) is not None:
                keys[index] = key
                continue
        looks.append((index, found, shown))
    job = _Parse(config, cache.has, settings)
    pieces = _chunks([(found.path, shown) for _index, found, shown in looks])
    looked = iter(looks)
    for digests, pickled in shared(job, pieces, processes_for(len(looks), PARALLEL_FROM)):
        part = pickle.loads(pickled)
        fresh: list[str | None] = []
        for (index, found, shown), known, outcome in zip(
                itertools.islice(looked, len(part)), digests, part, strict=True):
            cache.note_digest(shown, found.status, known)
            keys[index] = key = digest(settings, shown, known)
            if outcome is None:
                cache.get(key)  # kept for the next build
            else:
                cache.put(key, outcome)
            fresh.append(None if outcome is None else key)
        cache.pickled_already(fresh, pickled)
    return [cache.get(keys[index]) for index in range(len(files))]


def _chunks(files: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Return the files in pieces small enough that processes finish close together."""
    size = max(1, min(50, len(files) // 64))
    return [files[i:i + size] for i in range(0, len(files), size)]


class _Parse:
    """Reads and parses some files; returns their digests, and pickled, what each gave (None
    where the cache has it already). Each file is read once, so what is parsed is what was
    digested even if the file changes meanwhile."""

    def __init__(self, config: SiteConfig, cached: Callable[[str], bool], settings: str) -> None:
        self.config, self.cached, self.settings = config, cached, settings

    def __call__(self, files: list[tuple[str, str]]) -> tuple[list[str], bytes]:
        md: MarkdownRenderer | None = None
        digests: list[str] = []
        found: list[Outcome | None] = []
        for path, shown in files:
            data, problems = read_bytes(path, shown)
            known = UNREADABLE if data is None else hashlib.sha256(data).hexdigest()
            digests.append(known)
            # A file that can't be read (or is too large) is looked at anew each time: its
            # problem (its size, say) is today's, not the first one cached under UNREADABLE.
            if data is not None and self.cached(digest(self.settings, shown, known)):
                found.append(None)
                continue
            document, more = (None, []) if data is None else document_of(data, path, shown, known)
            problems += more
            if document is None:
                found.append((None, problems))
                continue
            md = md or MarkdownRenderer()
            parsed, more = parse_document(document, self.config, md)
            # Kept with only what later rules read of the file (the front matter keys they
            # need for line numbers), not its text.
            parsed = replace(parsed, document=replace(
                parsed.document, body="", front=parsed.document.front.only(*FRONT_READ)))
            found.append((parsed, problems + more))
        return digests, pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)


class ParseCache:
    """Cached results by key, and the content digest of each file by its status (as git's
    index does) so that an unchanged file is not even read.

    `save` keeps only what this build used. It writes nothing when that is what the cache
    holds already, and after a few edits it writes only the difference from the last full
    cache (a small signed file that names the full one it applies to), so one edit in a large
    repository doesn't rewrite tens of megabytes. Results that other processes handed over
    pickled are saved as those pickles (`pickled_already`), not pickled a second time."""

    def __init__(self, root: Path) -> None:
        """Load the repository's cache (none where it has no cache folder)."""
        self.root = root
        self.path = root / FOLDER / _NAME
        self.delta_path = self.path.with_name("parsed.delta.pickle")
        self.secret = secret() if cache_folder(root) is not None else None
        self.old: dict[str, Any] = {}
        self.old_digests: dict[str, tuple[tuple[int, ...], str]] = {}
        self._base_signature = b""
        self._base_keys: set[str] = set()
        self._base_digests: dict[str, tuple[tuple[int, ...], str]] = {}
        self._load()
        self.new: dict[str, Any] = {}
        self._pickled: list[tuple[list[str | None], bytes]] = []
        self.digests: dict[str, tuple[tuple[int, ...], str]] = {}
        self.started = time.time_ns()

    def known_digest(self, name: str, found: os.stat_result) -> str | None:
        """Return the SHA-256 of the file's bytes if the last build read it with this status
        (`found`), as git's index knows a file unchanged without reading it; else None."""
        known = self.old_digests.get(name)
        if known is not None and known[0] == file_status(found):
            self.digests[name] = known
            return known[1]
        return None

    def note_digest(self, name: str, found: os.stat_result, digest: str) -> None:
        """Keep the digest of a file's bytes (or UNREADABLE) read while it had status `found`,
        for the next build, if it had settled: a file changed within the file system's clock
        tick before the build could change again and keep its status."""
        if digest != UNREADABLE and settled(found, self.started):
            self.digests[name] = (file_status(found), digest)

    def has(self, key: str) -> bool:
        """Return whether there is a result for `key` (without keeping it)."""
        return key in self.new or key in self.old

    def _read(self, path: Path) -> tuple[bytes, dict[str, Any]] | None:
        """Return a cache file's signature and content if it is ours and of this format."""
        assert self.secret is not None
        found = read_signed(self.secret, path)
        if found is None or not isinstance(found[1], dict) or found[1].get("format") != FORMAT:
            return None
        return found

    def _load(self) -> None:
        if self.secret is None:
            return
        found = self._read(self.path)
        if found is None:
            return
        signature, loaded = found
        entries, digests = loaded.get("entries"), loaded.get("digests")
        if not isinstance(entries, dict) or not isinstance(digests, dict):
            return
        try:
            for keys, pickled in loaded["pickled"]:
                entries.update((k, v) for k, v in zip(keys, pickle.loads(pickled), strict=True)
                               if k is not None)
        except Exception:  # a damaged cache is only a slower build
            return
        self._base_signature, self._base_keys = signature, set(entries)
        self._base_digests = dict(digests)
        self.old, self.old_digests = entries, digests
        delta = self._read(self.delta_path)
        if delta is None or delta[1].get("base") != signature:
            return
        try:
            for key in delta[1]["dropped"]:
                entries.pop(key, None)
            entries.update(delta[1]["entries"])
            for name in delta[1]["digests_dropped"]:
                digests.pop(name, None)
            digests.update(delta[1]["digests"])
        except (KeyError, TypeError, AttributeError):
            self.old, self.old_digests = {}, {}

    def get(self, key: str) -> Any:
        """Return the cached result for `key`, or None; a hit is kept for the next build."""
        found = self.new.get(key)
        if found is None:
            found = self.old.get(key)
            if found is not None:
                self.new[key] = found
        return found

    def put(self, key: str, value: Any) -> None:
        self.new[key] = value

    def pickled_already(self, keys: list[str | None], pickled: bytes) -> None:
        """Note that `pickled` is the list of the values `put` for `keys`, in order (None
        where a key has no value there), for `save` to write as it is."""
        self._pickled.append((keys, pickled))

    def release(self) -> None:
        """Let go of the entries (the parsed files, tens of megabytes for a large repository,
        which a build needs no more once its pages are made); `save` first."""
        self.old, self.new, self.old_digests, self.digests = {}, {}, {}, {}

    def save(self) -> None:
        """Write the cache atomically; a read-only repository just goes without. What was
        handed over pickled is let go: it is written, or never will be."""
        pickled, self._pickled = self._pickled, []
        if self.secret is None or (self.new.keys() == self.old.keys()
                                   and self.digests == self.old_digests):
            return
        if cache_folder(self.root) is None:
            return
        added = {k: v for k, v in self.new.items() if k not in self._base_keys}
        dropped = self._base_keys - self.new.keys()
        if self._base_signature and len(added) + len(dropped) <= max(100, len(self.new) // 10):
            self._write(self.delta_path, {
                "format": FORMAT, "base": self._base_signature, "entries": added,
                "dropped": sorted(dropped),
                "digests": {n: d for n, d in self.digests.items()
                            if self._base_digests.get(n) != d},
                "digests_dropped": sorted(self._base_digests.keys() - self.digests.keys())})
            return
        # Pickles handed over are written as they are where they hold only what is kept.
        whole = [(keys, blob) for keys, blob in pickled
                 if all(k is None or k in self.new for k in keys)]
        inside = {k for keys, _ in whole for k in keys}
        if self._write(self.path, {"format": FORMAT, "digests": self.digests, "pickled": whole,
                                   "entries": {k: v for k, v in self.new.items()
                                               if k not in inside}}):
            self.delta_path.unlink(missing_ok=True)

    def _write(self, path: Path, content: dict[str, Any]) -> bool:
        assert self.secret is not None
        return bool(write_signed(self.secret, path, content))


