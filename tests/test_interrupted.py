"""Issue 12: runs killed, interrupted or stopped lose nothing, and undo puts everything back.

The CLI runs in a child process against the demo server (real HTTP, real
audio files) and is killed with SIGKILL at random points (a fixed seed), or
interrupted with Ctrl-C while the server does not answer. Afterwards the
History shows the run's true state and undo, which first settles what the
killed run left pending, restores every Plex value and every file byte.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ratings_gui.demo.server import Faults
from ratings_gui.jobs.runner import Finished, JobContext, JobRunner
from ratings_gui.jobs.undo import UndoJob
from ratings_gui.journal import APPLIED, FAILED, PENDING

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and SIGINT are POSIX")

ROOT = Path(__file__).resolve().parents[1]
KILLS = 10
#: Where rating writes go: ``/:/rate`` item by item, grouped edits to ``/library/sections/{id}/all``
#: of the music library (after a job's read, nothing else asks there).
WRITES = ("/:/rate", "/library/sections/1/all")


def _cli(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PLEX_URL", "PLEX_TOKEN")}
    return subprocess.Popen(
        [sys.executable, "-m", "ratings_gui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def _ctx() -> JobContext:
    return JobContext(lambda ev: None, threading.Event())


def _open_app(home: Path, demo: Any) -> Any:
    from ratings_gui.context import AppContext
    from ratings_gui.plex.connection import connect_direct

    app = AppContext.open(home, logging_on=False)
    app.set_connection(connect_direct(demo.url, demo.token))
    return app


def _wait_for_run(home: Path, child: subprocess.Popen[str], before: int) -> int | None:
    """The id of the run the child started (None if it ended or never started one)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.02)
        runs = _runs(home)
        if runs and runs[0]["id"] > before:
            return int(runs[0]["id"])
    return None


def _runs(home: Path) -> list[dict[str, Any]]:
    import sqlite3

    from ratings_gui.settings import resolve_paths

    db = resolve_paths(home).journal_file
    if not db.exists():
        return []
    con = sqlite3.connect(str(db), timeout=5)
    try:
        rows = con.execute("SELECT id, status FROM runs ORDER BY id DESC").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()
    return [{"id": r[0], "status": r[1]} for r in rows]


def _check_true_state(app: Any, run_id: int, now: dict[str, Any]) -> None:
    """No run stays 'running'; after settling, applied rows hold their value, failed ones do not."""
    run = app.journal.run(run_id)
    assert run.status != "running", run
    assert run.status in ("interrupted", "done", "done with errors", "cancelled"), run.status
    from ratings_gui.jobs.settle import settle_interrupted

    settle_interrupted(app, _ctx(), [run_id])
    rows = app.journal.changes(run_id)
    assert not [r for r in rows if r.status == PENDING]
    for r in rows:
        value = now.get(r.change.target, "gone")
        new = r.change.new
        if r.status == APPLIED:
            assert value == new, (r, value)
        elif r.status == FAILED:
            assert value != new, (r, value)


# --- kill -9 at random points: a Plex run, then a tags run -------------------------------------


@pytest.fixture
def slow_demo(demo: Any) -> Iterator[Any]:
    demo.faults = Faults(latency_ms=2)  # a run lasts long enough to be killed in the middle
    yield demo


def _kill_mid_run_then_undo(
    home: Path,
    demo: Any,
    argv: list[str],
    seed: int,
    max_delay: float,
    read_now: Any,
    restored: Any,
) -> None:
    """Start the CLI, kill -9 it at a random moment (fixed seed), check, undo; KILLS times.

    Only kills that land after the run started count. ``read_now()`` is what
    the targets hold (target -> value); ``restored()`` says whether undo put
    every value (every file byte) back.
    """
    rng = random.Random(seed)
    kills = mid_run = 0
    while mid_run < KILLS and kills < 3 * KILLS:
        before = _runs(home)[0]["id"] if _runs(home) else 0
        child = _cli(*argv)
        run_id = _wait_for_run(home, child, before)
        time.sleep(rng.uniform(0.0, max_delay))
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        kills += 1
        if run_id is None:
            continue
        mid_run += 1
        app = _open_app(home, demo)
        try:
            _check_true_state(app, run_id, read_now())
            undo = UndoJob(app, run_id)
            report = undo.apply(_ctx(), undo.prepare(_ctx()))
            assert not report.failed
            assert restored(), f"kill {kills}: undo did not restore everything"
            assert not app.journal.changes(run_id, statuses=[APPLIED])
        finally:
            app.close()
    assert mid_run >= KILLS


