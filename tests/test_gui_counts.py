"""Issue 24 (1, 6, 7): the window tells the truth about a run, in one vocabulary, everywhere.

A cancelled run's result line, History's row and History's change rows say
the same numbers (written, not sent, failed, left alone); the progress row
guesses time left only from a measured rate; a result that was undone says
so; the close question goes with the write; each demo has its own History.
Real HTTP to the demo server, a real window under Xvfb.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import _demo, ratings_of
from test_gui_helpers import history_shown, pump_until, require_display, screenshot

from ratings_gui.jobs.runner import JobContext, Progress

pytestmark = pytest.mark.gui

#: Enough unrated tracks (838) that a plan spans more than the chunks journaled ahead.
TRACKS = 1200
#: The paths a base-rating write takes: one item at a time, or grouped edits per section.
WRITES = ("/:/rate", "/library/sections/")


def slow(ms: int) -> Any:
    """Faults that make every write (and the check before a grouped one) take ``ms``."""
    from ratings_gui.demo.server import Faults

    return Faults(latency_ms=ms, only_paths=WRITES)


@pytest.fixture
def demo() -> Iterator[Any]:
    """A demo server with a plan longer than what the write loop journals at once."""
    srv = _demo(TRACKS)
    try:
        yield srv
    finally:
        srv.stop()


def _numbers(text: str) -> dict[str, int]:
    """``449 written · 598 not sent · 0 failed · of 1,047 planned`` -> {"written": 449, ...}."""
    out: dict[str, int] = {}
    for n, word in re.findall(r"(\d[\d,]*) (written|not sent|failed|left alone|pending)", text):
        out[word] = int(n.replace(",", ""))
    m = re.search(r"of (\d[\d,]*) planned", text)
    if m:
        out["planned"] = int(m.group(1).replace(",", ""))
    return out


def _plan_base_rating(win: Any) -> Any:
    tab = win.tab_objects["base_rating"]
    win.select_tab("base_rating")
    pump_until(win, lambda: tab.libraries == ["Music"] and not win.busy, 20, "the libraries")
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 30, "the plan")
    return tab


def _texts_while(win: Any, until: Any, timeout: float) -> list[tuple[float, str]]:
    """The progress line at each pump, with when it was read, until ``until()``."""
    seen: list[tuple[float, str]] = []
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        win.update()
        text = win.progress.phase.cget("text")
        if not seen or seen[-1][1] != text:
            seen.append((time.monotonic(), text))
        time.sleep(0.005)
    return seen


# --- 1. a cancelled run: the same numbers in the result, History's row and its rows ---------


def test_1_cancelled_run_counts_agree_in_result_history_and_rows(win: Any, demo: Any) -> None:
    from ratings_gui.demo.server import Faults

    before = ratings_of(demo)
    tab = _plan_base_rating(win)
    planned = len(tab.preview.plan)
    assert planned > 400  # more than the two chunks the write loop journals ahead
    demo.faults = slow(300)
    tab.preview.apply_button.invoke()

    def written_some() -> bool:
        m = re.search(r"writing[^:]*: (\d[\d,]*) of", win.progress.phase.cget("text"))
        return m is not None and int(m.group(1).replace(",", "")) > 0

    pump_until(win, written_some, 60, "the first changes written")
    win.progress.cancel_button.invoke()
    pump_until(win, lambda: not win.busy and tab.preview.plan is None, 30, "the cancel")
    demo.faults = Faults()

    # the server's state: what the result calls written is what changed
    after = ratings_of(demo)
    changed = sum(after[k] != before[k] for k in before)
    status = win.progress.phase.cget("text")
    assert status.startswith("Cancelled: Base rating:"), status
    result = _numbers(status)
    assert result["written"] == changed and 0 < changed < planned
    assert result["planned"] == planned
    assert sum(result.get(k, 0) for k in ("written", "not sent", "failed", "left alone")) == (
        planned
    )
    assert result["not sent"] > 0 and result["failed"] == 0
    assert _numbers(tab.preview.counts_label.cget("text")) == result

    # History's row: the same four numbers under the same words
    run = win.app.journal.runs()[0]
    hist = history_shown(win)
    columns = hist.runs_tree["columns"]
    row = dict(zip(columns, hist.runs_tree.item(str(run.id), "values"), strict=True))
    assert row["status"] == "cancelled"
    assert int(row["written"]) == result["written"]
    assert int(row["not_sent"]) == result["not sent"]
    assert int(row["failed"]) == result["failed"] == 0
    assert int(row["left_alone"]) == result.get("left alone", 0)

    # History's change rows: written or not sent, never "failed: cancelled"
    history_shown(win, run.id)
    title = hist.changes_title.cget("text")
    assert title.startswith(f"Changes of run {run.id}: {planned:,} ·"), title
    assert {k: v for k, v in _numbers(title).items() if k != "planned"} == {
        k: v for k, v in result.items() if k != "planned"
    }
    words = [hist.changes_tree.item(i, "values")[4] for i in hist.changes_tree.get_children()]
    assert set(words) <= {"written", "not sent"}
    assert words.count("written") == result["written"]
    # a Cancel keeps back chunks never recorded one by one: the title counts them
    assert words.count("not sent") <= result["not sent"]
    assert "failed: cancelled" not in words
    win.pump(lambda: False, 0.4)  # the tab switch settles before the picture
    screenshot("counts-cancelled-history")


# --- 6. progress: time left from the measured rate ---------------------------------------------


def test_6_time_left_comes_from_a_measured_rate() -> None:
    events: list[Progress] = []
    ctx = JobContext(lambda ev: events.append(ev))  # type: ignore[arg-type, return-value]
    # a phase whose first report already says 100 done: no rate yet, so no guess
    ctx.progress(100, 455, "writing")
    assert events[-1].eta_seconds is None
    time.sleep(0.2)
    ctx.progress(200, 455, "writing")
    eta = events[-1].eta_seconds
    assert eta is not None and 0.2 / 100 * 255 * 0.7 < eta < 0.2 / 100 * 255 * 2
    # a new phase starts its own measure
    ctx.progress(0, 50, "checking")
    assert events[-1].eta_seconds is None


def test_6_window_never_says_almost_done_early(win: Any, demo: Any) -> None:
    from ratings_gui.demo.server import Faults

    tab = _plan_base_rating(win)
    planned = len(tab.preview.plan)
    demo.faults = slow(500)
    tab.preview.apply_button.invoke()
    seen = _texts_while(win, lambda: not win.busy, 120)
    end = time.monotonic()
    demo.faults = Faults()
    writing = [(t, s) for t, s in seen if s.startswith("writing")]
    assert writing, seen
    guessed: list[int] = []
    for t, text in writing:
        m = re.match(r"writing[^:]*: (\d[\d,]*) of (\d[\d,]*)", text)
        assert m is not None, text
        done, total = (int(g.replace(",", "")) for g in m.groups())
        assert total == planned  # the phase counts the plan's changes
        real = end - t
        if "almost done" in text:  # only when it is: under a second left, and the check after
            assert real < 2.5, (text, real)
        left = re.search(r"about (?:(\d+) min )?(\d+) s left", text)
        if left is not None:
            guess = int(left.group(1) or 0) * 60 + int(left.group(2))
            assert real / 4 - 1 <= guess <= real * 4 + 1, (text, real)
            guessed.append(guess)
    assert guessed, writing  # a time left was shown, from the rate measured
    assert win.progress.phase.cget("text").startswith("Done: Base rating:")


# --- 7. each view follows the journal -------------------------------------------------------------


def test_7_a_result_undone_in_history_says_so(win: Any, demo: Any) -> None:
    before = ratings_of(demo)
    tab = _plan_base_rating(win)
    planned = len(tab.preview.plan)
    tab.preview.apply_button.invoke()
    pump_until(win, lambda: tab.preview.plan is None and not win.busy, 120, "the apply")
    assert tab.preview.table.empty_text == "Every planned change was written."
    assert _numbers(tab.preview.counts_label.cget("text"))["written"] == planned
    run = win.app.journal.runs()[0]

    hist = history_shown(win, run.id)
    hist.undo_button.invoke()
    pump_until(win, lambda: hist.plan is not None and not win.busy, 60, "undo plan")
    hist.preview.apply_button.invoke()
    pump_until(
        win,
        lambda: hist.preview.plan is None and not win.busy and not hist.reading,
        120,
        "the undo and History's read of it",
    )
    assert ratings_of(demo) == before
    undo = win.app.journal.runs()[0]
    assert undo.undo_of == run.id

    # the base rating tab no longer says its changes stand
    win.select_tab("base_rating")
    win.update()
    assert tab.preview.title_label.cget("text") == f"Undone: Base rating run {run.id}"
    counts = tab.preview.counts_label.cget("text")
    assert counts.endswith(f"{planned:,} undone by run {undo.id}"), counts
    assert tab.preview.table.empty_text == (
        f"Every planned change was written; {planned:,} undone by run {undo.id}."
    )
    assert tab.preview.table.empty and not tab.preview.filling
    assert tab.preview.table.shown_values() == []
    # History's row of the run: still written as it was, and undone
    row = dict(
        zip(hist.runs_tree["columns"], hist.runs_tree.item(str(run.id), "values"), strict=True)
    )
    assert int(row["written"]) == int(row["undone"]) == planned
    win.pump(lambda: False, 0.4)
    screenshot("counts-undone-result")


def test_7_the_close_question_goes_when_the_write_ends(win: Any, demo: Any) -> None:
    from ratings_gui.demo.server import Faults

    before = ratings_of(demo)
    tab = _plan_base_rating(win)
    planned = len(tab.preview.plan)
    demo.faults = slow(150)
    tab.preview.apply_button.invoke()
    pump_until(win, lambda: "writing" in win.progress.phase.cget("text"), 30, "writing")
    win.close()
    dialog = win.close_dialog
    assert dialog is not None and dialog.winfo_exists()
    pump_until(win, lambda: not win.busy, 120, "the write to end on its own")
    win.update()
    assert win.close_dialog is None and not dialog.winfo_exists()
    assert win.winfo_exists()  # the window stays; closing now asks nothing
    assert "The write has ended" in win.log_pane.content()
    after = ratings_of(demo)
    assert sum(after[k] != before[k] for k in before) == planned
    assert _numbers(win.progress.phase.cget("text"))["written"] == planned
    demo.faults = Faults()


def test_7_each_demo_has_its_own_history(tmp_path: Path) -> None:
    """Two ``--demo`` sessions in a row: the second starts with an empty History, and the
    first one's data goes with its folder."""
    require_display()
    from conftest import run_cli

    from ratings_gui.demo.session import DemoSession
    from ratings_gui.gui.app import open_demo

    with DemoSession(tracks=60, movies=2, shows=1) as first:
        assert first.data_home.parent == first.folder
        code, out = run_cli("base-rating", first, first.data_home, "--yes", "--stars", "3")
        assert code == 0 and out["run_id"] is not None
        ctx, window = open_demo(first)
        try:
            window.update()
            hist = window.history_tab
            hist.refresh()
            assert window.pump(lambda: not hist.reading, 20), "the history read"
            assert [r.id for r in window.app.journal.runs()] == [out["run_id"]]
            assert hist.runs_tree.exists(str(out["run_id"]))
        finally:
            window.destroy()
            ctx.close()
        first_folder = first.folder
    assert not first_folder.exists()  # the demo's history went with its folder

    with DemoSession(tracks=60, movies=2, shows=1) as second:
        ctx, window = open_demo(second)
        try:
            window.update()
            assert ctx.paths.journal_file.is_relative_to(second.folder)
            assert window.app.journal.runs() == []
            hist = window.history_tab
            assert window.pump(lambda: not hist.reading, 20), "the history read"
            assert window.history_tab.summary_label.cget("text") == "No runs yet."
            screenshot("counts-second-demo-history")
        finally:
            window.destroy()
            ctx.close()
