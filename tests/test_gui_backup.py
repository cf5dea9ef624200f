"""The Backup tab in a real window: back up, restore on a fresh server with preview, clear
with a typed confirmation, undo from History. Buttons are pressed with mouse events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_backup_restore import OFFSET, _ratings
from test_gui_helpers import (
    app_fixture,
    click,
    history_shown,
    pump_until,
    require_display,
    screenshot,
)

from ratings_gui.demo.server import DemoServer
from ratings_gui.demo.transfer import transferred_copy
from ratings_gui.jobs import transfer as jt
from ratings_gui.plex.connection import connect_direct

pytestmark = pytest.mark.gui


@pytest.fixture
def win(app: Any) -> Iterator[Any]:
    require_display()
    for w in app_fixture(app):
        pump_until(w, lambda w=w: bool(w.plex_tab.libraries) and not w.busy, 20, "libraries")
        yield w


def _idle(win: Any, what: str) -> None:
    pump_until(win, lambda: not win.busy, 30, what)


def test_backup_restore_clear_in_the_window(
    win: Any, demo: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ratings_gui.gui import tab_backup

    tab = win.tab_objects["backup"]
    win.select_tab("backup")
    pump_until(win, lambda: len(tab.libraries) == 3, 10, "the libraries")
    want = _ratings(demo.lib)

    # Back up all ratings…: the file dialog answers with a path
    path = tmp_path / "all.json.gz"
    monkeypatch.setattr(tab_backup.filedialog, "asksaveasfilename", lambda **kw: str(path))
    click(win, tab.backup_button)
    _idle(win, "the backup")
    assert path.exists() and "Backed up" in tab.status_label.cget("text")
    assert {e.key: e.rating for e in jt.read_backup_file(path).entries} == want

    # Restore ratings… on a second server holding the same media under other keys
    fresh = DemoServer(transferred_copy(demo.lib, key_offset=OFFSET), token="fresh")
    fresh.start()
    try:
        win.app.set_connection(connect_direct(fresh.url, fresh.token))
        tab.on_connection_changed()
        pump_until(win, lambda: len(tab.libraries) == 3 and not win.busy, 10, "new libraries")
        monkeypatch.setattr(tab_backup.filedialog, "askopenfilename", lambda **kw: str(path))
        click(win, tab.restore_button)
        pump_until(win, lambda: tab.plan is not None and not win.busy, 30, "the restore plan")
        assert len(tab.plan) == len(want) and fresh.total_requests("PUT") == 0
        pump_until(win, lambda: tab.preview.shown_rows == len(want), 10, "the preview rows")
        assert "Matched" in tab.status_label.cget("text")
        win.update()
        screenshot("backup-restore-preview")
        click(win, tab.preview.apply_button)
        pump_until(win, lambda: tab.plan is None and not win.busy, 30, "the restore run")
        assert _ratings(fresh.lib, OFFSET) == want
        assert "History can undo it" in tab.status_label.cget("text")
    finally:
        fresh.stop()

    # Clear ratings: preview, then the library's name must be typed
    win.app.set_connection(connect_direct(demo.url, demo.token))
    tab.on_connection_changed()
    pump_until(win, lambda: len(tab.libraries) == 3 and not win.busy, 10, "libraries again")
    tab.library_menu.set("Movies")
    tab._library_changed()
    click(win, tab.clear_button)
    pump_until(win, lambda: tab.plan is not None and not win.busy, 30, "the clear plan")
    movies = {k: v for k, v in want.items() if demo.lib.items[k].kind == "movie"}
    assert len(tab.plan) == len(movies)
    click(win, tab.preview.apply_button)
    pump_until(win, lambda: tab.confirm_dialog is not None, 5, "the confirmation")
    dialog = tab.confirm_dialog
    dialog.entry.insert(0, "movies")  # not the name: the button stays off
    win.update()
    assert dialog.ok_button.cget("state") == "disabled"
    dialog.entry.delete(0, "end")
    dialog.entry.insert(0, "Movies")
    win.update()
    screenshot("backup-clear-confirm")
    assert _ratings(demo.lib) == want  # nothing cleared before the confirmation
    click(win, dialog.ok_button)
    pump_until(win, lambda: tab.plan is None and not win.busy, 30, "the clear run")
    assert _ratings(demo.lib) == {k: v for k, v in want.items() if k not in movies}
    run = win.app.journal.runs()[0]
    assert run.job == "clear-ratings" and Path(run.summary["backup"]).exists()
    win.update()
    screenshot("backup")

    # History undoes the clear
    hist = history_shown(win, run.id)
    hist.undo_button.invoke()
    pump_until(win, lambda: hist.plan is not None and not win.busy, 20, "undo plan")
    hist.preview.apply_button.invoke()
    pump_until(win, lambda: hist.preview.plan is None and not win.busy, 20, "the undo")
    assert _ratings(demo.lib) == want


def test_cancelled_confirmation_clears_nothing(win: Any, demo: Any) -> None:
    tab = win.tab_objects["backup"]
    win.select_tab("backup")
    pump_until(win, lambda: len(tab.libraries) == 3, 10, "the libraries")
    want = _ratings(demo.lib)
    click(win, tab.clear_button)  # "All libraries" is not something to clear
    assert tab.plan is None and "Choose the library" in tab.status_label.cget("text")
    tab.library_menu.set("Music")
    tab._library_changed()
    tab.kind_menu.set("album")
    click(win, tab.clear_button)
    pump_until(win, lambda: tab.plan is not None and not win.busy, 30, "the clear plan")
    assert {c.label for c in tab.plan.changes}
    click(win, tab.preview.apply_button)
    pump_until(win, lambda: tab.confirm_dialog is not None, 5, "the confirmation")
    click(win, tab.confirm_dialog.cancel_button)
    win.update()
    assert tab.confirm_dialog is None and "Nothing cleared" in tab.status_label.cget("text")
    assert _ratings(demo.lib) == want and win.app.journal.runs() == []


def test_the_backup_offer_goes_with_its_plan_at_once(win: Any) -> None:
    """Discarded (or applied), the plan takes its offer with it in the same turn: no
    question about runs left over the empty preview or a run's result."""
    tab = win.tab_objects["base_rating"]
    win.select_tab("base_rating")
    click(win, tab.preview_button)
    _idle(win, "the plan")
    assert tab.plan is not None and tab.plan.changes
    offer = win.backup_offer
    assert offer is not None and offer.winfo_ismapped()
    tab.preview.discard_button.invoke()  # no events pumped after it
    assert win.backup_offer is None and not offer.winfo_exists()


