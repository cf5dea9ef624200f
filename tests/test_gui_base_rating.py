"""The Base rating tab in a real window: preview, apply, undo on History, watch.

Real HTTP to the demo server; the window runs under Xvfb (tests/conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import ratings_of
from test_gui_helpers import history_shown, pump_until, screenshot

pytestmark = pytest.mark.gui


def test_apply_base_rating_from_the_tab_then_undo_on_history(win: Any, demo: Any) -> None:
    before = ratings_of(demo)
    unrated = {k for k, v in before.items() if v is None}
    tab = win.tab_objects["base_rating"]
    win.select_tab("base_rating")
    pump_until(win, lambda: tab.libraries == ["Music"] and not win.busy, 20, "the music libraries")
    assert tab.library_menu.get() == "Music"

    tab.set_style("half")
    assert "★★½" in tab.value_button.cget("values")
    tab.set_style("whole")
    tab.value_button.set("★★★")
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "the plan")
    plan = tab.preview.plan
    assert len(plan) == len(unrated) and "replaces your rating" not in plan.counts
    assert tab.preview.title_label.cget("text") == "Base rating ★★★ for Music"
    pump_until(win, lambda: tab.preview.shown_rows == min(len(plan), tab.preview.row_cap))

    # the second, explicit choice: the preview says how many of the user's ratings go
    tab.override_mine_var.set(True)
    tab.preview_button.invoke()
    pump_until(win, lambda: not win.busy and "YOUR" in tab.plan_note.cget("text"), 20, "warning")
    mine = tab.preview.plan.counts["replaces your rating"]
    assert mine == sum(v is not None and v != 6.0 for v in before.values())
    assert f"Replaces {mine:,} of YOUR OWN ratings" == tab.plan_note.cget("text")
    tab.override_mine_var.set(False)
    tab.preview_button.invoke()
    pump_until(win, lambda: not win.busy and tab.plan_note.cget("text") == "", 20, "plan")
    n = min(len(tab.preview.plan), tab.preview.row_cap)
    pump_until(win, lambda: tab.preview.shown_rows == n, 30, "the table rows")
    win.update()
    screenshot("base_rating")

    tab.preview.apply_button.invoke()
    pump_until(win, lambda: tab.preview.plan is None and not win.busy, 90, "the apply")
    after = ratings_of(demo)
    assert {k for k in before if after[k] != before[k]} == unrated
    assert all(after[k] == 6.0 for k in unrated)
    run = win.app.journal.runs()[0]
    assert run.job == "base-rating" and run.applied == len(unrated)
    assert f"Base rating run {run.id}" in win.log_pane.content()  # the job in words

    hist = history_shown(win, run.id)
    hist.undo_button.invoke()
    pump_until(win, lambda: hist.plan is not None and not win.busy, 45, "undo plan")
    assert len(hist.preview.plan) == len(unrated)
    hist.preview.apply_button.invoke()
    pump_until(win, lambda: hist.preview.plan is None and not win.busy, 90, "undo applied")
    assert ratings_of(demo) == before
    screenshot("base_rating_undone")


def test_watch_while_open_rates_an_added_track(win: Any, demo: Any) -> None:
    tab = win.tab_objects["base_rating"]
    win.select_tab("base_rating")
    pump_until(win, lambda: bool(tab.libraries), 10, "libraries")
    tab.watch_interval = 0.3
    tab.watch_switch.toggle()
    assert tab.watching
    pump_until(win, lambda: "watching Music" in win.log_pane.content(), 10, "watch start")
    album = demo.lib.keys_of(1, "album")[0]
    key = demo.lib.add_track(album, "Fresh From The Scan", 190_000)
    pump_until(win, lambda: tab.watch_rated == 1, 15, "the new track rated")
    assert demo.lib.rating(key) == tab.value()
    assert "1 rated" in tab.watch_status.cget("text")
    tab.watch_switch.toggle()
    pump_until(win, lambda: not tab.watching, 5, "watch stop")
