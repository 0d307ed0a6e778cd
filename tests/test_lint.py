"""The code itself: ruff (lint and import order) and mypy --strict, as part of the suite."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from conftest import REPO_ROOT


@pytest.mark.parametrize("tool", [["ruff", "check", "--output-format", "concise", "."],
                                  ["mypy"]], ids=["ruff", "mypy"])
def test_code_passes(tool: list[str]) -> None:
    assert importlib.util.find_spec(tool[0]) is not None, \
        f"{tool[0]} is not installed: pip install -e '.[test]'"
    result = subprocess.run([sys.executable, "-m", *tool], cwd=REPO_ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
