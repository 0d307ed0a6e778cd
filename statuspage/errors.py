"""Problems found in a status repository, and the exception that carries them."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Level(enum.Enum):
    """How bad a problem is: errors stop a build, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file: the path as shown to the user and a 1-based line (0 = whole file)."""

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, printed as `path:line: error|warning: message`."""

    level: Level
    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.level.value}: {self.message}"

    @property
    def is_error(self) -> bool:
        """Return whether this problem stops a build."""
        return self.level is Level.ERROR


def error(location: Location, message: str) -> Problem:
    """Return an error problem."""
    return Problem(Level.ERROR, location, message)


def warning(location: Location, message: str) -> Problem:
    """Return a warning problem."""
    return Problem(Level.WARNING, location, message)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Return the problems ordered by path, then line, errors before warnings on a line."""
    return sorted(
        problems,
        key=lambda p: (p.location.path, p.location.line, p.level is not Level.ERROR, p.message),
    )


def summary(problems: Iterable[Problem]) -> str:
    """Return the closing count line, for example '2 errors, 1 warning'."""
    items = list(problems)
    errors = sum(1 for p in items if p.is_error)
    warnings = len(items) - errors
    if not items:
        return "no problems"
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts)


class BuildFailed(Exception):
    """Raised when a build cannot go on; carries every problem found so far."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sort_problems(problems)
        super().__init__(summary(self.problems))
