"""A canary token never reaches a log file, the log pane, an exported file or error text."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ratings_gui.core.plan import PLEX, Change, Plan
from ratings_gui.demo.server import Faults
from ratings_gui.jobs.base import apply_plan
from ratings_gui.jobs.runner import JobContext
from ratings_gui.logsetup import redact
from ratings_gui.plex.connection import PlexError, connect_direct
from ratings_gui.plex.snapshot import list_libraries, read_library


def _all_text(folder: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in folder.rglob("*")
        if p.is_file() and p.suffix != ".sqlite3"
    )


def test_canary_never_in_logs_or_errors(canary_demo, home: Path) -> None:  # noqa: ANN001
    from ratings_gui.context import AppContext

    demo = canary_demo
    CANARY = demo.token  # noqa: N806 - the canary this test hunts for
    app = AppContext.open(home, verbose=True)
    logging.getLogger("plexapi").setLevel(logging.DEBUG)  # plexapi logs URLs at DEBUG
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    errors: list[str] = []
    lines: list[str] = []
    try:
        conn = connect_direct(demo.url, CANARY)
        app.set_connection(conn)
        list_libraries(conn)
        read_library(conn, "Music")
        k = demo.lib.keys_of(1, "track")[0]
        plan = Plan("test", options={"library": "Music"})
        plan.add(Change(PLEX, str(k), "userRating", demo.lib.rating(k), 3.0, "t", "x"))
        ctx = JobContext(lambda ev: lines.append(getattr(ev, "text", "")))
        apply_plan(app, plan, ctx)
        # error paths: the server refuses, a URL carrying the token, an exception with it
        demo.faults = Faults(unauthorized=True)
        report = apply_plan(app, plan, ctx)
        errors.extend(err for _, err in report.failed)
        with pytest.raises(PlexError) as ei:
            connect_direct(f"{demo.url}/?X-Plex-Token={CANARY}", CANARY)
        errors.append(str(ei.value))
        try:
            raise RuntimeError(f"GET {demo.url}/library?X-Plex-Token={CANARY} failed")
        except RuntimeError:
            logging.getLogger("ratings_gui.test").exception("boom with %s", CANARY)
    finally:
        logging.getLogger("plexapi").setLevel(logging.WARNING)
        logging.getLogger("urllib3").setLevel(logging.WARNING)
        app.close()
    for h in logging.getLogger().handlers:
        h.flush()
    logs = _all_text(app.paths.logs)
    assert "boom with" in logs and "run 1" in logs  # the logs were really written
    assert list((app.paths.logs / "runs").glob("*.log"))  # one file per run
    assert CANARY not in logs
    assert errors and all(CANARY not in e for e in errors)
    assert all(CANARY not in line for line in lines)
    assert CANARY not in _all_text(app.paths.config)  # keyring/session, never the settings file


def test_redact_masks_registered_and_pattern_tokens() -> None:
    from ratings_gui.logsetup import add_secret

    add_secret("s3cr3t-value-1")
    assert "s3cr3t" not in redact("token s3cr3t-value-1 here")
    assert "abc123" not in redact("http://h:32400/x?X-Plex-Token=abc123&y=1")
    assert "zzz999" not in redact('<pin authToken="zzz999"/>')


def test_canary_not_in_window_log_pane(canary_demo, home: Path) -> None:  # noqa: ANN001
    import customtkinter as ctk

    from ratings_gui.context import AppContext
    from ratings_gui.gui.app import App

    CANARY = canary_demo.token  # noqa: N806
    ctk.set_appearance_mode("light")
    ctx = AppContext.open(home)
    ctx.set_connection(connect_direct(canary_demo.url, CANARY))
    win = App(ctx, appearance="light")
    try:
        win.log_line(f"connecting with X-Plex-Token={CANARY}")
        win.log_line(f"raw {CANARY}")
        win.update()
        text = win.log_pane.content()
        assert "connecting with" in text and CANARY not in text
    finally:
        win.destroy()
        ctx.close()
