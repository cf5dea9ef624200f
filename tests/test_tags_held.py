"""Files that cannot hold every half star: in sync once they hold the nearest they can.

A WMA keeps whole stars (WMP's 0/1/25/50/75/99), a foobar2000 1-5 ``RATING``
too, a POPM byte half stars (a Plex value in tenths is rounded). Writing
Plex's 1.5 stars to a WMA leaves 2 stars there; the next sync must see that
as in sync, in every direction and conflict rule, and not write the file (or
carry the 2 stars into Plex) again and again. Real files (copies of the
rating samples), the real demo server over HTTP; undo is checked byte for byte.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_as_track, job_ctx, ratings_of, track_file

from ratings_gui import tags
from ratings_gui.core.pathmap import Rule
from ratings_gui.core.plan import FILE, PLEX
from ratings_gui.core.records import Item
from ratings_gui.core.tagsplan import CONFLICTS, DIRECTIONS, HELD, IN_SYNC
from ratings_gui.jobs import tags_sync as ts
from ratings_gui.jobs.undo import UndoJob

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "rating-samples"
if not SAMPLES.is_dir():
    SAMPLES = Path("/work/shared/rating-samples")

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="rating samples not available")

NAMES = sorted(
    p.name for p in SAMPLES.glob("*") if p.suffix.lower() in tags.SUPPORTED_EXTENSIONS
) or ["missing"]
#: Plex values: every half star, and tenths (the inference's 0.1 setting writes those).
VALUES = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 3.3, 7.8]


def copy(tmp_path: Path, name: str, as_name: str | None = None) -> Path:
    dst = tmp_path / (as_name or name)
    shutil.copyfile(SAMPLES / name, dst)
    dst.chmod(0o644)
    return dst


def foobar_flac(tmp_path: Path, stars: str = "5") -> Path:
    """A FLAC whose only rating is foobar2000's whole stars (``RATING=5``)."""
    path = copy(tmp_path, "test.flac", "foobar.flac")
    tags.restore_fields(path, {"RATING": stars})
    return path


# --- stored(): what the file reads back after a write ----------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_stored_is_what_the_file_reads_after_the_write(tmp_path: Path, name: str) -> None:
    """The prediction is the truth: for every sample and value, write for real and read back."""
    path = copy(tmp_path, name)
    original = path.read_bytes()
    for value in VALUES:
        path.write_bytes(original)
        predicted = tags.read_rating(path).stored(value)
        tags.write_rating(path, value)
        assert tags.read_rating(path).rating == predicted, (name, value)


def test_which_files_round(tmp_path: Path) -> None:
    wma = tags.read_rating(copy(tmp_path, "test.wma"))
    assert [wma.stored(v) for v in (1.0, 3.0, 6.0, 7.0, 9.0, 3.3)] == [2, 4, 6, 8, 10, 4]
    foobar = tags.read_rating(foobar_flac(tmp_path))
    assert foobar.rating == 10.0 and [foobar.stored(v) for v in (3.0, 7.0, 8.0)] == [4, 8, 8]
    for name in ("mp3_rating_testWMP3.mp3", "mp3_rating_testMM5.mp3", "test.wav", "test.aif"):
        popm = tags.read_rating(copy(tmp_path, name))
        assert [popm.stored(v) for v in (3.0, 7.0, 3.3, 7.8)] == [3, 7, 3, 8], name
    for name in ("test.flac", "test.m4a", "test.ape", "test.wv", "test.ogg"):
        exact = tags.read_rating(copy(tmp_path, name))
        assert [exact.stored(v) for v in (3.0, 7.0, 3.3)] == [3, 7, 3.3], name
    # a reading with no family (the pure planner tests build those) predicts nothing
    assert tags.TagRating(4.0).stored(3.0) == 3.0


# --- the pure planner on real readings -----------------------------------------------------


def _track(rating: float, path: str) -> Item:
    return Item(key=1, kind="track", title="t", user_rating=rating, files=(path,))


