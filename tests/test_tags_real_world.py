"""Tag values real players and taggers leave behind (issue 13): an MP4 ``rate`` atom
with data type flag 0, and Vorbis ``RATING`` values whose scale only the library tells."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mutagen.mp4 import MP4

from ratings_gui.core import tagsplan as tsp
from ratings_gui.tags import read_many, read_rating, restore_fields, snapshot_fields, write_rating
from ratings_gui.tags.scales import decide_scales, is_ambiguous, settle

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "rating-samples"
if not SAMPLES.is_dir():  # the tree may be checked out elsewhere
    SAMPLES = Path("/work/shared/rating-samples")

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="rating samples not available")


def copy(tmp_path: Path, name: str, as_name: str | None = None) -> Path:
    dst = tmp_path / (as_name or name)
    shutil.copyfile(SAMPLES / name, dst)
    return dst


def implicit_rate(tmp_path: Path) -> Path:
    """test.m4a with its ``rate`` atom's data type flag set to 0 (implicit), by hand:
    ``[size]rate[size]data[version 0][flags 00 00 01][locale]80`` -> flags 00 00 00."""
    path = copy(tmp_path, "test.m4a", "implicit.m4a")
    data = bytearray(path.read_bytes())
    at = data.find(b"rate")
    assert data.count(b"rate") == 1 and data[at + 8 : at + 12] == b"data"
    assert data[at + 12 : at + 16] == b"\x00\x00\x00\x01" and data[at + 20 : at + 22] == b"80"
    data[at + 12 : at + 16] = b"\x00\x00\x00\x00"
    path.write_bytes(bytes(data))
    return path


def rate_atom(path: Path) -> bytes:
    data = path.read_bytes()
    at = data.find(b"rate")
    return data[at + 4 : at + 22] if at >= 0 else b""  # the data atom: type flags, locale, text


def test_mp4_rate_atom_with_type_flag_0_is_read(tmp_path: Path) -> None:
    path = implicit_rate(tmp_path)
    assert "rate" not in MP4(path).tags  # mutagen leaves the atom among its failed ones
    got = read_rating(path)
    assert got.rating == 8.0 and got.fields == {"rate": "80"}  # 80 of 100 = 4 stars
    assert snapshot_fields(path) == {"rate": "80"}


def test_mp4_flag_0_rate_keeps_its_type(tmp_path: Path) -> None:
    """Issue 23: the atom keeps the type its writer chose; only the text changes, in place."""
    path = implicit_rate(tmp_path)
    original = path.read_bytes()
    before = write_rating(path, 6)
    assert before.rating == 8.0 and before.fields == {"rate": "80"}
    assert path.read_bytes().count(b"rate") == 1 and len(path.read_bytes()) == len(original)
    assert rate_atom(path)[8:12] == b"\x00\x00\x00\x00" and rate_atom(path).endswith(b"60")
    assert read_rating(path).rating == 6.0
    # unrated removes it (the unparsed copy is not written back either)
    write_rating(path, None)
    assert read_rating(path).rating is None and b"rate" not in path.read_bytes()
    # undo puts the very same atom back
    restore_fields(path, before.fields, layout=before.layout)
    assert read_rating(path).rating == 8.0 and path.read_bytes() == original


def test_mp4_same_rating_leaves_a_flag_0_file_alone(tmp_path: Path) -> None:
    path = implicit_rate(tmp_path)
    data = path.read_bytes()
    write_rating(path, 8)
    assert path.read_bytes() == data


# --- Vorbis RATING: the scale is the library's ----------------------------------------------


def vorbis_library(tmp_path: Path, values: list[dict[str, str]]) -> list[Path]:
    """FLAC and Ogg files, each holding exactly the given rating fields."""
    tmp_path.mkdir(exist_ok=True)
    paths = []
    for i, fields in enumerate(values):
        name = "test.flac" if i % 2 == 0 else "test.ogg"
        path = copy(tmp_path, name, f"{i:02d}-{name}")
        restore_fields(path, fields)
        paths.append(path)
    return paths


def test_a_library_on_0_100_reads_rating_10_as_half_a_star(tmp_path: Path) -> None:
    values = ["20", "40", "60", "80", "100", "10", "10", "50"]
    paths = vorbis_library(tmp_path, [{"RATING": v} for v in values])
    got = dict(read_many(paths, workers=2))
    # one file alone cannot tell: RATING=10 is ambiguous on its own
    assert all(is_ambiguous(got[p]) for p in paths[5:7])
    settled, used, question = settle(got)
    assert used == {"vorbis:rating": "percent"} and question is None
    assert [settled[p].rating for p in paths] == [2.0, 4.0, 6.0, 8.0, 10.0, 1.0, 1.0, 5.0]
    assert decide_scales(got.values()) == {"vorbis:rating": "percent"}


def test_a_library_on_0_10_reads_rating_10_as_five_stars(tmp_path: Path) -> None:
    paths = vorbis_library(tmp_path, [{"RATING": v} for v in ("7", "9", "10", "6")])
    settled, used, question = settle(dict(read_many(paths, workers=1)))
    assert used == {"vorbis:rating": "ten"} and question is None
    assert [settled[p].rating for p in paths] == [7.0, 9.0, 10.0, 6.0]


def test_per_file_evidence_then_one_question_for_the_rest(tmp_path: Path) -> None:
    paths = vorbis_library(
        tmp_path,
        [
            {"RATING": "10", "FMPS_RATING": "0.1"},  # the file's own FMPS copy settles it
            {"RATING": "10"},
            {"RATING": "10"},
            {"RATING": "3"},  # foobar2000 stars: not evidence either way
        ],
    )
    got = dict(read_many(paths, workers=1))
    settled, used, question = settle(got)
    assert settled[paths[0]].rating == 1.0 and settled[paths[3]].rating == 6.0
    assert used == {} and question is not None and question.count == 2
    assert set(question.files) == {str(paths[1]), str(paths[2])}
    assert "2 files" in question.text and set(question.as_dict()["choices"]) == {"percent", "ten"}
    settled, used, question = settle(got, answer="percent")
    assert question is None and [settled[p].rating for p in paths[1:3]] == [1.0, 1.0]
    settled, _, _ = settle(got, answer="ten")
    assert [settled[p].rating for p in paths[1:3]] == [10.0, 10.0]
    # a 7 anywhere in the library is 0-10 evidence: no 0-100 writer writes it
    extra = vorbis_library(tmp_path / "more", [{"RATING": "7"}])
    _, used, question = settle({**got, **dict(read_many(extra, workers=1))})
    assert used == {"vorbis:rating": "ten"} and question is None
    with pytest.raises(ValueError):
        settle(got, answer="stars")


@pytest.fixture
def music_demo(tmp_path: Path) -> Iterator[Any]:
    """A demo server whose tracks exist as small real audio files, and an app on it."""
    from ratings_gui.context import AppContext
    from ratings_gui.demo.library import DemoLibrary
    from ratings_gui.demo.server import DemoServer
    from ratings_gui.plex.connection import connect_direct

    lib = DemoLibrary.generate(seed=7, tracks=150, movies=1, shows=1)
    srv = DemoServer(lib, token="demo-token", media_dir=tmp_path / "media")
    srv.start()
    app = AppContext.open(tmp_path / "home", plextv_base=srv.url)
    app.set_connection(connect_direct(srv.url, srv.token))
    try:
        yield srv, app
    finally:
        app.set_plextv(None)
        app.close()
        srv.stop()


def test_tags_job_reads_rating_10_by_the_library_scale_or_asks_once(music_demo: Any) -> None:
    from ratings_gui.core.pathmap import Rule
    from ratings_gui.demo.audio import local_path
    from ratings_gui.jobs import tags_sync as ts
    from ratings_gui.jobs.runner import JobContext

    demo, app = music_demo
    lib = demo.lib
    flac = [k for k in lib.keys_of(1, "track") if lib.items[k].file.endswith(".flac")]
    assert len(flac) >= 8
    path = {k: local_path(lib, demo.media_dir, lib.items[k].file) for k in flac}
    for k in flac:
        lib.set_rating(k, None)
    halves, evidence = flac[:2], flac[2:7]
    for k in halves:
        restore_fields(path[k], {"RATING": "10"})
    for k, v in zip(evidence, ("20", "40", "60", "80", "100"), strict=True):
        restore_fields(path[k], {"RATING": v})

    def prepare(**kw: Any) -> Any:
        opts = ts.TagsOptions("Music", [Rule(lib.media_root, str(demo.media_dir))], **kw)
        return ts.TagsSyncJob(app, opts).prepare(JobContext(lambda ev: None))

    plan = prepare(direction="to-plex")
    new = {int(c.target): c.new for c in plan.changes}
    assert {k: new[k] for k in halves} == {k: 1.0 for k in halves}  # half a star each
    assert plan.counts.get(tsp.UNREADABLE, 0) == 0 and plan.counts.get(tsp.SCALE_UNKNOWN, 0) == 0
    assert ts.open_question(plan) is None

    # Without the library's other values nothing tells: asked once, with the count.
    for k in evidence:
        restore_fields(path[k], {})
    plan = prepare(direction="to-plex")
    assert plan.counts[tsp.SCALE_UNKNOWN] == 2 and plan.counts.get(tsp.UNREADABLE, 0) == 0
    question = ts.open_question(plan)
    assert question is not None and question.count == 2 and "2 files" in question.text
    assert "rating_scale_question" not in plan.options  # a question is no option: not journaled
    assert not any(int(c.target) in halves for c in plan.changes)
    plan = prepare(direction="to-plex", rating_scale="ten")  # the user's answer
    assert {int(c.target): c.new for c in plan.changes if int(c.target) in halves} == {
        k: 10.0 for k in halves
    }
    assert ts.open_question(plan) is None

    # The job asks through a hook the window and the terminal answer, mid-read: once,
    # with the count, and the answer settles those files without a second read.
    asked: list[int] = []
    opts = ts.TagsOptions("Music", [Rule(lib.media_root, str(demo.media_dir))], direction="to-plex")
    hooked = ts.TagsSyncJob(app, opts, ask_scale=lambda q: asked.append(q.count) or "percent")
    plan = hooked.prepare(JobContext(lambda ev: None))
    assert asked == [2] and ts.open_question(plan) is None
    assert {int(c.target): c.new for c in plan.changes if int(c.target) in halves} == {
        k: 1.0 for k in halves
    }
    assert plan.options["rating_scale"] == "percent"  # the writer and undo read it


def test_cli_tags_takes_the_answer_as_rating_scale(
    music_demo: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import json

    from ratings_gui import cli
    from ratings_gui.demo.audio import local_path

    demo, _app = music_demo
    lib = demo.lib
    flac = [k for k in lib.keys_of(1, "track") if lib.items[k].file.endswith(".flac")][:2]
    for k in flac:
        lib.set_rating(k, None)
        restore_fields(local_path(lib, demo.media_dir, lib.items[k].file), {"RATING": "10"})

    def run(*extra: str) -> dict[str, Any]:
        code = cli.main(
            ["tags", "--library", "Music", "--map", f"{lib.media_root}={demo.media_dir}",
             "--direction", "to-plex", "--dry-run", *extra, "--server", demo.url,
             "--token", demo.token, "--data-dir", str(tmp_path / "cli"), "--json"]
        )  # fmt: skip
        assert code == 0
        return json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    assert run()["counts"]["rating scale unknown"] == 2
    out = run("--rating-scale", "0-100")
    assert "rating scale unknown" not in out["counts"] and out["counts"]["to Plex"] == 2


def test_cli_tags_asks_the_scale_at_the_terminal(
    music_demo: Any,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At a terminal (not --json, not a pipe) the job's question is asked and answered there."""
    import io

    from ratings_gui import cli
    from ratings_gui.demo.audio import local_path

    demo, _app = music_demo
    lib = demo.lib
    flac = [k for k in lib.keys_of(1, "track") if lib.items[k].file.endswith(".flac")][:2]
    for k in flac:
        lib.set_rating(k, None)
        restore_fields(local_path(lib, demo.media_dir, lib.items[k].file), {"RATING": "10"})

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("0-10\n"))
    code = cli.main(
        ["tags", "--library", "Music", "--map", f"{lib.media_root}={demo.media_dir}",
         "--direction", "to-plex", "--yes", "--server", demo.url, "--token", demo.token,
         "--data-dir", str(tmp_path / "cli")]
    )  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    assert "2 files hold a RATING of 6-10" in captured.err
    assert {k: lib.rating(k) for k in flac} == dict.fromkeys(flac, 10.0)  # read as 0-10


