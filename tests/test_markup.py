"""Markdown rendering: CommonMark with tables, headings moved down and given unique anchors,
and the joined conversion of a file's sections giving what one by one would."""

from __future__ import annotations

import re
import signal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statuspage.check.markdown import MarkdownRenderer, sanitise

RENDERER = MarkdownRenderer()


@pytest.mark.parametrize(("text", "nested", "expected"), [
    ("# Title", True, '<h2 id="section-title">Title</h2>'),
    ("## Root cause", False, '<h2 id="section-root-cause">Root cause</h2>'),
    ("###### Deep", True, '<h6 id="section-deep">Deep</h6>'),
    ("## 根本原因", False, '<h2 id="section-根本原因">根本原因</h2>'),
    ("## `api` errors!", False, '<h2 id="section-api-errors"><code>api</code> errors!</h2>'),
    ("## ???", False, '<h2 id="section-heading">???</h2>'),
    ("Text\n- one\n- two", True, "<p>Text</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
    ("~~gone~~", True, "<p><del>gone</del></p>"),
    # One tilde is an estimate, not a strikethrough.
    ("back in ~5 min, ~10 at most", True, "<p>back in ~5 min, ~10 at most</p>"),
    # Headings written as HTML are moved and anchored like Markdown ones; their own ids go,
    # so they cannot collide with the page's.
    ('<h2 id="main" class="x">Raw</h2>', True, '<h3 id="section-raw">Raw</h3>'),
    ("Two\nlines\n===", True, '<h2 id="section-two-lines">Two\nlines</h2>'),
    # A link whose address was unsafe keeps its text, without a 'rel' (invalid without href).
    ("[x](javascript:alert(1))", True, "<p><a>x</a></p>"),
])
def test_renders(text: str, nested: bool, expected: str) -> None:
    assert RENDERER.render(text, nested=nested) == expected


def test_repeated_headings_get_distinct_anchors() -> None:
    html = RENDERER.render("## Fix\n\n## Fix\n\n## Fix")
    assert [f'id="section-fix{n}"' in html for n in ("", "-2", "-3")] == [True] * 3


def test_tables_keep_their_alignment() -> None:
    html = RENDERER.render("| region | rate |\n|---|---:|\n| eu | 1% |")
    assert '<th style="text-align:right">rate</th>' in html
    assert '<td style="text-align:right">1%</td>' in html


@pytest.mark.parametrize("texts", [
    ["Summary.", "Update *one*.", "- a\n- b"],
    ["", "```\nunclosed fence", "after"],
    ["<pre>\nraw", "next"],
    # A tag left open in one part is closed in that part, not in a later one.
    ['<a href="https://elsewhere.example/">', "We are investigating.", "Resolved."],
    ["<div>", "x"],
    ["Text <table><tr><td>", "x", "y"],
])
def test_joined_conversion_equals_one_by_one(texts: list[str]) -> None:
    assert RENDERER.render_many(texts) == [RENDERER.render(t, nested=True) for t in texts]


def test_anchors_are_unique_across_a_files_sections() -> None:
    # The summary and updates share one page, so they share one set of anchors.
    assert RENDERER.render_many(["## Same", "## Same"]) == [
        '<h3 id="section-same">Same</h3>', '<h3 id="section-same-2">Same</h3>']


_MARKDOWN = st.lists(st.one_of(
    st.text(alphabet="ab #*_`~-=|:.()[]!&;\\\n\t1>", max_size=30),
    # Pieces that open and close fences, lists and quotes, and the separator itself.
    st.sampled_from(["\n```\n", "\n``` x\n", "\n```a`\n", "\n- ", "\n  ", "\n> ",
                     "statuspage-section-break-3f9c1e"])), max_size=6).map("".join)


@given(st.lists(_MARKDOWN, min_size=2, max_size=5))
def test_one_sanitiser_pass_over_all_parts_equals_one_each(texts: list[str]) -> None:
    # Without raw HTML, a file's sections are sanitised in one pass. Cut apart, each must be
    # whole (no tag left open for the next, none closed that it did not open), and equal to
    # what sanitising section by section gives. Anchors aside: they are unique across the
    # sections, so they differ from those of single conversions.
    joined = RENDERER.render_many(texts)
    assert all(sanitise(h) == h for h in joined)
    source = "".join(texts)
    if "]:" in source or "statuspage-section-break-3f9c1e" in source:
        return  # a link reference serves all sections; a separator in the text is text
    one_by_one = [RENDERER.render(t, nested=True) for t in texts]
    assert [re.sub(r' id="[^"]*"', "", h) for h in joined] == \
        [re.sub(r' id="[^"]*"', "", h) for h in one_by_one]


@pytest.mark.parametrize("text", ["<h2>" * 250_000, "<h2 " * 250_000, "<h2>a</h3>" * 100_000])
def test_unclosed_headings_take_linear_time(text: str) -> None:
    # A megabyte of unclosed heading tags (the largest file a build reads) renders at once;
    # a pattern that searched to the end from each of them took half an hour.
    def too_slow(*_: object) -> None:
        raise TimeoutError("rendering took more than 20 s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(20)
    try:
        assert RENDERER.render(text, nested=True) is not None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
