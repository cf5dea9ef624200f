"""The import job end to end: export files -> the demo server's ratings, over real HTTP.

Exports are generated from the demo library's own items in every shape
users bring (IMDb English/Italian/Excel/legacy, Letterboxd ratings/diary/
zip, TMDB, Trakt), so each test knows the exact value every item must hold.
"""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import job_ctx

from ratings_gui.demo.exports import IMDB_HEADER, LETTERBOXD_HEADER
from ratings_gui.demo.library import DemoItem, DemoLibrary
from ratings_gui.demo.server import Faults
from ratings_gui.jobs.import_job import ImportInputError, ImportJob, export_ratings
from ratings_gui.jobs.undo import UndoJob

IMDB_LEGACY = [h for h in IMDB_HEADER if h != "Original Title"]
TYPES = {
    "en": {"movie": "Movie", "show": "TV Series", "episode": "TV Episode"},
    "it": {"movie": "Film", "show": "Serie TV", "episode": "Episodio TV"},
    "legacy": {"movie": "movie", "show": "tvSeries", "episode": "tvEpisode"},
}
MISSING_IMDB = "tt0000001"


def guid(item: DemoItem, scheme: str) -> str:
    return next(g.split("://", 1)[1] for g in item.guids if g.startswith(f"{scheme}://"))


def new_value(item: DemoItem, i: int, halves: bool = False) -> float:
    """A rating the item does not hold yet (whole stars for Letterboxd-safe values)."""
    v = float(i % 10 + 1)
    if v == item.user_rating:
        v = v % 10 + 1
    return v


def unique_movies(lib: DemoLibrary) -> list[DemoItem]:
    """Movies whose title no other movie or show has: title matching must be certain."""
    items = [lib.items[k] for k in lib.keys_of(2, "movie") + lib.keys_of(3, "show")]
    titles = [it.title.casefold() for it in items]
    return [it for it in items if it.kind == "movie" and titles.count(it.title.casefold()) == 1]


class Picks:
    """Demo items an export rates, and the value each must end with."""

    def __init__(self, lib: DemoLibrary) -> None:
        self.lib = lib
        self.movies = unique_movies(lib)[:4]
        self.shows = [lib.items[k] for k in lib.keys_of(3, "show")][:2]
        self.episodes = [lib.items[k] for k in lib.keys_of(3, "episode")][3:6]
        self.expected: dict[int, float] = {}

    def rate(self, item: DemoItem) -> float:
        v = new_value(item, len(self.expected) + 3)
        self.expected[item.key] = v
        return v

    def season_of(self, ep: DemoItem) -> int:
        return ep.parent_index or 0

    def show_of(self, ep: DemoItem) -> DemoItem:
        return self.lib.items[ep.grandparent_key or 0]


def _imdb_rows(p: Picks, lang: str, date: Callable[[int], str]) -> list[dict[str, str]]:
    rows = []
    items = [*p.movies, *p.shows, *p.episodes]
    for i, it in enumerate(items):
        title = it.title
        if it.kind == "episode":
            title = f"{p.show_of(it).title}: {it.title}"
        if lang == "it":
            title = f"Il titolo italiano {i}"  # localised: only the id can match
        rows.append(
            {
                "Const": guid(it, "imdb"),
                "Your Rating": f"{p.rate(it):g}",
                "Date Rated": date(i),
                "Title": title,
                "Original Title": it.title,
                "URL": f"https://www.imdb.com/title/{guid(it, 'imdb')}/",
                "Title Type": TYPES[lang][it.kind],
                "IMDb Rating": "7.1",
                "Runtime (mins)": "90",
                "Year": str(it.year or ""),
                "Genres": "Drama, Crime",
                "Num Votes": "1000",
                "Release Date": "",
                "Directors": "",
            }
        )
    rows.append({**rows[0], "Const": MISSING_IMDB, "Title": "Nobody Owns This", "Year": "1999"})
    return rows


def write_imdb(folder: Path, p: Picks, lang: str = "en") -> Path:
    header = IMDB_LEGACY if lang == "legacy" else IMDB_HEADER
    path = folder / f"imdb_{lang}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, header, extrasaction="ignore")
        w.writeheader()
        w.writerows(_imdb_rows(p, "it" if lang == "it" else lang, lambda i: f"2024-03-{i + 1:02d}"))
    return path


