"""The journal: before/after records, run listing, provenance rules."""

from __future__ import annotations

import threading
from pathlib import Path

from conftest import is_program_value

import ratings_gui.jobs.base_rating  # noqa: F401  (declares the base-rating job)
import ratings_gui.jobs.ratings_csv  # noqa: F401
import ratings_gui.jobs.tags_sync  # noqa: F401
from ratings_gui.core.plan import PLEX, Change
from ratings_gui.core.provenance import INFERRED
from ratings_gui.journal import APPLIED, FAILED, PENDING, UNDONE, Journal


def _ch(key: int, old: float | None, new: float | None) -> Change:
    return Change(PLEX, str(key), "userRating", old, new, "test", f"item {key}")


def test_pending_before_and_status_after(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    run = j.start_run("base", {"stars": 3}, server="S", library="Music")
    ids = j.record_pending(run, [_ch(1, None, 6), _ch(2, 4, 6)])
    assert [r.status for r in j.changes(run)] == [PENDING, PENDING]
    j.mark([ids[0]], APPLIED)
    j.mark([ids[1]], FAILED, "boom")
    rows = {r.change.target: r for r in j.changes(run)}
    assert rows["1"].status == APPLIED and rows["2"].status == FAILED and rows["2"].error == "boom"
    assert rows["1"].change.old is None and rows["1"].change.new == 6
    j.finish_run(run, "done", {"counts": {"applied": 1}})
    (r,) = j.runs()
    assert (r.job, r.status, r.applied, r.failed, r.server, r.library) == (
        "base",
        "done",
        1,
        1,
        "S",
        "Music",
    )
    assert r.options == {"stars": 3} and r.finished_at is not None


def test_journal_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    j = Journal(path)
    run = j.start_run("x")
    j.mark(j.record_pending(run, [_ch(5, 1, 2)]), APPLIED)
    j.close()
    assert Journal(path).changes(run)[0].status == APPLIED


def test_provenance_latest_standing_write(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    r1 = j.start_run("base", whose="base")
    j.mark(j.record_pending(r1, [_ch(1, None, 6), _ch(2, 7, 6)]), APPLIED)
    r2 = j.start_run("infer", whose="inferred")
    (c2,) = j.record_pending(r2, [_ch(1, 6, 8)])
    j.mark([c2], APPLIED)
    prov = j.program_values(PLEX)
    assert prov["1"].value == 8 and prov["1"].job == "infer"
    assert is_program_value(j, "1", 8.0)
    assert not is_program_value(j, "1", 6)  # user re-rated to 6? then it is theirs
    # an undone change no longer stands; an undo run is not the program's value
    j.mark([c2], UNDONE)
    u = j.start_run("undo", undo_of=r2)
    j.mark(j.record_pending(u, [_ch(1, 8, 6)]), APPLIED)
    assert j.program_values(PLEX)["1"].value == 6
    assert j.program_values(PLEX)["1"].job == "base"
    # never written by the program -> manual
    assert not is_program_value(j, "99", 6)


def test_failed_writes_are_not_provenance(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    r = j.start_run("base", whose="base")
    j.mark(j.record_pending(r, [_ch(3, None, 6)]), FAILED, "503")
    assert "3" not in j.program_values(PLEX)


def test_carried_user_ratings_are_not_program_values(tmp_path: Path) -> None:
    """An import or a tags sync copies the user's own rating: it stays the user's."""
    j = Journal(tmp_path / "j.sqlite3")
    base = j.start_run("base-rating")
    j.mark(j.record_pending(base, [_ch(1, None, 6), _ch(2, None, 6)]), APPLIED)
    tags = j.start_run("tags")
    j.mark(j.record_pending(tags, [_ch(1, 6, 9), _ch(3, None, 7)]), APPLIED)
    prov = j.program_values(PLEX)
    # 1: the files' 9 replaced the base rating -> the user's; 3: a tag value -> the user's
    assert "1" not in prov and "3" not in prov
    assert prov["2"].value == 6 and prov["2"].job == "base-rating"
    assert j.standing_writes(PLEX)["1"].job == "tags"
    # a ratings CSV row marked inferred stays the program's, an own row is the user's
    imp = j.start_run("ratings-import")
    own = Change(PLEX, "4", "userRating", None, 8, "imported as own", "")
    inferred = Change(PLEX, "5", "userRating", None, 7, "imported as inferred", "", INFERRED)
    j.mark(j.record_pending(imp, [own, inferred]), APPLIED)
    prov = j.program_values(PLEX)
    assert "4" not in prov and prov["5"].value == 7


def test_provenance_is_per_server(tmp_path: Path) -> None:
    """Key 1 on a new server is another item: the old server's base rating there is not ours."""
    j = Journal(tmp_path / "j.sqlite3")
    old = j.start_run("base", server="Old", library="Music", whose="base")
    j.mark(j.record_pending(old, [_ch(1, None, 6), _ch(2, None, 6)]), APPLIED)
    j.finish_run(old, "done")
    new = j.start_run("infer", server="New", library="Music", whose="inferred")
    j.mark(j.record_pending(new, [_ch(2, None, 8)]), APPLIED)
    j.finish_run(new, "done")
    assert set(j.program_values(PLEX, server="New")) == {"2"}
    on_old = j.program_values(PLEX, server="Old")
    assert set(on_old) == {"1", "2"} and on_old["2"].value == 6  # New's later write is not Old's
    assert j.program_values(PLEX)["2"].value == 8  # without a server: every run, as before


def test_changes_limit_reads_only_the_newest_rows(tmp_path: Path) -> None:
    """History reads the rows it shows, not a whole 100k-change run, on the window's thread."""
    j = Journal(tmp_path / "j.sqlite3")
    run = j.start_run("base")
    j.mark(j.record_pending(run, [_ch(k, None, 6) for k in range(1, 51)]), APPLIED)
    rows = j.changes(run, limit=10)
    assert [r.change.target for r in rows] == [str(k) for k in range(50, 40, -1)]
    assert j.run(run).applied == 50 and len(j.changes(run)) == 50


def test_history_reads_do_not_wait_for_the_writers_lock(tmp_path: Path) -> None:
    """runs() and changes() read on a connection of their own (WAL): while a job holds the
    journal's lock (a long write), History still gets its rows, the newest committed ones."""
    j = Journal(tmp_path / "journal.sqlite3")
    rid = j.start_run("base-rating", server="S", library="Music")
    ids = j.record_pending(rid, [Change(PLEX, str(k), "userRating", None, 6.0) for k in range(5)])
    j.mark(ids[:3], APPLIED)
    got: dict[str, object] = {}
    with j._lock:  # a writer holding the lock
        reader = threading.Thread(
            target=lambda: got.update(runs=j.runs(), changes=j.changes(rid)), daemon=True
        )
        reader.start()
        reader.join(30)
        assert not reader.is_alive(), "History waited for the writers' lock"
    runs = got["runs"]
    assert [r.id for r in runs] == [rid] and runs[0].applied == 3 and runs[0].pending == 2
    assert len(got["changes"]) == 5
    j.finish_run(rid, "done")
    j.close()
    assert j._side.conn is None  # closed with the journal
