"""Benchmark (a script, not a test): parse, index and plan an IMDb import at scale.

Builds a 20,000-item library (movies, shows, episodes with Guids) and a
5,000-row IMDb ratings export (ids, episodes, title-only rows, misses),
then prints the seconds each step takes. Target: the plan well under 5 s.

    python tests/bench_import_plan.py
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ratings_gui.core.importplan import plan_import  # noqa: E402
from ratings_gui.core.matching import build_index, clear_title_cache  # noqa: E402
from ratings_gui.core.records import Item, Snapshot  # noqa: E402
from ratings_gui.sources import load  # noqa: E402

HEADER = (
    "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,"
    "Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n"
)
WORDS = [
    "red",
    "blue",
    "night",
    "day",
    "city",
    "river",
    "ghost",
    "king",
    "queen",
    "last",
    "first",
    "dark",
    "light",
    "storm",
    "love",
    "war",
]


def library(n_movies: int = 8000, n_shows: int = 400, eps_per_show: int = 29) -> Snapshot:
    rnd = random.Random(1)
    snap = Snapshot("bench", "All", 1, "movie")
    key = 1
    items: list[Item] = []
    for i in range(n_movies):
        title = " ".join(rnd.choice(WORDS) for _ in range(3)).title() + f" {i}"
        items.append(
            Item(key, "movie", title, year=1950 + i % 70, user_rating=rnd.choice([None, 6.0, 8.0]),
                 guids=(f"imdb://tt{1000000 + i}", f"tmdb://{i + 1}")),
        )  # fmt: skip
        key += 1
    for s in range(n_shows):
        show_key = key
        name = f"Show {s}"
        items.append(
            Item(key, "show", name, year=2000 + s % 20, guids=(f"imdb://tt{2000000 + s}",))
        )
        key += 1
        for e in range(eps_per_show):
            items.append(
                Item(key, "episode", f"Episode {e}", grandparent_key=show_key, grandparent_title=name,
                     parent_index=1 + e // 10, index=1 + e % 10,
                     guids=(f"imdb://tt{3000000 + s * 100 + e}",)),
            )  # fmt: skip
            key += 1
    snap.add(items)
    return snap


def export(snap: Snapshot, rows: int, path: Path) -> None:
    rnd = random.Random(2)
    items = [it for it in snap if it.kind != "season"]
    lines = [HEADER]
    for i, it in enumerate(rnd.sample(items, rows)):
        rating = rnd.randint(1, 10)
        kind = {"movie": "Movie", "show": "TV Series", "episode": "TV Episode"}[it.kind]
        title = f"{it.grandparent_title}: {it.title}" if it.kind == "episode" else it.title
        const = it.guid("imdb") or ""
        if i % 10 == 0:
            const = ""  # title-only rows exercise the title index
        if i % 50 == 0:
            const, title = f"tt{9000000 + i}", f"Missing {i}"
        year = it.year or 2010
        lines.append(
            f'{const},{rating},2024-01-01,"{title}","{title}",https://www.imdb.com/title/{const}/,'
            f"{kind},7.0,100,{year},Drama,1000,{year}-01-01,Someone\n"
        )
    path.write_text("".join(lines), encoding="utf-8")


def main() -> None:
    snap = library()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ratings.csv"
        export(snap, 5000, path)
        t0 = time.perf_counter()
        parsed = load(path)
        t1 = time.perf_counter()
        clear_title_cache()
        index = build_index(snap)
        t2 = time.perf_counter()
        plan, review = plan_import(parsed, index)
        t3 = time.perf_counter()
    print(f"library: {len(snap):,} items {snap.counts()}")
    print(f"export:  {parsed.counts['read']:,} rows, {len(parsed.rows):,} kept")
    print(f"parse:   {t1 - t0:.3f} s")
    print(f"index:   {t2 - t1:.3f} s")
    print(f"plan:    {t3 - t2:.3f} s  ({plan.summary()}, review {len(review)})")


if __name__ == "__main__":
    main()
