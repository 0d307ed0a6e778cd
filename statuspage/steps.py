"""Adding component status steps to an incident's front matter, for `update --component`.

Only the lines of the component changed are touched: a component written with one status
(`api: partial_outage`) becomes a list of steps starting at `started`, a list of steps gets one
more at its end, a component not yet named is added with its first step. Every other byte of
the file stays as it was.
"""

from __future__ import annotations

from datetime import datetime

from .read.files import split_front_matter
from .times import written


class StepError(Exception):
    """The front matter is written in a way these edits do not change by themselves."""


def add_step(text: str, shown: str, cid: str, status: str, at: datetime,
             started: datetime) -> str:
    """Return `text` (a whole incident file, newlines as '\\n') with component `cid` set to
    `status` from `at`; `started` dates the first step of a component that had one status."""
    document, _problems = split_front_matter(text, shown)
    if document is None:
        raise StepError(f"{shown}: fix its front matter first (run 'statuspage check')")
    lines = text.split("\n")
    step = f"{{at: {written(at)}, status: {status}}}"
    front = document.front
    components = front.value.get("components")
    if "components" not in front.value:
        close = document.body_line - 2  # the index of the closing '---'
        lines[close:close] = ["components:", f"  {cid}:", f"    - {step}"]
        return "\n".join(lines)
    top = front.line("components") - 1
    if not isinstance(components, dict) or "{" in lines[top].partition(":")[2]:
        raise StepError(f"{shown}:{top + 1}: components: written on one line or not as a "
                        "mapping; add the step by hand")
    value = components.get(cid)
    if cid not in components:
        last = max(line for path, line in front.lines.items() if path[0] == "components")
        first = front.line("components", next(iter(components))) - 1 if components else top
        indent = _indent(lines[first]) if components else "  "
        lines[last:last] = [f"{indent}{cid}:", f"{indent}  - {step}"]
    elif isinstance(value, str):
        where = front.line("components", cid) - 1
        indent = _indent(lines[where])
        lines[where:where + 1] = [f"{indent}{cid}:",
                                  f"{indent}  - {{at: {written(started)}, status: {value}}}",
                                  f"{indent}  - {step}"]
    elif isinstance(value, list) and value:
        first = front.line("components", cid, 0) - 1
        if not lines[first].lstrip().startswith("- "):
            raise StepError(f"{shown}:{first + 1}: components: {cid}: its steps are written "
                            "on one line; add the step by hand")
        last = max(line for path, line in front.lines.items()
                   if path[:2] == ("components", cid))
        lines[last:last] = [f"{_indent(lines[first])}- {step}"]
    else:
        where = front.line("components", cid)
        raise StepError(f"{shown}:{where}: components: {cid}: expected a status or a list of "
                        "steps; fix it first (run 'statuspage check')")
    return "\n".join(lines)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" "))]
