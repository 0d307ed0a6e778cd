"""Incremental builds: the cache and page reuse never make a build wrong (an incremental build
equals a clean one, byte for byte), unchanged files are not rewritten, and a cache file that
this machine did not sign is never loaded."""

from __future__ import annotations

import hmac
import pickle
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE_NOW, REPO_ROOT, run_cli

from statuspage.cache import ParseCache


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "status"
    root.mkdir()
    shutil.copy(REPO_ROOT / "statuspage.yaml", root / "statuspage.yaml")
    shutil.copytree(REPO_ROOT / "incidents", root / "incidents")
    return root


def build(root: Path, now: str = EXAMPLE_NOW) -> None:
    result = run_cli("build", "--config", str(root / "statuspage.yaml"), "--now", now)
    assert result.exit_code == 0, result.output


def test_incremental_build_equals_a_clean_build(example: Path) -> None:
    build(example)
    assert (example / ".statuspage-cache").is_dir()
    incident = example / "incidents/2026-11-20-chat-api-errors.md"
    incident.write_text(incident.read_text().replace("Error rates have been normal",
                                                     "Error rates have stayed normal"))
    (example / "incidents/2026-11-23-new.md").write_text(
        "---\ntitle: New one\nseverity: P3\nstarted: 2026-11-23 08:00\n"
        "components: {console: degraded_performance}\n---\n"
        "## Resolved — 2026-11-23 09:00\nDone.\n")
    postmortem = example / "incidents/2026-11-20-chat-api-errors.postmortem.md"
    postmortem.write_text(postmortem.read_text().replace("---\n", "---\npublished: "
                                                         "2026-11-23 10:00\n", 1))
    build(example, "2026-11-24 13:00")
    incremental = tree(example / "site")
    shutil.rmtree(example / ".statuspage-cache")
    shutil.rmtree(example / "site")
    build(example, "2026-11-24 13:00")
    assert tree(example / "site") == incremental
    assert b"Error rates have stayed normal" in incremental[
        "incidents/2026-11-20-chat-api-errors/index.html"]
    assert b'id="postmortem"' in incremental["incidents/2026-11-20-chat-api-errors/index.html"]


def test_unchanged_files_are_not_rewritten(example: Path) -> None:
    build(example)
    site = example / "site"
    quiet = site / "incidents/2026-10-14-chat-api-outage/index.html"
    edited = site / "incidents/2026-11-05-asr-long-audio-timeouts/index.html"
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (quiet, edited)}
    source = example / "incidents/2026-11-05-asr-long-audio-timeouts.md"
    source.write_text(source.read_text() + "\nOne more line.\n")
    build(example, "2026-11-24 12:30")
    assert (quiet.stat().st_ino, quiet.stat().st_mtime_ns) == before[quiet]
    assert (edited.stat().st_ino, edited.stat().st_mtime_ns) != before[edited]
    assert b"One more line." in edited.read_bytes()


class _Payload:
    """Unpickling this writes a file: proof that a cache was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path, str]]:
        return (Path.write_text, (self.marker, "loaded"))


def test_a_cache_this_machine_did_not_sign_is_never_loaded(example: Path, tmp_path: Path) -> None:
    build(example)
    cache = example / ".statuspage-cache/parsed.pickle"
    assert cache.is_file()
    marker = tmp_path / "forged-cache-was-loaded"
    cache.write_bytes(b"\0" * 32 + pickle.dumps({"key": _Payload(marker)}))
    build(example)
    assert not marker.exists()
    # Loaded for real, the same payload does run: the signature is what kept it out.
    pickle.loads(pickle.dumps(_Payload(marker)))
    assert marker.exists()


def test_reuse_follows_whether_any_incident_is_ongoing(example: Path) -> None:
    glitch = example / "incidents/2026-11-24-p3.md"
    glitch.write_text("---\ntitle: Cosmetic glitch\nseverity: P3\nstarted: 2026-11-24 10:00\n"
                      "components: {console: degraded_performance}\n---\n"
                      "## Investigating — 2026-11-24 10:05\nLooking.\n")
    (example / "incidents/2026-11-24-tts-latency.md").unlink()
    build(example)
    glitch.write_text(glitch.read_text() + "\n## Resolved — 2026-11-24 11:00\nFixed.\n")
    build(example)
    incremental = tree(example / "site")
    shutil.rmtree(example / ".statuspage-cache")
    shutil.rmtree(example / "site")
    build(example)
    assert tree(example / "site") == incremental
    assert b"data-refresh" not in incremental["incidents/2026-11-20-chat-api-errors/index.html"]


def test_pages_of_another_repository_in_the_same_output_are_not_reused(example: Path,
                                                                       tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(example, other)
    config = other / "statuspage.yaml"
    config.write_text(config.read_text().replace("title: Acme AI Status", "title: Staging"))
    shared = tmp_path / "shared"
    for root in (other, example, other):
        result = run_cli("build", "--config", str(root / "statuspage.yaml"), "--out",
                         str(shared), "--now", EXAMPLE_NOW)
        assert result.exit_code == 0, result.output
    page = (shared / "incidents/2026-11-20-chat-api-errors/index.html").read_text()
    assert "· Staging</title>" in page


def test_a_signed_cache_of_an_older_shape_is_ignored(example: Path) -> None:
    build(example)
    cache = ParseCache(example)
    assert cache.secret is not None
    payload = pickle.dumps({key: ("document", "parsed", []) for key in cache.old})
    cache.path.write_bytes(hmac.digest(cache.secret, payload, "sha256") + payload)
    assert ParseCache(example).old == {}
    build(example)
