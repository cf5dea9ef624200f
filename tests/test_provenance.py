"""Whose rating is it: every job against every kind of current value, on the demo server.

The rule (``core.provenance.whose``): a value is the program's guess (base
or inferred) while it still equals what the program last wrote; anything
else is yours. No job writes over yours without your say; the program's
guesses are replaced freely; a value someone set after the preview is left
alone. Each job runs for real (real HTTP, real files for Tags) over five
items, one per kind of current value.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from conftest import job_ctx, signed_in, track_file

from ratings_gui.core import tagsplan as tsp
from ratings_gui.core.pathmap import Rule
from ratings_gui.core.plan import PLEX, Change
from ratings_gui.core.provenance import BASE, INFERRED, UNRATED, YOURS, whose
from ratings_gui.jobs import base_rating as br
from ratings_gui.jobs import infer as ij
from ratings_gui.jobs import ratings_csv as rc
from ratings_gui.jobs import tags_sync as ts
from ratings_gui.jobs import transfer as jt
from ratings_gui.jobs.base import rating_provenance
from ratings_gui.jobs.import_job import ImportJob
from ratings_gui.jobs.undo import UndoJob
from ratings_gui.journal import APPLIED
from ratings_gui.plex.bulk import GROUPED_CHUNK

KINDS = ("none", "yours", "base", "inferred", "during")
#: The value each kind holds before the job (Plex 0-10); "during" is unrated at the preview.
SEED = {"none": None, "yours": 3.0, "base": 1.0, "inferred": 0.5, "during": None}
#: What someone gives the "during" item in Plex between the preview and the write.
DURING = 7.0
#: What the file-like sources say (IMDb, ratings CSV, backup, file tags).
NEW = 9.0
KEPT, REPLACED = "kept", "replaced"

#: One row per job: what happens to each kind of current value with default options.
EXPECT: dict[str, dict[str, str]] = {
    "import": dict(none=REPLACED, yours=KEPT, base=REPLACED, inferred=REPLACED, during=KEPT),
    "ratings-import": dict(
        none=REPLACED, yours=KEPT, base=REPLACED, inferred=REPLACED, during=KEPT
    ),
    "restore": dict(none=REPLACED, yours=KEPT, base=REPLACED, inferred=REPLACED, during=KEPT),
    "tags": dict(none=REPLACED, yours=KEPT, base=REPLACED, inferred=REPLACED, during=KEPT),
    # a base rating fills unrated tracks only; the program's other values need "override"
    "base-rating": dict(none=REPLACED, yours=KEPT, base=KEPT, inferred=KEPT, during=KEPT),
    "infer": dict(none=REPLACED, yours=KEPT, base=REPLACED, inferred=REPLACED, during=KEPT),
}


def _journal_write(app: Any, job: str, whose_: str, key: int, value: float) -> None:
    """What an earlier run of ``job`` left: the journal says the program wrote ``value``."""
    j = app.journal
    run = j.start_run(job, server=app.connection.name, whose=whose_)
    j.mark(j.record_pending(run, [Change(PLEX, str(key), "userRating", None, value)]), APPLIED)
    j.finish_run(run, "done")


def _seed(app: Any, demo: Any, keys: dict[str, int]) -> None:
    for kind, key in keys.items():
        demo.lib.set_rating(key, SEED[kind])
    _journal_write(app, br.JOB, BASE, keys["base"], SEED["base"])
    _journal_write(app, ij.JOB, INFERRED, keys["inferred"], SEED["inferred"])
    # the rule agrees with the seeds before any job runs
    prov = rating_provenance(app)
    seen = {kind: whose(SEED[kind], prov.get(str(key))) for kind, key in keys.items()}
    assert seen == {
        "none": UNRATED,
        "yours": YOURS,
        "base": BASE,
        "inferred": INFERRED,
        "during": UNRATED,
    }


def _run_table(app: Any, demo: Any, job_name: str, keys: dict[str, int], job: Any) -> None:
    _seed(app, demo, keys)
    plan = job.prepare(job_ctx())
    demo.lib.set_rating(keys["during"], DURING)  # rated in Plex after the preview
    report = job.apply(job_ctx(), plan)
    got = {}
    for kind, key in keys.items():
        before = DURING if kind == "during" else SEED[kind]
        now = demo.lib.rating(key)
        got[kind] = KEPT if now == before else REPLACED
        if got[kind] == REPLACED:
            assert now is not None, (kind, key)
    assert got == EXPECT[job_name]
    left = [c.target for c, _ in report.left_alone]
    assert str(keys["during"]) in left, report.counts


def _tracks_of_a_rated_album(demo: Any, n: int = 5) -> list[int]:
    """``n`` tracks of one album whose other tracks are rated (inference has evidence)."""
    lib = demo.lib
    by_album: dict[int, list[int]] = {}
    for k in lib.keys_of(1, "track"):
        by_album.setdefault(lib.items[k].parent_key, []).append(k)
    for _album, tracks in sorted(by_album.items(), key=lambda t: -len(t[1])):
        if len(tracks) >= n + 3:
            rest = tracks[n:]
            for k in rest:
                if lib.rating(k) is None:
                    lib.set_rating(k, 8.0)
            return tracks[:n]
    raise AssertionError("no album big enough")


def _keys(tracks: list[int]) -> dict[str, int]:
    return dict(zip(KINDS, tracks, strict=True))


# --- the table, one job per test -------------------------------------------------------------


def test_import_keeps_yours_replaces_guesses(app: Any, demo: Any, tmp_path: Path) -> None:
    lib = demo.lib
    movies = [
        k
        for k in lib.keys_of(2, "movie")
        if any(g.startswith("imdb://") for g in lib.items[k].guids)
    ]
    keys = _keys(movies[:5])
    path = tmp_path / "imdb.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Const", "Your Rating", "Date Rated", "Title", "URL", "Title Type",
                    "IMDb Rating", "Runtime (mins)", "Year", "Genres", "Num Votes",
                    "Release Date", "Directors"])  # fmt: skip
        for k in keys.values():
            it = lib.items[k]
            const = next(g for g in it.guids if g.startswith("imdb://"))[len("imdb://") :]
            w.writerow([const, f"{NEW:g}", "2024-01-01", it.title, "", "movie", "7", "90",
                        it.year, "", "1", "", ""])  # fmt: skip
    _run_table(app, demo, "import", keys, ImportJob(app, path, library="Movies"))


def test_ratings_csv_import_keeps_yours_replaces_guesses(
    app: Any, demo: Any, tmp_path: Path
) -> None:
    keys = _keys(demo.lib.keys_of(1, "track")[:5])
    path = tmp_path / "r.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["kind", "key", "title", "stars", "source"])
        for k in keys.values():
            w.writerow(["track", k, demo.lib.items[k].title, f"{NEW / 2:g}", "own"])
    _run_table(app, demo, "ratings-import", keys, rc.RatingsImportJob(app, "Music", path))


def test_restore_keeps_yours_replaces_guesses(app: Any, demo: Any, tmp_path: Path) -> None:
    keys = _keys(demo.lib.keys_of(1, "track")[:5])
    for k in keys.values():
        demo.lib.set_rating(k, NEW)
    path = tmp_path / "b.json"
    jt.BackupJob(app, path, ["Music"]).run(job_ctx())
    _run_table(app, demo, "restore", keys, jt.RestoreJob(app, path, ["Music"]))


def test_base_rating_fills_only_unrated(app: Any, demo: Any) -> None:
    keys = _keys(demo.lib.keys_of(1, "track")[:5])
    job = br.BaseRatingJob(app, br.BaseRatingOptions("Music", value=4.0))
    _run_table(app, demo, "base-rating", keys, job)


def test_inference_keeps_yours_replaces_guesses(app: Any, demo: Any) -> None:
    keys = _keys(_tracks_of_a_rated_album(demo))
    _run_table(app, demo, "infer", keys, ij.InferJob(app, ij.InferOptions("Music")))


def test_tags_keep_yours_replace_guesses(mapp: Any, media_demo: Any) -> None:
    from ratings_gui import tags

    demo = media_demo
    tracks = [k for k in demo.lib.keys_of(1, "track") if track_file(demo, k).suffix == ".mp3"][:5]
    keys = _keys(tracks)
    for k in tracks:
        tags.write_rating(str(track_file(demo, k)), NEW)
    opts = ts.TagsOptions("Music", [Rule(demo.lib.media_root, str(demo.media_dir))])
    _run_table(mapp, demo, "tags", keys, ts.TagsSyncJob(mapp, opts))


# --- the program's guesses stay out of files ---------------------------------------------------


def test_tags_after_inference_write_no_guess_into_files(mapp: Any, media_demo: Any) -> None:
    from ratings_gui import tags

    demo = media_demo
    infer = ij.InferJob(mapp, ij.InferOptions("Music"))
    report = infer.apply(job_ctx(), infer.prepare(job_ctx()))
    guessed = {int(c.target) for c in report.applied if c.field == "userRating"}
    tracks = {k for k in demo.lib.keys_of(1, "track")} & guessed
    assert tracks, "inference wrote no track ratings"
    before = {k: tags.read_rating(str(track_file(demo, k))).rating for k in tracks}
    opts = ts.TagsOptions("Music", [Rule(demo.lib.media_root, str(demo.media_dir))])
    opts.direction = "to-files"
    opts.conflict = "plex"
    job = ts.TagsSyncJob(mapp, opts)
    plan = job.prepare(job_ctx())
    assert plan.counts[tsp.GUESS_NOT_WRITTEN] >= len(tracks)
    written = {c.target for c in plan.changes}
    assert not any(str(track_file(demo, k)) in written for k in tracks)
    job.apply(job_ctx(), plan)
    assert {k: tags.read_rating(str(track_file(demo, k))).rating for k in tracks} == before

    # asked for, the guesses go into files; read back they stay the program's, not yours
    opts.include_guesses = True
    job = ts.TagsSyncJob(mapp, opts)
    plan = job.prepare(job_ctx())
    files = {c.target for c in plan.changes}
    assert {str(track_file(demo, k)) for k in tracks} <= files
    job.apply(job_ctx(), plan)
    some = sorted(tracks)[0]
    demo.lib.set_rating(some, None)  # Plex loses the guess; the file still holds it
    back = ts.TagsSyncJob(mapp, ts.TagsOptions("Music", opts.rules, direction="to-plex"))
    plan = back.prepare(job_ctx())
    assert not any(c.target == str(some) for c in plan.changes)
    assert plan.counts[tsp.FILE_GUESS] >= 1


# --- someone rates while the program writes ----------------------------------------------------


def _base_run_with_ratings_during(app: Any, demo: Any) -> tuple[Any, list[int]]:
    """Base rating while 20 unrated tracks (some written already, some not yet) are rated 5★.

    The 20 are rated by the server right after it carried out the run's first grouped edit
    (before answering it): the run has written the first 10 and not reached the last 10, on
    any machine, however loaded.
    """
    unrated = [k for k in demo.lib.keys_of(1, "track") if demo.lib.rating(k) is None]
    assert len(unrated) >= 60
    # 10 the run will already have written, 10 it has not reached yet
    mine = unrated[5:15] + unrated[-10:]
    job = br.BaseRatingJob(app, br.BaseRatingOptions("Music", value=6.0))
    plan = job.prepare(job_ctx())
    assert len(plan) > GROUPED_CHUNK  # two chunks at least: the last 10 are in a later one
    edit = demo.lib.edit
    edits: list[int] = []

    def edit_then_rate(*args: Any, **kw: Any) -> int:
        n = edit(*args, **kw)
        edits.append(n)
        if len(edits) == 1:
            assert all(demo.lib.rating(k) == 6.0 for k in unrated[5:15])
            for k in mine:
                demo.lib.set_rating(k, 10.0)
        return n

    demo.lib.edit = edit_then_rate
    try:
        report = job.apply(job_ctx(), plan)
    finally:
        del demo.lib.edit
    assert len(edits) >= 2
    return report, mine


def test_ratings_given_during_a_base_rating_run_survive_the_run_and_undo(
    app: Any, demo: Any
) -> None:
    report, mine = _base_run_with_ratings_during(app, demo)
    assert {k: demo.lib.rating(k) for k in mine} == dict.fromkeys(mine, 10.0), report.counts
    left = {int(c.target) for c, _ in report.left_alone}
    assert set(mine) <= left
    assert report.counts["changed in Plex during the run"] + report.counts[
        "changed in Plex since the preview"
    ] >= len(mine)
    undo = UndoJob(app, report.run_id)
    undo.apply(job_ctx(), undo.prepare(job_ctx()))
    assert all(demo.lib.rating(k) == 10.0 for k in mine)
    # everything else the run wrote is gone again
    assert all(
        demo.lib.rating(int(c.target)) is None for c in report.applied if int(c.target) not in mine
    )


def test_two_data_directories_do_not_overwrite_each_other(demo: Any, tmp_path: Path) -> None:
    """Two computers (two journals): the second run leaves what the first wrote meanwhile."""
    with signed_in(demo, tmp_path / "a") as a, signed_in(demo, tmp_path / "b") as b:
        unrated = [k for k in demo.lib.keys_of(1, "track") if demo.lib.rating(k) is None]
        job_a = br.BaseRatingJob(a, br.BaseRatingOptions("Music", value=6.0))
        job_b = br.BaseRatingJob(b, br.BaseRatingOptions("Music", value=4.0))
        plan_a = job_a.prepare(job_ctx())
        plan_b = job_b.prepare(job_ctx())  # both planned from the same unrated tracks
        time.sleep(1.1)  # lastRatedAt has whole seconds: A's writes come after B's read
        rep_a = job_a.apply(job_ctx(), plan_a)
        rep_b = job_b.apply(job_ctx(), plan_b)
        assert rep_a.changes == len(unrated)
        assert rep_b.changes == 0 and len(rep_b.left_alone) == len(unrated)
        assert all(demo.lib.rating(k) == 6.0 for k in unrated)
        # B's undo has nothing of A's to take back; A's undo clears its own
        undo_b = UndoJob(b, rep_b.run_id)
        undo_b.apply(job_ctx(), undo_b.prepare(job_ctx()))
        assert all(demo.lib.rating(k) == 6.0 for k in unrated)
        undo_a = UndoJob(a, rep_a.run_id)
        undo_a.apply(job_ctx(), undo_a.prepare(job_ctx()))
        assert all(demo.lib.rating(k) is None for k in unrated)


def test_the_rule_is_written_once() -> None:
    """One definition of whose a value is; the old copies are gone."""
    root = Path(__file__).resolve().parent.parent / "ratings_gui"
    text = {p: p.read_text(encoding="utf-8") for p in root.rglob("*.py")}
    defs = [p.name for p, t in text.items() if "\ndef whose(" in t]
    assert defs == ["provenance.py"]
    for gone in (
        "def _owned(",
        "def _is_program(",
        "def inferred_now(",
        "CARRIED_JOBS",
        "INVENTED_REASONS",
        "BASE_JOBS",
        "INFER_JOBS",
    ):
        assert not [p.name for p, t in text.items() if gone in t], gone
