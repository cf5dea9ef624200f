"""Issue 15, point by point, in a real window against the demo server (Xvfb, real clicks).

Each test names the numbered point it proves; the layout at laptop sizes
(point 2) is in ``test_gui_layout.py``, the needs-review choice (point 3)
in ``test_gui_import.py``.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_gui_helpers import app_fixture, history_shown, pump_until, require_display, screenshot

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def win(app: Any) -> Iterator[Any]:
    require_display()
    for w in app_fixture(app):
        pump_until(w, lambda w=w: bool(w.plex_tab.libraries) and not w.busy, 20, "libraries")
        yield w


def idle(win: Any, what: str = "the job") -> None:
    pump_until(win, lambda: not win.busy, 30, what)


# --- 1. the demo: one folder, named, removed at the end -------------------------------------


def test_1_standalone_demo_prints_its_folder_and_removes_it() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ratings_gui.demo", "--tracks", "40"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line.rstrip())
            if "letterboxd-near-misses.csv" in line:
                break
        text = "\n".join(lines)
        folder = Path(next(ln for ln in lines if ln.startswith("Demo files")).split(": ", 1)[1])
        assert f"Music files: {folder / 'music'}" in text
        assert f"Tags mapping: /data/music={folder / 'music'}" in text
        assert f"Sample exports: {folder / 'exports'}" in text
        names = {p.name for p in (folder / "exports").iterdir()}
        assert names == {
            "imdb-ratings.csv",
            "imdb-ratings-2016.csv",
            "letterboxd-export.zip",
            "letterboxd-near-misses.csv",
        }
        assert any((folder / "music").rglob("*.flac")) or any((folder / "music").rglob("*.mp3"))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
    assert not folder.exists(), "the demo's folder is removed when it ends"


@pytest.fixture
def demo_win(tmp_path: Path) -> Iterator[Any]:
    """The window as ``--demo`` opens it: one session folder, mapping and exports filled in."""
    from ratings_gui.context import AppContext
    from ratings_gui.demo.session import DemoSession
    from ratings_gui.plex.connection import connect_direct

    require_display()
    with DemoSession(tracks=120, movies=30, shows=3, folder=tmp_path / "demo") as demo:
        ctx = AppContext.open(tmp_path / "home", plextv_base=demo.url)
        ctx.demo, ctx.demo_folder = demo.server, demo.folder
        ctx.set_connection(connect_direct(demo.url, demo.token))
        ctx.library = "Music"
        demo.prefill(ctx.settings)
        try:
            for w in app_fixture(ctx):
                pump_until(w, lambda w=w: bool(w.plex_tab.libraries) and not w.busy, 20, "libs")
                w.demo_session = demo
                yield w
        finally:
            ctx.set_plextv(None)
            ctx.close()


def test_1_demo_samples_import_and_the_mapping_is_found_from_an_empty_box(
    demo_win: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tkinter import filedialog

    win, demo = demo_win, demo_win.demo_session
    imp = win.tab_objects["import"]
    assert imp.path_var.get() == str(demo.exports["imdb"])
    imp.path_var.set("")
    assert imp.start_folder() == demo.folder / "exports", "Choose… opens at the samples"

    # Every sample reads; the near misses land in Needs review.
    win.select_tab("import")
    for key in ("imdb", "imdb_legacy", "letterboxd", "near_misses"):
        imp.path_var.set(str(demo.exports[key]))
        imp.preview_button.invoke()
        pump_until(win, lambda: imp.plan is not None and not win.busy, 30, key)
        assert len(imp.plan) + len(imp.review.review_items) > 0, key
    assert len(imp.review.review_items) >= 2
    assert imp.review.candidate_tree.selection(), "the best candidate is shown selected"

    tags = win.tab_objects["tags"]
    win.select_tab("tags")
    pump_until(win, lambda: tags.libraries == ["Music"], 10, "the music libraries")
    assert tags.rules_text() == demo.mapping_rule
    # An empty box: Test mapping asks where the music is and finds the rule itself.
    tags.set_rules("")
    asked: list[str] = []

    def ask(**kw: Any) -> str:
        asked.append(kw.get("initialdir", ""))
        return str(demo.music)

    monkeypatch.setattr(filedialog, "askdirectory", ask)
    tags.test_button.invoke()
    idle(win, "the mapping test")
    assert asked == [str(demo.music)], "the folder dialog opens at the demo's music"
    suggestion = str(tags.last_test.suggestion)
    assert suggestion.startswith("/data") and str(demo.folder) in suggestion
    assert tags.use_button.looks_enabled
    tags.use_button.invoke()
    assert tags.rules_text() == suggestion
    tags.test_button.invoke()
    idle(win, "the test of the suggestion")
    assert tags.last_test.found == tags.last_test.checked > 0

    # A wrong rule under another server prefix is replaced, not kept beside the right one.
    tags.set_rules(f"/data={demo.folder / 'nowhere'}")
    tags.test_button.invoke()
    idle(win, "the second test")
    assert tags.last_test.found == 0 and tags.last_test.suggestion is not None
    tags.use_button.invoke()
    assert tags.rules_text() == str(tags.last_test.suggestion)
    tags.test_button.invoke()
    idle(win, "the third test")
    assert tags.last_test.found == tags.last_test.checked > 0


# --- 4. closing during a write asks; Cancel accounts for every change -------------------------


def _start_slow_base_rating(win: Any, demo: Any) -> tuple[Any, int]:
    """A base-rating run whose first chunk of grouped writes has landed and whose next one
    waits on a slowed read (the check before each chunk): a run caught in the middle."""
    from ratings_gui.demo.server import Faults
    from ratings_gui.jobs.runner import CANCEL_ABANDON_SECONDS

    tab = win.tab_objects["base_rating"]
    win.select_tab("base_rating")
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "the plan")
    planned = len(tab.preview.plan)
    before = {k: demo.lib.rating(k) for k in demo.lib.keys_of(1, "track")}
    # the wait well inside the time a Cancel gives a job to end by itself (after which the
    # window stops waiting and says only "Cancelled."): a 1.5 s wait lost that race 1 in 8
    slow = int(CANCEL_ABANDON_SECONDS * 1000 / 2)
    demo.faults = Faults(latency_ms=slow, only_paths=("/library/metadata/",))
    tab.preview.apply_button.invoke()
    pump_until(
        win,
        lambda: any(demo.lib.rating(k) != v for k, v in before.items()),
        30,
        "the first chunk written",
    )
    assert win.busy and "writing" in win.progress.phase.cget("text")
    return tab, planned


def test_4_cancel_counts_add_up_and_say_cancelled(win: Any, demo: Any) -> None:
    before = {k: demo.lib.rating(k) for k in demo.lib.keys_of(1, "track")}
    tab, planned = _start_slow_base_rating(win, demo)
    win.progress.cancel_button.invoke()
    idle(win, "the cancelled write")
    after = {k: demo.lib.rating(k) for k in before}
    changed = sum(after[k] != before[k] for k in before)
    status = win.progress.phase.cget("text")
    assert status.startswith("Cancelled: Base rating:"), status
    words = status.split(": ", 2)[2]
    # "12 written · 3 not sent · of 15 planned": a count of nothing may be left out
    n = {
        " ".join(w for w in part.split() if not w.replace(",", "").isdigit()): int(
            next(w for w in part.split() if w.replace(",", "").isdigit()).replace(",", "")
        )
        for part in words.rstrip(".").split(" · ")
    }
    written, not_sent, failed = (n.get(k, 0) for k in ("written", "not sent", "failed"))
    assert n["of planned"] == planned and written + not_sent + failed == planned
    assert written == changed and 0 < written < planned
    assert tab.preview.title_label.cget("text").startswith("Cancelled: Base rating run")
    pump_until(win, lambda: not tab.preview.filling, 5, "the rows not sent")
    reasons = [r[4] for r in tab.preview.table.shown_values()]
    assert len(reasons) == min(not_sent, tab.preview.row_cap)
    assert set(reasons) == {"not sent: cancelled"}
    run = win.app.journal.runs()[0]
    assert run.status == "cancelled"
    history_shown(win)
    values = win.history_tab.runs_tree.item(str(run.id), "values")
    assert values[5] == "cancelled"
    screenshot("usable-cancelled")


def test_4_closing_during_a_write_asks_first(win: Any, demo: Any) -> None:
    tab, planned = _start_slow_base_rating(win, demo)
    assert tab.preview.discard_button.cget("state") == "disabled", "no Discard while writing"
    win.close()
    dialog = win.close_dialog
    assert dialog is not None and win.busy, "closing asks; the write goes on meanwhile"
    win.update()
    screenshot("usable-close-asks")
    dialog.no_button.invoke()
    assert win.busy and not win.cancel_requested and win.winfo_exists()
    win.close()
    win.close_dialog.yes_button.invoke()
    pump_until(win, lambda: getattr(win, "_destroyed", False), 20, "the window to close")
    run = win.app.journal.runs()[0]
    assert run.status == "cancelled" and 0 < run.applied < planned


# --- 5. the Plex tab says what is true ----------------------------------------------------------


def test_5_plex_tab_state_follows_the_connection(win: Any, demo: Any, no_keyring: None) -> None:
    plex = win.plex_tab
    win.select_tab("plex")
    assert plex.server_menu.get() == win.app.connection.name  # not "Sign in to list…"
    assert plex.sign_out_button.winfo_ismapped()
    assert not plex.next_label.winfo_ismapped(), "no 'Next' before a library is chosen"
    plex.choose_library(next(iter(plex.libraries)))
    win.update()
    assert plex.next_label.winfo_ismapped()
    # A failed connect keeps the working connection, and the tab says so (issue 24 item 3).
    before = win.app.connection
    plex.url_var.set(demo.url)
    plex.token_var.set("wrong-token-1234")
    plex.connect_button.invoke()
    idle(win, "the failed connect")
    assert win.app.connection is before and win.header.server.cget("text") == before.name
    assert f"Still connected to {before.name}" in plex.status_label.cget("text")
    assert plex.connection_label.cget("text").startswith(f"Connected to {before.name}")
    win.update()
    assert plex.next_label.winfo_ismapped()
    plex.sign_out_button.invoke()
    win.update()
    assert not plex.sign_out_button.winfo_ismapped(), "no Sign out when nobody is signed in"


# --- 6. help on every option, what each tab is for, restore defaults ------------------------------


INPUTS = (
    "CTkEntry",
    "CTkCheckBox",
    "CTkOptionMenu",
    "CTkSegmentedButton",
    "CTkTextbox",
    "CTkSwitch",
)


def test_6_every_option_has_help_and_defaults_come_back(win: Any) -> None:
    import customtkinter as ctk

    from ratings_gui.gui.tab_import import DEFAULTS

    for name in ("import", "tags", "base_rating", "inference"):
        tab = win.tab_objects[name]
        win.select_tab(name)
        tab.ensure_built()  # shown, a tab is built a part a turn: the whole of it now
        assert len(tab.purpose_label.cget("text")) > 30, name
        todo = [tab.options_frame, tab.bar_frame]
        seen = 0
        while todo:
            w = todo.pop()
            if type(w).__name__ not in INPUTS:  # a control's own parts share its help
                todo.extend(w.winfo_children())
            if type(w).__name__ in INPUTS or (isinstance(w, ctk.CTkButton) and w.cget("text")):
                if type(w).__name__ == "Button" and w.cget("text").startswith(("More", "Fine")):
                    continue  # the fold's own toggle
                assert getattr(w, "tooltip_text", ""), (name, type(w).__name__, str(w))
                if isinstance(w, ctk.CTkCheckBox):
                    assert "Default" in w.tooltip_text or "Not remembered" in w.tooltip_text
                seen += 1
        assert seen >= 5, name
    assert len(win.history_tab.purpose_label.cget("text")) > 30

    # The help shows on hover.
    imp = win.tab_objects["import"]
    win.select_tab("import")
    win.pump(lambda: False, 0.3)  # the tab is on screen
    imp.score_entry._entry.event_generate("<Enter>")
    tooltip = imp.score_entry.tooltip
    pump_until(win, lambda: tooltip._tip is not None, 3, "the tooltip")
    assert "0.85" in tooltip.text
    imp.score_entry._entry.event_generate("<Leave>")
    assert tooltip._tip is None

    imp.force_var.set(True)
    imp.score_var.set("0.5")
    imp.defaults_button.invoke()
    assert imp.force_var.get() is False and imp.score_var.get() == str(DEFAULTS["min_score"])
    assert win.app.settings.tab("import")["min_score"] == DEFAULTS["min_score"]


# --- 7. the results stay after Apply -------------------------------------------------------------


def test_7_import_results_stay_and_name_the_right_list(win: Any, demo: Any, tmp_path: Path) -> None:
    paths = demo.write_exports(tmp_path)
    imp = win.tab_objects["import"]
    win.select_tab("import")
    # A folder holding two exports is refused, naming both: one would be skipped silently.
    both = tmp_path / "both"
    both.mkdir()
    (both / "imdb.csv").write_bytes(paths["imdb"].read_bytes())
    (both / "ratings.csv").write_bytes(paths["letterboxd"].read_bytes())
    imp.path_var.set(str(both))
    imp.preview_button.invoke()
    assert not win.busy
    message = win.progress.message.cget("text")
    assert "more than one export" in message and "imdb.csv" in message

    imp.path_var.set(str(paths["imdb"]))
    imp.preview_button.invoke()
    pump_until(win, lambda: imp.plan is not None and not win.busy, 20, "the plan")
    planned = len(imp.plan)
    imp.preview.apply_button.invoke()
    idle(win, "the import")
    preview = imp.preview
    assert preview.title_label.cget("text").startswith("Done: Import run")
    assert f"of {planned:,} planned" in preview.counts_label.cget("text")
    pump_until(win, lambda: not preview.filling, 5, "the result rows")
    rows = preview.table.shown_values()
    not_found = [r for r in rows if r[4].startswith("not found")]
    assert len(not_found) == 3 and all(r[1] == "not imported" for r in not_found)
    unmatched = Path(imp.last_unmatched)
    assert unmatched.exists() and unmatched.name in imp.status_label.cget("text")
    assert imp.open_unmatched_button.winfo_ismapped()
    win.update()
    screenshot("usable-import-results")

    # The next file's preview does not name the last file's list.
    imp.path_var.set(str(paths["letterboxd"]))
    imp.preview_button.invoke()
    pump_until(win, lambda: imp.plan is not None and not win.busy, 20, "the second plan")
    assert unmatched.name not in imp.status_label.cget("text")
    assert not imp.open_unmatched_button.winfo_ismapped()


# --- 8. a disabled button looks disabled ------------------------------------------------------------


def test_8_disabled_buttons_look_disabled(win: Any) -> None:
    from ratings_gui.gui.widgets import Button

    for tab in win.tab_objects.values():
        tab.ensure_built()  # tabs build when first opened: open every one
    todo = [win]
    buttons = []
    while todo:
        w = todo.pop()
        todo.extend(w.winfo_children())
        if isinstance(w, Button):
            buttons.append(w)
    disabled = [b for b in buttons if b.cget("state") == "disabled"]
    assert win.progress.cancel_button in disabled
    assert win.tab_objects["import"].review.accept_button in disabled
    assert win.tab_objects["import"].preview.apply_button in disabled
    for b in buttons:
        assert b.looks_enabled == (b.cget("state") != "disabled") or b._enabled_fill == (
            "transparent"
        ), b.cget("text")


# --- 9. small things: the time left, stars, long errors ---------------------------------------------


def test_9_time_left_stars_and_long_errors(win: Any) -> None:
    from ratings_gui.gui.widgets import stars_label

    row = win.progress
    row.show(1, 35_000, "writing", 0.0)
    assert "left" not in row.phase.cget("text"), "no guess from the first item"
    row.show(7_000, 35_000, "writing", 95.0)
    assert row.phase.cget("text").endswith("about 1 min 35 s left")
    # the glyphs the value has reached, the number exact: 3.25 is not shown as 3.5's stars
    assert [stars_label(v) for v in (6.5, 7.0, None)] == ["★★★ 3.25", "★★★½ 3.5", "not rated"]
    win.show_error("The server at http://192.168.1.10:32400 refused " + "the request " * 30)
    win.update()
    label, cancel = row.phase, row.cancel_button
    assert label.winfo_rootx() + label.winfo_width() <= cancel.winfo_rootx()
    # one line: the end is cut with "…" and the tooltip holds the whole message
    assert label.shown_text.endswith("…") and "\n" not in label.shown_text
    assert label.tooltip_text == label.cget("text") and "refused" in label.tooltip_text
