"""``infer``: album, artist and unrated-track ratings from the user's own; reports, backtest."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ratings_gui.cli.base import (
    EXIT_OK,
    Command,
    Output,
    UsageError,
    cli_context,
    register,
    require_library,
    run_plan_job,
    summary,
)
from ratings_gui.core import inference as inf
from ratings_gui.jobs.infer import (
    JOB,
    REBUILD_JOB,
    REPORTS,
    InferJob,
    InferOptions,
    export_ratings_csv,
    program_map,
    report_rows,
    saved_params,
    write_csv,
)

if TYPE_CHECKING:
    from ratings_gui.context import AppContext


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--passes",
        default="all",
        help="up, down, twins or single passes: "
        + ", ".join(inf.PASSES)
        + " (default all, in order)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter, repeat for more. "
        + " ".join(f"{n}: {inf.param_help(n)}" for n in inf.Params.names()),
    )
    p.add_argument("--mood-tag", metavar="NAME", help="tag inferred items with this mood")
    p.add_argument(
        "--backtest",
        action="store_true",
        help="hide each fifth of your track ratings in turn, infer them back, and print "
        "how far off the engines and two plain averages are (with --json: all figures)",
    )
    p.add_argument("--report", choices=REPORTS, help="write a report as CSV (with --out)")
    p.add_argument(
        "--export", metavar="FILE", help="write all ratings as CSV (stars, own/inferred)"
    )
    p.add_argument("--out", metavar="FILE", help="the report's CSV file")
    p.add_argument(
        "--rebuild-provenance",
        action="store_true",
        help="record the ratings of items with the mood tag as the program's",
    )


def options_from_args(app: AppContext, args: argparse.Namespace, library: str) -> InferOptions:
    params = saved_params(app)
    for pair in args.set:
        name, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"--set needs NAME=VALUE, not {pair!r}")
        try:
            params = params.with_text(name, value)
        except ValueError as exc:
            key = name.strip().replace("-", "_")
            hint = f" {key}: {inf.param_help(key)}" if key in inf.PARAM_HELP else ""
            raise UsageError(str(exc) + hint) from None
    try:
        passes = inf.parse_passes(args.passes)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    mood = args.mood_tag.strip() if args.mood_tag is not None else None
    if args.mood_tag is not None and not mood:
        raise UsageError("--mood-tag needs a name (e.g. Rating_Inferred).")
    return InferOptions(library, params, passes, mood_tag=mood)


def stars_off(plex_units: float) -> str:
    """An error in Plex units (1 = half a star) as the stars a user reads: ``0.49 stars``."""
    return f"{plex_units / 2:.2f} stars"


def backtest_lines(bt: Any) -> list[str]:
    """The backtest's figures in stars only (the JSON keeps the Plex units, named so)."""
    out = [
        f"backtest: {bt.hidden:,} of your track ratings hidden {bt.folds} times a fifth, "
        f"{bt.predicted:,} guessed back; how far off each method is, in stars"
    ]
    for k, (mae, rmse) in bt.scores.items():
        mark = "  <- yours" if k == bt.engine else ""
        out.append(
            f"  {inf.METHOD_LABELS[k]:21} off by {stars_off(mae)} on average"
            f" (typical miss {stars_off(rmse)}){mark}"
        )
    out.append(f"  {bt.within:.0%} of your ratings fell within the stated ± spread")
    return out


def _run(app: AppContext, args: argparse.Namespace, out: Output) -> int:
    library = require_library(app, args)
    opts = options_from_args(app, args, library)
    job = InferJob(app, opts)
    ctx = cli_context(out)
    if args.report and not args.out:
        raise UsageError("--report needs --out FILE.")
    if args.rebuild_provenance:
        n = job.rebuild_provenance(ctx)
        out.result(summary(REBUILD_JOB, dry_run=False, counts={"rebuilt": n}))
        return EXIT_OK
    if args.backtest or args.report or args.export:
        job.read_music(ctx)
        job.program = program_map(app)
        result = summary(JOB)
        if args.backtest:
            bt = inf.backtest(job.items, job.program, opts.params)
            for line in backtest_lines(bt):
                out.say(line)
            out.say(bt.sentence())
            result["backtest"] = bt.as_json()
        res = inf.infer(job.items, job.program, opts.params)
        if args.report:
            header, rows = report_rows(args.report, job.items, res, opts.passes)
            n = write_csv(args.out, header, rows)
            out.say(f"{args.report}: {n:,} rows written to {args.out}")
            result["report"] = {"kind": args.report, "rows": n, "file": str(args.out)}
        if args.export:
            n = export_ratings_csv(args.export, job.items, res)
            out.say(f"{n:,} ratings exported to {args.export}")
            result["export"] = {"rows": n, "file": str(args.export)}
        out.result(result)
        return EXIT_OK
    return run_plan_job(app, args, out, job)


register(
    Command(
        "infer",
        "infer album, artist and unrated-track ratings from your own ratings",
        _add_arguments,
        _run,
    )
)
