"""Markdown to safe HTML: Python-Markdown for the syntax, nh3 for the sanitising."""

from __future__ import annotations

import html
import re

import markdown
import nh3
from markdown.extensions.toc import slugify

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
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        filter_style_properties={"text-align"},
        strip_comments=True,
    )


def _section_id(value: str, separator: str) -> str:
    """Return a heading's id, prefixed so it can never collide with the page's own ids."""
    return "section-" + slugify(value, separator)


def _markdown(baselevel: int) -> markdown.Markdown:
    return markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", "toc"],
        extension_configs={"toc": {"permalink": False, "baselevel": baselevel,
                                   "slugify": _section_id}},
        output_format="html",
    )


class MarkdownRenderer:
    """Turns operator Markdown into sanitised HTML; one per build, not shared across threads."""

    def __init__(self) -> None:
        self._document = _markdown(1)
        self._nested = _markdown(2)

    def render_many(self, texts: list[str]) -> list[str]:
        """Return each text rendered as `render(text, nested=True)` would, in one conversion.

        A file's summary and updates are converted together because Python-Markdown's cost
        is mostly per conversion; if a text swallows the separator (say an unclosed fence),
        they are converted one by one instead.
        """
        if len(texts) < 2:
            return [self.render(t, nested=True) for t in texts]
        joined = f"\n\n{_SEPARATOR}\n\n".join(texts)
        self._nested.reset()
        parts = sanitise(self._nested.convert(joined)).split(f"<p>{_SEPARATOR}</p>")
        if len(parts) != len(texts):
            return [self.render(t, nested=True) for t in texts]
        return [part.strip() for part in parts]

    def render(self, text: str, *, nested: bool = False) -> str:
        """Return the sanitised HTML for Markdown `text` ('' for blank text).

        `nested` is for summaries and updates: their headings move down one level so that a
        '#' there cannot compete with the page's own title.
        """
        if not text.strip():
            return ""
        md = self._nested if nested else self._document
        md.reset()
        return sanitise(md.convert(text)).strip()


def plain_text(fragment: str) -> str:
    """Return the text of sanitised HTML, for JSON and calendars: one line per paragraph."""
    folded = re.sub(r"\s+", " ", fragment)
    spaced = re.sub(r"</(p|li|h[2-6]|tr|pre|blockquote)>|<br\s*/?>", "\n", folded)
    text = html.unescape(nh3.clean(spaced, tags=set()))
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())
