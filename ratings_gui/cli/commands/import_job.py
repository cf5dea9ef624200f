"""``import`` and ``export``: rating exports of IMDb, Letterboxd, TMDB, Trakt <-> Plex."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from ratings_gui.sources.files import (
    WriteError,
    atomic_open,
    check_target,
    display_path,
    safe_text,
)

if TYPE_CHECKING:
    from ratings_gui.context import AppContext


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
        "--review-out",
        metavar="FILE",
        help="write the rows that need review (with their possible matches and an empty "
        "'choice' column to fill with a Plex key or 'skip') to this CSV",
    )
    p.add_argument(
        "--decisions",
        metavar="FILE",
        help="answers for rows that need review: a CSV with 'line' and 'choice' (a Plex key "
        "among the row's possible matches, or 'skip'), as --review-out writes it",
    )
    p.add_argument(
        "--accept-above",
        type=float,
        metavar="SCORE",
        help="take a row's best possible match when it is at least this alike (0-1) and "
        "no other match is as close",
    )
    p.add_argument(
        "--all-libraries", action="store_true", help="match against every movie and TV library"
    )


REVIEW_COLUMNS = ("line", "title", "year", "why", "candidates", "choice")
#: Needs-review rows named on the terminal (--review-out writes them all).
REVIEW_LINES = 20


def write_review(path: str | Path, rows: list[dict[str, Any]]) -> int:
    """The needs-review rows as a CSV a person fills in (``choice``) and gives back."""
    try:
        with atomic_open(Path(path), "w", newline="", encoding="utf-8-sig") as fh:
            w = csv.DictWriter(fh, REVIEW_COLUMNS, extrasaction="ignore")
            w.writeheader()
            w.writerows({k: safe_text(str(v)) for k, v in r.items()} for r in rows)
    except (OSError, WriteError) as exc:
        raise UsageError(f"{display_path(path)} cannot be written: {exc}") from exc
    return len(rows)


def read_decisions(path: str | Path) -> dict[int, int | None]:
    """``line`` -> the chosen Plex key, or None for ``skip``; rows with no choice are left out."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise UsageError(f"{display_path(path)} cannot be read ({exc.strerror or exc}).") from exc
    except (csv.Error, UnicodeDecodeError) as exc:
        raise UsageError(f"{display_path(path)} is not a readable CSV ({exc}).") from exc
    if rows and not {"line", "choice"} <= set(rows[0]):
        raise UsageError(f"{display_path(path)} needs the columns 'line' and 'choice'.")
    out: dict[int, int | None] = {}
    for n, r in enumerate(rows, start=2):
        line, choice = (r.get("line") or "").strip(), (r.get("choice") or "").strip()
        if not choice:
            continue
        if not line.isascii() or not line.isdigit():
            raise UsageError(f"{display_path(path)} line {n}: 'line' must be a number.")
        if choice.casefold() == "skip":
            out[int(line)] = None
        elif choice.isascii() and choice.isdigit():
            out[int(line)] = int(choice)
        else:
            raise UsageError(
                f"{display_path(path)} line {n}: 'choice' must be a Plex key or 'skip', "
                f"not {choice!r}."
            )
    return out


def _kinds(text: str) -> set[str]:
    kinds = {k.strip().lower().rstrip("s") for k in text.split(",") if k.strip()}
    bad = kinds - set(KIND_CHOICES)
    if bad or not kinds:
        raise UsageError(f"--kinds takes {', '.join(KIND_CHOICES)}; not {', '.join(sorted(bad))}.")
    return kinds


def _import_run(app: AppContext, args: argparse.Namespace, out: Output) -> int:
    """The shared flow, plus the review list, and the unmatched CSV also when nothing is applied."""
    if not 0 <= args.min_score <= 1:
        raise UsageError("--min-score is a number between 0 and 1 (for example 0.85).")
    if not args.library and not args.all_libraries:
        raise UsageError("Choose a library with --library NAME, or pass --all-libraries.")
    if args.accept_above is not None and not 0 <= args.accept_above <= 1:
        raise UsageError("--accept-above is a number between 0 and 1 (for example 0.7).")
    job = ImportJob(
        app,
        args.file,
        decisions=read_decisions(args.decisions) if args.decisions else None,
        accept_above=args.accept_above,
        fmt=args.format,
        kinds=_kinds(args.kinds),
        min_score=args.min_score,
        overwrite=args.overwrite,
        mark_watched=args.mark_watched,
        all_libraries=args.all_libraries,
        library=args.library,
        unmatched_out=args.unmatched_out,
    )

    def plan_lines(ctx: Any, plan: Any) -> None:
        """The command line lists the plan once (``print_plan``: stars, old -> new, why);
        the job's own listing of each change would repeat it in another format."""
        for r in job.review[:REVIEW_LINES]:
            ctx.log(f"needs review: {review_line(r)}")
        if len(job.review) > REVIEW_LINES:
            ctx.log(f"… and {len(job.review) - REVIEW_LINES:,} more rows need review")

    job.log_plan = plan_lines  # type: ignore[method-assign]

    def review(plan: Any) -> dict[str, Any]:
        extra: dict[str, Any] = {"review": [review_line(r) for r in job.review]}
        if args.review_out:
            n = write_review(args.review_out, job.review_rows())
            out.say(f"{n:,} rows that need review written to {display_path(args.review_out)}")
            extra["review_csv"] = str(args.review_out)
        return extra

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


def _export_run(app: AppContext, args: argparse.Namespace, out: Output) -> int:
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
