"""Ratings CSV files: artist, album and track stars, with whose they are.

The file ``infer --export`` writes (``kind,key,artist,title,stars,source``)
or what a spreadsheet made of it: UTF-8 with or without BOM, commas or
semicolons, any header case, decimal commas and star glyphs. Nothing but
:class:`~ratings_gui.sources.base.SourceError` comes out, whatever the file
holds; a row that cannot be used carries its problem.
"""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from pathlib import Path

from ratings_gui.core.ratingscsv import (
    INVALID_STARS,
    KINDS,
    MALFORMED,
    MISSING_TITLE,
    NO_STARS,
    SOURCES,
    UNKNOWN_KIND,
    UNKNOWN_SOURCE,
    RatingRow,
)
from ratings_gui.core.scale import RatingError, parse_rating
from ratings_gui.sources.base import (
    DEFAULT_MAX_BYTES,
    SourceError,
    Table,
    cell,
    decode,
    display_path,
    malformed,
    norm_header,
    plain_number,
    read_regular_file,
    read_table,
)

#: Column -> header names accepted for it (already normalised by ``norm_header``).
COLUMNS: dict[str, tuple[str, ...]] = {
    "kind": ("kind", "type"),
    "key": ("key", "ratingkey", "rating key"),
    "artist": ("artist",),
    "album": ("album",),
    "title": ("title",),
    "stars": ("stars",),
    "source": ("source",),
}
REQUIRED = ("kind", "title", "stars")

_NUM = r"(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)"
#: What a stars cell may say, in plain ASCII digits: ``4.5``, ``4,5``, ``4½``, ``4*``,
#: ``9/10``, ``80%`` or glyphs ``★★★½``. ``4.`` (a cut ``4.5``), ``4_5`` and other
#: scripts' digits are refused, though ``float`` would read them.
STARS = re.compile(rf"{_NUM}\s*/\s*{_NUM}|{_NUM}\s*%|(?:{_NUM}|[0-9]*½)\s*[*★]?|★*\s*½?\s*☆*")
STARS_WORDS = "stars like 4.5, 4,5, 4½, 9/10, 80% or ★★★★½"
#: Cells that mean "no rating" (what parse_rating takes as unrated).
_UNRATED = {"", "-", "none", "unrated", "clear"}


def _column_map(columns: set[str] | list[str]) -> dict[str, str]:
    """Our column name -> the header name the file uses for it."""
    have = set(columns)
    return {
        ours: next(n for n in names if n in have)
        for ours, names in COLUMNS.items()
        if any(n in have for n in names)
    }


def _fits(columns: set[str]) -> bool:
    found = _column_map(columns)
    return all(c in found for c in REQUIRED)


def _header_error(text: str, name: str) -> SourceError:
    """The plainest account of a header we cannot use: which columns are missing."""
    first = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
    shown = first[:120] + ("…" if len(first) > 120 else "")
    best: list[str] = []
    for delim in (",", ";", "\t"):
        try:
            cells = next(csv.reader([first], delimiter=delim), [])
        except csv.Error:
            cells = []
        cols = [norm_header(c) for c in cells]
        found = [c for c in REQUIRED if c in _column_map(cols)]
        if len(found) > len(best):
            best = found
    need = "kind, title and stars (optional: key, artist, album, source)"
    if best:
        missing = ", ".join(c for c in REQUIRED if c not in best)
        return SourceError(
            f"{name} lacks the column(s) {missing}. A ratings CSV needs {need}, "
            f"separated by commas or semicolons. First line: {shown!r}"
        )
    return SourceError(
        f"{name} is not a ratings CSV: its first line must name the columns {need}, "
        f"separated by commas or semicolons. First line: {shown!r}"
    )


def _read_row(table: Table, cols: dict[str, int | None], line: int, cells: list[str]) -> RatingRow:
    """One record -> a RatingRow; a row that cannot be used carries its problem."""

    def get(name: str) -> str:
        return cell(cells, cols.get(name))

    kind_text = get("kind").casefold()
    kind = kind_text[:-1] if kind_text.endswith("s") and kind_text[:-1] in KINDS else kind_text
    key_text = get("key")
    key = (
        int(key_text) if key_text.isascii() and key_text.isdigit() and len(key_text) < 19 else None
    )
    source_text = get("source").casefold()
    stars_raw = get("stars")
    row = RatingRow(
        line,
        kind,
        get("title"),
        stars_raw,
        None,
        SOURCES.get(source_text, source_text),
        key,
        get("artist"),
        get("album"),
    )

    def bad(problem: str, detail: str = "") -> RatingRow:
        return replace(row, problem=problem, detail=detail)

    why = malformed(table, cells, cols["kind"], cols["title"], cols["stars"])
    if why:
        return bad(MALFORMED, why)
    if kind not in KINDS:
        return bad(UNKNOWN_KIND, f"kind {kind_text!r}: expected artist, album or track")
    if not row.title:
        return bad(MISSING_TITLE)
    if source_text not in SOURCES:
        return bad(UNKNOWN_SOURCE, f"source {source_text!r}: expected own, inferred or blank")
    try:
        if stars_raw.casefold() not in _UNRATED:
            plain_number(stars_raw, STARS, STARS_WORDS)
        rating = parse_rating(stars_raw, scale="stars")
    except RatingError as exc:
        return bad(INVALID_STARS, str(exc))
    if rating is None:
        return bad(NO_STARS)
    return replace(row, rating=rating)


def parse_ratings_text(text: str, name: str = "The file") -> list[RatingRow]:
    """Decoded CSV text -> rows; SourceError (a plain message) when the file is unusable."""
    try:
        _, table = read_table(text, [("ratings", _fits)], name)
    except SourceError as exc:
        if "broken quoting" in str(exc):
            raise
        raise _header_error(text, name) from None
    found = _column_map(table.columns)
    table.refuse_duplicates(*(n for names in COLUMNS.values() for n in names))
    cols = {ours: table.col(header) for ours, header in found.items()}
    for c in COLUMNS:
        cols.setdefault(c, None)
    rows = [_read_row(table, cols, line, cells) for line, cells in table.records]
    if not rows:
        raise SourceError(f"{name} has the right columns but no rows of ratings.")
    if all(r.problem == MALFORMED for r in rows):
        raise SourceError(
            f"{name}: none of its {len(rows):,} rows has the columns its header names; "
            "check the separators and the quotes (open it in a spreadsheet and save it "
            "again as CSV)."
        )
    return rows


def read_ratings_csv(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[RatingRow]:
    """Read a ratings CSV from disk; nothing but SourceError escapes, whatever the file holds."""
    p = Path(path)
    shown = display_path(p)
    name = display_path(p.name) or shown
    try:
        if p.is_dir():
            raise SourceError(f"{shown} is a folder, not a CSV file.")
        if not p.exists():
            raise FileNotFoundError(p)
        data = read_regular_file(p, max_bytes)  # refuses /dev/zero and FIFOs at once
    except FileNotFoundError:
        raise SourceError(f"{shown} does not exist.") from None
    except OSError as exc:
        raise SourceError(f"{shown} cannot be read ({exc.strerror or exc}).") from None
    if data.startswith(b"PK\x03\x04"):
        raise SourceError(f"{name} is a zip archive, not a CSV file; extract the CSV first.")
    return parse_ratings_text(decode(data, name), name)
