"""Work shared among forked processes: each takes the next piece nobody has taken, so however
the pieces' costs fall, the processes finish close together.

Only where fork exists and no other thread runs in this process (a process forked while a
thread holds a lock can hang on that lock); otherwise the work is done here, in turn.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import struct
import tempfile
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import IO, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_PIECES = 4096
"""Pieces handed out through one pipe (4 bytes each: a pipe holds 64 KiB unread)."""


class ProcessFailed(Exception):
    """A process doing a share of the work stopped or raised; the message says which."""


def processes_for(pieces: int, at_least: int) -> int:
    """Return how many processes to share `pieces` of work among: one below `at_least`, or
    where processes can't be forked safely; else as many as there are cores (at most 8)."""
    if pieces < at_least or not hasattr(os, "fork") or threading.active_count() > 1:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def shared(job: Callable[[T], R], pieces: Sequence[T], processes: int,
           before: Callable[[], object] = lambda: None) -> list[R]:
    """Return `job` of each piece, in order, worked out by `processes` processes: this one
    and forked ones, each taking the next piece in turn. `before` runs in this process once
    the others are started (work that only it does). A process that raises or dies raises
    ProcessFailed here, once all have stopped."""
    if processes <= 1 or len(pieces) <= 1 or threading.active_count() > 1:
        before()
        return [job(piece) for piece in pieces]
    if len(pieces) > MAX_PIECES:
        raise ValueError(f"at most {MAX_PIECES} pieces")
    read_end, write_end = os.pipe()
    os.write(write_end, b"".join(struct.pack("!I", n) for n in range(len(pieces))))
    os.close(write_end)
    children: list[tuple[int, IO[bytes]]] = []
    with contextlib.ExitStack() as files:
        try:
            for _ in range(processes - 1):
                results: IO[bytes] = files.enter_context(tempfile.TemporaryFile())
                pid = os.fork()
                if pid == 0:  # pragma: no cover (in the child)
                    _child(job, pieces, read_end, results)
                children.append((pid, results))
            before()
            found = dict(_take(job, pieces, read_end))
        except BaseException:
            while os.read(read_end, 65536):  # the others stop at their next piece
                pass
            raise
        finally:
            failures = [f for f in (_wait(pid, results) for pid, results in children) if f]
            os.close(read_end)
        if failures:
            raise ProcessFailed(failures[0])
        for _pid, results in children:
            results.seek(0)
            found.update(pickle.load(results))
    return [found[n] for n in range(len(pieces))]


def _take(job: Callable[[T], R], pieces: Sequence[T], tasks: int) -> list[tuple[int, R]]:
    """Return (number, result) of each piece this process takes until none is left."""
    done = []
    while len(taken := os.read(tasks, 4)) == 4:
        (number,) = struct.unpack("!I", taken)
        done.append((number, job(pieces[number])))
    return done


def _child(job: Callable[[T], R], pieces: Sequence[T], tasks: int,
           results: IO[bytes]) -> None:
    """Take pieces until none is left, write what they gave, and end this process without
    running anything the parent set up for its own exit."""
    status = 0
    try:
        gc.freeze()  # what was inherited stays shared with the parent, page for page
        done = _take(job, pieces, tasks)
        pickle.dump(done, results, protocol=pickle.HIGHEST_PROTOCOL)
        results.flush()
    except BaseException:
        status = 1
        try:
            results.seek(0)
            results.truncate()
            results.write(traceback.format_exc().encode())
            results.flush()
        except BaseException:
            pass
    finally:
        os._exit(status)


def _wait(pid: int, results: IO[bytes]) -> str:
    """Wait for a child; return why it failed, or ''."""
    _pid, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        return ""
    if os.WIFSIGNALED(status):
        return f"stopped by signal {os.WTERMSIG(status)} (out of memory?)"
    results.seek(0)
    text = results.read().decode(errors="replace").strip()
    return text.splitlines()[-1] if text else f"exited with status {os.WEXITSTATUS(status)}"
