"""Languages: gettext catalogs (Babel) for every UI string, and dates and durations per language.

A third language is one more `locale/<code>/LC_MESSAGES/messages.po` and a line in LANGUAGES.
Catalogs are compiled in memory when a build starts, so no binary file lives in the repository.
"""

from __future__ import annotations

import gettext
import io
from datetime import date, datetime, timedelta
from importlib import resources

from babel import Locale
from babel.dates import format_skeleton

from .times import utc_offset

LANGUAGES = {"en": "en", "zh-CN": "zh_CN"}
"""Site language (as in statuspage.yaml and <html lang>) -> catalog folder and Babel locale."""


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; it is translated where shown."""
    return message


def catalog_source(language: str) -> bytes:
    """Return the `.po` file of `language` as it is (nothing for English, the source)."""
    code = LANGUAGES[language]
    if code == "en":
        return b""
    source = resources.files("statuspage") / "locale" / code / "LC_MESSAGES" / "messages.po"
    return source.read_bytes()


def translations(language: str) -> gettext.NullTranslations:
    """Return the catalog of `language`; English is the source language."""
    code = LANGUAGES[language]
    if code == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo  # (only here: every build imports this module)
    from babel.messages.pofile import read_po
    catalog = read_po(io.BytesIO(catalog_source(language)), locale=code)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class Formats:
    """Dates, months, times and durations written the way readers of a language expect."""

    def __init__(self, language: str, catalog: gettext.NullTranslations) -> None:
        self.locale = Locale.parse(LANGUAGES[language])
        self._ = catalog.gettext
        self._at = self._("%(date)s, %(time)s")
        # Babel is slow to format and a site shows the same days over and over.
        self._days: dict[date, str] = {}
        self._months: dict[date, str] = {}

    def day(self, value: date) -> str:
        """Return 'Nov 20, 2026' or '2026年11月20日'."""
        found = self._days.get(value)
        if found is None:
            found = self._days[value] = str(format_skeleton("yMMMd", value, locale=self.locale))
        return found

    def month(self, value: date) -> str:
        """Return 'November 2026' or '2026年11月'."""
        found = self._months.get(value)
        if found is None:
            found = self._months[value] = str(format_skeleton("yMMMM", value,
                                                              locale=self.locale))
        return found

    def moment(self, value: datetime, with_date: bool = True) -> str:
        """Return the date and time with the UTC offset: 'Nov 20, 2026, 09:12 UTC+08:00'."""
        # Both languages write a 24-hour clock as HH:mm (CLDR's 'Hm' skeleton).
        clock = f"{value.hour:02d}:{value.minute:02d} UTC{utc_offset(value)}"
        if not with_date:
            return clock
        return self._at % {"date": self.day(value.date()), "time": clock}

    def duration(self, delta: timedelta) -> str:
        """Return '1 h 28 min' or '1 小时 28 分钟' (days and hours past a day, minutes below)."""
        minutes = int(delta.total_seconds() // 60)
        if minutes < 1:
            return self._("< 1 min")
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = []
        if days:
            parts.append(self._("%(n)d d") % {"n": days})
        if hours:
            parts.append(self._("%(n)d h") % {"n": hours})
        if minutes and not days:
            parts.append(self._("%(n)d min") % {"n": minutes})
        return " ".join(parts)

    def minutes(self, value: float) -> str:
        """Return a downtime in minutes: '26.4 min', or as a duration past an hour."""
        if value <= 0:
            return self._("%(n)s min") % {"n": "0"}
        if value < 60:
            return self._("%(n)s min") % {"n": f"{value:.1f}".removesuffix(".0")}
        return self.duration(timedelta(minutes=value))
