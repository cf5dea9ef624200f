"""Tags sync: the pure planner, then real runs on the demo library's real audio files.

Real HTTP to the demo server (unmodified plexapi), real files written by
the demo under a temp folder; undo is checked byte for byte.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import job_ctx, ratings_of, run_cli, signed_in

from ratings_gui import tags
from ratings_gui.core.pathmap import Rule
from ratings_gui.core.plan import FILE
from ratings_gui.core.records import Item
from ratings_gui.jobs import tags_sync as ts
from ratings_gui.jobs.undo import UndoJob

MUSIC = "Music"


# --- the pure planner ------------------------------------------------------------------


def _t(key: int, rating: float | None, rated_at: int | None = 1_000) -> Item:
    return Item(
        key=key,
        kind="track",
        title=f"t{key}",
        user_rating=rating,
        last_rated_at=rated_at if rating is not None else None,
        files=(f"/s/{key}.mp3",),
    )


def _r(key: int, rating: float | None, mtime: float = 500.0) -> tuple[str, ts.FileReading]:
    return f"/s/{key}.mp3", ts.FileReading(f"/l/{key}.mp3", tags.TagRating(rating), mtime)


def _cases() -> tuple[list[Item], dict[str, ts.FileReading]]:
    tracks = [
        _t(1, 6.0),  # same
        _t(2, 8.0),  # file unrated
        _t(3, None),  # plex unrated
        _t(4, None),  # neither
        _t(5, 4.0, rated_at=100),  # differ, file newer
        _t(6, 4.0, rated_at=900),  # differ, plex newer
        _t(7, 6.0),  # file missing
        _t(8, 6.0),  # unsupported
        _t(9, 6.0),  # unreadable
        _t(10, 6.0),  # not mapped
    ]
    readings = dict([_r(1, 6.0), _r(2, None), _r(3, 10.0), _r(4, None), _r(5, 8.0), _r(6, 2.0)])
    readings["/s/7.mp3"] = ts.FileReading("/l/7.mp3", tags.TagError("not_found", "gone"))
    readings["/s/8.mp3"] = ts.FileReading("/l/8.mp3", tags.TagError("unsupported", "no"))
    readings["/s/9.mp3"] = ts.FileReading("/l/9.mp3", tags.TagError("locked", "busy"))
    readings["/s/10.mp3"] = ts.FileReading(None)
    return tracks, readings


def _summary(plan: Any) -> dict[str, Any]:
    return {
        (c.target_kind, Path(c.target).stem if c.target_kind == FILE else c.target): c.new
        for c in plan.changes
    }


FIXED = {
    "in sync": 1,
    "no rating either side": 1,
    "file not found": 1,
    "unsupported": 1,
    "unreadable": 1,
    "not mapped": 1,
}


@pytest.mark.parametrize(
    ("direction", "conflict", "changes", "counts"),
    [
        (
            "both",
            "fill",
            {("file", "2"): 8.0, ("plex", "3"): 10.0},
            {"to files": 1, "to Plex": 1, "differ, left alone (fill only)": 2},
        ),
        (
            "both",
            "plex",
            {("file", "2"): 8.0, ("plex", "3"): 10.0, ("file", "5"): 4.0, ("file", "6"): 4.0},
            {"to files": 3, "to Plex": 1},
        ),
        (
            "both",
            "file",
            {("file", "2"): 8.0, ("plex", "3"): 10.0, ("plex", "5"): 8.0, ("plex", "6"): 2.0},
            {"to files": 1, "to Plex": 3},
        ),
        (
            "both",
            "newest",
            {("file", "2"): 8.0, ("plex", "3"): 10.0, ("plex", "5"): 8.0, ("file", "6"): 4.0},
            {"to files": 2, "to Plex": 2},
        ),
        (
            "to-files",
            "plex",
            {("file", "2"): 8.0, ("file", "5"): 4.0, ("file", "6"): 4.0},
            {"to files": 3, "not cleared": 1},
        ),
        (
            "to-files",
            "fill",
            {("file", "2"): 8.0},
            {"to files": 1, "not cleared": 1, "differ, left alone (fill only)": 2},
        ),
        (
            "to-plex",
            "newest",
            {("plex", "3"): 10.0, ("plex", "5"): 8.0},
            {"to Plex": 2, "not cleared": 1, "differ, target is newer": 1},
        ),
    ],
)
def test_planner_directions_and_conflicts(
    direction: str, conflict: str, changes: dict[Any, Any], counts: dict[str, int]
) -> None:
    tracks, readings = _cases()
    plan = ts.plan_tags_sync(tracks, readings, direction=direction, conflict=conflict)
    assert _summary(plan) == changes
    want = {**FIXED, **counts, "update": len(changes)}
    assert dict(plan.counts) == want
    # one outcome per track
    assert sum(v for k, v in plan.counts.items() if k != "update") == len(tracks)
    for c in plan.changes:
        assert c.field == ("rating" if c.target_kind == FILE else "userRating")


def test_planner_allow_clear_only_when_asked() -> None:
    tracks, readings = _cases()
    plan = ts.plan_tags_sync(tracks, readings, direction="to-files", allow_clear=True)
    assert _summary(plan)[("file", "3")] is None
    plan = ts.plan_tags_sync(tracks, readings, direction="to-plex", allow_clear=True)
    assert _summary(plan)[("plex", "2")] is None
    # both ways never clears anything
    plan = ts.plan_tags_sync(tracks, readings, direction="both", allow_clear=True)
    assert all(c.new is not None for c in plan.changes)


def test_planner_rejects_unknown_options() -> None:
    with pytest.raises(ValueError):
        ts.plan_tags_sync([], {}, direction="sideways")
    with pytest.raises(ValueError):
        ts.plan_tags_sync([], {}, conflict="loudest")


# --- real runs on the demo library ---------------------------------------------------------


@pytest.fixture
def mapp(tmp_path: Path, media_demo: Any) -> Iterator[Any]:
    with signed_in(media_demo, tmp_path / "home") as ctx:
        yield ctx


def _local(demo: Any, key: int) -> Path:
    from ratings_gui.demo.audio import local_path

    return local_path(demo.lib, demo.media_dir, demo.lib.items[key].file)


def _files(demo: Any) -> dict[int, bytes]:
    return {k: _local(demo, k).read_bytes() for k in demo.lib.keys_of(1, "track")}


def _file_ratings(demo: Any) -> dict[int, float | None]:
    return {k: tags.read_rating(_local(demo, k)).rating for k in demo.lib.keys_of(1, "track")}


def _opts(demo: Any, **kw: Any) -> ts.TagsOptions:
    return ts.TagsOptions(MUSIC, [Rule(demo.lib.media_root, str(demo.media_dir))], **kw)


def _run(app: Any, opts: ts.TagsOptions) -> tuple[Any, Any]:
    job = ts.TagsSyncJob(app, opts)
    plan = job.prepare(job_ctx())
    return plan, job.apply(job_ctx(), plan)


def test_sync_both_ways_then_undo_restores_files_byte_for_byte(mapp: Any, media_demo: Any) -> None:
    demo = media_demo
    keys = demo.lib.keys_of(1, "track")
    # some files carry their own ratings: one on an unrated track, one disagreeing
    unrated = [k for k in keys if demo.lib.rating(k) is None][:2]
    rated = [k for k in keys if demo.lib.rating(k) is not None][:2]
    tags.write_rating(_local(demo, unrated[0]), 10.0)
    tags.write_rating(_local(demo, rated[0]), 2.0 if demo.lib.rating(rated[0]) != 2.0 else 4.0)
    files_before, plex_before = _files(demo), ratings_of(demo)

    plan, report = _run(mapp, _opts(demo, direction="both", conflict="plex"))
    n_rated = sum(v is not None for v in plex_before.values())
    assert plan.counts["to Plex"] == 1 and plan.counts["to files"] == n_rated
    assert report.counts["applied"] == len(plan) and not report.failed
    after_plex, after_files = ratings_of(demo), _file_ratings(demo)
    assert after_plex[unrated[0]] == 10.0
    for k in keys:
        assert after_files[k] == after_plex[k]
    # a second plan finds everything in sync
    again = ts.TagsSyncJob(mapp, _opts(demo, conflict="plex")).prepare(job_ctx())
    assert len(again) == 0 and again.counts["in sync"] == n_rated + 1

    run = mapp.journal.runs()[0]
    assert run.job == "tags" and run.applied == len(plan)
    rows = mapp.journal.changes(run.id)
    file_rows = [r for r in rows if r.change.target_kind == FILE]
    assert all({"rating", "fields"} <= set(r.change.old) for r in file_rows)

    undo = UndoJob(mapp, run.id)
    uplan = undo.prepare(job_ctx())
    assert len(uplan) == len(plan)
    ureport = undo.apply(job_ctx(), uplan)
    assert not ureport.failed
    assert ratings_of(demo) == plex_before
    assert _files(demo) == files_before  # byte for byte
    assert mapp.journal.run(run.id).status == "undone"
    # undo of the undo puts the sync back
    redo = UndoJob(mapp, ureport.run_id)
    redo.apply(job_ctx(), redo.prepare(job_ctx()))
    assert _file_ratings(demo) == after_files and ratings_of(demo) == after_plex


def test_to_plex_newest_and_fill(mapp: Any, media_demo: Any) -> None:
    demo = media_demo
    keys = demo.lib.keys_of(1, "track")
    rated = [k for k in keys if demo.lib.rating(k) is not None]
    # file newer than Plex (the demo's lastRatedAt lies in the past) -> file wins with newest
    tags.write_rating(_local(demo, rated[0]), 1.0)
    old = demo.lib.rating(rated[1])
    tags.write_rating(_local(demo, rated[1]), 3.0)
    os.utime(_local(demo, rated[1]), (1_000, 1_000))  # file older than Plex -> kept
    plan, _ = _run(mapp, _opts(demo, direction="to-plex", conflict="newest"))
    assert plan.counts["to Plex"] == 1 and plan.counts["differ, target is newer"] == 1
    assert demo.lib.rating(rated[0]) == 1.0 and demo.lib.rating(rated[1]) == old
    # fill only: disagreements are left alone both ways
    plan = ts.TagsSyncJob(mapp, _opts(demo, conflict="fill")).prepare(job_ctx())
    assert plan.counts["differ, left alone (fill only)"] == 1
    assert all(c.old is None for c in plan.changes)


def test_missing_and_read_only_files_are_counted_not_crashing(mapp: Any, media_demo: Any) -> None:
    demo = media_demo
    rated = [k for k in demo.lib.keys_of(1, "track") if demo.lib.rating(k) is not None]
    _local(demo, rated[0]).unlink()
    ro = _local(demo, rated[1])
    ro_bytes = ro.read_bytes()
    ro.chmod(stat.S_IRUSR)
    vanish = _local(demo, rated[2])
    try:
        job = ts.TagsSyncJob(mapp, _opts(demo, direction="to-files"))
        plan = job.prepare(job_ctx())
        assert plan.counts["file not found"] == 1
        vanish.unlink()  # gone between preview and apply
        report = job.apply(job_ctx(), plan)
    finally:
        ro.chmod(stat.S_IRUSR | stat.S_IWUSR)
    reasons = {c.target: e for c, e in report.failed}
    assert reasons[str(ro)].startswith("read_only") and reasons[str(vanish)].startswith("not_found")
    assert report.counts["file failed: read only"] == 1
    assert report.counts["file failed: not found"] == 1
    assert report.counts["applied"] == len(plan) - 2
    assert ro.read_bytes() == ro_bytes
    assert not list(ro.parent.glob(".*ratings-tmp"))


def test_changed_since_preview_and_since_run_are_left_alone(mapp: Any, media_demo: Any) -> None:
    demo = media_demo
    job = ts.TagsSyncJob(mapp, _opts(demo, direction="to-files"))
    plan = job.prepare(job_ctx())
    first = plan.changes[0]
    tags.write_rating(first.target, 1.0)  # the user rates it after the preview
    report = job.apply(job_ctx(), plan)
    assert [c.target for c, _ in report.failed] == [first.target]
    assert tags.read_rating(first.target).rating == 1.0
    second = plan.changes[1]
    tags.write_rating(second.target, 1.0)  # ... and another after the run
    undo = UndoJob(mapp, report.run_id)
    uplan = undo.prepare(job_ctx())
    assert uplan.counts["changed since"] == 1 and len(uplan) == len(plan) - 2
    undo.apply(job_ctx(), uplan)
    assert tags.read_rating(second.target).rating == 1.0


# --- command line --------------------------------------------------------------------------------


def test_cli_dry_run_apply_and_bad_mapping(tmp_path: Path, media_demo: Any) -> None:
    demo = media_demo
    home = tmp_path / "cli-home"

    def _cli(*extra: str) -> tuple[int, dict[str, Any], str]:
        err: list[str] = []
        code, res = run_cli("tags", demo, home, *extra, stderr=err)
        return code, res, err[0]

    m = f"{demo.lib.media_root}={demo.media_dir}"
    code, res, _ = _cli("--map", m, "--test-mapping")
    assert code == 0 and res["counts"]["found"] == res["counts"]["checked"] > 0
    before = _files(demo)
    code, res, _ = _cli("--map", m, "--direction", "to-files", "--dry-run")
    assert code == 0 and res["dry_run"] and res["counts"]["to files"] > 0
    assert _files(demo) == before
    code, res, _ = _cli("--map", m, "--direction", "to-files", "--yes", "--keep-mtime")
    assert code == 0 and res["files_written"] == res["changes"] > 0
    # a wrong local folder: plain message, exit 2, and the suggested rule
    wrong = f"{demo.lib.media_root}={tmp_path / 'nope' / 'music'}"
    code, res, err = _cli("--map", wrong, "--dry-run")
    assert code == 2 and "finds none" in err and "Traceback" not in err
    code, res, err = _cli("--map", "no-equals-sign")
    assert code == 2 and "SERVER_PREFIX=LOCAL_PREFIX" in err
