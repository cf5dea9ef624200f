"""The Inference tab in a real window: parameters, preview with histogram, apply, backtest.

Real HTTP to the demo server; the window runs under Xvfb (tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_gui_helpers import (
    click,
    close_app,
    open_app,
    pump_until,
    screenshot,
)

pytestmark = pytest.mark.gui


def _click_heading(tree: Any, column: str) -> None:
    """Press and release the mouse on a column header, as a person sorting the table would."""
    x = tree.column("#0", "width") if "tree" in str(tree.cget("show")) else 0
    for cid in tree.cget("columns"):
        if cid == column:
            break
        x += tree.column(cid, "width")
    x += 12
    y = 10
    assert tree.identify_region(x, y) == "heading", tree.identify_region(x, y)
    assert tree.identify_column(x) == f"#{list(tree.cget('columns')).index(column) + 1}"
    tree.event_generate("<ButtonPress-1>", x=x, y=y)
    tree.event_generate("<ButtonRelease-1>", x=x, y=y)


def _show(win: Any, tab: Any, label: str) -> None:
    """Click a segment of the report switch (its buttons are CTkButtons; invoke = click)."""
    tab.report_views.view_switch._buttons_dict[label].invoke()
    win.update()


def test_preview_histogram_apply_backtest(win: Any, demo: Any, tmp_path: Path) -> None:
    keys = [k for kind in ("artist", "album", "track") for k in demo.lib.keys_of(1, kind)]
    before = {k: demo.lib.rating(k) for k in keys}
    tab = win.tab_objects["inference"]
    views, tuning = tab.report_views, tab.tuning
    win.select_tab("inference")
    pump_until(win, lambda: tab.libraries == ["Music"] and not win.busy, 20, "the music libraries")

    tuning.param_vars["confidence"].set("abc")
    tab.preview_button.invoke()
    assert tab.job is None  # the bad entry was refused before any job started
    tuning.param_vars["confidence"].set("2")
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "the plan")
    plan = tab.preview.plan
    assert len(plan) > 50
    assert views.chart.bars() == 20  # ten half-star bins, before and after
    assert "inferred" in views.summary_text() and "track" in views.summary_text()
    assert win.app.settings.tab("inference")["params"]["confidence"] == "2"
    pump_until(win, lambda: tab.preview.shown_rows == min(len(plan), tab.preview.row_cap))
    win.update()
    screenshot("inference")

    tab.preview.apply_button.invoke()
    pump_until(win, lambda: tab.preview.plan is None and not win.busy, 30, "the apply")
    after = {k: demo.lib.rating(k) for k in keys}
    assert all(after[k] == v for k, v in before.items() if v is not None)
    assert sum(after[k] != before[k] for k in keys) == len(plan)

    tab.backtest_button.invoke()
    pump_until(win, lambda: not win.busy and views.accuracy.last is not None, 20, "backtest")
    bt = views.accuracy.last
    assert bt.mae < bt.baselines["library mean"][0]
    # the backtest view: one plain sentence, one bar per method, the calibration points
    assert views.view == "backtest" and views.views["backtest"].winfo_ismapped()
    assert views.accuracy.sentence.cget("text") == bt.sentence()
    assert "off by" in bt.sentence() and "a plain album average is off by" in bt.sentence()
    assert (
        views.accuracy.chart.bars() == 4 and views.accuracy.chart.dots() == len(bt.calibration) >= 3
    )
    assert "of your ratings guessed back" in views.view_note.cget("text")
    assert views.export_report(str(tmp_path / "bt.csv")) == 4 + len(bt.calibration)
    win.update()
    screenshot("inference_backtest")

    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "second plan")
    assert len(tab.preview.plan) == 0
    _show(win, tab, "Histogram")
    assert views.export_report(str(tmp_path / "histogram.csv")) == 10  # the view on screen
    _show(win, tab, "Counts")
    assert views.export_report(str(tmp_path / "cov.csv")) == 3
    assert tab.export_ratings(str(tmp_path / "all.csv")) > len(plan)
    win.update()
    screenshot("inference_after")


def test_report_tables_twins_dissenters(win: Any, tmp_path: Path) -> None:
    from ratings_gui.gui.inference_reports import stars_cell
    from ratings_gui.jobs import infer as ij

    tab = win.tab_objects["inference"]
    views = tab.report_views
    win.select_tab("inference")
    pump_until(win, lambda: tab.libraries == ["Music"] and not win.busy, 20, "the music libraries")
    _show(win, tab, "Same songs")
    assert views.twins_table.empty and views.twins_table.empty_label.winfo_ismapped()
    assert "Preview" in views.twins_table.empty_label.cget("text")

    views.twins_table.row_cap = 20  # a small cap stands in for a large library's 2,000
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "the plan")
    job = tab.job
    _, twins = ij.report_rows("twins", job.items, job.result, job.opts.passes)
    _, dissenters = ij.report_rows("dissenters", job.items, job.result, job.opts.passes)
    assert len(twins) > 20 and len(dissenters) >= 2  # the demo library has both

    # A preview shows its plan; the twins are one click away.
    assert views.view == "plan" and tab.preview.winfo_ismapped()
    _show(win, tab, "Same songs")
    # Twins: capped at 20 rows, grouped under one parent row per song, the rest in the CSV.
    table = views.twins_table
    tree = table.tree
    assert views.view == "twins" and table.winfo_ismapped()
    pump_until(win, lambda: not table.filling, 5, "the twins rows")
    assert table.shown_rows == 20 and table.total_rows == len(twins)
    assert table.note_label.winfo_ismapped()
    assert table.note_label.cget("text") == f"first 20 of {len(twins):,} shown; export CSV for all"
    assert views.export_report(str(tmp_path / "twins.csv")) == len(twins)

    table.row_cap = 2000
    views.show_reports()
    pump_until(win, lambda: not table.filling, 5, "all twins rows")
    assert not table.note_label.winfo_ismapped()
    shown = table.shown_values()
    assert len(shown) == table.shown_rows == len(twins)
    assert len(tree.get_children()) == len(job.result.twins)  # one parent row per group
    sample = twins[len(twins) // 2]
    assert ("", sample[2], str(sample[3]), stars_cell(sample[4]), stars_cell(sample[5])) in shown
    parent = tree.get_children()[0]
    assert "group" in tree.item(parent, "tags")
    assert "albums)" in tree.item(parent, "values")[1]
    assert views.report_button.cget("text") == "Export same songs CSV…"

    before = [r[3] for r in table.rows]
    _click_heading(tree, "seconds")
    pump_until(win, lambda: not table.filling, 5, "the sorted twins")
    after = [r[3] for r in table.rows]
    assert after != before and sorted(after) == sorted(before)
    assert tree.heading("seconds", "text") == "Seconds ▲"
    firsts = [tree.get_children(g)[0] for g in tree.get_children()]
    secs = [int(tree.item(i, "values")[2]) for i in firsts]
    assert secs == sorted(secs)  # groups follow their shortest track
    for g in tree.get_children():
        inside = [int(tree.item(i, "values")[2]) for i in tree.get_children(g)]
        assert inside == sorted(inside)
    tree.selection_set(tree.get_children()[1])  # a selected parent row must stay readable
    win.update()
    screenshot("inference_twins")

    # Dissenters: largest gap first, a header click sorts by your stars.
    _show(win, tab, "Far from album")
    table = views.dissenters_table
    tree = table.tree
    assert table.winfo_ismapped() and not views.twins_table.winfo_ismapped()
    pump_until(win, lambda: not table.filling, 5, "the dissenters rows")
    shown = table.shown_values()
    assert len(shown) == len(dissenters)
    gaps = [float(row[3].rstrip("★")) for row in shown]
    assert gaps == sorted(gaps, reverse=True)
    first = dissenters[0]
    assert shown[0][:3] == (first[1], stars_cell(first[2]), stars_cell(first[3]))
    assert tree.heading("gap", "text") == "Gap ▼"
    _click_heading(tree, "yours")
    pump_until(win, lambda: not table.filling, 5, "the sorted dissenters")
    yours = [float(row[1].split()[-1].rstrip("★")) for row in table.shown_values()]
    assert yours == sorted(yours) and table.shown_values() != shown
    assert views.export_report(str(tmp_path / "dissenters.csv")) == len(dissenters)
    win.update()
    screenshot("inference_dissenters")

    # Coverage as a table; an empty report says so instead of showing an empty grid.
    _show(win, tab, "Counts")
    pump_until(win, lambda: not views.coverage_table.filling, 5, "coverage rows")
    assert [r[0] for r in views.coverage_table.shown_values()] == ["artist", "album", "track"]
    views.dissenters_table.set_rows([])
    _show(win, tab, "Far from album")
    assert views.dissenters_table.empty_label.winfo_ismapped()
    assert views.dissenters_table.empty_label.cget("text").startswith("Every track you rated")
    assert not views.dissenters_table.tree.winfo_ismapped()
    win.update()
    screenshot("inference_empty")

    # Dark mode: ttk ignores customtkinter's mode; the window restyles the tables, group rows too.
    import customtkinter as ctk

    from ratings_gui.gui.widgets import _DARK

    _show(win, tab, "Same songs")
    light_chart = views.chart.cget("background")
    ctk.set_appearance_mode("dark")
    try:
        tree = views.twins_table.tree
        pump_until(
            win,
            lambda: str(tree.tag_configure("group", "background")) == _DARK["group_bg"],
            5,
            "the dark group rows",
        )
        win.update()
        screenshot("inference_twins_dark")
        _show(win, tab, "Histogram")
        pump_until(win, lambda: views.chart.cget("background") != light_chart, 5, "a dark chart")
        win.update()
        screenshot("inference_histogram_dark")
        # the backtest chart follows the mode too (a plain Canvas, recoloured with the other)
        assert views.accuracy.chart.cget("background") == views.chart.cget("background")
    finally:
        ctk.set_appearance_mode("light")
        win.update()


def test_import_ratings_csv_through_the_tab(win: Any, demo: Any, tmp_path: Path) -> None:
    """Export the ratings, edit three in a spreadsheet's way, import: preview, apply, server state."""
    import csv

    tab = win.tab_objects["inference"]
    win.select_tab("inference")
    pump_until(win, lambda: tab.libraries == ["Music"] and not win.busy, 20, "the music libraries")
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "the plan")
    src = tmp_path / "ratings.csv"
    assert tab.export_ratings(str(src)) > 10
    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    edited = {}
    own = set()
    # two of your own track ratings, and a guess for an album nobody rated
    for r in [r for r in rows if r["kind"] == "track" and r["source"] == "own"][:2]:
        r["stars"] = "1.5" if r["stars"] != "1.5" else "4.5"
        edited[int(r["key"])] = float(r["stars"]) * 2
        own.add(int(r["key"]))
    album = next(k for k in demo.lib.keys_of(1, "album") if demo.lib.rating(k) is None)
    it = demo.lib.items[album]
    rows.append({**rows[0], "kind": "album", "key": str(album), "title": it.title,
                 "artist": demo.lib.items[it.parent_key].title, "stars": "1",
                 "source": "inferred"})  # fmt: skip
    edited[album] = 2.0
    rows.append({**rows[0], "kind": "podcast", "key": ""})  # a row the import cannot use
    with open(src, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    before = {k: demo.lib.rating(k) for k in edited}

    assert tab.import_ratings(str(src))
    pump_until(
        win,
        lambda: (
            not win.busy
            and tab.preview.plan is not None
            and tab.preview.plan.job == "ratings-import"
        ),
        20,
        "the import plan",
    )
    plan = tab.preview.plan
    # an edited row over a rating you gave is kept (and listed); the others are written
    written = {k: v for k, v in edited.items() if k not in own}
    assert own and {int(c.target): c.new for c in plan.changes} == written
    unused = tmp_path / "ratings-unused.csv"
    assert unused.exists() and "podcast" in unused.read_text(encoding="utf-8")
    pump_until(win, lambda: tab.preview.shown_rows == len(edited), 10, "the import rows")
    win.update()
    screenshot("inference_import")
    tab.preview.apply_button.invoke()
    pump_until(win, lambda: tab.preview.plan is None and not win.busy, 20, "the import apply")
    assert {k: demo.lib.rating(k) for k in edited} == {
        k: (before[k] if k in own else v) for k, v in edited.items()
    }
    run = win.app.journal.runs()[0]
    assert run.job == "ratings-import" and run.applied == len(edited) - len(own)


#: The classic formula's track pull as the grid names it.
TRACK_PULL = "Pull unrated tracks to your average"


def test_parameters_fold_and_unfold(win: Any) -> None:
    """The parameter grid starts folded; the toggle opens and folds it, the reports get its
    height, a bad value unfolds it."""
    from ratings_gui.gui import inference_tuning as ti
    from ratings_gui.gui.widgets import ERROR_COLOR

    tab = win.tab_objects["inference"]
    views, tuning = tab.report_views, tab.tuning
    win.select_tab("inference")
    pump_until(win, lambda: tab.libraries == ["Music"] and not win.busy, 20, "the music libraries")
    # folded on first start: the plan gets the height
    assert not tuning.params_open and not tuning.param_grid.winfo_ismapped()
    assert tuning.params_toggle.cget("text") == ti.FOLDED_TEXT
    assert "params_folded" not in win.app.settings.tab("inference")
    click(win, tuning.params_toggle)
    assert tuning.params_open and tuning.param_grid.winfo_ismapped()
    assert tuning.params_toggle.cget("text") == ti.OPEN_TEXT
    assert win.app.settings.tab("inference")["params_folded"] is False

    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "the plan")
    _show(win, tab, "Same songs")
    pump_until(win, lambda: not views.twins_table.filling, 5, "the twins rows")
    table_before = views.twins_table.winfo_height()
    menu_x = tab.library_menu.winfo_rootx()

    click(win, tuning.params_toggle)
    assert not tuning.params_open and not tuning.param_grid.winfo_ismapped()
    assert tuning.params_toggle.cget("text") == ti.FOLDED_TEXT
    assert tab.library_menu.winfo_ismapped() and tab.preview_button.winfo_ismapped()
    assert tab.library_menu.winfo_rootx() == menu_x  # the row above does not shift sideways
    assert win.app.settings.tab("inference")["params_folded"] is True
    # the settings open in their own window: the reports kept their height all along
    assert views.twins_table.winfo_height() >= table_before - 2
    assert tuning.params_note.cget("text") == "all at their defaults"
    win.update()
    screenshot("inference_folded")

    # Folded, a Preview keeps it folded: the state is the user's.
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "the plan")
    assert not tuning.param_grid.winfo_ismapped()

    # A bad value is still caught: refused, the grid unfolds and the field is red.
    tuning.method_var.set("Classic formula")  # the pull is the classic formula's setting
    tuning.param_vars["track_gravity"].set("1.5")
    assert f"{TRACK_PULL} '1.5' (not valid)" in tuning.params_note.cget("text")
    tab.job = None
    tab.backtest_button.invoke()
    win.update()
    assert not win.busy and tab.job is None  # refused before any job started
    assert tuning.params_open and tuning.param_grid.winfo_ismapped()
    assert win.app.settings.tab("inference")["params_folded"] is False
    entry = tuning.param_entries["track_gravity"]
    assert tuning.bad_param == "track_gravity" and entry.cget("border_color") == ERROR_COLOR
    assert win.progress.message.cget("text") == f"{TRACK_PULL} is between 0 and 1, not '1.5'"
    win.update()
    screenshot("inference_bad_value")
    tuning.param_vars["track_gravity"].set("0.5")  # fixing it clears the red
    assert tuning.bad_param is None and entry.cget("border_color") != ERROR_COLOR

    # Folded again, a changed value is named in the folded line; the state survives a restart.
    click(win, tuning.params_toggle)
    assert tuning.params_note.cget("text") == f"changed: {TRACK_PULL} 0.5"
    assert win.app.settings.tab("inference")["params_folded"] is True
    win.close()
    again, errors = open_app(win.app)
    try:
        again.select_tab("inference")
        again.update()
        tuning = again.tab_objects["inference"].tuning
        assert not tuning.params_open and not tuning.param_grid.winfo_ismapped()
        assert tuning.params_note.winfo_ismapped()
        assert tuning.params_note.cget("text") == f"changed: {TRACK_PULL} 0.5"
    finally:
        close_app(again, errors)