def write_imdb_excel(folder: Path, p: Picks) -> Path:
    """What Excel leaves: ';', M/D/YYYY, a Windows code page, minimal quoting."""
    rows = _imdb_rows(p, "en", lambda i: f"3/{i + 1}/2024")
    rows[0]["Title"] = "Amélie à Noël"
    path = folder / "imdb_excel.csv"
    with path.open("w", encoding="cp1252", newline="") as fh:
        w = csv.DictWriter(fh, IMDB_HEADER, delimiter=";", quoting=csv.QUOTE_MINIMAL)
        w.writeheader()
        w.writerows(rows)
    return path


def _lb_rows(p: Picks) -> list[list[str]]:
    rows = []
    for i, m in enumerate(p.movies):
        v = p.rate(m)
        rows.append(
            [f"2024-01-{i + 1:02d}", m.title, str(m.year), f"https://boxd.it/a{i}", f"{v / 2:g}"]
        )
    rows.append(["2024-02-01", "Not In Plex At All", "1999", "https://boxd.it/zz", "3.5"])
    return rows


def write_letterboxd(folder: Path, p: Picks) -> Path:
    path = folder / "ratings.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(LETTERBOXD_HEADER)
        w.writerows(_lb_rows(p))
    return path


def write_diary(folder: Path, p: Picks) -> Path:
    """A diary that rates the first film twice: the later entry wins."""
    path = folder / "diary.csv"
    rows = _lb_rows(p)
    first = p.movies[0]
    old = new_value(first, 7)
    early = ["2023-01-01", first.title, str(first.year), "https://boxd.it/d0", f"{old / 2:g}"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["Date", "Name", "Year", "Letterboxd URI", "Rating", "Rewatch", "Tags", "Watched Date"]
        )
        for r in [early, *rows]:
            w.writerow([*r, "", "", r[0]])
    return path


def write_letterboxd_zip(folder: Path, p: Picks) -> Path:
    inner = write_letterboxd(folder, p)
    path = folder / "letterboxd-export.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(inner, "ratings.csv")
        zf.writestr("watched.csv", "Date,Name,Year,Letterboxd URI\n")
    inner.unlink()
    return path


def write_tmdb(folder: Path, p: Picks) -> Path:
    path = folder / "tmdb.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "TMDb ID",
                "IMDb ID",
                "Type",
                "Name",
                "Release Date",
                "Season Number",
                "Episode Number",
                "Rating",
                "Your Rating",
                "Date Rated",
            ]
        )
        for m in p.movies:
            w.writerow([guid(m, "tmdb"), "", "movie", m.title, f"{m.year}-05-01", "", "",
                        "7.0", f"{p.rate(m):g}", "2024-01-10T18:22:01Z"])  # fmt: skip
        for s in p.shows:
            w.writerow([guid(s, "tmdb"), "", "tv", s.title, f"{s.year}-01-01", "", "",
                        "8.0", f"{p.rate(s):g}", "2024-01-11T18:22:01Z"])  # fmt: skip
        for e in p.episodes:
            show = p.show_of(e)
            w.writerow([guid(show, "tmdb"), "", "tv", show.title, "", p.season_of(e), e.index,
                        "8.0", f"{p.rate(e):g}", "2024-01-12T18:22:01Z"])  # fmt: skip
    return path


def write_trakt(folder: Path, p: Picks) -> Path:
    """A Trakt export folder: movies by imdb id, episodes by their show's ids + numbers."""
    out = folder / "trakt"
    out.mkdir()
    movies = [
        {"rated_at": "2024-02-01T10:00:00.000Z", "rating": int(p.rate(m)), "type": "movie",
         "movie": {"title": m.title, "year": m.year, "ids": {"imdb": guid(m, "imdb")}}}
        for m in p.movies
    ]  # fmt: skip
    episodes = []
    for e in p.episodes:
        show = p.show_of(e)
        episodes.append(
            {"rated_at": "2024-02-02T10:00:00.000Z", "rating": int(p.rate(e)), "type": "episode",
             "episode": {"season": p.season_of(e), "number": e.index, "title": e.title, "ids": {}},
             "show": {"title": show.title, "year": show.year,
                      "ids": {"imdb": guid(show, "imdb"), "tvdb": int(guid(show, "tvdb"))}}}
        )  # fmt: skip
    (out / "ratings-movies.json").write_text(json.dumps(movies), encoding="utf-8")
    (out / "ratings-episodes.json").write_text(json.dumps(episodes), encoding="utf-8")
    return out


