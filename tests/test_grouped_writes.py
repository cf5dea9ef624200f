"""Grouped writes by default, and their fallback to one request per item.

Every job writes Plex ratings with grouped multi-edits. A Plex Home
member's token may rate but not edit metadata (403 on ``PUT
/library/sections/{id}/all``): the writer then rates item by item through
``/:/rate``, with no error and the same journal. Real HTTP against the demo
server throughout.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conftest import job_ctx

from ratings_gui.context import AppContext
from ratings_gui.core.plan import PLEX, Change
from ratings_gui.jobs import base_rating as br
from ratings_gui.jobs.undo import UndoJob
from ratings_gui.plex.bulk import REFUSED, BulkRatingWriter
from ratings_gui.plex.connection import connect_direct

GROUPED = "PUT /library/sections/{id}/all"
RATE = "PUT /:/rate"


@contextlib.contextmanager
def as_member(demo: Any, home: Path, name: str) -> Iterator[AppContext]:
    """An AppContext signed in with a Home member's own server token."""
    app = AppContext.open(home, plextv_base=demo.url)
    app.set_connection(connect_direct(demo.url, demo.member_token(name)))
    try:
        yield app
    finally:
        app.close()


def _unrated_tracks(demo: Any, who: str | None) -> list[int]:
    mine = demo.ratings_of(who)
    return [k for k in demo.lib.keys_of(1, "track") if k not in mine]


def test_a_members_grouped_write_falls_back_to_rate_on_403(demo: Any, home: Path) -> None:
    unrated = _unrated_tracks(demo, "Jo")
    owner_before = demo.ratings_of(None)
    others_before = {w: demo.ratings_of(w) for w in ("Alex", "Sam")}
    lines: list[str] = []
    with as_member(demo, home, "Jo") as app:
        job = br.BaseRatingJob(app, br.BaseRatingOptions("Music", 6.0))
        plan = job.prepare(job_ctx())
        assert len(plan.changes) == len(unrated) > 0
        demo.reset_counts()
        report = job.apply(job_ctx(on=lambda ev: lines.append(str(getattr(ev, "text", "")))), plan)
        assert not report.failed and report.changes == len(unrated)
        # one refused grouped edit, then every rating through /:/rate
        assert demo.counts[GROUPED] == 1
        assert demo.counts[RATE] == len(unrated)
        jo = demo.ratings_of("Jo")
        assert all(jo[k] == 6.0 for k in unrated)
        assert demo.ratings_of(None) == owner_before  # the owner's stars are not touched
        assert {w: demo.ratings_of(w) for w in ("Alex", "Sam")} == others_before
        assert {r.status for r in app.journal.changes(report.run_id)} == {"applied"}
        assert sum(REFUSED in ln for ln in lines) == 1  # said once, not per group

        # undo goes the same way: Jo's tracks are unrated again
        demo.reset_counts()
        undo = UndoJob(app, report.run_id)
        undone = undo.apply(job_ctx(), undo.prepare(job_ctx()))
        assert not undone.failed and undone.changes == len(unrated)
        assert not any(k in demo.ratings_of("Jo") for k in unrated)
        assert demo.counts[RATE] == len(unrated)


def test_the_owner_writes_grouped_by_default(app: Any, demo: Any) -> None:
    unrated = _unrated_tracks(demo, None)
    job = br.BaseRatingJob(app, br.BaseRatingOptions("Music", 8.0))  # grouped not asked for
    plan = job.prepare(job_ctx())
    demo.reset_counts()
    report = job.apply(job_ctx(), plan)
    assert report.changes == len(unrated) and not report.failed
    assert demo.counts[RATE] == 0
    assert demo.counts[GROUPED] == -(-len(unrated) // 250)
    assert all(demo.lib.rating(k) == 8.0 for k in unrated)


def test_a_group_the_server_will_not_take_is_written_item_by_item(app: Any, demo: Any) -> None:
    """A 500 on the grouped edit (no retries here): the group's items go through /:/rate."""
    from ratings_gui.demo.server import Faults

    keys = _unrated_tracks(demo, None)[:5]
    writer = BulkRatingWriter(app.connection, 1, retries=0)
    demo.faults = Faults(fail_first=1, kinds=("500",), only_paths=("/library/sections/1/all",))
    demo.reset_counts()
    try:
        res = writer.apply([Change(PLEX, str(k), "userRating", None, 4.0) for k in keys])
    finally:
        demo.faults = Faults()
    assert not res.failed and len(res.applied) == len(keys)
    assert demo.counts[GROUPED] == 1 and demo.counts[RATE] == len(keys)
    assert [demo.lib.rating(k) for k in keys] == [4.0] * len(keys)
    assert not writer.refused  # only a 403 sends the rest of the run item by item


def test_what_reached_plex_one_by_one_is_journaled_applied(demo: Any, home: Path) -> None:
    """A member's unit fails at a gone item: the items written before it stay applied."""
    keys = _unrated_tracks(demo, "Sam")[:4]
    gone = keys[2]
    with as_member(demo, home, "Sam") as app:
        writer = BulkRatingWriter(app.connection, 1)
        changes = [Change(PLEX, str(k), "userRating", None, 2.0, label=str(k)) for k in keys]
        demo.lib.items.pop(gone)  # the item leaves the server between plan and write
        run = app.journal.start_run("base-rating", {}, server=app.connection.name)
        res = writer.apply(changes, journal=app.journal, run_id=run)
        assert {c.target for c in res.applied} == {str(keys[0]), str(keys[1])}
        assert {c.target for c, _ in res.failed} == {str(gone), str(keys[3])}
        status = {r.change.target: r.status for r in app.journal.changes(run)}
        assert status == {
            str(keys[0]): "applied",
            str(keys[1]): "applied",
            str(gone): "failed",
            str(keys[3]): "failed",
        }
        sams = demo.ratings_of("Sam")
        assert sams[keys[0]] == sams[keys[1]] == 2.0 and keys[3] not in sams
