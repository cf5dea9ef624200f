"""Clears go grouped too, after a probe: the first grouped clear of a run is read back.

A change to "unrated" is sent as ``userRating.value=-1`` on the multi-edit
path. Plex does not document that this clears, so the writer reads the
first group back at once; a server that did not clear it gets every clear
of the run item by item through ``/:/rate`` (said once). Real HTTP against
the demo server, whose fault switches make a grouped clear leave the value
or store 0.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import job_ctx
from test_grouped_writes import GROUPED, RATE, as_member

from ratings_gui.core.plan import PLEX, Change, Report
from ratings_gui.core.records import Item
from ratings_gui.demo.server import Faults
from ratings_gui.jobs import transfer as jt
from ratings_gui.jobs.base import check_written
from ratings_gui.jobs.undo import UndoJob
from ratings_gui.plex.bulk import (
    IDS_PER_REQUEST,
    NO_GROUPED_CLEAR,
    REFUSED,
    BulkRatingWriter,
    EmptyIdList,
    multi_edit_params,
)

READ = "GET /library/metadata/{keys}"
MUSIC_KINDS = ("artist", "album", "track")


def _rated(demo: Any, kind: str) -> dict[int, float]:
    """The owner's ratings of one kind in the music library."""
    return {
        k: demo.lib.rating(k) for k in demo.lib.keys_of(1, kind) if demo.lib.rating(k) is not None
    }


def _rate_every_track(demo: Any) -> None:
    """Setup: every track rated (the demo rates about a third), so one kind fills two groups."""
    for k in demo.lib.keys_of(1, "track"):
        if demo.lib.rating(k) is None:
            demo.lib.items[k].user_rating = float(1 + k % 10)


