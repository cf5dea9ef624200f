"""The PlanJob base: read -> plan -> (review) -> apply, written once for every job.

A job fills in hooks; :meth:`PlanJob.prepare` and :meth:`PlanJob.apply` are
not written again:

- ``read(ctx)``: one bulk read of what the job needs. The default requires
  a connection (one "Not connected" message for every job) and reads the
  job's music library.
- ``plan(snapshot)``: pure, from the snapshot and the job's options.
- ``log_plan(ctx, plan)``: the lines the user sees once the plan is ready.
- ``writer(ctx, plan)``: the :class:`~ratings_gui.journal.writeloop.Writer` the plan
  goes to (default: Plex item by item).
- ``after_apply(ctx, plan, report)``: checks and follow-ups (verify, watched
  marks, unmatched CSV) that run BEFORE the run's status is set, so every
  job's run ends the same way: :func:`apply_plan` finishes it once.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from ratings_gui.core.plan import FILE, PLEX, Change, Plan, Report, summary
from ratings_gui.core.provenance import CHANGED_DURING_RUN, changed_by_someone
from ratings_gui.core.scale import same
from ratings_gui.jobs.runner import JobApp, JobContext
from ratings_gui.jobs.settle import settle_interrupted
from ratings_gui.journal import (
    FAILED,
    INTERRUPTED,
    JournalLost,
    JournalUnwritable,
    Provenance,
    recovery_path,
)
from ratings_gui.journal.writeloop import CANCELLED, Writer, WriteResult, count_outcomes
from ratings_gui.logsetup import RunLog
from ratings_gui.plex.connection import Connection, PlexError
from ratings_gui.plex.http import PlexHttp
from ratings_gui.plex.snapshot import read_library
from ratings_gui.plex.writer import RatingWriter

log = logging.getLogger(__name__)

NOT_CONNECTED = "Not connected to a Plex server. Sign in first."
#: Outcome count of items skipped because the server sent them malformed.
MALFORMED_ITEMS = "skipped: malformed data from the server"


def require_connection(app: JobApp) -> Connection:
    """The AppContext's connection, or the one plain message every job gives without it."""
    conn = app.connection
    if conn is None:
        raise PlexError(NOT_CONNECTED)
    return conn


def server_time(app: JobApp, local: float) -> float:
    """``local`` (``time.time()`` here) on the server's clock, which stamps ``lastRatedAt``
    and ``addedAt`` (this computer's when not connected)."""
    conn = app.connection
    return conn.server_time(local) if conn is not None else local


#: The full collection's threshold while a job reads or writes: out of reach, so only the
#: young generations (a few thousand new objects each, a millisecond) are collected.
_NO_FULL_COLLECTION = 10**9


@contextlib.contextmanager
def young_gc_only() -> Iterator[None]:
    """While a job reads and plans, or a run writes: no full garbage collection, the young
    ones as usual.

    A big read makes hundreds of thousands of small objects and a run keeps
    what it writes; each full collection walked all of them with the GIL held
    (47-252 ms in a 50k read, 20-46 ms in a 50k tags or 20k import run), the
    window's thread waiting meanwhile. The young collections go on, so
    short-lived cycles (a file's tag chunks, a retried request's traceback) are
    still freed: with the collector switched off instead, every AIFF or WAV
    file a Tags preview read left its chunks behind for good. What exists
    before is frozen out of the walks, and so is what the job leaves (else the
    first full collection after it walks it all).
    """
    thresholds = gc.get_threshold()
    gc.collect(1)  # the young garbage is freed before freezing: a walk of the young only
    gc.freeze()
    gc.set_threshold(thresholds[0], thresholds[1], _NO_FULL_COLLECTION)
    try:
        yield
    finally:
        gc.collect(1)
        gc.freeze()
        gc.set_threshold(*thresholds)


def rating_provenance(app: JobApp, targets: Iterable[str] | None = None) -> dict[str, Provenance]:
    """The program's standing rating writes on the connected server, as the connected user.

    Feed for ``core.provenance.whose``: every job asks whose a value is through it.
    """
    conn = require_connection(app)
    return app.journal.standing_writes(
        PLEX, "userRating", targets, server=conn.name, user=conn.user
    )


def mark_failed(app: JobApp, report: Report, wrong: Sequence[Change], why: str) -> None:
    """Writes an after-write check found missing: failed in the journal and the report.

    Called from ``after_apply``, so the run's status (set after it) counts them.
    """
    keys = {c.key for c in wrong}
    rows = app.journal.changes(report.run_id)
    app.journal.mark([r.id for r in rows if r.change.key in keys], FAILED, why)
    report.applied = [c for c in report.applied if c.key not in keys]
    report.failed.extend((c, why) for c in wrong)
    report.changes = len(report.applied)
    if "applied" in report.counts or "failed" in report.counts:
        report.counts["applied"] = len(report.applied)
        report.counts["failed"] = len(report.failed)


