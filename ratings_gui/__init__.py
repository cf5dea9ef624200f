"""ratings_gui: complete, portable and safe ratings for a Plex library."""

from __future__ import annotations

__version__ = "0.1.0"
APP_NAME = "ratings_gui"
APP_TITLE = "Ratings for Plex"