WRITERS: dict[str, Callable[[Path, Picks], Path]] = {
    "imdb-en": lambda f, p: write_imdb(f, p, "en"),
    "imdb-it": lambda f, p: write_imdb(f, p, "it"),
    "imdb-excel": write_imdb_excel,
    "imdb-legacy": lambda f, p: write_imdb(f, p, "legacy"),
    "letterboxd-ratings": write_letterboxd,
    "letterboxd-diary": write_diary,
    "letterboxd-zip": write_letterboxd_zip,
    "tmdb": write_tmdb,
    "trakt": write_trakt,
}
#: Rows each export holds that no Plex item has.
NOT_FOUND = {"tmdb": 0, "trakt": 0}


@pytest.mark.parametrize("shape", list(WRITERS))
def test_every_export_shape_lands_on_the_right_items(
    shape: str, app: Any, demo: Any, tmp_path: Path
) -> None:
    lib = demo.lib
    picks = Picks(lib)
    path = WRITERS[shape](tmp_path, picks)
    untouched = {k: it.user_rating for k, it in lib.items.items() if k not in picks.expected}
    demo.reset_counts()
    # these exports rate items you rated differently in Plex: "replace" writes them all
    job = ImportJob(app, path, all_libraries=True, overwrite=True)
    plan = job.prepare(job_ctx())
    assert demo.total_requests("PUT") == 0
    assert plan.counts["update"] == len(picks.expected), plan.skipped
    assert plan.counts["not found"] == NOT_FOUND.get(shape, 1)
    assert plan.counts["needs review"] == 0 and not job.review
    report = job.apply(job_ctx(), plan)
    assert not report.failed
    assert {k: lib.rating(k) for k in picks.expected} == picks.expected
    assert {k: lib.items[k].user_rating for k in untouched} == untouched
    # grouped: one multi-edit per library, type and value, no per-item rate
    groups = {(lib.items[k].section_id, lib.items[k].kind, v) for k, v in picks.expected.items()}
    assert demo.counts["PUT /:/rate"] == 0
    assert demo.counts["PUT /library/sections/{id}/all"] == len(groups)
    assert demo.counts["GET /:/scrobble"] == 0
    assert report.counts["update"] == report.counts["applied"] == len(picks.expected)


def test_demo_exports_imdb_and_letterboxd(app: Any, demo: Any, tmp_path: Path) -> None:
    """The demo's own sample exports: every id row lands; the planted misses are listed."""
    lib = demo.lib
    paths = demo.write_exports(tmp_path)
    with paths["imdb"].open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_imdb = {g: k for k, it in lib.items.items() for g in it.guids if g.startswith("imdb://")}
    expected = {
        by_imdb[f"imdb://{r['Const']}"]: float(r["Your Rating"])
        for r in rows
        if f"imdb://{r['Const']}" in by_imdb
    }
    changed = sum(1 for k, v in expected.items() if lib.rating(k) != v)
    groups = {
        (lib.items[k].section_id, lib.items[k].kind, v)
        for k, v in expected.items()
        if lib.rating(k) != v
    }
    demo.reset_counts()
    job = ImportJob(app, paths["imdb"], all_libraries=True, overwrite=True)
    plan = job.prepare(job_ctx())
    listing = demo.total_requests("GET /library/sections")
    assert plan.counts["update"] == changed
    assert plan.counts["unchanged"] == len(expected) - changed
    assert plan.counts["not found"] == len(rows) - len(expected) == 3
    report = job.apply(job_ctx(), plan)
    assert {k: lib.rating(k) for k in expected} == expected
    # requests: listing pages + one grouped edit per library, type and value (+ the bulk
    # reads before and after)
    assert demo.total_requests() == listing + len(groups) + 2
    unmatched = Path(report.extra["unmatched_csv"])
    assert unmatched.parent == tmp_path and unmatched.name.startswith("imdb_ratings-unmatched-")
    with unmatched.open(encoding="utf-8-sig") as fh:
        missing = list(csv.DictReader(fh))
    assert {r["reason"] for r in missing} == {"not found"}
    assert {r["imdb"] for r in missing} == {
        r["Const"] for r in rows if r["Const"].startswith("tt99")
    }

    # Letterboxd: titles and years only; the year-off-by-one rows still match.
    lb = ImportJob(app, paths["letterboxd"], kinds={"movie"}, library="Movies", overwrite=True)
    plan = lb.prepare(job_ctx())
    with paths["letterboxd"].open(encoding="utf-8") as fh:
        lb_rows = list(csv.DictReader(fh))
    rated = [r for r in lb_rows if r["Rating"]]
    assert plan.counts["invalid rating"] == len(lb_rows) - len(rated)  # empty ratings
    assert plan.counts["not found"] == 2
    assert plan.counts["update"] + plan.counts["unchanged"] + len(lb.review) == len(rated) - 2
    lb.apply(job_ctx(), plan)
    titles = {(it.title, it.year): it for it in (lib.items[k] for k in lib.keys_of(2, "movie"))}
    for r in rated:
        it = titles.get((r["Name"], int(r["Year"])))
        if it is not None and not any(x.row.title == r["Name"] for x in lb.review):
            assert it.user_rating == float(r["Rating"]) * 2


