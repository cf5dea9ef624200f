"""A RATING written reads back as the nearest value its scale holds, never as other digits.

``RATING`` (Vorbis comments, APE) is read by rules that give some digits a
meaning of their own: ``1``-``5`` are foobar2000's whole stars on every
scale, a number up to 1 is a 0-1 fraction, ``10`` is five stars on 0-10.
Writing Plex 3 as ``3`` on a 0-10 file read back as 6, and Plex 0.5 as
``5`` on 0-100 as 10: the file said something else than Plex and every
sync saw a difference. Every value, on every scale, in FLAC, Ogg and APE
(real sample files), written for real and read back; then the demo server
over HTTP, where a second sync plans nothing in every mode and undo gives
back every byte.
"""

from __future__ import annotations

import itertools
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_as_track, job_ctx, ratings_of, track_file

from ratings_gui import tags
from ratings_gui.core.pathmap import Rule
from ratings_gui.core.tagsplan import CONFLICTS, DIRECTIONS, HELD
from ratings_gui.jobs import tags_sync as ts
from ratings_gui.jobs.undo import UndoJob

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "rating-samples"
if not SAMPLES.is_dir():
    SAMPLES = Path("/work/shared/rating-samples")

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="rating samples not available")

CONTAINERS = ("test.flac", "test.ogg", "test.ape")
#: Every half star, and tenths (Plex holds them; under 1 only tenths reach).
VALUES = [v / 2 for v in range(1, 21)] + [0.6, 0.7, 0.9, 1.1, 1.9, 2.1, 3.3, 4.9, 5.1, 7.8, 9.9]
#: A RATING's convention: its text before the write (and an FMPS_RATING beside it), and
#: the library scales it is read on.
CONVENTIONS: dict[str, tuple[str | None, str | None, tuple[str | None, ...]]] = {
    "0-100": ("60", None, (None, "percent", "ten")),
    "0-100 + FMPS": ("60", "0.6", (None, "percent", "ten")),
    "0-10": ("7", None, ("ten",)),
    "0-10 + FMPS": ("7", "0.7", ("ten",)),
    "foobar 1-5": ("5", None, (None, "percent", "ten")),
    "0-1": ("0.6", None, (None, "percent", "ten")),
    "no RATING yet": (None, None, (None, "percent", "ten")),
}
CASES = [
    (name, conv, scale)
    for name in CONTAINERS
    for conv, (_, _, scales) in CONVENTIONS.items()
    for scale in scales
]


def nearest(conv: str, scale: str | None, v: float) -> float:
    """The value nearest ``v`` the convention holds, as our reader reads it (the spec)."""
    if conv == "foobar 1-5":
        return 2.0 * max(1, math.floor(v / 2 + 0.5))  # whole stars, half stars up
    if conv == "0-1":
        return v
    if conv in (
        "0-10",
        "0-10 + FMPS",
    ):  # 1-5 are foobar2000's stars, up to 1 a fraction: the next tenth up
        if v <= 1:
            return 1.1
        return round(v + 0.1, 1) if v == int(v) and v <= 5 else v
    # 0-100 (a RATING added to a file without one is 0-100 too): half a star is the least,
    # and on a library read as 0-10 a 10 is five stars, so there 11
    return max(v, 1.1 if scale == "ten" else 1.0)


def prepared(tmp_path: Path, name: str, conv: str) -> Path:
    """A copy of the sample ``name`` whose only rating is a RATING of convention ``conv``."""
    path = tmp_path / f"{conv.replace(' ', '_')}-{name}"
    shutil.copyfile(SAMPLES / name, path)
    path.chmod(0o644)
    key = next(iter(tags.read_rating(path).fields))  # the sample's own spelling of RATING
    text, fmps, _ = CONVENTIONS[conv]
    fields = {} if text is None else {key: text}
    if fmps is not None:
        fields["FMPS_RATING"] = fmps
    tags.restore_fields(path, fields)
    return path


@pytest.mark.parametrize(("name", "conv", "scale"), CASES)
def test_every_value_reads_back_as_the_nearest_its_scale_holds(
    tmp_path: Path, name: str, conv: str, scale: str | None
) -> None:
    path = prepared(tmp_path, name, conv)
    original = path.read_bytes()
    for v in VALUES:
        path.write_bytes(original)
        before = tags.read_rating(path, rating_scale=scale, with_layout=True)
        predicted = before.stored(v)
        tags.write_rating(path, v, rating_scale=scale)
        back = tags.read_rating(path, rating_scale=scale)
        want = nearest(conv, scale, v)
        assert back.rating == pytest.approx(want), (conv, scale, v, back.fields)
        assert predicted == back.rating, (conv, scale, v)  # stored() agrees with the write
        assert abs(back.rating - v) < 2  # never a wildly different value
        assert "disagree" not in back.note, back.fields  # an added 0-1 copy says the same
        # the job's own read: without a scale first, the library's only for an open file
        try:
            scan = tags.read_rating(path).rating
        except tags.TagError:
            scan = tags.read_rating(path, rating_scale=scale).rating
        assert scan == back.rating, (conv, scale, v, back.fields)
        # writing it again changes nothing: the next sync's write is this one
        tags.write_rating(path, v, rating_scale=scale)
        assert tags.read_rating(path, rating_scale=scale).fields == back.fields, (conv, v)
        # undo: the fields and their layout give back the identical file
        tags.restore_fields(path, before.fields, layout=before.layout)
        assert path.read_bytes() == original, (conv, scale, v)


