"""Sample IMDb and Letterboxd rating exports matching the demo library, for the import job.

Rows are derived from the library's own Guids and titles (so most match),
plus deliberate misses: unknown IMDb ids, a film Plex does not have, a year
off by one, a remake that only the year tells apart, and an unrated row.
"""

from __future__ import annotations

import csv
import random
import shutil
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from ratings_gui.demo.library import DemoItem, DemoLibrary

IMDB_HEADER = [
    "Const",
    "Your Rating",
    "Date Rated",
    "Title",
    "Original Title",
    "URL",
    "Title Type",
    "IMDb Rating",
    "Runtime (mins)",
    "Year",
    "Genres",
    "Num Votes",
    "Release Date",
    "Directors",
]
LETTERBOXD_HEADER = ["Date", "Name", "Year", "Letterboxd URI", "Rating"]


def _imdb_id(item: DemoItem) -> str | None:
    return next((g[len("imdb://") :] for g in item.guids if g.startswith("imdb://")), None)


def _date(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d")


def write_exports(lib: DemoLibrary, folder: Path) -> dict[str, Path]:
    """Write ``imdb_ratings.csv`` and ``letterboxd/ratings.csv``; returns {"imdb": ..., "letterboxd": ...}."""
    rng = random.Random(lib.seed * 7919 + 17)
    folder.mkdir(parents=True, exist_ok=True)
    movies = [lib.items[k] for k in lib.keys_of(2, "movie")]
    shows = [lib.items[k] for k in lib.keys_of(3, "show")]
    episodes = [lib.items[k] for k in lib.keys_of(3, "episode")]

    imdb_rows: list[list[str]] = []

    def imdb_row(item: DemoItem, ttype: str, title: str, rating: int) -> list[str]:
        const = _imdb_id(item) or ""
        return [
            const,
            str(rating),
            _date(1_700_000_000 - rng.randrange(0, 800) * 86_400),
            title,
            title,
            f"https://www.imdb.com/title/{const}/",
            ttype,
            f"{item.rating or 7.0:.1f}",
            str((item.duration or 0) // 60_000),
            str(item.year or ""),
            ", ".join(item.genres),
            str(rng.randrange(100, 900_000)),
            f"{item.year}-06-01" if item.year else "",
            "",
        ]

    for item in movies[: max(1, len(movies) * 2 // 3)]:
        imdb_rows.append(imdb_row(item, "Movie", item.title, rng.randrange(1, 11)))
    for item in shows[: max(1, len(shows) // 2)]:
        imdb_rows.append(imdb_row(item, "TV Series", item.title, rng.randrange(1, 11)))
    for item in episodes[: max(1, len(episodes) // 3)]:
        show = lib.items[item.grandparent_key] if item.grandparent_key else None
        title = f"{show.title}: {item.title}" if show else item.title
        imdb_rows.append(imdb_row(item, "TV Episode", title, rng.randrange(1, 11)))
    # Unmatched on purpose: ids that are not in the library.
    for n, (title, ttype) in enumerate(
        (
            ("A Film Nobody Owns", "Movie"),
            ("Unknown Series", "TV Series"),
            ("Lost Episode", "TV Episode"),
        )
    ):
        const = f"tt99{n:05d}0"
        imdb_rows.append(
            [const, str(7 + n), "2023-05-01", title, title, f"https://www.imdb.com/title/{const}/",
             ttype, "6.5", "95", "2001", "Drama", "1234", "2001-01-01", ""]
        )  # fmt: skip
    imdb_path = folder / "imdb_ratings.csv"
    with imdb_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(IMDB_HEADER)
        writer.writerows(imdb_rows)

    lb_rows: list[list[str]] = []
    for i, item in enumerate(movies[: max(1, len(movies) * 3 // 4)]):
        year = item.year or 2000
        if i % 11 == 5:
            year += 1  # Letterboxd and Plex disagree by a year sometimes
        halves = rng.randrange(1, 11)
        rating = "" if i % 13 == 7 else (f"{halves / 2:g}")
        code = "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
            for _ in range(4)
        )
        lb_rows.append(
            [
                _date(1_690_000_000 + i * 86_400),
                item.title,
                str(year),
                f"https://boxd.it/{code}",
                rating,
            ]
        )
    lb_rows.append(["2023-07-01", "Not In Plex, The Movie", "1999", "https://boxd.it/zzzz", "3.5"])
    lb_rows.append(["2023-07-02", "Amélie, Again", "2005", "https://boxd.it/zzzy", "4"])
    lb_dir = folder / "letterboxd"
    lb_dir.mkdir(exist_ok=True)
    lb_path = lb_dir / "ratings.csv"
    with lb_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(LETTERBOXD_HEADER)
        writer.writerows(lb_rows)
    return {"imdb": imdb_path, "letterboxd": lb_path}


#: The pre-2017 IMDb export: every field quoted, "You rated", dates like ``Sun Jan 29 00:00:00 2017``.
IMDB_LEGACY_HEADER = [
    "position",
    "const",
    "created",
    "modified",
    "description",
    "Title",
    "Title type",
    "Directors",
    "You rated",
    "IMDb Rating",
    "Runtime (mins)",
    "Year",
    "Genres",
    "Num. Votes",
    "Release Date (month/day/year)",
    "URL",
]
_LEGACY_TYPES = {"movie": "Feature Film", "show": "TV Series", "episode": "TV Episode"}


def _legacy_date(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%a %b %d %H:%M:%S %Y")


def _near_miss(title: str, n: int) -> str:
    """A title as a person might type it from memory: a word dropped, a subtitle added."""
    words = title.split()
    if n % 3 == 0 and len(words) > 2:
        return " ".join(words[:-1])
    if n % 3 == 1:
        return f"{title}: The Return"
    return title.replace("The ", "", 1) + " Story"


def write_sample_exports(lib: DemoLibrary, folder: Path) -> dict[str, Path]:
    """Every sample the demo offers the Import tab, in one folder.

    ``imdb`` (the current IMDb ratings.csv), ``imdb_legacy`` (an IMDb export
    from before 2017), ``letterboxd`` (the export zip as Letterboxd sends
    it) and ``near_misses`` (Letterboxd rows whose titles are close to the
    library's but not sure enough: they land in Needs review).
    """
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    first = write_exports(lib, folder / "_build")
    out["imdb"] = folder / "imdb-ratings.csv"
    first["imdb"].replace(out["imdb"])
    out["letterboxd"] = folder / "letterboxd-export.zip"
    with zipfile.ZipFile(out["letterboxd"], "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(first["letterboxd"], "ratings.csv")
        zf.writestr("profile.csv", "Date Joined,Username,Given Name\n2019-02-03,demo,Demo\n")
    shutil.rmtree(folder / "_build")

    rng = random.Random(lib.seed * 104_729 + 3)
    movies = [lib.items[k] for k in lib.keys_of(2, "movie")]
    shows = [lib.items[k] for k in lib.keys_of(3, "show")]
    legacy = movies[len(movies) // 3 :] + shows[: max(1, len(shows) // 2)]
    out["imdb_legacy"] = folder / "imdb-ratings-2016.csv"
    with out["imdb_legacy"].open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(IMDB_LEGACY_HEADER)
        for n, item in enumerate(legacy, start=1):
            const = _imdb_id(item) or f"tt98{n:05d}0"
            ts = 1_450_000_000 - rng.randrange(0, 900) * 86_400
            w.writerow(
                [
                    str(n),
                    const,
                    _legacy_date(ts),
                    _legacy_date(ts),
                    "",
                    item.title,
                    _LEGACY_TYPES.get(item.kind, "Feature Film"),
                    "",
                    str(rng.randrange(1, 11)),
                    f"{item.rating or 7.0:.1f}",
                    str((item.duration or 0) // 60_000),
                    str(item.year or ""),
                    ", ".join(item.genres).lower(),
                    str(rng.randrange(100, 900_000)),
                    f"{(item.year or 2000)}-06-01",
                    f"http://www.imdb.com/title/{const}/",
                ]
            )

    out["near_misses"] = folder / "letterboxd-near-misses.csv"
    with out["near_misses"].open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(LETTERBOXD_HEADER)
        # The remake pair: one title, two films; without a year only the user can tell.
        w.writerow(["2024-01-01", movies[0].title, "", "https://boxd.it/nm00", "4.5"])
        for n, item in enumerate(movies[3:9]):
            w.writerow(
                [
                    f"2024-01-{n + 2:02d}",
                    _near_miss(item.title, n),
                    str(item.year or ""),
                    f"https://boxd.it/nm{n + 1:02d}",
                    f"{rng.randrange(1, 11) / 2:g}",
                ]
            )
    return out


def write_big_imdb(lib: DemoLibrary, rows: int, path: Path) -> None:
    """``rows`` IMDb rows for the benchmarks: the library's movies, shows and episodes by id
    (an episode titled "Show: Episode" as IMDb writes it), 3% with ids the library lacks."""
    rnd = random.Random(5)
    video = [
        it for it in lib.items.values() if it.kind in ("movie", "show", "episode") and it.guids
    ]
    picked = rnd.sample(video, min(rows, len(video)))
    types = {"movie": "Movie", "show": "TV Series", "episode": "TV Episode"}
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(IMDB_HEADER)
        for i, it in enumerate(picked):
            imdb = next((g[7:] for g in it.guids if g.startswith("imdb://")), f"tt8{i:08d}")
            if i % 33 == 0:
                imdb = f"tt9{i:08d}"  # not in the library
            title = it.title
            if it.kind == "episode" and it.grandparent_key:
                title = f"{lib.items[it.grandparent_key].title}: {it.title}"
            w.writerow([imdb, rnd.randrange(1, 11), "2024-01-02", title, title,
                        f"https://www.imdb.com/title/{imdb}/", types[it.kind], "7.0", "90",
                        it.year or "", "Drama", "1000", "", ""])  # fmt: skip
