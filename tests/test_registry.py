"""A job declares itself once; the command line can do what the window does.

The registry test adds a tiny job (its declaration, one command, one tab)
without editing any list, and finds its command, its tab and its
provenance; duplicates are refused. The policy tests run the command line
against the demo server: the automatic backup, review decisions as data.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

from ratings_gui.cli import build_parser
from ratings_gui.cli.base import COMMANDS, Command, DuplicateCommand, register
from ratings_gui.core import registry
from ratings_gui.core.provenance import BASE
from ratings_gui.core.registry import DuplicateJob, JobSpec, declare, default_whose
from ratings_gui.journal import Journal

TINY = "tiny-test-job"


@pytest.fixture
def tiny() -> Iterator[JobSpec]:
    """A job declared, a command registered and a tab registered, as a new job module would."""
    from ratings_gui.gui import tabs

    spec = declare(JobSpec(TINY, sets=BASE, title="Tiny", command=TINY, tab="tiny"))
    register(Command(TINY, "a tiny job", lambda p: None, lambda app, args, out: 0))

    class TinyTab(tabs.Tab):
        def build(self) -> None:  # only widgets
            pass

    tabs.register_tab(tabs.TabEntry("tiny", "Tiny", "a tiny tab", order=65), TinyTab)
    try:
        yield spec
    finally:
        registry._JOBS.pop(TINY, None)
        COMMANDS.pop(TINY, None)
        tabs._TABS.pop("tiny", None)


def test_a_new_job_is_found_everywhere_without_editing_a_list(
    tiny: JobSpec, tmp_path: Path
) -> None:
    from ratings_gui.gui.tabs import tab_class, tab_entries

    # its command
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert TINY in sub.choices
    # its tab, in its place among the others
    names = [e.name for e in tab_entries()]
    assert names.index("backup") < names.index("tiny") < names.index("history")
    assert tab_class(next(e for e in tab_entries() if e.name == "tiny")).__name__ == "TinyTab"
    # its provenance: the journal records its values as the program's base values
    assert default_whose(TINY) == BASE
    j = Journal(tmp_path / "j.sqlite3")
    from ratings_gui.core.plan import PLEX, Change
    from ratings_gui.journal import APPLIED

    run = j.start_run(TINY)
    j.mark(j.record_pending(run, [Change(PLEX, "1", "userRating", None, 6.0)]), APPLIED)
    assert j.standing_writes(PLEX)["1"].whose == BASE
    assert registry.title_of(TINY) == "Tiny"
    j.close()


def test_duplicates_are_refused(tiny: JobSpec) -> None:
    from ratings_gui.gui import tabs

    with pytest.raises(DuplicateJob):
        declare(JobSpec(TINY, sets="inferred"))
    with pytest.raises(DuplicateCommand):
        register(Command(TINY, "another", lambda p: None, lambda app, args, out: 1))

    class Other(tabs.Tab):
        pass

    with pytest.raises(tabs.DuplicateTab):
        tabs.register_tab(tabs.TabEntry("tiny", "Tiny 2"), Other)


def test_every_declared_job_has_its_command_and_tab() -> None:
    """The registry's commands and tabs exist (a typo in a declaration would break here)."""
    from ratings_gui.gui.tabs import tab_entries
    from ratings_gui.jobs import declare_all

    declare_all()
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    tabs = {e.name for e in tab_entries()}
    for spec in registry.declared_jobs():
        if spec.command:
            assert spec.command in sub.choices, spec
        if spec.tab:
            assert spec.tab in tabs, spec
    assert not registry.backs_up_first("clear-ratings")  # a clear makes its own backup


# --- the command line does what the window does ------------------------------------------------


def _backups(home: Path) -> list[Path]:
    folder = home / "data" / "backups"
    return sorted(folder.glob("*")) if folder.exists() else []


def test_backup_first_keeps_the_ratings_a_run_changes(demo: Any, home: Path) -> None:
    from ratings_gui.jobs.transfer import read_backup_file

    lib = demo.lib
    code, out = run_cli("base-rating", demo, home, "--stars", "3", "--override-mine", "--yes")
    assert code == 0 and out["changes"] > 0
    assert not _backups(home)  # not asked for, not set: no backup
    before = {k: lib.rating(k) for k in lib.keys_of(1, "track")}
    code, out = run_cli("base-rating", demo, home, "--stars", "4", "--override", "--yes",
                        "--backup-first")  # fmt: skip
    assert code == 0 and out["changes"] > 0
    (path,) = _backups(home)
    kept = {e.key: e.rating for e in read_backup_file(path).entries}
    # the ratings the run changed, as they were before it
    assert len(kept) == out["changes"] and all(before[k] == v for k, v in kept.items())