def test_kill_9_mid_plex_run_then_undo_restores_every_value(slow_demo: Any, tmp_path: Path) -> None:
    demo = slow_demo
    home = tmp_path / "home"
    keys = demo.lib.keys_of(1, "track")
    start = {k: demo.lib.rating(k) for k in keys}
    common = ["--server", demo.url, "--token", demo.token, "--data-dir", str(home)]
    _kill_mid_run_then_undo(
        home,
        demo,
        ["base-rating", "--library", "Music", "--stars", "3", "--yes", *common],
        12,
        0.5,
        lambda: {str(k): demo.lib.rating(k) for k in keys},
        lambda: {k: demo.lib.rating(k) for k in keys} == start,
    )


def test_kill_9_mid_tags_run_then_undo_restores_every_file(tmp_path: Path) -> None:
    from ratings_gui import tags
    from ratings_gui.core.pathmap import Rule
    from ratings_gui.demo.audio import local_path
    from ratings_gui.demo.library import DemoLibrary
    from ratings_gui.demo.server import DemoServer
    from ratings_gui.jobs import tags_sync as ts

    lib = DemoLibrary.generate(seed=7, tracks=80, movies=1, shows=1)
    demo = DemoServer(lib, token="demo-token", media_dir=tmp_path / "media")
    demo.start()
    home = tmp_path / "home"
    paths = [local_path(lib, demo.media_dir, lib.items[k].file) for k in lib.keys_of(1, "track")]
    start = {p: p.read_bytes() for p in paths}
    common = ["--server", demo.url, "--token", demo.token, "--data-dir", str(home)]
    mapping = f"{lib.media_root}={demo.media_dir}"

    def now() -> dict[str, Any]:
        # raises on a half-written file: a kill must never leave one
        return {str(p): tags.read_rating(p).rating for p in paths}

    try:
        _kill_mid_run_then_undo(
            home,
            demo,
            ["tags", "--library", "Music", "--map", mapping, "--direction", "to-files", "--yes"]
            + common,
            21,
            0.2,
            now,
            lambda: all(p.read_bytes() == start[p] for p in paths),
        )
        # the next run (even a preview) removes the temp files the last kill left
        app = _open_app(home, demo)
        try:
            rules = [Rule(lib.media_root, str(demo.media_dir))]
            ts.TagsSyncJob(app, ts.TagsOptions("Music", rules, "to-files")).prepare(_ctx())
        finally:
            app.close()
        assert not list(demo.media_dir.rglob("*.ratings-tmp"))
    finally:
        demo.stop()


# --- Ctrl-C and Cancel while the server does not answer; a second run refused; a busy journal ----


