"""IMDb "Your Ratings" and list/watchlist exports (every header IMDb has used).

The Const column is the IMDb id, which is all matching really needs; the
Title Type text follows the site language, so it only gives a hint when it
is one of the spellings listed here, never a decision.
"""

from __future__ import annotations

from ..core.scale import RatingError, ten_to_plex
from .base import (
    ParseResult,
    SourceError,
    SourceRow,
    Table,
    cell,
    day_first,
    finish,
    imdb_id,
    malformed,
    parse_date,
    parse_year,
    problem,
    raw_dict,
)

NAME = "imdb"

#: Title Type spellings (current English, legacy camelCase, Italian) -> Plex kind.
TYPE_HINTS = {
    "movie": "movie",
    "tv movie": "movie",
    "tvmovie": "movie",
    "short": "movie",
    "video": "movie",
    "film": "movie",
    "film tv": "movie",
    "corto": "movie",
    "tv series": "show",
    "tvseries": "show",
    "tv mini series": "show",
    "tv mini-series": "show",
    "tvminiseries": "show",
    "serie tv": "show",
    "mini serie tv": "show",
    "miniserie tv": "show",
    "tv episode": "episode",
    "tvepisode": "episode",
    "episodio tv": "episode",
}


def sniff(columns: set[str]) -> bool:
    """Every IMDb export has Const; ratings have Your Rating, lists have Position."""
    return "const" in columns and ("your rating" in columns or "position" in columns)


def parse(table: Table) -> ParseResult:
    """Rows of a ratings or list export -> Plex ratings; list rows without a rating are skipped."""
    is_list = "position" in table.columns
    result = ParseResult(NAME, variant="list" if is_list else "ratings")
    if "original title" not in table.columns and not is_list:
        result.variant = "ratings (legacy)"
    if "date added" in table.columns:
        result.variant = "ratings (2017)"
    c_id = table.col("const")
    c_rating = table.col("your rating")
    c_title = table.col("title")
    c_orig = table.col("original title")
    c_type = table.col("title type")
    c_year = table.col("year")
    c_release = table.col("release date")
    c_date = table.col("date rated", "date added")
    if c_rating is None:
        raise SourceError(
            f"{table.name} is an IMDb list without a 'Your Rating' column: it holds no ratings."
        )
    dayfirst = day_first(cell(cells, c_date) for _, cells in table.records)
    rows: list[SourceRow] = []
    raws: dict[int, dict[str, str]] = {}
    for line, cells in table.records:
        result.counts["read"] += 1
        if malformed(table, cells, c_rating):
            problem(result, line, "malformed row", raw_dict(table, cells), source=table.name)
            continue
        raw_rating = cell(cells, c_rating)
        title = cell(cells, c_title)
        const = imdb_id(cell(cells, c_id))
        if not raw_rating:
            if is_list:
                result.counts["not rated"] += 1
            else:
                problem(result, line, "invalid rating", raw_dict(table, cells), "empty", table.name)
            continue
        try:
            rating = ten_to_plex(raw_rating)
        except RatingError as exc:
            problem(result, line, "invalid rating", raw_dict(table, cells), str(exc), table.name)
            continue
        if not title and not const:
            problem(result, line, "missing title", raw_dict(table, cells), source=table.name)
            continue
        type_text = " ".join(cell(cells, c_type).casefold().split())
        orig = cell(cells, c_orig)
        row = SourceRow(
            line=line,
            title=title,
            year=parse_year(cell(cells, c_year)) or parse_year(cell(cells, c_release)),
            rating=rating,
            rating_raw=raw_rating,
            ids={"imdb": const} if const else {},
            kind_hint=TYPE_HINTS.get(type_text),
            original_title=orig if orig and orig != title else None,
            date=parse_date(cell(cells, c_date), dayfirst=dayfirst),
            source=table.name,
        )
        rows.append(row)
        raws[id(row)] = raw_dict(table, cells)
    finish(result, rows, raws)
    return result
