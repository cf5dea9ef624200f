"""Crash safety: a child writing ratings to real files is killed (SIGKILL) at random points.

Afterwards every file must open in mutagen with its audio untouched (the
same stream info, the original audio bytes still there) and a rating that
is either the old or a new one: never a half-written file. And for every
container with a rating writer, undo after a kill mid-run gives back every
byte and leaves no temp file of the program behind.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mutagen
import pytest

from ratings_gui import tags
from ratings_gui.demo import audio

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import sys
from pathlib import Path
from ratings_gui import tags
from ratings_gui.core.plan import FILE, Change
from ratings_gui.tags.writer import FileWriter
from ratings_gui.journal import Journal

folder, seed = Path(sys.argv[1]), int(sys.argv[2])
journal = Journal(folder / "journal.db")
paths = sorted(str(p) for p in folder.glob("*/*") if p.suffix in (".mp3", ".flac", ".wav", ".aif"))
writer = FileWriter(workers=4)
print("go", flush=True)
step = seed
while True:
    now = dict(tags.read_many(paths))
    changes = []
    for i, p in enumerate(paths):
        value = float(1 + (i + step) % 10)
        old = now[p].rating if hasattr(now[p], "rating") else None
        changes.append(Change(FILE, p, "rating", old, value, "kill test"))
    run = journal.start_run("kill-test")
    writer.apply(changes, journal=journal, run_id=run)
    journal.finish_run(run, "done")
    step += 1
"""

MAKERS = {
    "mp3": audio.mp3_bytes,
    "flac": audio.flac_bytes,
    "wav": audio.wav_bytes,
    "aif": audio.aiff_bytes,
}


def _payload(ext: str, original: bytes) -> bytes:
    """The audio bytes a tag edit must leave alone."""
    if ext == "mp3":
        return original  # ID3v2 goes in front
    if ext == "flac":
        return original[original.index(b"\xff\xf8") :]  # the frames after the metadata
    return original[12:]  # WAV/AIFF: fmt/COMM and data/SSND chunks; ID3 is a chunk of its own


def _info(path: Path) -> tuple[float, int]:
    f = mutagen.File(path)
    assert f is not None, path
    return round(f.info.length, 3), int(getattr(f.info, "sample_rate", 0))


def test_sigkill_mid_write_leaves_every_file_whole(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    files: list[tuple[Path, str]] = []
    for i in range(200):
        ext = list(MAKERS)[i % 4]
        p = folder / f"album{i % 10}" / f"{i:03d}.{ext}"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(MAKERS[ext]())
        files.append((p, ext))
    infos = {ext: _info(next(p for p, e in files if e == ext)) for ext in MAKERS}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(4)
    deadline = time.monotonic() + 14
    kills = 0
    while kills < 6 and time.monotonic() < deadline:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(folder), str(kills)],
            stdout=subprocess.PIPE,
            env=env,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"go"
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait(5)
        kills += 1
        for p, ext in files:
            data = p.read_bytes()
            assert _payload(ext, MAKERS[ext]()) in data, p
            assert _info(p) == infos[ext], p
            r = tags.read_rating(p)  # raises on a broken tag
            assert r.rating is None or 1 <= r.rating <= 10
    assert kills >= 3
    written = [p for p, _ in files if tags.read_rating(p).rating is not None]
    assert written, "the child never got to write: the kills came too early"
    leftovers = list(folder.glob("*/.*.ratings-tmp"))
    # a kill between the temp file and the rename may leave one per worker, never a broken original
    assert len(leftovers) <= 4 * kills


# --- every container with a rating writer: kill -9 mid-run, then undo -------------------------

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "rating-samples"
if not SAMPLES.is_dir():
    SAMPLES = Path("/work/shared/rating-samples")

#: One real sample per container the tag families write (``tags.FAMILIES``).
CONTAINERS = ("mp3", "flac", "ogg", "opus", "spx", "m4a", "wma", "ape", "wv", "mpc", "wav", "aif")

