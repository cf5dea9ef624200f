"""IMDb "Your Ratings" and list/watchlist exports (every header IMDb has used).

The Const column is the IMDb id, which is all matching really needs; the
Title Type text follows the site language, so it only gives a hint, never a
decision. The pre-2017 export (every field quoted, ``You rated``, ``created``
dates like ``Sun Jan 29 00:00:00 2017``) is read like the others.
"""

from __future__ import annotations

import re
import unicodedata

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
    plain_number,
    problem,
    raw_dict,
)

NAME = "imdb"
#: How IMDb writes a rating: a whole number (``8``; ``8.0`` after a spreadsheet).
RATING = re.compile(r"[0-9]{1,2}(?:\.0)?")
RATING_WORDS = "a whole number from 1 to 10"

#: Title Type spellings -> Plex kind. IMDb writes them in the site language: current
#: English, legacy camelCase, the pre-2017 export's names, and the de/es/fr/it/pt sites.
#: ``game`` and ``podcast`` have no Plex kind: such a row is never matched by title.
TYPE_HINTS = {
    # current English and pre-2017 English
    "movie": "movie",
    "feature film": "movie",
    "tv movie": "movie",
    "documentary": "movie",
    "short": "movie",
    "short film": "movie",
    "tv short": "movie",
    "tv special": "movie",
    "video": "movie",
    "music video": "movie",
    "tv series": "show",
    "tv mini series": "show",
    "tv mini-series": "show",
    "mini-series": "show",
    "tv episode": "episode",
    "video game": "game",
    "podcast series": "podcast",
    "podcast episode": "podcast",
    # legacy camelCase (2017-2024), also IMDb's dataset names
    "tvmovie": "movie",
    "tvshort": "movie",
    "tvspecial": "movie",
    "musicvideo": "movie",
    "tvseries": "show",
    "tvminiseries": "show",
    "tvepisode": "episode",
    "videogame": "game",
    "podcastseries": "podcast",
    "podcastepisode": "podcast",
    # Italian
    "film": "movie",
    "film tv": "movie",
    "corto": "movie",
    "corto tv": "movie",
    "cortometraggio": "movie",
    "speciale tv": "movie",
    "serie tv": "show",
    "mini serie tv": "show",
    "miniserie tv": "show",
    "episodio tv": "episode",
    "videogioco": "game",
    # German
    "fernsehfilm": "movie",
    "tv-film": "movie",
    "kurzfilm": "movie",
    "tv-kurzfilm": "movie",
    "tv-special": "movie",
    "musikvideo": "movie",
    "tv-serie": "show",
    "tv-miniserie": "show",
    "tv-episode": "episode",
    "videospiel": "game",
    # Spanish
    "pelicula": "movie",
    "pelicula de tv": "movie",
    "pelicula para tv": "movie",
    "cortometraje": "movie",
    "corto de tv": "movie",
    "especial de tv": "movie",
    "serie de tv": "show",
    "miniserie de tv": "show",
    "episodio de tv": "episode",
    "videojuego": "game",
    # French
    "telefilm": "movie",
    "court metrage": "movie",
    "court-metrage": "movie",
    "court metrage tv": "movie",
    "special tv": "movie",
    "emission speciale": "movie",
    "serie televisee": "show",
    "mini-serie tv": "show",
    "episode tv": "episode",
    "episode televise": "episode",
    "jeu video": "game",
    # Portuguese
    "filme": "movie",
    "filme de tv": "movie",
    "filme para tv": "movie",
    "curta": "movie",
    "curta-metragem": "movie",
    "curta de tv": "movie",
    "minisserie": "show",
    "minisserie de tv": "show",
    "jogo eletronico": "game",
}

#: Words that give the kind of a Title Type spelled in none of the ways above
#: (parts of words, checked in this order: "Episodio de miniserie" is an episode).
_TYPE_WORDS = (
    ("podcast", "podcast"),
    ("episod", "episode"),
    ("folge", "episode"),
    ("serie", "show"),
    ("serial", "show"),
    ("film", "movie"),  # before "spiel": a German "Spielfilm" is a feature film
    ("document", "movie"),
    ("game", "game"),
    ("spiel", "game"),
    ("jeu", "game"),
    ("juego", "game"),
    ("gioco", "game"),
    ("jogo", "game"),
    ("movie", "movie"),
    ("pelicula", "movie"),
    ("short", "movie"),
    ("corto", "movie"),
    ("court", "movie"),
    ("curta", "movie"),
    ("kurz", "movie"),
    ("special", "movie"),
    ("speciale", "movie"),
    ("especial", "movie"),
    ("video", "movie"),
)


def _fold(text: str) -> str:
    """Lower case without accents, spaces collapsed: ``'Épisode  TV'`` -> ``'episode tv'``."""
    s = unicodedata.normalize("NFKD", text)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return " ".join(s.casefold().split())


def kind_hint(type_text: str) -> str | None:
    """The Plex kind a Title Type names, in any of IMDb's languages; None when unknown."""
    folded = _fold(type_text)
    if not folded:
        return None
    if folded in TYPE_HINTS:
        return TYPE_HINTS[folded]
    for stem, kind in _TYPE_WORDS:
        if stem in folded:
            return kind
    return None