def note_left_alone(report: Report, left: Sequence[tuple[Change, str]]) -> None:
    """Ratings someone changed in Plex while the run worked: counted, listed, never written over."""
    for _change, why in left:
        report.counts[why] += 1
    report.left_alone.extend(left)
    report.extra["left_alone"] = [
        {"target": c.target, "label": c.label, "reason": why} for c, why in left
    ]


def check_written(
    app: JobApp, report: Report, written: Sequence[Change], now: Mapping[int, Any], ctx: JobContext
) -> int:
    """The after-write check of a job that re-read what it wrote (``now``: key -> Item).

    A rating the server does not hold is marked failed (a clear read back as
    0 too: nobody rates 0, it is the write not sticking); one that holds
    neither the old value nor ours was rated by someone during the run and
    is left alone (listed, never written over). Returns how many failed.
    """
    wrong: list[Change] = []
    left: list[tuple[Change, str]] = []
    for c in written:
        it = now.get(int(c.target))
        value = getattr(it, "user_rating", None)
        if it is not None and same(value, c.new):
            continue
        if it is not None and changed_by_someone(value, c.old, c.new):
            left.append((c, CHANGED_DURING_RUN))
        else:
            wrong.append(c)
    if left:
        note_left_alone(report, left)
        ctx.log(f"{len(left):,} ratings were changed in Plex during the run: left as they are")
    if wrong:
        mark_failed(app, report, wrong, "the server did not keep this value")
        ctx.log(f"{len(wrong):,} ratings did not stick", logging.WARNING)
    return len(wrong)


def run_status(report: Report, cancelled: bool, stopped: str = "") -> str:
    """A run's final status from its report (after every check).

    ``stopped``: the loop stopped early (the server went away); the rest was
    not sent and a new run finishes the job.
    """
    if cancelled:
        return "cancelled"
    if report.failed:
        if stopped and report.applied:
            return "stopped"
        return "done with errors" if report.applied else "failed"
    return "done"


def apply_plan(
    app: JobApp,
    plan: Plan,
    ctx: JobContext,
    *,
    workers: int = 3,
    undo_of: int | None = None,
    timeout: float | None = None,
    writer: Writer | None = None,
    after: Callable[[Report], None] | None = None,
) -> Report:
    """Start a run, write the plan's changes, run ``after``, finish the run; returns the report.

    ``app`` is the :class:`~ratings_gui.context.AppContext`. A run with
    nothing to write is still recorded so History shows that the job ran.
    ``writer`` is any :class:`~ratings_gui.journal.writeloop.Writer` (default: Plex
    item by item); every change must be one it accepts. ``after`` may mark
    more changes failed (a check that re-reads) or write more in the same
    run; the status is set from the report it leaves.
    """
    conn = require_connection(app)
    if writer is None:
        writer = RatingWriter(conn, workers=workers, cancel=ctx.cancel_event, timeout=timeout)
    _check_accepts(writer, plan)
    run_id = _start_run(app, conn, plan, undo_of)
    report = Report(plan.job, run_id, dry_run=False)
    with RunLog(app.paths.logs, plan.job, run_id), young_gc_only():
        ctx.log(f"run {run_id}: writing {len(plan.changes):,} changes ({conn.name})")
        try:
            result = writer.apply(
                plan.changes,
                journal=app.journal,
                run_id=run_id,
                progress=ctx.progress,
                log_line=lambda t: ctx.log(t, logging.WARNING),
                since=plan.read_at,
            )
        except Exception as exc:
            _ended_early(app, plan, run_id, exc, "failed")
            raise
        except BaseException as exc:  # Ctrl-C: what was sent stays journaled; settled next run
            _ended_early(app, plan, run_id, exc, INTERRUPTED)
            raise
        lost = app.journal.lost()
        if lost:
            raise _journal_lost(app, plan, run_id, lost, result.applied)
        _fill_report(report, plan, result)
        if after is not None:
            _run_after(app, run_id, report, result, after)
        status = run_status(report, result.cancelled, result.stopped)
        app.journal.finish_run(run_id, status, report.as_json())
        ctx.log(
            f"run {run_id} {status}: {len(report.applied):,} written, "
            f"{len(report.failed):,} failed ({report.extra.get('requests', 0):,} requests)"
        )
    return report


