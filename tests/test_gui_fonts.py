"""customtkinter's font copy must not rewrite a font another window has mapped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the copy happens on Linux only")
def test_second_import_leaves_the_font_files_alone(tmp_path: Path) -> None:
    """A second window's import used to truncate and rewrite ~/.fonts/*.ttf (SIGBUS in the first)."""
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-c", "import ratings_gui.gui"]
    subprocess.run(cmd, env=env, check=True, timeout=60)
    fonts = sorted((tmp_path / ".fonts").glob("*"))
    assert any(f.suffix == ".ttf" for f in fonts), "customtkinter copied no font"
    before = {f.name: f.stat().st_mtime_ns for f in fonts}
    for f in fonts:  # an old timestamp makes any rewrite visible
        os.utime(f, ns=(1_000_000_000, 1_000_000_000))
    subprocess.run(cmd, env=env, check=True, timeout=60)
    after = {f.name: f.stat().st_mtime_ns for f in sorted((tmp_path / ".fonts").glob("*"))}
    assert set(after) == set(before)
    assert all(ns == 1_000_000_000 for ns in after.values()), after
