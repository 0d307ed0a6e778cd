"""Results of pure functions kept from one build to the next, each under a digest of the
code, the function and the reprs of its arguments: a function whose arguments are all it
reads (as outputs' makers are) gives the same result for the same key. What a build does not
ask for is not kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .keys import digest
from .store import Store

R = TypeVar("R")


class Memo:
    """Remembers what pure functions returned (`__call__`), for this build and the next."""

    def __init__(self, store: Store, code: str) -> None:
        self.store, self.code = store, code
        found = store.load("memo")
        self.old: dict[str, Any] = found if isinstance(found, dict) else {}
        self.new: dict[str, Any] = {}

    def __call__(self, function: Callable[..., R], *args: Any) -> R:
        """Return `function(*args)`, remembered under the reprs of its arguments."""
        key = digest(self.code, function.__module__, function.__qualname__, args)
        if key in self.new:
            found: R = self.new[key]
        elif key in self.old:
            found = self.new[key] = self.old[key]
        else:
            found = self.new[key] = function(*args)
        return found

    def save(self) -> None:
        """Keep what this build asked for, if that is not what was kept already."""
        if self.new.keys() != self.old.keys():
            self.store.save("memo", self.new)