def test_the_setting_the_window_asks_is_the_command_lines_default(demo: Any, home: Path) -> None:
    from ratings_gui.context import AppContext
    from ratings_gui.jobs.policy import AUTO_BACKUP_KEY

    app = AppContext.open(home, logging_on=False)
    app.settings.set(AUTO_BACKUP_KEY, True)  # what "Yes, always" in the window stores
    app.close()
    code, out = run_cli("base-rating", demo, home, "--stars", "3", "--override-mine", "--yes")
    assert code == 0 and out["changes"] > 0 and len(_backups(home)) == 1
    code, out = run_cli("base-rating", demo, home, "--stars", "2", "--override", "--yes",
                        "--no-backup-first")  # fmt: skip
    assert code == 0 and out["changes"] > 0 and len(_backups(home)) == 1  # not this time


def _review_file(demo: Any, tmp_path: Path) -> tuple[Path, list[Any], Any]:
    lib = demo.lib
    movies = [lib.items[k] for k in lib.keys_of(2, "movie")]
    title = movies[0].title  # the remake pair: no year -> two possible matches
    pair = [m for m in movies if m.title == title]
    third = next(m for m in movies if m.title != title)
    path = tmp_path / "ratings.csv"
    path.write_text(
        "Date,Name,Year,Letterboxd URI,Rating\n"
        f'2024-01-01,"{title}",,https://boxd.it/x,4.5\n'
        f'2024-01-02,"{third.title[:-1]}",{third.year},https://boxd.it/y,0.5\n',
        encoding="utf-8",
    )
    return path, pair, third


def test_review_out_then_decisions_write_the_chosen_items(
    demo: Any, home: Path, tmp_path: Path
) -> None:
    path, pair, _ = _review_file(demo, tmp_path)
    review = tmp_path / "review.csv"
    code, out = run_cli("import", demo, home, str(path), "--format", "letterboxd",
                        "--overwrite", "--dry-run", "--review-out", str(review),
                        library="Movies")  # fmt: skip
    assert code == 0 and out["counts"]["needs review"] >= 1
    with review.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    first = next(r for r in rows if r["line"] == "2")
    assert all(str(m.key) in first["candidates"] for m in pair) and first["choice"] == ""
    # the person picks the second film and skips the rest
    for r in rows:
        r["choice"] = str(pair[1].key) if r["line"] == "2" else "skip"
    with review.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    code, out = run_cli("import", demo, home, str(path), "--format", "letterboxd",
                        "--overwrite", "--yes", "--decisions", str(review),
                        library="Movies")  # fmt: skip
    assert code == 0 and out["counts"]["needs review"] == 0
    assert out["counts"]["skipped"] == len(rows) - 1
    assert demo.lib.rating(pair[1].key) == 9.0 and demo.lib.rating(pair[0].key) != 9.0

    # a key that is not one of the row's matches is refused; nothing is written
    bad = tmp_path / "bad.csv"
    bad.write_text(f"line,choice\n2,{pair[0].key + 100000}\n", encoding="utf-8")
    before = demo.lib.rating(pair[0].key)
    code, out = run_cli("import", demo, home, str(path), "--format", "letterboxd",
                        "--overwrite", "--yes", "--decisions", str(bad),
                        library="Movies")  # fmt: skip
    assert code == 2 and "line 2" in out["error"] and demo.lib.rating(pair[0].key) == before


def test_accept_above_takes_a_clear_best_match(demo: Any, home: Path, tmp_path: Path) -> None:
    path, pair, third = _review_file(demo, tmp_path)
    # the remake pair is a tie: never taken by a score; the misspelt title has one best match
    code, out = run_cli("import", demo, home, str(path), "--format", "letterboxd",
                        "--overwrite", "--yes", "--accept-above", "0.5",
                        library="Movies")  # fmt: skip
    assert code == 0
    assert demo.lib.rating(third.key) == 1.0
    assert out["counts"]["needs review"] == 1  # the pair still waits for a person
