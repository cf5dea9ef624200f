"""``tags``: Plex track ratings <-> the rating tags in the files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ratings_gui.cli.base import (
    EXIT_OK,
    EXIT_USAGE,
    Command,
    Output,
    UsageError,
    cli_context,
    register,
    require_library,
    run_plan_job,
    summary,
)
from ratings_gui.core.pathmap import Rule, RuleError, parse_rule
from ratings_gui.core.plan import Plan
from ratings_gui.core.tagsplan import CONFLICTS, DIRECTIONS, JOB, file_problems
from ratings_gui.jobs.tags_sync import MappingError, TagsOptions, TagsSyncJob
from ratings_gui.tags.scales import ScaleQuestion

if TYPE_CHECKING:
    from ratings_gui.context import AppContext

#: ``--rating-scale`` values (and the terminal's answers) -> the tag layer's scale names.
RATING_SCALE_ARGS = {"0-100": "percent", "0-10": "ten"}


def ask_on_terminal(out: Output) -> Callable[[ScaleQuestion], str | None]:
    """The tags job's scale question, asked at the terminal (never in --json or a pipe:
    then ``--rating-scale`` answers, or those files are counted and left alone)."""

    def ask(question: ScaleQuestion) -> str | None:
        if out.as_json or sys.stdin is None or not sys.stdin.isatty():
            return None
        print(question.text, file=sys.stderr)
        try:
            text = input("Read them as 0-100 or 0-10? (type 0-100 or 0-10; Enter: leave them) ")
        except EOFError:
            return None
        return RATING_SCALE_ARGS.get(text.strip())

    return ask


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="PLEX_PREFIX=LOCAL_PREFIX",
        help="where the server's folder is here (repeat for several)",
    )
    p.add_argument("--direction", choices=DIRECTIONS, default="both", help="default: both")
    p.add_argument(
        "--conflict",
        choices=CONFLICTS,
        default="fill",
        help="when both sides are rated and differ (default: fill = leave them alone)",
    )
    p.add_argument(
        "--allow-clear",
        action="store_true",
        help="an unrated source removes the target's rating (off: never erased)",
    )
    p.add_argument(
        "--include-guesses",
        action="store_true",
        help="also write the program's guesses (base and inferred ratings) into files "
        "(off: only your own ratings go into files)",
    )
    p.add_argument("--popm-email", default="", help="POPM owner e-mail for new MP3 rating frames")
    p.add_argument("--keep-mtime", action="store_true", help="keep the files' modification times")
    p.add_argument(
        "--vorbis-0-10", action="store_true", help="read Vorbis RATING 6-10 as 0-10 (not 0-100)"
    )
    p.add_argument(
        "--rating-scale",
        choices=tuple(RATING_SCALE_ARGS),
        help="the scale of RATING values 6-10 when the library's own values do not tell",
    )
    p.add_argument(
        "--test-mapping", action="store_true", help="only check the mapping on a sample of files"
    )


def _rules_from_args(args: argparse.Namespace) -> list[Rule]:
    if not args.map:
        raise UsageError("Give at least one --map PLEX_PREFIX=LOCAL_PREFIX.")
    try:
        return [parse_rule(m) for m in args.map]
    except RuleError as exc:
        raise UsageError(str(exc)) from None


def _run(app: AppContext, args: argparse.Namespace, out: Output) -> int:
    library = require_library(app, args)
    opts = TagsOptions(
        library,
        _rules_from_args(args),
        direction=args.direction,
        conflict=args.conflict,
        allow_clear=args.allow_clear,
        include_guesses=args.include_guesses,
        popm_email=args.popm_email,
        keep_mtime=args.keep_mtime,
        vorbis_zero_to_ten=args.vorbis_0_10,
        rating_scale=RATING_SCALE_ARGS.get(args.rating_scale or ""),
    )
    job = TagsSyncJob(app, opts, ask_scale=ask_on_terminal(out))
    if args.test_mapping:
        test = job.test_mapping(cli_context(out))
        for sp, local in test.missing[:10]:
            out.say(f"  missing: {sp} -> {local or '(no rule)'}")
        out.result(
            summary(
                JOB,
                counts={"checked": test.checked, "found": test.found, "unmapped": test.unmapped},
                suggestion=str(test.suggestion) if test.suggestion else None,
            )
        )
        return EXIT_OK if test.ok else EXIT_USAGE

    def listed(plan: Plan) -> dict[str, Any]:
        problems = file_problems(plan)
        if problems:
            out.say(f"{len(problems):,} files could not be read:")
        for p in problems[:20]:
            out.say(f"  {p['path']}: {p['reason']}")
        if len(problems) > 20:
            out.say(f"  … and {len(problems) - 20:,} more (all of them in the --json output)")
        return {"files_not_read": problems}

    return run_plan_job(app, args, out, job, input_errors=(MappingError,), after_plan=listed)


register(
    Command(
        "tags",
        "copy track ratings between Plex and the files' rating tags",
        _add_arguments,
        _run,
    )
)