def test_main_tab_bar_readable_in_light_mode(win: Any) -> None:
    """The main tab bar: dark text on light grey in light mode, the theme's colours in dark mode."""
    import customtkinter as ctk

    from ratings_gui.gui.widgets import SEGMENT_COLORS

    bar = win.tabs._segmented_button
    tab = win.tab_objects["inference"]
    win.select_tab("inference")
    pump_until(win, lambda: tab.libraries == ["Music"] and not win.busy, 20, "the music libraries")
    unselected = bar._buttons_dict["Plex"]
    assert tuple(unselected.cget("fg_color")) == SEGMENT_COLORS["unselected_color"]
    assert tuple(unselected.cget("text_color")) == SEGMENT_COLORS["text_color"]
    light_text = unselected._apply_appearance_mode(unselected.cget("text_color"))
    light_fill = unselected._apply_appearance_mode(unselected.cget("fg_color"))
    assert _contrast(win, light_text, light_fill) >= 7  # the theme's light mode: about 2
    screenshot("tab_bar_light")
    ctk.set_appearance_mode("dark")
    try:
        win.update()
        dark_text = unselected._apply_appearance_mode(unselected.cget("text_color"))
        dark_fill = unselected._apply_appearance_mode(unselected.cget("fg_color"))
        assert _contrast(win, dark_text, dark_fill) >= 4.5
        theme = ctk.ThemeManager.theme["CTkSegmentedButton"]
        assert (dark_text, dark_fill) == (theme["text_color"][1], theme["unselected_color"][1])
        screenshot("tab_bar_dark")
    finally:
        ctk.set_appearance_mode("light")
        win.update()


