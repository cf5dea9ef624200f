"""``copy-ratings``: one Plex Home member's ratings onto another member's unrated items.

    python -m ratings_gui copy-ratings --from-user A --to-user B [--library NAME]
        [--kind KIND ...] [--overwrite] [--from-pin PIN] [--to-pin PIN] [--dry-run] [--yes]

The copied values become B's own (copied at B's request); the run is B's
in History, and ``undo RUN`` puts B's ratings back (it runs as B by itself).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ratings_gui.cli.base import Command, Output, UsageError, register, run_plan_job
from ratings_gui.jobs.copy_ratings import CopyRatingsJob
from ratings_gui.jobs.import_job import ImportInputError

if TYPE_CHECKING:
    from ratings_gui.context import AppContext

KINDS = ("artist", "album", "track", "movie", "show", "season", "episode")


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--from-user", required=True, metavar="NAME", help="the member whose ratings are copied"
    )
    p.add_argument("--to-user", required=True, metavar="NAME", help="the member who gets them (B)")
    p.add_argument(
        "--kind",
        action="append",
        choices=KINDS,
        metavar="KIND",
        help=f"copy only these kinds (repeat it; {', '.join(KINDS)}); default: all",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace B's own ratings that differ (default: keep them; the program's base "
        "and inferred guesses for B are replaced either way)",
    )
    p.add_argument("--from-pin", metavar="PIN", help="the PIN of the member copied from, if any")
    p.add_argument("--to-pin", metavar="PIN", help="the PIN of the member copied to, if any")


def _run(app: AppContext, args: argparse.Namespace, out: Output) -> int:
    if args.user:
        raise UsageError("copy-ratings names its members with --from-user and --to-user.")
    job = CopyRatingsJob(
        app,
        args.from_user,
        args.to_user,
        [args.library] if args.library else None,
        kinds=args.kind,
        overwrite=args.overwrite,
        from_pin=args.from_pin,
        to_pin=args.to_pin,
    )
    return run_plan_job(app, args, out, job, input_errors=(ImportInputError,))


register(
    Command(
        "copy-ratings",
        "copy one Plex Home member's ratings to another member's unrated items (undo in History)",
        _args,
        _run,
    )
)
