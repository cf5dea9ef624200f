"""Where the program's bundled files (the icon) live, from a checkout and frozen.

From a source checkout the assets are in ``<repo>/assets``; in a PyInstaller
build the spec copies them to ``assets/`` inside the bundle, which is
unpacked to ``sys._MEIPASS`` at start. ``RATINGS_GUI_ASSETS`` overrides both
(one folder, used alone), so tests and packagers can point elsewhere.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: Environment variable naming a folder that replaces the built-in assets folder.
ASSETS_ENV = "RATINGS_GUI_ASSETS"
ICON_PNG = "icon.png"
ICON_ICO = "icon.ico"


def is_frozen() -> bool:
    """True inside a PyInstaller build."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def asset_dirs() -> list[Path]:
    """The folders searched for assets, first match wins."""
    override = os.environ.get(ASSETS_ENV)
    if override:
        return [Path(override)]
    dirs = []
    if is_frozen():
        dirs.append(Path(sys._MEIPASS) / "assets")  # type: ignore[attr-defined]
    package_dir = Path(__file__).resolve().parent
    dirs.append(package_dir.parent / "assets")  # source checkout: <repo>/assets
    dirs.append(package_dir / "assets")  # a wheel that ships them inside the package
    return dirs


def asset_path(name: str) -> Path:
    """The path of the bundled asset ``name``.

    Returns the first existing candidate; if none exists, the first candidate
    (so an error message names where the file was expected).
    """
    candidates = [folder / name for folder in asset_dirs()]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return candidates[0]


def icon_png() -> Path:
    """The 256 px PNG icon (for ``iconphoto`` on every platform)."""
    return asset_path(ICON_PNG)


def icon_ico() -> Path:
    """The multi-size ICO icon (for ``iconbitmap`` on Windows)."""
    return asset_path(ICON_ICO)
