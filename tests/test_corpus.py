"""A corpus of bad inputs (tests/corpus/): each gives its problem at its file and line, exit 1,
no traceback, and leaves the previous site untouched. Large inputs are made here."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from conftest import NOW, Repo

from statuspage.read.files import MAX_FILE_BYTES, scan_documents

CORPUS = Path(__file__).parent / "corpus"
CASES = [line.split("\t") for line in (CORPUS / "expected.txt").read_text().splitlines()
         if line and not line.startswith("#")]


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(repo: Repo, expected: str) -> None:
    before = tree(repo.site)
    result = repo.build(NOW)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{repo.root}/{expected}" in result.output.splitlines(), result.output
    assert tree(repo.site) == before
    assert [p.name for p in repo.root.iterdir() if p.name.startswith(".site")] == []


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert sorted(name for name, _ in CASES) == sorted(
        p.name for p in CORPUS.iterdir() if p.name != "expected.txt")


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[name for name, _ in CASES])
def test_bad_input(repo: Repo, name: str, expected: str) -> None:
    assert repo.build(NOW).exit_code == 0
    if name.endswith(".yaml"):
        shutil.copy(CORPUS / name, repo.config)
    else:
        shutil.copy(CORPUS / name, repo.root / "incidents" / name)
    refused(repo, expected)


def test_a_5_mb_incident_is_refused(repo: Repo) -> None:
    assert repo.build(NOW).exit_code == 0
    big = repo.incident("2026-11-20-big.md", "---\ntitle: Big\nseverity: P2\n---\n")
    with big.open("a") as handle:
        handle.write(("A long line of text. " * 50 + "\n") * 5000)
    size = big.stat().st_size
    assert size > 5_000_000
    refused(repo, f"incidents/2026-11-20-big.md:1: error: file is {size:,} bytes; the limit is "
                  f"{MAX_FILE_BYTES:,}")


def test_too_many_files_are_refused_before_any_is_read(repo: Repo, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(120):
        (folder / f"{n}.md").write_text("x")
    assert scan_documents(folder, limit=100) is None
    assert scan_documents(folder, limit=120) is not None
    started = time.perf_counter()
    assert scan_documents(folder, limit=10) is None
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("variant", ["crlf", "bom", "both"])
def test_crlf_and_byte_order_mark_are_accepted(repo: Repo, variant: str) -> None:
    text = ("---\ntitle: Windows\nseverity: P2\nstarted: 2026-11-20 09:00\n---\n"
            "## Resolved — 2026-11-20 10:00\nDone.\n")
    data = text.replace("\n", "\r\n") if variant in ("crlf", "both") else text
    raw = data.encode()
    raw = b"\xef\xbb\xbf" + raw if variant in ("bom", "both") else raw
    (repo.root / "incidents" / "2026-11-20-win.md").write_bytes(raw)
    result = repo.build(NOW)
    assert result.exit_code == 0, result.output
    assert "Windows" in (repo.site / "incidents/2026-11-20-win/index.html").read_text()
