"""Command line: the window, ``--demo``, ``--selftest``, and every job headless.

``python -m ratings_gui`` opens the window. ``python -m ratings_gui COMMAND``
runs a job without one: the same read -> plan -> review -> apply as the
window, with the plan summarised on stdout and ``--yes`` to apply without
asking. With ``--json`` the last line of stdout is one JSON object.
Exit codes: 0 done, 1 the job failed, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ratings_gui import __version__

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad usage or input: exit code 2 with this message."""


@dataclass(frozen=True)
class Command:
    """A headless job: its arguments and the function that runs it."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Any, argparse.Namespace, Output], int]
    needs_server: bool = True


COMMANDS: dict[str, Command] = {}


def register(cmd: Command) -> Command:
    """Each job module registers its command here (``import`` below)."""
    COMMANDS[cmd.name] = cmd
    return cmd


class Output:
    """Human text on stdout, or (``--json``) a final JSON line; stderr for problems."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def say(self, text: str = "") -> None:
        if sys.stdout is None:
            return
        if self.as_json:
            # keep stdout's last line for the JSON object; humans read stderr
            if sys.stderr is not None:
                print(text, file=sys.stderr)
        else:
            print(text)

    def error(self, text: str) -> None:
        from ratings_gui.logsetup import redact

        if sys.stderr is not None:
            print(f"error: {redact(text)}", file=sys.stderr)

    def result(self, obj: dict[str, Any]) -> None:
        if self.as_json and sys.stdout is not None:
            from ratings_gui.logsetup import redact

            text = json.dumps(obj, ensure_ascii=False, default=str)
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:  # a non-UTF-8 path: \udcxx escapes keep it exact
                text = json.dumps(obj, ensure_ascii=True, default=str)
            print(redact(text))


# --- common options --------------------------------------------------------------


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("common options")
    g.add_argument(
        "--server",
        metavar="URL",
        help="Plex server address (else $PLEX_URL, else the saved sign-in)",
    )
    g.add_argument(
        "--token", metavar="TOKEN", help="Plex token (else $PLEX_TOKEN, else the saved sign-in)"
    )
    g.add_argument("--library", metavar="NAME", help="library to work on")
    g.add_argument("--dry-run", action="store_true", help="plan and show, write nothing")
    g.add_argument("--yes", action="store_true", help="apply without asking")
    # SUPPRESS: given before the command, the main parser's value must survive
    g.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="keep settings, journal and logs here",
    )
    g.add_argument("--json", action="store_true", help="last line of stdout is a JSON summary")
    g.add_argument(
        "--verbose", action="store_true", default=argparse.SUPPRESS, help="log details to stderr"
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ratings_gui",
        description="Plex ratings: import, tags, base rating, inference, history. "
        "Without a command the window opens.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument(
        "--demo", action="store_true", help="open the window signed in to a local demo server"
    )
    p.add_argument(
        "--selftest", action="store_true", help="check imports and bundled assets, no window"
    )
    p.add_argument("--selftest-report", metavar="FILE", help="write the self-test report here")
    p.add_argument("--data-dir", metavar="DIR", help="keep settings, journal and logs here")
    p.add_argument("--verbose", action="store_true", help="log details to stderr")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in COMMANDS.values():
        sp = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(sp)
        _common(sp)
    return p


# --- connection for headless jobs ----------------------------------------------------


def connect_for(app: Any, args: argparse.Namespace) -> Any:
    """``--server/--token``, else ``PLEX_URL``/``PLEX_TOKEN``, else the saved sign-in."""
    from ratings_gui.plex.connection import connect_direct

    url = args.server or os.environ.get("PLEX_URL") or app.settings.get("server_url")
    token = args.token or os.environ.get("PLEX_TOKEN") or app.tokens.load()
    if not url or not token:
        raise UsageError(
            "No Plex server: pass --server URL --token TOKEN, set PLEX_URL and PLEX_TOKEN, "
            "or sign in once in the window."
        )
    conn = connect_direct(url, token)
    app.set_connection(conn)
    if getattr(args, "library", None):
        app.library = args.library
    return conn


def require_library(app: Any, args: argparse.Namespace) -> str:
    name = getattr(args, "library", None) or app.settings.get("library")
    if not name:
        raise UsageError("Choose a library with --library NAME (see the 'libraries' command).")
    libs = {lib.name: lib for lib in app.connection.libraries()}
    if name not in libs:
        raise UsageError(f"No library called {name!r}. Libraries: {', '.join(libs) or 'none'}.")
    app.library = name
    return name


