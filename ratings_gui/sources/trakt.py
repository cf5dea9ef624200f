"""Trakt export JSON (``ratings-movies.json``, ``-shows``, ``-seasons``, ``-episodes``).

Each entry says its own type and carries imdb/tmdb/tvdb ids, so Trakt rows
match exactly; episodes and seasons also keep their show's ids and numbers
for libraries whose episodes have no Guids.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..core.scale import RatingError, ten_to_plex
from .base import (
    ParseResult,
    SourceError,
    SourceRow,
    finish,
    imdb_id,
    numeric_id,
    parse_date,
    parse_year,
    plain_number,
    problem,
)

NAME = "trakt"
KINDS = ("movie", "show", "season", "episode")
#: Trakt writes ratings as JSON integers; a text rating must at least be plain digits.
RATING = re.compile(r"[0-9]{1,2}(?:\.0)?")
RATING_WORDS = "a whole number from 1 to 10"


def is_ratings_name(name: str) -> bool:
    """``ratings-movies.json`` and friends (any folder)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].casefold()
    return base.startswith("ratings") and base.endswith(".json")


def _ids(obj: Any) -> dict[str, str]:
    ids = obj.get("ids") if isinstance(obj, dict) else None
    if not isinstance(ids, dict):
        return {}
    out: dict[str, str] = {}
    imdb = imdb_id(ids["imdb"]) if isinstance(ids.get("imdb"), str) else None
    if imdb:
        out["imdb"] = imdb
    for scheme in ("tmdb", "tvdb"):
        value = numeric_id(ids.get(scheme))
        if value:
            out[scheme] = value
    return out


def _text(obj: Any, key: str) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value.strip() if isinstance(value, str) else ""


def _number(obj: Any, key: str) -> int | None:
    value = obj.get(key) if isinstance(obj, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value == int(value) and 0 <= value < 100000 else None


def _short(entry: Any) -> dict[str, str]:
    """A flat view of an entry for the problem list."""
    if not isinstance(entry, dict):
        return {"entry": repr(entry)[:300]}
    return {k: (v if isinstance(v, str) else json.dumps(v))[:300] for k, v in entry.items()}


def _row(
    entry: dict[str, Any], kind: str, rating: float, value: Any, pos: int, name: str
) -> SourceRow:
    """One rating entry as a row: a season or an episode carries its numbers and its show."""
    show = entry.get("show")
    obj = entry.get(kind)
    title = _text(obj, "title")
    row = SourceRow(
        line=pos,
        title=title,
        year=_number(obj, "year"),
        rating=rating,
        rating_raw=str(value),
        ids=_ids(obj),
        kind_hint=kind,
        date=parse_date(_text(entry, "rated_at")),
        source=name,
    )
    if kind == "episode":
        row.season = _number(obj, "season")
        row.episode = _number(obj, "number")
    elif kind == "season":
        row.season = _number(obj, "number")
        row.title = title or f"Season {row.season}"
    if kind in ("episode", "season"):
        row.show_title = _text(show, "title") or None
        row.show_ids = _ids(show)
        row.year = row.year or _number(show, "year")
    if row.year is not None and parse_year(str(row.year)) is None:
        row.year = None
    return row


def parse_text(text: str, name: str = "ratings.json") -> ParseResult:
    """One Trakt JSON file -> rows."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SourceError(f"{name} is not valid JSON ({exc}).") from exc
    if not isinstance(data, list):
        raise SourceError(f"{name} is not a Trakt ratings export (expected a list of ratings).")
    result = ParseResult(NAME, variant="ratings")
    rows: list[SourceRow] = []
    raws: dict[int, dict[str, str]] = {}
    for pos, entry in enumerate(data, 1):
        result.counts["read"] += 1
        if not isinstance(entry, dict):
            problem(result, pos, "malformed row", _short(entry), source=name)
            continue
        kind = entry.get("type")
        if kind not in KINDS:
            kind = next((k for k in reversed(KINDS) if isinstance(entry.get(k), dict)), None)
        if kind is None:
            problem(result, pos, "malformed row", _short(entry), "no type", name)
            continue
        value = entry.get("rating")
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise RatingError(f"{value!r} is not a rating")
            if isinstance(value, str):
                plain_number(value.strip(), RATING, RATING_WORDS)
            rating = ten_to_plex(value)
            if rating is None:
                raise RatingError("empty")
        except RatingError as exc:
            problem(result, pos, "invalid rating", _short(entry), str(exc), name)
            continue
        row = _row(entry, kind, rating, value, pos, name)
        if not row.title and not row.ids and not row.show_ids:
            problem(result, pos, "missing title", _short(entry), source=name)
            continue
        rows.append(row)
        raws[id(row)] = _short(entry)
    finish(result, rows, raws)
    return result


def merge(parts: list[ParseResult]) -> ParseResult:
    """Several ratings-*.json files of one export into one result."""
    out = ParseResult(NAME, variant="folder")
    for part in parts:
        out.rows.extend(part.rows)
        out.problems.extend(part.problems)
        out.counts.update(part.counts)
    return out
