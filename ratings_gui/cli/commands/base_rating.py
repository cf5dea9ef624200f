"""``base-rating``: a base rating for unrated tracks, its reset, and the watch for new tracks."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ratings_gui.cli.base import (
    EXIT_FAILED,
    EXIT_OK,
    Command,
    Output,
    UsageError,
    cli_context,
    print_plan,
    register,
    require_library,
    run_plan_job,
    summary,
)
from ratings_gui.core.baserating import JOB, STYLES, check_value
from ratings_gui.jobs.base_rating import DEFAULT_INTERVAL, BaseRatingJob, BaseRatingOptions, watch

if TYPE_CHECKING:
    from ratings_gui.context import AppContext


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stars", type=float, help="the base rating in stars (0.5-5; like-only: 1)")
    p.add_argument(
        "--style",
        choices=sorted(STYLES),
        default=None,
        help="like (1 star), whole or half stars (default: whole, or half for x.5)",
    )
    p.add_argument(
        "--override", action="store_true", help="also replace ratings the program set before"
    )
    p.add_argument(
        "--override-mine",
        action="store_true",
        help="ALSO replace YOUR OWN ratings (the plan shows how many)",
    )
    p.add_argument("--newest", type=int, metavar="N", help="only the N most recently added tracks")
    p.add_argument(
        "--since-last-run", action="store_true", help="only tracks added since the last run"
    )
    # every run writes with grouped edits now; the old flag is accepted and does nothing
    p.add_argument("--grouped", action="store_true", help=argparse.SUPPRESS)
    p.add_argument(
        "--reset", action="store_true", help="remove the base ratings the program set, nothing else"
    )
    p.add_argument("--watch", action="store_true", help="then keep rating newly added tracks")
    p.add_argument("--watch-seconds", type=float, help="stop watching after this many seconds")
    p.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL,
        help=f"seconds between watch polls (default {DEFAULT_INTERVAL:g})",
    )


def _options_from_args(
    app: AppContext, args: argparse.Namespace, library: str
) -> BaseRatingOptions:
    if args.reset:
        return BaseRatingOptions(library, 0.0)
    if args.stars is None:
        raise UsageError("Choose the base rating with --stars (for example --stars 3).")
    style = args.style or ("half" if args.stars * 2 % 2 else "whole")
    try:
        value = check_value(args.stars * 2, style)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.newest is not None and args.newest < 1:
        raise UsageError("--newest needs a number of tracks of 1 or more.")
    return BaseRatingOptions(
        library,
        value,
        style,
        override_program=args.override,
        override_user=args.override_mine,
        newest=args.newest,
        since_last_run=args.since_last_run,
    )


def _run(app: AppContext, args: argparse.Namespace, out: Output) -> int:
    library = require_library(app, args)
    opts = _options_from_args(app, args, library)
    if args.watch and args.reset:
        raise UsageError("--watch cannot be combined with --reset.")
    if args.watch and args.dry_run:
        raise UsageError("--watch writes as tracks arrive; it cannot be a dry run.")
    if args.watch and not args.yes:
        raise UsageError("--watch writes without asking: pass --yes with it.")
    job = BaseRatingJob(app, opts, reset=args.reset)
    if not args.watch:
        return run_plan_job(app, args, out, job)

    # --watch: the normal run first, then new tracks as they arrive.
    ctx = cli_context(out)
    plan = job.prepare(ctx)
    print_plan(out, plan)
    report = job.apply(ctx, plan) if plan.changes else None
    result = summary(
        JOB,
        run_id=report.run_id if report else None,
        dry_run=False,
        counts=dict(sorted((report.counts if report else plan.counts).items())),
        changes=report.changes if report else 0,
    )
    try:
        stats = watch(app, opts, ctx, interval=args.interval, seconds=args.watch_seconds)
    except KeyboardInterrupt:
        out.say("watch stopped")
        stats = None
    if stats is not None:
        result["watch"] = stats.as_json()
    failed = (report.failed if report else []) or (stats.failed if stats else 0)
    out.result(result)
    return EXIT_FAILED if failed else EXIT_OK


register(
    Command(
        "base-rating",
        "give unrated tracks a base rating (or --reset to remove the base ratings)",
        _add_arguments,
        _run,
    )
)
