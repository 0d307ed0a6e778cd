"""The cache folder (`.statuspage-cache/` in the repository): what one build keeps for the
next, in files signed with a key kept outside the repository (a cache file someone else
committed is never loaded), and the spare sites that rebuilds start from (see write.py).

Safe to delete at any time: a build without it is a first build, with the same output.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import secrets
import shutil
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache

FOLDER = ".statuspage-cache"
SETTLED_NS = 2_000_000_000
"""A file's status tells its content only if it was last changed this long before the build
read it: a change made later gets a later time, so it can't hide behind the status (file
times are kept at a coarse clock tick, so a change just after reading could share it)."""


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


def output_key(out: Path) -> str:
    """Return the name part that tells what belongs to one output folder apart."""
    return hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]


class Store:
    """What the builds into one output folder keep in a repository's cache folder."""

    def __init__(self, root: Path, out: Path) -> None:
        self.folder = cache_folder(root)
        self.secret = secret() if self.folder is not None else None
        self.key = output_key(out)

    def path(self, name: str) -> Path | None:
        """Return where the file `name` of this output lives (None: no cache folder)."""
        return None if self.folder is None else self.folder / f"{name}-{self.key}.pickle"

    @property
    def spare(self) -> Path | None:
        """Return where the site a build replaces waits to become the next build's start."""
        return None if self.folder is None else self.folder / f"site-{self.key}"

    def load(self, name: str, signature: bytes | None = None) -> Any:
        """Return what `save` kept under `name` for this output (if `signature` is given,
        only if it is the one `save` returned), or None."""
        path = self.path(name)
        if path is None or self.secret is None:
            return None
        found = read_signed(self.secret, path)
        if found is None or (signature is not None and found[0] != signature):
            return None
        return found[1]

    def save(self, name: str, value: Any) -> bytes:
        """Keep `value` under `name` for this output (None: forget it); return its signature,
        or b"" if nothing was kept."""
        path = self.path(name)
        if path is None or self.secret is None:
            return b""
        signature = b"" if value is None else write_signed(self.secret, path, value)
        if not signature:
            path.unlink(missing_ok=True)
        return signature


SPARES = 3
"""Spare sites kept per repository (one per output folder); the least recently used go."""


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
    """Remove a spare site, its records and what else the builds into its output folder
    keep (as `serve` does with its own when it stops)."""
    shutil.rmtree(spare, ignore_errors=True)
    for suffix in (".json", ".out.json"):
        spare.with_name(spare.name + suffix).unlink(missing_ok=True)
    key = spare.name.removeprefix("site-")
    for path in spare.parent.glob(f"*-{key}.pickle"):
        path.unlink(missing_ok=True)


KEY_BYTES = 32


def _home() -> Path:
    """Return this machine's folder for what builds share: the signing key."""
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


def file_status(found: os.stat_result) -> tuple[int, ...]:
    """Return what tells a file's content unchanged without reading it, as git's index does."""
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns


def settled(found: os.stat_result, at: int) -> bool:
    """Return whether a file found at `at` (ns) was last changed long enough before: one
    changed within the file system's clock tick could change again and keep its status."""
    return max(found.st_mtime_ns, found.st_ctime_ns) < at - SETTLED_NS


def read_signed(secret: bytes, path: str | Path) -> tuple[bytes, Any] | None:
    """Return the signature and content of a file `write_signed` made with this secret; None
    for any other file (one committed by someone else is never unpickled)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    signature, payload = raw[:32], raw[32:]
    if not hmac.compare_digest(signature, hmac.digest(secret, payload, "sha256")):
        return None
    try:
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


