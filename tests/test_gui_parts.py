"""A window that never stalls: tabs built in parts, History's undo preview made on first use,
a job's log lines put in together. Behaviour only (the figures come from gui/tkprobe)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_gui_helpers import app_fixture, pump_until, require_display

from ratings_gui.core.plan import PLEX, Change, Plan, Report
from ratings_gui.jobs.runner import JobContext

pytestmark = pytest.mark.gui


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Any]:
    from ratings_gui.context import AppContext

    c = AppContext.open(tmp_path / "home", logging_on=False)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def win(ctx: Any) -> Iterator[Any]:
    require_display()
    yield from app_fixture(ctx)


def test_a_tab_is_built_a_part_a_turn(win: Any) -> None:
    """Inference's first showing makes its choices now and the rest on later turns; the
    tab is whole (reports, plan preview in its view box) once the parts have run."""
    tab = win.tab_objects["inference"]
    win.select_tab("inference")
    assert tab.built and tab.building
    assert "purpose_label" in tab.__dict__  # the first part: on screen at once
    assert "report_views" not in tab.__dict__ and tab.preview is None
    pump_until(win, lambda: not tab.building, 10, "the tab's parts")
    views = tab.report_views
    assert views.views["plan"] is tab.preview
    assert tab.preview.master is views.box
    assert tab.start_buttons == [tab.preview_button, tab.backtest_button, tab.rebuild_button]
    assert tab.tuning.param_entries  # the settings window's fields


def test_asking_for_a_later_part_builds_the_rest_first(win: Any) -> None:
    """Code that needs a widget of a part not built yet gets the whole tab at once, the
    plan preview in its own place (not packed at the bottom of the tab)."""
    tab = win.tab_objects["base_rating"]
    win.select_tab("base_rating")
    assert tab.building and "preview_button" not in tab.__dict__
    assert tab.preview_button.cget("text") == "Preview"
    assert not tab.building and tab.preview is not None
    assert tab.preview.winfo_manager() == "grid"
    tags = win.tab_objects["tags"]
    win.select_tab("tags")
    assert tags.building
    preview = tags.make_preview()  # a plan arriving early: the tab's own part makes it
    assert not tags.building and preview.winfo_manager() == "grid"


def test_a_job_starting_while_a_tab_builds_disables_its_buttons(win: Any) -> None:
    """The busy state reaches buttons made in a later part."""
    release = threading.Event()
    tab = win.tab_objects["import"]
    win.select_tab("import")
    assert tab.building
    assert win.tab_objects["plex"].run_job(lambda jc: release.wait(10), name="hold")
    pump_until(win, lambda: not tab.building, 10, "the tab's parts")
    assert tab.preview_button.cget("state") == "disabled"
    release.set()
    pump_until(win, lambda: not win.busy)
    assert tab.preview_button.cget("state") == "normal"


def test_a_jobs_end_is_shown_a_part_a_turn(win: Any) -> None:
    """The turn a job ends in shows its outcome and gives the buttons back; the rest (the
    results that follow the journal) comes in later turns, the window busy until then."""
    tab = win.tab_objects["base_rating"]
    win.select_tab("base_rating")
    pump_until(win, lambda: not tab.building, 10, "the tab's parts")
    release = threading.Event()
    ended: list[bool] = []
    assert win.tab_objects["plex"].run_job(
        lambda jc: release.wait(10), name="hold", on_done=lambda ev: ended.append(True)
    )
    pump_until(win, lambda: tab.preview_button.cget("state") == "disabled")
    release.set()
    # the poll's turn alone, no other Tk turn (no update()): the later parts wait
    deadline = time.monotonic() + 10
    while not ended and time.monotonic() < deadline:
        win._poll()
        time.sleep(0.01)
    assert ended and not win.job_running
    assert tab.preview_button.cget("state") == "normal", "usable as soon as it is shown"
    assert win.busy, "the end's later parts are still to run"
    tags = win.tab_objects["tags"]
    assert not tags.built
    tags.ensure_built()  # a tab made meanwhile is made usable, not busy
    assert tags.preview_button.cget("state") == "normal"
    pump_until(win, lambda: not win.busy, 10, "the end's parts")


def test_a_job_started_at_the_end_of_another_keeps_the_buttons_off(win: Any) -> None:
    """on_done may start the next job at once: the first job's later parts do not turn
    the tabs' buttons back on under it."""
    tab = win.tab_objects["base_rating"]
    win.select_tab("base_rating")
    pump_until(win, lambda: not tab.building, 10, "the tab's parts")
    plex = win.tab_objects["plex"]
    release = threading.Event()

    started: list[bool] = []

    def next_job(ev: Any) -> None:
        started.append(plex.run_job(lambda jc: release.wait(10), name="second"))

    assert plex.run_job(lambda jc: None, name="first", on_done=next_job)
    pump_until(win, lambda: started and not win._later, 10, "the first job's end")
    assert started == [True] and win.job_running
    assert win.busy and tab.preview_button.cget("state") == "disabled"
    release.set()
    pump_until(win, lambda: not win.busy, 10, "the second job")
    assert tab.preview_button.cget("state") == "normal"


