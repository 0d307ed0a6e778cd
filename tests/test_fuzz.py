"""Fuzzing: whatever an operator writes ends in a parsed value or a reported problem, never in
another exception. Examples are built from the pieces people mistype (statuses, separators,
timestamps, YAML) as well as arbitrary text."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statuspage.check.markdown import MarkdownRenderer
from statuspage.check.parse import parse_document
from statuspage.check.rules import assemble
from statuspage.errors import Problem
from statuspage.model import Component
from statuspage.read.config import SiteConfig
from statuspage.read.files import Document, split_front_matter
from statuspage.times import parse_timestamp

CONFIG = SiteConfig(root=Path("/repo"), shown_root="", title="T", url="https://t.example/",
                    timezone=ZoneInfo("Europe/Berlin"),
                    components=(Component("api", "API"), Component("web", "Web")))
NOW = parse_timestamp("2026-11-24 12:00", CONFIG.timezone)
RENDERER = MarkdownRenderer()

statuses = st.sampled_from(["Investigating", "identified", "MONITORING", "Resolved", "Fixed",
                            "In progress", "completed", "Scheduled", "Montoring", ""])
separators = st.sampled_from([" — ", " - ", " | ", " · ", " – ", ": ", " ", "—", ", ", " -- "])
stamps = st.one_of(
    st.builds(lambda d, h, m, o: f"2026-{d}:{m:02d}{o}".replace(":", f" {h:02d}:", 1),
              st.sampled_from(["11-20", "02-30", "13-01", "11-31"]), st.integers(0, 26),
              st.integers(0, 61),
              st.sampled_from(["", " +08:00", "Z", " +25:00", " UTC", "+0800"])),
    st.text(max_size=20))
headings = st.builds(lambda level, s, sep, t: f"{'#' * level} {s}{sep}{t}",
                     st.integers(1, 4), statuses, separators, stamps)
values = st.one_of(st.text(max_size=15), st.integers(), st.sampled_from(
    ["P1", "P9", "[api]", "{api: major_outage}", "{apii: down}", "2026-11-20 09:00", "yes",
     "[{at: 2026-11-20 09:00, status: partial_outage}]", "&a [1]", "*a", "!!binary aGk=", "|",
     "- x", "'unclosed"]))
front = st.dictionaries(st.sampled_from(["title", "severity", "started", "components", "type",
                                         "draft", "scheduled", "until", "internal", "extra"]),
                        values, max_size=7)


def document(keys: dict[str, object], lines: list[str], name: str) -> str:
    yaml = "\n".join(f"{k}: {v}" for k, v in keys.items())
    return f"---\n{yaml}\n---\n" + "\n\n".join(lines) + "\n"


def parse(text: str, name: str) -> list[Problem]:
    path = Path("/repo/incidents") / name
    split, problems = split_front_matter(text, f"incidents/{name}")
    if split is None:
        assert problems and all(p.is_error for p in problems)
        return problems
    found = Document(str(path), split.shown, split.front, split.body, split.body_line)
    parsed, more = parse_document(found, CONFIG, RENDERER)
    _site, checked = assemble([(parsed, problems + more)], NOW, set())
    # A broken draft reports warnings (by design) and publishes nothing.
    assert parsed.item is not None or parsed.draft or any(p.is_error for p in checked)
    return checked


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front, st.lists(st.one_of(headings, st.text(max_size=40)), max_size=6),
       st.sampled_from(["2026-11-20-x.md", "2026-11-20-x.postmortem.md", "bad name.md"]))
def test_any_document_parses_or_reports(keys: dict[str, object], lines: list[str],
                                        name: str) -> None:
    for problem in parse(document(keys, lines, name), name):
        assert problem.location.path.startswith("incidents/")
        assert "\n" not in problem.message


@settings(max_examples=1500, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_parses_or_reports(text: str) -> None:
    parse(text, "2026-11-20-any.md")
    parse("---\n" + text, "2026-11-20-any.md")
