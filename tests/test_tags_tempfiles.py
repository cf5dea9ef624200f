"""Issue 23 item 4: leftover ``.ratings-tmp`` copies are counted by reading, deleted only by writing.

A killed save leaves a hidden full-size copy beside the music. The tags
scan (which a dry run runs too) must count it and say so without deleting
it; the writers delete it first.
"""

from __future__ import annotations

from pathlib import Path

from ratings_gui.core.pathmap import Rule
from ratings_gui.core.plan import FILE, Change
from ratings_gui.core.records import Item
from ratings_gui.demo import audio
from ratings_gui.jobs.runner import JobContext, Log
from ratings_gui.jobs.tags_sync import scan_files
from ratings_gui.tags.api import find_stale_temp_files, sweep_temp_files
from ratings_gui.tags.writer import FileWriter


def library(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "music" / "album"
    folder.mkdir(parents=True)
    song = folder / "01.flac"
    song.write_bytes(audio.flac_bytes())
    leftover = folder / ".01.flac.k3j2l1.ratings-tmp"
    leftover.write_bytes(audio.flac_bytes())  # what a kill between write and rename leaves
    return song, leftover


def test_scan_counts_leftovers_and_deletes_nothing(tmp_path: Path) -> None:
    song, leftover = library(tmp_path)
    lines: list[str] = []
    ctx = JobContext(lambda ev: lines.append(ev.text) if isinstance(ev, Log) else None)
    track = Item(key=1, kind="track", title="t", files=("/srv/album/01.flac",))
    found: list[str] = []
    rule = Rule("/srv", str(tmp_path / "music"))
    readings = scan_files([track], [rule], ctx, workers=1, leftovers=found)
    assert readings["/srv/album/01.flac"].local == str(song)
    assert leftover.exists()  # a dry run reads too: reading never deletes
    assert found == [str(leftover)]
    assert any("1 leftover temporary file" in line for line in lines)
    assert find_stale_temp_files([str(song.parent)]) == [str(leftover)]


def test_writing_sweeps_leftovers(tmp_path: Path) -> None:
    song, leftover = library(tmp_path)
    result = FileWriter(workers=1).apply([Change(FILE, str(song), "rating", None, 8.0, "t")])
    assert len(result.applied) == 1
    assert not leftover.exists()
    assert list(song.parent.iterdir()) == [song]


def test_sweep_deletes_only_leftovers(tmp_path: Path) -> None:
    song, leftover = library(tmp_path)
    other = song.parent / ".hidden-but-not-ours"
    other.write_bytes(b"x")
    assert sweep_temp_files([str(song.parent)]) == 1
    assert not leftover.exists() and other.exists() and song.exists()