@pytest.mark.parametrize(
    ("evidence", "written"),
    [(("20", "40", "60", "80"), "80"), (("7", "9", "6", "3"), "8")],
)
def test_writing_over_rating_10_keeps_the_library_scale(
    music_demo: Any, evidence: tuple[str, ...], written: str
) -> None:
    """Plex -> files over a RATING=10: the old value is read and the new one written on
    the library's scale (0-100: 80; 0-10: 8), with no 'changed since preview' failure."""
    from ratings_gui.core.pathmap import Rule
    from ratings_gui.demo.audio import local_path
    from ratings_gui.jobs import tags_sync as ts
    from ratings_gui.jobs.runner import JobContext

    demo, app = music_demo
    lib = demo.lib
    flac = [k for k in lib.keys_of(1, "track") if lib.items[k].file.endswith(".flac")]
    path = {k: local_path(lib, demo.media_dir, lib.items[k].file) for k in flac}
    target, others = flac[0], flac[1:5]
    for k, v in zip(others, evidence, strict=True):
        restore_fields(path[k], {"RATING": v})
        lib.set_rating(k, None)
    restore_fields(path[target], {"RATING": "10"})
    lib.set_rating(target, 8.0)
    opts = ts.TagsOptions(
        "Music", [Rule(lib.media_root, str(demo.media_dir))], direction="to-files", conflict="plex"
    )
    job = ts.TagsSyncJob(app, opts)
    ctx = JobContext(lambda ev: None)
    plan = job.prepare(ctx)
    change = next(c for c in plan.changes if c.target == str(path[target]))
    assert change.new == 8.0 and change.old in (1.0, 10.0)
    report = job.apply(ctx, plan)
    assert not report.failed
    fields = {k.upper(): v for k, v in snapshot_fields(path[target]).items()}
    assert (
        fields["RATING"] == written and read_rating(path[target], rating_scale=None).rating == 8.0
    )
