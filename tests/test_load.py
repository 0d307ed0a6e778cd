"""Unit tests of statuspage.read.files (files, front matter, YAML) and statuspage.times."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statuspage.errors import Level, Location, Problem
from statuspage.i18n import Formats, translations
from statuspage.read.files import (
    MAX_FILE_BYTES,
    MAX_YAML_NODES,
    load_document,
    parse_yaml,
    read_text,
    split_front_matter,
)
from statuspage.times import (
    _TIMESTAMP,
    TimeError,
    parse_duration,
    parse_timestamp,
    written,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def messages(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


# --- front matter -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("", "f.md:1: error: file is empty", id="empty"),
    pytest.param("  \n\n", "f.md:1: error: file is empty", id="blank"),
    pytest.param("title: x\n---\n",
                 "f.md:1: error: missing front matter: the file must start with a '---' line",
                 id="no-opening"),
    pytest.param("---\ntitle: x\n\nbody\n",
                 "f.md:1: error: front matter is not closed: add a '---' line after it",
                 id="not-closed"),
    pytest.param("---\n- a\n- b\n---\n",
                 "f.md:2: error: front matter must be a mapping of keys to values", id="list"),
    pytest.param("---\njust words\n---\n",
                 "f.md:2: error: front matter must be a mapping of keys to values", id="scalar"),
    pytest.param("---\nx: [1\n---\n",
                 "f.md:2: error: YAML syntax: did not find expected ',' or ']'", id="yaml-syntax"),
])
def test_split_front_matter_refuses(text: str, expected: str) -> None:
    document, problems = split_front_matter(text, "f.md")
    assert document is None
    assert messages(problems) == [expected]


@pytest.mark.parametrize(("text", "front", "body", "body_line"), [
    pytest.param("---\n---\nbody\n", {}, "body\n", 3, id="empty-front-matter"),
    pytest.param("---\n\n---\n", {}, "", 4, id="blank-front-matter"),
    pytest.param("---\ntitle: x\n---\n\nbody", {"title": "x"}, "\nbody", 4, id="plain"),
    pytest.param("--- \ntitle: x\n...\nbody", {"title": "x"}, "body", 4, id="dots-and-spaces"),
    pytest.param("---\nwhen: 2026-11-20 09:00\n---\n", {"when": "2026-11-20 09:00"}, "", 4,
                 id="timestamps-stay-text"),
])
def test_split_front_matter_accepts(text: str, front: dict[str, str], body: str,
                                    body_line: int) -> None:
    document, problems = split_front_matter(text, "f.md")
    assert problems == []
    assert document is not None
    assert (document.front.value, document.body, document.body_line) == (front, body, body_line)


def test_key_lines_for_nested_keys_and_list_items() -> None:
    text = "---\ntitle: x\ncomponents:\n  api:\n    - {at: 1, status: a}\n    - at: 2\n" \
           "      status: b\n---\n"
    document, problems = split_front_matter(text, "f.md")
    assert problems == [] and document is not None
    front = document.front
    assert front.line("title") == 2
    assert front.line("components") == 3
    assert front.line("components", "api") == 4
    assert front.line("components", "api", 0) == 5
    assert front.line("components", "api", 1) == 6
    assert front.line("components", "api", 1, "status") == 7
    assert front.line("components", "api", 9) == 4  # falls back to the nearest parent
    assert front.line("missing") == 2
    assert document.at("components", "api", 1) == Location("f.md", 6)


def test_duplicate_key_is_reported_at_the_second_key() -> None:
    data, problems = parse_yaml("a: 1\nb:\n  c: 1\n  c: 2\n", "c.yaml")
    assert messages(problems) == ["c.yaml:4: error: duplicate key 'c'"]
    assert data is not None and data.value == {"a": 1, "b": {"c": 2}}


def test_a_key_that_is_not_text_is_an_error() -> None:
    _data, problems = parse_yaml("? [a, b]\n: 1\n", "c.yaml")
    assert messages(problems) == ["c.yaml:1: error: a key must be plain text"]


@pytest.mark.parametrize("text", [
    pytest.param("x: !!python/object:os.system echo hi\n", id="scalar"),
    # The safe loader refuses this too; it must not come back as the list ['echo hi'].
    pytest.param("x: !!python/object/apply:os.system [echo hi]\n", id="sequence"),
    pytest.param("x: !!python/object:os.Foo {a: 1}\n", id="mapping"),
])
def test_unsafe_tags_are_refused(text: str) -> None:
    data, problems = parse_yaml(text, "c.yaml")
    assert data is None or data.value == {"x": None}
    assert [(p.level, p.location.line) for p in problems] == [(Level.ERROR, 1)]
    assert problems[0].message.startswith("unsupported YAML tag 'tag:yaml.org,2002:python/")


def test_control_character_is_one_line_at_its_line() -> None:
    _data, problems = parse_yaml("a: 1\nb: x\x07y\n", "c.yaml")
    [problem] = problems
    # Problems are printed one a line: a message spanning lines breaks that format.
    assert "\n" not in problem.message
    assert problem.location == Location("c.yaml", 2)


def test_alias_bomb_is_refused_quickly() -> None:
    levels = ["a: &a [" + ", ".join(["lol"] * 9) + "]"]
    for index in range(1, 9):
        name, previous = chr(ord("a") + index), chr(ord("a") + index - 1)
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    started = time.perf_counter()
    data, problems = parse_yaml("\n".join(levels) + "\n", "bomb.yaml")
    assert time.perf_counter() - started < 2
    assert data is None
    assert messages(problems) == [
        f"bomb.yaml:1: error: YAML expands to more than {MAX_YAML_NODES:,} values "
        "(too many aliases?)"]


def test_small_aliases_still_work() -> None:
    data, problems = parse_yaml("base: &b [x, y]\nother: *b\n", "c.yaml")
    assert problems == [] and data is not None
    assert data.value == {"base": ["x", "y"], "other": ["x", "y"]}


# --- reading files ----------------------------------------------------------------------------

LF = b"---\ntitle: x\nlist:\n  - a\n---\nbody\n\n## Resolved\n"


@pytest.mark.parametrize("data", [
    pytest.param(b"\xef\xbb\xbf" + LF, id="bom"),
    pytest.param(LF.replace(b"\n", b"\r\n"), id="crlf"),
    pytest.param(b"\xef\xbb\xbf" + LF.replace(b"\n", b"\r\n"), id="bom-crlf"),
    pytest.param(LF.replace(b"\n", b"\r"), id="cr"),
])
def test_bom_and_line_endings_read_like_lf(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "lf.md").write_bytes(LF)
    (tmp_path / "other.md").write_bytes(data)
    expected, problems = load_document(tmp_path / "lf.md", "f.md")
    got, more = load_document(tmp_path / "other.md", "f.md")
    assert problems == more == []
    assert expected is not None and got is not None
    assert (got.front, got.body, got.body_line) == (expected.front, expected.body,
                                                      expected.body_line)
    assert got.front.value == {"title": "x", "list": ["a"]}


@pytest.mark.parametrize(("data", "expected"), [
    pytest.param(b"---\ntitle: x\nnote: a\x00b\n---\n",
                 "f.md:3: error: binary file: contains a NUL byte", id="nul"),
    pytest.param(b"---\ntitle: x\n---\ncaf\xe9\n", "f.md:4: error: not valid UTF-8 text",
                 id="latin-1"),
])
def test_unreadable_bytes_give_an_error_with_a_line(tmp_path: Path, data: bytes,
                                                    expected: str) -> None:
    path = tmp_path / "f.md"
    path.write_bytes(data)
    document, problems = load_document(path, "f.md")
    assert document is None
    assert messages(problems) == [expected]


def test_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_bytes(b"---\n---\n" + b"x" * (MAX_FILE_BYTES - 7))
    text, problems = read_text(path, "big.md")
    assert text is None
    assert messages(problems) == [f"big.md:1: error: file is {MAX_FILE_BYTES + 1:,} bytes; "
                                  f"the limit is {MAX_FILE_BYTES:,}"]


def test_file_at_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_bytes(b"---\n---\n" + b"x" * (MAX_FILE_BYTES - 8))
    text, problems = read_text(path, "big.md")
    assert problems == [] and text is not None and len(text) == MAX_FILE_BYTES


def test_missing_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    text, problems = read_text(tmp_path / "gone.md", "gone.md")
    assert text is None
    assert messages(problems) == ["gone.md: error: cannot read file: No such file or directory"]


# --- timestamps -------------------------------------------------------------------------------

def at(*args: int, offset: timedelta = timedelta(0), zone: tzinfo | None = None) -> datetime:
    """Return an aware datetime in `zone`, or at the fixed `offset` from UTC."""
    return datetime(*args, tzinfo=zone or timezone(offset))


EIGHT = timedelta(hours=8)


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("2026-11-20 09:55 +08:00", at(2026, 11, 20, 9, 55, offset=EIGHT), id="colon"),
    pytest.param("2026-11-20 09:55 +0800", at(2026, 11, 20, 9, 55, offset=EIGHT), id="no-colon"),
    pytest.param("2026-11-20 09:55+08", at(2026, 11, 20, 9, 55, offset=EIGHT), id="hours-only"),
    pytest.param("2026-11-20 09:55 -05:30",
                 at(2026, 11, 20, 9, 55, offset=-timedelta(hours=5, minutes=30)), id="negative"),
    pytest.param("2026-11-20T01:55:00Z", at(2026, 11, 20, 1, 55), id="z"),
    pytest.param("2026-11-20t01:55z", at(2026, 11, 20, 1, 55), id="lowercase-t-z"),
    pytest.param("2026-11-20 01:55 UTC", at(2026, 11, 20, 1, 55), id="utc"),
    pytest.param("2026-11-20 09:55", at(2026, 11, 20, 9, 55, zone=SHANGHAI), id="naive-in-zone"),
    pytest.param(" 2026-11-20 9:55 ", at(2026, 11, 20, 9, 55, zone=SHANGHAI), id="one-digit-hour"),
    pytest.param("2026-11-20 09:55:07", at(2026, 11, 20, 9, 55, 7, zone=SHANGHAI), id="seconds"),
    pytest.param("2026-11-20T09:55:07.25+08:00", at(2026, 11, 20, 9, 55, 7, 250000, offset=EIGHT),
                 id="fraction"),
    pytest.param("2026-11-20 09:55:07,123456789Z", at(2026, 11, 20, 9, 55, 7, 123456),
                 id="long-fraction-comma"),
    pytest.param(datetime(2026, 11, 20, 9, 55), at(2026, 11, 20, 9, 55, zone=SHANGHAI),
                 id="datetime-object"),
])
def test_parse_timestamp(text: object, expected: datetime) -> None:
    got = parse_timestamp(text, SHANGHAI)
    assert got == expected
    assert got.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("2026-11-20", "has no time of day", id="date-only"),
    pytest.param("2026-02-30 10:00", "is not a real date or time", id="feb-30"),
    pytest.param("2026-11-20 24:00", "is not a real date or time", id="hour-24"),
    pytest.param("2026-11-20 09:60", "is not a real date or time", id="minute-60"),
    pytest.param("2026-11-20 09:55 +24:00", "has an impossible offset", id="offset-24"),
    pytest.param("2026-11-20 +08:00", "has an offset but no time of day", id="offset-no-time"),
    pytest.param("20 Nov 2026 09:55", "is not a timestamp", id="prose"),
    pytest.param("2026-11-20 09:55 CST", "is not a timestamp", id="zone-abbreviation"),
    pytest.param("", "is not a timestamp", id="empty"),
    pytest.param(1700000000, "expected a timestamp, got int", id="number"),
    pytest.param(None, "expected a timestamp, got NoneType", id="none"),
])
def test_parse_timestamp_rejects(text: object, message: str) -> None:
    with pytest.raises(TimeError, match=message):
        parse_timestamp(text, SHANGHAI)


def test_date_only_when_asked() -> None:
    assert parse_timestamp("2026-11-20", SHANGHAI, date_only=True) == at(2026, 11, 20,
                                                                          zone=SHANGHAI)
    assert parse_timestamp(date(2026, 11, 20), UTC, date_only=True) == at(2026, 11, 20)
    with pytest.raises(TimeError, match="not a real date"):
        parse_timestamp("2026-02-30", SHANGHAI, date_only=True)


# --- durations --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("15m", timedelta(minutes=15)),
    ("15min", timedelta(minutes=15)),
    ("4h", timedelta(hours=4)),
    ("1d", timedelta(days=1)),
    ("2h30m", timedelta(hours=2, minutes=30)),
    ("2h 30m", timedelta(hours=2, minutes=30)),
    ("1d2h", timedelta(days=1, hours=2)),
    ("30s", timedelta(seconds=30)),
])
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "15", "15 minutes", "1.5h", "-5m", "m", "30m2h", "4 hours",
                                  None, 15])
def test_parse_duration_rejects(text: object) -> None:
    with pytest.raises(TimeError, match="is not a duration; durations look like '15m'"):
        parse_duration(text)


@pytest.mark.parametrize(("delta", "expected"), [
    (timedelta(0), "< 1 min"),
    (timedelta(seconds=59), "< 1 min"),
    (timedelta(minutes=-5), "< 1 min"),
    (timedelta(minutes=1), "1 min"),
    (timedelta(hours=1), "1 h"),
    (timedelta(minutes=88), "1 h 28 min"),
    (timedelta(days=1), "1 d"),
    (timedelta(days=3, hours=2, minutes=5), "3 d 2 h"),
])
def test_format_duration(delta: timedelta, expected: str) -> None:
    assert Formats("en", translations("en")).duration(delta) == expected


# --- properties -------------------------------------------------------------------------------

@settings(max_examples=300)
@given(st.text(), st.booleans())
def test_front_matter_and_yaml_never_raise(text: str, fenced: bool) -> None:
    text = f"---\n{text}\n---\nbody" if fenced else text
    document, problems = split_front_matter(text, "f.md")
    assert document is not None or any(p.is_error for p in problems)
    assert all(p.location.path == "f.md" and p.location.line >= 1 for p in problems)
    data, problems = parse_yaml(text, "f.yaml")
    assert data is not None or any(p.is_error for p in problems)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), st.from_regex(_TIMESTAMP, fullmatch=True)))
def test_parse_timestamp_is_aware_or_time_error(text: str) -> None:
    try:
        got = parse_timestamp(text, SHANGHAI)
    except TimeError:
        return
    assert got.tzinfo is not None and got.utcoffset() is not None


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2198, 1, 1),
                    timezones=st.sampled_from([
                        UTC, SHANGHAI, ZoneInfo("America/St_Johns"), ZoneInfo("Asia/Kathmandu"),
                        ZoneInfo("Pacific/Chatham"), timezone(timedelta(hours=-3, minutes=-30)),
                        ZoneInfo("Europe/Amsterdam")])))
def test_written_times_read_back_as_the_same_moment(moment: datetime) -> None:
    # As operators write them, in any zone, offsets west of UTC and of half hours too.
    moment = moment.replace(microsecond=0)
    text = written(moment)
    assert text[-6] in "+-" and text[-3] == ":"
    # (Compared as instants: an aware time in a zone's repeated hour equals no other.)
    assert parse_timestamp(text, UTC).timestamp() == moment.timestamp()
