"""Export parsers: each documented format and its real-world variants -> expected rows."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from ratings_gui.core.records import Item
from ratings_gui.sources import SourceError, detect_format, load, parse_bytes
from ratings_gui.sources.base import day_first, parse_date
from ratings_gui.sources.export import (
    LETTERBOXD_COLUMNS,
    UNMATCHED_COLUMNS,
    ratings_to_letterboxd_csv,
    ratings_to_plain_csv,
    write_unmatched_csv,
)

FIX = Path(__file__).parent / "fixtures" / "exports"


def rows_of(result):
    return [
        (r.line, r.title, r.year, r.rating, r.ids.get("imdb"), r.kind_hint) for r in result.rows
    ]


# --- IMDb ---------------------------------------------------------------------------


def test_imdb_current_english():
    r = load(FIX / "imdb_ratings_en.csv")
    assert (r.format, r.variant) == ("imdb", "ratings")
    assert rows_of(r) == [
        (2, "The Shawshank Redemption", 1994, 9.0, "tt0111161", "movie"),
        (3, "Breaking Bad", 2008, 10.0, "tt0903747", "show"),
        (4, "Breaking Bad: Ozymandias", 2013, 10.0, "tt2301451", "episode"),
        (5, "Amélie", 2001, 8.0, "tt0211915", "movie"),
        (6, "Fargo", 1996, 7.0, "tt0116282", "movie"),
        (9, "Joker, the Game", 2019, 6.0, "tt7286456", "game"),  # no Plex kind: no title match
    ]
    assert r.rows[3].original_title == "Le fabuleux destin d'Amélie Poulain"
    assert r.rows[0].original_title is None  # same as the title
    assert r.rows[0].date == "2024-03-01"
    assert [(p.line, p.reason) for p in r.problems] == [(7, "duplicate row"), (8, "invalid rating")]
    assert r.counts["read"] == 8 and r.counts["rated"] == 6
    assert r.counts["duplicate row"] == 1 and r.counts["invalid rating"] == 1


def test_imdb_italian_title_types_still_give_hints_and_ids():
    r = load(FIX / "imdb_ratings_it.csv")
    assert [(x.ids["imdb"], x.kind_hint, x.rating) for x in r.rows] == [
        ("tt0111161", "movie", 9.0),
        ("tt0903747", "show", 10.0),
        ("tt2301451", "episode", 10.0),
        ("tt2802850", "show", 8.0),
    ]
    assert r.rows[0].title == "Le ali della libertà"
    assert r.rows[0].original_title == "The Shawshank Redemption"


def test_imdb_excel_semicolon_bom_month_first_dates():
    r = load(FIX / "imdb_excel_semicolon_bom.csv")
    assert r.format == "imdb"
    assert [(x.title, x.rating, x.date) for x in r.rows] == [
        ("The Shawshank Redemption", 9.0, "2024-03-01"),
        ("Amélie", 8.0, "2023-12-24"),  # "8.0" reads like "8"
        ("Dune; Extended", 6.0, "2024-01-02"),  # quoted separator inside a title
    ]
    assert not r.problems


def test_imdb_excel_windows_code_page():
    raw = (FIX / "imdb_excel_cp1252.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    r = load(FIX / "imdb_excel_cp1252.csv")
    assert [(x.title, x.original_title, x.rating) for x in r.rows] == [
        ("Léon: The Professional", "Léon", 10.0),
        ("Amélie", "Le fabuleux destin d'Amélie Poulain", 8.0),
    ]


def test_imdb_legacy_and_2017_headers():
    legacy = load(FIX / "imdb_ratings_legacy.csv")
    assert legacy.variant == "ratings (legacy)"
    assert [(x.ids["imdb"], x.kind_hint, x.rating) for x in legacy.rows] == [
        ("tt0068646", "movie", 10.0),
        ("tt0944947", "show", 9.0),
        ("tt1480055", "episode", 8.0),
    ]
    old = load(FIX / "imdb_ratings_2017.csv")
    assert old.variant == "ratings (2017)"
    assert [(x.title, x.rating, x.date) for x in old.rows] == [
        ("The Godfather", 10.0, "2017-02-22"),
        ("Fargo", 8.0, "2017-02-23"),
    ]


def test_imdb_list_export_skips_unrated_entries():
    r = load(FIX / "imdb_list.csv")
    assert (r.format, r.variant) == ("imdb", "list")
    assert [(x.line, x.ids["imdb"], x.rating, x.year) for x in r.rows] == [
        (2, "tt0111161", 9.0, 1994),
        (4, "tt1160419", 8.0, 2021),
    ]
    assert r.counts["not rated"] == 1 and not r.problems


def test_imdb_list_without_your_rating_column_is_refused():
    data = b"Position,Const,Created,Modified,Description,Title,URL\n1,tt0111161,,,,X,\n"
    with pytest.raises(SourceError, match="no ratings"):
        parse_bytes(data)


def test_day_first_dates_are_recognised_per_file():
    assert day_first(["24/12/2023", "1/2/2024"]) is True
    assert day_first(["12/24/2023", "1/2/2024"]) is False
    assert parse_date("1/2/2024", dayfirst=True) == "2024-02-01"
    assert parse_date("2024-01-10T18:22:01Z") == "2024-01-10"
    assert parse_date("2024-02-01T10:00:00.000Z") == "2024-02-01"
    assert parse_date("Wed Feb 22 00:00:00 2017") == "2017-02-22"
    assert parse_date("13/13/2024") is None


# --- Letterboxd -------------------------------------------------------------------------


def test_letterboxd_ratings_halves_to_plex():
    r = load(FIX / "letterboxd" / "ratings.csv")
    assert (r.format, r.variant) == ("letterboxd", "ratings")
    assert [(x.title, x.year, x.rating, x.kind_hint, x.ids) for x in r.rows][:3] == [
        ("The Shawshank Redemption", 1994, 9.0, "movie", {}),
        ("Amélie", 2001, 8.0, "movie", {}),
        ("Fargo", 1996, 10.0, "movie", {}),
    ]
    assert [x.rating for x in r.rows][-1] == 1.0  # 0.5 stars
    assert r.rows[5].title == "Crouching Tiger, Hidden Dragon"
    assert [(p.line, p.reason) for p in r.problems] == [(10, "invalid rating")]


def test_letterboxd_diary_latest_rated_entry_wins():
    r = load(FIX / "letterboxd" / "diary.csv")
    assert r.variant == "diary"
    got = {x.title: (x.rating, x.watched_only, x.date) for x in r.rows}
    assert got == {
        "Fargo": (10.0, False, "2023-03-01"),  # rated twice: the newer 5 stars wins
        "The Godfather": (None, True, "2023-03-04"),  # watched, never rated
        "Heat": (8.0, False, "2021-05-30"),  # a later unrated rewatch keeps the rating
    }
    assert r.counts["earlier entry"] == 2 and not r.problems


def test_letterboxd_reviews_with_multiline_text():
    r = load(FIX / "letterboxd" / "reviews.csv")
    assert r.variant == "reviews"
    assert [(x.line, x.title, x.rating) for x in r.rows] == [(2, "Fargo", 10.0), (4, "Heat", 8.0)]


def test_letterboxd_watched_and_watchlist():
    r = load(FIX / "letterboxd" / "watched.csv")
    assert r.variant == "watched"
    assert all(x.watched_only and x.rating is None for x in r.rows) and len(r.rows) == 3
    with pytest.raises(SourceError, match="watchlist"):
        load(FIX / "letterboxd" / "watchlist.csv")


@pytest.mark.parametrize("path", ["letterboxd-export.zip", "letterboxd"])
def test_letterboxd_zip_and_folder_merge_files(path):
    r = load(FIX / path)
    assert detect_format(FIX / path) == "letterboxd"
    assert (r.format, r.variant) == ("letterboxd", "zip")
    got = {x.title: (x.rating, x.watched_only, x.source) for x in r.rows}
    assert len(got) == 10
    assert got["Fargo"] == (10.0, False, "ratings.csv")
    assert got["Heat"] == (8.0, False, "diary.csv")  # not in ratings.csv: the diary has it
    assert got["The Godfather"] == (None, True, "diary.csv")
    assert r.counts["rated"] == 9 and r.counts["watched only"] == 1
    # deleted/ and likes/ are not the user's ratings
    assert all("/" not in x.source for x in r.rows)


# --- TMDB and Trakt ---------------------------------------------------------------------------


def test_tmdb_ratings_kinds_and_show_ids():
    r = load(FIX / "tmdb_ratings.csv")
    assert detect_format(FIX / "tmdb_ratings.csv") == "tmdb"
    got = [(x.kind_hint, x.ids, x.show_ids, x.season, x.episode, x.rating, x.year) for x in r.rows]
    assert got == [
        ("movie", {"imdb": "tt0111161", "tmdb": "278"}, {}, None, None, 9.0, 1994),
        ("show", {"imdb": "tt0903747", "tmdb": "1396"}, {}, None, None, 10.0, 2008),
        ("episode", {}, {"tmdb": "1396"}, 5, 14, 10.0, 2008),
        ("season", {"imdb": "tt0944947"}, {"tmdb": "1399"}, 1, None, 7.0, 2011),
        ("movie", {"imdb": "tt1160419", "tmdb": "438631"}, {}, None, None, 8.0, 2021),
    ]
    assert r.rows[0].date == "2024-01-10"
    assert [(p.line, p.reason) for p in r.problems] == [(7, "invalid rating")]


def test_trakt_single_file_and_folder():
    one = load(FIX / "trakt" / "ratings-episodes.json")
    assert one.format == "trakt"
    oz, wic = one.rows
    assert (oz.kind_hint, oz.season, oz.episode, oz.ids["imdb"], oz.show_title) == (
        "episode",
        5,
        14,
        "tt2301451",
        "Breaking Bad",
    )
    assert wic.ids == {} and wic.show_ids["tvdb"] == "121361"
    folder = load(FIX / "trakt")
    assert detect_format(FIX / "trakt") == "trakt"
    kinds = sorted(x.kind_hint for x in folder.rows)
    assert kinds == ["episode", "episode", "movie", "movie", "season", "show", "show"]
    season = next(x for x in folder.rows if x.kind_hint == "season")
    assert (season.season, season.show_ids["tmdb"], season.rating) == (1, "1399", 7.0)
    assert [(p.source, p.reason) for p in folder.problems] == [
        ("ratings-movies.json", "invalid rating")
    ]


def test_trakt_zip(tmp_path):
    z = tmp_path / "trakt-export.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in (FIX / "trakt").iterdir():
            zf.write(f, f"backup/{f.name}")
        zf.writestr("backup/watched-movies.json", "[]")
    assert detect_format(z) == "trakt"
    assert len(load(z).rows) == 7


# --- whole-file problems ------------------------------------------------------------------------


def test_format_override():
    assert load(FIX / "imdb_list.csv", "imdb").format == "imdb"
    with pytest.raises(SourceError, match="from IMDb, not from Letterboxd"):
        load(FIX / "imdb_list.csv", "letterboxd")
    with pytest.raises(SourceError, match="not a ratings export"):
        parse_bytes(b"a,b\n1,2\n", "imdb")
    with pytest.raises(SourceError, match="Unknown format"):
        load(FIX / "imdb_list.csv", "netflix")
    with pytest.raises(SourceError, match="Trakt"):
        load(FIX / "imdb_list.csv", "trakt")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n\r\n  \n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"foo,bar,baz\n1,2,3\n", "Expected one of"),
        (b"Const|Your Rating|Title\ntt0111161|9|X\n", "could not be split"),
        (b"\x00\x01\x02\x03binary\x00\xff" * 50, "not a text file"),
        (b"PK\x03\x04 not really a zip", "zip"),
        (b'{"not": "a list"}', "Trakt"),
        (b"[1, 2", "JSON"),
    ],
)
def test_whole_file_problems_raise_source_error(data, message):
    with pytest.raises(SourceError, match=message):
        parse_bytes(data)


def test_size_limit_is_configurable(tmp_path):
    f = tmp_path / "big.csv"
    f.write_bytes((FIX / "imdb_ratings_en.csv").read_bytes())
    with pytest.raises(SourceError, match="limit"):
        load(f, max_bytes=100)
    assert load(f).rows


def test_zip_without_ratings(tmp_path):
    z = tmp_path / "x.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("profile.csv", "Date Joined,Username\n2020-01-01,me\n")
        zf.writestr("readme.txt", "hello")
    with pytest.raises(SourceError, match="no ratings"):
        load(z)
    with pytest.raises(SourceError, match="no ratings"):
        detect_format(z)


def test_missing_file_is_a_source_error(tmp_path):
    with pytest.raises(SourceError):
        load(tmp_path / "nope.csv")


def test_broken_quoting_is_a_row_problem_or_source_error():
    head = (FIX / "imdb_ratings_en.csv").read_bytes().split(b"\r\n")[0]
    data = head + b'\r\ntt0111161,9,2024-03-01,"The Shawshank, Redemption,,x,Movie\r\n'
    data += b"tt0068646,10,2024-03-01,The Godfather,,,Movie,,,1972\r\n"
    try:
        r = parse_bytes(data)
    except SourceError:
        return
    assert all(p.reason in ("malformed row", "invalid rating") for p in r.problems)


def test_unquoted_separator_in_title_is_malformed_row():
    data = b"Date,Name,Year,Letterboxd URI,Rating\n2023-01-01,Crouching Tiger, Hidden Dragon,2000,https://boxd.it/1,4\n"
    r = parse_bytes(data)
    assert [p.reason for p in r.problems] == ["malformed row"] and not r.rows


# --- writers -----------------------------------------------------------------------------------


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_unmatched_csv_fixed_columns_and_formula_safety(tmp_path):
    out = tmp_path / "unmatched.csv"
    n = write_unmatched_csv(
        out,
        [
            {"line": 3, "title": '=HYPERLINK("x")', "year": 1999, "reason": "not found"},
            {"reason": "needs review", "title": "Amélie", "rating": 8.0, "score": 0.7},
            {"title": "@SUM(A1)", "rating_raw": "-1+2", "reason": "invalid rating"},
        ],
    )
    assert n == 3
    rows = read_csv(out)
    assert rows[0] == list(UNMATCHED_COLUMNS)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["title"] == '\'=HYPERLINK("x")' and first["reason"] == "not found"
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["title"] == "Amélie" and second["detail"] == "score=0.7"
    third = dict(zip(rows[0], rows[3], strict=True))
    assert third["title"] == "'@SUM(A1)" and third["rating_raw"] == "'-1+2"


def test_exports_the_other_way(tmp_path):
    items = [
        Item(
            1, "movie", "Heat", year=1995, user_rating=9.0, guids=("imdb://tt0113277", "tmdb://949")
        ),
        Item(2, "movie", "+Plus", year=2000, user_rating=1.0),
        Item(3, "movie", "Unrated", year=2000),
        Item(4, "show", "Breaking Bad", year=2008, user_rating=10.0, guids=("tvdb://81189",)),
        Item(
            5,
            "episode",
            "Pilot",
            grandparent_title="Breaking Bad",
            parent_index=1,
            index=1,
            user_rating=7.0,
        ),
    ]
    lb = tmp_path / "letterboxd.csv"
    assert ratings_to_letterboxd_csv(items, lb) == 2
    rows = read_csv(lb)
    assert rows[0] == list(LETTERBOXD_COLUMNS)
    assert rows[1] == ["Heat", "1995", "tt0113277", "949", "4.5"]
    assert rows[2] == ["'+Plus", "2000", "", "", "0.5"]
    plain = tmp_path / "plain.csv"
    assert ratings_to_plain_csv(items, plain) == 4
    rows = read_csv(plain)
    ep = dict(zip(rows[0], rows[4], strict=True))
    assert (ep["Kind"], ep["Show"], ep["Season"], ep["Episode"], ep["Rating"], ep["Stars"]) == (
        "episode",
        "Breaking Bad",
        "1",
        "1",
        "7",
        "3.5",
    )


def test_unicode_line_separators_inside_titles_do_not_split_records():
    data = "Date,Name,Year,Letterboxd URI,Rating\n2023-01-01,A\u2028B\x85C,2000,u,4\n".encode()
    r = parse_bytes(data)
    assert [x.title for x in r.rows] == ["A\u2028B\x85C"]


def test_zip_with_a_damaged_deflate_stream_is_a_source_error() -> None:
    """Found by the fuzz test: zlib's own error must become the program's input error."""
    import io
    import zipfile

    from ratings_gui.sources import SourceError, parse_bytes

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        body = "Date,Name,Year,Letterboxd URI,Rating\n" + "".join(
            f"2024-01-{i % 28 + 1:02d},Film {i},{1990 + i % 30},https://boxd.it/{i},{(i % 10 + 1) / 2}\n"
            for i in range(200)
        )
        zf.writestr("ratings.csv", body)
    data = bytearray(buf.getvalue())
    start = 30 + len("ratings.csv")  # local header, then the compressed bytes
    for i in range(start + 10, start + 60):
        data[i] ^= 0x5A
    with pytest.raises(SourceError, match="cannot be read"):
        parse_bytes(bytes(data))
