"""``undo``: write back the old values of a run (from History, or from a recovery file)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from ratings_gui.cli.base import Command, Output, UsageError, register, run_plan_job
from ratings_gui.jobs.undo import UndoJob
from ratings_gui.journal import RecoveryError, read_recovery
from ratings_gui.plex.home import PIN_ENV

if TYPE_CHECKING:
    from ratings_gui.context import AppContext


def _undo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", nargs="?", type=int, help="the run to undo (see 'history')")
    p.add_argument(
        "--from",
        dest="from_file",
        metavar="FILE",
        help="undo the run saved in this recovery file (written when the history was lost)",
    )


def _undo_run(app: AppContext, args: argparse.Namespace, out: Output) -> int:
    if args.from_file:
        if args.run_id is not None:
            raise UsageError("Give a run id or --from FILE, not both.")
        try:
            recovery = read_recovery(args.from_file)
        except RecoveryError as exc:
            raise UsageError(str(exc)) from None
        return run_plan_job(app, args, out, UndoJob.from_recovery(app, recovery))
    if args.run_id is None:
        raise UsageError("Which run? Give its id (see 'history'), or --from FILE.")
    if app.journal.run(args.run_id) is None:
        raise UsageError(f"There is no run {args.run_id} in the history.")
    job = UndoJob(app, args.run_id)
    # a run made as a Plex Home member is undone as that member: their PIN, if they have one
    job.pin = getattr(args, "pin", None) or os.environ.get(PIN_ENV) or None
    return run_plan_job(app, args, out, job)


register(Command("undo", "undo a run: write back the old values", _undo_args, _undo_run))
