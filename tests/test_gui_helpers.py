"""Shared helpers for the window tests: a real App under X, driven by pumping update().

An exception inside any Tk callback is recorded and fails the test that
caused it (Tk would otherwise print it and carry on).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def require_display() -> None:
    """Only X11 needs a display variable; Windows and macOS Tk draw on the desktop."""
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        pytest.skip("no X display (run under xvfb-run or the suite's Xvfb)")


def open_app(ctx: Any) -> tuple[Any, list[BaseException]]:
    """The window in light mode with Tk callback exceptions collected."""
    from ratings_gui.gui.app import App

    app = App(ctx, appearance="light")
    errors: list[BaseException] = []

    def report(exc: type[BaseException], value: BaseException, tb: Any) -> None:
        errors.append(value)

    app.report_callback_exception = report  # type: ignore[method-assign]
    app.update()
    return app, errors


def close_app(app: Any, errors: list[BaseException]) -> None:
    try:
        app.destroy()
    finally:
        if errors:
            raise AssertionError(f"exception in a Tk callback: {errors[0]!r}") from errors[0]


def app_fixture(ctx: Any) -> Iterator[Any]:
    app, errors = open_app(ctx)
    app.tk_errors = errors
    try:
        yield app
    finally:
        close_app(app, errors)


def screenshot(name: str, crop: str | None = None) -> Path | None:
    """Save the X screen (or its top-left ``crop``, e.g. "1366x768", where the window is)
    to ``artifacts/<name>.png`` (best effort)."""
    if not shutil.which("import") or not os.environ.get("DISPLAY"):
        return None
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / f"{name}.png"
    cut = ["-crop", f"{crop}+0+0", "+repage"] if crop else []
    subprocess.run(["import", "-window", "root", *cut, str(out)], check=False, timeout=20)
    return out


def home_window(app: Any, demo: Any, ready: Any) -> Iterator[Any]:
    """The window signed in with Plex as the demo's owner (its Plex Home can be switched to),
    at 1366x768, once ``ready(window)`` holds."""
    require_display()
    app.account_token = demo.token  # signed in with Plex: the owner's plex.tv token
    for w in app_fixture(app):
        pump_until(w, lambda w=w: ready(w), 20, "the window")
        w.geometry("1366x768+0+0")
        yield w


def pump_until(app: Any, cond: Any, timeout: float = 10.0, what: str = "") -> None:
    """Pump the window until ``cond()``; fail with the log pane's content if it never holds."""
    ok = app.pump(cond, timeout)
    if app.tk_errors:
        raise AssertionError(f"exception in a Tk callback: {app.tk_errors[0]!r}")
    if not ok:
        import sys
        import threading
        import traceback

        names = {t.ident: t.name for t in threading.enumerate()}
        stacks = "\n".join(
            f"--- {names.get(tid, tid)}\n" + "".join(traceback.format_stack(frame)[-6:])
            for tid, frame in sys._current_frames().items()
            if tid != threading.main_thread().ident
        )
        raise AssertionError(
            f"timed out waiting for {what or cond}; log:\n{app.log_pane.content()}\nthreads:\n{stacks}"
        )


def history_shown(app: Any, run_id: int | None = None, timeout: float = 20.0) -> Any:
    """Show the History tab and pump until its runs were read (on a task, not the Tk thread);
    with ``run_id``, select that run and pump until its changes were read too."""
    hist = app.history_tab
    app.select_tab("history")
    pump_until(app, lambda: not hist.reading, timeout, "the history read")
    if run_id is not None:
        hist.select_run(run_id)
        pump_until(app, lambda: not hist.reading, timeout, f"the changes of run {run_id}")
    return hist


def visible_texts(widget: Any, skip: tuple[Any, ...] = ()) -> list[str]:
    """Every text a user can see in the window (labels, buttons, entries, text boxes, trees)."""
    out: list[str] = []
    if widget in skip:
        return out
    for getter in (
        lambda w: w.cget("text"),
        lambda w: w.get() if hasattr(w, "icursor") else None,
        lambda w: w.get("1.0", "end") if w.winfo_class() == "Text" else None,
    ):
        try:
            value = getter(widget)
        except Exception:  # noqa: BLE001 - not every widget has every option
            continue
        if isinstance(value, str) and value:
            out.append(value)
    if widget.winfo_class() == "Treeview":
        for iid in widget.get_children():
            out.extend(str(v) for v in widget.item(iid, "values"))
    for child in widget.winfo_children():
        out.extend(visible_texts(child, skip))
    return out


def click(app: Any, widget: Any) -> None:
    """Press and release the mouse in the middle of ``widget``, on whatever is drawn there.

    The widget must be what the pointer would hit (not covered, on screen);
    ``app`` is the window whose event loop is pumped around it.
    """
    app.update()
    x = widget.winfo_rootx() + widget.winfo_width() // 2
    y = widget.winfo_rooty() + widget.winfo_height() // 2
    target = widget.winfo_toplevel().winfo_containing(x, y)
    assert target is not None and str(target).startswith(str(widget)), (target, widget)
    rx, ry = x - target.winfo_rootx(), y - target.winfo_rooty()
    target.event_generate("<Enter>", x=rx, y=ry)
    target.event_generate("<ButtonPress-1>", x=rx, y=ry)
    target.event_generate("<ButtonRelease-1>", x=rx, y=ry)
    app.update()
