"""Shared fixtures: a virtual screen, the demo Plex server, an app context, a keyring.

Tests talk real HTTP to the demo server with unmodified plexapi; the window
tests run on Xvfb, started here when there is no display.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

CANARY = "CANARY-t0k3n-9f8e7d6c5b4a"

_xvfb: subprocess.Popen[bytes] | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Start Xvfb for the session when no display exists (CI, this machine)."""
    global _xvfb
    if os.environ.get("DISPLAY") or not shutil.which("Xvfb"):
        return
    r, w = os.pipe()
    _xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(w), "-screen", "0", "1400x950x24", "-nolisten", "tcp"],
        pass_fds=(w,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(w)
    with os.fdopen(r) as f:
        display = f.readline().strip()
    if display:
        os.environ["DISPLAY"] = f":{display}"


def pytest_unconfigure(config: pytest.Config) -> None:
    if _xvfb is not None:
        _xvfb.terminate()
        try:
            _xvfb.wait(5)
        except subprocess.TimeoutExpired:
            _xvfb.kill()


@pytest.fixture(autouse=True)
def _collect_tk_garbage_on_main_thread() -> Iterator[None]:
    """After a test that made a window, collect its garbage here, on the main thread.

    Tk objects of a destroyed window (fonts, images) call Tcl in ``__del__``.
    If a job's worker thread happens to trigger that collection in a later
    test, the call waits for an interpreter nobody pumps any more and the
    worker hangs. One window per process (the real program) never meets this.
    """
    yield
    if "tkinter" in sys.modules:
        gc.collect()


class MemoryKeyring:
    """An in-memory keyring backend (keyring's own extension point)."""

    def __init__(self) -> None:
        import keyring.backend

        class _Backend(keyring.backend.KeyringBackend):
            priority = 1  # type: ignore[assignment]

            def __init__(self) -> None:
                super().__init__()
                self.store: dict[tuple[str, str], str] = {}

            def get_password(self, service: str, username: str) -> str | None:
                return self.store.get((service, username))

            def set_password(self, service: str, username: str, password: str) -> None:
                self.store[(service, username)] = password

            def delete_password(self, service: str, username: str) -> None:
                import keyring.errors

                if (service, username) not in self.store:
                    raise keyring.errors.PasswordDeleteError("not found")
                del self.store[(service, username)]

        self.backend = _Backend()


@pytest.fixture
def memory_keyring() -> Iterator[dict[tuple[str, str], str]]:
    import keyring

    old = keyring.get_keyring()
    kr = MemoryKeyring().backend
    keyring.set_keyring(kr)
    try:
        yield kr.store
    finally:
        keyring.set_keyring(old)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    import keyring
    from keyring.backends import fail

    old = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(old)


def _demo(tracks: int, token: str = "demo-token", media: Path | None = None):  # noqa: ANN202
    from ratings_gui.demo.library import DemoLibrary
    from ratings_gui.demo.server import DemoServer

    lib = DemoLibrary.generate(seed=7, tracks=tracks, movies=30, shows=3)
    srv = DemoServer(lib, token=token, media_dir=media)
    srv.start()
    return srv


@contextlib.contextmanager
def serving(lib: Any, media: Path | None = None, token: str = "demo-token") -> Iterator[Any]:
    """A demo server for ``lib`` (its files below ``media`` when given), stopped after."""
    from ratings_gui.demo.server import DemoServer

    srv = DemoServer(lib, token=token, media_dir=media)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def media_demo(tmp_path: Path) -> Iterator[Any]:
    """A small demo server whose tracks are real audio files below ``tmp_path / "media"``."""
    from ratings_gui.demo.library import DemoLibrary

    lib = DemoLibrary.generate(seed=7, tracks=150, movies=3, shows=1)
    with serving(lib, tmp_path / "media") as srv:
        yield srv


@pytest.fixture
def mapp(tmp_path: Path, media_demo: Any) -> Iterator[Any]:
    """An AppContext signed in to :func:`media_demo` (the tags tests' server with files)."""
    with signed_in(media_demo, tmp_path / "home") as ctx:
        yield ctx


def track_file(demo: Any, key: int) -> Path:
    """Where a media demo's track ``key`` is on this machine."""
    from ratings_gui.demo.audio import local_path

    return local_path(demo.lib, demo.media_dir, demo.lib.items[key].file)


def copy_as_track(demo: Any, key: int, src: Path) -> Path:
    """Make track ``key``'s file a copy of ``src`` (its server path takes the extension)."""
    item = demo.lib.items[key]
    item.file = item.file.rsplit(".", 1)[0] + src.suffix
    demo.lib.invalidate_xml()
    dst = track_file(demo, key)
    shutil.copyfile(src, dst)
    dst.chmod(0o644)
    return dst


@pytest.fixture
def demo() -> Iterator[object]:
    """A fresh small demo server per test (its state changes under the tests)."""
    srv = _demo(400)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def canary_demo() -> Iterator[object]:
    """A demo server whose token is a canary string, for the secrets tests."""
    srv = _demo(200, token=CANARY)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@contextlib.contextmanager
def signed_in(server: Any, home: Path, library: str | None = None) -> Iterator[Any]:
    """An AppContext connected to a demo ``server``, plex.tv pointed at it; closed after."""
    from ratings_gui.context import AppContext
    from ratings_gui.plex.connection import connect_direct

    ctx = AppContext.open(home, plextv_base=server.url)
    ctx.set_connection(connect_direct(server.url, server.token))
    if library is not None:
        ctx.library = library
    try:
        yield ctx
    finally:
        ctx.set_plextv(None)
        ctx.close()


@pytest.fixture
def app(home: Path, demo: object) -> Iterator[object]:
    """An AppContext connected to the demo server, plex.tv pointed at the demo."""
    with signed_in(demo, home) as ctx:
        yield ctx


@pytest.fixture
def win(app: Any) -> Iterator[Any]:
    """The window on :func:`app` (skipped without a display); tests may define their own."""
    from test_gui_helpers import app_fixture, require_display

    require_display()
    yield from app_fixture(app)


# --- helpers the test modules share ----------------------------------------------------------


def job_ctx(cancel: threading.Event | None = None, on: Any = None) -> Any:
    """A JobContext whose events go nowhere (or to ``on``)."""
    from ratings_gui.jobs.runner import JobContext

    return JobContext(on or (lambda ev: None), cancel)


def ratings_of(demo: Any, kinds: Sequence[str] = ("track",), section: int = 1) -> dict[int, Any]:
    """Every item's rating on the demo server, by key: what a test compares before and after."""
    return {k: demo.lib.rating(k) for kind in kinds for k in demo.lib.keys_of(section, kind)}


def run_cli(
    command: str,
    demo: Any,
    home: Path,
    *extra: str,
    library: str = "Music",
    stderr: list[str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """``python -m ratings_gui COMMAND ... --json`` on the demo: exit code and the JSON line.

    What went to stderr is appended to ``stderr`` when given.
    """
    from ratings_gui.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv = [command, *extra, "--server", demo.url, "--token", demo.token]
    argv += ["--library", library, "--data-dir", str(home), "--json"]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    if stderr is not None:
        stderr.append(err.getvalue())
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    return code, (json.loads(lines[-1]) if lines else {})


def is_program_value(journal: Any, target: str, current: Any) -> bool:
    """The provenance rule says ``current`` is the program's guess (base or inferred)."""
    from ratings_gui.core.plan import PLEX
    from ratings_gui.core.provenance import is_guess

    return is_guess(current, journal.standing_writes(PLEX, "userRating", [target]).get(target))
