"""Journaled apply of any plan: the one place a job's changes reach Plex."""

from __future__ import annotations

import logging
from typing import Any

from ratings_gui.core.plan import FILE, Plan, Report
from ratings_gui.jobs.runner import JobContext
from ratings_gui.logsetup import RunLog
from ratings_gui.plex.connection import PlexError
from ratings_gui.plex.writer import RatingWriter
from ratings_gui.writeloop import Writer, count_outcomes

log = logging.getLogger(__name__)


def apply_plan(
    app: Any,
    plan: Plan,
    ctx: JobContext,
    *,
    workers: int = 3,
    undo_of: int | None = None,
    timeout: float | None = None,
    writer: Writer | None = None,
) -> Report:
    """Start a run, write the plan's changes, finish the run; returns the report.

    ``app`` is the :class:`~ratings_gui.context.AppContext` (connection,
    journal, log folder). A run with nothing to write is still recorded so
    History shows that the job ran. ``writer`` replaces the per-item
    :class:`RatingWriter` (grouped multi-edits, mood tags, files): any
    :class:`~ratings_gui.writeloop.Writer`; every change must be one it accepts.
    """
    conn = app.connection
    if conn is None:
        raise PlexError("Not connected to a Plex server. Sign in first.")
    if writer is None:
        writer = RatingWriter(conn, workers=workers, cancel=ctx.cancel_event, timeout=timeout)
    refused = [c for c in plan.changes if not writer.accepts(c)]
    if any(c.target_kind == FILE for c in refused):
        raise PlexError("This plan holds changes to files; only Plex changes can be applied here.")
    if refused:
        raise PlexError(f"{refused[0].label or refused[0].target}: cannot write {refused[0].field}")
    plex_changes = plan.changes
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
        for reason, n in result.reasons.items():
            report.counts[f"file failed: {reason.replace('_', ' ')}"] += n
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
