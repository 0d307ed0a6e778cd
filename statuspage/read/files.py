"""Reading files: find incident files, split front matter, parse YAML keeping key line numbers.

This stage does I/O and syntax only; what the values mean is for `parse`.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from ..errors import Location, Problem, error, warning

MAX_FILE_BYTES = 1024 * 1024
"""Files larger than this are refused: a status update is never this long, a mistake often is."""

MAX_YAML_NODES = 20_000
"""YAML values expanded past this count are refused, which stops alias bombs."""

KeyPath = tuple[str | int, ...]
_PLAIN_TAGS = tuple(f"tag:yaml.org,2002:{name}" for name in
                    ("map", "seq", "str", "int", "float", "bool", "null", "timestamp"))


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML loader that leaves timestamps as text: `parse` reads them with the site zone."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class YamlData:
    """A parsed YAML mapping with the line of every key, addressed by key path."""

    value: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    first_line: int = 1

    def only(self, *keys: str) -> YamlData:
        """Return this mapping with only the given top-level keys (and their lines)."""
        value = self.value if isinstance(self.value, dict) else {}
        return YamlData({k: v for k, v in value.items() if k in keys},
                        {path: line for path, line in self.lines.items() if path[0] in keys},
                        self.first_line)

    def line(self, *path: str | int) -> int:
        """Return the line of the key at `path`, or of its nearest parent that has one."""
        keys: KeyPath = tuple(path)
        while keys:
            if keys in self.lines:
                return self.lines[keys]
            keys = keys[:-1]
        return self.first_line


@dataclass(frozen=True)
class Document:
    """One Markdown file with YAML front matter, split but not interpreted."""

    path: str
    """The file on disk (a string: a build loads ten thousand of these from its cache)."""
    shown: str
    front: YamlData
    body: str
    body_line: int
    digest: str = ""
    """The SHA-256 of the file's bytes."""

    def at(self, *keys: str | int) -> Location:
        """Return the location of a front matter key (or the file's first line)."""
        return Location(self.shown, self.front.line(*keys))


class _TooLarge(Exception):
    pass


def _construct(
    loader: Any, node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int],
    offset: int, seen: list[int], problems: list[tuple[int, str]],
) -> Any:
    seen[0] += 1
    if seen[0] > MAX_YAML_NODES:
        raise _TooLarge
    if node.tag not in _PLAIN_TAGS:
        problems.append((node.start_mark.line + offset, f"unsupported YAML tag '{node.tag}'"))
        return None
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            # Keys are taken as written: YAML 1.1 would turn 'no:' into False and '404:' into 404.
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append((key_node.start_mark.line + offset, "a key must be plain text"))
                continue
            key = str(key_node.value)
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append((key_node.start_mark.line + offset,
                                 "merge keys ('<<') are not supported; write the keys out"))
                continue
            key_line = key_node.start_mark.line + offset
            if key in result:
                problems.append((key_line, f"duplicate key '{key}'"))
            lines[(*path, key)] = key_line
            result[key] = _construct(
                loader, value_node, (*path, key), lines, offset, seen, problems
            )
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + offset
            items.append(_construct(loader, item, (*path, index), lines, offset, seen, problems))
        return items
    return loader.construct_object(node, deep=True)


