"""Matching export rows to a hand-built library, and planning the import from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ratings_gui.core.importplan import OUTCOMES, plan_import
from ratings_gui.core.matching import build_index, match, normalize_title
from ratings_gui.core.records import Item, Snapshot
from ratings_gui.sources import load
from ratings_gui.sources.base import SourceRow

FIX = Path(__file__).parent / "fixtures" / "exports"


def library() -> Snapshot:
    snap = Snapshot("srv", "Films & TV", 1, "movie")
    snap.add(
        [
            Item(1, "movie", "The Shawshank Redemption", year=1994, view_count=3,
                 guids=("imdb://tt0111161", "tmdb://278")),
            Item(2, "movie", "Amélie", original_title="Le Fabuleux Destin d'Amélie Poulain",
                 year=2001, guids=("imdb://tt0211915", "tmdb://194")),
            Item(3, "movie", "Fargo", year=1996, user_rating=7.0,
                 guids=("imdb://tt0116282", "tmdb://275")),
            Item(4, "show", "Fargo", year=2014, guids=("imdb://tt2802850", "tmdb://60622")),
            Item(5, "movie", "Dune", year=2021, guids=("imdb://tt1160419", "tmdb://438631")),
            Item(6, "movie", "Dune", year=1984, guids=("imdb://tt0087182", "tmdb://841")),
            Item(7, "movie", "Leon: The Professional", year=1994),
            Item(8, "movie", "Crouching Tiger, Hidden Dragon", original_title="臥虎藏龍", year=2001),
            Item(9, "movie", "Spirited Away", original_title="千と千尋の神隠し", year=2001),
            Item(10, "movie", "The Godfather", year=1972, view_count=1, guids=("imdb://tt0068646",)),
            Item(11, "movie", "Heat", year=1995, user_rating=8.0),
            # a movie whose TMDB id is also Game of Thrones' TMDB tv id
            Item(12, "movie", "Some Movie", year=1999, guids=("tmdb://1399",)),
            Item(13, "movie", "Shōgun", year=1980),
            Item(14, "movie", "L'Avventura", year=1960),
            Item(15, "movie", "Fast & Furious", year=2009),
            Item(20, "show", "Breaking Bad", year=2008,
                 guids=("imdb://tt0903747", "tmdb://1396", "tvdb://81189")),
            Item(21, "show", "Game of Thrones", year=2011,
                 guids=("imdb://tt0944947", "tmdb://1399", "tvdb://121361")),
            Item(22, "show", "Shogun", year=1980),
            Item(30, "season", "Season 1", parent_key=21, parent_title="Game of Thrones", index=1),
            Item(40, "episode", "Ozymandias", parent_key=31, grandparent_key=20,
                 grandparent_title="Breaking Bad", parent_index=5, index=14,
                 guids=("imdb://tt2301451", "tvdb://4339088")),
            Item(41, "episode", "Winter Is Coming", parent_key=30, grandparent_key=21,
                 grandparent_title="Game of Thrones", parent_index=1, index=1),
        ]
    )  # fmt: skip
    return snap


@pytest.fixture(scope="module")
def index():
    return build_index(library())


def row(title: str, year: int | None = None, **kw) -> SourceRow:
    return SourceRow(
        line=kw.pop("line", 1), title=title, year=year, rating=kw.pop("rating", 8.0), **kw
    )


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("The Godfather", "godfather"),
        ("Godfather, The", "godfather"),
        ("Amélie", "amelie"),
        ("LÉON: the professional!", "leon the professional"),
        ("L’Avventura", "avventura"),
        ("Fast & Furious", "fast and furious"),
        ("Die Hard", "hard"),
        ("The", "the"),
        ("千と千尋の神隠し", "千と千尋の神隠し"),
        ("Straße", "strasse"),
    ],
)
def test_normalize_title(title, key):
    assert normalize_title(title) == key


@pytest.mark.parametrize(
    ("r", "key", "how", "score"),
    [
        (row("whatever", ids={"imdb": "tt0111161"}), 1, "imdb id", 1.0),
        # an IMDb id wins over a wrong guess of the kind
        (row("x", ids={"imdb": "tt0116282"}, kind_hint="show"), 3, "imdb id", 1.0),
        (row("Fargo", ids={"tmdb": "60622"}, kind_hint="show"), 4, "tmdb id", 1.0),
        (row("Dune", 2021, kind_hint="movie"), 5, "title+year", 0.95),
        (row("Dune", 1984, kind_hint="movie"), 6, "title+year", 0.95),
        (row("Dune", 1985, kind_hint="movie"), 6, "title+year±1", 0.86),
        (row("Léon: The Professional", 1994, kind_hint="movie"), 7, "title+year", 0.95),
        (row("Crouching Tiger, Hidden Dragon", 2000, kind_hint="movie"), 8, "title+year±1", 0.86),
        (row("千と千尋の神隠し", 2001), 9, "original title+year", 0.9),
        (row("Le fabuleux destin d'Amelie Poulain", 2002), 2, "original title+year±1", 0.82),
        (row("x", 2001, original_title="Spirited Away"), 9, "title+year", 0.95),
        (row("Godfather, The", 1972), 10, "title+year", 0.95),
        (row("L'avventura", 1960), 14, "title+year", 0.95),
        (row("Fast and Furious", 2009), 15, "title+year", 0.95),
        (row("Fargo", 1996, kind_hint="movie"), 3, "title+year", 0.95),
        (row("Fargo", 2014, kind_hint="show"), 4, "title+year", 0.95),
        (row("Fargo", 1996), 3, "title+year", 0.95),  # the year tells them apart
        (row("Fargo", None, kind_hint="show"), 4, "title", 0.7),
        (row("Shogun", 1980, kind_hint="movie"), 13, "title+year", 0.95),
        # episodes
        (row("Breaking Bad: Ozymandias", 2013, ids={"imdb": "tt2301451"}), 40, "imdb id", 1.0),
        (row("Game of Thrones: Winter Is Coming", 2011, kind_hint="episode"), 41,
         "show+episode title", 0.9),
        (row("Game of Thrones: Winter Is Coming", 2011), 41, "show+episode title", 0.9),
        (row("Breaking Bad", kind_hint="episode", season=5, episode=14, show_ids={"tmdb": "1396"}),
         40, "show id+number", 0.97),
        (row("Winter Is Coming", kind_hint="episode", season=1, episode=1,
             show_title="Game of Thrones"), 41, "show title+number", 0.9),
        # TMDB 1399 is a movie and a show: the season row's show id finds the show
        (row("Game of Thrones", kind_hint="season", season=1, ids={"imdb": "tt0944947"},
             show_ids={"tmdb": "1399"}), 30, "show id+number", 0.97),
        (row("Some Movie", ids={"tmdb": "1399"}, kind_hint="movie"), 12, "tmdb id", 1.0),
    ],
)  # fmt: skip
def test_match(index, r, key, how, score):
    m = match(r, index)
    assert (m.item.key if m.item else None, m.how, m.score) == (key, how, score)


def test_movie_and_show_sharing_a_title_are_a_tie_not_a_guess(index):
    m = match(row("Fargo"), index)
    assert m.item is None and m.score < 0.85
    assert sorted(it.key for it, _ in m.candidates) == [3, 4]
    m = match(row("Shogun", 1980), index)
    assert m.item is None and sorted(it.key for it, _ in m.candidates) == [13, 22]
    m = match(row("x", ids={"tmdb": "1399"}), index)  # no hint: movie or show?
    assert m.item is None and m.how == "ambiguous tmdb id"


def test_no_match(index):
    assert match(row("Dune", 2000, kind_hint="movie"), index).item is None  # remake years apart
    assert match(row("A Film Nobody Has", 1999), index).candidates == []
    assert match(row("Fargo", 1996, kind_hint="episode"), index).item is None


# --- plan_import -------------------------------------------------------------------------------


def test_plan_letterboxd_zip(index):
    zipped = load(FIX / "letterboxd-export.zip")
    plan, review = plan_import(zipped, index, mark_watched=True)
    # Fargo: rated 7 in Plex, 10 in the file: yours is kept unless "replace"
    assert plan.counts["kept yours"] == 1 and plan.counts["update"] == 6
    assert any(s["reason"] == "kept yours" and s["current"] == 7.0 for s in plan.skipped)
    plan, review = plan_import(zipped, index, mark_watched=True, overwrite=True)
    assert set(plan.counts) <= set(OUTCOMES)
    assert plan.summary() == {"invalid rating": 1, "not found": 1, "unchanged": 2, "update": 7}
    ratings = {c.target: (c.old, c.new, c.reason) for c in plan.changes if c.field == "userRating"}
    assert ratings["3"] == (7.0, 10.0, "matched by title and year")
    assert ratings["8"] == (None, 8.0, "matched by title and year (a year off)")
    assert ratings["9"] == (None, 1.0, "matched by title and year")
    watched = sorted(int(c.target) for c in plan.changes if c.field == "watched")
    assert watched == [2, 3, 5, 7, 8, 9]  # 1 was already watched
    assert all(c.old is False and c.new is True for c in plan.changes if c.field == "watched")
    assert not review
    assert sorted((s["reason"], s["line"]) for s in plan.skipped) == [
        ("invalid rating", 10),
        ("not found", 8),
    ]
    change = next(c for c in plan.changes if c.target == "3")
    assert (change.target_kind, change.label) == ("plex", "Fargo (1996)")


def test_plan_imdb_counts_filters_and_force(index):
    parsed = load(FIX / "imdb_ratings_en.csv")
    plan, review = plan_import(parsed, index)
    assert plan.summary() == {
        "duplicate row": 1,
        "invalid rating": 1,
        "not found": 1,
        "unchanged": 1,
        "update": 4,
    }
    assert {c.target for c in plan.changes} == {"1", "20", "40", "2"}
    assert sum(plan.counts.values()) == parsed.counts["read"]
    plan, _ = plan_import(parsed, index, kinds={"movie"})
    assert plan.counts["type filtered"] == 2 and plan.counts["update"] == 2
    # an equal value is "unchanged" even with "replace": never a write
    plan, _ = plan_import(parsed, index, overwrite=True)
    assert not any(c.target == "3" for c in plan.changes) and plan.counts["unchanged"] == 1


def test_plan_tmdb_and_trakt(index):
    plan, _ = plan_import(load(FIX / "tmdb_ratings.csv"), index)
    assert {c.target: c.new for c in plan.changes} == {
        "1": 9.0,
        "20": 10.0,
        "40": 10.0,
        "30": 7.0,
        "5": 8.0,
    }
    plan, _ = plan_import(load(FIX / "trakt"), index)
    assert {c.target: c.new for c in plan.changes} == {
        "40": 10.0, "41": 8.0, "1": 9.0, "30": 7.0, "20": 10.0, "4": 8.0,
    }  # fmt: skip
    assert plan.counts["unchanged"] == 1  # Fargo (1996) is already 7


def test_plan_review_and_same_item_twice(index):
    from ratings_gui.sources.base import ParseResult

    parsed = ParseResult(
        "letterboxd",
        rows=[
            row("Fargo", line=2),  # movie or show? review
            row("Heat", 1995, line=3, rating=6.0, kind_hint="movie"),
            row("Heat", 1995, line=4, rating=4.0, kind_hint="movie"),  # the same Plex item
            row("Dune", 1985, line=5, kind_hint="movie"),  # 0.86 < 0.9
        ],
    )
    plan, review = plan_import(parsed, index, min_score=0.9, overwrite=True)
    assert plan.summary() == {"duplicate row": 1, "needs review": 2, "update": 1}
    assert [(r.row.line, sorted(it.key for it, _ in r.candidates)) for r in review] == [
        (2, [3, 4]),
        (5, [6]),
    ]
    skipped = {s["line"]: s for s in plan.skipped}
    assert "Fargo (1996)" in skipped[2]["candidates"] and skipped[4]["reason"] == "duplicate row"
    plan, review = plan_import(parsed, index, kinds={"movie"}, min_score=0.9)
    assert [r.row.line for r in review] == [2, 5]  # the movie candidate still needs a choice
    assert [it.key for it, _ in review[0].candidates] == [3]  # the show is filtered out
