"""The Tags tab in a real window: test mapping, preview, apply, undo on History.

Real HTTP to the demo server, real audio files it wrote; the window runs
under Xvfb (tests/conftest.py). Undo is checked byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ratings_of, signed_in
from test_gui_helpers import app_fixture, history_shown, pump_until, require_display, screenshot

from ratings_gui import tags

pytestmark = pytest.mark.gui


@pytest.fixture
def win(tmp_path: Path, media_demo: Any) -> Iterator[Any]:
    require_display()
    with signed_in(media_demo, tmp_path / "home", "Music") as ctx:
        yield from app_fixture(ctx)


def _local(demo: Any, key: int) -> Path:
    from ratings_gui.demo.audio import local_path

    return local_path(demo.lib, demo.media_dir, demo.lib.items[key].file)


def _files(demo: Any) -> dict[int, bytes]:
    return {k: _local(demo, k).read_bytes() for k in demo.lib.keys_of(1, "track")}


def test_sync_from_the_tags_tab_then_undo_on_history(win: Any, media_demo: Any) -> None:
    demo = media_demo
    keys = demo.lib.keys_of(1, "track")
    unrated = next(k for k in keys if demo.lib.rating(k) is None)
    tags.write_rating(_local(demo, unrated), 10.0)  # a file rated, its track not
    files_before, plex_before = _files(demo), ratings_of(demo)

    tab = win.tab_objects["tags"]
    win.select_tab("tags")
    pump_until(win, lambda: tab.libraries == ["Music"] and not win.busy, 20, "the music libraries")

    # a wrong local folder: the test finds nothing and suggests the right rule
    media = demo.media_dir
    tab.set_rules(f"{demo.lib.media_root}={media.parent / 'Music'}")
    tab.test_button.invoke()
    pump_until(win, lambda: tab.last_test is not None and not win.busy, 20, "mapping test")
    assert tab.last_test.found == 0
    assert str(tab.last_test.suggestion) == f"{demo.lib.media_root}={media}"
    tab.use_button.invoke()
    assert tab.rules_text() == f"{demo.lib.media_root}={media}"
    tab.test_button.invoke()
    pump_until(win, lambda: not win.busy and tab.last_test.found > 0, 20, "second test")
    assert tab.last_test.found == tab.last_test.checked

    tab.direction_button.set("both ways")
    tab.conflict_menu.set("Plex wins")
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 30, "the plan")
    plan = tab.preview.plan
    rated = sum(v is not None for v in plex_before.values())
    assert plan.counts["to files"] == rated and plan.counts["to Plex"] == 1
    pump_until(win, lambda: tab.preview.shown_rows == min(len(plan), tab.preview.row_cap))
    assert "to files" in win.log_pane.content()
    win.update()
    screenshot("tags")

    tab.preview.apply_button.invoke()
    pump_until(win, lambda: tab.preview.plan is None and not win.busy, 30, "the apply")
    assert demo.lib.rating(unrated) == 10.0
    for k in keys:
        assert tags.read_rating(_local(demo, k)).rating == demo.lib.rating(k)
    run = win.app.journal.runs()[0]
    assert run.job == "tags" and run.applied == len(plan)
    assert f"{rated:,} files and 1 Plex ratings written" in win.log_pane.content()
    win.update()
    screenshot("tags_applied")

    hist = history_shown(win, run.id)
    hist.undo_button.invoke()
    pump_until(win, lambda: hist.plan is not None and not win.busy, 20, "undo plan")
    assert len(hist.preview.plan) == len(plan)
    hist.preview.apply_button.invoke()
    pump_until(win, lambda: hist.preview.plan is None and not win.busy, 30, "undo applied")
    assert ratings_of(demo) == plex_before
    assert _files(demo) == files_before  # byte for byte
