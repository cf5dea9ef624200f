"""Letterboxd export CSVs: ratings, diary, reviews, watched (or the zip of them all).

Letterboxd gives no ids, only name and year, so rows carry a ``movie``
hint (Letterboxd lists films) and matching goes by title. A diary can log
one film many times: the newest entry with a rating is the rating. The URI
of ``ratings.csv`` and ``watched.csv`` names the film (two films with one
title and year are two rows); in the diary it names the entry, so it is
not an identity there.
"""

from __future__ import annotations

import re

from ..core.scale import RatingError, letterboxd_to_plex
from .base import (
    ParseResult,
    SourceError,
    SourceRow,
    Table,
    cell,
    day_first,
    finish,
    malformed,
    parse_date,
    parse_year,
    plain_number,
    problem,
    raw_dict,
    row_key,
)

NAME = "letterboxd"
#: How Letterboxd writes a rating: ``4``, ``4.5``, ``0.5`` (``5.0`` from some tools).
RATING = re.compile(r"[0-9](?:\.[0-9]{1,2})?")
RATING_WORDS = "stars from 0.5 to 5 in halves, like 4 or 4.5"

#: Zip members read, in the order their ratings are trusted.
MEMBERS = ("ratings.csv", "diary.csv", "reviews.csv", "watched.csv")


def sniff(columns: set[str]) -> bool:
    return {"name", "letterboxd uri"} <= columns


def variant_of(table: Table) -> str:
    """Which export file this is: the headers differ only by their extra columns."""
    cols = set(table.columns)
    if "review" in cols:
        return "reviews"
    if "rewatch" in cols or "watched date" in cols:
        return "diary"
    if "rating" in cols:
        return "ratings"
    if "watchlist" in table.name.casefold():
        raise SourceError(f"{table.name} is a Letterboxd watchlist: it holds no ratings.")
    return "watched"


def parse(table: Table) -> ParseResult:
    """One Letterboxd CSV -> rows; diary and reviews keep the newest rated entry per film."""
    variant = variant_of(table)
    result = ParseResult(NAME, variant=variant)
    c_name = table.col("name")
    c_year = table.col("year")
    c_rating = table.col("rating")
    c_date = table.col("date")
    c_watched = table.col("watched date")
    c_uri = table.col("letterboxd uri") if variant in ("ratings", "watched") else None
    table.refuse_duplicates("rating", "name", "year", "date", "watched date", "letterboxd uri")
    dayfirst = day_first(
        cell(cells, c) for _, cells in table.records for c in (c_date, c_watched) if c is not None
    )
    rows: list[SourceRow] = []
    raws: dict[int, dict[str, str]] = {}
    for line, cells in table.records:
        result.counts["read"] += 1
        raw = raw_dict(table, cells)
        why = malformed(table, cells, c_name)
        if why:
            problem(result, line, "malformed row", raw, why, table.name)
            continue
        name = cell(cells, c_name)
        if not name:
            problem(result, line, "missing title", raw, source=table.name)
            continue
        text = cell(cells, c_rating)
        try:
            plain_number(text, RATING, RATING_WORDS)
            rating = letterboxd_to_plex(text)
        except RatingError as exc:
            problem(result, line, "invalid rating", raw, str(exc), table.name)
            continue
        if rating is None and variant == "ratings":
            problem(result, line, "invalid rating", raw, "empty", table.name)
            continue
        date = parse_date(cell(cells, c_watched), dayfirst=dayfirst) or parse_date(
            cell(cells, c_date), dayfirst=dayfirst
        )
        row = SourceRow(
            line=line,
            title=name,
            year=parse_year(cell(cells, c_year)),
            rating=rating,
            rating_raw=text,
            kind_hint="movie",
            date=date,
            watched_only=rating is None,
            source=table.name,
        )
        row.uri = cell(cells, c_uri).rstrip("/")
        rows.append(row)
        raws[id(row)] = raw
    if variant in ("diary", "reviews"):
        rows = _newest_per_film(rows, result)
    finish(result, rows, raws)
    return result


def _newest_per_film(rows: list[SourceRow], result: ParseResult) -> list[SourceRow]:
    """The newest rated entry per film wins; a film never rated stays 'watched only'."""
    best: dict[tuple[object, ...], SourceRow] = {}
    for row in rows:
        k = row_key(row)
        prev = best.get(k)
        if prev is None:
            best[k] = row
            continue
        result.counts["earlier entry"] += 1
        if (row.rating is not None, row.date or "", row.line) > (
            prev.rating is not None,
            prev.date or "",
            prev.line,
        ):
            best[k] = row
    return list(best.values())


def merge(parts: list[ParseResult]) -> ParseResult:
    """Several files of one export (in :data:`MEMBERS` order): the first file that has a
    film decides its rating; later files only add films the earlier ones lack."""
    out = ParseResult(NAME, variant="zip")
    # title key -> film URIs seen under it ("" = a diary row, which names no film)
    seen: dict[tuple[object, ...], set[str]] = {}
    for part in parts:
        for row in part.rows:
            k = row_key(row, with_uri=False)
            uri = row.uri
            uris = seen.get(k)
            if uris is not None and (not uri or "" in uris or uri in uris):
                continue  # the same film (or one no URI tells apart) is already decided
            seen.setdefault(k, set()).add(uri)
            out.rows.append(row)
        out.problems.extend(part.problems)
        for key, n in part.counts.items():
            if key not in ("rated", "watched only"):
                out.counts[key] += n
        out.notes.append(f"{part.rows[0].source if part.rows else part.variant}: {len(part.rows)}")
    out.counts["rated"] = sum(1 for r in out.rows if r.rating is not None)
    out.counts["watched only"] = sum(1 for r in out.rows if r.watched_only)
    return out
