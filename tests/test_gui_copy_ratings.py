"""Copy ratings to another user… in a real window: pick From and To among the Plex Home's
members, preview, apply; the server holds the copied ratings for To only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_gui_helpers import (
    click,
    home_window,
    pump_until,
    screenshot,
)
from test_home_users import everyone, only_changed

from ratings_gui.core import restoreplan as rp

pytestmark = pytest.mark.gui


@pytest.fixture
def win(app: Any, demo: Any) -> Iterator[Any]:
    yield from home_window(app, demo, lambda w: bool(w.plex_tab.libraries) and not w.busy)


def _shot(name: str) -> Path | None:
    return screenshot(name, crop="1366x768")


def test_copy_ratings_from_one_member_to_another_in_the_window(win: Any, demo: Any) -> None:
    tab = win.tab_objects["backup"]
    win.select_tab("backup")
    pump_until(win, lambda: len(tab.libraries) == 3 and not win.busy, 10, "the libraries")
    before = everyone(demo)

    click(win, tab.copy_button)
    pump_until(win, lambda: tab.copy_dialog is not None, 10, "the members")
    dialog = tab.copy_dialog
    assert dialog.from_menu.cget("values") == ["Demo User", "Alex", "Jo", "Sam"]
    dialog.from_menu.set("Jo")
    dialog.to_menu.set("Jo")
    click(win, dialog.preview_button)  # the same member twice: asked again, nothing read
    assert tab.copy_dialog is dialog and "two different" in dialog.hint.cget("text")
    dialog.to_menu._dropdown_callback("Sam")  # as picked from the menu: the hint goes
    assert dialog.hint.cget("text") == ""
    dialog.library_menu.set("Music")
    win.update()
    _shot("copy-ratings-dialog")
    click(win, dialog.preview_button)
    pump_until(win, lambda: tab.plan is not None and not win.busy, 30, "the copy plan")
    plan = tab.plan
    assert plan.job == rp.COPY_JOB and everyone(demo) == before  # a preview writes nothing
    music = {k for kind in ("artist", "album", "track") for k in demo.lib.keys_of(1, kind)}
    want = {k: v for k, v in before["Jo"].items() if k in music and k not in before["Sam"]}
    assert len(plan.changes) == len(want) > 0
    assert "Jo → Sam" in tab.status_label.cget("text")
    pump_until(win, lambda: tab.preview.shown_rows >= len(want), 10, "the preview rows")
    win.update()
    _shot("copy-ratings-preview")

    click(win, tab.preview.apply_button)
    pump_until(win, lambda: tab.plan is None and not win.busy, 30, "the copy run")
    assert only_changed(before, everyone(demo), "Sam") == want
    run = win.app.journal.runs()[0]
    assert run.job == rp.COPY_JOB and run.user == demo.home_user("Sam").uuid
    assert "History can undo it" in tab.status_label.cget("text")
    win.update()
    _shot("copy-ratings-done")
