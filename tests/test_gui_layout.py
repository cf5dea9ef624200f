"""The window at the sizes laptops have: the plan is the main thing on every job tab.

One demo session (its folder with music and sample exports, as ``--demo``
makes it); every job tab at 1040x640 and 1366x768 before a preview (its
Export/Apply/Discard row inside the window), then one preview per job tab
and the window at both sizes, light and dark: every job tab shows at least
8 plan rows and its whole action row, the Item column is the widest, a cut
cell and a long status line keep their whole text in a tooltip, the
Inference charts' captions and axes are inside. Every tab is saved as a
screenshot in ``artifacts/`` (``tab-NAME-WxH-MODE[-before].png``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_gui_helpers import ARTIFACTS, app_fixture, pump_until, require_display

pytestmark = pytest.mark.gui

JOB_TABS = ("import", "tags", "base_rating", "inference")
SIZES = ((1040, 640, "light"), (1366, 768, "light"), (1366, 768, "dark"))


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Any]:
    from ratings_gui.demo.session import DemoSession

    with DemoSession(tracks=300, movies=40, shows=4, folder=tmp_path / "demo") as demo:
        yield demo


@pytest.fixture
def win(session: Any, tmp_path: Path) -> Iterator[Any]:
    from ratings_gui.context import AppContext
    from ratings_gui.plex.connection import connect_direct

    require_display()
    ctx = AppContext.open(tmp_path / "home", plextv_base=session.url)
    ctx.demo = session.server
    ctx.demo_folder = session.folder
    ctx.set_connection(connect_direct(session.url, session.token))
    ctx.library = "Music"
    session.prefill(ctx.settings)
    try:
        for w in app_fixture(ctx):
            pump_until(w, lambda w=w: bool(w.plex_tab.libraries) and not w.busy, 20, "libraries")
            yield w
    finally:
        import customtkinter as ctk

        ctk.set_appearance_mode("light")
        ctx.set_plextv(None)
        ctx.close()


def visible_rows(tree: Any) -> int:
    """Rows of a Treeview the user sees whole (not scrolled away, not cut at the bottom)."""
    height = tree.winfo_height()
    n = 0
    for iid in tree.get_children():
        box = tree.bbox(iid)
        if not box or box[1] + box[3] > height:
            break
        n += 1
    return n


def inside(widget: Any, win: Any) -> bool:
    """The widget is on screen within the window (not cut off at the bottom or right)."""
    return bool(widget.winfo_ismapped()) and (
        widget.winfo_rooty() + widget.winfo_height() <= win.winfo_rooty() + win.winfo_height()
        and widget.winfo_rootx() + widget.winfo_width() <= win.winfo_rootx() + win.winfo_width()
    )


def action_row_cut(preview: Any, win: Any) -> list[str]:
    """The plan's action buttons (Export, Apply, Discard) that are not wholly in the window."""
    buttons = (preview.export_button, preview.apply_button, preview.discard_button)
    offer = getattr(win, "backup_offer", None)
    return [b.cget("text") for b in buttons if not inside(b, win) or covers(offer, b)]


def covers(top: Any, widget: Any) -> bool:
    """``top`` (a placed bar) lies over part of ``widget``."""
    if top is None or not top.winfo_exists() or not top.winfo_ismapped():
        return False
    ax, ay = top.winfo_rootx(), top.winfo_rooty()
    bx, by = widget.winfo_rootx(), widget.winfo_rooty()
    return (
        ax < bx + widget.winfo_width()
        and bx < ax + top.winfo_width()
        and ay < by + widget.winfo_height()
        and by < ay + top.winfo_height()
    )


def window_shot(win: Any, name: str) -> Path | None:
    """Save just the window to ``artifacts/<name>.png``."""
    if not shutil.which("import") or not os.environ.get("DISPLAY"):
        return None
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / f"{name}.png"
    crop = f"{win.winfo_width()}x{win.winfo_height()}+{win.winfo_rootx()}+{win.winfo_rooty()}"
    subprocess.run(
        ["import", "-window", "root", "-crop", crop, "+repage", str(out)], check=False, timeout=20
    )
    return out


def preview_all(win: Any) -> None:
    """One preview per job tab, through its own Preview button."""
    for name in JOB_TABS:
        tab = win.tab_objects[name]
        win.select_tab(name)
        pump_until(win, lambda tab=tab: bool(getattr(tab, "libraries", True)), 10, "libraries")
        tab.preview_button.invoke()
        pump_until(
            win, lambda tab=tab: tab.preview.plan is not None and not win.busy, 40, f"{name} plan"
        )
        assert len(tab.preview.plan) >= 8, name


def before_preview(win: Any) -> None:
    """Every job tab before a preview: the action row is inside the window at both sizes."""
    for w, h in ((1366, 768), (1040, 640)):
        win.geometry(f"{w}x{h}+0+0")
        for name in JOB_TABS:
            tab = win.tab_objects[name]
            win.select_tab(name)
            win.pump(lambda: False, 0.25)
            # a tab's first showing is built a part a Tk turn: on a busy machine 0.25 s may
            # not be all of them
            pump_until(win, lambda t=tab: not t.building, 10, f"{name}'s parts")
            preview = tab.make_preview()
            pump_until(win, preview.winfo_ismapped, 5, f"{name} at {w}x{h}: the plan area")
            assert not action_row_cut(preview, win), f"{name} at {w}x{h} before a preview"
            window_shot(win, f"tab-{name}-{w}x{h}-light-before")