def test_table_and_log_scrollbars_leave_the_redraws_to_idle_time(
    win: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """customtkinter's scrollbar forces every pending redraw of the window each time it is
    set (a table's chunk of rows, a batch of log lines): 114 forced redraws in the window
    probe's Import phases. A table's and the log's scrollbars leave them to Tk's idle time."""
    import tkinter as tk

    import customtkinter as ctk

    from ratings_gui.gui.widgets import make_tree

    forced: list[Any] = []
    real = tk.Misc.update_idletasks
    monkeypatch.setattr(tk.Misc, "update_idletasks", lambda w: (forced.append(w), real(w)))
    plain = ctk.CTkScrollbar(win)
    forced.clear()
    plain.set(0.0, 0.5)
    assert forced, "customtkinter's own scrollbar forces the redraws (what this guards against)"
    top = tk.Toplevel(win)
    tree, holder = make_tree(top, [("a", "A", 80, True)], height=5)
    holder.pack(fill="both", expand=True)
    bars = [w for w in holder.winfo_children() if isinstance(w, ctk.CTkScrollbar)]
    forced.clear()
    for i in range(50):
        tree.insert("", "end", values=(f"row {i}",))
    bars[0].set(0.0, 0.5)
    win.log_pane.append_many([f"line {i}" for i in range(200)])
    win.log_pane.text._y_scrollbar.set(0.2, 0.4)
    assert not forced
    win.update()  # drawn at idle time: the bar shows where the table is
    assert bars[0].get() == tree.yview() and tree.yview()[1] < 0.5
    top.destroy()


def test_history_makes_its_undo_preview_on_the_first_undo(win: Any) -> None:
    """No preview until an undo plan is reviewed; it then takes the changes' place, and
    gives it back when the plan is closed."""
    hist = win.history_tab
    win.select_tab("history")
    pump_until(win, lambda: not hist.building and not hist.reading, 10, "History")
    assert hist.preview is None
    hist._undo_run = 7
    plan = Plan("undo")
    plan.add(Change(PLEX, "1", "userRating", 8.0, 2.0, "undo of run 7", "Song"))
    hist.plan = plan
    hist.show_plan(plan)
    preview = hist.preview
    assert preview is not None and preview.master is hist.lower
    assert preview.grid_info() and not hist._changes_holder.grid_info()
    pump_until(win, lambda: preview.shown_rows == 1)
    hist.close_plan()
    pump_until(win, lambda: not hist.reading)
    assert not preview.grid_info() and hist._changes_holder.grid_info()
    hist.show_plan(plan)  # a second undo: the same preview, in the same place
    assert hist.preview is preview and preview.grid_info()


def test_log_lines_of_one_poll_go_in_together(win: Any) -> None:
    """Hundreds of log lines between two polls: every one shown, in order, all counted."""
    release = threading.Event()

    def work(jc: JobContext) -> Report:
        for i in range(400):
            jc.log(f"line {i}")
        release.wait(10)
        return Report("hold", None, dry_run=True)

    win.set_log_open(False, remember=False)
    assert win.tab_objects["plex"].run_job(work, name="hold")
    pump_until(win, lambda: "line 399" in win.log_pane.content(), 10, "the log lines")
    lines = [ln for ln in win.log_pane.content().splitlines() if "  line " in ln]
    assert [ln.split("  ", 1)[1] for ln in lines] == [f"line {i}" for i in range(400)]
    assert int(win.progress.log_button.cget("text").split("(")[1].rstrip(")")) >= 400
    release.set()
    pump_until(win, lambda: not win.busy)


def test_the_log_keeps_its_last_lines(win: Any) -> None:
    from ratings_gui.gui.widgets import LOG_MAX_LINES

    pane = win.log_pane
    pane.clear()
    pane.append_many([f"row {i}" for i in range(LOG_MAX_LINES + 150)])
    pane.append("last")
    lines = pane.content().strip().splitlines()
    assert len(lines) == LOG_MAX_LINES
    assert lines[-1] == "last" and lines[0] == "row 151"


def test_a_button_is_drawn_again_only_when_its_state_changes(win: Any) -> None:
    """A job's start and end set every tab's buttons: a state that is already so draws
    nothing, and a new one (with its disabled look) is one redraw, not two."""
    from ratings_gui.gui.widgets import Button, set_enabled

    outlined = Button(win, text="Outlined", fg_color="transparent", border_width=1)
    for b in (Button(win, text="Filled"), outlined):
        b.place(x=0, y=0)
        win.update()
        drawn: list[bool] = []
        draw = b._draw
        b._draw = lambda no_color_updates=False, d=draw, n=drawn: (
            n.append(True),
            d(no_color_updates),
        )
        set_enabled(b, True)
        assert drawn == [] and b.looks_enabled
        set_enabled(b, False)
        assert len(drawn) == 1 and b.cget("state") == "disabled"
        assert b.looks_enabled is (b is outlined)  # a filled one greys out
        set_enabled(b, False)
        assert len(drawn) == 1
        set_enabled(b, True)
        assert len(drawn) == 2 and b.looks_enabled and b.cget("state") == "normal"
        b.destroy()