def test_dry_run_and_bad_input_write_nothing(app: Any, demo: Any, tmp_path: Path) -> None:
    paths = demo.write_exports(tmp_path)
    demo.reset_counts()
    job = ImportJob(app, paths["imdb"], all_libraries=True)
    plan = job.prepare(job_ctx())
    assert plan.changes and demo.total_requests("PUT") == 0
    assert demo.total_requests("GET /:/scrobble") == 0
    assert not app.journal.runs()
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01\xff\xfe binary \x89PNG" * 50)
    bad_header = tmp_path / "bad.csv"
    bad_header.write_text("Foo,Bar\n1,2\n", encoding="utf-8")
    for path in (junk, bad_header, tmp_path / "missing.csv"):
        with pytest.raises(ImportInputError):
            ImportJob(app, path, all_libraries=True).prepare(job_ctx())
    music = ImportJob(app, paths["imdb"], library="Music")
    with pytest.raises(ImportInputError, match="not a movie or TV library"):
        music.prepare(job_ctx())
    assert demo.total_requests("PUT") == 0 and not app.journal.runs()
    made = sorted(p.name for p in tmp_path.iterdir() if p.name != "home")
    assert made == ["bad.csv", "imdb_ratings.csv", "junk.csv", "letterboxd"]


def test_invalid_rows_are_never_written(app: Any, demo: Any, tmp_path: Path) -> None:
    lib = demo.lib
    picks = Picks(lib)
    path = write_imdb(tmp_path, picks)
    lines = path.read_text(encoding="utf-8").splitlines()
    bad_items = picks.movies[:2]
    for i, value in ((1, "11"), (2, "abc")):
        cells = next(csv.reader([lines[i]]))
        cells[1] = value
        lines[i] = ",".join(f'"{c}"' for c in cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = {m.key: m.user_rating for m in bad_items}
    job = ImportJob(app, path, all_libraries=True, overwrite=True)
    plan = job.prepare(job_ctx())
    assert plan.counts["invalid rating"] == 2
    assert not any(c.target in {str(k) for k in before} for c in plan.changes)
    job.apply(job_ctx(), plan)
    assert {k: lib.rating(k) for k in before} == before
    for m in picks.movies[2:]:
        assert lib.rating(m.key) == picks.expected[m.key]


def test_mark_watched_only_for_applied_ratings(app: Any, demo: Any, tmp_path: Path) -> None:
    lib = demo.lib
    picks = Picks(lib)
    for it in [*picks.movies, *picks.shows, *picks.episodes]:
        lib.items[it.key].view_count = 0
    same = picks.movies[0]
    path = write_imdb(tmp_path, picks)
    lib.set_rating(same.key, picks.expected[same.key])  # already holds the file's value
    job = ImportJob(
        app, path, kinds={"movie"}, all_libraries=True, mark_watched=True, overwrite=True
    )
    plan = job.prepare(job_ctx())
    assert plan.counts["unchanged"] == 1 and plan.counts["type filtered"] == 5
    report = job.apply(job_ctx(), plan)
    watched = {k for k, it in lib.items.items() if it.view_count > 0 and it.kind == "movie"}
    assert {m.key for m in picks.movies[1:]} <= watched and same.key not in watched
    assert report.counts["marked watched"] == 3
    assert not any(lib.items[e.key].view_count for e in picks.episodes)  # filtered out

    # Undo of the run (History) takes both the ratings and the watched marks back.
    undo = UndoJob(app, report.run_id)
    undo.apply(job_ctx(), undo.prepare(job_ctx()))
    assert not any(lib.items[m.key].view_count for m in picks.movies)

    # A rating the server refuses is never followed by a watched mark.
    other = Picks(lib)
    path2 = write_letterboxd(tmp_path, other)
    job2 = ImportJob(app, path2, library="Movies", mark_watched=True, overwrite=True)
    plan2 = job2.prepare(job_ctx())
    assert any(c.field == "watched" for c in plan2.changes)
    demo.faults = Faults(unauthorized=True)  # the server refuses every write
    report2 = job2.apply(job_ctx(), plan2)
    demo.faults = Faults()
    assert report2.failed and report2.counts.get("marked watched", 0) == 0
    assert demo.counts["GET /:/scrobble"] == 3  # only the first run's
    with Path(report2.extra["unmatched_csv"]).open(encoding="utf-8-sig") as fh:
        reasons = [r["reason"] for r in csv.DictReader(fh)]
    assert reasons.count("write failed") == len(other.movies)


def test_review_accept_pick_other_and_skip(app: Any, demo: Any, tmp_path: Path) -> None:
    """A title with no year matches the remake pair: the user settles it."""
    lib = demo.lib
    movies = [lib.items[k] for k in lib.keys_of(2, "movie")]
    title = movies[0].title
    pair = [m for m in movies if m.title == title]
    assert len(pair) == 2
    path = tmp_path / "ratings.csv"
    path.write_text(
        f'Date,Name,Year,Letterboxd URI,Rating\n2024-01-01,"{title}",,https://boxd.it/x,4.5\n',
        encoding="utf-8",
    )
    job = ImportJob(app, path, library="Movies", mark_watched=False, overwrite=True)
    plan = job.prepare(job_ctx())
    assert plan.counts["needs review"] == 1 and not plan.changes
    (item,) = job.review
    cands = [c for c, _ in item.candidates]
    assert {c.key for c in cands} == {m.key for m in pair}
    first = job.accept_review(item, cands[0])
    assert first is not None and first.target == str(cands[0].key) and first.new == 9.0
    assert plan.counts["update"] == 1 and plan.counts["needs review"] == 0
    job.accept_review(item, cands[1])  # pick the other
    assert [c.target for c in plan.changes] == [str(cands[1].key)]
    assert plan.counts["update"] == 1
    job.accept_review(item, None)  # skip: counted as skipped, no longer "needs review"
    assert not plan.changes and plan.counts["update"] == 0
    assert plan.counts["skipped"] == 1 and plan.counts["needs review"] == 0
    job.accept_review(item, cands[1])
    assert plan.counts["skipped"] == 0 and plan.counts["update"] == 1
    report = job.apply(job_ctx(), plan)
    assert lib.rating(cands[1].key) == 9.0 and report.counts["applied"] == 1
    assert "unmatched_csv" not in report.extra  # every row made it


def test_export_letterboxd_and_plain_from_one_read(app: Any, demo: Any, tmp_path: Path) -> None:
    lib = demo.lib
    demo.reset_counts()
    lb, plain = tmp_path / "lb.csv", tmp_path / "all.csv"
    out = export_ratings(app, job_ctx(), letterboxd=lb, plain=plain, all_libraries=True)
    rated_movies = [it for k in lib.keys_of(2, "movie") if (it := lib.items[k]).user_rating]
    rated = [
        it
        for kind in ("movie", "show", "season", "episode")
        for k in lib.keys_of(2 if kind == "movie" else 3, kind)
        if (it := lib.items[k]).user_rating is not None
    ]
    with lb.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert out["letterboxd rows"] == len(rows) == len(rated_movies)
    by_id = {r["imdbID"]: float(r["Rating"]) for r in rows}
    for m in rated_movies:
        assert by_id[guid(m, "imdb")] == m.user_rating / 2
    with plain.open(encoding="utf-8-sig") as fh:
        assert len(list(csv.DictReader(fh))) == out["csv rows"] == len(rated)
    assert demo.total_requests("PUT") == 0
