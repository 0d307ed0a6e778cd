"""Markdown to safe HTML: markdown-it-py (CommonMark, with tables and strikethrough) for the
syntax, nh3 for the sanitising."""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING

import nh3

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
    "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
}
# Only attributes that are valid HTML5 and harmless; ids on headings keep their anchors.
_ATTRIBUTES = {
    "*": {"lang", "title"},
    "a": {"href", "hreflang"},
    "img": {"alt", "height", "src", "width"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "time": {"datetime"},
    "del": {"datetime"},
    "ins": {"datetime"},
    **{f"h{level}": {"id"} for level in range(2, 7)},
}
_SCHEMES = {"http", "https", "mailto"}
_SEPARATOR = "statuspage-section-break-3f9c1e"


def sanitise(html: str) -> str:
    """Return `html` with scripts, handlers, unsafe URLs and unknown tags removed."""
    return _cleaner().clean(html)


@functools.cache
def _cleaner() -> nh3.Cleaner:
    # Made once: handing the settings to nh3 at every call took more than half its time (a
    # file's summary and each update are sanitised apart, 40,000 calls at 10,000 incidents).
    return nh3.Cleaner(
        tags=_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        filter_style_properties={"text-align"},
        strip_comments=True,
    )


def _slug(text: str) -> str:
    """Return a heading's anchor text: lower case, words joined by '-', letters of any script
    kept (so Chinese headings get readable anchors too)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    words = re.sub(r"[^\w\s-]", "", folded)
    return re.sub(r"[-\s_]+", "-", words).strip("-")


def _headings(shift: int) -> Callable[[StateCore], None]:
    """Return a core rule that moves headings down `shift` levels (to h6 at most) and gives
    each an id, prefixed so it can never collide with the page's own ids and unique within
    one conversion."""
    def rule(state: StateCore) -> None:
        used: set[str] = set()
        tokens = state.tokens
        for index, token in enumerate(tokens):
            if token.type != "heading_open":
                continue
            tag = f"h{min(6, int(token.tag[1]) + shift)}"
            token.tag = tag
            inline = tokens[index + 1]
            text = "".join(child.content for child in inline.children or ()
                           if child.type in ("text", "code_inline"))
            base = "section-" + (_slug(text) or "heading")
            anchor, count = base, 1
            while anchor in used:
                count += 1
                anchor = f"{base}-{count}"
            used.add(anchor)
            token.attrSet("id", anchor)
            tokens[index + 2].tag = tag  # markdown-it emits open, inline, close in a row
    return rule


def _markdown(shift: int) -> MarkdownIt:
    # Imported only here: a build that parses nothing (all cached) does not pay for it.
    from markdown_it import MarkdownIt

    # Raw HTML is let through to the sanitiser, which keeps what is safe (<details>, <kbd>…)
    # rather than showing the tags as text.
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.core.ruler.push("statuspage_headings", _headings(shift))
    # Every link target is left to the sanitiser, which drops unsafe ones and keeps the link
    # text; markdown-it's own check would leave '[text](javascript:…)' on the page as text.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


class MarkdownRenderer:
    """Turns operator Markdown into sanitised HTML; one per build, not shared across threads."""

    def __init__(self) -> None:
        self._document = _markdown(0)
        self._nested = _markdown(1)

    def render_many(self, texts: list[str]) -> list[str]:
        """Return each text rendered as `render(text, nested=True)` would, in one conversion.

        A file's summary and updates are converted together, as the cost is partly per
        conversion, and share one page: heading anchors are unique across them and a link
        reference defined in one serves all. Each part is sanitised on its own, so a tag left
        open in one is closed there and can't reach into the next. If a text swallows the
        separator (say an unclosed fence), they are converted one by one instead.
        """
        if len(texts) < 2:
            return [self.render(t, nested=True) for t in texts]
        joined = f"\n\n{_SEPARATOR}\n\n".join(texts)
        parts = self._nested.render(joined).split(f"<p>{_SEPARATOR}</p>")
        if len(parts) != len(texts):
            return [self.render(t, nested=True) for t in texts]
        return [_clean(part) for part in parts]

    def render(self, text: str, *, nested: bool = False) -> str:
        """Return the sanitised HTML for Markdown `text` ('' for blank text).

        `nested` is for summaries and updates: their headings move down one level so that a
        '#' there cannot compete with the page's own title.
        """
        if not text.strip():
            return ""
        md = self._nested if nested else self._document
        return _clean(md.render(text))


def _clean(rendered: str) -> str:
    """Return rendered Markdown sanitised, without the blank space around it (which would
    otherwise end up inside a tag the sanitiser closes)."""
    return sanitise(rendered.strip()).strip()


def plain_text(fragment: str) -> str:
    """Return the text of sanitised HTML, for JSON and calendars: one line per paragraph."""
    folded = re.sub(r"\s+", " ", fragment)
    spaced = re.sub(r"</(p|li|h[2-6]|tr|pre|blockquote)>|<br\s*/?>", "\n", folded)
    text = html.unescape(nh3.clean(spaced, tags=set()))
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())
