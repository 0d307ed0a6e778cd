"""The README as a newcomer reads it: what it is, a picture, the two commands, and commands
and options that exist."""

from __future__ import annotations

import re

from conftest import REPO_ROOT, run_cli

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_has_what_a_newcomer_needs() -> None:
    sections = re.findall(r"^## (.+)$", README, re.M)
    for wanted in ("Quick start", "Your own status page", "What it looks like",
                   "Writing a status repository", "Documentation"):
        assert wanted in sections, sections
    assert "bash .ci/run" in README
    assert ".venv/bin/pip install . && .venv/bin/statuspage build" in README
    for picture in re.findall(r"\]\((docs/[^)]+\.png)\)", README):
        path = REPO_ROOT / picture
        assert path.is_file() and path.stat().st_size < 300_000, picture
    for link in re.findall(r"\]\((docs/[^)#]+)", README):
        assert (REPO_ROOT / link).is_file(), link


def test_every_command_and_option_in_the_readme_exists() -> None:
    lines = [line.strip() for line in re.findall(r"^\s*(statuspage .+)$", README, re.M)]
    assert len(lines) >= 8
    for line in lines:
        words = line.split()[1:]
        command = []
        for word in words:
            if not re.fullmatch(r"[a-z]+", word):
                break
            command.append(word)
        result = run_cli(*command, "--help")
        assert result.exit_code == 0, (line, result.output)
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line):
            assert option in result.output, (line, option)
