"""Keeping sanitised HTML valid: the sanitiser keeps safe attributes whatever their values,
and adds `rel` to every link, even one whose unsafe `href` it removed. These rules drop
attribute values that HTML does not allow, and mend what the sanitiser leaves behind, so a
page with hostile Markdown still passes the Nu Html Checker."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"\s*\d{1,6}\s*")
_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
# The forms of an HTML date or time most authors write: a date, a date and time with an
# optional offset, a time, a month, a year.
_DATETIME = re.compile(
    r"\d{4}(?:-\d\d(?:-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?(?:Z|[+-]\d\d:?\d\d)?)?)?)?"
    r"|\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?")
_RULES = {
    "width": _NUMBER, "height": _NUMBER, "start": _NUMBER, "colspan": _NUMBER,
    "rowspan": _NUMBER, "lang": _LANGUAGE, "hreflang": _LANGUAGE, "datetime": _DATETIME,
    "scope": re.compile("row|col|rowgroup|colgroup"),
}


def attribute(_element: str, name: str, value: str) -> str | None:
    """Return an attribute's value if HTML allows it there, else None (the sanitiser then
    drops the attribute)."""
    rule = _RULES.get(name)
    if rule is not None and not rule.fullmatch(value):
        return None
    if name in ("colspan", "rowspan") and not 0 < int(value) <= 1000:
        return None
    return value


# The sanitiser writes tags one way: lower-case names, attributes in double quotes with '"'
# escaped inside, so these patterns see whole attributes.
_LINK = re.compile(r'<a((?: [a-z-]+="[^"]*")*)>')
_IMAGE = re.compile(r'<img((?: [a-z-]+="[^"]*")*)>')
_ATTRIBUTE = re.compile(r' ([a-z-]+)="[^"]*"')


def mend(fragment: str) -> str:
    """Return sanitised HTML with `rel` taken off links left without an address, `alt=""` given
    to images without one, images without an address dropped, and a <time> without a
    `datetime` (whose text would then have to be one) made a <span>."""
    if "<a " in fragment:
        fragment = _LINK.sub(_link, fragment)
    if "<img" in fragment:
        fragment = _IMAGE.sub(_image, fragment)
    if "<time" in fragment:
        fragment = _times(fragment)
    return fragment


_TIME = re.compile(r"<time((?: [a-z-]+=\"[^\"]*\")*)>|</time>")


def _times(fragment: str) -> str:
    # The sanitiser's output is well formed: each </time> closes the latest <time> still open.
    open_tags: list[bool] = []

    def swap(match: re.Match[str]) -> str:
        if match[0] == "</time>":
            return "</span>" if open_tags and open_tags.pop() else match[0]
        plain = "datetime" not in _names(match[1] or "")
        open_tags.append(plain)
        return f"<span{match[1] or ''}>" if plain else match[0]

    return _TIME.sub(swap, fragment)


def _names(attributes: str) -> set[str]:
    return set(_ATTRIBUTE.findall(attributes))


def _link(match: re.Match[str]) -> str:
    attributes = match[1]
    if "href" in _names(attributes):
        return match[0]
    return "<a" + re.sub(r' rel="[^"]*"', "", attributes) + ">"


def _image(match: re.Match[str]) -> str:
    names = _names(match[1])
    if "src" not in names:
        return ""
    return match[0] if "alt" in names else f'<img{match[1]} alt="">'
