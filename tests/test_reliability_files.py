"""Issue 12 on the file side: odd folder names, leftover temp files, files that are not files.

Real audio files written by the demo server under a temp folder, the real
tags job against the demo server over HTTP, the real journal.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import job_ctx, serving, signed_in

from ratings_gui import tags
from ratings_gui.core import tagsplan as tsp
from ratings_gui.core.pathmap import Rule
from ratings_gui.jobs import tags_sync as ts
from ratings_gui.jobs.undo import UndoJob
from ratings_gui.tags.api import remove_stale_temp_files

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file names and FIFOs")


@pytest.fixture
def odd_media(tmp_path: Path) -> Iterator[Any]:
    """A demo server whose files live below a folder named with a non-UTF-8 byte."""
    from ratings_gui.demo.library import DemoLibrary

    media = tmp_path / os.fsdecode(b"caf\xe9 m\xfcsic")  # Latin-1 bytes, as an old NAS names them
    lib = DemoLibrary.generate(seed=7, tracks=40, movies=1, shows=1)
    with serving(lib, media) as srv:
        yield srv


@pytest.fixture
def odd_app(tmp_path: Path, odd_media: Any) -> Iterator[Any]:
    with signed_in(odd_media, tmp_path / "home") as ctx:
        yield ctx


def _files(demo: Any) -> dict[int, bytes]:
    from ratings_gui.demo.audio import local_path

    return {
        k: local_path(demo.lib, demo.media_dir, demo.lib.items[k].file).read_bytes()
        for k in demo.lib.keys_of(1, "track")
    }


@posix_only
def test_non_utf8_folder_writes_journals_and_undoes(odd_app: Any, odd_media: Any) -> None:
    demo = odd_media
    before = _files(demo)
    opts = ts.TagsOptions("Music", [Rule(demo.lib.media_root, str(demo.media_dir))], "to-files")
    job = ts.TagsSyncJob(odd_app, opts)
    plan = job.prepare(job_ctx())
    assert len(plan) > 0
    report = job.apply(job_ctx(), plan)
    assert not report.failed, report.failed[:3]
    assert report.counts["applied"] == len(plan)
    rows = odd_app.journal.changes(report.run_id)
    assert all("\udce9" in r.change.target for r in rows)  # the path comes back as it went in
    undo = UndoJob(odd_app, report.run_id)
    ureport = undo.apply(job_ctx(), undo.prepare(job_ctx()))
    assert not ureport.failed
    assert _files(demo) == before


@posix_only
def test_leftover_temp_files_are_removed_but_a_live_one_is_kept(tmp_path: Path) -> None:
    import fcntl

    from ratings_gui.demo.audio import flac_bytes

    song = tmp_path / "01 - Song.flac"
    song.write_bytes(flac_bytes())
    stale = tmp_path / ".01 - Song.flac.k2j3h4.ratings-tmp"
    stale.write_bytes(flac_bytes())
    live = tmp_path / ".02 - Other.flac.a1b2c3.ratings-tmp"
    live.write_bytes(b"being written")
    mine = tmp_path / ".hidden-notes.txt"  # not ours: never touched
    mine.write_text("keep")
    from ratings_gui.core.plan import FILE, Change
    from ratings_gui.tags.writer import FileWriter

    with open(live, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # what a save in flight holds
        old = tags.read_rating(song).rating
        result = FileWriter().apply([Change(FILE, str(song), "rating", old, 6.0, "test")])
        assert len(result.applied) == 1
        assert not stale.exists()
        assert live.exists() and mine.exists()
    assert remove_stale_temp_files(str(tmp_path)) == [live.name]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hidden-notes.txt", song.name]
    assert tags.read_rating(song).rating == 6.0


# --- point 9: only regular files, and the size limit kept while reading -----------------------


def _within(seconds: float, call: Any) -> BaseException | None:
    """Run ``call`` on a thread; the exception it raised, failing if it is still running."""
    box: list[BaseException | None] = [None]

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box[0] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "still reading: it should have refused at once"
    return box[0]


@posix_only
@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_devices_and_pipes_are_refused_at_once(tmp_path: Path, kind: str) -> None:
    from ratings_gui import sources
    from ratings_gui.jobs.ratings_csv import read_ratings_csv
    from ratings_gui.jobs.transfer import BackupFileError, read_backup_file
    from ratings_gui.sources.base import SourceError

    if kind == "fifo":
        path = tmp_path / "ratings.csv"
        os.mkfifo(path)
    else:
        path = Path("/dev/zero")
    for call, error in (
        (lambda: sources.load(path), SourceError),
        (lambda: sources.detect_format(path), SourceError),
        (lambda: read_ratings_csv(path), SourceError),
        (lambda: read_backup_file(path), BackupFileError),
    ):
        exc = _within(3, call)
        assert isinstance(exc, error), exc
        assert "not a regular file" in str(exc)


@posix_only
def test_a_fifo_inside_an_export_folder_is_skipped(tmp_path: Path) -> None:
    from ratings_gui import sources

    folder = tmp_path / "letterboxd"
    folder.mkdir()
    os.mkfifo(folder / "ratings.csv")
    exc = _within(3, lambda: sources.load(folder))
    assert exc is not None and "no ratings" in str(exc)


@posix_only
def test_import_of_dev_zero_on_the_cli(demo: Any, tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parents[1]
    t0 = time.monotonic()
    r = subprocess.run(
        [sys.executable, "-m", "ratings_gui", "import", "/dev/zero", "--library", "Movies"]
        + ["--dry-run", "--server", demo.url, "--token", demo.token, "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=60,
    )
    assert r.returncode == 2, r.stderr
    assert "not a regular file" in r.stderr
    assert time.monotonic() - t0 < 20


# --- point 10: every file the tags job could not read is named, with why ------------------------


@posix_only
def test_tags_job_names_each_file_it_could_not_read(odd_app: Any, odd_media: Any) -> None:
    from ratings_gui.demo.audio import local_path

    demo = odd_media
    keys = demo.lib.keys_of(1, "track")
    paths = {k: local_path(demo.lib, demo.media_dir, demo.lib.items[k].file) for k in keys}
    broken = {}

    def pick(ext: str | None = None) -> int:
        k = next(k for k in keys if k not in broken and (ext is None or paths[k].suffix == ext))
        return k

    k = pick()
    paths[k].write_bytes(paths[k].read_bytes()[:40])
    broken[k] = "unreadable"
    k = pick()
    paths[k].write_bytes(b"")
    broken[k] = "empty"
    k = pick()
    paths[k].unlink()
    broken[k] = "does not exist"
    k = pick()
    paths[k].unlink()
    paths[k].mkdir()
    broken[k] = "folder"
    k = pick()
    paths[k].unlink()
    os.symlink(paths[k].name, paths[k])  # a link to itself: a loop
    broken[k] = "symbolic links"

    opts = ts.TagsOptions("Music", [Rule(demo.lib.media_root, str(demo.media_dir))], "to-files")
    plan = ts.TagsSyncJob(odd_app, opts).prepare(job_ctx())
    listed = {p["path"]: p["reason"] for p in tsp.file_problems(plan)}
    for key, word in broken.items():
        assert str(paths[key]) in listed, (word, sorted(listed))
        assert word in listed[str(paths[key])]

    # --json lists them all, each with its reason
    import json
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "ratings_gui", "tags", "--library", "Music", "--dry-run", "--json"]
        + ["--map", f"{demo.lib.media_root}={demo.media_dir}", "--direction", "to-files"]
        + ["--server", demo.url, "--token", demo.token]
        + ["--data-dir", str(Path(odd_app.paths.data) / "cli")],
        capture_output=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout.decode("utf-8").strip().splitlines()[-1])
    assert {p["path"]: p["reason"] for p in obj["files_not_read"]} == listed

    # the preview lists them under the changes, and its CSV export too
    import customtkinter as ctk

    from ratings_gui.gui.plan_preview import NotReadRow, PlanPreview

    root = ctk.CTk()
    try:
        preview = PlanPreview(root)
        preview.show(plan)
        not_read = [r for r in preview.rows if isinstance(r, NotReadRow)]
        assert {r.target for r in not_read} == set(listed)
        out = Path(odd_app.paths.data) / "plan.csv"
        preview.export_csv(out)
        text = out.read_bytes().decode("utf-8-sig", "surrogateescape")
        for key in broken:
            assert os.path.basename(str(paths[key])) in text
    finally:
        root.destroy()