def _plan(rating: float, reading: Any, direction: str, conflict: str) -> Any:
    readings = {"/s/1": ts.FileReading("/l/1", reading, 500.0)}
    return ts.plan_tags_sync(
        [_track(rating, "/s/1")], readings, direction=direction, conflict=conflict
    )


@pytest.mark.parametrize(("direction", "conflict"), list(itertools.product(DIRECTIONS, CONFLICTS)))
def test_planner_a_wma_holding_the_nearest_whole_star_is_in_sync(
    tmp_path: Path, direction: str, conflict: str
) -> None:
    wma = copy(tmp_path, "test.wma")
    for plex, written in ((3.0, 4.0), (7.0, 8.0), (1.0, 2.0)):
        tags.write_rating(wma, plex)
        reading = tags.read_rating(wma)
        assert reading.rating == written
        plan = _plan(plex, reading, direction, conflict)
        assert len(plan) == 0 and dict(plan.counts) == {HELD: 1}, (plex, direction, conflict)


def test_planner_a_real_difference_on_a_wma_is_still_one(tmp_path: Path) -> None:
    wma = copy(tmp_path, "test.wma")
    tags.write_rating(wma, 4.0)  # two stars: what writing Plex's 1.5 stars leaves there
    assert len(_plan(3.0, tags.read_rating(wma), "to-files", "plex")) == 0
    for other in (2.0, 6.0):  # one star (the writer rounds half stars up) or three
        tags.write_rating(wma, other)
        reading = tags.read_rating(wma)
        (change,) = _plan(3.0, reading, "to-files", "plex").changes
        assert change.target_kind == FILE and change.new == 3.0
        (change,) = _plan(3.0, reading, "to-plex", "file").changes
        assert change.target_kind == PLEX and change.new == other


def test_planner_a_0_10_rating_of_6_is_a_difference_from_plex_3(tmp_path: Path) -> None:
    """A 0-10 RATING of 6 and Plex's 3: the writer writes "3.1" (a "3" would read back as
    foobar2000's 3 stars, 6), so the file's 6 is no rounding of Plex's 3: a difference."""
    path = foobar_flac(tmp_path, "6")
    reading = tags.read_rating(path, rating_scale="ten")
    assert reading.rating == 6.0 and reading.stored(3.0) == 3.1
    plan = _plan(3.0, reading, "to-files", "plex")
    assert len(plan) == 1 and HELD not in plan.counts


# --- real runs on the demo library ------------------------------------------------------------


def _opts(demo: Any, **kw: Any) -> ts.TagsOptions:
    return ts.TagsOptions("Music", [Rule(demo.lib.media_root, str(demo.media_dir))], **kw)


def _run(app: Any, demo: Any, **kw: Any) -> Any:
    job = ts.TagsSyncJob(app, _opts(demo, **kw))
    return job.apply(job_ctx(), job.prepare(job_ctx()))


def _files(demo: Any) -> dict[int, bytes]:
    return {k: track_file(demo, k).read_bytes() for k in demo.lib.keys_of(1, "track")}


def _rounding_library(demo: Any, tmp_path: Path) -> dict[int, tuple[float, float]]:
    """Four rated tracks whose files round: key -> (Plex value, what the file will hold)."""
    rated = [k for k in demo.lib.keys_of(1, "track") if demo.lib.rating(k) is not None]
    mp3 = next(k for k in rated if demo.lib.items[k].file.endswith(".mp3"))
    wma3, wma7, flac = [k for k in rated if k != mp3][:3]
    copy_as_track(demo, wma3, SAMPLES / "test.wma")
    copy_as_track(demo, wma7, SAMPLES / "wma_rating_test0.wma")  # unrated
    copy_as_track(demo, flac, foobar_flac(tmp_path))
    want = {wma3: (3.0, 4.0), wma7: (7.0, 8.0), flac: (3.0, 4.0), mp3: (3.3, 3.0)}
    for k, (plex, _) in want.items():
        demo.lib.set_rating(k, plex, when=1_000)
    return want


