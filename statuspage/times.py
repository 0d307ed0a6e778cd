"""Timestamps and durations as operators write them; every result is timezone-aware."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

_TIMESTAMP = re.compile(
    r"""^(?P<date>\d{4}-\d{2}-\d{2})
        (?:[Tt ]\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})
           (?::(?P<second>\d{2})(?:[.,](?P<frac>\d+))?)?)?
        \s*(?P<offset>[Zz]|UTC|[+-]\d{2}(?::?\d{2})?)?$""",
    re.VERBOSE,
)
_DURATION = re.compile(r"^(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m(?:in)?)?\s*(?:(\d+)s)?$")

YEARS = (1970, 2199)
"""Timestamps outside these years are typos ('0202-11-20'), not history."""
TIMESTAMP_HINT = "timestamps look like '2026-11-20 09:55 +08:00' or '2026-11-20T01:55:00Z'"


class TimeError(ValueError):
    """A timestamp or duration that can't be read; the message says why."""


def parse_timestamp(text: object, zone: tzinfo, *, date_only: bool = False) -> datetime:
    """Return the aware datetime `text` names; a time without offset is in `zone`."""
    if isinstance(text, datetime | date):
        text = text.isoformat()
    if not isinstance(text, str):
        raise TimeError(f"expected a timestamp, got {type(text).__name__}; {TIMESTAMP_HINT}")
    match = _TIMESTAMP.match(text.strip())
    if match is None:
        raise TimeError(f"'{text}' is not a timestamp; {TIMESTAMP_HINT}")
    if match["hour"] is None and match["offset"] is not None:
        raise TimeError(f"'{text}' has an offset but no time of day")
    if match["hour"] is None and not date_only:
        raise TimeError(f"'{text}' has no time of day; {TIMESTAMP_HINT}")
    try:
        day = date.fromisoformat(match["date"])
        hour, minute = int(match["hour"] or 0), int(match["minute"] or 0)
        second = int(match["second"] or 0)
        micro = int((match["frac"] or "0")[:6].ljust(6, "0"))
        naive = datetime(day.year, day.month, day.day, hour, minute, second, micro)
    except ValueError as exc:
        raise TimeError(f"'{text}' is not a real date or time ({exc})") from None
    if not YEARS[0] <= naive.year <= YEARS[1]:
        raise TimeError(f"'{text}' is not a plausible year (between {YEARS[0]} and {YEARS[1]})")
    offset = match["offset"]
    if offset is None:
        return naive.replace(tzinfo=zone)
    if offset in ("Z", "z", "UTC"):
        return naive.replace(tzinfo=UTC)
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise TimeError(f"'{text}' has an impossible offset '{offset}'")
    return naive.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes)))


def parse_date(text: object) -> date:
    """Return the calendar date `text` names (YYYY-MM-DD)."""
    if isinstance(text, date) and not isinstance(text, datetime):
        return text
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise TimeError(f"'{text}' is not a date; dates look like '2025-01-01'")
    try:
        found = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise TimeError(f"'{text}' is not a real date ({exc})") from None
    if not YEARS[0] <= found.year <= YEARS[1]:
        raise TimeError(f"'{text}' is not a plausible year (between {YEARS[0]} and {YEARS[1]})")
    return found


def parse_duration(text: object) -> timedelta:
    """Return the duration `text` names, such as '15m', '4h', '1d' or '2h30m'."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if match is None or not any(match.groups()):
        raise TimeError(f"'{text}' is not a duration; durations look like '15m', '4h' or '1d'")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def written(moment: datetime) -> str:
    """Return a timestamp the way operators write them: '2026-11-20 09:55 +08:00' (with
    seconds only when it has some, so nothing written is earlier than the moment)."""
    # (From the fields: strftime costs several times as much, thousands of times a build.)
    clock = f"{moment.hour:02d}:{moment.minute:02d}"
    if moment.second:
        clock += f":{moment.second:02d}"
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {clock} {utc_offset(moment)}"


def utc_offset(moment: datetime) -> str:
    """Return the UTC offset of an aware moment as '+08:00' or '-03:30'."""
    offset = moment.utcoffset()
    seconds = 0 if offset is None else int(offset.total_seconds())
    if seconds % 60:  # an offset in seconds, as some zones had before 1900
        text = moment.strftime("%z")
        return f"{text[:3]}:{text[3:]}"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{'-' if seconds < 0 else '+'}{hours:02d}:{minutes:02d}"