def _start_run(app: JobApp, conn: Any, plan: Plan, undo_of: int | None) -> int:
    """The run in the journal: the job, its options, the server, library and Plex user."""
    return int(
        app.journal.start_run(
            plan.job,
            plan.options,
            server=conn.name,
            library=str(plan.options.get("library") or app.library or ""),
            undo_of=undo_of,
            user=conn.user,
            user_name=conn.user_title if conn.member else "",
        )
    )


def _check_accepts(writer: Writer, plan: Plan) -> None:
    """Every change must be one the writer takes (a file change needs the tags writer)."""
    refused = [c for c in plan.changes if not writer.accepts(c)]
    if any(c.target_kind == FILE for c in refused):
        raise PlexError("This plan holds changes to files; only Plex changes can be applied here.")
    if refused:
        raise PlexError(f"{refused[0].label or refused[0].target}: cannot write {refused[0].field}")


def _fill_report(report: Report, plan: Plan, result: WriteResult) -> None:
    """The report of a write: the plan's counts, the outcomes, what was written and failed."""
    if result.stopped:
        report.messages.append(f"stopped: {result.stopped}")
    report.counts.update(plan.counts)
    report.counts.pop("update", None)
    report.counts.update(count_outcomes(result))
    if result.left_alone:
        note_left_alone(report, result.left_alone)
    for reason, n in result.reasons.items():
        report.counts[f"file failed: {reason.replace('_', ' ')}"] += n
    report.changes = len(result.applied)
    report.applied = result.applied
    report.failed = [f for f in result.failed if f[1] != CANCELLED]
    report.extra["requests"] = result.requests


def _run_after(
    app: JobApp, run_id: int, report: Report, result: WriteResult, after: Callable[[Report], None]
) -> None:
    """The job's check after the writes; if it breaks, the run is finished saying so."""
    try:
        after(report)
    except Exception as exc:
        # the writes are journaled; the run says the check after them broke
        status = run_status(report, result.cancelled, result.stopped)
        if status == "done":
            status = "done with errors" if report.applied else "failed"
        app.journal.finish_run(run_id, status, {**report.as_json(), "error": str(exc)})
        raise


def _landed(app: JobApp, plan: Plan, run_id: int, error: str) -> dict[str, Any]:
    """The JSON summary of a run that ended early: its id and what landed (from the journal)."""

    try:
        run = app.journal.run(run_id)
    except Exception:  # noqa: BLE001 - the journal itself is what broke: the id still counts
        run = None
    counts: dict[str, int] = {}
    if run is not None:
        counts = {"applied": run.applied, "failed": run.failed, "pending": run.pending}
        counts = {k: v for k, v in counts.items() if v}
    applied = run.applied if run is not None else 0
    return summary(
        plan.job, run_id=run_id, dry_run=False, counts=counts, changes=applied, error=error
    )


def _ended_early(app: JobApp, plan: Plan, run_id: int, exc: BaseException, status: str) -> None:
    """A run cut short by an exception or Ctrl-C: finished in the journal, and the exception
    carries ``run_summary`` (run id, what landed) for the CLI's JSON line."""
    error = "interrupted" if status == INTERRUPTED else str(exc)
    info = _landed(app, plan, run_id, error)
    if isinstance(exc, JournalUnwritable) and info["changes"]:
        exc.args = (exc.with_written(info["changes"]),)
        info["error"] = str(exc)
    try:
        app.journal.finish_run(run_id, status, {"error": info["error"]})
    except Exception:  # noqa: BLE001 - a journal that cannot be written keeps the run open
        log.warning("run %s: its end could not be recorded", run_id, exc_info=True)
    exc.run_summary = info  # type: ignore[attr-defined]


def _journal_lost(
    app: JobApp, plan: Plan, run_id: int, why: str, applied: Sequence[Change]
) -> JournalLost:
    """The journal was deleted under the run: what it changed goes to a recovery file.

    SQLite keeps the deleted file open, so the run's rows are still readable:
    they are saved beside where the journal was, and a fresh journal is opened.
    """
    path = recovery_path(app.journal.path, run_id)
    try:
        n = app.journal.write_recovery(run_id, path, why)
    except Exception as exc:  # noqa: BLE001 - said in the message
        saved = f"what it changed could not be saved ({exc})."
        rec = None
    else:
        saved = (
            f"The {n:,} changes it made are saved in {path}; 'undo --from {path}' takes them back."
        )
        rec = path
    try:
        app.journal.finish_run(run_id, "stopped", {"error": why})
        app.journal.reopen()
    except Exception:  # noqa: BLE001 - the next start opens a fresh journal anyway
        log.warning("the history database could not be opened again", exc_info=True)
    message = f"The run stopped: {why}, so History would not show it. {saved}"
    err = JournalLost(message, rec)
    info = _landed_counts(plan, run_id, len(applied), message)
    if rec is not None:
        info["recovery_file"] = str(rec)
    err.run_summary = info  # type: ignore[attr-defined]
    return err