def test_the_backup_offer_is_asked_once_and_keeps_what_a_run_changes(
    win: Any, demo: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restore that overwrites three ratings: the offer shows, Yes keeps their old values."""
    from ratings_gui.gui import tab_backup
    from ratings_gui.gui.confirm import AUTO_KEY

    tab = win.tab_objects["backup"]
    win.select_tab("backup")
    pump_until(win, lambda: len(tab.libraries) == 3, 10, "the libraries")
    path = tmp_path / "b.json"
    tab.backup(path)
    _idle(win, "the backup")
    moved = [k for k in demo.lib.keys_of(2, "movie") if demo.lib.rating(k) is not None][:3]
    before = {k: demo.lib.rating(k) for k in moved}
    for k in moved:
        demo.lib.set_rating(k, 0.5 if before[k] != 0.5 else 1.0)
    changed = {k: demo.lib.rating(k) for k in moved}
    assert win.app.settings.get(AUTO_KEY) is None
    tab.overwrite_check.select()
    monkeypatch.setattr(tab_backup.filedialog, "askopenfilename", lambda **kw: str(path))
    click(win, tab.restore_button)
    pump_until(win, lambda: tab.plan is not None and not win.busy, 30, "the restore plan")
    assert len(tab.plan) == 3
    offer = win.backup_offer
    assert offer is not None and offer.winfo_ismapped()
    win.update()
    screenshot("backup-offer")
    click(win, offer.yes_button)
    assert win.app.settings.get(AUTO_KEY) is True and win.backup_offer is None
    assert tab.auto_var.get() is True
    click(win, tab.preview.apply_button)
    pump_until(win, lambda: tab.plan is None and not win.busy, 30, "the restore run")
    assert {k: demo.lib.rating(k) for k in moved} == before
    kept = sorted((Path(win.app.paths.data) / jt.AUTO_FOLDER).glob("restore-*.json.gz"))
    assert len(kept) == 1
    assert {e.key: e.rating for e in jt.read_backup_file(kept[0]).entries} == changed
    # answered once: the next plan that writes shows no offer
    for k in moved:
        demo.lib.set_rating(k, changed[k])
    click(win, tab.restore_button)
    pump_until(win, lambda: tab.plan is not None and not win.busy, 30, "the second plan")
    assert len(tab.plan) == 3 and win.backup_offer is None
    click(win, tab.preview.discard_button)
    # without overwrite the three are conflicts: listed in the preview, nothing to apply
    click(win, tab.overwrite_check)
    assert tab.overwrite_var.get() is False
    click(win, tab.restore_button)
    pump_until(win, lambda: tab.plan is not None and not win.busy, 30, "the third plan")
    assert len(tab.plan) == 0 and tab.preview.apply_button.cget("state") == "disabled"
    pump_until(win, lambda: tab.preview.shown_rows == 3, 10, "the conflict rows")
    shown = tab.preview.table.shown_values()
    assert len(shown) == 3 and all("conflict kept" in " ".join(row) for row in shown)
    win.update()
    screenshot("backup-conflicts")
