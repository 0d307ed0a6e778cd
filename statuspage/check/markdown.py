"""Markdown to safe HTML: cmark-gfm (CommonMark, with GitHub's tables and strikethrough) for the
syntax, nh3 for the sanitising."""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import nh3

from .valid import attribute, mend

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
_SPLIT = f"<p>{_SEPARATOR}</p>"


def sanitise(html: str) -> str:
    """Return `html` with scripts, handlers, unsafe URLs and unknown tags removed, and still
    valid HTML."""
    return mend(_cleaner(raw=True).clean(html))


def _cleaner(raw: bool) -> nh3.Cleaner:
    """Return the sanitiser; for `raw` HTML (written by hand, not made by cmark from Markdown,
    whose attribute values are always valid) it also checks each attribute's value, which
    costs a call into Python for every attribute."""
    return nh3.Cleaner(
        tags=_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        filter_style_properties={"text-align"},
        attribute_filter=attribute if raw else None,
        strip_comments=True,
    )


def _slug(text: str) -> str:
    """Return a heading's anchor text: lower case, words joined by '-', letters of any script
    kept (so Chinese headings get readable anchors too)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    words = re.sub(r"[^\w\s-]", "", folded)
    return re.sub(r"[-\s_]+", "-", words).strip("-")


# A heading as cmark writes it, or as an operator wrote it in raw HTML (whose attributes go:
# the id is the build's to give, and the sanitiser would drop the rest). Neither part can run
# past another heading tag or '<', so a text full of unclosed headings takes linear time.
_HEADING = re.compile(r"<h([1-6])(?:\s[^<>]*)?>((?:(?!</?h[1-6][\s/>]).)*?)</h\1\s*>",
                      re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def _anchor_headings(rendered: str, shift: int) -> str:
    """Return `rendered` with every heading moved down `shift` levels (to h6 at most) and
    given an id, prefixed so it can never collide with the page's own ids and unique within
    one conversion."""
    used: set[str] = set()

    def heading(match: re.Match[str]) -> str:
        level = min(6, int(match[1]) + shift)
        base = "section-" + (_slug(html.unescape(_TAG.sub("", match[2]))) or "heading")
        anchor, count = base, 1
        while anchor in used:
            count += 1
            anchor = f"{base}-{count}"
        used.add(anchor)
        return f'<h{level} id="{anchor}">{match[2]}</h{level}>'

    return _HEADING.sub(heading, rendered)


def _cmark() -> Callable[[str], Any]:
    # (Imported here: a build that parses nothing, all of it cached, does not pay for it.)
    import cmarkgfm
    from cmarkgfm.cmark import Options

    # Raw HTML and every link target are let through to the sanitiser, which keeps what is
    # safe (<details>, <kbd>…) and drops unsafe links while keeping their text. One tilde
    # does not strike: '~5 minutes' is how operators write an estimate.
    options = (Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES
               | Options.CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE)
    return functools.partial(cmarkgfm.markdown_to_html_with_extensions, options=options,
                             extensions=("table", "strikethrough"))


class MarkdownRenderer:
    """Turns operator Markdown into sanitised HTML (the converter and the sanitiser's
    settings made once, for every file it renders)."""

    def __init__(self) -> None:
        self._to_html = _cmark()
        self._sanitiser = _cleaner(raw=False)
        self._strict = _cleaner(raw=True)

    def _clean(self, rendered: str, raw: bool = True) -> str:
        """Return rendered Markdown sanitised, without the blank space around it (which would
        otherwise end up inside a tag the sanitiser closes); `raw` when its text has '<' (it
        may hold HTML written by hand)."""
        cleaner = self._strict if raw else self._sanitiser
        return mend(str(cleaner.clean(rendered.strip())).strip())

    def render_many(self, texts: list[str]) -> list[str]:
        """Return each text rendered as `render(text, nested=True)` would, in one conversion.

        A file's summary and updates are converted together, as they share one page: heading
        anchors are unique across them and a link reference defined in one serves all. A tag
        left open in one part is closed there and can't reach into the next (each part is
        sanitised on its own, unless none can hold one). If a text swallows the separator
        (say an unclosed fence), they are converted one by one instead.
        """
        if len(texts) < 2:
            return [self.render(t, nested=True) for t in texts]
        joined = f"\n\n{_SEPARATOR}\n\n".join(texts)
        rendered = _anchor_headings(self._to_html(joined), 1)
        parts = rendered.split(_SPLIT)
        if len(parts) != len(texts):
            return [self.render(t, nested=True) for t in texts]
        if "<" not in joined and not any(_SEPARATOR in t for t in texts):
            # Without raw HTML, each part of cmark's output is whole: every separator in it
            # is one put there, at the top level (one that a fence swallows changes the
            # count, above). So one pass of the sanitiser over them all gives what one pass
            # each would.
            cleaned = mend(str(self._sanitiser.clean(rendered))).split(_SPLIT)
            if len(cleaned) == len(texts):
                return [part.strip() for part in cleaned]
        return [self._clean(part, "<" in text) for part, text in zip(parts, texts, strict=True)]

    def render(self, text: str, *, nested: bool = False) -> str:
        """Return the sanitised HTML for Markdown `text` ('' for blank text).

        `nested` is for summaries and updates: their headings move down one level so that a
        '#' there cannot compete with the page's own title.
        """
        if not text.strip():
            return ""
        return self._clean(_anchor_headings(self._to_html(text), 1 if nested else 0),
                           "<" in text)


def plain_text(fragment: str) -> str:
    """Return the text of sanitised HTML, for JSON and calendars: one line per paragraph."""
    folded = re.sub(r"\s+", " ", fragment)
    spaced = re.sub(r"</(p|li|h[2-6]|tr|pre|blockquote)>|<br\s*/?>", "\n", folded)
    text = html.unescape(nh3.clean(spaced, tags=set()))
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())