def test_ctrl_c_cancel_second_run_and_busy_journal_while_the_server_hangs(
    demo: Any, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    common = ["--server", demo.url, "--token", demo.token, "--data-dir", str(home), "--json"]
    # base ratings to reset: the server below does not clear through a grouped edit, so after
    # the probe the reset clears them item by item through /:/rate, where every write hangs
    done = _cli("base-rating", "--library", "Music", "--stars", "3", "--yes", *common)
    done.communicate(timeout=60)
    assert done.returncode == 0
    before = _runs(home)[0]["id"]
    # reads answer; every rating write hangs (held 30 s, then dropped)
    demo.faults = Faults(
        fail_rate=1.0,
        kinds=("timeout",),
        timeout_delay=30,
        only_paths=("/:/rate",),
        grouped_clear_ignored=True,
    )
    job = ("base-rating", "--library", "Music", "--reset", "--yes")
    first = _cli(*job, *common)
    run_id = _wait_for_run(home, first, before)
    assert run_id is not None
    time.sleep(0.5)  # its first writes are on the wire now

    # point 14: the same job on the same library is refused, naming the first run
    second = _cli(*job, *common)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 1, err
    assert f"run {run_id}" in err and "already working on Music" in err
    assert json.loads(out.strip().splitlines()[-1])["error"]

    # point 12: a journal locked by another process names the run that holds the library
    import sqlite3

    from ratings_gui.settings import resolve_paths

    export = demo.write_exports(tmp_path / "exports")["imdb"]
    con = sqlite3.connect(str(resolve_paths(home).journal_file), timeout=5)
    con.execute("BEGIN EXCLUSIVE")
    try:
        hist = _cli("import", str(export), "--library", "Movies", "--yes", *common)
        out, err = hist.communicate(timeout=60)
    finally:
        con.rollback()
        con.close()
    assert hist.returncode == 1
    obj = json.loads(out.strip().splitlines()[-1])
    assert "busy" in obj["error"] and f"run {run_id}" in obj["error"]
    assert "OperationalError" not in err

    # point 5: Ctrl-C stops the hanging run within 2 s, with the JSON line
    t0 = time.monotonic()
    first.send_signal(signal.SIGINT)
    out, err = first.communicate(timeout=30)
    assert time.monotonic() - t0 < 2.0, err
    assert first.returncode == 1
    assert "interrupted" in json.loads(out.strip().splitlines()[-1])["error"]
    # point 2: History shows it interrupted (not running), with its unsettled changes
    hist = _cli("history", "--json", "--data-dir", str(home))
    out, err = hist.communicate(timeout=60)
    shown = {r["id"]: r for r in json.loads(out.strip().splitlines()[-1])["runs"]}
    assert shown[run_id]["status"] == "interrupted"
    assert shown[run_id]["pending"] > 0


@pytest.mark.parametrize("phase", ["reading", "writing"])
def test_cancel_stops_within_2_seconds_while_the_server_hangs(
    app: Any, demo: Any, phase: str
) -> None:
    from ratings_gui.jobs.base_rating import BaseRatingJob, BaseRatingOptions

    job = BaseRatingJob(app, BaseRatingOptions("Music", 6.0))
    plan = job.prepare(_ctx()) if phase == "writing" else None
    where = WRITES if phase == "writing" else ("/library",)
    demo.faults = Faults(fail_rate=1.0, kinds=("timeout",), timeout_delay=30, only_paths=where)
    runner = JobRunner()
    runner.start((lambda jc: job.apply(jc, plan)) if plan is not None else job.prepare)
    time.sleep(0.8)  # now waiting on the server
    t0 = time.monotonic()
    runner.cancel()
    finished: list[Finished] = []
    while not finished and time.monotonic() - t0 < 10:
        finished = [e for e in runner.drain() if isinstance(e, Finished)]
        time.sleep(0.05)
    assert finished
    # abandoned while stuck, or ended by itself: a grouped write on the wire is not waited
    # for past the grace, and the run ends cancelled
    done = finished[0]
    assert done.cancelled or app.journal.run(done.report.run_id).status == "cancelled"
    assert time.monotonic() - t0 < 2.0
    assert not runner.busy


def test_a_server_gone_for_good_stops_the_run_and_it_resumes(app: Any, demo: Any) -> None:
    from ratings_gui.jobs.base import apply_plan
    from ratings_gui.jobs.base_rating import BaseRatingJob, BaseRatingOptions
    from ratings_gui.plex.writer import RatingWriter

    job = BaseRatingJob(app, BaseRatingOptions("Music", 6.0))
    plan = job.prepare(_ctx())
    assert len(plan) > 30
    demo.faults = Faults(fail_rate=1.0, kinds=("drop",), only_paths=("/:/rate",))
    writer = RatingWriter(app.connection, retries=1, cancel=threading.Event())
    t0 = time.monotonic()
    report = apply_plan(app, plan, _ctx(), writer=writer)
    assert time.monotonic() - t0 < 20
    not_sent = [c for c, e in report.failed if e.startswith("not sent")]
    assert len(not_sent) >= len(plan) - 10  # stopped after a few, not one by one to the end
    assert any("stopped answering" in e for _, e in report.failed)
    assert not app.journal.changes(report.run_id, statuses=[PENDING])
    demo.faults = Faults()
    again = BaseRatingJob(app, BaseRatingOptions("Music", 6.0))
    plan2 = again.prepare(_ctx())
    assert len(plan2) == len(plan)  # nothing was written: the whole plan is still to do
    report2 = again.apply(_ctx(), plan2)
    assert report2.changes == len(plan2) and not report2.failed


def test_window_cancel_answers_within_2_seconds_while_the_server_hangs(win: Any, demo: Any) -> None:
    from test_gui_helpers import pump_until

    pump_until(win, lambda: bool(win.plex_tab.libraries) and not win.busy, 20, "libraries")
    tab = win.tab_objects["base_rating"]
    win.select_tab("base_rating")
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "the plan")
    demo.faults = Faults(fail_rate=1.0, kinds=("timeout",), timeout_delay=30, only_paths=WRITES)
    tab.preview.apply_button.invoke()
    pump_until(win, lambda: ": writing" in win.log_pane.content(), 20, "writing")
    win.pump(lambda: False, 0.5)  # the first writes are on the wire, waiting
    t0 = time.monotonic()
    win.progress.cancel_button.invoke()
    pump_until(win, lambda: not win.busy, 10, "the cancel")
    assert time.monotonic() - t0 < 2.0
    assert win.progress.phase.cget("text").startswith("Cancelled")  # the run says so
