"""The Import tab in a real window against the demo server: preview, review, apply, undo."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_gui_helpers import app_fixture, history_shown, pump_until, require_display, screenshot

pytestmark = pytest.mark.gui


@pytest.fixture
def win(app: Any) -> Iterator[Any]:
    require_display()
    for w in app_fixture(app):
        # --demo starts connected: the Plex tab lists the libraries first.
        pump_until(w, lambda w=w: bool(w.plex_tab.libraries) and not w.busy, 20, "libraries")
        yield w


def idle(win: Any, what: str) -> None:
    pump_until(win, lambda: not win.busy, 20, what)


def test_import_preview_apply_then_undo_on_history(
    win: Any, app: Any, demo: Any, tmp_path: Path
) -> None:
    lib = demo.lib
    paths = demo.write_exports(tmp_path)
    with paths["imdb"].open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_imdb = {g: k for k, it in lib.items.items() for g in it.guids if g.startswith("imdb://")}
    expected = {
        by_imdb[f"imdb://{r['Const']}"]: float(r["Your Rating"])
        for r in rows
        if f"imdb://{r['Const']}" in by_imdb
    }
    before = {k: it.user_rating for k, it in lib.items.items()}
    changed = {k for k, v in expected.items() if before[k] != v}

    tab = win.tab_objects["import"]
    win.select_tab("import")
    tab.path_var.set(str(paths["imdb"]))
    tab.all_var.set(True)
    tab.watched_var.set(False)
    tab.force_var.set(True)  # "Replace ratings I already gave": every differing value
    demo.reset_counts()
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.plan is not None and not win.busy, 20, "the import plan")
    assert demo.total_requests("PUT") == 0
    assert len(tab.plan) == len(changed)
    pump_until(win, lambda: tab.preview.shown_rows == len(changed), 10, "the preview rows")
    assert "not found" in tab.preview.counts_label.cget("text")
    assert tab.review.review_label.cget("text") == "Nothing needs review"
    win.update()
    screenshot("import-preview")

    tab.preview.apply_button.invoke()
    pump_until(win, lambda: tab.plan is None and not win.busy, 20, "the import run")
    assert {k: lib.rating(k) for k in expected} == expected
    # written with grouped edits (one per value and kind), never one request per film
    assert demo.counts["PUT /:/rate"] == 0
    assert 0 < demo.counts["PUT /library/sections/{id}/all"] <= len(set(expected.values())) * 2
    unmatched = tab.last_unmatched
    assert unmatched and Path(unmatched).exists() and Path(unmatched).parent == tmp_path
    assert Path(unmatched).name in tab.status_label.cget("text")
    log = win.log_pane.content()
    assert "breakdown: update" in log and f"unmatched rows: {unmatched}" in log
    win.update()
    screenshot("import")

    run_id = tab.last_report.run_id
    hist = history_shown(win, run_id)
    assert hist.runs_tree.item(str(run_id), "values")[2] == "Import"  # the job in words
    assert hist.runs_tree.item(str(run_id), "values")[4] == "you"  # whose ratings
    hist.undo_button.invoke()
    pump_until(win, lambda: hist.plan is not None and not win.busy, 20, "undo plan")
    hist.preview.apply_button.invoke()
    pump_until(win, lambda: hist.preview.plan is None and not win.busy, 20, "undo applied")
    assert {k: it.user_rating for k, it in lib.items.items()} == before
    win.update()
    screenshot("import-undone")


def test_review_accept_pick_and_skip_in_the_window(
    win: Any, app: Any, demo: Any, tmp_path: Path
) -> None:
    lib = demo.lib
    movies = [lib.items[k] for k in lib.keys_of(2, "movie")]
    title = movies[0].title  # the remake pair: no year -> two candidates
    third = movies[2]
    path = tmp_path / "ratings.csv"
    path.write_text(
        "Date,Name,Year,Letterboxd URI,Rating\n"
        f'2024-01-01,"{title}",,https://boxd.it/x,4.5\n'
        f'2024-01-02,"{third.title}",{third.year},https://boxd.it/y,0.5\n',
        encoding="utf-8",
    )
    tab = win.tab_objects["import"]
    win.select_tab("import")
    tab.path_var.set(str(path))
    tab.format_menu.set("Letterboxd")
    tab.all_var.set(True)
    tab.force_var.set(True)  # the picked film holds another rating of yours
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.plan is not None and not win.busy, 20, "the plan")
    assert len(tab.review.review_items) == 1
    assert tab.review.review_label.cget("text") == "Needs review: 1 to decide"
    (item,) = tab.review.review_items
    cands = [c for c, _ in item.candidates]
    assert len(cands) == 2
    tab.review.review_tree.selection_set("0")
    win.update()
    # The candidate shown selected is the one "Use this match" writes: the best one first.
    assert tab.review.candidate_tree.selection() == ("0",)
    assert (
        tab.review.accept_button.cget("state") == "normal"
        and tab.review.accept_button.looks_enabled
    )
    shown = tab.review.candidate_tree.item("0", "values")
    assert shown[0] == cands[0].label and shown[1].endswith("%")
    tab.review.accept_button.invoke()
    assert str(cands[0].key) in {c.target for c in tab.plan.changes}
    assert tab.review.review_tree.item("0", "values")[1] == f"✓ {cands[0].label}"

    # Another candidate, chosen in the list, is the one written.
    tab.review.review_tree.selection_set("0")
    win.update()
    assert tab.review.candidate_tree.selection() == ("0",)
    tab.review.candidate_tree.selection_set("1")
    tab.review.accept_button.invoke()
    targets = {c.target for c in tab.plan.changes}
    assert str(cands[1].key) in targets and str(cands[0].key) not in targets
    assert tab.review.review_tree.item("0", "values")[1] == f"✓ {cands[1].label}"
    # Back on the row, the list shows the choice made, so Accept writes it again.
    tab.review.review_tree.selection_set("0")
    win.update()
    assert tab.review.candidate_tree.selection() == ("1",)
    pump_until(win, lambda: tab.preview.shown_rows == len(tab.plan), 10, "the preview rows")
    screenshot("import-review")
    tab.review.skip_button.invoke()
    assert not any(c.target in {str(x.key) for x in cands} for c in tab.plan.changes)
    assert tab.review.review_tree.item("0", "values")[1] == "skipped"
    tab.review.review_tree.selection_set("0")
    win.update()
    tab.review.candidate_tree.selection_set("1")
    tab.review.accept_button.invoke()
    tab.preview.apply_button.invoke()
    pump_until(win, lambda: tab.plan is None and not win.busy, 20, "the run")
    assert lib.rating(cands[1].key) == 9.0 and lib.rating(third.key) == 1.0
    assert tab.app.settings.tab("import")["format"] == "Letterboxd"

    # Export: Letterboxd and plain CSV from one read
    out = tmp_path / "export"
    out.mkdir()
    assert tab.export_to(out) is not None
    idle(win, "the export")
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 2 and names[0].startswith("plex-ratings-")


def test_import_keeps_ratings_you_gave_unless_replace_is_ticked(
    win: Any, app: Any, demo: Any, tmp_path: Path
) -> None:
    """The walk-through: IMDb over differing ratings of yours writes none of them, lists each
    as "kept yours: Plex …, IMDb …"; with "Replace ratings I already gave" it writes them."""
    lib = demo.lib
    paths = demo.write_exports(tmp_path)
    with paths["imdb"].open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_imdb = {g: k for k, it in lib.items.items() for g in it.guids if g.startswith("imdb://")}
    file_value = {
        by_imdb[f"imdb://{r['Const']}"]: float(r["Your Rating"])
        for r in rows
        if f"imdb://{r['Const']}" in by_imdb
    }
    before = {k: lib.rating(k) for k in file_value}
    yours = {k for k, v in file_value.items() if before[k] is not None and before[k] != v}
    assert yours, "the demo export should disagree with some of the owner's ratings"

    tab = win.tab_objects["import"]
    win.select_tab("import")
    tab.path_var.set(str(paths["imdb"]))
    tab.all_var.set(True)
    tab.watched_var.set(False)
    assert tab.force_var.get() is False
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.plan is not None and not win.busy, 20, "the import plan")
    assert not {int(c.target) for c in tab.plan.changes} & yours
    assert f"{len(yours):,} kept yours" in tab.preview.counts_label.cget("text")
    pump_until(win, lambda: not tab.preview.filling, 10, "the plan's rows")
    listed = [tab.preview.tree.item(i, "values") for i in tab.preview.tree.get_children()]
    kept_rows = [v for v in listed if any("kept yours: Plex" in str(x) for x in v)]
    assert len(kept_rows) == len(yours)
    assert all(any(", IMDb " in str(x) for x in v) for v in kept_rows)
    win.update()
    screenshot("import-kept-yours")
    tab.preview.apply_button.invoke()
    pump_until(win, lambda: tab.plan is None and not win.busy, 20, "the import run")
    assert {k: lib.rating(k) for k in yours} == {k: before[k] for k in yours}

    tab.force_var.set(True)
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.plan is not None and not win.busy, 20, "the second plan")
    assert {int(c.target) for c in tab.plan.changes} == yours
    tab.preview.apply_button.invoke()
    pump_until(win, lambda: tab.plan is None and not win.busy, 20, "the second run")
    assert {k: lib.rating(k) for k in yours} == {k: file_value[k] for k in yours}