def _contrast(win: Any, fg: str, bg: str) -> float:
    """WCAG contrast ratio of two Tk colours (1 to 21)."""

    def lum(colour: str) -> float:
        chans = [c / 65535 for c in win.winfo_rgb(colour)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in chans]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _show_only(win: Any, name: str) -> None:
    """Select a tab and wait until it alone is on screen (CTkTabview hides the others 100 ms later)."""
    import time

    win.select_tab(name)
    end = time.monotonic() + 5
    while time.monotonic() < end:
        win.update()
        mapped = [n for n, t in win.tab_objects.items() if t.frame.winfo_ismapped()]
        if mapped == [name]:
            return
        time.sleep(0.02)
    raise AssertionError(f"{name}: on screen {mapped}")


def test_no_control_is_cut_off_at_the_minimum_window_size(win: Any) -> None:
    """At the smallest size the window allows, every tab's controls fit (Inference is widest)."""
    min_w, min_h = (int(v) for v in win.tk.call("wm", "minsize", win._w))
    win.geometry(f"{min_w}x{min_h}")
    for name, tab in win.tab_objects.items():
        _show_only(win, name)
        assert win.winfo_width() <= min_w + 2  # the window really is at its smallest
        edge = min(
            tab.frame.winfo_rootx() + tab.frame.winfo_width(),
            win.winfo_rootx() + win.winfo_width(),
        )
        cut = []
        todo = list(tab.frame.winfo_children())
        while todo:
            w = todo.pop()
            todo.extend(w.winfo_children())
            if w.winfo_ismapped() and w.winfo_rootx() + w.winfo_width() > edge + 1:
                cut.append(str(w.cget("text")) if "text" in set(w.keys()) else str(w))
        assert not cut, (name, cut[:10])
    _show_only(win, "inference")
    screenshot("inference_min_width")


