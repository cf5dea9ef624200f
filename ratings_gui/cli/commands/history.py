"""``history``: the runs, or one run's changes."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from ratings_gui.cli.base import (
    EXIT_OK,
    Command,
    Output,
    UsageError,
    change_text,
    register,
    summary,
)
from ratings_gui.core.registry import title_of

if TYPE_CHECKING:
    from ratings_gui.context import AppContext


def _history_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", nargs="?", type=int, help="show this run's changes")
    p.add_argument("--limit", type=int, default=50, help="how many runs (default 50)")


def _history_run(app: AppContext, args: argparse.Namespace, out: Output) -> int:
    if args.run_id is not None:
        return _one_run(app, args.run_id, out)
    return _run_list(app, args.limit, out)


def _one_run(app: AppContext, run_id: int, out: Output) -> int:
    """One run: a line per change with its status; the JSON lists the changes."""
    run = app.journal.run(run_id)
    if run is None:
        raise UsageError(f"There is no run {run_id} in the history.")
    rows = app.journal.changes(run_id)
    who = f" as {run.user_name}" if run.user_name else ""
    out.say(f"run {run.id} {title_of(run.job)} {run.status} on {run.server}/{run.library}{who}")
    for r in rows:
        c = r.change
        out.say(f"  {r.status:8} {c.label or c.target}: {change_text(c)}")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    out.result(
        summary(
            "history",
            run_id=run.id,
            counts=counts,
            changes=len(rows),
            changes_list=[
                {
                    "target": r.change.target,
                    "label": r.change.label,
                    "field": r.change.field,
                    "old": r.change.old,
                    "new": r.change.new,
                    "status": r.status,
                }
                for r in rows
            ],
        )
    )
    return EXIT_OK


def _run_list(app: AppContext, limit: int, out: Output) -> int:
    """The newest runs, a line each with what they wrote, failed and undid."""
    runs = app.journal.runs(limit=limit)
    if not runs:
        out.say("No runs yet: the program has not changed anything with this data folder.")
    for r in runs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started_at))
        who = f" as {r.user_name}" if r.user_name else ""
        out.say(
            f"{r.id:5}  {when}  {title_of(r.job):20} {r.status:15} {r.server}/{r.library}{who}  "
            f"applied {r.applied}, failed {r.failed}, undone {r.undone}"
            + (f", pending {r.pending}" if r.pending else "")
        )
    out.result(
        summary(
            "history",
            counts={"runs": len(runs)},
            runs=[
                {
                    "id": r.id,
                    "job": r.job,
                    "status": r.status,
                    "server": r.server,
                    "library": r.library,
                    "user": r.user_name,
                    "user_id": r.user,
                    "started_at": r.started_at,
                    "applied": r.applied,
                    "failed": r.failed,
                    "undone": r.undone,
                    "pending": r.pending,
                    "undo_of": r.undo_of,
                }
                for r in runs
            ],
        )
    )
    return EXIT_OK


register(
    Command(
        "history",
        "list runs, or one run's changes",
        _history_args,
        _history_run,
        needs_server=False,
    )
)
