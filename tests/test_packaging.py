"""The wheel carries the built-in theme, so an installed statuspage builds outside the repo."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import REPO_ROOT


def test_wheel_ships_every_theme_file(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
         str(REPO_ROOT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("statuspage_static-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    theme = {f"statuspage/templates/{p.relative_to(REPO_ROOT / 'templates').as_posix()}"
             for p in (REPO_ROOT / "templates").rglob("*") if p.is_file()}
    assert "statuspage/templates/base.html" in theme
    assert theme <= names, sorted(theme - names)
    assert "statuspage/cli.py" in names
