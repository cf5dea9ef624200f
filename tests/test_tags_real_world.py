"""Tag values real players and taggers leave behind (issue 13): an MP4 ``rate`` atom
with data type flag 0, and Vorbis ``RATING`` values whose scale only the library tells."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mutagen.mp4 import MP4

from ratings_gui.tags import read_rating, restore_fields, snapshot_fields, write_rating

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


def test_mp4_flag_0_rate_is_rewritten_in_the_form_players_read(tmp_path: Path) -> None:
    path = implicit_rate(tmp_path)
    before = write_rating(path, 6)
    assert before.rating == 8.0 and before.fields == {"rate": "80"}
    # one rate atom, type 1 (UTF-8) text: what MediaMonkey, KDE and kid3 read
    assert path.read_bytes().count(b"rate") == 1
    assert rate_atom(path)[8:12] == b"\x00\x00\x00\x01" and rate_atom(path).endswith(b"60")
    assert MP4(path).tags["rate"] == ["60"]
    assert read_rating(path).rating == 6.0
    # unrated removes it (the unparsed copy is not written back either)
    write_rating(path, None)
    assert read_rating(path).rating is None and b"rate" not in path.read_bytes()
    # undo puts the value back, readable
    restore_fields(path, before.fields)
    assert read_rating(path).rating == 8.0 and MP4(path).tags["rate"] == ["80"]


def test_mp4_same_rating_leaves_a_flag_0_file_alone(tmp_path: Path) -> None:
    path = implicit_rate(tmp_path)
    data = path.read_bytes()
    write_rating(path, 8)
    assert path.read_bytes() == data
