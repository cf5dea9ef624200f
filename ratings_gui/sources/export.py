"""CSV files the user takes away: the unmatched rows, and Plex ratings as exports.

Every file is UTF-8 with a BOM (so Excel shows accents right) and every
text cell that a spreadsheet would run as a formula is defused with a
leading quote, because titles come from the internet. Every cell goes
through :func:`~ratings_gui.sources.files.safe_text` (a non-UTF-8 file name
in a ``source`` cell once crashed the writer halfway), and every file is
written to a temp file and renamed, so it is whole or absent, never cut.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..core.records import Item
from ..core.scale import normalize
from .files import atomic_open, safe_text

#: Columns of the unmatched-rows file, in this order; unknown keys go to ``detail``.
UNMATCHED_COLUMNS = (
    "line",
    "reason",
    "title",
    "year",
    "rating",
    "rating_raw",
    "kind",
    "show",
    "season",
    "episode",
    "imdb",
    "tmdb",
    "tvdb",
    "date",
    "source",
    "candidates",
    "detail",
)

#: Columns Letterboxd's importer reads (film ids first, then the rating in stars).
LETTERBOXD_COLUMNS = ("Title", "Year", "imdbID", "tmdbID", "Rating")
PLAIN_COLUMNS = (
    "Kind",
    "Title",
    "Year",
    "Show",
    "Season",
    "Episode",
    "imdbID",
    "tmdbID",
    "tvdbID",
    "Rating",
    "Stars",
    "RatingKey",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text that starts like a formula gets a leading quote; numbers stay numbers.

    Text is made writable as UTF-8 first (lone surrogates of a non-UTF-8 path
    become U+FFFD), so no cell can stop the writer halfway.
    """
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = safe_text(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _write(
    path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Header and rows to ``path`` atomically; WriteError (an OSError) with a plain message."""
    n = 0
    with atomic_open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for row in rows:
            w.writerow([safe_cell(v) for v in row])
            n += 1
    return n


def write_unmatched_csv(path: str | os.PathLike[str], skipped: Iterable[Mapping[str, Any]]) -> int:
    """``plan.skipped`` -> a CSV with fixed columns; returns the number of rows written."""

    def rows() -> Iterable[list[Any]]:
        for d in skipped:
            extra = {
                k: v for k, v in d.items() if k not in UNMATCHED_COLUMNS and v not in (None, "")
            }
            out = [d.get(c, "") for c in UNMATCHED_COLUMNS]
            if extra:
                note = "; ".join(f"{k}={v}" for k, v in sorted(extra.items()))
                out[-1] = f"{out[-1]}; {note}" if out[-1] else note
            yield out

    return _write(path, UNMATCHED_COLUMNS, rows())


def _stars(value: float) -> float:
    """Plex 0-10 -> Letterboxd stars in halves (0.5-5)."""
    return max(0.5, min(5.0, math.floor(normalize(value) + 0.5) / 2))


def _num(x: float) -> str:
    return f"{x:g}"


def ratings_to_letterboxd_csv(items: Iterable[Item], path: str | os.PathLike[str]) -> int:
    """Rated Plex movies -> a file Letterboxd's importer takes (Title, Year, ids, stars)."""

    def rows() -> Iterable[list[Any]]:
        for it in items:
            if it.kind != "movie" or it.user_rating is None or normalize(it.user_rating) <= 0:
                continue
            yield [
                it.title,
                it.year or "",
                it.guid("imdb") or "",
                it.guid("tmdb") or "",
                _num(_stars(it.user_rating)),
            ]

    return _write(path, LETTERBOXD_COLUMNS, rows())


def ratings_to_plain_csv(items: Iterable[Item], path: str | os.PathLike[str]) -> int:
    """Every rated item with its ids, the Plex number and stars: a backup anyone can read."""

    def rows() -> Iterable[list[Any]]:
        for it in items:
            if it.user_rating is None:
                continue
            v = normalize(it.user_rating)
            show = it.grandparent_title if it.kind == "episode" else it.parent_title
            season = it.parent_index if it.kind == "episode" else it.index
            yield [
                it.kind,
                it.title,
                it.year or "",
                show if it.kind in ("episode", "season") else "",
                season if it.kind in ("episode", "season") and season is not None else "",
                it.index if it.kind == "episode" and it.index is not None else "",
                it.guid("imdb") or "",
                it.guid("tmdb") or "",
                it.guid("tvdb") or "",
                _num(v) if v is not None else "",
                _num(v / 2) if v is not None else "",
                it.key,
            ]

    return _write(path, PLAIN_COLUMNS, rows())