def parse_yaml(text: str, shown: str, first_line: int = 1) -> tuple[YamlData | None, list[Problem]]:
    """Return the YAML in `text` (which starts at `first_line` of its file) and its problems."""
    offset = first_line
    loader = _Loader(text)
    problems: list[Problem] = []
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlData(None, {}, first_line), []
        lines: dict[KeyPath, int] = {}
        found: list[tuple[int, str]] = []
        value = _construct(loader, node, (), lines, offset, [0], found)
        problems.extend(error(Location(shown, line), message) for line, message in found)
        return YamlData(value, lines, node.start_mark.line + offset), problems
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, text, shown, first_line)]
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + first_line
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1])
        return None, [error(Location(shown, line),
                            f"YAML: character U+{code:04X} is not allowed in YAML text")]
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        return None, [error(Location(shown, first_line), f"YAML: {message}")]
    except _TooLarge:
        return None, [error(
            Location(shown, first_line),
            f"YAML expands to more than {MAX_YAML_NODES:,} values (too many aliases?)",
        )]
    except RecursionError:
        return None, [error(Location(shown, first_line), "YAML is nested too deeply")]
    finally:
        loader.dispose()


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, shown: str, first_line: int) -> Problem:
    """Return a YAML syntax error at the line a person should look at."""
    lines = text.split("\n")
    mark = exc.problem_mark
    # For an unclosed bracket or quote the parser notices lines later (or past the end); the
    # context mark is where it was opened, which is where the fix goes.
    context = exc.context or ""
    opener = "flow" in context or "quoted" in context
    if mark is None or opener or mark.index >= len(text.rstrip()):
        mark = exc.context_mark or mark
    index = min(mark.line, len(text.rstrip().split("\n")) - 1) if mark is not None else 0
    what = " ".join(str(exc.problem or exc.context or "not valid YAML").split())
    if "\t" in lines[index][: len(lines[index]) - len(lines[index].lstrip())]:
        what = "tabs are not allowed for indentation in YAML; use spaces"
    elif "mapping values are not allowed" in what:
        what += _mapping_hint(lines, index)
    return error(Location(shown, index + first_line), f"YAML syntax: {what}")


def _mapping_hint(lines: list[str], index: int) -> str:
    """Say why a 'key: value' line is not allowed where it stands: indented more than the
    line above it, or a value with ': ' in it that needs quotes."""
    line = lines[index]
    above = [a for a in lines[:index] if a.strip() and not a.lstrip().startswith("#")]
    indent = len(line) - len(line.lstrip(" "))
    if above and line.count(": ") + line.rstrip().endswith(":") == 1:
        over = len(above[-1]) - len(above[-1].lstrip(" "))
        if indent > over:
            return (f" (this line is indented {indent - over} more than the one above: keys "
                    "of one mapping need the same indentation)")
    return " (a value containing ': ' must be quoted, such as title: \"API: errors\")"


def read_text(path: Path, shown: str) -> tuple[str | None, list[Problem]]:
    """Return the file's text (BOM removed, newlines normalised) or the reason it can't be read."""
    data, problems = read_bytes(path, shown)
    return (None, problems) if data is None else decode(data, shown)


def read_bytes(path: Path | str, shown: str) -> tuple[bytes | None, list[Problem]]:
    """Return the file's bytes or the reason it can't be read (too large, no access)."""
    where = Location(shown, 1)
    try:
        with open(path, "rb") as handle:  # (the size of what is open: one look, no race)
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE_BYTES:
                return None, [error(where, f"file is {size:,} bytes; the limit is "
                                           f"{MAX_FILE_BYTES:,}")]
            return handle.read(), []
    except OSError as exc:
        return None, [error(Location(shown), f"cannot read file: {exc.strerror or exc}")]