def confirm(args: argparse.Namespace, out: Output, question: str) -> bool:
    """``--yes`` applies; a terminal is asked; anything else is a usage error."""
    if args.yes:
        return True
    if sys.stdin is not None and sys.stdin.isatty() and not args.json:
        ans = input(f"{question} [y/N] ").strip().lower()
        return ans in {"y", "yes"}
    raise UsageError(
        "Nothing applied: pass --yes to apply without asking, or --dry-run to only plan."
    )


def cli_context(out: Output) -> Any:
    """A JobContext that prints log lines and a throttled progress line to stderr."""
    from ratings_gui.jobs.runner import JobContext, Log, Progress

    last = [0.0]

    def emit(ev: Any) -> None:
        if isinstance(ev, Log) and ev.level >= logging.INFO:
            out.say(ev.text)
        elif isinstance(ev, Progress) and sys.stderr is not None:
            now = time.monotonic()
            if now - last[0] > 1.0 or ev.done == ev.total:
                last[0] = now
                eta = f", about {ev.eta_seconds:.0f} s left" if ev.eta_seconds else ""
                print(f"  {ev.phase}: {ev.done:,}/{ev.total:,}{eta}", file=sys.stderr)

    return JobContext(emit)


def change_text(ch: Any) -> str:
    """What one change does, in words: stars for ratings, the tag for a mood, else the values.

    Journal rows of every job come through here (History too), so a value
    that is not a rating never reaches the star formatter.
    """
    from ratings_gui.core.scale import format_stars

    def stars(value: Any) -> str:
        value = value.get("rating") if isinstance(value, dict) else value
        try:
            return format_stars(value)
        except (TypeError, ValueError):
            return str(value)

    if ch.field in ("userRating", "rating"):
        return f"{stars(ch.old)} -> {stars(ch.new)}"
    if ch.field == "mood":
        return f"mood tag {ch.new or ch.old!r} {'added' if ch.new else 'removed'}"
    return f"{ch.field}: {ch.old} -> {ch.new}"


def print_plan(out: Output, plan: Any, limit: int = 20) -> None:
    out.say(f"plan: {len(plan.changes):,} changes")
    for outcome, n in sorted(plan.counts.items()):
        out.say(f"  {outcome}: {n:,}")
    for ch in plan.changes[:limit]:
        out.say(f"  {ch.label or ch.target}: {change_text(ch)}  ({ch.reason})")
    if len(plan.changes) > limit:
        out.say(f"  … and {len(plan.changes) - limit:,} more")


def run_plan_job(
    app: Any,
    args: argparse.Namespace,
    out: Output,
    job: Any,
    *,
    input_errors: tuple[type[Exception], ...] = (),
    after_plan: Callable[[Any], dict[str, Any]] | None = None,
) -> int:
    """The shared headless flow: prepare -> show -> (dry run | confirm) -> apply -> report.

    ``input_errors`` raised by prepare are the user's input (exit 2, plain
    message); ``after_plan`` may write side files and returns keys for the
    JSON result.
    """
    ctx = cli_context(out)
    try:
        plan = job.prepare(ctx)
    except input_errors as exc:
        raise UsageError(str(exc)) from exc
    print_plan(out, plan)
    extra = after_plan(plan) if after_plan is not None else {}
    base = {
        "job": plan.job,
        "run_id": None,
        "dry_run": bool(args.dry_run),
        "counts": plan.summary(),
    }
    if args.dry_run:
        out.result({**base, "changes": len(plan.changes), **extra})
        return EXIT_OK
    if plan.changes and not confirm(args, out, f"Apply {len(plan.changes):,} changes?"):
        out.say("not applied")
        out.result({**base, "changes": 0, "applied": False, **extra})
        return EXIT_OK
    if not plan.changes:
        out.say("nothing to write")  # still recorded as a run: History and --since-last-run see it
    report = job.apply(ctx, plan)
    for c, err in report.failed[:20]:
        out.say(f"  failed: {c.label or c.target}: {err}")
    out.result({**report.as_json(), **extra})
    return EXIT_FAILED if report.failed else EXIT_OK


# --- built-in commands ----------------------------------------------------------------------


def _libraries_args(p: argparse.ArgumentParser) -> None:
    pass


def _libraries_run(app: Any, args: argparse.Namespace, out: Output) -> int:
    libs = app.connection.libraries()
    for lib in libs:
        out.say(f"{lib.name}\t{lib.type_label}\t{lib.count_label}")
    out.result(
        {
            "job": "libraries",
            "run_id": None,
            "dry_run": True,
            "counts": {"libraries": len(libs)},
            "changes": 0,
            "libraries": [{"name": x.name, "type": x.type, "count": x.count} for x in libs],
        }
    )
    return EXIT_OK


def _history_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", nargs="?", type=int, help="show this run's changes")
    p.add_argument("--limit", type=int, default=50, help="how many runs (default 50)")


