"""Issue 23 item 3: every container changes only its rating, and undo gives back the same bytes.

Real player-written files (copies of /work/shared/rating-samples/), plus the
three reported cases built from them: a WMA whose rating is the Unicode
string '59', an ID3v2.3 tag in a WAV holding a TSOP frame (mutagen's v2.3
save drops it), and an M4A whose ``rate`` atom mutagen cannot parse.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mutagen.asf import ASF, ASFUnicodeAttribute
from mutagen.mp4 import MP4
from mutagen.wave import WAVE

from ratings_gui.core.plan import FILE, Change
from ratings_gui.core.undoplan import CHANGED_SINCE, plan_undo
from ratings_gui.journal import APPLIED, Journal
from ratings_gui.tags import SUPPORTED_EXTENSIONS, id3raw, read_rating, restore_fields, write_rating
from ratings_gui.tags.writer import FileWriter

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "rating-samples"
if not SAMPLES.is_dir():
    SAMPLES = Path("/work/shared/rating-samples")

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="rating samples not available")

NAMES = sorted(p.name for p in SAMPLES.glob("*") if p.suffix.lower() in SUPPORTED_EXTENSIONS) or [
    "missing"
]


def copy(tmp_path: Path, name: str, as_name: str | None = None) -> Path:
    dst = tmp_path / (as_name or name)
    shutil.copyfile(SAMPLES / name, dst)
    dst.chmod(0o644)
    return dst


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("value", [3.0, 10.0, None])
def test_write_then_undo_is_byte_identical(tmp_path: Path, name: str, value: float | None) -> None:
    path = copy(tmp_path, name)
    original = path.read_bytes()
    before = write_rating(path, value)
    written = path.read_bytes()
    got = read_rating(path).rating
    assert got is None if value is None else got is not None
    # only the rating moved: no padding added (an MP4 grew by 1 KB), nothing re-rendered
    assert abs(len(written) - len(original)) <= 64, name
    restore_fields(path, before.fields, layout=before.layout)
    assert path.read_bytes() == original, name


def unicode_wma(tmp_path: Path) -> Path:
    path = copy(tmp_path, "wma_rating_test3.wma", "unicode59.wma")
    audio = ASF(path)
    audio.tags["WM/SharedUserRating"] = [ASFUnicodeAttribute("59")]
    audio.save()
    return path


def test_wma_unicode_rating_keeps_its_type_and_undo_takes_the_program_s_write(
    tmp_path: Path,
) -> None:
    path = unicode_wma(tmp_path)
    original = path.read_bytes()
    assert read_rating(path).rating == 6.0
    journal = Journal(tmp_path / "j.db")
    run = journal.start_run("tags")
    result = FileWriter().apply(
        [Change(FILE, str(path), "rating", 6.0, 3.0, "test")], journal=journal, run_id=run
    )
    assert len(result.applied) == 1
    (attr,) = ASF(path).tags["WM/SharedUserRating"]
    assert isinstance(attr, ASFUnicodeAttribute) and attr.value == "25"  # a string, as stored
    rows = journal.changes(run, statuses=[APPLIED])
    assert rows[0].change.new == read_rating(path).rating  # the journal says what the file holds
    plan = plan_undo(run, rows, {}, {str(path): read_rating(path)})
    assert CHANGED_SINCE not in plan.counts and len(plan.changes) == 1
    undo = FileWriter(restore=plan.payload.restore).apply(plan.changes)
    assert len(undo.applied) == 1
    assert path.read_bytes() == original
    journal.close()


def wav_with_tsop(tmp_path: Path) -> Path:
    """test.wav's ID3v2.3 chunk with a TSOP frame added by hand (the tag keeps its size)."""
    path = copy(tmp_path, "test.wav", "tsop.wav")
    data = path.read_bytes()
    chunk = id3raw.find_chunk(data)
    assert chunk is not None
    region = data[chunk[0] : chunk[0] + chunk[1]]
    tag = id3raw.parse(region)
    assert tag is not None and tag.major == 3
    body = b"\x00Sorted, Performer"
    tsop = b"TSOP" + len(body).to_bytes(4, "big") + b"\x00\x00" + body
    frames = b"".join(f.raw for f in tag.frames) + tsop
    new_tag = region[:10] + frames + bytes(tag.size - len(frames)) + region[10 + tag.size :]
    assert len(new_tag) == len(region)
    path.write_bytes(id3raw.replace_chunk(data, chunk, new_tag))
    assert [str(f) for f in WAVE(path).tags.getall("TSOP")] == ["Sorted, Performer"]
    return path


def test_wav_v23_tag_keeps_tsop_and_undo_is_identical(tmp_path: Path) -> None:
    path = wav_with_tsop(tmp_path)
    original = path.read_bytes()
    before = write_rating(path, 3.0)
    assert read_rating(path).rating == 3.0
    assert [str(f) for f in WAVE(path).tags.getall("TSOP")] == ["Sorted, Performer"]
    assert WAVE(path).tags.version[:2] == (2, 3)
    restore_fields(path, before.fields, layout=before.layout)
    assert path.read_bytes() == original


def m4a_with_unparsed_rate(tmp_path: Path) -> Path:
    """test.m4a with its ``rate`` stored as data type 0: mutagen leaves it in _failed_atoms."""
    path = copy(tmp_path, "test.m4a", "implicit.m4a")
    data = bytearray(path.read_bytes())
    at = data.find(b"rate")
    assert data[at + 12 : at + 16] == b"\x00\x00\x00\x01"
    data[at + 12 : at + 16] = b"\x00\x00\x00\x00"
    path.write_bytes(bytes(data))
    tags = MP4(path).tags
    assert "rate" not in tags and "rate" in tags._failed_atoms
    return path


@pytest.mark.parametrize("value", [3.0, 10.0, None])
def test_m4a_unparsed_rate_does_not_grow_and_undo_is_identical(
    tmp_path: Path, value: float | None
) -> None:
    path = m4a_with_unparsed_rate(tmp_path)
    original = path.read_bytes()
    before = write_rating(path, value)
    assert len(path.read_bytes()) == len(original)  # mutagen's save added its padding
    assert read_rating(path).rating == value
    if value is not None:  # the atom keeps the data type its writer chose
        data = path.read_bytes()
        at = data.find(b"rate")
        assert data[at + 12 : at + 16] == b"\x00\x00\x00\x00"
    restore_fields(path, before.fields, layout=before.layout)
    assert path.read_bytes() == original
