"""Journaled writes, undo, and the writer's resilience against a failing server."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import is_program_value, job_ctx

from ratings_gui.core.plan import PLEX, Change, Plan
from ratings_gui.core.provenance import BASE
from ratings_gui.core.registry import JobSpec, declare
from ratings_gui.demo.library import DemoLibrary
from ratings_gui.demo.server import DemoServer, Faults
from ratings_gui.jobs.base import apply_plan
from ratings_gui.jobs.runner import JobContext
from ratings_gui.jobs.undo import UndoJob
from ratings_gui.journal import APPLIED, UNDONE
from ratings_gui.plex.connection import connect_direct
from ratings_gui.plex.http import PlexHttp, retry_after_seconds
from ratings_gui.plex.writer import RatingWriter

#: A job of the program's own guesses, for these tests.
declare(JobSpec("test", sets=BASE))


def _rating_plan(lib, keys: list[int], value_for) -> Plan:  # noqa: ANN001
    plan = Plan("test", options={"library": "Music"})
    for k in keys:
        plan.add(
            Change(PLEX, str(k), "userRating", lib.rating(k), value_for(k), "test", f"track {k}")
        )
    return plan


def test_apply_two_then_undo_restores_and_reports_changed_item(app, demo) -> None:  # noqa: ANN001
    lib = demo.lib
    rated = [k for k in lib.keys_of(1, "track") if lib.rating(k) is not None][:1]
    unrated = [k for k in lib.keys_of(1, "track") if lib.rating(k) is None][:2]
    a, b, c = rated[0], unrated[0], unrated[1]
    before = {k: lib.rating(k) for k in (a, b, c)}
    plan = _rating_plan(lib, [a, b], lambda k: 9.0 if lib.rating(k) != 9.0 else 3.0)
    report = apply_plan(app, plan, job_ctx())
    assert report.changes == 2 and not report.failed
    assert lib.rating(a) == plan.changes[0].new and lib.rating(b) == 9.0
    rows = app.journal.changes(report.run_id)
    assert {r.status for r in rows} == {APPLIED}
    assert is_program_value(app.journal, str(b), 9.0)

    # someone else changes b in Plex after the run
    lib.set_rating(b, 4.0)
    job = UndoJob(app, report.run_id)
    undo_plan = job.prepare(job_ctx())
    assert [ch.target for ch in undo_plan.changes] == [str(a)]
    assert undo_plan.counts["changed since"] == 1
    assert any("changed since" in s["reason"] and s["target"] == str(b) for s in undo_plan.skipped)
    undo_report = job.apply(job_ctx(), undo_plan)
    assert lib.rating(a) == before[a]  # value returned
    assert lib.rating(b) == 4.0  # not overwritten
    assert lib.rating(c) == before[c]  # untouched all along
    statuses = {r.change.target: r.status for r in app.journal.changes(report.run_id)}
    assert statuses == {str(a): UNDONE, str(b): APPLIED}
    assert app.journal.run(report.run_id).status == "partly undone"
    assert app.journal.run(undo_report.run_id).undo_of == report.run_id
    # undoing restores the user's value: it is not the program's any more
    assert not is_program_value(app.journal, str(a), before[a])


def test_clearing_a_rating_and_undoing_it(app, demo) -> None:  # noqa: ANN001
    lib = demo.lib
    k = next(k for k in lib.keys_of(1, "track") if lib.rating(k) is not None)
    old = lib.rating(k)
    report = apply_plan(app, _rating_plan(lib, [k], lambda _: None), job_ctx())
    assert report.changes == 1 and lib.rating(k) is None
    job = UndoJob(app, report.run_id)
    job.apply(job_ctx(), job.prepare(job_ctx()))
    assert lib.rating(k) == old


def test_only_the_plan_is_written(app, demo) -> None:  # noqa: ANN001
    lib = demo.lib
    keys = lib.keys_of(1, "track")[:5]
    demo.reset_counts()
    apply_plan(app, _rating_plan(lib, keys, lambda k: 7.0), job_ctx())
    assert demo.counts["PUT /:/rate"] == 5
    # one bulk read before the write (was it rated meanwhile?) and one after (did it stick?)
    assert demo.counts["GET /library/metadata/{keys}"] == 2


def test_retry_after_is_honoured(demo) -> None:  # noqa: ANN001
    conn = connect_direct(demo.url, demo.token)
    k = demo.lib.keys_of(1, "track")[0]
    demo.faults = Faults(fail_rate=1.0, kinds=("503",), retry_after=1, only_paths=("/:/rate",))
    http = PlexHttp(conn, retries=1)
    t0 = time.monotonic()
    with pytest.raises(Exception, match="503"):
        http.request("PUT", "/:/rate", params={"key": k, "identifier": "x", "rating": 4})
    assert time.monotonic() - t0 >= 0.95  # waited as the server asked
    assert demo.counts["PUT /:/rate"] == 2
    assert retry_after_seconds("2") == 2.0 and retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_401_mid_job_is_plain_and_stops(app, demo) -> None:  # noqa: ANN001
    lib = demo.lib
    demo.faults = Faults(unauthorized=True)
    report = apply_plan(
        app, _rating_plan(lib, lib.keys_of(1, "track")[:3], lambda k: 5.0), job_ctx()
    )
    assert report.changes == 0 and len(report.failed) == 3
    assert all("401" in err and "Sign in again" in err for _, err in report.failed)
    assert app.journal.run(report.run_id).status == "failed"


def test_600_changes_with_10_percent_failures_end_equal_to_plan(tmp_path) -> None:  # noqa: ANN001
    from ratings_gui.context import AppContext

    lib = DemoLibrary.generate(seed=11, tracks=700, movies=1, shows=1)
    srv = DemoServer(lib, token="t")
    srv.start()
    app = AppContext.open(tmp_path / "home")
    try:
        app.set_connection(connect_direct(srv.url, "t", timeout=5))
        keys = lib.keys_of(1, "track")[:600]
        plan = _rating_plan(
            lib, keys, lambda k: float(k % 10 + 1) if lib.rating(k) != k % 10 + 1 else 1.0
        )
        want = {int(c.target): c.new for c in plan.changes}
        srv.faults = Faults(
            fail_rate=0.10,
            kinds=("503", "drop", "timeout"),
            retry_after=1,
            timeout_delay=1.5,
            seed=5,
        )
        report = apply_plan(app, plan, job_ctx(), timeout=0.5)
        srv.faults = Faults()
        assert sum(srv.injected.values()) >= 40, srv.injected  # failures really happened
        assert {"503", "drop", "timeout"} <= set(srv.injected)
        assert {k: lib.rating(k) for k in want} == want
        assert report.changes == 600 and not report.failed
        assert {r.status for r in app.journal.changes(report.run_id)} == {APPLIED}
    finally:
        app.close()
        srv.stop()


def test_cancel_leaves_no_pending_rows(app, demo) -> None:  # noqa: ANN001
    lib = demo.lib
    keys = lib.keys_of(1, "track")[:300]
    cancel = threading.Event()
    demo.faults = Faults(latency_ms=5)
    ctx = JobContext(lambda ev: cancel.set() if getattr(ev, "done", 0) >= 200 else None, cancel)
    report = apply_plan(app, _rating_plan(lib, keys, lambda k: 2.0), ctx)
    statuses = [r.status for r in app.journal.changes(report.run_id)]
    assert "pending" not in statuses
    assert app.journal.run(report.run_id).status == "cancelled"
    written = [k for k in keys if lib.rating(k) == 2.0]
    assert statuses.count(APPLIED) == len(
        [r for r in app.journal.changes(report.run_id) if r.status == APPLIED]
    )
    assert 0 < len(written) < 300


def test_writer_refuses_unknown_targets(demo) -> None:  # noqa: ANN001
    conn = connect_direct(demo.url, demo.token)
    w = RatingWriter(conn)
    res = w.apply([Change("file", "/x.mp3", "userRating", None, 4.0)])
    assert not res.applied and "not a Plex item" in res.failed[0][1]
