"""TMDB ratings CSV: movies, shows, seasons and episodes with their ids.

TMDB ids of movies and shows live in different number spaces, so the Type
column (``movie``/``tv``) and the season/episode numbers become the kind
hint that keeps ``tmdb://1399`` the movie apart from ``tmdb://1399`` the show.
"""

from __future__ import annotations

import re

from ..core.scale import RatingError, ten_to_plex
from .base import (
    ParseResult,
    SourceRow,
    Table,
    cell,
    finish,
    imdb_id,
    malformed,
    numeric_id,
    parse_date,
    parse_int,
    parse_year,
    plain_number,
    problem,
    raw_dict,
)

NAME = "tmdb"
#: How TMDB writes a rating: ``8``, ``8.0`` or a half step like ``7.5``.
RATING = re.compile(r"[0-9]{1,2}(?:\.[0-9]{1,2})?")
RATING_WORDS = "a number from 1 to 10 like 8 or 7.5"


def sniff(columns: set[str]) -> bool:
    return "tmdb id" in columns and "your rating" in columns


#: The columns read, in the order a duplicate is refused.
COLUMNS = (
    "your rating",
    "tmdb id",
    "imdb id",
    "type",
    "name",
    "release date",
    "season number",
    "episode number",
    "date rated",
)


def _kind(
    kind_text: str, season: int | None, episode: int | None
) -> tuple[str | None, int | None, int | None]:
    """A row's Plex kind from its type and numbers: a tv row with numbers is a season or an
    episode; a movie keeps no numbers."""
    kind_text = kind_text.casefold()
    if kind_text == "movie":
        return "movie", None, None
    if kind_text in ("tv", "show", "tv show"):
        kind = "episode" if season is not None and episode is not None else "show"
        if season is not None and episode is None:
            kind = "season"
        return kind, season, episode
    return None, season, episode


def _ids(
    kind: str | None, tmdb: str | None, imdb: str | None
) -> tuple[dict[str, str], dict[str, str]]:
    """The row's own ids and its show's: the TMDb ID of a season or episode row is its show's."""
    ids: dict[str, str] = {}
    show_ids: dict[str, str] = {}
    if kind in ("episode", "season"):
        if tmdb:
            show_ids["tmdb"] = tmdb
        if imdb:
            ids["imdb"] = imdb
    else:
        if imdb:
            ids["imdb"] = imdb
        if tmdb:
            ids["tmdb"] = tmdb
    return ids, show_ids


def parse(table: Table) -> ParseResult:
    """Rows -> Plex ratings; a tv row with numbers is a season or an episode of that show."""
    result = ParseResult(NAME, variant="ratings")
    c_rating, c_tmdb, c_imdb, c_type, c_name, c_release, c_season, c_episode, c_date = (
        table.col(name) for name in COLUMNS
    )
    table.refuse_duplicates(*COLUMNS)
    rows: list[SourceRow] = []
    raws: dict[int, dict[str, str]] = {}
    for line, cells in table.records:
        result.counts["read"] += 1
        raw = raw_dict(table, cells)
        why = malformed(table, cells, c_rating)
        if why:
            problem(result, line, "malformed row", raw, why, table.name)
            continue
        text = cell(cells, c_rating)
        try:
            plain_number(text, RATING, RATING_WORDS)
            rating = ten_to_plex(text)
        except RatingError as exc:
            problem(result, line, "invalid rating", raw, str(exc), table.name)
            continue
        if rating is None:
            problem(result, line, "invalid rating", raw, "empty", table.name)
            continue
        tmdb = numeric_id(cell(cells, c_tmdb))
        imdb = imdb_id(cell(cells, c_imdb))
        name = cell(cells, c_name)
        if not name and not tmdb and not imdb:
            problem(result, line, "missing title", raw, source=table.name)
            continue
        kind, season, episode = _kind(
            cell(cells, c_type), parse_int(cell(cells, c_season)), parse_int(cell(cells, c_episode))
        )
        ids, show_ids = _ids(kind, tmdb, imdb)
        row = SourceRow(
            line=line,
            title=name,
            year=parse_year(cell(cells, c_release)),
            rating=rating,
            rating_raw=text,
            ids=ids,
            kind_hint=kind,
            season=season,
            episode=episode,
            date=parse_date(cell(cells, c_date)),
            show_ids=show_ids,
            source=table.name,
        )
        rows.append(row)
        raws[id(row)] = raw
    finish(result, rows, raws)
    return result
