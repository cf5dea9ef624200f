"""``undo``: write back the old values of a run."""

from __future__ import annotations

import argparse
from typing import Any

from ratings_gui.cli.base import Command, Output, UsageError, register, run_plan_job
from ratings_gui.jobs.undo import UndoJob


def _undo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", type=int, help="the run to undo (see 'history')")


def _undo_run(app: Any, args: argparse.Namespace, out: Output) -> int:
    if app.journal.run(args.run_id) is None:
        raise UsageError(f"There is no run {args.run_id} in the history.")
    return run_plan_job(app, args, out, UndoJob(app, args.run_id))


register(Command("undo", "undo a run: write back the old values", _undo_args, _undo_run))
