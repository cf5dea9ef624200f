"""What every command shares: output, usage errors, the connection, and the one job flow.

Commands live in :mod:`ratings_gui.cli.commands` (one module per job) and
register themselves here; jobs never import the CLI.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ratings_gui.core.plan import summary
from ratings_gui.core.registry import declared_jobs
from ratings_gui.core.scale import format_stars
from ratings_gui.jobs.policy import apply_job
from ratings_gui.jobs.runner import JobContext, Log, Progress
from ratings_gui.logsetup import redact
from ratings_gui.plex.connection import connect_direct
from ratings_gui.plex.home import PIN_ENV, HomeUserError, connect_as, find_user, home_users
from ratings_gui.plex.home import names as member_names
from ratings_gui.plex.snapshot import list_libraries

if TYPE_CHECKING:
    from ratings_gui.context import AppContext

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


class DuplicateCommand(ValueError):
    """Two commands registered under one name."""


def register(cmd: Command) -> Command:
    """Each command module registers its commands here when it is imported; a name once."""
    old = COMMANDS.get(cmd.name)
    if old is not None and old is not cmd and old.run is not cmd.run:
        raise DuplicateCommand(f"two commands are named {cmd.name!r}")
    COMMANDS[cmd.name] = cmd
    return cmd


def command_order(cmd: Command) -> tuple[int, str]:
    """``--help`` lists the commands of declared jobs in their order, the others first."""
    order = [s.command for s in declared_jobs() if s.command]
    return (order.index(cmd.name) + 1 if cmd.name in order else 0, cmd.name)


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

        if sys.stderr is not None:
            print(f"error: {redact(text)}", file=sys.stderr)

    def result(self, obj: dict[str, Any]) -> None:
        if self.as_json and sys.stdout is not None:
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
    g.add_argument(
        "--user",
        metavar="NAME",
        help="work on this Plex Home member's ratings (title, username or id; default: "
        "the account that signed in)",
    )
    g.add_argument(
        "--pin", metavar="PIN", help="the member's Plex Home PIN (else $PLEX_PIN) when protected"
    )
    g.add_argument("--dry-run", action="store_true", help="plan and show, write nothing")
    g.add_argument("--yes", action="store_true", help="apply without asking")
    g.add_argument(
        "--backup-first",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="keep a backup of the ratings a run changes before it writes (default: the "
        "setting the window asks once; --no-backup-first: not this time)",
    )
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


# --- connection for headless jobs ----------------------------------------------------


def connect_for(app: AppContext, args: argparse.Namespace) -> Any:
    """``--server/--token``, else ``PLEX_URL``/``PLEX_TOKEN``, else the saved sign-in."""

    url = args.server or os.environ.get("PLEX_URL") or app.settings.get("server_url")
    token = args.token or os.environ.get("PLEX_TOKEN") or app.tokens.load()
    if not url or not token:
        raise UsageError(
            "No Plex server: pass --server URL --token TOKEN, set PLEX_URL and PLEX_TOKEN, "
            "or sign in once in the window."
        )
    conn = connect_direct(url, token)
    app.set_connection(conn)
    app.account_token = token
    wanted = getattr(args, "user", None)
    if wanted:
        conn = connect_as_user(app, conn, token, wanted, getattr(args, "pin", None))
    if getattr(args, "library", None):
        app.library = args.library
    return conn


def connect_as_user(app: AppContext, conn: Any, token: str, wanted: str, pin: str | None) -> Any:
    """``--user NAME``: the same server as that Plex Home member (a wrong PIN: exit 2)."""

    users = home_users(token)
    member = find_user(users, wanted)
    try:
        conn = connect_as(conn, token, member, pin or os.environ.get(PIN_ENV) or None)
    except HomeUserError as exc:
        raise HomeUserError(f"{exc} The members are: {member_names(users)}.") from None
    app.set_connection(conn)
    return conn


def require_library(app: AppContext, args: argparse.Namespace) -> str:
    name = getattr(args, "library", None) or app.settings.get("library")
    if not name:
        raise UsageError("Choose a library with --library NAME (see the 'libraries' command).")
    libs = {lib.name: lib for lib in list_libraries(app.connection)}
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


#: Set by Ctrl-C: the running job sends nothing more; what was sent stays journaled.
STOP = threading.Event()
INTERRUPTED_TEXT = (
    "interrupted: what was already sent is in the history; run the job again to finish it, "
    "or undo the run (it is settled against the server first)"
)


def failure_result(
    command: str, dry_run: bool, error: str, code: int, exc: BaseException | None = None
) -> dict[str, Any]:
    """The JSON line of a command that ended in an error or Ctrl-C.

    A run that had started says so: its id and what landed (``run_summary``,
    set by ``jobs.base.apply_plan`` on the exception), never ``run_id: null``.
    """
    ran = dict(getattr(exc, "run_summary", None) or {})
    return {**summary(command, dry_run=dry_run), **ran, "error": error, "exit_code": code}


def cli_context(out: Output) -> Any:
    """A JobContext that prints log lines and a throttled progress line to stderr."""

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

    return JobContext(emit, STOP)


def change_text(ch: Any) -> str:
    """What one change does, in words: stars for ratings, the tag for a mood, else the values.

    Journal rows of every job come through here (History too), so a value
    that is not a rating never reaches the star formatter.
    """

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
    """The plan once, in one format: how many changes, the other outcomes, the first changes.

    Outcomes that did not happen are left out; the changes' own count is the first line.
    """
    out.say(f"plan: {len(plan.changes):,} changes")
    for outcome, n in sorted(plan.counts.items()):
        if n and outcome != "update":
            out.say(f"  {outcome}: {n:,}")
    for ch in plan.changes[:limit]:
        out.say(f"  {ch.label or ch.target}: {change_text(ch)}  ({ch.reason})")
    if len(plan.changes) > limit:
        out.say(f"  … and {len(plan.changes) - limit:,} more")


def skipped_csv(
    out: Output, path: str | None, rows: int, write: Callable[[str], int], noun: str
) -> dict[str, Any]:
    """The rows a plan did not use, to the CSV ``--unmatched`` names (or a hint that it can).

    Returns the keys for the JSON result; a file that cannot be written is a usage error.
    """
    if not path:
        if rows:
            out.say(f"{rows:,} {noun}; --unmatched FILE lists them with the reason")
        return {}
    try:
        n = write(path)
    except OSError as exc:
        raise UsageError(f"{path} cannot be written ({exc.strerror or exc}).") from exc
    out.say(f"{n:,} {noun} written to {path}")
    return {"unmatched_csv": str(path)}


def run_plan_job(
    app: AppContext,
    args: argparse.Namespace,
    out: Output,
    job: Any,
    *,
    input_errors: tuple[type[Exception], ...] = (),
    after_plan: Callable[[Any], dict[str, Any]] | None = None,
    not_applied: Callable[[Any, Any], dict[str, Any]] | None = None,
    apply_empty: bool = True,
) -> int:
    """The one headless flow of every job: prepare -> show -> (dry run | confirm) -> apply -> report.

    Hooks: ``input_errors`` raised by prepare are the user's input (exit 2,
    plain message); ``after_plan(plan)`` may write side files and returns
    keys for the JSON result; ``not_applied(plan, ctx)`` runs when nothing is
    applied (dry run, declined, or an empty plan with ``apply_empty=False``)
    and returns more keys. An empty plan is still applied by default: the
    run is recorded, so History and ``--since-last-run`` see it.
    """
    ctx = cli_context(out)
    try:
        plan = job.prepare(ctx)
    except input_errors as exc:
        raise UsageError(str(exc)) from exc
    print_plan(out, plan)
    extra = after_plan(plan) if after_plan is not None else {}
    base = summary(
        plan.job, dry_run=bool(args.dry_run), counts=plan.summary(), changes=len(plan.changes)
    )
    applying = not args.dry_run and (bool(plan.changes) or apply_empty)
    if (
        applying
        and plan.changes
        and not confirm(args, out, f"Apply {len(plan.changes):,} changes?")
    ):
        applying = False
        if not_applied is None:
            out.say("not applied")
        base.update(changes=0, applied=False)
    if not plan.changes and not args.dry_run:
        out.say("nothing to write")
    if not applying:
        more = not_applied(plan, ctx) if not_applied is not None else {}
        out.result({**base, **extra, **more})
        return EXIT_OK
    report = apply_job(app, job, plan, ctx, backup_first=getattr(args, "backup_first", None))
    for c, err in report.failed[:20]:
        out.say(f"  failed: {c.label or c.target}: {err}")
    out.result({**report.as_json(), **extra})
    return EXIT_FAILED if report.failed else EXIT_OK