def inference_views_fit(win: Any) -> None:
    """The Inference reports at 1040x640: the chart's lowest label and the tables' rows are
    inside the window, the plan's Apply too when the view comes back."""
    tab = win.tab_objects["inference"]
    win.select_tab("inference")
    views = tab.report_views
    for label in ("Histogram", "Counts", "Same songs", "Far from album"):
        views.show_view(label)
        win.pump(lambda: False, 0.3)
        if label == "Histogram":
            chart = views.chart
            assert chart.winfo_height() >= 140 and inside(chart, win), "the chart is cut"
            items = chart.find_all()
            lowest = max(chart.bbox(i)[3] for i in items if chart.bbox(i))
            assert lowest <= chart.winfo_height(), "the x-axis labels are cut"
        window_shot(win, f"inference-{label.lower().replace(' ', '_')}-1040x640")
    views.show_view("Plan")
    win.pump(lambda: False, 0.2)
    assert not action_row_cut(tab.preview, win)


def long_texts_keep_their_words(win: Any) -> None:
    """A long status is one line ending in "…", its tooltip all of it; a cut Item cell too;
    the Item column is the widest."""
    from ratings_gui.gui.widgets import elide

    status = "Done with errors: Tags sync: " + "a very long account of what happened · " * 8
    win.set_status(status)
    win.pump(lambda: False, 0.2)
    label = win.progress.phase
    assert label.cget("text") == status and label.tooltip_text == status
    assert label.shown_text.endswith("…") and "\n" not in label.shown_text
    assert inside(label, win) and label.winfo_height() < 40, "the status line is one line"
    assert elide("abc", 1000, len) == "abc"
    tags = win.tab_objects["tags"]
    win.select_tab("tags")
    win.pump(lambda: False, 0.3)
    tree = tags.preview.tree
    widths = {c: int(tree.column(c, "width")) for c in ("item", "field", "old", "new", "reason")}
    assert widths["item"] == max(widths.values()) and widths["item"] >= 400, widths
    tips = tags.preview.table.cell_tips
    for iid in tree.get_children()[:20]:
        text = str(tree.item(iid, "values")[0])
        cut = tips.cut_text(iid, "#1")
        assert cut in ("", text)  # a cut cell's tooltip holds its whole text


def test_every_job_tab_shows_its_plan_at_laptop_sizes(win: Any, session: Any) -> None:
    import customtkinter as ctk

    tags = win.tab_objects["tags"]
    assert tags.rules_text() == session.mapping_rule, "the demo fills in the Tags mapping"
    assert win.header.demo.cget("text").startswith("Demo files: ")
    assert str(session.folder) in win.header.demo.tooltip_text
    before_preview(win)
    win.geometry("1366x768+0+0")
    preview_all(win)
    for w, h, mode in SIZES:
        ctk.set_appearance_mode(mode)
        win.geometry(f"{w}x{h}+0+0")
        for name, tab in win.tab_objects.items():
            win.select_tab(name)
            win.pump(lambda: False, 0.25)  # the tab switch settles, the rows are drawn
            if name in JOB_TABS:
                preview = tab.preview
                pump_until(win, lambda p=preview: not p.filling, 10, "rows")
                rows = visible_rows(preview.tree)
                assert rows >= 8, f"{name} at {w}x{h}: {rows} plan rows"
                assert not action_row_cut(preview, win), f"{name} at {w}x{h}: action row cut"
            window_shot(win, f"tab-{name}-{w}x{h}-{mode}")
        if (w, h, mode) == (1040, 640, "light"):
            inference_views_fit(win)
            long_texts_keep_their_words(win)
            history_columns_fit(win)


def history_columns_fit(win: Any) -> None:
    """At 1040x640 every column of History's runs table is inside the table and its heading
    fits its column (the Undone column was cut off, the Started time cut to "08:4")."""
    from tkinter import font as tkfont

    win.select_tab("history")
    win.pump(lambda: False, 0.25)
    tree = win.history_tab.runs_tree
    heading = tkfont.Font(font=("TkDefaultFont", 10, "bold"))
    widths = {c: int(tree.column(c, "width")) for c in tree["columns"]}
    assert sum(widths.values()) <= tree.winfo_width(), (widths, tree.winfo_width())
    for c, width in widths.items():
        assert heading.measure(tree.heading(c, "text")) + 8 <= width, (c, width)
    cell = tkfont.nametofont("TkDefaultFont")
    assert cell.measure("2026-12-07 08:52") + 8 <= widths["time"]
    assert cell.measure("done with errors") + 8 <= widths["status"]


def test_the_window_opens_inside_a_laptop_screen() -> None:
    """The default size fits 1366x768 with a taskbar; a size remembered on a large monitor
    shrinks to the screen instead of opening off its edge."""
    from ratings_gui.gui.app import DEFAULT_GEOMETRY, MIN_SIZE, fit_geometry

    assert fit_geometry(DEFAULT_GEOMETRY, 1366, 768) == DEFAULT_GEOMETRY
    w, h = (int(v) for v in DEFAULT_GEOMETRY.split("x"))
    assert w <= 1366 - 20 and h <= 768 - 80
    assert fit_geometry("1900x1000+600+300", 1366, 768) == "1346x688+20+80"
    assert fit_geometry("800x500", 1366, 768) == f"{MIN_SIZE[0]}x{MIN_SIZE[1]}"
    assert fit_geometry("nonsense", 1366, 768) == DEFAULT_GEOMETRY