def _groups(rated: dict[str, dict[int, float]]) -> int:
    """Grouped edits a clear of these needs: one per kind and chunk of ids."""
    return sum(-(-len(r) // IDS_PER_REQUEST) for r in rated.values())


def _clear(app: Any, lines: list[str]) -> Any:
    job = jt.ClearJob(app, "Music")
    plan = job.prepare(job_ctx())
    return job.apply(job_ctx(on=lambda ev: lines.append(str(getattr(ev, "text", "")))), plan)


def _undo(app: Any, run_id: int) -> Any:
    undo = UndoJob(app, run_id)
    return undo.apply(job_ctx(), undo.prepare(job_ctx()))


def test_a_clear_is_grouped_by_kind_and_probed_once(app: Any, demo: Any) -> None:
    _rate_every_track(demo)
    rated = {kind: _rated(demo, kind) for kind in MUSIC_KINDS}
    total = sum(len(r) for r in rated.values())
    assert len(rated["track"]) > IDS_PER_REQUEST  # more than one group of tracks
    lines: list[str] = []
    demo.reset_counts()
    report = _clear(app, lines)
    assert report.changes == total and not report.failed and not report.left_alone
    assert demo.counts[RATE] == 0
    assert demo.counts[GROUPED] == _groups(rated)  # about N/250 requests, not N
    assert all(demo.lib.rating(k) is None for r in rated.values() for k in r)
    assert not any(NO_GROUPED_CLEAR in ln for ln in lines)
    assert {r.status for r in app.journal.changes(report.run_id)} == {"applied"}

    undone = _undo(app, report.run_id)
    assert not undone.failed and undone.changes == total
    assert {kind: _rated(demo, kind) for kind in MUSIC_KINDS} == rated


@pytest.mark.parametrize("fault", ["grouped_clear_ignored", "grouped_clear_zero"])
def test_a_server_that_does_not_clear_grouped_gets_them_one_by_one(
    app: Any, demo: Any, fault: str
) -> None:
    """The probe sees the value left (or 0): that group and every later clear go item by item."""
    _rate_every_track(demo)
    rated = {kind: _rated(demo, kind) for kind in MUSIC_KINDS}
    total = sum(len(r) for r in rated.values())
    lines: list[str] = []
    demo.faults = Faults(**{fault: True})
    demo.reset_counts()
    try:
        report = _clear(app, lines)
    finally:
        demo.faults = Faults()
    assert report.changes == total and not report.failed
    assert not report.left_alone  # never "changed in Plex during the run"
    assert not any("changed in Plex" in ln or "did not stick" in ln for ln in lines)
    assert all(demo.lib.rating(k) is None for r in rated.values() for k in r)
    assert demo.counts[GROUPED] == 1  # the probe's group only
    assert demo.counts[RATE] == total
    assert sum(NO_GROUPED_CLEAR in ln for ln in lines) == 1  # said once, not per group
    assert {r.status for r in app.journal.changes(report.run_id)} == {"applied"}

    undone = _undo(app, report.run_id)
    assert not undone.failed and undone.changes == total
    assert {kind: _rated(demo, kind) for kind in MUSIC_KINDS} == rated


def test_a_trusted_clear_costs_one_read_more_than_its_groups(app: Any, demo: Any) -> None:
    """The probe is one read of the first group; later groups are not read back one by one."""
    _rate_every_track(demo)
    keys = list(_rated(demo, "track"))
    assert len(keys) > IDS_PER_REQUEST
    changes = [Change(PLEX, str(k), "userRating", demo.lib.rating(k), None) for k in keys]
    writer = BulkRatingWriter(app.connection, 1)
    demo.reset_counts()
    res = writer.apply(changes)
    assert not res.failed and len(res.applied) == len(keys)
    assert writer.clears_grouped is True
    groups = -(-len(keys) // IDS_PER_REQUEST)
    assert demo.counts[GROUPED] == groups and demo.counts[RATE] == 0
    # a read before each chunk (screen), the probe, the end-of-run check (500 keys a read)
    assert demo.counts[READ] == groups + 1 + -(-len(keys) // 500)
    assert all(demo.lib.rating(k) is None for k in keys)


def test_sets_and_clears_in_one_run_each_go_grouped(app: Any, demo: Any) -> None:
    rated = list(_rated(demo, "track"))[:10]
    unrated = [k for k in demo.lib.keys_of(1, "track") if demo.lib.rating(k) is None][:10]
    changes = [Change(PLEX, str(k), "userRating", demo.lib.rating(k), None) for k in rated]
    changes += [Change(PLEX, str(k), "userRating", None, 7.0) for k in unrated]
    demo.reset_counts()
    res = BulkRatingWriter(app.connection, 1).apply(changes)
    assert not res.failed and len(res.applied) == 20
    assert demo.counts[GROUPED] == 2 and demo.counts[RATE] == 0
    assert all(demo.lib.rating(k) is None for k in rated)
    assert all(demo.lib.rating(k) == 7.0 for k in unrated)


def test_a_members_clear_goes_item_by_item_after_the_403(demo: Any, home: Any) -> None:
    music = {k for kind in MUSIC_KINDS for k in demo.lib.keys_of(1, kind)}
    jos = demo.ratings_of("Jo")
    mine = {k: v for k, v in jos.items() if k in music}
    owner_before = demo.ratings_of(None)
    assert mine and len(mine) < len(jos)  # Jo's movies stay rated
    lines: list[str] = []
    with as_member(demo, home, "Jo") as app:
        demo.reset_counts()
        report = _clear(app, lines)
        assert not report.failed and report.changes == len(mine)
        assert demo.counts[GROUPED] == 1  # refused once, then /:/rate
        assert demo.counts[RATE] == len(mine)
        assert demo.ratings_of("Jo") == {k: v for k, v in jos.items() if k not in music}
        assert demo.ratings_of(None) == owner_before  # the owner's stars are not touched
        assert sum(REFUSED in ln for ln in lines) == 1
        assert not any(NO_GROUPED_CLEAR in ln for ln in lines)

        undone = _undo(app, report.run_id)
        assert not undone.failed and undone.changes == len(mine)
        assert demo.ratings_of("Jo") == jos


def test_a_clear_with_no_ids_is_never_sent(app: Any, demo: Any) -> None:
    """Without id= Plex would clear every track of the library."""
    with pytest.raises(EmptyIdList):
        multi_edit_params("track", [], None)
    writer = BulkRatingWriter(app.connection, 1)
    before = demo.ratings_of(None)
    demo.reset_counts()
    with pytest.raises(EmptyIdList):
        writer.send_group([], None, "track", 1)
    assert sum(demo.counts.values()) == 0
    assert demo.ratings_of(None) == before
    assert multi_edit_params("track", [5, 6], None)["userRating.value"] == "-1"


def test_a_clear_read_back_as_zero_is_written_again(app: Any, demo: Any) -> None:
    """The end-of-run check: 0 after a clear is the clear not sticking, not someone's rating."""
    key = next(iter(_rated(demo, "track")))
    old = demo.lib.rating(key)
    demo.lib.items[key].user_rating = 0.0  # what a grouped clear may leave
    writer = BulkRatingWriter(app.connection, 1)
    lines: list[str] = []
    wrong = writer.verify([Change(PLEX, str(key), "userRating", old, None)], None, lines.append)
    assert wrong == []
    assert demo.lib.rating(key) is None
    assert any("did not stick" in ln for ln in lines)
    assert not any("changed in Plex" in ln for ln in lines)


def test_the_jobs_own_check_calls_a_clear_left_at_zero_failed_not_someones(
    app: Any, demo: Any
) -> None:
    """Restore and copy check with one listing re-read (check_written): a 0 there after a
    clear is the clear not sticking (failed, to run again), never a rating someone gave."""
    ch = Change(PLEX, "7", "userRating", 8.0, None)
    other = Change(PLEX, "8", "userRating", 8.0, None)
    report = Report("restore", None, False, applied=[ch, other])
    now = {
        7: Item(key=7, kind="track", title="a", user_rating=0.0),
        8: Item(key=8, kind="track", title="b", user_rating=6.0),  # rated meanwhile
    }
    failed = check_written(app, report, [ch, other], now, job_ctx())
    assert failed == 1 and [c.target for c, _ in report.failed] == ["7"]
    assert [c.target for c, _ in report.left_alone] == ["8"]
