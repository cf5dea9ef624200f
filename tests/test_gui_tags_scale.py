"""The Tags tab asks once when nothing in the library tells a RATING's scale (issue 13).

Real window under Xvfb, real HTTP to the demo server, real FLAC files it wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_gui_helpers import app_fixture, pump_until, require_display, screenshot

from ratings_gui.tags import restore_fields

pytestmark = pytest.mark.gui


@pytest.fixture
def win(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    from ratings_gui.context import AppContext
    from ratings_gui.demo.library import DemoLibrary
    from ratings_gui.demo.server import DemoServer
    from ratings_gui.plex.connection import connect_direct

    require_display()
    lib = DemoLibrary.generate(seed=7, tracks=120, movies=1, shows=1)
    srv = DemoServer(lib, token="demo-token", media_dir=tmp_path / "media")
    srv.start()
    ctx = AppContext.open(tmp_path / "home", plextv_base=srv.url)
    ctx.set_connection(connect_direct(srv.url, srv.token))
    ctx.library = "Music"
    try:
        for w in app_fixture(ctx):
            yield w, srv
    finally:
        ctx.set_plextv(None)
        ctx.close()
        srv.stop()


def test_scale_question_is_asked_mid_read_and_the_answer_goes_into_the_plan(win: Any) -> None:
    """The job asks through its hook while it reads; the window shows the question with its
    two answers; the plan arrives with the answer applied (no second read)."""
    from ratings_gui.demo.audio import local_path

    app, demo = win
    lib = demo.lib
    flac = [k for k in lib.keys_of(1, "track") if lib.items[k].file.endswith(".flac")][:3]
    for k in flac:
        lib.set_rating(k, None)
        restore_fields(local_path(lib, demo.media_dir, lib.items[k].file), {"RATING": "10"})

    tab = app.tab_objects["tags"]
    app.select_tab("tags")
    pump_until(app, lambda: tab.libraries == ["Music"], 10, "the music libraries")
    tab.set_rules(f"{lib.media_root}={demo.media_dir}")
    tab.direction_button.set("files → Plex")
    demo.reset_counts()
    tab.preview_button.invoke()
    pump_until(app, lambda: tab.scale_bar.winfo_ismapped(), 30, "the scale question")
    assert app.busy and tab.preview.plan is None  # the read waits for the answer
    assert "3 files hold a RATING of 6-10" in tab.scale_label.cget("text")
    screenshot("tags_scale_question")
    reads = demo.total_requests("GET /library/sections")

    tab.scale_buttons["percent"].invoke()
    pump_until(app, lambda: tab.preview.plan is not None and not app.busy, 30, "the plan")
    plan = tab.preview.plan
    assert {int(c.target): c.new for c in plan.changes if int(c.target) in flac} == {
        k: 1.0 for k in flac
    }
    assert "rating scale unknown" not in plan.counts
    assert demo.total_requests("GET /library/sections") == reads  # the library was read once
    app.update()
    assert not tab.scale_bar.winfo_ismapped()
    assert tab.scale_answers == {"Music": "percent"}