def decode(data: bytes, shown: str) -> tuple[str | None, list[Problem]]:
    """Return a file's bytes as text (BOM removed, newlines normalised), or why they aren't."""
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        return None, [error(Location(shown, line), "binary file: contains a NUL byte")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [error(Location(shown, line), "not valid UTF-8 text")]
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


def split_front_matter(text: str, shown: str, path: str = "", digest: str = "",
                       ) -> tuple[Document | None, list[Problem]]:
    """Return the document (of the file at `path`, whose bytes have `digest`) split into front
    matter and body, or the problems found."""
    lines = text.split("\n")
    if not text.strip():
        return None, [error(Location(shown, 1), "file is empty")]
    if lines[0].rstrip() != "---":
        return None, [error(
            Location(shown, 1), "missing front matter: the file must start with a '---' line"
        )]
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            break
    else:
        return None, [error(
            Location(shown, 1), "front matter is not closed: add a '---' line after it"
        )]
    front, problems = parse_yaml("\n".join(lines[1:index]), shown, first_line=2)
    if front is None:
        return None, problems
    if front.value is None:
        front = YamlData({}, {}, 2)
    if not isinstance(front.value, dict):
        problems.append(error(
            Location(shown, 2), "front matter must be a mapping of keys to values"
        ))
        return None, problems
    body = "\n".join(lines[index + 1:])
    return Document(path, shown, front, body, index + 2, digest), problems


def load_document(path: Path, shown: str) -> tuple[Document | None, list[Problem]]:
    """Return one incident, maintenance or postmortem file, read and split."""
    data, problems = read_bytes(path, shown)
    return (None, problems) if data is None else document_of(data, path, shown)


def document_of(data: bytes, path: Path | str, shown: str, digest: str = "",
                ) -> tuple[Document | None, list[Problem]]:
    """Return one incident, maintenance or postmortem file from its bytes (whose SHA-256 is
    `digest`, if worked out already), split."""
    text, problems = decode(data, shown)
    if text is None:
        return None, problems
    digest = digest or hashlib.sha256(data).hexdigest()
    document, more = split_front_matter(text, shown, str(path), digest)
    return document, problems + more


MAX_FILES = 50_000
"""More files than this under incidents/ are refused before any is read."""


class Found(NamedTuple):
    """A Markdown file found under the incidents folder."""

    path: str
    relative: str
    """Its path below the folder, with '/' between parts."""
    link: bool
    """Whether the file itself is a symbolic link."""
    status: os.stat_result
    """Its status (of the file a link leads to)."""


def scan_documents(folder: Path, limit: int = MAX_FILES) -> list[Found] | None:
    """Return every Markdown file under `folder`, sorted, skipping hidden ones and READMEs,
    each with its status (one system call a file, for the cache to compare); None, before
    reading any, if there are more than `limit` files (is it the right folder?).

    Folders that are links are not walked into (so only a file link can lead outside)."""
    found: list[Found] = []
    seen = 0

    def walk(directory: str, prefix: str) -> bool:
        nonlocal seen
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError:
            return True
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                if not walk(entry.path, f"{prefix}{name}/"):
                    return False
                continue
            seen += 1
            if seen > limit:
                return False
            if name.endswith(".md") and name.lower() != "readme.md":
                try:
                    status = entry.stat()
                except OSError:  # a broken link
                    continue
                if stat.S_ISREG(status.st_mode):
                    found.append(Found(entry.path, prefix + name, entry.is_symlink(), status))
        return True

    if folder.is_dir() and not walk(str(folder), ""):
        return None
    found.sort(key=lambda f: f.relative.split("/"))
    return found


def find_documents(folder: Path) -> Iterator[Path]:
    """Yield the path of every file `scan_documents` finds (none if there are too many)."""
    yield from (Path(found.path) for found in scan_documents(folder) or [])


def inside_repository(root: Path, folder: Path, shown: str, found: list[Found],
                      ) -> tuple[list[tuple[Found, str]], list[Problem]]:
    """Return the files found in `folder` (shown in messages as `shown`) that lie inside the
    repository at `root`, each with its path as messages show it, and a warning for each
    link that leads outside (it is skipped)."""
    inside = root.resolve()
    # Only a link can lead outside: folders that are links are not walked into.
    linked = not folder.resolve().is_relative_to(inside)
    taken: list[tuple[Found, str]] = []
    problems: list[Problem] = []
    for file in found:
        path = f"{shown}/{file.relative}"
        if (linked or file.link) and not Path(file.path).resolve().is_relative_to(inside):
            problems.append(warning(Location(path), "a link to a file outside the repository; "
                                                    "skipped"))
        else:
            taken.append((file, path))
    return taken, problems


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """Return " (did you mean 'x'?)" for a near miss, or ''."""
    import difflib  # (only here: every build imports this module)
    by_case = [c for c in choices if c.lower() == word.lower()]
    by_start = [c for c in choices if word and c.lower().startswith(word.lower())]
    close = (by_case or (by_start if len(by_start) == 1 else [])
             or difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6))
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_keys(
    mapping: dict[Any, Any], known: tuple[str, ...], data: YamlData, shown: str,
    prefix: tuple[str | int, ...] = (), where: str = "",
) -> list[Problem]:
    """Return a warning for each key of `mapping` that is not in `known`."""
    return [
        warning(Location(shown, data.line(*prefix, key)),
                f"unknown key '{where}{key}'{suggest(str(key), known)}")
        for key in mapping if key not in known
    ]


ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
"""The name of an environment variable, as settings name secrets (`url_env`, `token_env`)."""
