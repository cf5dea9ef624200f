"""Truncated and loose input is refused, not written (issue 23 item 2).

A last row cut short (``tt0066810,1`` from ``10``) was imported as ½★,
Letterboxd ``4.`` (from ``4.5``) as ★★★★, ``1_0`` as 10, ``5,5`` as 5.5,
other scripts' digits as numbers, and the second of two ``Your Rating``
columns was ignored. Each case is refused with its line number (a row) or
by the column's name (the file); the headers of real exports still read.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from ratings_gui.sources import SourceError, parse_bytes
from ratings_gui.sources import ratings_csv as rcsv

IMDB_HEAD = (
    "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,"
    "Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n"
)


def imdb_row(const: str, rating: str, title: str = "Film") -> str:
    return (
        f"{const},{rating},2024-03-01,{title},{title},https://www.imdb.com/title/{const},"
        f"Movie,7.1,100,1999,Drama,1000,1999-05-01,Someone\n"
    )


LB_HEAD = "Date,Name,Year,Letterboxd URI,Rating\n"
TMDB_HEAD = (
    "TMDb ID,IMDb ID,Type,Name,Release Date,Season Number,Episode Number,Rating,"
    "Your Rating,Date Rated\n"
)


def tmdb_row(rating: str) -> str:
    return f"550,tt0137523,movie,Fight Club,1999-10-15,,,8.4,{rating},2024-01-10T18:22:01Z\n"


def problems(data: str) -> list[tuple[int, str, str]]:
    r = parse_bytes(data.encode("utf-8"))
    return [(p.line, p.reason, p.detail) for p in r.problems]


def rated(data: str) -> dict[str, float | None]:
    r = parse_bytes(data.encode("utf-8"))
    return {(row.ids.get("imdb") or row.title): row.rating for row in r.rows}


# --- a file cut short ---------------------------------------------------------------------------


def test_imdb_last_row_cut_short_is_refused_with_its_line() -> None:
    data = IMDB_HEAD + imdb_row("tt0111161", "9") + "tt0066810,1"  # cut from 10, no newline
    assert rated(data) == {"tt0111161": 9.0}
    ((line, reason, detail),) = problems(data)
    assert (line, reason) == (3, "malformed row") and "only 2 of 14 fields" in detail


def test_a_short_row_in_the_middle_is_refused_too() -> None:
    data = IMDB_HEAD + imdb_row("tt0111161", "9") + "tt0068646,10,2024-03-01,The Godfather\n"
    data += imdb_row("tt0903747", "10")
    assert rated(data) == {"tt0111161": 9.0, "tt0903747": 10.0}
    assert [(p[0], p[1]) for p in problems(data)] == [(3, "malformed row")]


def test_letterboxd_rating_cut_to_a_dot_is_refused() -> None:
    data = (
        LB_HEAD
        + "2024-01-01,Heat,1995,https://boxd.it/1,5\n2024-01-02,Ran,1985,https://boxd.it/2,4."
    )
    assert rated(data) == {"Heat": 10.0}
    ((line, reason, detail),) = problems(data)
    assert (line, reason) == (3, "invalid rating") and "'4.'" in detail


def test_tmdb_row_cut_before_its_rating_is_refused() -> None:
    data = (
        TMDB_HEAD
        + tmdb_row("9")
        + "278,tt0111161,movie,The Shawshank Redemption,1994-09-23,,,8.7,1"
    )
    assert rated(data) == {"tt0137523": 9.0}
    ((line, reason, detail),) = problems(data)
    assert (line, reason) == (3, "malformed row") and "9 of 10 fields" in detail


# --- numbers not written the format's way --------------------------------------------------------

LOOSE = [
    "1_0",  # int() and float() skip underscores
    "5,5",  # a decimal comma: IMDb never writes one
    "\u0661\u0660",  # Arabic-Indic 10
    "\uff11\uff10",  # full-width 10
    "\u0967\u0966",  # Devanagari 10
    "7.",  # cut
    " 8 8",
]


@pytest.mark.parametrize("value", LOOSE)
def test_imdb_rating_in_loose_notation_is_refused(value: str) -> None:
    quoted = '"' + value + '"'
    data = IMDB_HEAD + imdb_row("tt0111161", "9") + imdb_row("tt0068646", quoted)
    assert rated(data) == {"tt0111161": 9.0}
    ((line, reason, detail),) = problems(data)
    assert (line, reason) == (3, "invalid rating") and "not a rating" in detail


@pytest.mark.parametrize("value", ["1_0", "4,5", "\u0664", "\uff14", "4.", "0_4"])
def test_letterboxd_rating_in_loose_notation_is_refused(value: str) -> None:
    data = LB_HEAD + f'2024-01-01,Heat,1995,https://boxd.it/1,"{value}"\n'
    assert rated(data) == {}
    assert [(p[0], p[1]) for p in problems(data)] == [(2, "invalid rating")]


@pytest.mark.parametrize("value", ["1_0", "5,5", "\u0661\u0660", "\uff18", "8."])
def test_tmdb_rating_in_loose_notation_is_refused(value: str) -> None:
    data = TMDB_HEAD + tmdb_row(f'"{value}"')
    assert rated(data) == {}
    assert [(p[0], p[1]) for p in problems(data)] == [(2, "invalid rating")]


@pytest.mark.parametrize("value", ["1_0", "\u0661\u0660", "\uff11\uff10", "5,5", "8."])
def test_trakt_rating_as_loose_text_is_refused(value: str) -> None:
    entry = {"rated_at": "2024-01-01T00:00:00.000Z", "rating": value, "type": "movie",
             "movie": {"title": "Heat", "year": 1995, "ids": {"imdb": "tt0113277"}}}  # fmt: skip
    good = {**entry, "rating": 8, "movie": {"title": "Ran", "ids": {"imdb": "tt0089881"}}}
    r = parse_bytes(json.dumps([good, entry]).encode("utf-8"))
    assert {row.ids["imdb"]: row.rating for row in r.rows} == {"tt0089881": 8.0}
    assert [(p.line, p.reason) for p in r.problems] == [(2, "invalid rating")]


def test_ids_years_and_numbers_read_only_ascii_digits() -> None:
    """Other scripts' digits in an id, a year or a season number are not read as numbers."""
    data = TMDB_HEAD + (
        "\u0665\u0665\u0660,tt\u0660\u0661\u0663\u0667\u0665\u0662\u0663,tv,Show,"
        "\u0661\u0669\u0669\u0669-10-15,\u0661,\u0662,8.4,9,2024-01-10T18:22:01Z\n"
    )
    (row,) = parse_bytes(data.encode("utf-8")).rows
    assert (row.ids, row.show_ids, row.year, row.season, row.episode) == ({}, {}, None, None, None)


