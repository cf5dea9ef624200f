"""One run for a plan that writes Plex and files: both writers under one journal run."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ratings_gui.core.plan import FILE, PLEX, Plan, Report
from ratings_gui.jobs.apply import apply_plan
from ratings_gui.jobs.runner import JobContext
from ratings_gui.plex.writer import RatingWriter
from ratings_gui.tags.writer import FileWriter
from ratings_gui.writeloop import InOrder

log = logging.getLogger(__name__)


def apply_sync_plan(
    app: Any,
    plan: Plan,
    ctx: JobContext,
    *,
    popm_email: str = "",
    keep_mtime: bool = False,
    undo_of: int | None = None,
    restore: Mapping[str, dict[str, str]] | None = None,
    workers: int = 3,
    file_workers: int = 4,
) -> Report:
    """Write a plan holding Plex and file changes as one journal run; returns its report."""
    plex_changes = [c for c in plan.changes if c.target_kind == PLEX]
    file_changes = [c for c in plan.changes if c.target_kind == FILE]
    files = FileWriter(
        popm_email=popm_email,
        keep_mtime=keep_mtime,
        workers=file_workers,
        cancel=ctx.cancel_event,
        restore=restore,
    )
    plex = None
    if app.connection is not None:
        plex = RatingWriter(app.connection, workers=workers, cancel=ctx.cancel_event)
    writer = InOrder(plex, files)
    if file_changes:
        ctx.log(f"{len(file_changes):,} files and {len(plex_changes):,} Plex ratings to write")
    report = apply_plan(app, plan, ctx, undo_of=undo_of, writer=writer)
    report.extra["files_written"] = sum(1 for c in report.applied if c.target_kind == FILE)
    report.extra["plex_written"] = sum(1 for c in report.applied if c.target_kind == PLEX)
    return report
