"""Tasks beside the job: Picard's ``run_task(func, then)`` over the one event queue."""

from __future__ import annotations

import threading
import time
from typing import Any

from ratings_gui.jobs.runner import Call, Finished, JobContext, JobRunner


def _drain_until(r: JobRunner, done: Any, timeout: float = 5) -> list:
    """Drain as the window does (running each Call on this thread) until ``done()``."""
    seen: list = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for ev in r.drain():
            seen.append(ev)
            if isinstance(ev, Call):
                ev.fn()
        if done():
            return seen
        time.sleep(0.01)
    raise AssertionError(f"not done: {seen}")


def test_a_task_result_comes_back_on_the_draining_thread() -> None:
    r = JobRunner()
    got: list[tuple[Finished, threading.Thread]] = []
    worker: list[threading.Thread] = []

    def func() -> list[str]:
        worker.append(threading.current_thread())
        return ["Music"]

    thread = r.run_task(func, lambda ev: got.append((ev, threading.current_thread())))
    assert thread.join(5) is None and not thread.is_alive()
    assert got == []  # nothing runs before the window drains
    _drain_until(r, lambda: got)
    ended, where = got[0]
    assert ended.result == ["Music"] and ended.error is None
    assert where is threading.main_thread() and worker[0] is not threading.main_thread()


def test_a_task_error_is_one_plain_line() -> None:
    r = JobRunner()
    got: list[Finished] = []

    def boom() -> None:
        raise OSError("server gone")

    r.run_task(boom, got.append, describe_error=lambda e: f"plain: {e}")
    _drain_until(r, lambda: got)
    assert got[0].error == "plain: server gone" and got[0].result is None


def test_a_task_runs_beside_a_job_and_survives_the_next_job() -> None:
    """A listing that ends while a job runs, or just before the next job starts, is not lost."""
    r = JobRunner()
    release = threading.Event()

    def job(ctx: JobContext) -> int:
        release.wait(5)
        return 1

    r.start(job)
    got: list[Finished] = []
    r.run_task(lambda: "listed", got.append).join(5)
    assert r.busy  # the job still runs: the task did not wait for it
    release.set()
    assert r.join(5)
    r.start(lambda ctx: 2)  # a new job before the window drained the task's end
    assert r.join(5)
    seen = _drain_until(r, lambda: bool(got))
    assert got[0].result == "listed"
    assert [e.result for e in seen if isinstance(e, Finished)] == [1, 2]


def test_posted_calls_keep_their_order() -> None:
    r = JobRunner()
    out: list[int] = []
    threading.Thread(target=lambda: [r.post(lambda i=i: out.append(i)) for i in range(5)]).start()
    _drain_until(r, lambda: len(out) == 5)
    assert out == [0, 1, 2, 3, 4]
