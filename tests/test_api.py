"""The Statuspage v2 API, uptime.json and badges, checked against JSON Schema and by hand."""

from __future__ import annotations

import copy
import functools
import http.server
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, Repo
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = REPO_ROOT / "schemas"
V2_FILES = {
    "summary.json": "summary.json", "status.json": "status.json",
    "components.json": "components.json", "incidents.json": "incidents.json",
    "incidents/unresolved.json": "incidents.json",
    "scheduled-maintenances.json": "scheduled-maintenances.json",
    "scheduled-maintenances/upcoming.json": "scheduled-maintenances.json",
    "scheduled-maintenances/active.json": "scheduled-maintenances.json",
}
ID = re.compile(r"[a-z0-9]{12}")


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def validator(schema_file: str, definition: str | None = None) -> Draft202012Validator:
    schema = load(SCHEMAS / schema_file)
    Draft202012Validator.check_schema(schema)
    registry: Registry[Any] = Registry().with_resource(
        schema["$id"], Resource.from_contents(schema))
    if definition is not None:
        schema = {"$ref": f"{schema['$id']}#/$defs/{definition}"}
    return Draft202012Validator(schema, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_for(relative: str) -> Draft202012Validator:
    """Return the validator for a file under api/, as the schemas' descriptions map them."""
    if relative == "uptime.json":
        return validator("uptime.schema.json")
    if relative == "metrics.json":
        return validator("metrics.schema.json")
    if relative.startswith("badges/"):
        return validator("badge.schema.json")
    assert relative.startswith("v2/"), relative
    return validator("statuspage-v2.schema.json", V2_FILES[relative.removeprefix("v2/")])


def test_every_api_file_matches_its_schema(example_site: Path) -> None:
    files = sorted(p.relative_to(example_site / "api").as_posix()
                   for p in (example_site / "api").rglob("*") if p.is_file())
    assert sorted(f"v2/{name}" for name in V2_FILES) == [f for f in files if f.startswith("v2/")]
    assert "uptime.json" in files and "badges/status.json" in files and "metrics.json" in files
    assert len([f for f in files if f.startswith("badges/")]) == 8
    for relative in files:
        errors = [e.message for e in schema_for(relative).iter_errors(
            load(example_site / "api" / relative))]
        assert errors == [], relative


def test_formats_are_really_checked(example_site: Path) -> None:
    summary = load(example_site / "api/v2/summary.json")
    check = schema_for("v2/summary.json")
    assert check.is_valid(summary)
    for path, bad in ((("page", "updated_at"), "2026-11-24 12:00"),
                      (("page", "updated_at"), "2026-13-01T00:00:00+08:00"),
                      (("page", "url"), "not a uri")):
        broken = copy.deepcopy(summary)
        broken[path[0]][path[1]] = bad
        assert not check.is_valid(broken), bad
    uptime = load(example_site / "api/uptime.json")
    uptime["generated_at"] = "yesterday"
    assert not schema_for("uptime.json").is_valid(uptime)


def test_example_api_says_what_the_files_say(example_site: Path) -> None:
    summary = load(example_site / "api/v2/summary.json")
    assert summary["status"] == {"indicator": "minor", "description": "Minor Service Outage"}
    assert summary["page"]["url"] == "https://status.acme-ai.example"
    assert summary["page"]["time_zone"] == "Asia/Shanghai"
    assert [i["name"] for i in summary["incidents"]] == [
        "Slow Text to Speech responses for neural voices in ap-southeast"]
    assert [m["name"] for m in summary["scheduled_maintenances"]] == [
        "Database upgrade for Developer Console and Webhooks"]
    incidents = load(example_site / "api/v2/incidents.json")["incidents"]
    assert len(incidents) == 8
    assert "Voice sessions disconnecting after 30 minutes" not in json.dumps(incidents)
    started = [i["started_at"] for i in incidents]
    assert started == sorted(started, reverse=True)


def build(repo: Repo, now: str = "2026-11-24 12:00 +08:00") -> dict[str, Any]:
    result = repo.build(now)
    assert result.exit_code == 0, result.output
    return {name: load(repo.site / "api/v2" / name) for name in V2_FILES}


def incident(title: str, severity: str, component: str, status: str, started: str,
             updates: str) -> str:
    return (f"---\ntitle: {title}\nseverity: {severity}\nstarted: {started}\ncomponents:\n"
            f"  {component}: {status}\n---\n{updates}\n")


def maintenance(title: str, start: str, end: str, updates: str = "") -> str:
    return (f"---\ntitle: {title}\ntype: maintenance\ncomponents: [voice]\nscheduled: {start}\n"
            f"until: {end}\n---\nWork.\n{updates}\n")


P2 = incident("Slow API", "P2", "api", "degraded_performance", "2026-11-24 10:00 +08:00",
              "## Investigating — 2026-11-24 10:10 +08:00\nLooking.")
P0 = incident("Website down", "P0", "web", "major_outage", "2026-11-24 11:00 +08:00",
              "## Identified — 2026-11-24 11:05 +08:00\nRolling back.")
RESOLVED = incident("Old blip", "P1", "api", "partial_outage", "2026-11-20 09:00 +08:00",
                    "## Resolved — 2026-11-20 09:30 +08:00\nFixed.\n\n"
                    "## Investigating — 2026-11-20 09:05 +08:00\nLooking.")
IN_PROGRESS = maintenance("Voice work", "2026-11-24 11:00 +08:00", "2026-11-24 13:00 +08:00")


@pytest.mark.parametrize(("files", "indicator", "description"), [
    ({}, "none", "All Systems Operational"),
    ({"p2.md": P2}, "minor", "Minor Service Outage"),
    ({"p2.md": P2, "p0.md": P0}, "critical", "Major System Outage"),
    ({"old.md": RESOLVED}, "none", "All Systems Operational"),
    ({"m.md": IN_PROGRESS}, "none", "Service Under Maintenance"),
    ({"m.md": IN_PROGRESS, "p2.md": P2}, "minor", "Minor Service Outage"),
])
def test_indicator_and_description(repo: Repo, files: dict[str, str], indicator: str,
                                   description: str) -> None:
    for name, text in files.items():
        repo.incident(name, text)
    api = build(repo)
    expected = {"indicator": indicator, "description": description}
    assert api["status.json"]["status"] == expected
    assert api["summary.json"]["status"] == expected


def test_component_statuses_follow_incidents_and_maintenance(repo: Repo) -> None:
    for name, text in {"p2.md": P2, "p0.md": P0, "m.md": IN_PROGRESS}.items():
        repo.incident(name, text)
    components = build(repo)["components.json"]["components"]
    assert [(c["name"], c["status"]) for c in components] == [
        ("Core", "major_outage"), ("API", "degraded_performance"), ("Website", "major_outage"),
        ("Voice", "under_maintenance")]


def test_unresolved_and_maintenance_lists(repo: Repo) -> None:
    repo.incident("2026-11-20-old.md", RESOLVED)
    repo.incident("2026-11-24-p2.md", P2)
    repo.incident("a-future.md", maintenance("Future", "2026-11-30 02:00 +08:00",
                                             "2026-11-30 04:00 +08:00"))
    repo.incident("b-now.md", IN_PROGRESS)
    repo.incident("c-verifying.md", maintenance(
        "Checking", "2026-11-24 08:00 +08:00", "2026-11-24 10:00 +08:00",
        "## Verifying — 2026-11-24 09:50 +08:00\nChecking data."))
    repo.incident("d-done.md", maintenance("Done", "2026-11-20 02:00 +08:00",
                                           "2026-11-20 04:00 +08:00"))
    repo.incident("e-early.md", maintenance(
        "Early", "2026-11-24 11:30 +08:00", "2026-11-24 14:00 +08:00",
        "## Completed — 2026-11-24 11:50 +08:00\nDone early."))
    api = build(repo)
    unresolved = api["incidents/unresolved.json"]["incidents"]
    assert [(i["name"], i["status"], i["resolved_at"]) for i in unresolved] == [
        ("Slow API", "investigating", None)]
    assert [(i["name"], i["status"]) for i in api["incidents.json"]["incidents"]] == [
        ("Slow API", "investigating"), ("Old blip", "resolved")]
    assert api["incidents.json"]["incidents"][1]["resolved_at"] == "2026-11-20T09:30:00+08:00"
    upcoming = api["scheduled-maintenances/upcoming.json"]["scheduled_maintenances"]
    active = api["scheduled-maintenances/active.json"]["scheduled_maintenances"]
    assert [(m["name"], m["status"]) for m in upcoming] == [("Future", "scheduled")]
    assert upcoming[0]["scheduled_for"] == "2026-11-30T02:00:00+08:00"
    assert upcoming[0]["scheduled_until"] == "2026-11-30T04:00:00+08:00"
    assert sorted((m["name"], m["status"]) for m in active) == [
        ("Checking", "verifying"), ("Voice work", "in_progress")]
    every = api["scheduled-maintenances.json"]["scheduled_maintenances"]
    assert {m["name"]: m["status"] for m in every} == {
        "Future": "scheduled", "Voice work": "in_progress", "Checking": "verifying",
        "Done": "completed", "Early": "completed"}
    assert all(m["impact"] == "maintenance" for m in every)
    summary = api["summary.json"]
    assert summary["incidents"] == unresolved
    assert summary["scheduled_maintenances"] == active + upcoming
    assert summary["components"] == api["components.json"]["components"]


STEPS = """\
---
title: API falling over
severity: P1
started: 2026-11-24 10:00 +08:00
components:
  api:
    - at: 2026-11-24 10:00 +08:00
      status: degraded_performance
    - at: 2026-11-24 10:30 +08:00
      status: major_outage
  web: partial_outage
---
## Resolved — 2026-11-24 11:00 +08:00
Fixed.

## Identified — 2026-11-24 10:40 +08:00
Found it.

## Investigating — 2026-11-24 10:05 +08:00
Looking.
"""


def test_updates_newest_first_with_affected_components(repo: Repo) -> None:
    repo.incident("2026-11-24-steps.md", STEPS)
    api = build(repo)
    ids = {c["name"]: c["id"] for c in api["components.json"]["components"]}
    (found,) = api["incidents.json"]["incidents"]
    assert (found["impact"], found["status"]) == ("major", "resolved")
    assert found["started_at"] == "2026-11-24T10:00:00+08:00"
    assert found["shortlink"] == "https://status.test.example/incidents/2026-11-24-steps/"
    assert [c["name"] for c in found["components"]] == ["API", "Website"]
    changed = {c["name"]: c["updated_at"] for c in api["components.json"]["components"]}
    assert changed["API"] == changed["Website"] == changed["Core"] == "2026-11-24T11:00:00+08:00"
    updates = found["incident_updates"]
    assert [(u["status"], u["display_at"], u["body"]) for u in updates] == [
        ("resolved", "2026-11-24T11:00:00+08:00", "Fixed."),
        ("identified", "2026-11-24T10:40:00+08:00", "Found it."),
        ("investigating", "2026-11-24T10:05:00+08:00", "Looking.")]
    assert all(u["incident_id"] == found["id"] for u in updates)

    def change(name: str, old: str, new: str) -> dict[str, str]:
        return {"code": ids[name], "name": name, "old_status": old, "new_status": new}

    assert [u["affected_components"] for u in updates] == [
        [change("API", "major_outage", "operational"),
         change("Website", "partial_outage", "operational")],
        [change("API", "degraded_performance", "major_outage")],
        [change("API", "operational", "degraded_performance"),
         change("Website", "operational", "partial_outage")]]


def test_groups_and_children(repo: Repo) -> None:
    components = build(repo)["components.json"]["components"]
    by_name = {c["name"]: c for c in components}
    assert [c["name"] for c in components] == ["Core", "API", "Website", "Voice"]
    assert [c["position"] for c in components] == [1, 2, 3, 4]
    core = by_name["Core"]
    assert (core["group"], core["group_id"]) == (True, None)
    assert core["components"] == [by_name["API"]["id"], by_name["Website"]["id"]]
    assert by_name["API"]["group_id"] == by_name["Website"]["group_id"] == core["id"]
    assert (by_name["Voice"]["group"], by_name["Voice"]["group_id"]) == (False, None)
    assert "components" not in by_name["Voice"]


def walk_ids(document: Any) -> Iterator[tuple[str, str]]:
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("id", "page_id", "group_id", "incident_id", "code") and value:
                yield key, value
            elif key == "components" and value and isinstance(value[0], str):
                yield from (("child", v) for v in value)
            else:
                yield from walk_ids(value)
    elif isinstance(document, list):
        for item in document:
            yield from walk_ids(item)


def test_ids_are_short_and_stable_across_builds(repo: Repo) -> None:
    repo.incident("2026-11-24-steps.md", STEPS)
    repo.incident("m.md", maintenance("Future", "2026-11-30 02:00 +08:00",
                                      "2026-11-30 04:00 +08:00"))
    first = build(repo, "2026-11-24 12:00 +08:00")
    second = build(repo, "2026-11-28 09:00 +08:00")
    found = list(walk_ids(first))
    assert len(found) > 20
    assert all(ID.fullmatch(value) for _, value in found), found
    for name in ("incidents.json", "components.json", "scheduled-maintenances.json"):
        assert list(walk_ids(first[name])) == list(walk_ids(second[name])), name
    incident_ids = {i["id"] for i in first["incidents.json"]["incidents"]}
    maintenance_ids = {m["id"] for m in first["scheduled-maintenances.json"][
        "scheduled_maintenances"]}
    assert len(incident_ids | maintenance_ids) == 2


def test_incidents_json_holds_the_50_newest(repo: Repo) -> None:
    for day in range(52):
        month, date = (10, day + 1) if day < 31 else (11, day - 30)
        stamp = f"2026-{month:02d}-{date:02d}"
        repo.incident(f"{stamp}-n{day:02d}.md", incident(
            f"Incident {day:02d}", "P3", "web", "degraded_performance", f"{stamp} 10:00 +08:00",
            f"## Resolved — {stamp} 11:00 +08:00\nFixed."))
    incidents = build(repo)["incidents.json"]["incidents"]
    assert [i["name"] for i in incidents] == [f"Incident {n:02d}" for n in range(51, 1, -1)]


def test_badges_are_accessible_svg(example_site: Path) -> None:
    badges = sorted((example_site / "badges").glob("*.svg"))
    assert [b.stem for b in badges] == sorted(
        ["status", "chat-api", "streaming", "voice", "asr", "tts", "console", "webhooks"])
    for badge in badges:
        root = ET.parse(badge).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg", badge
        assert root.get("role") == "img"
        label = root.get("aria-label")
        assert label
        assert root.findtext("{http://www.w3.org/2000/svg}title") == label
    status = ET.parse(example_site / "badges/status.svg").getroot()
    assert status.get("aria-label") == "Acme AI Status: minor service outage"
    tts = load(example_site / "api/badges/tts.json")
    assert tts == {"schemaVersion": 1, "label": "Text to Speech",
                   "message": "degraded · 100.00 %", "color": "yellow"}


def test_badge_colour_follows_the_component(repo: Repo) -> None:
    build(repo)
    check = validator("badge.schema.json")
    calm = load(repo.site / "api/badges/web.json")
    assert check.is_valid(calm)
    assert calm == {"schemaVersion": 1, "label": "Website", "message": "operational · 100.00 %",
                    "color": "brightgreen"}
    repo.incident("p0.md", P0)
    build(repo)
    down = load(repo.site / "api/badges/web.json")
    assert check.is_valid(down)
    assert (down["label"], down["color"]) == ("Website", "red")
    assert down["message"].startswith("major outage · ")
    assert load(repo.site / "api/badges/status.json")["color"] == "red"
    svg = ET.parse(repo.site / "badges/web.svg").getroot()
    assert svg.get("aria-label", "").startswith("Website: major outage")
    assert load(repo.site / "api/badges/api.json")["color"] == "brightgreen"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_real_statuspage_consumer_reads_the_summary(
        example_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "services.json").write_text("{}")
    monkeypatch.setenv("SERVICES_JSON_PATH", str(tmp_path / "services.json"))
    checker = pytest.importorskip("statuspage_prometheus_exporter.service_checker")
    handler = functools.partial(_Quiet, directory=str(example_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/api/v2/summary.json"
        result = checker.check_status_page_service("acme", {"url": url})
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert result["success"], result.get("error")
    assert (result["raw_status"], result["status"]) == ("minor", 0)
    link = "https://status.acme-ai.example/incidents/2026-11-24-tts-latency/"
    assert [(i["name"], i["impact"], i["affected_components"], i["shortlink"])
            for i in result["incident_metadata"]] == [
        ("Slow Text to Speech responses for neural voices in ap-southeast", "minor",
         ["Text to Speech"], link)]
    assert [(m["name"], m["status"], m["scheduled_start"], m["scheduled_end"])
            for m in result["maintenance_metadata"]] == [
        ("Database upgrade for Developer Console and Webhooks", "scheduled",
         "2026-12-01T02:00:00+08:00", "2026-12-01T04:00:00+08:00")]
    degraded = {c["name"] for c in result["component_metadata"] if c["status_value"] == 0}
    assert degraded == {"Speech", "Text to Speech"}


def test_same_minute_updates_attribute_the_recovery_to_the_resolution(repo: Repo) -> None:
    repo.incident("2026-11-24-fast.md", """\
        ---
        title: Fast
        severity: P1
        started: 2026-11-24 01:05
        components: {api: major_outage}
        ---
        ## Resolved — 2026-11-24 01:25
        Fixed.

        ## Monitoring — 2026-11-24 01:25
        Watching.

        ## Identified — 2026-11-24 01:25
        Found.

        ## Investigating — 2026-11-24 01:10
        Looking.
        """)
    assert repo.build().exit_code == 0
    (incident,) = json.loads((repo.site / "api/v2/incidents.json").read_text())["incidents"]
    changes = [(u["status"], [(a["old_status"], a["new_status"]) for a in u["affected_components"]])
               for u in incident["incident_updates"]]
    assert changes == [("resolved", [("major_outage", "operational")]), ("monitoring", []),
                       ("identified", []), ("investigating", [("operational", "major_outage")])]
