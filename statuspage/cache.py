"""The incremental-build cache: parsed files keyed by a hash of their bytes and of everything
that shapes how they parse (settings, package version).

Safe to delete at any time, and it never makes a build wrong: a key covers every input of
the cached result. It is a pickle, so it is signed with a key kept outside the repository
(under the user's cache folder): a cache file committed by someone else is ignored, never
loaded.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import hmac
import json
import os
import pickle
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache

from .write import MARKER, identity

FOLDER = ".statuspage-cache"
_NAME = "parsed.pickle"
FORMAT = 7
"""The shape of cached entries; a cache of another shape is ignored, whatever its keys."""
SETTLED_NS = 2_000_000_000
"""A file's digest is remembered by its status only if it was last changed this long before
the build read it: a change made later gets a later time, so it can't hide behind the status
(file times are kept at a coarse clock tick, so a change just after reading could share it)."""


def cache_folder(root: Path) -> Path | None:
    """Return the repository's cache folder, made (and ignored by git) if need be; None if it
    can't be made, as in a read-only checkout."""
    folder = root / FOLDER
    try:
        folder.mkdir(exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.is_file():
            ignore.write_text("*\n")
    except OSError:
        return None
    return folder


SPARES = 3
"""Spare sites kept per repository (one per output folder); the least recently used go."""


def _output_key(out: Path) -> str:
    """Return the name part that tells an output folder's spare and page keys apart."""
    return hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]


def spare_site(root: Path, out: Path) -> Path | None:
    """Return where the site that a build replaces waits to become the next build's start."""
    folder = cache_folder(root)
    return None if folder is None else folder / f"site-{_output_key(out)}"


def quiet_paths(root: Path, out: Path) -> tuple[Path, Path] | None:
    """Return where a build into `out` leaves what a quiet rebuild needs (see quiet.py): the
    snapshot and its body."""
    folder = cache_folder(root)
    return None if folder is None else _quiet_files(folder, _output_key(out))


def _quiet_files(folder: Path, key: str) -> tuple[Path, Path]:
    return folder / f"quiet-{key}.pickle", folder / f"quiet-{key}.body.pickle"


def prune_spares(keep: Path) -> None:
    """Remove the spares of other output folders beyond the SPARES most recently used."""
    others = []
    for path in keep.parent.glob("site-*"):
        if path.is_dir() and path != keep:
            try:
                others.append((path.stat().st_mtime_ns, path))
            except OSError:
                continue
    for _used, path in sorted(others, reverse=True)[SPARES - 1:]:
        drop_spare(path)


def drop_spare(spare: Path) -> None:
    """Remove a spare site, its records and its output's page keys (as `serve` does with its
    own when it stops)."""
    shutil.rmtree(spare, ignore_errors=True)
    for suffix in (".json", ".out.json"):
        spare.with_name(spare.name + suffix).unlink(missing_ok=True)
    key = spare.name.removeprefix('site-')
    spare.with_name(f"pages-{key}.json").unlink(missing_ok=True)
    for path in _quiet_files(spare.parent, key):
        path.unlink(missing_ok=True)


KEY_BYTES = 32


def _home() -> Path:
    """Return this machine's folder for what builds share: the key, the versions memo."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "statuspage"


def secret() -> bytes | None:
    """Return this machine's key for signing cache files (made at first use), or None."""
    home = _home()
    key = home / "key"
    try:
        if key.is_file() and len(found := key.read_bytes()) == KEY_BYTES:
            return found
        # Written whole elsewhere, then put in place in one step: a key cut short (a full
        # disk, a kill) or read half-written would sign with what anyone can guess.
        home.mkdir(parents=True, exist_ok=True)
        temporary = home / f"key.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(secrets.token_bytes(KEY_BYTES))
            try:
                os.link(temporary, key)  # another build may have made one meanwhile
            except FileExistsError:
                if len(key.read_bytes()) != KEY_BYTES:
                    os.replace(temporary, key)
        finally:
            temporary.unlink(missing_ok=True)
        found = key.read_bytes()
    except OSError:
        return None
    return found if len(found) == KEY_BYTES else None