#: A run of the Tags job writing every file of ``folder``; each rename waits a little (the
#: window between the temp file and the rename, where a kill leaves a temp file behind) and
#: the third one says so on stdout: the parent kills mid-run, with files written and not.
UNDO_CHILD = r"""
import os, sys, time
from pathlib import Path
from ratings_gui import tags
from ratings_gui.core.plan import FILE, Change
from ratings_gui.journal import Journal
from ratings_gui.tags.writer import FileWriter

folder, journal_file = Path(sys.argv[1]), sys.argv[2]
real_replace = os.replace
told = []

def slow_replace(src, dst):
    if str(src).endswith(".ratings-tmp"):
        told.append(1)
        if len(told) == 3:
            print("replacing", flush=True)
        time.sleep(0.05)
    real_replace(src, dst)

os.replace = slow_replace
paths = sorted(str(p) for p in folder.rglob("*") if p.is_file())
now = dict(tags.read_many(paths))
changes = []
for i, p in enumerate(paths):
    old = now[p].rating
    new = float(2 + 2 * (i % 4))
    changes.append(Change(FILE, p, "rating", old, new if new != old else 1.0, "kill test"))
journal = Journal(Path(journal_file))
run = journal.start_run("tags")
FileWriter(workers=2).apply(changes, journal=journal, run_id=run)
journal.finish_run(run, "done")
print("finished", flush=True)
"""


def _temp_files(folder: Path) -> list[str]:
    """The program's temp files below ``folder`` (hidden ones included)."""
    return [n for _, _, names in os.walk(folder) for n in names if n.endswith(".ratings-tmp")]


@pytest.fixture(scope="module")
def small_demo() -> Iterator[Any]:
    """One small demo server for the module: undo reads Plex for the run's Plex changes."""
    from conftest import serving

    from ratings_gui.demo.library import DemoLibrary

    with serving(DemoLibrary.generate(seed=7, tracks=20, movies=1, shows=1)) as srv:
        yield srv


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="rating samples not available")
@pytest.mark.parametrize("ext", CONTAINERS)
def test_kill_9_mid_run_then_undo_gives_back_every_byte(
    ext: str, small_demo: Any, tmp_path: Path
) -> None:
    """Issue 23 items 3/4: after kill -9 mid-run and undo, every file is byte-identical to
    before and no temp file of the program is left in its folders."""
    from conftest import job_ctx, signed_in

    from ratings_gui.jobs.undo import UndoJob
    from ratings_gui.settings import resolve_paths

    assert ext in {e.lstrip(".") for fam in tags.FAMILIES for e in fam.extensions}
    folder = tmp_path / "lib"
    files = [folder / f"album{i % 2}" / f"{i:02d}.{ext}" for i in range(6)]
    for p in files:
        p.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAMPLES / f"test.{ext}", p)
        p.chmod(0o644)
    before = {p: p.read_bytes() for p in files}
    home = tmp_path / "home"
    with signed_in(small_demo, home):
        pass  # creates the data folder and the journal the child writes into
    journal_file = resolve_paths(home).journal_file
    child = subprocess.Popen(
        [sys.executable, "-c", UNDO_CHILD, str(folder), str(journal_file)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == b"replacing"
    time.sleep(random.Random(ext).uniform(0.0, 0.04))
    child.send_signal(signal.SIGKILL)
    child.wait(5)
    assert child.stdout.read() == b"", "the run finished before the kill"
    changed = [p for p in files if p.read_bytes() != before[p]]
    # mid-run: files written, and one caught between its temp file and the rename
    assert changed and _temp_files(folder), (changed, _temp_files(folder))
    for p in files:
        tags.read_rating(p)  # whole: the old rating or the new one, never half a file
    with signed_in(small_demo, home) as app:
        (run,) = app.journal.runs()
        assert run.status == "interrupted"
        undo = UndoJob(app, run.id)
        plan = undo.prepare(job_ctx())
        assert len(plan.changes) == len(changed)
        report = undo.apply(job_ctx(), plan)
        assert not report.failed
    assert [p for p in files if p.read_bytes() != before[p]] == []
    assert _temp_files(folder) == []
