"""Command line of backup, restore and clear-ratings.

    python -m ratings_gui backup FILE [--library NAME] [--user NAME | --all-users]
    python -m ratings_gui restore FILE [--library NAME] [--overwrite] [--unmatched FILE]
                                       [--user NAME | --all-users]
    python -m ratings_gui clear-ratings --library NAME [--kind KIND ...] [--backup FILE]

``backup`` writes a file and sends nothing to Plex, so it is not a
journaled run; ``{date}`` and ``{time}`` in FILE keep one file per
scheduled run. ``clear-ratings`` clears nothing without ``--yes``, not even
after a question on a terminal, and always writes its backup first.

Plex Home: ``--user NAME`` backs up, restores or clears that member's
ratings; ``backup --all-users`` keeps every member's in one file and
``restore --all-users`` puts each back into the same member (one journaled
run per member, so History undoes each on its own).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ratings_gui.cli.base import (
    EXIT_FAILED,
    EXIT_OK,
    Command,
    Output,
    UsageError,
    cli_context,
    confirm,
    print_plan,
    register,
    run_plan_job,
    skipped_csv,
)
from ratings_gui.core import backup as bk
from ratings_gui.core import restoreplan as rp
from ratings_gui.core.plan import summary
from ratings_gui.jobs import transfer as jt
from ratings_gui.sources.files import WriteError, check_target, display_path

if TYPE_CHECKING:
    from ratings_gui.context import AppContext

CLEAR_KINDS = ("artist", "album", "track", "movie", "show", "season", "episode")


def _backup_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "file",
        help="the backup to write (.json, or .json.gz to compress); {date} and {time} "
        "in the name are replaced, for scheduled runs",
    )
    _all_users_arg(p, "back up every Plex Home member's ratings into the one file")


def _all_users_arg(p: argparse.ArgumentParser, text: str) -> None:
    p.add_argument(
        "--all-users",
        action="store_true",
        help=f"{text} (the owner's sign-in switches to each; a member that needs a PIN is "
        "skipped and named)",
    )


def _check_users(args: argparse.Namespace) -> None:
    if args.all_users and args.user:
        raise UsageError("Choose --all-users or --user NAME, not both.")


def _backup_run(app: AppContext, args: argparse.Namespace, out: Output) -> int:
    _check_users(args)
    job = jt.BackupJob(
        app, args.file, [args.library] if args.library else None, all_users=args.all_users
    )
    shown = display_path(job.path)
    if not args.dry_run:
        try:
            check_target(job.path)  # a device, pipe or folder: refused before Plex is read
        except WriteError as exc:
            raise UsageError(str(exc)) from exc
    if not args.dry_run and job.path.exists() and not args.yes:
        if not (sys.stdin is not None and sys.stdin.isatty() and not args.json):
            raise UsageError(f"{shown} exists: pass --yes to replace it.")
        if input(f"{shown} exists. Replace it? [y/N] ").strip().lower() not in {"y", "yes"}:
            out.say("not written")
            return EXIT_OK
    ctx = cli_context(out)
    try:
        res = job.run(ctx, dry_run=bool(args.dry_run))
    except jt.BackupFileError as exc:
        raise UsageError(str(exc)) from exc
    for kind in bk.KINDS:
        if res.counts.get(kind):
            out.say(f"  {kind}s: {res.counts[kind]:,}")
    owners = ", ".join(f"{k} {v:,}" for k, v in sorted(res.owners.items()))
    if owners:
        out.say(f"  whose: {owners}")
    for m in res.members:
        out.say(f"  {m['name']}: {m['items']:,} ratings")
    for s in res.skipped_users:
        out.say(f"  {s['name']} skipped: {s['reason']}")
    out.result(res.as_json(bool(args.dry_run)))
    return EXIT_OK


def _restore_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a backup written by 'backup' (plain or .gz)")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace ratings the server already holds with other values (default: keep them)",
    )
    p.add_argument(
        "--unmatched",
        metavar="FILE",
        help="write the rows not restored (not found, ambiguous, conflicts) to a CSV, with the reason",
    )
    _all_users_arg(p, "put each member's ratings of an every-member backup back into that member")


def _restore_run(app: AppContext, args: argparse.Namespace, out: Output) -> int:
    _check_users(args)
    if args.all_users:
        return _restore_members(app, args, out)
    job = jt.RestoreJob(
        app, args.file, [args.library] if args.library else None, overwrite=args.overwrite
    )

    def after(plan: Any) -> dict[str, Any]:
        extra: dict[str, Any] = {"matched_by": plan.options.get("matched_by", {})}
        if not plan.skipped:
            return extra
        write = lambda path: job.write_unmatched(plan, path)  # noqa: E731
        return {
            **extra,
            **skipped_csv(out, args.unmatched, len(plan.skipped), write, "rows not restored"),
        }

    return run_plan_job(app, args, out, job, input_errors=(jt.BackupFileError,), after_plan=after)


def _restore_members(app: AppContext, args: argparse.Namespace, out: Output) -> int:
    """Every member planned first (shown), one question, then one run per member."""
    if args.unmatched:
        raise UsageError("--unmatched lists one restore's rows: use it with one member (--user).")
    job = jt.HomeRestoreJob(
        app, args.file, [args.library] if args.library else None, overwrite=args.overwrite
    )
    ctx = cli_context(out)
    try:
        parts = job.prepare(ctx)
    except jt.BackupFileError as exc:
        raise UsageError(str(exc)) from exc
    for part in parts:
        if part.plan is None:
            out.say(f"{part.name}: skipped, {part.skipped}")
            continue
        out.say(f"{part.name}: {rp.restore_breakdown(part.plan.counts)}")
        print_plan(out, part.plan, limit=5)
    total = sum(len(p.plan.changes) for p in parts if p.plan is not None)
    base = summary("restore", dry_run=bool(args.dry_run), changes=total)
    people = sum(1 for p in parts if p.plan is not None)
    if args.dry_run or not confirm(args, out, f"Apply {total:,} changes for {people} members?"):
        out.say("dry run: nothing written" if args.dry_run else "not applied")
        out.result({**base, "users": [p.as_json() for p in parts], "applied": False})
        return EXIT_OK
    job.apply(ctx)
    failed = 0
    for part in parts:
        if part.report is None:
            continue
        failed += len(part.report.failed)
        out.say(f"{part.name}: run {part.report.run_id}, {part.report.changes:,} restored")
        for c, err in part.report.failed[:10]:
            out.say(f"  failed: {c.label or c.target}: {err}")
    written = sum(p.report.changes for p in parts if p.report is not None)
    out.result({**base, "changes": written, "users": [p.as_json() for p in parts]})
    return EXIT_FAILED if failed else EXIT_OK


def _clear_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--kind",
        action="append",
        choices=CLEAR_KINDS,
        metavar="KIND",
        help=f"clear only these kinds (repeat it; {', '.join(CLEAR_KINDS)}); default: all",
    )
    p.add_argument(
        "--backup",
        metavar="FILE",
        help="where the backup written first goes (default: the backups folder beside the journal)",
    )


def _clear_run(app: AppContext, args: argparse.Namespace, out: Output) -> int:
    if not args.library:
        raise UsageError("Name the library to clear with --library NAME.")
    job = jt.ClearJob(app, args.library, args.kind, backup_path=args.backup)
    if not args.yes and not args.dry_run:
        # a question on a terminal is not enough for this one: only --yes clears
        args.dry_run = True
        out.say("preview only: nothing is cleared without --yes")
    return run_plan_job(app, args, out, job, input_errors=(jt.BackupFileError,))


register(
    Command(
        "backup",
        "write every rating of every library (or --library) to one backup file; "
        "--all-users: every Plex Home member's",
        _backup_args,
        _backup_run,
    )
)
register(
    Command(
        "restore",
        "put the ratings of a backup back, on this server or a new one",
        _restore_args,
        _restore_run,
    )
)
register(
    Command(
        "clear-ratings",
        "remove the ratings of a library (a backup is written first; undo in History)",
        _clear_args,
        _clear_run,
    )
)
