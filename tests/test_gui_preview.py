"""The plan preview with a 100,000-change plan: no frozen window, full sort, full export."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_gui_helpers import app_fixture, pump_until, require_display, screenshot

from ratings_gui.core.plan import PLEX, Change, Plan

pytestmark = pytest.mark.gui

N = 100_000


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    require_display()
    from ratings_gui.context import AppContext

    ctx = AppContext.open(tmp_path / "home", logging_on=False)
    try:
        yield from app_fixture(ctx)
    finally:
        ctx.close()


def big_plan() -> Plan:
    plan = Plan("inference")
    for i in range(N):
        plan.add(
            Change(
                PLEX,
                str(1000 + i),
                "userRating",
                None if i % 3 == 0 else float(i % 10 + 1),
                float((i * 7) % 9 + 2),
                "album mean",
                f"Artist {i % 500:03d} - Album {i % 77} - Track {i:06d}",
            )
        )
    # One row far beyond the first 2,000 holds the smallest new value and a formula label.
    plan.changes[N - 1] = Change(PLEX, "999999", "userRating", 8.0, 1.0, "=cmd", "=HYPERLINK(1)")
    plan.count("unchanged", 1234)
    plan.count("not found", 5)
    return plan


def test_preview_100k_plan_keeps_window_responsive(app: Any, tmp_path: Path) -> None:
    from ratings_gui.gui.plan_preview import ROW_CAP, PlanPreview

    plan = big_plan()
    # its own window: every tab of the app lays out its widgets already
    import customtkinter as ctk

    host = ctk.CTkToplevel(app)
    host.geometry("1000x600")
    preview = PlanPreview(host, on_apply=lambda p: None)
    preview.pack(fill="both", expand=True)
    app.update()

    # count the event-loop turns the fill takes (a loaded machine may run several per update())
    turns = 0
    fill_chunk = preview.table._fill_chunk

    def counted(gen: int) -> None:
        nonlocal turns
        turns += 1
        fill_chunk(gen)

    preview.table._fill_chunk = counted  # type: ignore[method-assign]

    t0 = time.perf_counter()
    preview.show(plan)
    assert time.perf_counter() - t0 < 0.5, "show() must return at once"

    slowest = 0.0

    def filled() -> bool:
        return preview.shown_rows >= ROW_CAP and not preview.filling

    t0 = time.perf_counter()
    last = t0
    deadline = t0 + 20
    while not filled():
        app.update()
        now = time.perf_counter()
        slowest = max(slowest, now - last)
        last = now
        assert now < deadline, "table never filled"
    assert turns >= 5, f"the table filled in {turns} event-loop turns: not chunked"
    assert slowest < 0.5, f"one event-loop turn took {slowest:.2f}s"
    assert preview.shown_rows == ROW_CAP
    assert "100,000 to change" in preview.counts_label.cget("text")
    assert "1,234 unchanged" in preview.counts_label.cget("text")
    assert "2,000 of 100,000" in preview.table.note_label.cget("text")
    assert preview.apply_button.cget("state") == "normal"
    screenshot("gui-preview-100k")

    # Sorting covers the whole plan, not only the shown rows.
    preview.sort_by("new")
    pump_until(app, lambda: preview.shown_rows == ROW_CAP and not preview.filling)
    first = preview.tree.item(preview.tree.get_children()[0], "values")
    assert first[0] == "=HYPERLINK(1)"
    assert first[3] == "½ 0.5" and first[1] == "rating"
    assert "▲" in preview.tree.heading("new", "text")
    preview.sort_by("new")  # second click: descending
    pump_until(app, lambda: preview.shown_rows == ROW_CAP and not preview.filling)
    first = preview.tree.item(preview.tree.get_children()[0], "values")
    assert first[3] == "★★★★★ 5"
    assert "▼" in preview.tree.heading("new", "text")

    out = tmp_path / "plan.csv"
    assert preview.export_csv(out) == N
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == N + 1
    assert rows[0] == [
        "target_kind",
        "target",
        "label",
        "field",
        "old",
        "new",
        "old_stars",
        "new_stars",
        "reason",
    ]
    formula = next(r for r in rows if r[1] == "999999")
    assert formula[2] == "'=HYPERLINK(1)" and formula[8] == "'=cmd"
    assert formula[4:8] == ["8.0", "1.0", "★★★★", "½"]
    assert out.read_text(encoding="utf-8-sig").count("\n") == N + 1


def test_preview_discard_and_small_plan(app: Any) -> None:
    from ratings_gui.gui.plan_preview import PlanPreview

    discarded: list[Plan] = []
    applied: list[Plan] = []
    import customtkinter as ctk

    preview = PlanPreview(
        ctk.CTkToplevel(app), on_apply=applied.append, on_discard=discarded.append
    )
    preview.pack(fill="both", expand=True)
    plan = Plan("tags")
    plan.add(Change(PLEX, "1", "userRating", None, 7.0, "file tag", "A - B - C"))
    preview.show(plan)
    pump_until(app, lambda: preview.shown_rows == 1)
    assert preview.tree.item(preview.tree.get_children()[0], "values")[2:4] == (
        "not rated",
        "★★★½ 3.5",
    )
    assert preview.note_label.cget("text") == ""
    preview.apply_button.invoke()
    assert applied == [plan]
    preview.discard_button.invoke()
    assert discarded == [plan] and preview.shown_rows == 0


def test_export_button_writes_every_row_on_the_worker(
    app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Export… from a tab's preview: the whole plan, written on the job runner's thread."""
    import threading

    from ratings_gui.gui import plan_preview

    tab = app.tab_objects["base_rating"]
    preview = tab.make_preview()
    preview.show(big_plan())
    out = tmp_path / "plan.csv"
    monkeypatch.setattr(plan_preview.filedialog, "asksaveasfilename", lambda **kw: str(out))
    writers: list[str] = []
    real = plan_preview.write_plan_csv

    def spy(rows: Any, path: Any) -> int:
        writers.append(threading.current_thread().name)
        return real(rows, path)

    monkeypatch.setattr(plan_preview, "write_plan_csv", spy)
    preview._ask_export()
    pump_until(app, lambda: "Exported" in preview.note_label.cget("text"), timeout=60)
    assert writers and writers[0] != threading.main_thread().name
    with out.open(encoding="utf-8-sig") as fh:
        assert sum(1 for _ in csv.reader(fh)) == N + 1
