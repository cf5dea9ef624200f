"""``import`` and ``export``: rating exports of IMDb, Letterboxd, TMDB, Trakt <-> Plex."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ratings_gui import sources
from ratings_gui.cli.base import (
    EXIT_OK,
    Command,
    Output,
    UsageError,
    cli_context,
    register,
    run_plan_job,
    summary,
)
from ratings_gui.core.matching import MIN_SCORE
from ratings_gui.jobs.import_job import (
    EXPORT_FORMATS,
    KIND_CHOICES,
    ImportInputError,
    ImportJob,
    export_ratings,
    review_line,
)
from ratings_gui.sources.files import WriteError, check_target, display_path


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the export: CSV, Trakt JSON, a zip, or an extracted folder")
    p.add_argument("--format", choices=sources.FORMATS, help="skip detection (default: auto)")
    p.add_argument(
        "--kinds",
        default=",".join(KIND_CHOICES),
        help="media types to rate, comma separated (default: movie,show,episode)",
    )
    p.add_argument("--mark-watched", action="store_true", help="mark rated items as watched")
    p.add_argument(
        "--overwrite",
        "--force",
        dest="overwrite",
        action="store_true",
        help="replace ratings you already gave in Plex that differ from the file "
        "(default: yours are kept and listed)",
    )
    p.add_argument(
        "--min-score",
        type=float,
        default=MIN_SCORE,
        metavar="N",
        help="title matches below this (0-1) need review and are not applied (default %(default)s)",
    )
    p.add_argument("--unmatched-out", metavar="FILE", help="write the unmatched rows here")
    p.add_argument(
        "--all-libraries", action="store_true", help="match against every movie and TV library"
    )


def _kinds(text: str) -> set[str]:
    kinds = {k.strip().lower().rstrip("s") for k in text.split(",") if k.strip()}
    bad = kinds - set(KIND_CHOICES)
    if bad or not kinds:
        raise UsageError(f"--kinds takes {', '.join(KIND_CHOICES)}; not {', '.join(sorted(bad))}.")
    return kinds


def _import_run(app: Any, args: argparse.Namespace, out: Output) -> int:
    """The shared flow, plus the review list, and the unmatched CSV also when nothing is applied."""
    if not 0 <= args.min_score <= 1:
        raise UsageError("--min-score is a number between 0 and 1 (for example 0.85).")
    if not args.library and not args.all_libraries:
        raise UsageError("Choose a library with --library NAME, or pass --all-libraries.")
    job = ImportJob(
        app,
        args.file,
        fmt=args.format,
        kinds=_kinds(args.kinds),
        min_score=args.min_score,
        overwrite=args.overwrite,
        mark_watched=args.mark_watched,
        all_libraries=args.all_libraries,
        library=args.library,
        unmatched_out=args.unmatched_out,
    )

    def review(plan: Any) -> dict[str, Any]:
        return {"review": [review_line(r) for r in job.review]}

    def unmatched(plan: Any, ctx: Any) -> dict[str, Any]:
        if not (job.unmatched_out or not args.dry_run):
            return {}
        path = job.write_unmatched(plan, None, ctx)
        if path is None:
            return {}
        out.say(f"unmatched rows: {display_path(path)}")
        return {"unmatched_csv": str(path)}

    return run_plan_job(
        app,
        args,
        out,
        job,
        input_errors=(ImportInputError,),
        after_plan=review,
        not_applied=unmatched,
        apply_empty=False,
    )


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the CSV to write")
    p.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        default="csv",
        help="letterboxd: a file Letterboxd's importer takes; csv: every rating (default)",
    )
    p.add_argument("--all-libraries", action="store_true", help="every movie and TV library")


def _export_run(app: Any, args: argparse.Namespace, out: Output) -> int:
    if not args.library and not args.all_libraries:
        raise UsageError("Choose a library with --library NAME, or pass --all-libraries.")
    target = Path(args.file)
    try:
        check_target(target)  # a device, pipe or folder: refused before Plex is read
    except WriteError as exc:
        raise UsageError(str(exc)) from exc
    kw = {"letterboxd": target} if args.format == "letterboxd" else {"plain": target}
    try:
        counts = export_ratings(
            app,
            cli_context(out),
            library=args.library,
            all_libraries=args.all_libraries,
            **kw,
        )
    except (ImportInputError, WriteError) as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        shown = display_path(target)
        raise UsageError(f"{shown} cannot be written ({exc.strerror or exc}).") from exc
    out.result(summary("export", counts=counts, file=str(target)))
    return EXIT_OK


register(
    Command(
        "import",
        "import IMDb, Letterboxd, TMDB or Trakt ratings into Plex movies, shows and episodes",
        _import_args,
        _import_run,
    )
)
register(
    Command(
        "export",
        "export the library's ratings to a Letterboxd-importable CSV or a plain CSV",
        _export_args,
        _export_run,
    )
)