def _rating_of(path: Path) -> str:
    return next(
        v
        for k, v in tags.read_rating(path, rating_scale="ten").fields.items()
        if k.lower() == "rating"
    )


def test_what_the_fields_say(tmp_path: Path) -> None:
    """The documented choices, field by field."""
    cases = [
        ("0-10", "ten", 3.0, {"RATING": "3.1", "FMPS_RATING": "0.31"}),
        ("0-10", "ten", 1.0, {"RATING": "1.1", "FMPS_RATING": "0.11"}),
        ("0-10", "ten", 0.5, {"RATING": "1.1", "FMPS_RATING": "0.11"}),
        ("0-10", "ten", 6.0, {"RATING": "6", "FMPS_RATING": "0.6"}),
        ("0-10", "ten", 2.5, {"RATING": "2.5", "FMPS_RATING": "0.25"}),
        ("0-100", None, 0.5, {"RATING": "10", "FMPS_RATING": "0.1"}),  # MusicBee's ½★
        ("0-100", None, 0.7, {"RATING": "10", "FMPS_RATING": "0.1"}),
        ("0-100", "ten", 0.5, {"RATING": "11"}),
        ("0-100", "ten", 1.0, {"RATING": "11"}),
        ("0-100", None, 3.3, {"RATING": "33"}),
        ("no RATING yet", None, 0.5, {"RATING": "10", "FMPS_RATING": "0.1"}),
        ("no RATING yet", "ten", 0.9, {"RATING": "11"}),
        # a 0-1 field beside a RATING it settles says the same (a rewrite writes the same)
        ("0-100 + FMPS", None, 0.7, {"RATING": "10", "FMPS_RATING": "0.1"}),
        ("0-10 + FMPS", "ten", 3.0, {"RATING": "3.1", "FMPS_RATING": "0.31"}),
        ("0-100 + FMPS", None, 3.3, {"RATING": "33", "FMPS_RATING": "0.33"}),
        # foobar2000's whole stars need no 0-1 copy: it would say Plex's half star beside them
        ("foobar 1-5", None, 3.0, {"RATING": "2"}),
    ]
    for conv, scale, v, fields in cases:
        path = prepared(tmp_path, "test.flac", conv)
        tags.write_rating(path, v, rating_scale=scale)
        assert tags.read_rating(path, rating_scale=scale).fields == fields, (conv, scale, v)
    ape = prepared(tmp_path, "test.ape", "0-10")
    tags.write_rating(ape, 4.0, rating_scale="ten")
    assert _rating_of(ape) == "4.1"


def test_files_written_by_players_still_read_as_before(tmp_path: Path) -> None:
    """The reader is unchanged: a foobar2000 3 is 3 stars, a 0-10 7 is 7, a 0-100 10 half a star."""
    path = prepared(tmp_path, "test.flac", "0-10")
    for text, scale, want in [
        ("3", "ten", 6.0),
        ("3", None, 6.0),
        ("3.0", "ten", 6.0),
        ("1", "ten", 2.0),
        ("1.0", "ten", 10.0),
        ("0.5", "ten", 5.0),
        ("7", "ten", 7.0),
        ("10", "ten", 10.0),
        ("10", "percent", 1.0),
        ("5", "percent", 10.0),
        ("3.1", "ten", 3.1),
    ]:
        tags.restore_fields(path, {"RATING": text})
        assert tags.read_rating(path, rating_scale=scale).rating == want, (text, scale)


# --- the demo server over HTTP ----------------------------------------------------------------


def _opts(demo: Any, **kw: Any) -> ts.TagsOptions:
    return ts.TagsOptions("Music", [Rule(demo.lib.media_root, str(demo.media_dir))], **kw)


def _files(demo: Any) -> dict[int, bytes]:
    return {k: track_file(demo, k).read_bytes() for k in demo.lib.keys_of(1, "track")}