def test_second_sync_plans_nothing_in_every_mode_and_undo_gives_back_every_byte(
    mapp: Any, media_demo: Any, tmp_path: Path
) -> None:
    demo = media_demo
    want = _rounding_library(demo, tmp_path)
    files_before, plex_before = _files(demo), ratings_of(demo)

    job = ts.TagsSyncJob(mapp, _opts(demo, direction="to-files", conflict="plex"))
    plan = job.prepare(job_ctx())
    report = job.apply(job_ctx(), plan)
    assert not report.failed and report.counts["applied"] == len(plan)
    for k, (_plex, held) in want.items():
        assert tags.read_rating(track_file(demo, k)).rating == held, k
    assert ratings_of(demo) == plex_before

    rated = sum(v is not None for v in plex_before.values())
    for direction, conflict in itertools.product(DIRECTIONS, CONFLICTS):
        again = ts.TagsSyncJob(mapp, _opts(demo, direction=direction, conflict=conflict))
        again_plan = again.prepare(job_ctx())
        assert len(again_plan) == 0, (direction, conflict, again_plan.changes)
        assert again_plan.counts[HELD] == len(want), (direction, conflict)
        assert again_plan.counts[IN_SYNC] == rated - len(want)
        again.apply(job_ctx(), again_plan)
    assert ratings_of(demo) == plex_before  # the rounded 2 stars never went into Plex

    undo = UndoJob(mapp, report.run_id)
    uplan = undo.prepare(job_ctx())
    assert len(uplan) == len(plan)
    assert not undo.apply(job_ctx(), uplan).failed
    assert _files(demo) == files_before  # byte for byte, the WMAs and the foobar FLAC too
    assert ratings_of(demo) == plex_before


def test_a_real_difference_on_a_rounding_file_is_still_synced(
    mapp: Any, media_demo: Any, tmp_path: Path
) -> None:
    demo = media_demo
    want = _rounding_library(demo, tmp_path)
    wma3, wma7, flac, _mp3 = want
    _run(mapp, demo, direction="to-files", conflict="plex")
    assert tags.read_rating(track_file(demo, wma3)).rating == 4.0

    # the user gives one star in a player (the WMA holds 2), and Plex's 3.5 becomes 2.5
    tags.write_rating(track_file(demo, wma3), 2.0)
    demo.lib.set_rating(wma7, 5.0, when=1_000)
    plan = ts.TagsSyncJob(mapp, _opts(demo, direction="to-plex", conflict="file")).prepare(
        job_ctx()
    )
    # real differences both: to Plex they go (8 is the WMA's 4 stars)
    got = {(c.target_kind, c.target, c.new) for c in plan.changes}
    assert got == {(PLEX, str(wma3), 2.0), (PLEX, str(wma7), 8.0)}
    plan = ts.TagsSyncJob(mapp, _opts(demo, direction="both", conflict="plex")).prepare(job_ctx())
    got = {(c.target_kind, c.target, c.new) for c in plan.changes}
    assert got == {
        (FILE, str(track_file(demo, wma3)), 3.0),
        (FILE, str(track_file(demo, wma7)), 5.0),
    }

    assert not _run(mapp, demo, direction="both", conflict="plex").failed
    assert tags.read_rating(track_file(demo, wma3)).rating == 4.0  # Plex's 1.5 stars: 2 again
    assert tags.read_rating(track_file(demo, wma7)).rating == 6.0  # Plex's 2.5 stars: 3 in the WMA
    assert (demo.lib.rating(wma3), demo.lib.rating(wma7)) == (3.0, 5.0)

    # file wins: the user's one star in the WMA goes into Plex, and then all is quiet
    tags.write_rating(track_file(demo, wma3), 2.0)
    assert not _run(mapp, demo, direction="both", conflict="file").failed
    assert demo.lib.rating(wma3) == 2.0 and demo.lib.rating(wma7) == 5.0
    assert tags.read_rating(track_file(demo, flac)).rating == 4.0
    for direction, conflict in itertools.product(DIRECTIONS, CONFLICTS):
        again = ts.TagsSyncJob(mapp, _opts(demo, direction=direction, conflict=conflict))
        assert len(again.prepare(job_ctx())) == 0, (direction, conflict)
