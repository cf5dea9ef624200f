"""Journaled apply of any plan: the one place a job's changes reach Plex."""

from __future__ import annotations

import logging
from typing import Any

from ratings_gui.core.plan import PLEX, Plan, Report
from ratings_gui.jobs.runner import JobContext
from ratings_gui.logsetup import RunLog
from ratings_gui.plex.connection import PlexError
from ratings_gui.plex.writer import RatingWriter, count_outcomes

log = logging.getLogger(__name__)


def apply_plan(
    app: Any,
    plan: Plan,
    ctx: JobContext,
    *,
    workers: int = 3,
    undo_of: int | None = None,
    timeout: float | None = None,
    writer: Any = None,
) -> Report:
    """Start a run, write the plan's changes, finish the run; returns the report.

    ``app`` is the :class:`~ratings_gui.context.AppContext` (connection,
    journal, log folder). A run with nothing to write is still recorded so
    History shows that the job ran. ``writer`` replaces the per-item
    :class:`RatingWriter` (e.g. grouped multi-edits); it needs the same
    ``apply(changes, journal=, run_id=, progress=, log_line=)``.
    """
    conn = app.connection
    if conn is None:
        raise PlexError("Not connected to a Plex server. Sign in first.")
    # A writer that also writes files (the tags sync) says so; the per-item
    # Plex writer only takes Plex changes.
    handles_files = bool(getattr(writer, "handles_files", False))
    plex_changes = [c for c in plan.changes if c.target_kind == PLEX or handles_files]
    if len(plex_changes) != len(plan.changes):
        raise PlexError("This plan holds changes to files; only Plex changes can be applied here.")
    run_id = app.journal.start_run(
        plan.job,
        plan.options,
        server=conn.name,
        library=str(plan.options.get("library") or app.library or ""),
        undo_of=undo_of,
    )
    report = Report(plan.job, run_id, dry_run=False)
    with RunLog(app.paths.logs, plan.job, run_id):
        ctx.log(f"run {run_id}: writing {len(plex_changes):,} changes ({conn.name})")
        if writer is None:
            writer = RatingWriter(conn, workers=workers, cancel=ctx.cancel_event, timeout=timeout)
        try:
            result = writer.apply(
                plex_changes,
                journal=app.journal,
                run_id=run_id,
                progress=ctx.progress,
                log_line=lambda t: ctx.log(t, logging.WARNING),
            )
        except Exception as exc:
            app.journal.finish_run(run_id, "failed", {"error": str(exc)})
            raise
        report.counts.update(plan.counts)
        report.counts.pop("update", None)
        report.counts.update(count_outcomes(result))
        report.changes = len(result.applied)
        report.applied = result.applied
        report.failed = [f for f in result.failed if f[1] != "cancelled"]
        report.extra["requests"] = result.requests
        if result.cancelled:
            status = "cancelled"
        elif report.failed:
            status = "done with errors" if result.applied else "failed"
        else:
            status = "done"
        app.journal.finish_run(run_id, status, report.as_json())
        ctx.log(
            f"run {run_id} {status}: {len(result.applied):,} written, "
            f"{len(report.failed):,} failed ({result.requests:,} requests)"
        )
    return report