# --- a rating column twice ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "row", "named"),
    [
        (IMDB_HEAD.rstrip("\n") + ",Your Rating\n", imdb_row("tt0111161", "9").rstrip() + ",3\n",
         "'Your Rating' 2 times"),
        (LB_HEAD.rstrip("\n") + ",Rating\n", "2024-01-01,Heat,1995,https://boxd.it/1,4,2\n",
         "'Rating' 2 times"),
        (TMDB_HEAD.rstrip("\n") + ",Your Rating\n", tmdb_row("9").rstrip() + ",2\n",
         "'Your Rating' 2 times"),
        ("Const,Your Rating,Title,You rated\n", "tt0111161,9,Film,3\n",
         "'Your Rating' and 'You rated'"),
    ],
)  # fmt: skip
def test_a_duplicated_rating_column_refuses_the_file_by_name(
    head: str, row: str, named: str
) -> None:
    with pytest.raises(SourceError) as err:
        parse_bytes((head + row).encode("utf-8"))
    assert named in str(err.value) and "cannot be told" in str(err.value)


# --- the ratings CSV (artist, album and track stars) --------------------------------------------

RC_HEAD = "kind,key,artist,title,stars,source\n"


@pytest.mark.parametrize(
    "value", ["0_4", "4.", "\u0664", "\uff14", "\u0664.\u0665", "4.5.", "2_0%"]
)
def test_ratings_csv_stars_in_loose_notation_are_refused(value: str) -> None:
    row, other = rcsv.parse_ratings_text(
        RC_HEAD + f'track,,A,Song,"{value}",own\ntrack,,A,B,4,own\n'
    )
    assert (row.line, row.problem, row.rating) == (2, rcsv.INVALID_STARS, None)
    assert other.rating == 8.0 and not other.problem


def test_ratings_csv_keeps_its_own_spreadsheet_notations() -> None:
    """Decimal commas, halves, glyphs, fractions and percentages are this format's own."""
    cells = ['"4,5"', "4.5", "4½", "★★★½", "9/10", "80%", "4*", ".5", "-", ""]
    text = RC_HEAD + "".join(f"track,,A,S{i},{c},own\n" for i, c in enumerate(cells))
    got = [(r.rating, r.problem) for r in rcsv.parse_ratings_text(text)]
    assert got == [
        (9.0, ""), (9.0, ""), (9.0, ""), (7.0, ""), (9.0, ""), (8.0, ""), (8.0, ""), (1.0, ""),
        (None, rcsv.NO_STARS), (None, rcsv.NO_STARS),
    ]  # fmt: skip