def _landed_counts(plan: Plan, run_id: int, applied: int, error: str) -> dict[str, Any]:

    counts = {"applied": applied} if applied else {}
    return summary(
        plan.job, run_id=run_id, dry_run=False, counts=counts, changes=applied, error=error
    )


class PlanJob:
    """prepare(ctx) -> Plan and apply(ctx, plan) -> Report, the same for every job.

    ``app`` is the AppContext, ``ctx`` the JobContext of the worker running
    the job (progress, log, cancel). Subclasses set :attr:`name` and fill in
    the hooks; see the module docstring.
    """

    name = ""
    #: The library the default :meth:`read` reads (music: artists, albums, tracks).
    library: str = ""
    #: Kinds the default read takes (None: every kind of the library).
    read_kinds: tuple[str, ...] | None = None
    #: The run this job undoes (History links the two).
    undo_of: int | None = None

    def __init__(self, app: JobApp) -> None:
        self.app = app
        self.section_id: int | None = None
        self.read_requests = 0
        #: Items the last read skipped because the server sent them malformed ("title: why").
        self.bad: list[str] = []

    # --- hooks ------------------------------------------------------------------------

    def read(self, ctx: JobContext) -> Any:
        """One bulk read of the job's music library; a connection is required."""
        return self.read_snapshot(ctx)[0]

    def read_snapshot(self, ctx: JobContext) -> tuple[Any, Any]:
        """The default read: the Snapshot, and the PlexHttp that read it (to read more on its count)."""

        conn = require_connection(self.app)
        http = PlexHttp(conn, cancel=ctx.cancel_event)
        snap = read_library(
            conn,
            self.library,
            kinds=self.read_kinds,
            progress=ctx.progress,
            cancel=ctx.cancel_event,
            http=http,
            require_type="artist",
        )
        ctx.check_cancel()
        self.bad = list(snap.bad)
        self.section_id = snap.section_id
        self.read_requests = http.sent
        what = "tracks" if self.read_kinds == ("track",) else "artists, albums and tracks"
        ctx.log(f"read {len(snap):,} {what} of {snap.library} in {http.sent} requests")
        return snap, http

    def plan(self, snapshot: Any) -> Plan:
        """Pure: the snapshot and the job's options -> the plan."""
        raise NotImplementedError

    def log_plan(self, ctx: JobContext, plan: Plan) -> None:
        """What the user reads once the plan is ready (default: its size)."""
        ctx.log(f"plan: {len(plan):,} changes")

    def writer(self, ctx: JobContext, plan: Plan) -> Writer | None:
        """The writer the plan goes to; None: Plex item by item."""
        return None

    def to_write(self, plan: Plan) -> Plan:
        """The part of the plan the writer takes (default: all; ``after_apply`` writes the rest)."""
        return plan

    def after_apply(self, ctx: JobContext, plan: Plan, report: Report) -> None:
        """Checks and follow-ups before the run's status is set (default: none)."""

    # --- written once -----------------------------------------------------------------

    def prepare(self, ctx: JobContext) -> Plan:
        # What an interrupted run left pending is settled against the server and the
        # files first, so this plan (and whose rating is whose) sees every write.

        settle_interrupted(self.app, ctx)
        self.bad = []
        read_at = time.time()
        with young_gc_only():
            plan = self.plan(self.read(ctx))
        if plan.read_at is None:  # on the server's clock, learnt from the read's answers
            plan.read_at = server_time(self.app, read_at)
        if self.bad:  # items the server sent malformed (a NaN rating, a key "123x"): counted
            plan.count(MALFORMED_ITEMS, len(self.bad))
            ctx.log(
                f"{len(self.bad):,} items {MALFORMED_ITEMS}, e.g. {self.bad[0]}", logging.WARNING
            )
        self.log_plan(ctx, plan)
        return plan

    def apply(self, ctx: JobContext, plan: Plan) -> Report:
        require_connection(self.app)
        part = self.to_write(plan)
        return apply_plan(
            self.app,
            part,
            ctx,
            undo_of=self.undo_of,
            writer=self.writer(ctx, part),
            after=lambda report: self.after_apply(ctx, plan, report),
        )
