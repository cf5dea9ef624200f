"""The real window against the demo Plex server: sign-in, direct connect, History and Undo.

Only the default browser is patched (webbrowser.open); everything else is
real HTTP to the demo server through unmodified plexapi.
"""

from __future__ import annotations

import threading
import time
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_gui_helpers import (
    app_fixture,
    close_app,
    history_shown,
    open_app,
    pump_until,
    require_display,
    screenshot,
    visible_texts,
)

from ratings_gui.core.plan import PLEX, Change, Plan
from ratings_gui.gui.jobhost import PROGRESS_EVERY_S
from ratings_gui.jobs.base import apply_plan
from ratings_gui.jobs.runner import JobContext, Progress
from ratings_gui.journal import Journal

pytestmark = pytest.mark.gui


@pytest.fixture
def signed_out(home: Path, demo: Any) -> Iterator[Any]:
    """A context with plex.tv pointed at the demo server and no connection yet."""
    from ratings_gui.context import AppContext

    ctx = AppContext.open(home, plextv_base=demo.url)
    try:
        yield ctx
    finally:
        ctx.set_plextv(None)
        ctx.close()


@pytest.fixture
def win(signed_out: Any) -> Iterator[Any]:
    require_display()
    yield from app_fixture(signed_out)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The default browser, recording the URLs it was asked to open."""
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    return opened


def idle(win: Any) -> None:
    pump_until(win, lambda: not win.busy, 20, "the job to end")


def test_pin_sign_in_server_and_library(
    win: Any, demo: Any, browser: list[str], memory_keyring: dict[Any, str]
) -> None:
    tab = win.plex_tab
    tab.sign_in_button.invoke()
    pump_until(win, lambda: bool(tab.link_var.get()), 15, "the sign-in link")
    # the link is what the user needs: a long sign-in code is not shown on its own
    code = tab.link_var.get().split("code=", 1)[1].split("&", 1)[0]
    assert len(code) <= 8 or code not in tab.code_label.cget("text")
    assert browser == [tab.link_var.get()]
    assert f"code={code}" in browser[0] and browser[0].startswith(demo.url)
    assert tab.cancel_sign_in_button.cget("state") == "normal"
    assert tab.sign_in_button.cget("state") == "disabled"
    screenshot("gui-signin-code")

    demo.approve_pin(code)
    pump_until(win, lambda: bool(tab.servers) and not win.busy, 20, "the server list")
    assert tab.server_menu.cget("values") == [
        "Demo Server (owned)",
        "Friend's Server (shared by friend)",
    ]
    assert win.header.account.cget("text") == "demo"
    assert list(memory_keyring.values()) == [demo.token]

    tab.server_menu.set("Demo Server (owned)")
    tab.server_connect_button.invoke()
    pump_until(win, lambda: bool(tab.libraries) and not win.busy, 20, "the libraries")
    assert win.app.connection is not None
    assert tab.connection_label.cget("text").endswith(f"local {demo.url}")
    labels = tab.library_menu.cget("values")
    assert len(labels) == 3
    music = next(lb for lb in labels if " — music, " in lb)
    assert music.endswith("tracks") and any(ch.isdigit() for ch in music)
    assert any(" — movies, " in lb for lb in labels) and any(" — TV shows, " in lb for lb in labels)

    tab.choose_library(music)
    name = music.split(" — ")[0]
    assert win.app.library == name
    assert win.app.settings.get("library") == name
    assert win.header.server.cget("text") == "Demo Server"
    assert win.header.library.cget("text") == name
    win.update()
    screenshot("gui-signin-connected")
    texts = visible_texts(win)
    assert not any(demo.token in t for t in texts)

    tab.sign_out_button.invoke()
    assert win.app.connection is None and memory_keyring == {}
    assert win.header.server.cget("text") == "—" and win.header.account.cget("text") == "—"
    assert tab.server_menu.get() == "Sign in to list your servers"


def test_pin_sign_in_can_be_cancelled(win: Any, browser: list[str]) -> None:
    tab = win.plex_tab
    tab.sign_in_button.invoke()
    pump_until(win, lambda: tab.cancel_sign_in_button.cget("state") == "normal", 15, "waiting")
    tab.cancel_sign_in_button.invoke()
    idle(win)
    assert "Sign-in cancelled." in win.log_pane.content()
    assert tab.sign_in_button.cget("state") == "normal"
    assert not tab.servers


def test_direct_connect_wrong_token_then_right(win: Any, demo: Any, no_keyring: None) -> None:
    tab = win.plex_tab
    wrong = "wrong-token-4711"
    tab.url_var.set(demo.url)
    tab.token_var.set(wrong)
    tab.connect_button.invoke()
    idle(win)
    log = win.log_pane.content()
    assert "401" in log and "token is wrong or expired" in log
    assert "Traceback" not in log
    assert "401" in win.progress.message.cget("text")
    assert win.app.connection is None
    texts = visible_texts(win, skip=(tab.token_entry,))
    assert not any(wrong in t for t in texts), "the token must never be shown"
    screenshot("gui-direct-401")

    tab.token_var.set(demo.token)
    tab.connect_button.invoke()
    pump_until(win, lambda: tab.token_dialog is not None and bool(tab.libraries), 20, "dialog")
    # No keyring: the user is asked where to keep the token.
    dialog = tab.token_dialog
    win.update()
    screenshot("gui-token-dialog")
    dialog.session_button.invoke()
    assert win.app.tokens.storage == "session"
    assert win.app.tokens.load() == demo.token
    assert win.app.settings.get("token") is None
    movies = next(lb for lb in tab.library_menu.cget("values") if " — movies, " in lb)
    tab.choose_library(movies)
    assert win.header.library.cget("text") == movies.split(" — ")[0]
    assert tab.connection_label.cget("text").endswith(demo.url)
    assert win.app.settings.get("server_url") == demo.url
    texts = visible_texts(win, skip=(tab.token_entry,))
    assert not any(demo.token in t for t in texts)
    assert tab.token_entry._entry.cget("show") == "•"


def test_next_start_reconnects_to_the_remembered_server(
    signed_out: Any, demo: Any, memory_keyring: dict[Any, str]
) -> None:
    """Server, library and token from the last session: the window comes up connected."""
    require_display()
    win, errors = open_app(signed_out)
    win.tk_errors = errors
    tab = win.plex_tab
    tab.url_var.set(demo.url)
    tab.token_var.set(demo.token)
    tab.connect_button.invoke()
    pump_until(win, lambda: bool(tab.libraries) and not win.busy, 20, "libraries")
    movies = next(lb for lb in tab.library_menu.cget("values") if " — movies, " in lb)
    tab.choose_library(movies)
    win.close()
    close_app(win, errors)

    signed_out.set_connection(None)
    signed_out.library = None
    win, errors = open_app(signed_out)
    win.tk_errors = errors
    try:
        tab = win.plex_tab
        pump_until(win, lambda: bool(tab.libraries) and not win.busy, 20, "reconnect")
        assert tab.library_menu.get() == movies
        assert win.app.library == movies.split(" — ")[0]
        assert win.header.library.cget("text") == win.app.library
        assert tab.token_var.get() == "", "the kept token is never put back on screen"
    finally:
        close_app(win, errors)


@pytest.fixture
def connected_win(app: Any) -> Iterator[Any]:
    """The window on a context already connected (as ``--demo`` starts it)."""
    require_display()
    yield from app_fixture(app)


def test_history_undo_restores_ratings(connected_win: Any, app: Any, demo: Any) -> None:
    """A journaled run of two changes, undone from History through the plan preview."""
    lib = demo.lib
    keys = [t.key for t in list(lib.tracks())[:2]]
    lib.set_rating(keys[0], None)
    lib.set_rating(keys[1], 4.0)
    before = {k: lib.rating(k) for k in keys}
    plan = Plan("base_rating", options={"library": "Music"})
    for k, new in zip(keys, (6.0, 9.0), strict=True):
        plan.add(Change(PLEX, str(k), "userRating", before[k], new, "test", lib.items[k].title))
    report = apply_plan(app, plan, JobContext(lambda ev: None))
    assert [lib.rating(k) for k in keys] == [6.0, 9.0]
    run_id = report.run_id

    win = connected_win
    # --demo starts connected: the Plex tab lists the libraries at once.
    pump_until(win, lambda: bool(win.plex_tab.libraries) and not win.busy, 20, "libraries")
    assert win.header.server.cget("text") == app.connection.name
    hist = history_shown(win)
    assert hist.runs_tree.exists(str(run_id))
    history_shown(win, run_id)
    values = hist.runs_tree.item(str(run_id), "values")
    assert values[2] == "base_rating" and values[6] == "2"
    assert len(hist.changes_tree.get_children()) == 2
    change_rows = [hist.changes_tree.item(i, "values") for i in hist.changes_tree.get_children()]
    assert {r[3] for r in change_rows} == {"★★★ 3", "★★★★½ 4.5"}
    screenshot("gui-history-run")

    hist.undo_button.invoke()
    pump_until(win, lambda: hist.plan is not None and not win.busy, 20, "undo plan")
    assert win.preview is hist.preview
    assert len(hist.preview.plan) == 2
    pump_until(win, lambda: hist.preview.shown_rows == 2)
    screenshot("gui-history-undo-plan")

    hist.preview.apply_button.invoke()
    pump_until(
        win,
        lambda: hist.preview.plan is None and not win.busy and not hist.reading,
        20,
        "undo applied and History read again",
    )
    assert [lib.rating(k) for k in keys] == [before[k] for k in keys]
    runs = app.journal.runs()
    assert runs[0].undo_of == run_id and runs[0].applied == 2
    assert hist.selected_run_id() == runs[0].id
    assert hist.runs_tree.item(str(runs[0].id), "values")[2] == f"Undo of run {run_id}"
    assert hist.runs_tree.item(str(run_id), "values")[10] == "2"  # undone
    assert "undo run" in win.log_pane.content()
    screenshot("gui-history-undone")


def _runs_of_one_change(app: Any, demo: Any, count: int) -> list[int]:
    """``count`` journaled runs, each rating one track (ids, oldest first)."""
    ids = []
    for i, track in enumerate(list(demo.lib.tracks())[:count]):
        plan = Plan("base_rating", options={"library": "Music"})
        old = demo.lib.rating(track.key)
        plan.add(Change(PLEX, str(track.key), "userRating", old, 2.0 + 2 * i, "test", track.title))
        ids.append(apply_plan(app, plan, JobContext(lambda ev: None)).run_id)
    return ids


def test_history_reads_the_journal_off_the_tk_thread(
    connected_win: Any, app: Any, demo: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """History's runs and a run's changes are read on a task (counting a big journal's changes
    takes longer than the window may stand still), an older answer never replaces a newer
    one, and a journal that cannot be read is one plain sentence."""
    ids = _runs_of_one_change(app, demo, 2)
    journal = app.journal
    real_runs, real_changes = journal.runs, journal.changes
    readers: list[tuple[str, threading.Thread]] = []

    def runs(*a: Any, **k: Any) -> Any:
        readers.append(("runs", threading.current_thread()))
        return real_runs(*a, **k)

    def changes(*a: Any, **k: Any) -> Any:
        readers.append(("changes", threading.current_thread()))
        return real_changes(*a, **k)

    monkeypatch.setattr(journal, "runs", runs)  # journal.run() asks runs() too
    monkeypatch.setattr(journal, "changes", changes)
    win = connected_win
    win.geometry("1366x768+0+0")
    pump_until(win, lambda: bool(win.plex_tab.libraries) and not win.busy, 20, "libraries")
    hist = history_shown(win, ids[0])
    assert [hist.runs_tree.item(i, "values")[0] for i in hist.runs_tree.get_children()] == [
        str(i) for i in reversed(ids)
    ]
    assert hist.summary_label.cget("text") == "2 run(s)"
    assert len(hist.changes_tree.get_children()) == 1
    assert hist.changes_title.cget("text").startswith(f"Changes of run {ids[0]}: 1 ·")
    assert {name for name, _ in readers} == {"runs", "changes"}
    assert all(t is not threading.main_thread() for _, t in readers), readers
    win.pump(lambda: False, 0.3)
    screenshot("gui-history-tab", crop="1366x768")

    # Undo asks whose run it was from the runs already read: the Tk thread reads nothing
    readers.clear()
    hist.undo_button.invoke()
    pump_until(win, lambda: hist.plan is not None and not win.busy, 20, "undo plan")
    hist.preview.discard_button.invoke()
    pump_until(win, lambda: not hist.reading, 10, "the changes again")
    assert hist.changes_title.cget("text").startswith(f"Changes of run {ids[0]}")
    assert readers and all(t is not threading.main_thread() for _, t in readers), readers

    # An older read that answers last is dropped: the newer rows stay
    entered, gate = threading.Event(), threading.Event()

    def slow_runs(*a: Any, **k: Any) -> Any:
        entered.set()
        gate.wait(10)
        return []  # what the journal held before: nothing

    monkeypatch.setattr(journal, "runs", slow_runs)
    hist.refresh()
    assert entered.wait(5)
    assert hist.summary_label.cget("text") == "Reading the history…"
    assert len(hist.runs_tree.get_children()) == 2  # the rows stay while the read runs
    monkeypatch.setattr(journal, "runs", runs)
    hist.refresh()
    pump_until(win, lambda: hist.summary_label.cget("text") == "2 run(s)", 10, "the newer read")
    gate.set()

    def older_read_running() -> bool:
        return any(t.name == "ratings-history-runs" and t.is_alive() for t in threading.enumerate())

    pump_until(win, lambda: not older_read_running(), 10, "the older read")
    win.pump(lambda: False, 0.3)  # its answer is delivered (and dropped)
    assert hist.summary_label.cget("text") == "2 run(s)"
    assert len(hist.runs_tree.get_children()) == 2
    assert hist.selected_run_id() == ids[0]

    # A journal that cannot be read (closed): a plain sentence, the rows stay, no traceback
    closed = Journal(tmp_path / "closed" / "journal.sqlite3")
    closed.close()
    monkeypatch.setattr(journal, "runs", closed.runs)
    hist.refresh()
    pump_until(win, lambda: not hist.reading, 10, "the failed read")
    text = hist.summary_label.cget("text")
    assert text == "History not read: the history database is closed.", text
    assert len(hist.runs_tree.get_children()) == 2
    assert "Traceback" not in win.log_pane.content()
    assert "ProgrammingError" not in " ".join(visible_texts(win))


def test_progress_is_shown_a_few_times_a_second_and_always_the_newest(win: Any) -> None:
    """A job reports progress per item; the window shows it at most every 0.2 s in a phase
    (each showing waits on the interpreter lock the job's threads hold), a new phase at once,
    and the newest report in the end."""
    shown: list[tuple[int, int, str]] = []
    real = win.progress.show
    win.progress.show = lambda done, total, phase, eta: (
        shown.append((done, total, phase)),
        real(done, total, phase, eta),
    )
    sent = 0
    end = time.monotonic() + 3 * PROGRESS_EVERY_S
    while time.monotonic() < end:
        sent += 1
        win.runner.events.put(Progress(sent, 10_000, "reading tags"))
        win.pump(lambda: False, 0.005)
    pump_until(win, lambda: shown and shown[-1][0] == sent, 5, "the newest progress")
    assert sent > 30 and len(shown) <= 6, (sent, shown)
    assert win.progress.phase.cget("text").startswith(f"reading tags: {sent:,} of 10,000")
    win.runner.events.put(Progress(1, 10, "writing"))
    pump_until(win, lambda: shown[-1][2] == "writing", 1, "the new phase")
