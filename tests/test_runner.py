"""The job runner: events from a worker thread, newest progress per tick, cancel."""

from __future__ import annotations

import threading
import time

from ratings_gui.core.plan import Report
from ratings_gui.jobs.runner import Finished, JobContext, JobRunner, Log, Progress


def _wait_finished(r: JobRunner, timeout: float = 5) -> list:
    got: list = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got.extend(r.drain())
        if any(isinstance(e, Finished) for e in got):
            return got
        time.sleep(0.01)
    raise AssertionError(f"no Finished event: {got}")


def test_events_and_report() -> None:
    r = JobRunner()
    worker_threads: list[threading.Thread] = []

    def work(ctx: JobContext) -> Report:
        worker_threads.append(threading.current_thread())
        for i in range(1, 101):
            ctx.progress(i, 100, "writing")
        ctx.log("hello")
        return Report("x", 1, False, changes=3)

    r.start(work)
    assert r.join(5)
    evs = _wait_finished(r)
    assert worker_threads[0] is not threading.main_thread()
    progress = [e for e in evs if isinstance(e, Progress)]
    assert len(progress) == 1 and progress[0].done == 100  # only the newest per drain
    assert any(isinstance(e, Log) and e.text == "hello" for e in evs)
    fin = [e for e in evs if isinstance(e, Finished)][0]
    assert fin.report is not None and fin.report.changes == 3 and fin.error is None


def test_eta_is_estimated() -> None:
    seen: list = []
    ctx = JobContext(seen.append)
    ctx.progress(0, 10, "p")
    time.sleep(0.05)
    ctx.progress(5, 10, "p")
    assert seen[-1].eta_seconds is not None and seen[-1].eta_seconds > 0


def test_cancel_and_errors_are_plain() -> None:
    r = JobRunner()

    def slow(ctx: JobContext) -> None:
        while True:
            ctx.check_cancel()
            time.sleep(0.01)

    r.start(slow)
    time.sleep(0.05)
    r.cancel()
    fin = [e for e in _wait_finished(r) if isinstance(e, Finished)][0]
    assert fin.cancelled and fin.error == "Cancelled."

    def boom(ctx: JobContext) -> None:
        raise ValueError("bad thing")

    r.start(boom, describe_error=lambda e: f"plain: {e}")
    fin = [e for e in _wait_finished(r) if isinstance(e, Finished)][0]
    assert fin.error == "plain: bad thing" and not fin.cancelled
