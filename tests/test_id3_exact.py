"""A rating write changes only an MP3's rating frames; undo gives back the identical file.

The fixture is a hand-built ID3v2.4 tag in the shape Picard and other
taggers leave behind (multi-value TPE1 and MusicBrainz ids, TDRC with
seconds, a UFID, UTF-8 / UTF-16 / UTF-16BE text, frames in an order
mutagen would not choose), built byte by byte so nothing mutagen would
render differently is hidden by the fixture itself.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from ratings_gui.core.plan import FILE, Change
from ratings_gui.demo.audio import mp3_bytes
from ratings_gui.jobs.undo import plan_undo
from ratings_gui.journal import APPLIED, Journal
from ratings_gui.tags import read_rating, restore_fields, write_rating
from ratings_gui.tags.id3raw import parse
from ratings_gui.tags.writer import FileWriter

ARTIST_IDS = ["b10bbbfc-cf9e-42e0-be17-e2c3e1d2600d", "ba550d0e-adac-4864-b88b-407cab5e76af"]


def _size(n: int, major: int) -> bytes:
    if major == 4:
        return bytes(((n >> s) & 0x7F) for s in (21, 14, 7, 0))
    return n.to_bytes(4, "big")


def frame(fid: str, body: bytes, major: int = 4) -> bytes:
    return fid.encode() + _size(len(body), major) + b"\x00\x00" + body


def utf8(fid: str, *values: str) -> bytes:
    return frame(fid, b"\x03" + b"\x00".join(v.encode() for v in values))


def txxx8(desc: str, *values: str) -> bytes:
    return frame(
        "TXXX", b"\x03" + desc.encode() + b"\x00" + b"\x00".join(v.encode() for v in values)
    )


def picard_like_frames(rating: bool = True) -> list[bytes]:
    frames = []
    if rating:  # a foobar2000-style RATING ahead of everything, where mutagen never puts it
        frames.append(frame("TXXX", b"\x00RATING\x004"))
    frames += [
        frame("TIT2", b"\x01\xff\xfe" + "Süße Träume".encode("utf-16-le")),
        utf8("TPE1", "Artist One", "Artist Two"),
        frame("TALB", b"\x02" + "Album Ω".encode("utf-16-be")),
        frame("TDRC", b"\x002004-06-19T12:34:56"),
        txxx8("MusicBrainz Artist Id", *ARTIST_IDS),
        txxx8("Artists", "Artist One", "Artist Two"),
        frame("UFID", b"http://musicbrainz.org\x00" + b"5b11f4ce-a62d-471e-81fc-a69a8278c7da"),
        frame("COMM", b"\x03eng\x00a comment"),
    ]
    if rating:
        frames.append(frame("POPM", b"MusicBee\x00\xc4" + (12).to_bytes(4, "big")))
    return frames


def make_mp3(path: Path, frames: list[bytes], padding: int = 256, major: int = 4) -> Path:
    body = b"".join(frames) + bytes(padding)
    header = b"ID3" + bytes([major, 0, 0]) + _size(len(body), 4)
    path.write_bytes(header + body + mp3_bytes())
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def other_frames(path: Path) -> list[bytes]:
    tag = parse(path.read_bytes())
    assert tag is not None
    return [f.raw for f in tag.frames if not f.key]


def test_write_changes_only_the_rating_frames(tmp_path: Path) -> None:
    path = make_mp3(tmp_path / "a.mp3", picard_like_frames())
    data = path.read_bytes()
    others = other_frames(path)
    write_rating(path, 8)
    new = path.read_bytes()
    tag = ID3(path)
    assert tag.version[:2] == (2, 4)
    assert tag["TPE1"].text == ["Artist One", "Artist Two"]
    assert tag["TXXX:MusicBrainz Artist Id"].text == ARTIST_IDS
    assert str(tag["TDRC"].text[0]).endswith("12:34:56")  # the seconds are still there
    assert other_frames(path) == others  # byte for byte, in their order
    assert len(new) == len(data)  # the padding took the difference: the audio did not move
    assert new.endswith(mp3_bytes())
    assert read_rating(path).rating == 8.0
    assert read_rating(path).fields == {"POPM:MusicBee": "196;count=12", "TXXX:RATING": "4"}


@pytest.mark.parametrize("value", [9, 1, None])
@pytest.mark.parametrize("padding", [256, 0])
def test_write_then_undo_is_byte_identical(
    tmp_path: Path, value: float | None, padding: int
) -> None:
    path = make_mp3(tmp_path / "a.mp3", picard_like_frames(), padding=padding)
    start = sha(path)
    before = write_rating(path, value)
    assert sha(path) != start
    restore_fields(path, before.fields, layout=before.layout)
    assert sha(path) == start


def test_first_rating_in_a_v24_file_and_undo(tmp_path: Path) -> None:
    path = make_mp3(tmp_path / "a.mp3", picard_like_frames(rating=False), padding=0)
    start, others = sha(path), other_frames(path)
    before = write_rating(path, 6)
    assert ID3(path).version[:2] == (2, 4)
    assert other_frames(path) == others
    assert read_rating(path).rating == 6.0
    restore_fields(path, before.fields, layout=before.layout)
    assert sha(path) == start


def test_v23_tag_stays_v23_and_undoes_exactly(tmp_path: Path) -> None:
    frames = [
        frame("TIT2", b"\x00Title", 3),
        frame("TPE1", b"\x00Artist One/Artist Two", 3),
        frame("POPM", b"Windows Media Player 9 Series\x00\x40", 3),
    ]
    path = make_mp3(tmp_path / "a.mp3", frames, major=3)
    start = sha(path)
    before = write_rating(path, 10)
    assert ID3(path).version[:2] == (2, 3)
    restore_fields(path, before.fields, layout=before.layout)
    assert sha(path) == start


def test_journaled_write_and_undo_plan_restore_the_file(tmp_path: Path) -> None:
    """The journal keeps the layout with the old value; undo hands it to the tag layer.

    Removing the rating drops its frames, so only the journaled layout can
    put them back in their old places.
    """
    path = make_mp3(tmp_path / "a.mp3", picard_like_frames())
    start = sha(path)
    journal = Journal(tmp_path / "j.db")
    run = journal.start_run("tags")
    result = FileWriter().apply(
        [Change(FILE, str(path), "rating", 8.0, None, "test")], journal=journal, run_id=run
    )
    assert len(result.applied) == 1 and sha(path) != start
    rows = journal.changes(run, statuses=[APPLIED])
    plan = plan_undo(run, rows, {}, {str(path): read_rating(path)})
    restore = plan.payload.restore
    undo = FileWriter(restore=restore).apply(plan.changes)
    assert len(undo.applied) == 1
    assert sha(path) == start
    journal.close()


def test_undo_onto_a_file_without_a_tag_writes_a_v23_tag(tmp_path: Path) -> None:
    """A new tag is v2.3 whether a write or an undo creates it (the tag was removed since)."""
    path = tmp_path / "bare.mp3"
    path.write_bytes(mp3_bytes())
    restore_fields(path, {"POPM:MusicBee": "196;count=12"})
    assert ID3(path).version[:2] == (2, 3)
    assert read_rating(path).rating is not None