#: IMDb's title for an episode it has no name for: ``Show: Episode #1.1``
#: (the word follows the site language).
_PLACEHOLDER = re.compile(
    r"^(?P<show>.+?)\s*:\s*(?:Episode|Episodio|Episódio|Épisode|Folge|Aflevering|Odcinek)"
    r"\s*#\s*(?P<season>\d{1,4})\s*\.\s*(?P<episode>\d{1,5})\s*$",
    re.IGNORECASE,
)


def placeholder_episode(title: str) -> tuple[str, int, int] | None:
    """``'Peaky Blinders: Episode #1.1'`` -> ``('Peaky Blinders', 1, 1)``; else None."""
    m = _PLACEHOLDER.match(title or "")
    if not m:
        return None
    return m.group("show").strip(), int(m.group("season")), int(m.group("episode"))


def sniff(columns: set[str]) -> bool:
    """Every IMDb export has Const; ratings have Your Rating (``You rated`` before 2017),
    lists have Position."""
    return "const" in columns and bool({"your rating", "you rated", "position"} & columns)


def _variant(columns: list[str]) -> str:
    if "you rated" in columns:
        return "ratings (pre-2017)"
    if "position" in columns:
        return "list"
    if "date added" in columns:
        return "ratings (2017)"
    if "original title" not in columns:
        return "ratings (legacy)"
    return "ratings"


#: The columns read (a group: names of one column), refused when one appears twice.
COLUMNS: tuple[str | tuple[str, ...], ...] = (
    ("your rating", "you rated"),
    "const",
    "title",
    "original title",
    "title type",
    "year",
    "release date",
    "release date (month/day/year)",
    "date rated",
    "date added",
    "created",  # a list's Created and Date Rated are both there: a fallback, not a twin
)


def _rating(
    result: ParseResult,
    table: Table,
    line: int,
    cells: list[str],
    c_rating: int | None,
    is_list: bool,
) -> tuple[bool, float | None, str]:
    """(usable, rating, its text) of one row; a row not usable is counted (an unrated list
    entry) or listed as a problem here."""
    why = malformed(table, cells, c_rating)
    if why:
        problem(result, line, "malformed row", raw_dict(table, cells), why, table.name)
        return False, None, ""
    raw_rating = cell(cells, c_rating)
    if not raw_rating:
        if is_list:
            result.counts["not rated"] += 1
        else:
            problem(result, line, "invalid rating", raw_dict(table, cells), "empty", table.name)
        return False, None, raw_rating
    try:
        plain_number(raw_rating, RATING, RATING_WORDS)
        return True, ten_to_plex(raw_rating), raw_rating
    except RatingError as exc:
        problem(result, line, "invalid rating", raw_dict(table, cells), str(exc), table.name)
        return False, None, raw_rating


def parse(table: Table) -> ParseResult:
    """Rows of a ratings or list export -> Plex ratings; list rows without a rating are skipped."""
    variant = _variant(table.columns)
    # The pre-2017 ratings and list exports share one header: a row without a rating
    # is an unrated list entry, not a broken rating.
    is_list = variant in ("list", "ratings (pre-2017)")
    result = ParseResult(NAME, variant=variant)
    c_id = table.col("const")
    c_rating = table.col("your rating", "you rated")
    c_title = table.col("title")
    c_orig = table.col("original title")
    c_type = table.col("title type")
    c_year = table.col("year")
    c_release = table.col("release date", "release date (month/day/year)")
    c_date = table.col("date rated", "date added", "created")
    if c_rating is None:
        raise SourceError(
            f"{table.name} is an IMDb list without a 'Your Rating' column: it holds no ratings."
        )
    table.refuse_duplicates(*COLUMNS)
    dayfirst = day_first(cell(cells, c_date) for _, cells in table.records)
    rows: list[SourceRow] = []
    raws: dict[int, dict[str, str]] = {}
    for line, cells in table.records:
        result.counts["read"] += 1
        ok, rating, raw_rating = _rating(result, table, line, cells, c_rating, is_list)
        if not ok:
            continue
        title = cell(cells, c_title)
        const = imdb_id(cell(cells, c_id))
        if not title and not const:
            problem(result, line, "missing title", raw_dict(table, cells), source=table.name)
            continue
        orig = cell(cells, c_orig)
        row = SourceRow(
            line=line,
            title=title,
            year=parse_year(cell(cells, c_year)) or parse_year(cell(cells, c_release)),
            rating=rating,
            rating_raw=raw_rating,
            ids={"imdb": const} if const else {},
            kind_hint=kind_hint(cell(cells, c_type)),
            original_title=orig if orig and orig != title else None,
            date=parse_date(cell(cells, c_date), dayfirst=dayfirst),
            source=table.name,
        )
        _read_placeholder(row)
        rows.append(row)
        raws[id(row)] = raw_dict(table, cells)
    finish(result, rows, raws)
    return result


def _read_placeholder(row: SourceRow) -> None:
    """``Show: Episode #1.1`` is season 1 episode 1 of Show: the numbers are all it has."""
    found = placeholder_episode(row.title) or placeholder_episode(row.original_title or "")
    if found is None or row.kind_hint not in (None, "episode"):
        return
    row.show_title, row.season, row.episode = found
    row.kind_hint = "episode"
