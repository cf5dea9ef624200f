"""Plex Home in the window: pick a member (with the PIN dialog), import as that member.

Real window on Xvfb, the demo server as plex.tv and as the Plex server; the
assertions are on the server's per-member ratings.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_gui_helpers import (
    history_shown,
    home_window,
    pump_until,
    screenshot,
)

from ratings_gui.demo.home import DEMO_PIN

pytestmark = pytest.mark.gui

USERS = (None, "Alex", "Sam", "Jo")


@pytest.fixture
def win(app: Any, demo: Any) -> Iterator[Any]:
    yield from home_window(app, demo, lambda w: bool(w.plex_tab.home_users) and not w.busy)


def _shot(name: str) -> Path | None:
    return screenshot(name, crop="1366x768")


def _pick(win: Any, label: str) -> None:
    tab = win.plex_tab
    tab.user_menu.set(label)
    tab.choose_user(label)


def test_pick_a_protected_member_then_import_as_them(win: Any, demo: Any, tmp_path: Path) -> None:
    tab = win.plex_tab
    labels = list(tab.home_users)
    assert labels[0].endswith("(owner)") and {"Alex", "Sam", "Jo"} <= set(labels)
    before = {u: dict(demo.ratings_of(u)) for u in USERS}

    # a wrong PIN: nothing changes, the picker goes back to the owner
    _pick(win, "Alex")
    pump_until(win, lambda: tab.pin_dialog is not None and tab.pin_dialog.winfo_exists(), 5)
    tab.pin_dialog.pin_var.set("0000")
    tab.pin_dialog.ok_button.invoke()
    pump_until(win, lambda: not win.busy, 20, "the refused switch")
    assert not win.app.connection.member and "PIN for Alex is not right" in (
        tab.status_label.cget("text")
    )
    assert tab.user_menu.get() == labels[0]

    # the right PIN: every tab now works as Alex, and the header says so
    _pick(win, "Alex")
    pump_until(win, lambda: tab.pin_dialog is not None and tab.pin_dialog.winfo_exists(), 5)
    assert tab.pin_dialog.entry.cget("show") == "•"
    tab.pin_dialog.pin_var.set(DEMO_PIN)
    tab.pin_dialog.ok_button.invoke()
    pump_until(win, lambda: win.app.connection.member and not win.busy, 20, "the switch")
    assert win.header.server.cget("text") == f"{win.app.connection.name} · as Alex"
    win.select_tab("plex")
    win.update()
    _shot("home-user-picker")
    # the mood tag is the owner's: off for Alex, with the reason beside it
    tuning = win.tab_objects["inference"].tuning
    assert tuning.mood_check.cget("state") == "disabled" and tuning.mood_tag() is None
    assert "only the server's owner" in tuning.mood_off_label.cget("text")

    paths = demo.write_exports(tmp_path)
    imp = win.tab_objects["import"]
    win.select_tab("import")
    imp.path_var.set(str(paths["imdb"]))
    imp.all_var.set(True)
    imp.watched_var.set(False)
    imp.preview_button.invoke()
    pump_until(win, lambda: imp.plan is not None and not win.busy, 20, "the import plan")
    planned = {int(c.target): c.new for c in imp.plan.changes if c.field == "userRating"}
    assert planned
    # Alex's own ratings decide what is kept: the plan starts from Alex's values
    assert all(before["Alex"].get(k) != v for k, v in planned.items())
    win.update()
    _shot("home-import-as-alex")
    imp.preview.apply_button.invoke()
    pump_until(win, lambda: imp.plan is None and not win.busy, 30, "the import run")

    after = {u: dict(demo.ratings_of(u)) for u in USERS}
    for u in (None, "Sam", "Jo"):
        assert after[u] == before[u], f"{u or 'the owner'}'s ratings changed"
    assert {k: after["Alex"].get(k) for k in planned} == planned

    # History names the member; undo runs as Alex by itself (the PIN asked again)
    run_id = imp.last_report.run_id
    hist = history_shown(win, run_id)
    assert hist.runs_tree.item(str(run_id), "values")[4] == "Alex"
    _pick(win, labels[0])  # back to the owner first: undo must still write Alex's ratings
    pump_until(win, lambda: not win.app.connection.member and not win.busy, 20, "owner again")
    history_shown(win, run_id)
    hist.undo_button.invoke()
    pump_until(win, lambda: hist.pin_dialog.winfo_exists(), 5, "the undo PIN")
    hist.pin_dialog.pin_var.set(DEMO_PIN)
    hist.pin_dialog.ok_button.invoke()
    pump_until(win, lambda: hist.plan is not None and not win.busy, 20, "the undo plan")
    hist.preview.apply_button.invoke()
    pump_until(win, lambda: hist.preview.plan is None and not win.busy, 20, "the undo")
    assert {u: dict(demo.ratings_of(u)) for u in USERS} == before


def test_listing_the_home_never_holds_up_a_preview(
    app: Any, demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Home's members are listed in the background after connecting: a Preview pressed
    meanwhile starts at once (it was refused as "another job is still running")."""
    import threading

    from ratings_gui.gui import plex_home_users

    gate = threading.Event()
    real = plex_home_users.home_users

    def slow_home_users(token: str) -> Any:
        gate.wait(20)  # plex.tv taking its time
        return real(token)

    monkeypatch.setattr(plex_home_users, "home_users", slow_home_users)
    windows = home_window(app, demo, lambda w: bool(w.tab_objects["base_rating"].libraries))
    win = next(windows)
    try:
        tab = win.tab_objects["base_rating"]
        assert not win.plex_tab.home_users  # still listing
        assert "Listing your Plex Home" in win.plex_tab.user_note.cget("text")
        tab.preview_button.invoke()
        pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "the plan")
        assert "Another job is still running" not in win.log_pane.content()
        gate.set()
        pump_until(win, lambda: bool(win.plex_tab.home_users), 20, "the Home's members")
        assert "Alex" in win.plex_tab.home_users
    finally:
        gate.set()
        windows.close()
