"""Crash safety: a child writing ratings to 200 real files is killed (SIGKILL) at random points.

Afterwards every file must open in mutagen with its audio untouched (the
same stream info, the original audio bytes still there) and a rating that
is either the old or a new one: never a half-written file.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

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
