"""``undo``: write back the old values of a run."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ratings_gui.cli.base import Command, Output, UsageError, register, run_plan_job
from ratings_gui.jobs.undo import UndoJob
from ratings_gui.plex.home import PIN_ENV


def _undo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", type=int, help="the run to undo (see 'history')")


def _undo_run(app: Any, args: argparse.Namespace, out: Output) -> int:
    if app.journal.run(args.run_id) is None:
        raise UsageError(f"There is no run {args.run_id} in the history.")
    job = UndoJob(app, args.run_id)
    # a run made as a Plex Home member is undone as that member: their PIN, if they have one
    job.pin = getattr(args, "pin", None) or os.environ.get(PIN_ENV) or None
    return run_plan_job(app, args, out, job)


register(Command("undo", "undo a run: write back the old values", _undo_args, _undo_run))
