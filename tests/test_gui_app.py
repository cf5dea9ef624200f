"""The window shell: tab registry, job events on the main thread, one job at a time, closing."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_gui_helpers import app_fixture, pump_until, require_display

from ratings_gui.core.plan import PLEX, Change, Plan, Report
from ratings_gui.jobs.runner import Finished, JobContext

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


def test_tabs_follow_the_registry(win: Any) -> None:
    from ratings_gui.gui.tabs import Tab, tab_class, tab_entries

    TABS = tab_entries()

    assert [win.tabs.tab(e.title) is not None for e in TABS]
    assert list(win.tab_objects) == [e.name for e in TABS]
    for entry in TABS:
        tab = win.tab_objects[entry.name]
        assert isinstance(tab, Tab) and tab.frame is win.tabs.tab(entry.title)
        assert type(tab) is tab_class(entry)
    assert type(win.plex_tab).__name__ == "PlexTab"
    assert type(win.history_tab).__name__ == "HistoryTab"


def test_job_events_reach_the_window_on_the_main_thread(win: Any) -> None:
    """Progress, Log and Finished, from a worker that never touches Tk."""
    from ratings_gui.logsetup import add_secret

    add_secret("s3cr3t-t0ken-xyz")
    tab = win.tab_objects["tags"]
    release = threading.Event()
    seen: dict[str, Any] = {}

    def work(jc: JobContext) -> Report:
        jc.progress(5, 10, "reading tags")
        jc.log("token is s3cr3t-t0ken-xyz and url ?X-Plex-Token=abc")
        release.wait(10)
        return Report("tags", 42, dry_run=False)

    def on_done(ev: Finished) -> None:
        seen["done"] = ev
        seen["done_thread"] = threading.current_thread() is threading.main_thread()

    assert tab.run_job(work, name="tags", phase="Starting", on_done=on_done)
    assert not tab.run_job(lambda jc: None, name="second"), "one job at a time"
    assert win.plex_tab.sign_in_button.cget("state") == "disabled"
    assert win.progress.cancel_button.cget("state") == "normal"
    pump_until(
        win,
        lambda: (
            "reading tags: 5 of 10" in win.progress.phase.cget("text")
            and "token is" in win.log_pane.content()
        ),
    )
    log = win.log_pane.content()
    assert "s3cr3t-t0ken-xyz" not in log and "abc" not in log and "********" in log
    assert "Another job is still running" in log
    release.set()
    pump_until(win, lambda: "done" in seen and not win.busy)
    assert seen["done"].report.run_id == 42
    assert seen["done_thread"] is True
    plan = Plan("tags")
    plan.add(Change(PLEX, "1", "userRating", 2.0, 8.0, "file tag", "Song"))
    tab.show_plan(plan)
    pump_until(win, lambda: tab.preview is not None and tab.preview.shown_rows == 1)
    assert win.preview is tab.preview
    assert win.plex_tab.sign_in_button.cget("state") == "normal"
    assert win.progress.cancel_button.cget("state") == "disabled"


def test_failed_job_shows_plain_message(win: Any, caplog: pytest.LogCaptureFixture) -> None:
    def work(jc: JobContext) -> None:
        raise ValueError("the CSV has no rating column")

    caplog.set_level(logging.CRITICAL)
    win.start_job(work, name="import")
    pump_until(win, lambda: not win.busy)
    log = win.log_pane.content()
    assert "Error: ValueError: the CSV has no rating column" in log or (
        "Error: the CSV has no rating column" in log
    )
    assert "Traceback" not in log
    assert "the CSV has no rating column" in win.progress.message.cget("text")


def test_cancel_and_close_stop_the_worker(win: Any, ctx: Any) -> None:
    started = threading.Event()

    def work(jc: JobContext) -> None:
        started.set()
        while True:
            jc.check_cancel()
            jc.cancel_event.wait(0.05)

    win.start_job(work, name="long")
    assert started.wait(5)
    win.progress.cancel_button.invoke()
    pump_until(win, lambda: not win.busy)
    assert "Cancelled." in win.log_pane.content()

    started.clear()
    win.start_job(work, name="long")
    assert started.wait(5)
    runner = win.runner
    win.geometry("1060x700")
    win.update()
    win.close()
    assert not runner.busy, "closing cancels the job and waits for it"
    assert str(ctx.settings.get("window_geometry")).startswith("1060x700")


def test_two_quick_tab_switches_never_leave_a_blank_page(win: Any) -> None:
    """CTkTabview hides the other tabs 100 ms after a switch: a second switch inside that
    time used to lose both pages. The user clicks two tabs fast; the second one shows."""
    import time

    win.select_tab("plex")
    win.update()
    win.tabs._segmented_button._buttons_dict[win.tab_objects["tags"].title].invoke()
    win.tabs._segmented_button._buttons_dict[win.tab_objects["history"].title].invoke()
    end = time.monotonic() + 0.6
    while time.monotonic() < end:  # past both delayed hides
        win.update()
        time.sleep(0.02)
    mapped = [n for n, t in win.tab_objects.items() if t.frame.winfo_ismapped()]
    assert mapped == ["history"]