def _history_run(app: Any, args: argparse.Namespace, out: Output) -> int:
    if args.run_id is not None:
        run = app.journal.run(args.run_id)
        if run is None:
            raise UsageError(f"There is no run {args.run_id} in the history.")
        rows = app.journal.changes(args.run_id)
        out.say(f"run {run.id} {run.job} {run.status} on {run.server}/{run.library}")
        for r in rows:
            c = r.change
            out.say(f"  {r.status:8} {c.label or c.target}: {change_text(c)}")
        counts: dict[str, int] = {}
        for r in rows:
            counts[r.status] = counts.get(r.status, 0) + 1
        out.result(
            {
                "job": "history",
                "run_id": run.id,
                "dry_run": True,
                "counts": counts,
                "changes": len(rows),
                "changes_list": [
                    {
                        "target": r.change.target,
                        "label": r.change.label,
                        "field": r.change.field,
                        "old": r.change.old,
                        "new": r.change.new,
                        "status": r.status,
                    }
                    for r in rows
                ],
            }
        )
        return EXIT_OK
    runs = app.journal.runs(limit=args.limit)
    for r in runs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started_at))
        out.say(
            f"{r.id:5}  {when}  {r.job:12} {r.status:15} {r.server}/{r.library}  "
            f"applied {r.applied}, failed {r.failed}, undone {r.undone}"
        )
    out.result(
        {
            "job": "history",
            "run_id": None,
            "dry_run": True,
            "counts": {"runs": len(runs)},
            "changes": 0,
            "runs": [
                {
                    "id": r.id,
                    "job": r.job,
                    "status": r.status,
                    "server": r.server,
                    "library": r.library,
                    "started_at": r.started_at,
                    "applied": r.applied,
                    "failed": r.failed,
                    "undone": r.undone,
                    "undo_of": r.undo_of,
                }
                for r in runs
            ],
        }
    )
    return EXIT_OK


def _undo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", type=int, help="the run to undo (see 'history')")


def _undo_run(app: Any, args: argparse.Namespace, out: Output) -> int:
    from ratings_gui.jobs.undo import UndoJob

    if app.journal.run(args.run_id) is None:
        raise UsageError(f"There is no run {args.run_id} in the history.")
    return run_plan_job(app, args, out, UndoJob(app, args.run_id))


register(
    Command(
        "libraries",
        "list the server's libraries with their type and size",
        _libraries_args,
        _libraries_run,
    )
)
register(
    Command(
        "history",
        "list runs, or one run's changes",
        _history_args,
        _history_run,
        needs_server=False,
    )
)
register(Command("undo", "undo a run: write back the old values", _undo_args, _undo_run))


#: Job modules that register their own commands (``ratings_gui.jobs.<name>``).
JOB_MODULES = ("import_job", "base_rating", "tags_sync", "infer", "ratings_csv", "transfer_cli")


def _load_job_commands() -> None:
    import importlib

    for mod in JOB_MODULES:
        name = f"ratings_gui.jobs.{mod}"
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


# --- entry point ------------------------------------------------------------------------------


def _run_command(args: argparse.Namespace) -> int:
    from ratings_gui.context import AppContext
    from ratings_gui.plex.connection import PlexError, describe_error

    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")  # non-UTF-8 paths never crash a print
    out = Output(getattr(args, "json", False))
    cmd = COMMANDS[args.command]
    app = None
    try:
        app = AppContext.open(args.data_dir, verbose=args.verbose)
        if cmd.needs_server:
            connect_for(app, args)
        return cmd.run(app, args, out)
    except UsageError as exc:
        out.error(str(exc))
        return EXIT_USAGE
    except PlexError as exc:
        out.error(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        out.error("interrupted")
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - one plain line, details in the log file
        log.exception("command %s failed", args.command)
        out.error(describe_error(exc))
        return EXIT_FAILED
    finally:
        if app is not None:
            app.close()


def _run_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ratings_gui.demo.session import DemoSession
    from ratings_gui.gui.app import run_demo
    from ratings_gui.settings import resolve_paths

    # The demo keeps its own folders so it never mixes with a real server's history.
    home = Path(args.data_dir) if args.data_dir else resolve_paths(None).data / "demo"
    with DemoSession() as demo:
        return run_demo(demo, home, verbose=args.verbose)


def main(argv: list[str] | None = None) -> int:
    _load_job_commands()
    args = build_parser().parse_args(argv)
    if args.selftest:
        from ratings_gui import selftest

        return selftest.run(args.selftest_report)
    if args.command:
        return _run_command(args)
    if args.demo:
        return _run_demo(args)
    from ratings_gui.context import AppContext
    from ratings_gui.gui.app import run_app

    app = AppContext.open(args.data_dir, verbose=args.verbose)
    try:
        return run_app(app)
    finally:
        app.close()
