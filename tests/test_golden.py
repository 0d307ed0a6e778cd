"""The example site, built with a fixed `now`, against reviewed golden files.

Run `pytest tests/test_golden.py --update-golden` after an intended change and review the diff.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden" / "example"


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_example_matches_golden_files(example_site: Path, request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--update-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(example_site, GOLDEN)
    built, golden = _tree(example_site), _tree(GOLDEN)
    assert sorted(built) == sorted(golden), "files added or missing; --update-golden and review"
    for name, content in built.items():
        if content != golden[name]:
            diff = "\n".join(difflib.unified_diff(
                golden[name].decode(errors="replace").splitlines(),
                content.decode(errors="replace").splitlines(),
                f"golden/{name}", f"built/{name}", lineterm="", n=2))
            pytest.fail(f"{name} differs from its golden file:\n{diff[:4000]}")


def test_example_shows_what_a_customer_needs(example_site: Path) -> None:
    index = (example_site / "index.html").read_text()
    assert '<h1 id="overall">Minor Service Outage</h1>' in index
    assert "Slow Text to Speech responses" in index
    assert "Database upgrade for Developer Console and Webhooks" in index
    incident = (example_site / "incidents/2026-10-14-chat-api-outage/index.html").read_text()
    assert 'id="postmortem"' in incident
    assert "Major outage" in incident
    assert (example_site / "history/2026-10/index.html").is_file()
    assert "2026-11-22-voice-call-drops" not in "".join(
        p.as_posix() for p in example_site.rglob("*"))
