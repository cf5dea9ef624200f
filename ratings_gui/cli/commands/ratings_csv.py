"""``import-ratings``: artist, album and track stars (own or inferred) from a ratings CSV."""

from __future__ import annotations

import argparse
from typing import Any

from ratings_gui.cli.base import (
    Command,
    Output,
    UsageError,
    register,
    require_library,
    run_plan_job,
)
from ratings_gui.core.plan import Plan
from ratings_gui.jobs.import_job import ImportInputError
from ratings_gui.jobs.ratings_csv import RatingsImportJob


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "file",
        help="a ratings CSV: kind,title,stars (optional key, artist, album, source), "
        "as 'infer --export' writes it",
    )
    p.add_argument(
        "--unmatched", metavar="FILE", help="write the rows that were not used, with the reason"
    )


def _run(app: Any, args: argparse.Namespace, out: Output) -> int:
    """The shared CLI flow, plus a plain exit 2 for a broken file and the unmatched CSV."""
    job = RatingsImportJob(app, require_library(app, args), args.file)

    def unmatched(plan: Plan) -> dict[str, Any]:
        if not args.unmatched:
            if plan.skipped:
                out.say(
                    f"{len(plan.skipped):,} rows not used; --unmatched FILE lists them with the reason"
                )
            return {}
        try:
            n = job.write_unmatched(plan, args.unmatched)
        except OSError as exc:
            raise UsageError(
                f"{args.unmatched} cannot be written ({exc.strerror or exc})."
            ) from exc
        out.say(f"{n:,} unmatched rows written to {args.unmatched}")
        return {"unmatched_csv": str(args.unmatched)}

    return run_plan_job(app, args, out, job, input_errors=(ImportInputError,), after_plan=unmatched)


register(
    Command(
        "import-ratings",
        "import artist, album and track ratings (own or inferred) from a ratings CSV",
        _add_arguments,
        _run,
    )
)
