"""Shared helpers for the window tests: a real App under X, driven by pumping update().

An exception inside any Tk callback is recorded and fails the test that
caused it (Tk would otherwise print it and carry on).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def require_display() -> None:
    if not os.environ.get("DISPLAY"):
        pytest.skip("no X display (run under xvfb-run or the suite's Xvfb)")


class MemoryKeyring:
    """A keyring backend in memory, so saving the token never needs a desktop keyring."""

    priority = 1

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, user: str, password: str) -> None:
        self.store[(service, user)] = password

    def get_password(self, service: str, user: str) -> str | None:
        return self.store.get((service, user))

    def delete_password(self, service: str, user: str) -> None:
        self.store.pop((service, user), None)


def memory_keyring() -> Any:
    """A real ``keyring.backend.KeyringBackend`` subclass instance backed by a dict."""
    import keyring.backend

    class _Backend(keyring.backend.KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.mem = MemoryKeyring()

        def set_password(self, service: str, username: str, password: str) -> None:
            self.mem.set_password(service, username, password)

        def get_password(self, service: str, username: str) -> str | None:
            return self.mem.get_password(service, username)

        def delete_password(self, service: str, username: str) -> None:
            self.mem.delete_password(service, username)

    return _Backend()


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


def screenshot(name: str) -> Path | None:
    """Save the whole X screen to ``artifacts/<name>.png`` (best effort)."""
    if not shutil.which("import") or not os.environ.get("DISPLAY"):
        return None
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / f"{name}.png"
    subprocess.run(["import", "-window", "root", str(out)], check=False, timeout=20)
    return out


def pump_until(app: Any, cond: Any, timeout: float = 10.0, what: str = "") -> None:
    """Pump the window until ``cond()``; fail with the log pane's content if it never holds."""
    ok = app.pump(cond, timeout)
    if app.tk_errors:
        raise AssertionError(f"exception in a Tk callback: {app.tk_errors[0]!r}")
    assert ok, f"timed out waiting for {what or cond}; log:\n{app.log_pane.content()}"
