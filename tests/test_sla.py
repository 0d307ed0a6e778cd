"""Uptime and SLA on the built pages and in api/uptime.json; per-severity records by hand."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from conftest import Repo, parse_now

from statuspage.build import load_site
from statuspage.compute.sla import periods
from statuspage.read.config import load_config


def test_uptime_json_has_the_spec_shape(example_site: Path) -> None:
    data = json.loads((example_site / "api/uptime.json").read_text())
    assert data["generated_at"] == "2026-11-24T04:00:00+00:00"
    assert data["timezone"] == "Asia/Shanghai"
    chat = next(c for c in data["components"] if c["id"] == "chat-api")
    assert set(chat) == {"id", "name", "target", "windows", "months", "days"}
    assert list(chat["windows"]) == ["7d", "30d", "90d"]
    assert len(chat["days"]) == 90 and chat["days"][-1]["date"] == "2026-11-24"
    assert chat["days"][-1]["counted_minutes"] == 720.0
    # Nov 20: partial outage 09:12-10:40 = 88 min at weight 0.3 = 26.4 min of 1440.
    nov20 = next(d for d in chat["days"] if d["date"] == "2026-11-20")
    assert nov20 == {"date": "2026-11-20", "downtime_minutes": 26.4, "counted_minutes": 1440.0,
                     "uptime": round(100 * (1 - 26.4 / 1440), 6)}
    # docs/uptime.md's worked example: October's P0 (92 min) and Nov 10's early-completed
    # maintenance (100 min left out).
    assert chat["months"]["2026-10"] == round(100 * (1 - 92 / 44640), 6)
    nov10 = next(d for d in chat["days"] if d["date"] == "2026-11-10")
    assert (nov10["counted_minutes"], nov10["uptime"]) == (1340.0, 100.0)
    voice = next(c for c in data["components"] if c["id"] == "voice")
    assert voice["days"][0]["uptime"] is None  # before `since`: no data, never 100
    assert next(iter(voice["months"])) == "2026-09"


def test_bars_are_told_in_words_with_links(example_site: Path) -> None:
    index = (example_site / "index.html").read_text()
    assert ('<li><strong>Nov 20, 2026</strong>: 98.16\u00a0% · 26.4 min downtime · '
            '<a href="incidents/2026-11-20-chat-api-errors/">Elevated error rate on Chat API</a>'
            '</li>') in index
    assert "Nov 21, 2026 – Nov 24, 2026: 100 %, no downtime" in index
    assert 'title="Nov 20, 2026: 98.16\u00a0%, 26.4 min downtime, 1 incident"' in index
    assert "90-day uptime: <strong>99.90\u00a0%</strong>" in index
    component = (example_site / "components/chat-api/index.html").read_text()
    strip = re.search(r'<div class="bars[^"]*" aria-hidden="true"[^>]*>(.*?)</div>', component,
                      re.S)
    assert strip is not None and len(re.findall(r'<i class="d-(?!pad)', strip.group(1))) == 365
    # The grid starts on a Monday: the first day (Nov 25, 2025, a Tuesday) has one pad.
    assert strip.group(1).count('<i class="d-pad">') == 1


def test_uptime_page_shows_months_against_target(example_site: Path) -> None:
    page = (example_site / "uptime/index.html").read_text()
    # October: the P0 outage of 92 min against a budget of 44.6 min.
    assert '<td class="num below" data-label="Budget left">-47.4 min</td>' in page
    assert '<span class="verdict verdict-missed">Missed</span>' in page
    assert "2026 Q4" in page and "Last 90 days" in page


def test_severity_record_by_hand(repo: Repo) -> None:
    for name, respond, resolve in (("a", 10, 100), ("b", 40, 600), ("c", 20, None)):
        updates = f"## Investigating — 2026-11-20 09:{respond:02d}\n"
        if resolve is not None:
            end = parse_now("2026-11-20 09:00") + timedelta(minutes=resolve)
            updates = f"## Resolved — {end:%Y-%m-%d %H:%M}\n" + updates
        repo.incident(f"2026-11-20-{name}.md", f"---\ntitle: {name}\nseverity: P1\n"
                                               f"started: 2026-11-20 09:00\n---\n{updates}")
    config, _ = load_config(repo.config)
    assert config is not None
    now = parse_now("2026-11-24 12:00")
    site, _ = load_site(config, now)
    last90 = periods(config, site.incidents, now)[0]
    p1 = next(r for r in last90.records if r.severity.key == "P1")
    assert p1.count == 3
    assert (p1.response.median, p1.response.worst) == (timedelta(minutes=20),
                                                       timedelta(minutes=40))
    assert (p1.response.met, p1.response.judged) == (2, 3)  # 40 min misses 30 min
    # Resolution: 100 min met, 600 min missed (8 h target), c still open and already late.
    assert (p1.resolution.median, p1.resolution.worst) == (timedelta(minutes=350),
                                                           timedelta(minutes=600))
    assert (p1.resolution.met, p1.resolution.judged) == (1, 3)
    assert p1.resolution.share_met is not None and round(p1.resolution.share_met) == 33
    assert [p.label for p in periods(config, site.incidents, now)] == ["90d", "2026 Q4"]


def test_records_are_the_same_all_day_while_no_incident_is_open(repo: Repo) -> None:
    # A quiet rebuild keeps the uptime page's records from the last full build of the day.
    for name, started, resolved in (("a", "2026-05-04 10:00", "2026-05-04 12:00"),
                                    ("c", "2026-11-20 09:00", "2026-11-20 18:00")):
        repo.incident(f"{started[:10]}-{name}.md", f"---\ntitle: {name}\nseverity: P1\n"
                                                    f"started: {started}\n---\n"
                                                    f"## Resolved — {resolved}\nDone.\n")
    config, _ = load_config(repo.config)
    assert config is not None
    now, later = parse_now("2026-11-24 00:10"), parse_now("2026-11-24 23:50")
    site, _ = load_site(config, now)
    assert periods(config, site.incidents, now) == periods(config, site.incidents, later)
    tomorrow = periods(config, site.incidents, parse_now("2026-11-25 00:10"))
    assert tomorrow != periods(config, site.incidents, later)