#: (sample, convention, Plex value) -> what the file holds after the sync, per library scale.
LIBRARIES = {
    "ten": [
        ("test.flac", "0-10", 3.0, 3.1),
        ("test.ogg", "0-10", 1.0, 1.1),
        ("test.ape", "0-10", 5.0, 5.1),
        ("test.flac", "0-10", 0.5, 1.1),
        ("test.ogg", "0-10", 0.7, 1.1),
        ("test.ape", "0-10", 2.0, 2.1),
        ("test.flac", "0-100", 1.0, 1.1),
        ("test.ogg", "no RATING yet", 0.5, 1.1),
        ("test.ape", "foobar 1-5", 3.0, 4.0),
    ],
    "percent": [
        ("test.flac", "0-100", 0.5, 1.0),
        ("test.ogg", "0-100", 0.7, 1.0),
        ("test.ape", "0-100", 0.5, 1.0),
        ("test.flac", "no RATING yet", 0.9, 1.0),
        ("test.ogg", "foobar 1-5", 1.0, 2.0),
        ("test.ape", "0-100", 3.3, 3.3),
    ],
}


@pytest.mark.parametrize("library_scale", list(LIBRARIES))
def test_a_second_sync_plans_nothing_and_undo_gives_back_every_byte(
    mapp: Any, media_demo: Any, tmp_path: Path, library_scale: str
) -> None:
    demo = media_demo
    rated = [k for k in demo.lib.keys_of(1, "track") if demo.lib.rating(k) is not None]
    rows = LIBRARIES[library_scale]
    want: dict[int, tuple[float, float]] = {}
    for i, (key, (name, conv, plex, held)) in enumerate(zip(rated, rows, strict=False)):
        (tmp_path / str(i)).mkdir()
        copy_as_track(demo, key, prepared(tmp_path / str(i), name, conv))
        demo.lib.set_rating(key, plex, when=1_000)
        want[key] = (plex, held)
    # 0-10: the user's answer (the 0-100 file makes the library's own values mixed);
    # 0-100: the library's values say it
    answer = "ten" if library_scale == "ten" else None
    files_before, plex_before = _files(demo), ratings_of(demo)

    job = ts.TagsSyncJob(
        mapp, _opts(demo, direction="to-files", conflict="plex", rating_scale=answer)
    )
    plan = job.prepare(job_ctx())
    report = job.apply(job_ctx(), plan)
    assert not report.failed and report.counts["applied"] == len(plan)
    for k, (plex, held) in want.items():
        got = tags.read_rating(track_file(demo, k), rating_scale=library_scale).rating
        assert got == held, (
            k,
            plex,
            tags.read_rating(track_file(demo, k), rating_scale="ten").fields,
        )
    assert ratings_of(demo) == plex_before

    differ = sum(1 for plex, held in want.values() if plex != held)
    for direction, conflict in itertools.product(DIRECTIONS, CONFLICTS):
        again = ts.TagsSyncJob(
            mapp, _opts(demo, direction=direction, conflict=conflict, rating_scale=answer)
        )
        again_plan = again.prepare(job_ctx())
        assert len(again_plan) == 0, (
            direction,
            conflict,
            [
                (c.target, c.old, c.new, tags.read_rating(c.target).fields)
                for c in again_plan.changes
            ],
        )
        assert again_plan.counts[HELD] == differ, (direction, conflict, dict(again_plan.counts))
    assert ratings_of(demo) == plex_before  # the nearest values never went into Plex

    undo = UndoJob(mapp, report.run_id)
    uplan = undo.prepare(job_ctx())
    assert len(uplan) == len(plan)
    assert not undo.apply(job_ctx(), uplan).failed
    assert _files(demo) == files_before  # byte for byte
    assert ratings_of(demo) == plex_before


def test_the_old_vorbis_0_10_setting_writes_on_the_scale_it_reads(
    mapp: Any, media_demo: Any, tmp_path: Path
) -> None:
    """``--vorbis-0-10`` reads RATINGs as 0-10: the writer writes on that scale too, so Plex
    0.5 is '1.1' (not '10', which that reading takes for five stars) and a second sync is quiet.
    A file without a RATING yet: nothing in the library says 0-10, only the setting."""
    demo = media_demo
    key = next(k for k in demo.lib.keys_of(1, "track") if demo.lib.rating(k) is not None)
    path = copy_as_track(demo, key, prepared(tmp_path, "test.flac", "no RATING yet"))
    demo.lib.set_rating(key, 0.5, when=1_000)
    job = ts.TagsSyncJob(
        mapp, _opts(demo, direction="to-files", conflict="plex", vorbis_zero_to_ten=True)
    )
    plan = job.prepare(job_ctx())
    assert plan.options["rating_scale"] == "ten"
    assert [c.new for c in plan.changes if c.target == str(path)] == [0.5]
    assert not job.apply(job_ctx(), plan).failed
    assert tags.read_rating(path, vorbis_zero_to_ten=True).rating == 1.1
    again = ts.TagsSyncJob(mapp, _opts(demo, direction="both", vorbis_zero_to_ten=True))
    assert len(again.prepare(job_ctx())) == 0
    assert demo.lib.rating(key) == 0.5
