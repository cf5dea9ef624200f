"""Command line: the window, ``--demo``, ``--selftest``, and every job headless.

``python -m ratings_gui`` opens the window. ``python -m ratings_gui COMMAND``
runs a job without one: the same read -> plan -> review -> apply as the
window, with the plan summarised on stdout and ``--yes`` to apply without
asking. With ``--json`` the last line of stdout is one JSON object.
Exit codes: 0 done, 1 the job failed, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
import time
from typing import Any

from ratings_gui import __version__
from ratings_gui.cli.base import (
    COMMANDS,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    INTERRUPTED_TEXT,
    STOP,
    Command,
    Output,
    UsageError,
    _common,
    change_text,
    cli_context,
    command_order,
    confirm,
    connect_for,
    failure_result,
    print_plan,
    register,
    require_library,
    run_plan_job,
    summary,
)
from ratings_gui.cli.commands import command_modules
from ratings_gui.core.plan import InputError
from ratings_gui.journal import JournalUnwritable
from ratings_gui.plex.connection import PlexError, describe_error
from ratings_gui.plex.home import HomeUserError

log = logging.getLogger(__name__)

#: A stand-in for plex.tv (the demo server) for sign-in and Plex Home members.
PLEXTV_ENV = "RATINGS_GUI_PLEXTV"


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
    _load_commands()
    for cmd in sorted(COMMANDS.values(), key=command_order):
        sp = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(sp)
        _common(sp)
    return p


def _load_commands() -> None:
    """Import every command module (each registers its commands once; imports are cached)."""
    for mod in command_modules():
        importlib.import_module(f"ratings_gui.cli.commands.{mod}")


# --- entry point ------------------------------------------------------------------------------


def _run_command(args: argparse.Namespace) -> int:
    from ratings_gui.context import AppContext

    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")  # non-UTF-8 paths never crash a print
    out = Output(getattr(args, "json", False))
    cmd = COMMANDS[args.command]
    app = None
    error, code = "", EXIT_OK
    failure: BaseException | None = None
    STOP.clear()
    old_handler = _catch_ctrl_c()
    try:
        app = AppContext.open(
            args.data_dir, verbose=args.verbose, plextv_base=os.environ.get(PLEXTV_ENV) or None
        )
        if cmd.needs_server:
            connect_for(app, args)
        return cmd.run(app, args, out)
    except UsageError as exc:
        error, code = str(exc), EXIT_USAGE
    except InputError as exc:  # a file or choice that cannot be used: bad input, exit 2
        error, code, failure = str(exc), EXIT_USAGE, exc
    except HomeUserError as exc:  # an unknown member or a wrong PIN: bad input, nothing written
        error, code, failure = str(exc), EXIT_USAGE, exc
    except JournalUnwritable as exc:  # read-only or full: the user's setup, like bad usage
        error, code, failure = str(exc), EXIT_USAGE, exc
    except PlexError as exc:
        error, code, failure = str(exc), EXIT_FAILED, exc
    except KeyboardInterrupt as exc:
        error, code, failure = INTERRUPTED_TEXT, EXIT_FAILED, exc
    except Exception as exc:  # noqa: BLE001 - one plain line, details in the log file
        log.exception("command %s failed", args.command)
        error, code, failure = describe_error(exc), EXIT_FAILED, exc
    finally:
        if old_handler is not None:
            signal.signal(signal.SIGINT, old_handler)
        if error:
            out.error(error)
            # the promised last JSON line, failures included
            dry = bool(getattr(args, "dry_run", False))
            out.result(failure_result(args.command, dry, error, code, failure))
        if app is not None:
            app.close()
        if code and STOP.is_set():
            _exit_now_if_stuck(code)
    return code


def _catch_ctrl_c() -> Any:
    """Ctrl-C stops the job at once: the workers see STOP, the main thread unwinds."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def on_ctrl_c(signum: int, frame: Any) -> None:
        STOP.set()
        raise KeyboardInterrupt

    return signal.signal(signal.SIGINT, on_ctrl_c)


def _exit_now_if_stuck(code: int) -> None:
    """A write still waiting on an unreachable server must not hold the exit for its timeout."""
    deadline = time.monotonic() + 1.0
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    for t in others:
        if not t.daemon:
            t.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() and not t.daemon for t in others):
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        os._exit(code)


def _run_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ratings_gui.demo.session import DemoSession, stop_on_signals
    from ratings_gui.gui.app import run_demo

    # Each demo keeps its own data inside its folder (removed with it): it never mixes
    # with a real server's history, nor with an earlier demo's.
    home = Path(args.data_dir) if args.data_dir else None
    stop_on_signals()  # the demo's folder goes on Ctrl-C or a kill too, not only on closing
    with DemoSession() as demo:
        return run_demo(demo, home, verbose=args.verbose)


def main(argv: list[str] | None = None) -> int:
    _load_commands()
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


__all__ = [
    "COMMANDS",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Command",
    "Output",
    "UsageError",
    "build_parser",
    "change_text",
    "cli_context",
    "confirm",
    "connect_for",
    "main",
    "print_plan",
    "register",
    "require_library",
    "run_plan_job",
    "summary",
]