_LIBRARIES = (("cmarkgfm", "cmarkgfm"), ("nh3", "nh3"), ("jinja2", "jinja2"),
              ("babel", "babel"), ("pyyaml", "yaml"), ("icalendar", "icalendar"))
"""The libraries whose output a cache holds: their names as installed, and as imported."""


@functools.cache
def toolchain() -> str:
    """Return the versions of the libraries whose output a cache holds (a sanitiser upgrade
    must not be hidden by HTML cached from before it).

    Looked up once per process, and remembered between processes (beside this machine's
    key) with the status of the file each library is imported from, which an upgrade
    replaces: looking the versions up imports `importlib.metadata` and searches the installed
    packages, 60 ms of every build (a tenth of a rebuild with nothing changed)."""
    files = _library_files()
    memo = _home() / "versions.json"
    try:
        known = json.loads(memo.read_text())
        remembered = known.get("versions") if isinstance(known, dict) else None
        if isinstance(remembered, str) and known.get("files") == files:
            return remembered
    except (OSError, ValueError, RecursionError):
        pass
    versions = _versions()
    temporary = memo.with_name(f"versions.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps({"files": files, "versions": versions}))
        os.replace(temporary, memo)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
    return versions


def _versions() -> str:
    from importlib import metadata  # (only here: see `toolchain`)

    found = []
    for name, _module in _LIBRARIES:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=?")
    return ",".join(found)


def _library_files() -> list[list[object]]:
    """Return where each library is imported from and that file's status (without importing
    it); an upgrade writes the file anew."""
    import importlib.util

    found: list[list[object]] = []
    for _name, module in _LIBRARIES:
        try:
            spec = importlib.util.find_spec(module)
            origin = spec.origin if spec is not None else None
            found.append([module, origin, *(file_status(os.stat(origin)) if origin else ())])
        except (ImportError, ValueError, OSError):
            found.append([module, None])
    return found


def fingerprint(*parts: object) -> str:
    """Return a hex digest of the parts' reprs (for settings and versions)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


UNREADABLE = "unreadable"
"""The digest of a file that could not be read."""


def file_status(found: os.stat_result) -> tuple[int, ...]:
    """Return what tells a file's content unchanged without reading it, as git's index does."""
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns


def settled(found: os.stat_result, at: int) -> bool:
    """Return whether a file found at `at` (ns) was last changed long enough before: one
    changed within the file system's clock tick could change again and keep its status."""
    return max(found.st_mtime_ns, found.st_ctime_ns) < at - SETTLED_NS


@contextmanager
def lasting() -> Iterator[None]:
    """Make objects that live as long as the build (a loaded cache, parse results): the
    collector neither walks them as they are made nor afterwards (it walked a whole cache
    twice, 0.2 s, at 10,000 incidents). They are frozen until `build.rare_collections`
    hands them back, so use this within it."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


class ParseCache:
    """Cached results by key, and the content digest of each file by its status (as git's
    index does) so that an unchanged file is not even read.

    `save` keeps only what this build used. It writes nothing when that is what the cache
    holds already, and after a few edits it writes only the difference from the last full
    cache (a small signed file that names the full one it applies to), so one edit in a large
    repository doesn't rewrite tens of megabytes. Results that other processes handed over
    pickled are saved as those pickles (`pickled_already`), not pickled a second time: 0.8 s
    in one process, otherwise, at 10,000 incidents."""

    def __init__(self, root: Path, used: bool = True) -> None:
        """Load the repository's cache; with `used` False, stand in for one without reading or
        writing anything (for a build that reads no file)."""
        self.root = root
        self.path = root / FOLDER / _NAME
        self.delta_path = self.path.with_name("parsed.delta.pickle")
        self.secret = secret() if used else None
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
            with lasting():
                for keys, pickled in loaded["pickled"]:
                    entries.update((k, v) for k, v in zip(keys, pickle.loads(pickled),
                                                          strict=True) if k is not None)
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
        """Let go of the entries (the parsed files, tens of megabytes at 10,000 incidents,
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


def read_signed(secret: bytes, path: Path) -> tuple[bytes, Any] | None:
    """Return the signature and content of a file `write_signed` made with this secret; None
    for any other file (one committed by someone else is never unpickled). What it loads is
    `lasting`."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    signature, payload = raw[:32], raw[32:]
    if not hmac.compare_digest(signature, hmac.digest(secret, payload, "sha256")):
        return None
    try:
        with lasting():
            return signature, pickle.loads(payload)
    except Exception:  # a stale or damaged cache is only a slower build
        return None


def write_signed(secret: bytes, path: Path, content: Any) -> bytes:
    """Write `content` pickled and signed, atomically; return the signature, or b"" if it
    can't be written."""
    try:
        payload = pickle.dumps(content, protocol=pickle.HIGHEST_PROTOCOL)
        signature = hmac.digest(secret, payload, "sha256")
        temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        with temporary.open("wb") as handle:  # (not joined first: a copy of tens of MB)
            handle.write(signature)
            handle.write(payload)
        os.replace(temporary, path)
    except (OSError, pickle.PicklingError):
        return b""
    return signature


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept from one build to the next in the repository's cache folder.

    Compiled code runs when it is loaded, so each one is signed like the cache (a file that
    someone else put there is ignored). Jinja folds filters of fixed values into the code, and
    those depend on the site's language and settings: the folder is named by a digest of
    every setting, every template and the versions (`key`), so any change starts a new one
    and the old ones are removed. Jinja itself checks each against its template's source.
    Where nothing can be written, templates are compiled as if there were no cache."""

    def __init__(self, root: Path, key: str) -> None:
        self.secret = secret()
        parent = cache_folder(root)
        self.folder = None if parent is None or self.secret is None \
            else parent / f"templates-{key[:24]}"
        if self.folder is None or self.folder.is_dir():
            return
        try:
            self.folder.mkdir()
        except OSError:
            self.folder = None
            return
        for other in self.folder.parent.glob("templates-*"):
            if other != self.folder:
                shutil.rmtree(other, ignore_errors=True)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if self.folder is None or self.secret is None:
            return
        found = read_signed(self.secret, self.folder / f"{bucket.key}.pickle")
        if found is not None and isinstance(found[1], bytes):
            bucket.bytecode_from_string(found[1])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if self.folder is not None and self.secret is not None:
            write_signed(self.secret, self.folder / f"{bucket.key}.pickle",
                         bucket.bytecode_to_string())


class PageReuse:
    """Skips pages whose inputs have not changed since the build that made the output folder:
    the previous copy is linked in and the page is neither rendered nor written."""

    def __init__(self, root: Path, writer: Any, common: str) -> None:
        self.writer, self.common = writer, common
        self.path = root / FOLDER / f"pages-{_output_key(writer.out)}.json"
        self.old_common = ""
        self.old: dict[str, str] = self._load() if writer.previous is not None else {}
        self.new: dict[str, str] = {}
        self.linked: list[str] = []

    @property
    def fresh(self) -> bool:
        """Return True when no page can be reused: no earlier pages, or the settings, templates
        or overall status they were made with have changed."""
        return not self.old or self.old_common != self.common

    def _load(self) -> dict[str, str]:
        try:
            loaded = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(loaded, dict):
            return {}
        # Only the output that this repository's last build made may be reused: another
        # repository building into the same folder writes its own marker.
        marker = self.writer.out / MARKER
        if not loaded.get("output") or loaded.get("output") != identity(marker):
            return {}
        pages = loaded.get("pages")
        self.old_common = str(loaded.get("common", ""))
        return pages if isinstance(pages, dict) else {}

    def check(self, path: str, inputs: str) -> bool:
        """Return True (and link the old copy) when `path` was made from the same inputs."""
        key = fingerprint(self.common, inputs)
        self.new[path] = key
        if self.old.get(path) == key and self.writer.reuse(path):
            self.linked.append(path)
            return True
        return False

    def save(self) -> None:
        """Record the pages' keys and the identity of the output just committed."""
        marker = self.writer.out / MARKER
        try:
            self.path.parent.mkdir(exist_ok=True)
            temporary = self.path.with_suffix(f".tmp-{os.getpid()}")
            temporary.write_text(json.dumps({"output": identity(marker), "common": self.common,
                                             "pages": self.new}, sort_keys=True))
            os.replace(temporary, self.path)
        except OSError:
            return
