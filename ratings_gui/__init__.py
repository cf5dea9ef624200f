"""ratings_gui: complete, portable and safe ratings for a Plex library."""

from __future__ import annotations

__version__ = "0.1.0"
APP_NAME = "ratings_gui"
APP_TITLE = "Ratings for Plex"


def about_text() -> str:
    """The version and the main parts' versions: the window's About and bug reports."""
    import platform
    from importlib import metadata

    parts = [f"Python {platform.python_version()}"]
    for dist in ("customtkinter", "PlexAPI", "mutagen", "keyring"):
        try:
            parts.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:  # a frozen build keeps little metadata
            pass
    return f"{APP_TITLE} {__version__}\n{', '.join(parts)}"
