"""Writing the site: into a temporary folder beside the output, swapped in only when whole.

The output folder is only ever replaced by one that a build finished, so readers and
uploads see the old site or the new one, never a mix. A folder that a build did not make
is never replaced.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
from pathlib import Path
from typing import Any

from .site import MARKER, MARKER_TEXT, _exchange, clean_leftovers, identity, same_device
from .spare import _matches, _out_record, _read_record, _record, _spare_record, _write_record


class SiteWriter:
    """Collects the files of one build in a temporary folder; `commit` swaps it in.

    Given a `spare` place (a path on the output's file system, such as in the cache folder),
    the folder that a commit swaps out is kept there instead of deleted, and the next build
    starts from it: only files that differ are written and only files that are gone are
    removed, so a rebuild costs what changed rather than a folder and a link per page. A spare
    is used only while its record lists what it holds and its folders' modification times show
    that nothing has been added, removed or renamed in it since; otherwise it is deleted and
    the build starts from an empty folder.

    The record of a site also lists the files its build wrote anew (when they are few): every
    other file of it is the very file of the site before it, which is the spare by the next
    build. So the next build knows those files in the spare to be the output's already, and
    keeps them without a look (`reuse`); and it records the modification times of the folders
    it left alone as the spare's record has them, without a look either.
    """

    def __init__(self, out: Path, spare: Path | None = None) -> None:
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(out)
        token = secrets.token_hex(4)
        self.tmp = out.parent / f".{out.name}.tmp-{os.getpid()}-{token}"
        self.files: set[str] = set()
        self._stale: set[str] = set()
        self._folders: set[str] = set()
        self._spare_folders: set[str] = set()
        self._fresh: set[str] = set()
        """Files this build made anew, not linked from the previous site."""
        self._unchanged: set[str] = set()
        """Files of the claimed spare known to be the previous site's very files."""
        self._touched: set[str] = set()
        """Folders whose entries this build changed (their modification time moved)."""
        self._folder_times: dict[str, int] = {}
        """The modification times of the claimed spare's folders, as checked."""
        self._current: dict[str, Any] | None = None
        """The record of the output being replaced, once read."""
        # The site being replaced, if a build made it: unchanged files are linked from it.
        self.previous = out if (out / MARKER).is_file() and not out.is_symlink() else None
        self._started = identity(out / MARKER) if self.previous else ""
        """Which site the output was when this build began (unchanged files link from it)."""
        self.spare = spare if spare is not None and same_device(spare.parent, out.parent) \
            else None
        if not self._claim_spare():
            self.tmp.mkdir()

    def _claim_spare(self) -> bool:
        """Move a trustworthy spare folder to the temporary place; False if there is none."""
        if self.spare is None or self.previous is None:
            return False
        record = _read_record(_spare_record(self.spare))
        try:
            os.rename(self.spare, self.tmp)  # one build wins the spare; others start afresh
        except OSError:
            return False
        _spare_record(self.spare).unlink(missing_ok=True)
        if record is None or not _matches(self.tmp, record):
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        (self.tmp / MARKER).unlink()
        self._stale = set(record["files"])
        self._spare_folders = set(record["folders"])
        self._folders = set(self._spare_folders)
        self._folder_times = record["folders"]
        current = self._current = _read_record(_out_record(self.spare))
        # Its list of files written anew holds against the site it replaced: this spare.
        if current is not None and isinstance(current.get("fresh"), list) \
                and current.get("identity") == self._started \
                and current.get("after") == record["identity"]:
            self._unchanged = self._stale.intersection(current["files"]).difference(
                current["fresh"])
        return True

    def _place(self, relative: str) -> str:
        """Return the file's path in the new site, its folder made, noting it as written."""
        parts = tuple(relative.split("/"))
        if any(p in ("..", ".", "") for p in parts):
            raise ValueError(f"refusing to write outside the site: {relative!r}")
        self.files.add(relative)
        self._stale.discard(relative)
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder not in self._folders:
                where = f"{self.tmp}/{folder}"
                if folder in self._stale:  # a file of the spare where a folder goes now
                    self._stale.discard(folder)
                    os.unlink(where)
                with contextlib.suppress(FileExistsError):  # made by a sibling process
                    os.mkdir(where)
                self._folders.add(folder)
                self._touched.update((folder, _parent(folder)))
        path = f"{self.tmp}/{relative}"
        if relative in self._spare_folders:  # a folder of the spare where a file goes now
            if any(f.startswith(relative + "/") for f in self.files):
                raise ValueError(f"'{relative}' is written as a file and as a folder")
            shutil.rmtree(path)
            self._touched.add(_parent(relative))
            self._spare_folders -= {f for f in self._spare_folders
                                    if f == relative or f.startswith(relative + "/")}
            self._folders -= {f for f in self._folders
                              if f == relative or f.startswith(relative + "/")}
        return path

    def write(self, relative: str, data: bytes) -> None:
        """Write one file of the site; `relative` must stay inside the site."""
        path = self._place(relative)
        if self._keep(relative, path, data):
            return
        self._fresh.add(relative)
        self._touched.add(_parent(relative))
        # Never write into a file that is there already (a spare's, or one linked in): it may
        # be the published site's file too. Made only if new, it costs no look beforehand.
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            os.unlink(path)
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view):]
        finally:
            os.close(handle)

    def _keep(self, relative: str, path: str, data: bytes) -> bool:
        """Link the previous build's copy when it has the same bytes, so an unchanged file keeps
        its modification time (rsync and CDN uploads skip it) and costs no write."""
        if self.previous is None:
            return False
        # A file known to be in place already is compared where it is: the output's copy may
        # have been replaced since (by hand, say), and it is not the one that is published.
        old = path if relative in self._unchanged else f"{self.previous}/{relative}"
        try:
            found = os.lstat(old)
            if not stat.S_ISREG(found.st_mode) or found.st_size != len(data):
                return False
            with open(old, "rb") as handle:
                if handle.read() != data:
                    return False
            if old != path and _link(found, old, path):
                self._touched.add(_parent(relative))
        except OSError:
            return False
        return True

    def reuse(self, relative: str) -> bool:
        """Link the previous build's copy of a file known to be unchanged; False if it has none."""
        if self.previous is None or ".." in relative.split("/"):
            return False
        if relative in self._unchanged:  # there already
            self._place(relative)
            return True
        old = f"{self.previous}/{relative}"
        try:
            found = os.lstat(old)
            if not stat.S_ISREG(found.st_mode):
                return False
            if _link(found, old, self._place(relative)):
                self._touched.add(_parent(relative))
        except OSError:
            return False
        return True

    def commit(self) -> None:
        """Replace the output folder with the finished one in a single step."""
        self._drop_stale()
        (self.tmp / MARKER).write_bytes(MARKER_TEXT)
        record = None
        if self.spare:
            record = _record(self.tmp, self.files, self._folders, {
                f: mtime for f, mtime in self._folder_times.items() if f not in self._touched})
            # Listed only when few (after a first build, none is the previous site's).
            record["fresh"] = sorted(self._fresh) if len(self._fresh) * 2 < len(self.files) \
                else None
        if not self.out.exists():
            os.rename(self.tmp, self.out)
            self._remember(record)
            return
        if _exchange(self.tmp, self.out):
            old = self.tmp
        else:
            old = self.out.parent / f".{self.out.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
            os.rename(self.out, old)
            os.rename(self.tmp, self.out)
        replaced = identity(old / MARKER)
        if record is not None:
            # Files not written anew were linked from the output as this build found it: from
            # the site just swapped out, unless another build replaced it meanwhile.
            if replaced != self._started:
                record["fresh"] = None
            record["after"] = replaced
        # The swapped-out site's record, as read when the spare was claimed unless another
        # build replaced the output meanwhile; not known: the site is not kept.
        previous = self._current
        if self.spare is not None and (previous is None or previous.get("identity") != replaced):
            previous = _read_record(_out_record(self.spare))
        if previous is not None and previous.get("identity") != replaced:
            previous = None
        self._remember(record)
        self._keep_spare(old, previous)

    def _drop_stale(self) -> None:
        """Remove what the spare held that this build did not write: files, then folders."""
        for relative in self._stale:
            # (It may be gone already, with a folder that this build replaced by a file.)
            with contextlib.suppress(OSError):
                os.unlink(f"{self.tmp}/{relative}")
            self._touched.add(_parent(relative))
        used = {f.rsplit("/", depth)[0] for f in self.files for depth in range(1, f.count("/") + 1)}
        for folder in sorted(self._folders - used, key=lambda f: -f.count("/")):
            try:
                (self.tmp / folder).rmdir()
            except OSError:
                shutil.rmtree(self.tmp / folder, ignore_errors=True)
            self._touched.add(_parent(folder))
        self._folders &= used

    def _remember(self, record: dict[str, Any] | None) -> None:
        """Keep the record of what the new output holds, for when it becomes the spare."""
        if self.spare is not None and record is not None:
            _write_record(_out_record(self.spare), record)

    def _keep_spare(self, old: Path, record: dict[str, Any] | None) -> None:
        """Keep the swapped-out folder as the next build's spare if its record is known."""
        if self.spare is None or record is None:
            shutil.rmtree(old, ignore_errors=True)
            return
        try:
            _write_record(_spare_record(self.spare), record)
            os.rename(old, self.spare)
            os.utime(self.spare)  # when it was last used, for pruning spares of other outputs
        except OSError:  # another build's spare is there already
            shutil.rmtree(old, ignore_errors=True)

    @property
    def count(self) -> int:
        """Return how many files the new site has so far."""
        return len(self.files)

    def hand_over(self) -> tuple[set[str], ...]:
        """Return, in a process forked from the build's, what this writer noted since it last
        handed over (the files and folders it placed, what it wrote anew and changed), for
        the build's writer to `merge`; and forget it here."""
        share = self.files, self._folders, self._fresh, self._touched
        self.files, self._folders, self._fresh, self._touched = set(), set(), set(), set()
        return share

    def merge(self, share: tuple[set[str], ...]) -> None:
        """Take in the `share` of a process forked from this writer."""
        files, folders, fresh, touched = share
        self._stale -= files
        self.files |= files
        self._folders |= folders
        self._fresh |= fresh
        self._touched |= touched

    def abort(self) -> None:
        """Throw the unfinished folder away; the output is untouched."""
        shutil.rmtree(self.tmp, ignore_errors=True)


def _link(found: os.stat_result, old: str, path: str) -> bool:
    """Make `path` the same file as `old` (whose status is `found`) unless it already is;
    return whether it was not."""
    try:
        mine = os.lstat(path)
    except FileNotFoundError:
        os.link(old, path)
        return True
    if (mine.st_dev, mine.st_ino) == (found.st_dev, found.st_ino):
        return False
    os.unlink(path)
    os.link(old, path)
    return True


def _parent(relative: str) -> str:
    """Return the folder of a path in the site ("" for the top)."""
    return relative.rpartition("/")[0]


