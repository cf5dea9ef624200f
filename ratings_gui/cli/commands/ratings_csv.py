"""``import-ratings``: artist, album and track stars (own or inferred) from a ratings CSV."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ratings_gui.cli.base import (
    Command,
    Output,
    register,
    require_library,
    run_plan_job,
    skipped_csv,
)
from ratings_gui.core.plan import Plan
from ratings_gui.jobs.import_job import ImportInputError
from ratings_gui.jobs.ratings_csv import RatingsImportJob

if TYPE_CHECKING:
    from ratings_gui.context import AppContext


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "file",
        help="a ratings CSV: kind,title,stars (optional key, artist, album, source), "
        "as 'infer --export' writes it",
    )
    p.add_argument(
        "--unmatched", metavar="FILE", help="write the rows that were not used, with the reason"
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace ratings you already gave that differ from an own row of the file "
        "(default: yours are kept and listed)",
    )


def _run(app: AppContext, args: argparse.Namespace, out: Output) -> int:
    """The shared CLI flow, plus a plain exit 2 for a broken file and the unmatched CSV."""
    job = RatingsImportJob(app, require_library(app, args), args.file, overwrite=args.overwrite)

    def unmatched(plan: Plan) -> dict[str, Any]:
        return skipped_csv(
            out,
            args.unmatched,
            len(plan.skipped),
            lambda path: job.write_unmatched(plan, path),
            "rows not used",
        )

    return run_plan_job(app, args, out, job, input_errors=(ImportInputError,), after_plan=unmatched)


register(
    Command(
        "import-ratings",
        "import artist, album and track ratings (own or inferred) from a ratings CSV",
        _add_arguments,
        _run,
    )
)