def test_method_filler_and_sure_within_options(win: Any, demo: Any) -> None:
    """The engine menu, 'leave filler unrated' and 'sure within' reach the plan and are kept."""
    from ratings_gui.core import inference as inf

    tab = win.tab_objects["inference"]
    views, tuning = tab.report_views, tab.tuning
    win.select_tab("inference")
    pump_until(win, lambda: tab.libraries == ["Music"] and not win.busy, 20, "the music libraries")

    def preview() -> Any:
        tab.preview.plan = None
        tab.preview_button.invoke()
        pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "the plan")
        return tab.preview.plan

    fitted = preview()
    assert fitted.options["params"]["method"] == "fitted" and fitted.counts[inf.FILLER] == 0
    assert all(c.reason.startswith("±") for c in fitted.changes)  # the preview shows how sure
    assert "What it learned from your ratings:" in views.summary_text()
    spreads = sorted(tab.job.result.values[int(c.target)].spread for c in fitted.changes)

    tuning.method_var.set("Classic formula")
    tuning.filler_var.set(True)
    assert "track_gravity" in tuning.shown_fields() and "sure_within" not in tuning.shown_fields()
    classic = preview()
    assert classic.options["params"]["method"] == "classic"
    assert classic.options["params"]["keep_filler_unrated"] == "yes"

    tuning.method_var.set("Fitted to your ratings")
    tuning.filler_var.set(True)
    cut = spreads[len(spreads) // 2] / 2  # stars: about half the values are this sure
    tuning.param_vars["sure_within"].set(f"{cut:.2f}")
    sure = preview()
    assert 0 < len(sure) < len(fitted) and sure.counts[inf.NOT_SURE] > 0
    assert sure.counts[inf.FILLER] > 0  # filler left unrated, as asked
    saved = win.app.settings.tab("inference")["params"]
    assert saved["method"] == "fitted" and saved["sure_within"] == f"{float(f'{cut:.2f}'):g}"