def test_ratings_csv_short_last_row_and_twin_stars_column() -> None:
    rows = rcsv.parse_ratings_text(RC_HEAD + "track,,A,Song,4,own\ntrack,,A,Other,1")
    assert [(r.line, r.problem) for r in rows] == [(2, ""), (3, rcsv.MALFORMED)]
    assert "only 5 of 6 fields" in rows[1].detail
    with pytest.raises(SourceError, match="'Stars' 2 times"):
        rcsv.parse_ratings_text("Kind,Title,Stars,Stars\ntrack,Song,4,2\n")


# --- real exports still read ---------------------------------------------------------------------


def test_headers_of_real_exports_still_read() -> None:
    """Rows as the sites write them (trailing empty Directors, ``5.0``, an Excel ``8.0``)."""
    imdb = IMDB_HEAD + (
        'tt0903747,10,2026-03-29,"Breaking Bad","Breaking Bad",https://www.imdb.com/title/'
        'tt0903747,TV Series,9.5,48,2008,"Drama, Crime, Thriller",2595082,"2008-01-20",\n'
        'tt0117571,8.0,2026-04-03,"Scream","Scream",https://www.imdb.com/title/tt0117571,'
        'Movie,7.4,111,1996,"Horror, Mystery",423424,"1996-12-20","Wes Craven"\n'
    )
    assert rated(imdb) == {"tt0903747": 10.0, "tt0117571": 8.0} and not problems(imdb)
    lb = LB_HEAD + (
        "2024-03-01,Dune: Part Two,2024,https://boxd.it/hNkc,5.0\n"
        '2026-01-01,"Good Night, and Good Luck.",2005,https://boxd.it/1,0.5\n'
    )
    assert rated(lb) == {"Dune: Part Two": 10.0, "Good Night, and Good Luck.": 1.0}
    diary = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n"
    diary += "2024-01-01,Heat,1995,https://boxd.it/x,,,,2023-12-31\n"  # watched, not rated
    assert rated(diary) == {"Heat": None} and not problems(diary)
    tmdb = TMDB_HEAD + tmdb_row("7.5")
    assert rated(tmdb) == {"tt0137523": 7.5}
    # a header ending in a separator asks for no extra field
    assert rated(LB_HEAD.rstrip("\n") + ",\n2024-01-01,Heat,1995,https://boxd.it/1,4\n") == {
        "Heat": 8.0
    }


# --- on the command line -----------------------------------------------------------------------


def _run(srv: Any, home: Path, *argv: str) -> tuple[int, dict[str, Any], str]:
    from ratings_gui.cli import main

    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        code = main(
            [*argv, "--server", srv.url, "--token", srv.token, "--data-dir", str(home), "--json"]
        )
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    return code, (json.loads(lines[-1]) if lines else {}), err.getvalue()


def test_import_of_a_cut_export_writes_the_whole_rows_only(
    demo: Any, home: Path, tmp_path: Path
) -> None:
    """``import --yes`` of an IMDb export whose last line was cut: that item keeps its rating."""
    paths = demo.write_exports(tmp_path / "in")
    text = paths["imdb"].read_text(encoding="utf-8").rstrip("\r\n")
    body = text.splitlines()
    const = next(
        c
        for c in (ln.split(",")[0] for ln in body[1:])
        for it in demo.lib.items.values()
        if f"imdb://{c}" in it.guids and it.user_rating != 1.0
    )
    item = next(it for it in demo.lib.items.values() if f"imdb://{const}" in it.guids)
    before = item.user_rating
    body = [ln for ln in body if not ln.startswith(const + ",")]
    cut = tmp_path / "cut.csv"
    cut.write_text("\n".join(body) + f"\n{const},1", encoding="utf-8")  # no newline
    out_csv = tmp_path / "left.csv"
    code, out, err = _run(
        demo, home, "import", str(cut), "--all-libraries", "--yes", "--unmatched-out", str(out_csv)
    )
    assert code == 0, err
    assert item.user_rating == before != 1.0  # not ½★
    with out_csv.open(encoding="utf-8-sig", newline="") as fh:
        left = {int(r["line"]): r for r in csv.DictReader(fh) if r["line"]}
    cut_line = len(body) + 1
    assert left[cut_line]["reason"] == "invalid rating"
    assert "only 2 of 14 fields: the row is cut short" in left[cut_line]["detail"]
