"""The incremental-build cache: parsed files keyed by a hash of their bytes and of everything
that shapes how they parse (settings, package version).

Safe to delete at any time, and it never makes a build wrong: a key covers every input of
the cached result. It is a pickle, so it is signed with a key kept outside the repository
(under the user's cache folder): a cache file committed by someone else is ignored, never
loaded.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import secrets
from importlib import metadata
from pathlib import Path
from typing import Any

from .write import MARKER

FOLDER = ".statuspage-cache"
_NAME = "parsed.pickle"
FORMAT = 2
"""The shape of cached entries; a cache of another shape is ignored, whatever its keys."""


def _secret() -> bytes | None:
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "statuspage"
    key = home / "key"
    try:
        if not key.is_file():
            home.mkdir(parents=True, exist_ok=True)
            fresh = secrets.token_bytes(32)
            descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(fresh)
        return key.read_bytes()
    except OSError:
        return None


def toolchain() -> str:
    """Return the versions of the libraries whose output a cache holds (a sanitiser upgrade
    must not be hidden by HTML cached from before it)."""
    found = []
    for name in ("markdown", "nh3", "jinja2", "babel", "pyyaml", "icalendar"):
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=?")
    return ",".join(found)


def fingerprint(*parts: object) -> str:
    """Return a hex digest of the parts' reprs (for settings and versions)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class ParseCache:
    """Cached results by key; `save` keeps only the keys used by this build."""

    def __init__(self, root: Path) -> None:
        self.path = root / FOLDER / _NAME
        self.secret = _secret()
        self.old: dict[str, Any] = self._load()
        self.new: dict[str, Any] = {}

    def _load(self) -> dict[str, Any]:
        if self.secret is None:
            return {}
        try:
            raw = self.path.read_bytes()
        except OSError:
            return {}
        signature, payload = raw[:32], raw[32:]
        if not hmac.compare_digest(signature, hmac.digest(self.secret, payload, "sha256")):
            return {}
        try:
            loaded = pickle.loads(payload)
        except Exception:  # a stale or damaged cache is only a slower build
            return {}
        if not isinstance(loaded, dict) or loaded.get("format") != FORMAT:
            return {}
        entries = loaded.get("entries")
        return entries if isinstance(entries, dict) else {}

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

    def save(self) -> None:
        """Write the cache atomically; a read-only repository just goes without."""
        if self.secret is None:
            return
        try:
            payload = pickle.dumps({"format": FORMAT, "entries": self.new},
                                   protocol=pickle.HIGHEST_PROTOCOL)
            self.path.parent.mkdir(exist_ok=True)
            (self.path.parent / ".gitignore").write_text("*\n")
            temporary = self.path.with_suffix(f".tmp-{os.getpid()}")
            temporary.write_bytes(hmac.digest(self.secret, payload, "sha256") + payload)
            os.replace(temporary, self.path)
        except (OSError, pickle.PicklingError):
            return


class PageReuse:
    """Skips pages whose inputs have not changed since the build that made the output folder:
    the previous copy is linked in and the page is neither rendered nor written."""

    def __init__(self, root: Path, writer: Any, common: str) -> None:
        self.writer, self.common = writer, common
        out = str(writer.out.resolve())
        self.path = root / FOLDER / f"pages-{hashlib.sha256(out.encode()).hexdigest()[:16]}.json"
        self.old: dict[str, str] = self._load() if writer.previous is not None else {}
        self.new: dict[str, str] = {}
        self.linked: list[str] = []

    @staticmethod
    def _identity(marker: Path) -> str:
        """Return what tells this build's output apart from any other build's: its marker
        file is written anew by every build, so its inode and time change each time."""
        try:
            found = marker.stat()
        except OSError:
            return ""
        return f"{found.st_dev}:{found.st_ino}:{found.st_mtime_ns}"

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
        if not loaded.get("output") or loaded.get("output") != self._identity(marker):
            return {}
        pages = loaded.get("pages")
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
            temporary.write_text(json.dumps({"output": self._identity(marker),
                                             "pages": self.new}, sort_keys=True))
            os.replace(temporary, self.path)
        except OSError:
            return
