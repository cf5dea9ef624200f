"""The Inference tab in a real window: parameters, preview with histogram, apply, backtest.

Real HTTP to the demo server; the window runs under Xvfb (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_gui_helpers import app_fixture, pump_until, require_display, screenshot

pytestmark = pytest.mark.gui


@pytest.fixture
def win(app: Any) -> Iterator[Any]:
    require_display()
    yield from app_fixture(app)


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
    tab.view_switch._buttons_dict[label].invoke()
    win.update()


def test_preview_histogram_apply_backtest(win: Any, demo: Any, tmp_path: Path) -> None:
    keys = [k for kind in ("artist", "album", "track") for k in demo.lib.keys_of(1, kind)]
    before = {k: demo.lib.rating(k) for k in keys}
    tab = win.tab_objects["inference"]
    win.select_tab("inference")
    pump_until(win, lambda: tab.libraries == ["Music"], 10, "the music libraries")

    tab.param_vars["confidence"].set("abc")
    tab.preview_button.invoke()
    assert tab.job is None  # the bad entry was refused before any job started
    tab.param_vars["confidence"].set("2")
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "the plan")
    plan = tab.preview.plan
    assert len(plan) > 50
    assert tab.chart.bars() == 20  # ten half-star bins, before and after
    assert "inferred" in tab.summary_text() and "track" in tab.summary_text()
    assert win.ctx.settings.tab("inference")["params"]["confidence"] == "2"
    pump_until(win, lambda: tab.preview.shown_rows == min(len(plan), tab.preview.row_cap))
    win.update()
    screenshot("inference")

    tab.preview.apply_button.invoke()
    pump_until(win, lambda: tab.preview.plan is None and not win.busy, 30, "the apply")
    after = {k: demo.lib.rating(k) for k in keys}
    assert all(after[k] == v for k, v in before.items() if v is not None)
    assert sum(after[k] != before[k] for k in keys) == len(plan)

    tab.backtest_button.invoke()
    pump_until(win, lambda: not win.busy and tab.last_backtest is not None, 20, "backtest")
    assert "library mean" in tab.summary_text()
    bt = tab.last_backtest
    assert bt.mae < bt.baselines["library mean"][0]

    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "second plan")
    assert len(tab.preview.plan) == 0
    assert tab.export_report(str(tmp_path / "histogram.csv")) == 10  # the view on screen
    _show(win, tab, "Coverage")
    assert tab.export_report(str(tmp_path / "cov.csv")) == 3
    assert tab.export_ratings(str(tmp_path / "all.csv")) > len(plan)
    win.update()
    screenshot("inference_after")


def test_report_tables_twins_dissenters(win: Any, tmp_path: Path) -> None:
    from ratings_gui.gui.tab_inference import stars_cell
    from ratings_gui.jobs import infer as ij

    tab = win.tab_objects["inference"]
    win.select_tab("inference")
    pump_until(win, lambda: tab.libraries == ["Music"], 10, "the music libraries")
    _show(win, tab, "Twins")
    assert tab.twins_table.empty and tab.twins_table.empty_label.winfo_ismapped()
    assert "Preview" in tab.twins_table.empty_label.cget("text")

    tab.twins_table.row_cap = 20  # a small cap stands in for a large library's 2,000
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "the plan")
    job = tab.job
    _, twins = ij.report_rows("twins", job.items, job.result, job.opts.passes)
    _, dissenters = ij.report_rows("dissenters", job.items, job.result, job.opts.passes)
    assert len(twins) > 20 and len(dissenters) >= 2  # the demo library has both

    # Twins: capped at 20 rows, grouped under one parent row per song, the rest in the CSV.
    table = tab.twins_table
    tree = table.tree
    assert tab.view == "twins" and table.winfo_ismapped()
    pump_until(win, lambda: not table.filling, 5, "the twins rows")
    assert table.shown_rows == 20 and table.total_rows == len(twins)
    assert table.note_label.winfo_ismapped()
    assert table.note_label.cget("text") == f"first 20 of {len(twins):,} shown; export CSV for all"
    assert tab.export_report(str(tmp_path / "twins.csv")) == len(twins)

    table.row_cap = 2000
    tab.show_reports()
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
    assert tab.report_button.cget("text") == "Export twins CSV…"

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
    _show(win, tab, "Dissenters")
    table = tab.dissenters_table
    tree = table.tree
    assert table.winfo_ismapped() and not tab.twins_table.winfo_ismapped()
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
    yours = [float(row[1].rstrip("★")) for row in table.shown_values()]
    assert yours == sorted(yours) and table.shown_values() != shown
    assert tab.export_report(str(tmp_path / "dissenters.csv")) == len(dissenters)
    win.update()
    screenshot("inference_dissenters")

    # Coverage as a table; an empty report says so instead of showing an empty grid.
    _show(win, tab, "Coverage")
    pump_until(win, lambda: not tab.coverage_table.filling, 5, "coverage rows")
    assert [r[0] for r in tab.coverage_table.shown_values()] == ["artist", "album", "track"]
    tab.dissenters_table.set_rows([])
    _show(win, tab, "Dissenters")
    assert tab.dissenters_table.empty_label.winfo_ismapped()
    assert tab.dissenters_table.empty_label.cget("text").startswith("No dissenters")
    assert not tab.dissenters_table.tree.winfo_ismapped()
    win.update()
    screenshot("inference_empty")

    # Dark mode: ttk ignores customtkinter's mode; the window restyles the tables, group rows too.
    import customtkinter as ctk

    from ratings_gui.gui.widgets import _DARK

    _show(win, tab, "Twins")
    light_chart = tab.chart.cget("background")
    ctk.set_appearance_mode("dark")
    try:
        tree = tab.twins_table.tree
        pump_until(
            win,
            lambda: str(tree.tag_configure("group", "background")) == _DARK["group_bg"],
            5,
            "the dark group rows",
        )
        win.update()
        screenshot("inference_twins_dark")
        _show(win, tab, "Histogram")
        pump_until(win, lambda: tab.chart.cget("background") != light_chart, 5, "a dark chart")
        win.update()
        screenshot("inference_histogram_dark")
    finally:
        ctk.set_appearance_mode("light")
        win.update()


def test_import_ratings_csv_through_the_tab(win: Any, demo: Any, tmp_path: Path) -> None:
    """Export the ratings, edit three in a spreadsheet's way, import: preview, apply, server state."""
    import csv

    tab = win.tab_objects["inference"]
    win.select_tab("inference")
    pump_until(win, lambda: tab.libraries == ["Music"], 10, "the music libraries")
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "the plan")
    src = tmp_path / "ratings.csv"
    assert tab.export_ratings(str(src)) > 10
    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    edited = {}
    for r in [r for r in rows if r["kind"] == "track"][:2] + [
        r for r in rows if r["kind"] == "album"
    ][:1]:
        r["stars"] = "1.5" if r["stars"] != "1.5" else "4.5"
        edited[int(r["key"])] = float(r["stars"]) * 2
    rows.append({**rows[0], "kind": "podcast", "key": ""})  # a row the import cannot use
    with open(src, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)

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
    assert {int(c.target): c.new for c in plan.changes} == edited
    unused = tmp_path / "ratings-unused.csv"
    assert unused.exists() and "podcast" in unused.read_text(encoding="utf-8")
    pump_until(win, lambda: tab.preview.shown_rows == len(edited), 10, "the import rows")
    win.update()
    screenshot("inference_import")
    tab.preview.apply_button.invoke()
    pump_until(win, lambda: tab.preview.plan is None and not win.busy, 20, "the import apply")
    assert {k: demo.lib.rating(k) for k in edited} == edited
    run = win.ctx.journal.runs()[0]
    assert run.job == "ratings-import" and run.applied == len(edited)
