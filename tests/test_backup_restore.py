"""Backup, restore and clear end to end: two demo servers over real HTTP, the real journal.

The second server holds the same media as a fresh server would after a move:
shifted ratingKeys, new ``local://`` guids, another folder, no ratings. A
restore must put every rating of every kind on the right item there and
write nothing else; undo takes it back; a clear is undone from History and
its own backup restores the same ratings on a fresh copy.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import job_ctx

from ratings_gui.core import backup as bk
from ratings_gui.core import restoreplan as rp
from ratings_gui.core.plan import PLEX, Change
from ratings_gui.demo.library import DemoLibrary
from ratings_gui.demo.server import DemoServer
from ratings_gui.demo.transfer import transferred_copy
from ratings_gui.jobs import transfer as jt
from ratings_gui.jobs.undo import UndoJob
from ratings_gui.journal import APPLIED
from ratings_gui.plex.connection import connect_direct

OFFSET = 100_000


def _ratings(lib: DemoLibrary, offset: int = 0) -> dict[int, float]:
    """Every rated item of a demo library, keyed as on the original server."""
    with lib.lock:
        return {
            k - offset: it.user_rating for k, it in lib.items.items() if it.user_rating is not None
        }


def _writes(srv: DemoServer) -> int:
    return sum(n for k, n in srv.counts.items() if k.startswith(("PUT", "POST", "DELETE")))


@pytest.fixture
def rated(demo: Any) -> Any:
    """The demo server with every kind rated at least once (the generator rates no season)."""
    lib = demo.lib
    season = lib.keys_of(3, "season")[0]
    lib.set_rating(season, 7.0, 1_690_000_000)
    kinds = {lib.items[k].kind for k in _ratings(lib)}
    assert kinds == set(bk.KINDS)
    return demo


@pytest.fixture
def copy_server(rated: Any) -> Iterator[DemoServer]:
    """A second server: same media, keys + 100000, local guids, another folder, no ratings."""
    lib = transferred_copy(rated.lib, key_offset=OFFSET)
    # one film lost its ids and one track its file name: they must still be found by titles
    movie = lib.items[lib.keys_of(2, "movie")[3]]
    movie.guids = []
    movie.file = (movie.file or "").replace(".mkv", ".mp4")
    track = next(
        it
        for it in lib.items.values()
        if it.kind == "track" and it.key - OFFSET in _ratings(rated.lib)
    )
    track.file = (track.file or "").replace(" - ", " -- ")
    srv = DemoServer(lib, token="second-token")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _use(app: Any, srv: DemoServer) -> None:
    app.set_connection(connect_direct(srv.url, srv.token))


def _backup(app: Any, path: Path, libraries: list[str] | None = None) -> jt.BackupResult:
    return jt.BackupJob(app, path, libraries).run(job_ctx())


def _restore(app: Any, path: Path, **kw: Any) -> tuple[Any, Any, jt.RestoreJob]:
    job = jt.RestoreJob(app, path, **kw)
    plan = job.prepare(job_ctx())
    return plan, job.apply(job_ctx(), plan), job


# --- backup -----------------------------------------------------------------------------------


def test_backup_holds_every_rating_with_its_ids_and_paths(
    app: Any, rated: Any, tmp_path: Path
) -> None:
    path = tmp_path / "all.json.gz"
    res = _backup(app, path)
    assert res.path == path and path.read_bytes()[:2] == b"\x1f\x8b"
    doc = json.loads(gzip.decompress(path.read_bytes()))
    assert doc["format"] == bk.FORMAT and doc["version"] == bk.ONE_USER_VERSION
    assert [lib["title"] for lib in doc["libraries"]] == ["Music", "Movies", "TV Shows"]
    want = _ratings(rated.lib)
    got = {it["key"]: it["rating"] for lib in doc["libraries"] for it in lib["items"]}
    assert got == want
    items = {it["key"]: it for lib in doc["libraries"] for it in lib["items"]}
    track = next(it for it in items.values() if it["kind"] == "track")
    src = rated.lib.items[track["key"]]
    assert track["file"] == src.file and track["relpath"] == src.file[len("/data/music/") :]
    assert track["guid"] == src.guid and track["title"] == src.title
    assert track["parent_title"] and track["grandparent_title"] and track["index"] == src.index
    movie = next(it for it in items.values() if it["kind"] == "movie")
    assert set(movie["ids"]) == set(rated.lib.items[movie["key"]].guids)
    episode = next(it for it in items.values() if it["kind"] == "episode")
    assert episode["parent_index"] and episode["index"] and episode["grandparent_title"]
    # only listings were read: no request per item
    assert not any(k.startswith("GET /library/metadata") for k in rated.counts)
    assert _writes(rated) == 0


def test_backup_of_one_library_and_dry_run(app: Any, rated: Any, tmp_path: Path) -> None:
    res = jt.BackupJob(app, tmp_path / "dry.json", ["Movies"]).run(job_ctx(), dry_run=True)
    assert res.path is None and not (tmp_path / "dry.json").exists()
    assert set(res.counts) == {"movie"} and res.libraries == ["Movies"]
    with pytest.raises(Exception, match="No music, movie or TV library called 'Nope'"):
        _backup(app, tmp_path / "x.json", ["Nope"])


def test_backup_request_count_is_a_few_pages(tmp_path: Path, home: Path) -> None:
    """5,000 tracks: a handful of listing pages (the 50,000-track figure is bench_backup.py)."""
    from ratings_gui.context import AppContext

    lib = DemoLibrary.generate(seed=3, tracks=5000, movies=10, shows=2)
    with DemoServer(lib, token="t") as srv:
        app = AppContext.open(home, logging_on=False)
        try:
            _use(app, srv)
            srv.reset_counts()
            res = _backup(app, tmp_path / "big.json")
            # sections 1 + tracks 3 pages + artists, albums, movies, shows, seasons, episodes
            assert srv.total_requests() <= 10, srv.counts
            assert res.counts["track"] == sum(
                1 for it in lib.items.values() if it.kind == "track" and it.user_rating
            )
        finally:
            app.close()


# --- restore on another server ------------------------------------------------------------------


def test_restore_on_a_fresh_server_then_undo(
    app: Any, rated: Any, copy_server: DemoServer, tmp_path: Path
) -> None:
    path = tmp_path / "before-move.json.gz"
    _backup(app, path)
    want = _ratings(rated.lib)
    _use(app, copy_server)
    copy_server.reset_counts()
    plan, report, _ = _restore(app, path)
    assert plan.counts["update"] == len(want), plan.summary()
    assert plan.counts[rp.NOT_FOUND] == 0 and not plan.skipped
    how = plan.options["matched_by"]
    albums_artists_seasons = sum(
        1 for k in want if rated.lib.items[k].kind in ("album", "artist", "season")
    )
    # the film without ids and the renamed track are found by their titles
    assert how[rp.BY_TITLES] == albums_artists_seasons + 2, how
    assert how.get(rp.BY_ID) and how.get(rp.BY_PATH), how
    assert not report.failed and report.changes == len(want)
    # every rating on the right item, and nothing else rated
    assert _ratings(copy_server.lib, OFFSET) == want
    # grouped edits only: no per-item rate calls
    assert copy_server.counts.get("PUT /:/rate", 0) == 0
    assert copy_server.counts["PUT /library/sections/{id}/all"] < len(want) / 3

    again, _, _ = _restore(app, path)
    assert again.changes == [] and again.counts[rp.ALREADY] == len(want)

    undo = UndoJob(app, report.run_id)
    undone = undo.apply(job_ctx(), undo.prepare(job_ctx()))
    assert undone.changes == len(want) and not undone.failed
    assert _ratings(copy_server.lib, OFFSET) == {}


def test_conflict_is_kept_unless_overwrite(
    app: Any, rated: Any, copy_server: DemoServer, tmp_path: Path
) -> None:
    path = tmp_path / "b.json"
    _backup(app, path, ["Movies"])
    key = next(k for k in rated.lib.keys_of(2, "movie") if rated.lib.rating(k) is not None)
    value = rated.lib.rating(key)
    other = 1.0 if value != 1.0 else 2.0
    copy_server.lib.set_rating(key + OFFSET, other)
    _use(app, copy_server)
    plan, _, _ = _restore(app, path, libraries=["Movies"])
    assert plan.counts[rp.CONFLICT] == 1
    assert [s["reason"] for s in plan.skipped] == [rp.CONFLICT]
    assert copy_server.lib.rating(key + OFFSET) == other
    movies = {k: v for k, v in _ratings(rated.lib).items() if rated.lib.items[k].kind == "movie"}
    restored = _ratings(copy_server.lib, OFFSET)
    assert restored == {**movies, key: other}
    plan, report, _ = _restore(app, path, libraries=["Movies"], overwrite=True)
    assert plan.counts[rp.OVERWRITE] == 1 and report.changes == 1
    assert _ratings(copy_server.lib, OFFSET) == movies


def test_program_ratings_stay_the_programs(
    app: Any, rated: Any, copy_server: DemoServer, tmp_path: Path
) -> None:
    """A base rating in the backup lands on the new server as the program's, not the user's."""
    tracks = [k for k in rated.lib.keys_of(1, "track") if rated.lib.rating(k) is not None][:3]
    run = app.journal.start_run("base-rating", server="Demo Server", library="Music")
    ids = app.journal.record_pending(
        run, [Change(PLEX, str(k), "userRating", None, rated.lib.rating(k)) for k in tracks]
    )
    app.journal.mark(ids, APPLIED)
    path = tmp_path / "p.json"
    _backup(app, path, ["Music"])
    doc = json.loads(path.read_text(encoding="utf-8"))
    owners = {it["key"]: it.get("owner", "user") for it in doc["libraries"][0]["items"]}
    assert {owners[k] for k in tracks} == {bk.BASE}
    assert sum(1 for o in owners.values() if o == bk.USER) == len(owners) - 3
    _use(app, copy_server)
    _restore(app, path)
    program = app.journal.program_values(PLEX)
    assert {str(k + OFFSET) for k in tracks} <= set(program)
    restored_user = [k for k, o in owners.items() if o == bk.USER]
    assert not any(str(k + OFFSET) in program for k in restored_user)
    # ... so "reset base ratings" on the new server removes them, and only them
    from ratings_gui.jobs.base_rating import BaseRatingJob, BaseRatingOptions

    reset = BaseRatingJob(app, BaseRatingOptions("Music", 6.0), reset=True).prepare(job_ctx())
    assert {c.target for c in reset.changes} == {str(k + OFFSET) for k in tracks}


def test_unmatched_rows_go_to_a_csv(
    app: Any, rated: Any, copy_server: DemoServer, tmp_path: Path
) -> None:
    path = tmp_path / "b.json"
    _backup(app, path, ["TV Shows"])
    # the show and everything in it vanished from the new server's listing
    lib = copy_server.lib
    show = lib.keys_of(3, "show")[0]
    gone = {show, *lib.items[show].children}
    gone |= {c for s in lib.items[show].children for c in lib.items[s].children}
    for kind in ("show", "season", "episode"):
        lib._by_type[(3, kind)] = [k for k in lib._by_type[(3, kind)] if k not in gone]
    _use(app, copy_server)
    job = jt.RestoreJob(app, path)
    plan = job.prepare(job_ctx())
    lost = [k for k in _ratings(rated.lib) if k + OFFSET in gone]
    assert plan.counts[rp.NOT_FOUND] == len(lost) > 0
    out = tmp_path / "left.csv"
    assert job.write_unmatched(plan, out) == len(lost)
    text = out.read_text(encoding="utf-8-sig")
    assert text.count(rp.NOT_FOUND) == len(lost) and "no episode on this server" in text


@pytest.mark.parametrize(
    "damage",
    ["truncated", "edited", "foreign", "newer"],
)
def test_bad_backup_files_write_nothing(
    app: Any, rated: Any, copy_server: DemoServer, tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "b.json"
    _backup(app, path)
    text = path.read_text(encoding="utf-8")
    if damage == "truncated":
        path.write_text(text[: len(text) * 2 // 3], encoding="utf-8")
    elif damage == "edited":
        path.write_text(text.replace('"rating": 10.0', '"rating": 2.0', 1), encoding="utf-8")
        assert path.read_text(encoding="utf-8") != text
    elif damage == "foreign":
        path.write_text('[{"movie": {"title": "x"}, "rating": 9}]', encoding="utf-8")
    else:
        doc = json.loads(text)
        doc["version"] = 99
        path.write_text(json.dumps(doc), encoding="utf-8")
    _use(app, copy_server)
    copy_server.reset_counts()
    with pytest.raises(jt.BackupFileError) as err:
        jt.RestoreJob(app, path).prepare(job_ctx())
    words = {
        "truncated": "cut off",
        "edited": "changed after",
        "foreign": "not a ratings backup",
        "newer": "newer version",
    }
    assert words[damage] in str(err.value)
    assert copy_server.total_requests() == 0  # the file is checked before the server is asked
    assert app.journal.runs() == []


# --- clear ---------------------------------------------------------------------------------------


def test_clear_then_undo_and_its_backup_restores_on_a_fresh_copy(
    app: Any, rated: Any, tmp_path: Path
) -> None:
    want = _ratings(rated.lib)
    music = {k: v for k, v in want.items() if rated.lib.items[k].section_id == 1}
    job = jt.ClearJob(app, "Music")
    plan = job.prepare(job_ctx())
    assert len(plan.changes) == len(music)
    assert _ratings(rated.lib) == want  # planning clears nothing
    report = job.apply(job_ctx(), plan)
    assert report.changes == len(music) and not report.failed
    assert _ratings(rated.lib) == {k: v for k, v in want.items() if k not in music}
    saved = Path(report.extra["backup"])
    assert saved.parent == Path(app.paths.data) / jt.AUTO_FOLDER
    # where the backup went is a result of the run (its summary), not an option
    assert app.journal.run(report.run_id).summary["backup"] == str(saved)
    assert "backup" not in app.journal.run(report.run_id).options
    assert {e.key: e.rating for e in jt.read_backup_file(saved).entries} == music

    undo = UndoJob(app, report.run_id)
    undo.apply(job_ctx(), undo.prepare(job_ctx()))
    assert _ratings(rated.lib) == want

    fresh = transferred_copy(rated.lib, key_offset=OFFSET)
    with DemoServer(fresh, token="third") as srv:
        _use(app, srv)
        _, rep, _ = _restore(app, saved)
        assert not rep.failed
        assert _ratings(srv.lib, OFFSET) == music


def test_clear_only_one_kind(app: Any, rated: Any, tmp_path: Path) -> None:
    want = _ratings(rated.lib)
    job = jt.ClearJob(app, "Music", ["album"], backup_path=tmp_path / "albums.json")
    job.apply(job_ctx(), job.prepare(job_ctx()))
    left = _ratings(rated.lib)
    gone = {k for k in want if rated.lib.items[k].kind == "album"}
    assert gone and left == {k: v for k, v in want.items() if k not in gone}
    assert {e.kind for e in jt.read_backup_file(tmp_path / "albums.json").entries} == {"album"}
    with pytest.raises(Exception, match="holds no movie ratings"):
        jt.ClearJob(app, "Music", ["movie"]).prepare(job_ctx())


def test_clear_writes_nothing_when_the_backup_cannot_be_written(
    app: Any, rated: Any, tmp_path: Path
) -> None:
    want = _ratings(rated.lib)
    job = jt.ClearJob(app, "Music", backup_path=tmp_path / "no-such-folder" / "b.json")
    plan = job.prepare(job_ctx())
    rated.reset_counts()
    with pytest.raises(jt.BackupFileError, match="does not exist"):
        job.apply(job_ctx(), plan)
    assert _ratings(rated.lib) == want and _writes(rated) == 0


def test_backup_before_keeps_the_ratings_a_plan_touches(app: Any, rated: Any) -> None:
    from ratings_gui.core.plan import Change, Plan

    rated_keys = [k for k in rated.lib.keys_of(1, "track") if rated.lib.rating(k) is not None][:4]
    unrated = next(k for k in rated.lib.keys_of(1, "track") if rated.lib.rating(k) is None)
    plan = Plan("infer", options={"library": "Music"})
    for k in [*rated_keys, unrated]:
        plan.add(Change(PLEX, str(k), "userRating", rated.lib.rating(k), 3.0))
    path = jt.backup_before(app, plan)
    assert path is not None and path.exists()
    entries = jt.read_backup_file(path).entries
    assert {e.key: e.rating for e in entries} == {k: rated.lib.rating(k) for k in rated_keys}
    assert all(e.relpath for e in entries)


def test_the_old_servers_journal_says_nothing_about_the_same_key_on_a_new_server(
    app: Any, rated: Any, tmp_path: Path
) -> None:
    """A new server counts ratingKeys from 1 again: key K there is not the old server's K.

    The program wrote a base rating of 5.0 to movie K on the old server. On the
    new one, K holds the user's own 5.0 (same key, same value by chance): the
    backup's other value for K is a conflict, kept, not a program value replaced.
    """
    key = next(k for k in rated.lib.keys_of(2, "movie") if rated.lib.rating(k) not in (None, 5.0))
    run = app.journal.start_run("base-rating", server="Demo Server", library="Movies")
    ids = app.journal.record_pending(run, [Change(PLEX, str(key), "userRating", None, 5.0)])
    app.journal.mark(ids, APPLIED)
    path = tmp_path / "b.json"
    _backup(app, path, ["Movies"])
    new = transferred_copy(rated.lib, key_offset=0)
    new.set_rating(key, 5.0)
    srv = DemoServer(new, token="new")
    srv.name = "New Server"
    with srv:
        _use(app, srv)
        plan, _, _ = _restore(app, path, libraries=["Movies"])
        assert plan.counts[rp.CONFLICT] == 1 and plan.counts.get(rp.OVER_PROGRAM, 0) == 0
        assert new.rating(key) == 5.0
