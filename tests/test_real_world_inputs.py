"""Exports as people really have them (issue 13): old IMDb files, IMDb's other site
languages, placeholder episodes, films sharing a title, titles that differ by punctuation
and watched-only rows. Fixtures are written after the shapes real files have."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ratings_gui.core.importplan import NEEDS_REVIEW, NO_RATING, UPDATE, plan_import
from ratings_gui.core.matching import build_index, match, normalize_title, squash_title
from ratings_gui.core.records import Item
from ratings_gui.sources import load, parse_bytes
from ratings_gui.sources.base import SourceRow
from ratings_gui.sources.imdb import kind_hint, placeholder_episode

FIX = Path(__file__).parent / "fixtures" / "exports"


def library() -> list[Item]:
    return [
        Item(1, "movie", "The Shawshank Redemption", year=1994, guids=("imdb://tt0111161",)),
        Item(2, "movie", "Uma's Station", year=2002, view_count=0),
        Item(3, "movie", "Rain", year=2019),
        Item(4, "movie", "The Haunted Castle", year=1897),
        Item(5, "movie", "The Haunted Castle", year=1896),
        Item(6, "movie", "Spider-Man", year=2002),
        Item(7, "movie", "The Lord of the Rings: The Fellowship of the Ring", year=2001),
        Item(8, "movie", "Mortal Kombat", year=1992),  # the film a game must not hit
        Item(20, "show", "Peaky Blinders", year=2013),  # legacy agent: no ids on episodes
        Item(21, "season", "Season 1", parent_key=20, parent_title="Peaky Blinders", index=1),
        Item(22, "episode", "Episode 1", parent_key=21, grandparent_key=20,
             grandparent_title="Peaky Blinders", parent_index=1, index=1),
        Item(23, "episode", "Episode 2", parent_key=21, grandparent_key=20,
             grandparent_title="Peaky Blinders", parent_index=1, index=2),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def index():
    return build_index(library())


# --- 1. IMDb exports from before 2017, and title types in every language ------------------------


def test_pre_2017_imdb_export_is_read_fully():
    r = load(FIX / "imdb_ratings_pre2017.csv")
    assert (r.format, r.variant) == ("imdb", "ratings (pre-2017)")
    got = [(x.line, x.ids["imdb"], x.rating, x.kind_hint, x.date, x.year) for x in r.rows]
    assert got == [
        (2, "tt0111161", 9.0, "movie", "2017-01-29", 1994),  # Feature Film
        (3, "tt0903747", 10.0, "show", "2016-12-31", 2008),  # TV Series
        (4, "tt0765010", 9.0, "show", "2015-03-01", 2001),  # Mini-Series, "Sun Mar  1"
        (5, "tt0106179", 8.0, "episode", "2015-01-20", 1993),  # TV Episode
        (6, "tt2442560", 7.0, "episode", "2015-01-03", 2013),  # a placeholder episode
        (7, "tt0468569", 6.0, "movie", "2015-01-02", 2006),  # TV Movie
        (8, "tt0387564", 8.0, "movie", "2015-01-01", 2003),  # Documentary
        (9, "tt0376606", 9.0, "movie", "2014-12-31", 1982),  # Short Film
        (10, "tt0293429", 5.0, "game", "2014-12-30", 1992),  # Video Game
    ]
    # The old ratings and list exports share the header: an empty "You rated" is a
    # list entry without a rating, not a broken row.
    assert r.counts["not rated"] == 1 and not r.problems


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # the pre-2017 names
        ("Feature Film", "movie"), ("TV Series", "show"), ("TV Movie", "movie"),
        ("Documentary", "movie"), ("Mini-Series", "show"), ("Short Film", "movie"),
        ("Video Game", "game"), ("TV Episode", "episode"),
        # camelCase and current English
        ("tvSpecial", "movie"), ("tvShort", "movie"), ("videoGame", "game"),
        ("TV Special", "movie"), ("TV Short", "movie"), ("Podcast Episode", "podcast"),
        # Italian, German, Spanish, French, Portuguese
        ("Speciale TV", "movie"), ("Corto", "movie"), ("Videogioco", "game"),
        ("TV-Special", "movie"), ("TV-Kurzfilm", "movie"), ("Spielfilm", "movie"),
        ("Videospiel", "game"), ("TV-Serie", "show"), ("TV-Episode", "episode"),
        ("Especial de TV", "movie"), ("Cortometraje", "movie"), ("Videojuego", "game"),
        ("Serie de TV", "show"), ("Episodio de TV", "episode"),
        ("Spécial TV", "movie"), ("Court métrage", "movie"), ("Jeu vidéo", "game"),
        ("Série TV", "show"), ("Épisode TV", "episode"), ("Téléfilm", "movie"),
        ("Curta-metragem", "movie"), ("Minissérie", "show"), ("Episódio de TV", "episode"),
        ("Filme para TV", "movie"), ("Jogo eletrônico", "game"),
        ("", None), ("Something new", None),
    ],
)  # fmt: skip
def test_title_types_in_every_site_language(text, kind):
    assert kind_hint(text) == kind


def test_a_game_never_matches_a_film_by_title(index):
    r = load(FIX / "imdb_ratings_pre2017.csv")
    game = next(x for x in r.rows if x.kind_hint == "game")
    assert match(game, index).item is None
    plan, _ = plan_import(r, index)
    skipped = next(s for s in plan.skipped if s["line"] == game.line)
    assert skipped["reason"] == "not found" and "video game" in skipped["detail"]


# --- 7. IMDb placeholder episode titles ---------------------------------------------------------


def test_placeholder_episode_titles_are_season_and_episode(index):
    assert placeholder_episode("Peaky Blinders: Episode #1.1") == ("Peaky Blinders", 1, 1)
    assert placeholder_episode("Star Trek: Discovery: Episode #2.14") == (
        "Star Trek: Discovery",
        2,
        14,
    )
    assert placeholder_episode("Peaky Blinders: Episode One") is None
    data = (
        b"Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,"
        b"Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n"
        b"tt2442560,9,2024-01-01,Peaky Blinders: Episode #1.1,Peaky Blinders: Episode #1.1,"
        b"https://www.imdb.com/title/tt2442560/,TV Episode,8.0,57,2013,Drama,100,2013-09-12,\n"
        b"tt2442562,8,2024-01-02,Peaky Blinders: Episodio #1.2,Peaky Blinders: Episode #1.2,"
        b"https://www.imdb.com/title/tt2442562/,Episodio TV,8.0,57,2013,Drama,100,2013-09-19,\n"
    )
    r = parse_bytes(data)
    assert [(x.show_title, x.season, x.episode, x.kind_hint) for x in r.rows] == [
        ("Peaky Blinders", 1, 1, "episode"),
        ("Peaky Blinders", 1, 2, "episode"),
    ]
    plan, review = plan_import(r, index)
    assert {c.target: c.new for c in plan.changes} == {"22": 9.0, "23": 8.0}
    assert not review
    # The old export's placeholder episode finds its episode the same way.
    plan, _ = plan_import(load(FIX / "imdb_ratings_pre2017.csv"), index)
    assert any(c.target == "22" and c.new == 7.0 for c in plan.changes)


# --- 8. titles that differ only by punctuation --------------------------------------------------


def test_punctuation_vanishes_in_one_key_and_spaces_in_the_other():
    assert squash_title("Uma's Station") == squash_title("UMAS STATION") == "umas station"
    assert squash_title("Spider-Man") == "spiderman"
    assert normalize_title("L'Avventura") == "avventura"  # the elided article still drops


def test_letterboxd_title_in_capitals_without_apostrophe_matches(index):
    row = SourceRow(2, "UMAS STATION", 2002, 9.0, kind_hint="movie")
    m = match(row, index)
    assert m.item is not None and m.item.key == 2 and m.score >= 0.85
    m = match(SourceRow(3, "Spiderman", 2002, 8.0, kind_hint="movie"), index)
    assert m.item is not None and m.item.key == 6


def test_fuzzy_title_match_uses_the_review_threshold(index):
    # One letter off: rapidfuzz scores it high enough to apply ...
    near = SourceRow(2, "The Lord of the Rings: The Fellowship of the Rings", 2001, 9.0)
    m = match(near, index)
    assert m.item is not None and m.item.key == 7 and m.how == "fuzzy title+year"
    assert 0.85 <= m.score < 0.95
    # ... a looser title only reaches review, and a title of another year is no candidate.
    loose = SourceRow(3, "Lord of the Rings: The Fellowship", 2001, 9.0)
    plan, review = plan_import_rows([loose], index)
    assert plan.counts[NEEDS_REVIEW] == 1 and review[0].candidates[0][0].key == 7
    assert match(SourceRow(4, "Uma's Stations", 1990, 8.0), index).candidates == []


def plan_import_rows(rows, index, **kw):
    from ratings_gui.sources.base import ParseResult

    return plan_import(ParseResult("letterboxd", rows=rows), index, **kw)


# --- 6. two films with the same title and year ----------------------------------------------------


def test_two_films_with_one_title_and_year_stay_two_rows(index):
    r = load(FIX / "letterboxd_same_title.csv")
    assert [(x.title, x.uri) for x in r.rows] == [
        ("The Haunted Castle", "https://boxd.it/2aWu"),
        ("The Haunted Castle", "https://boxd.it/1Qnm"),
        ("Rain", "https://boxd.it/nH5K"),
        ("Rain", "https://boxd.it/nUQi"),
        ("UMAS STATION", "https://boxd.it/4Kb2"),
    ]
    # Only the real repeat (the same URI again) is a duplicate.
    assert [(p.line, p.reason) for p in r.problems] == [(7, "duplicate row")]
    plan, review = plan_import(r, index)
    # Plex has one "Rain" (2019) and one "The Haunted Castle" (1897): which of the two
    # films is it? The user says; nothing is written for them unasked.
    assert sorted(x.row.line for x in review) == [2, 3, 4, 5]
    assert all("2 films in the file" in x.how for x in review)
    assert [c.target for c in plan.changes] == ["2"]  # Uma's Station
    assert plan.counts["duplicate row"] == 1


def test_same_title_across_the_files_of_a_zip_keeps_both_films():
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(
            "ratings.csv",
            "Date,Name,Year,Letterboxd URI,Rating\n2023-04-02,Rain,2019,https://boxd.it/nH5K,4\n",
        )
        zf.writestr(
            "watched.csv",
            "Date,Name,Year,Letterboxd URI\n"
            "2023-04-02,Rain,2019,https://boxd.it/nH5K\n"  # the rated one again
            "2023-04-09,Rain,2019,https://boxd.it/nUQi\n",  # another film
        )
    r = parse_bytes(buf.getvalue())
    assert [(x.uri, x.rating) for x in r.rows] == [
        ("https://boxd.it/nH5K", 8.0),
        ("https://boxd.it/nUQi", None),
    ]


# --- 5. watched-only rows --------------------------------------------------------------------------


def test_watched_only_rows_are_matched_and_marked_or_counted_no_rating(index):
    data = (
        b"Date,Name,Year,Letterboxd URI\n"
        b"2023-01-05,The Shawshank Redemption,1994,https://boxd.it/29Nu\n"
        b"2023-01-06,UMAS STATION,2002,https://boxd.it/4Kb2\n"
        b"2023-01-07,Not In Plex,1999,https://boxd.it/zzzz\n"
    )
    r = parse_bytes(data, name="watched.csv")
    plan, _ = plan_import(r, index)
    assert plan.summary() == {NO_RATING: 3} and not plan.changes
    plan, _ = plan_import(r, index, mark_watched=True)
    assert [(c.target, c.field, c.old, c.new) for c in plan.changes] == [
        ("1", "watched", False, True),
        ("2", "watched", False, True),
    ]
    assert plan.summary() == {UPDATE: 2, "not found": 1}
    assert "unchanged" not in plan.counts and "invalid rating" not in plan.counts


def test_watched_csv_with_mark_watched_marks_the_items_over_http(
    capsys: pytest.CaptureFixture[str], demo: Any, home: Path, tmp_path: Path
) -> None:
    import json

    from ratings_gui import cli

    lib = demo.lib
    movies = [lib.items[k] for k in lib.keys_of(2, "movie")]
    titles = [m.title for m in movies]
    picked = [m for m in movies if titles.count(m.title) == 1][:4]
    for m in picked:
        m.view_count = 0
    path = tmp_path / "watched.csv"
    lines = ["Date,Name,Year,Letterboxd URI"]
    lines += [
        f'2024-01-0{i + 1},"{m.title}",{m.year},https://boxd.it/w{i}' for i, m in enumerate(picked)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def run(*args: str) -> tuple[int, Any]:
        code = cli.main(
            ["import", str(path), "--library", "Movies", *args,
             "--server", demo.url, "--token", demo.token, "--data-dir", str(home), "--json"]
        )  # fmt: skip
        return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    code, out = run("--dry-run")
    assert code == 0 and out["counts"]["no rating"] == 4 and out["changes"] == 0
    assert out["counts"]["unchanged"] == 0
    demo.reset_counts()
    code, out = run("--mark-watched", "--yes")
    assert code == 0 and out["counts"]["marked watched"] == 4
    assert demo.counts["GET /:/scrobble"] == 4 and demo.total_requests("PUT") == 0
    assert all(lib.items[m.key].view_count > 0 for m in picked)
