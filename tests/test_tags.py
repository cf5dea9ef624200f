"""Tag layer: real samples, write/read round trips, player reader rules, undo, bad input.

Every test copies files to ``tmp_path`` first; the shared sample folder is
never written. The "reader rule" functions below restate, in plain Python,
how each player reads the raw fields according to reference/rating-tags.md,
so a write is checked against what those players would show.
"""

from __future__ import annotations

import csv
import functools
import math
import os
import shutil
import stat
import struct
from pathlib import Path

import mutagen
import pytest
from mutagen.asf import ASF
from mutagen.id3 import ID3, POPM, TXXX, Encoding
from mutagen.mp4 import MP4
from mutagen.ogg import OggPage

from ratings_gui import tags
from ratings_gui.tags import (
    SUPPORTED_EXTENSIONS,
    TagError,
    TagRating,
    read_many,
    read_rating,
    restore_fields,
    snapshot_fields,
    write_rating,
)

#: Where the real-world samples may be: beside the checkout, or where this machine keeps them.
#: Looked at only when a test runs or is collected, never when this module is imported.
SAMPLE_FOLDERS = (
    Path(__file__).resolve().parents[2] / "shared" / "rating-samples",
    Path("/work/shared/rating-samples"),
)


@functools.cache
def samples() -> Path | None:
    """The sample folder, or None when this machine has none."""
    return next((p for p in SAMPLE_FOLDERS if p.is_dir()), None)


@functools.cache
def manifest() -> list[dict[str, str]]:
    """The samples' MANIFEST.csv rows (empty without the samples)."""
    folder = samples()
    if folder is None:
        return []
    with (folder / "MANIFEST.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(autouse=True)
def _need_samples() -> None:
    if samples() is None:
        pytest.skip("rating samples not available")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The sample-driven parameters, read at collection (not at import)."""
    rows = manifest()
    if metafunc.function.__name__ == "test_sample_reads_to_manifest":
        metafunc.parametrize("row", rows, ids=[r["file"] for r in rows])
    elif metafunc.function.__name__ == "test_undo_restores_the_rating_fields":
        metafunc.parametrize("name", [r["file"] for r in rows[::3]] + MATRIX[3:])


WMP = "Windows Media Player 9 Series"
QL = "quodlibet@lists.sacredchao.net"

#: One sample per container for the round-trip matrix (mp3 three times: WMP,
#: MediaMonkey and an empty-e-mail POPM frame).
MATRIX = [
    "mp3_rating_testWMP.mp3",
    "mp3_rating_testMM.mp3",
    "test.mp3",
    "test.aif",
    "test.wav",
    "test.flac",
    "test.ogg",
    "test.opus",
    "test.spx",
    "test.m4a",
    "test.wma",
    "test.ape",
    "test.mpc",
    "test.wv",
]


def copy(tmp_path: Path, name: str, new_name: str | None = None) -> Path:
    dst = tmp_path / (new_name or name)
    shutil.copyfile(samples() / name, dst)  # type: ignore[operator]
    os.chmod(dst, 0o644)
    return dst


# --- the audio payload, per container ------------------------------------------------


def _strip_id3v1(data: bytes) -> bytes:
    return data[:-128] if len(data) >= 128 and data[-128:-125] == b"TAG" else data


def _iff_chunks(data: bytes, big_endian: bool) -> dict[bytes, bytes]:
    fmt = ">I" if big_endian else "<I"
    out: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(data):
        cid = data[pos : pos + 4]
        (size,) = struct.unpack(fmt, data[pos + 4 : pos + 8])
        out[cid.strip().lower()] = data[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size & 1)
    return out


def payload(path: Path) -> bytes:
    """The audio bytes of a file, with every tag region cut away."""
    data = path.read_bytes()
    ext = path.suffix.lower()
    if ext == ".mp3":
        start = 0
        if data[:3] == b"ID3":
            size = 0
            for b in data[6:10]:
                size = (size << 7) | (b & 0x7F)
            start = 10 + size + (10 if data[5] & 0x10 else 0)
        return _strip_id3v1(data[start:])
    if ext in (".wav", ".aif"):
        chunks = _iff_chunks(data, big_endian=ext == ".aif")
        keys = (b"fmt", b"data") if ext == ".wav" else (b"comm", b"ssnd")
        return b"|".join(chunks[k] for k in keys)
    if ext == ".flac":
        pos = 4
        while True:
            head = data[pos]
            length = int.from_bytes(data[pos + 1 : pos + 4], "big")
            pos += 4 + length
            if head & 0x80:
                return data[pos:]
    if ext in (".ogg", ".opus", ".spx"):
        import io

        fh = io.BytesIO(data)
        pages = []
        while fh.tell() < len(data):
            pages.append(OggPage(fh))
        packets = OggPage.to_packets(pages)
        return b"|".join([packets[0], *packets[2:]])
    if ext == ".m4a":
        pos = 0
        while pos + 8 <= len(data):
            size, kind = struct.unpack(">I4s", data[pos : pos + 8])
            if kind == b"mdat":
                return data[pos + 8 : pos + size]
            pos += size
        raise AssertionError("no mdat")
    if ext == ".wma":
        (size,) = struct.unpack("<Q", data[16:24])
        return data[size:]
    if ext in (".ape", ".mpc", ".wv"):
        data = _strip_id3v1(data)
        if data[-32:-24] == b"APETAGEX":
            size, _items, flags = struct.unpack("<III", data[-20:-8])
            start = len(data) - size - (32 if flags & 0x80000000 else 0)
            return data[:start]
        return data
    raise AssertionError(ext)


def info(path: Path) -> tuple[object, ...]:
    i = mutagen.File(path).info
    return (
        round(i.length, 3),
        getattr(i, "sample_rate", None),
        getattr(i, "channels", None),
        # Musepack derives its bitrate from the file size, tags included.
        None if path.suffix == ".mpc" else getattr(i, "bitrate", None),
    )


# --- what players read, restated from reference/rating-tags.md -------------------------

#: The byte table: decodes WMP, MusicBee, MediaMonkey, Strawberry, Kodi writes.
TABLE_READ = [(0, 0, None), (1, 1, 2), (2, 22, 1), (23, 31, 2)] + [
    (32 * k, 32 * k + 31, k + 2) for k in range(1, 7)
]
TABLE_READ += [(224, 254, 9), (255, 255, 10)]


def table_read(byte: int) -> int | None:
    for lo, hi, plex in TABLE_READ:
        if lo <= byte <= hi:
            return plex
    raise AssertionError(byte)


def explorer_stars(byte: int) -> int:
    """Windows Explorer / WMP: 1-31, 32-95, 96-159, 160-223, 224-255."""
    if byte == 0:
        return 0
    return 1 + sum(byte > top for top in (31, 95, 159, 223))


def wmp_asf_stars(value: int) -> int:
    """WMP's read bands for WM/SharedUserRating."""
    if value == 0:
        return 0
    return 1 + sum(value > top for top in (12, 37, 62, 86))


def popm_frames(path: Path) -> list[POPM]:
    audio = mutagen.File(path)
    return list(audio.tags.getall("POPM")) if audio.tags is not None else []


def txxx(path: Path, desc: str) -> str | None:
    audio = mutagen.File(path)
    for frame in audio.tags.getall("TXXX"):
        if frame.desc.lower() == desc.lower():
            return str(frame.text[0])
    return None


def vorbis(path: Path, key: str) -> str | None:
    values = mutagen.File(path).tags.get(key)
    return values[0] if values else None


def ape(path: Path, key: str) -> str | None:
    value = mutagen.File(path).tags.get(key)
    return None if value is None else str(value)


def reader_wmp(path: Path) -> int | None:
    """WMP and Explorer: stars from their own POPM frame or WM/SharedUserRating."""
    if path.suffix == ".wma":
        attrs = mutagen.File(path).tags.get("WM/SharedUserRating")
        return wmp_asf_stars(int(str(attrs[0].value))) if attrs else None
    for frame in popm_frames(path):
        if frame.email == WMP:
            return explorer_stars(frame.rating)
    return None


def reader_musicbee(path: Path, own: str = "MusicBee") -> int | None:
    """MusicBee / MediaMonkey: their POPM frame, else WMP's, else the first; RATING 0-100."""
    ext = path.suffix
    if ext in (".mp3", ".aif", ".wav"):
        frames = popm_frames(path)
        for email in (own, WMP):
            for frame in frames:
                if frame.email == email:
                    return table_read(frame.rating)
        return table_read(frames[0].rating) if frames else None
    if ext in (".flac", ".ogg", ".opus", ".spx"):
        text = vorbis(path, "RATING")
        return None if text is None else round(int(text) / 10)
    if ext in (".ape", ".mpc", ".wv"):
        text = ape(path, "Rating")
        return None if text is None else round(int(text) / 10)
    if ext == ".m4a":  # MediaMonkey's rate atom
        values = mutagen.File(path).tags.get("rate")
        return None if not values else round(int(values[0]) / 10)
    return None


def reader_strawberry(path: Path) -> float | None:
    """Strawberry: FMPS_Rating when present, else the first POPM frame / RATING."""
    ext = path.suffix
    if ext in (".mp3", ".aif", ".wav"):
        fmps = txxx(path, "FMPS_Rating")
        if fmps is not None:
            return float(fmps) * 10
        frames = popm_frames(path)
        return table_read(frames[0].rating) if frames else None
    if ext in (".flac", ".ogg", ".opus", ".spx"):
        fmps = vorbis(path, "FMPS_RATING")
        if fmps is not None:
            return float(fmps) * 10
        text = vorbis(path, "RATING")
        return None if text is None else int(text) / 10
    return None


def reader_kodi(path: Path) -> float | None:
    """Kodi: RATING 0-100 in Vorbis comments, the POPM byte table in ID3."""
    ext = path.suffix
    if ext in (".flac", ".ogg", ".opus", ".spx"):
        text = vorbis(path, "RATING")
        return None if text is None else int(text) / 10
    if ext in (".mp3", ".aif", ".wav"):
        frames = popm_frames(path)
        return table_read(frames[0].rating) if frames else None
    return None


def reader_quodlibet_popm(path: Path) -> int | None:
    """Quod Libet: its own POPM frame, linear: the byte it wrote is int(255 * r)."""
    for frame in popm_frames(path):
        if frame.email == QL:
            return frame.rating
    return None


def reader_foobar(path: Path) -> int | None:
    """foobar2000: TXXX:RATING 1-5."""
    text = txxx(path, "RATING")
    return None if text is None else int(text)


# --- (1) the real-world samples ----------------------------------------------------------


def test_sample_reads_to_manifest(tmp_path: Path, row: dict[str, str]) -> None:
    path = copy(tmp_path, row["file"])
    got = read_rating(path)
    expected = float(row["expected_plex_rating"]) if row["expected_plex_rating"] else None
    assert got.rating == expected
    assert got.fields, "the raw field must be reported"
    raw = row["raw_value"]
    assert any(v.split(";")[0] == raw for v in got.fields.values())


def test_every_sample_container_is_supported() -> None:
    for row in manifest():
        assert Path(row["file"]).suffix.lower() in SUPPORTED_EXTENSIONS


# --- (2) round trip matrix and player reader rules -----------------------------------------


def expected_back(name: str, v: int) -> float:
    """WMA holds whole stars only: half stars round up (Plex 7 -> 75 -> 8)."""
    return float(2 * math.ceil(v / 2)) if name.endswith(".wma") else float(v)


@pytest.mark.parametrize("name", MATRIX)
def test_round_trip_every_value(tmp_path: Path, name: str) -> None:
    path = copy(tmp_path, name)
    audio_before = payload(path)
    info_before = info(path)
    tag = mutagen.File(path).tags
    version = tag.version[:2] if name.endswith((".mp3", ".aif", ".wav")) and tag else None
    for v in range(1, 11):
        write_rating(path, v)
        got = read_rating(path)
        assert got.rating == expected_back(name, v), (v, got)
        ext = path.suffix
        if ext == ".wma":
            assert reader_wmp(path) == math.ceil(v / 2)
            attr = mutagen.File(path).tags["WM/SharedUserRating"][0]
            assert attr.TYPE == 0  # the type WMP stored it in (a string), never changed
        if ext in (".mp3", ".aif", ".wav"):
            frames = popm_frames(path)
            assert len(frames) == 1
            assert reader_musicbee(path) == v
            assert reader_musicbee(path, own="no@email") == v
            assert reader_strawberry(path) == v
            assert reader_kodi(path) == v
            assert explorer_stars(frames[0].rating) == math.ceil(v / 2)
            if frames[0].email == WMP:
                assert reader_wmp(path) == math.ceil(v / 2)
            assert mutagen.File(path).tags.version[:2] == version  # kept as it was
        if ext in (".flac", ".ogg", ".opus", ".spx"):
            assert vorbis(path, "RATING") == str(v * 10)
            assert reader_musicbee(path) == v
            assert reader_kodi(path) == v
            assert reader_strawberry(path) == v
        if ext in (".ape", ".mpc", ".wv"):
            assert reader_musicbee(path) == v
        if ext == ".m4a":
            assert reader_musicbee(path) == v
    assert payload(path) == audio_before
    assert info(path) == info_before
    write_rating(path, None)
    assert read_rating(path).rating is None
    assert read_rating(path).fields == {} or all(
        v.startswith("0;") for v in read_rating(path).fields.values()
    )
    assert payload(path) == audio_before


def test_writing_the_same_value_leaves_the_file_alone(tmp_path: Path) -> None:
    path = copy(tmp_path, "test.flac")
    os.utime(path, (1_000_000, 1_000_000))
    before = write_rating(path, 5)
    assert before.rating == 5
    assert path.stat().st_mtime == 1_000_000


def test_mp3_copies_kept_in_step_for_every_player(tmp_path: Path) -> None:
    path = copy(tmp_path, "test.mp3")
    id3 = ID3(path)
    id3.add(POPM(email=QL, rating=128, count=7))
    id3.add(POPM(email=WMP, rating=128))
    id3.add(TXXX(encoding=Encoding.UTF8, desc="FMPS_Rating", text=["0.6"]))
    id3.add(TXXX(encoding=Encoding.LATIN1, desc="rating", text=["3"]))  # foobar2000, lower case
    id3.save(v2_version=3)
    assert read_rating(path).rating == 6.0  # WMP's frame before the empty-e-mail one (255)
    for v in range(1, 11):
        write_rating(path, v)
        frames = {f.email: f for f in popm_frames(path)}
        assert len(frames) == 3, "never a second frame for the same owner, none added"
        assert frames[WMP].rating == (13, 1, 54, 64, 118, 128, 186, 196, 242, 255)[v - 1]
        assert reader_wmp(path) == math.ceil(v / 2)
        assert reader_quodlibet_popm(path) == int(255 * (v / 10))
        assert frames[QL].count == 7
        assert reader_strawberry(path) == pytest.approx(v)
        assert reader_foobar(path) == math.floor(v / 2 + 0.5)
        assert read_rating(path).rating == v
        assert txxx(path, "FMPS_Rating") == f"{v / 10:.1f}"


def test_popm_preference_order(tmp_path: Path) -> None:
    path = copy(tmp_path, "test.mp3")
    id3 = ID3(path)
    id3.delall("POPM")
    for email, byte in (("first@x", 64), ("no@email", 128), ("MusicBee", 196), (WMP, 255)):
        id3.add(POPM(email=email, rating=byte))
    id3.add(POPM(email="mine@app", rating=1))
    id3.save(v2_version=3)
    assert read_rating(path, popm_email="mine@app").rating == 2.0
    got = read_rating(path, popm_email="other@app")
    assert got.rating == 10.0
    assert "disagree" in got.note
    id3 = ID3(path)
    id3.delall("POPM")
    id3.add(POPM(email="first@x", rating=64))
    id3.add(POPM(email="no@email", rating=128))
    id3.save(v2_version=3)
    assert read_rating(path).rating == 6.0  # no@email before the first frame
    id3 = ID3(path)
    id3.delall("POPM")
    id3.add(POPM(email=QL, rating=int(255 * 0.7)))
    id3.save(v2_version=3)
    assert read_rating(path).rating == 7.0  # linear owner


def test_vorbis_copies_kept_in_step(tmp_path: Path) -> None:
    path = copy(tmp_path, "test.ogg")
    audio = mutagen.File(path)
    audio.tags["FMPS_RATING"] = ["0.5"]
    audio.tags[f"RATING:{QL}"] = ["0.5"]
    audio.save()
    before = payload(path)
    for v in (1, 7, 10):
        write_rating(path, v)
        assert vorbis(path, "RATING") == str(v * 10)
        assert float(vorbis(path, "FMPS_RATING")) == pytest.approx(v / 10)
        assert float(vorbis(path, f"RATING:{QL}")) == pytest.approx(v / 10)  # Quod Libet
        assert reader_strawberry(path) == pytest.approx(v)
    assert payload(path) == before
    write_rating(path, None)
    assert snapshot_fields(path) == {}


def test_vorbis_foobar_scale_is_kept(tmp_path: Path) -> None:
    path = copy(tmp_path, "test.flac")
    audio = mutagen.File(path)
    audio.tags["RATING"] = ["4"]
    audio.save()
    assert read_rating(path).rating == 8.0
    write_rating(path, 6)
    assert vorbis(path, "RATING") == "3"


def test_mp4_rtng_untouched_and_freeform_in_step(tmp_path: Path) -> None:
    path = copy(tmp_path, "test.m4a")
    audio = MP4(path)
    audio.tags["rtng"] = [1]
    audio.tags["----:com.apple.iTunes:FMPS_Rating"] = [b"0.8"]
    audio.save()
    write_rating(path, 3)
    audio = MP4(path)
    assert audio.tags["rtng"] == [1]
    assert audio.tags["rate"] == ["30"]
    assert bytes(audio.tags["----:com.apple.iTunes:FMPS_Rating"][0]) == b"0.3"
    write_rating(path, None)
    audio = MP4(path)
    assert audio.tags["rtng"] == [1]
    assert "rate" not in audio.tags
    assert read_rating(path).rating is None


def test_ape_fmps_kept_in_step(tmp_path: Path) -> None:
    path = copy(tmp_path, "test.wv")
    audio = mutagen.File(path)
    audio.tags["FMPS_RATING"] = "0.4"
    audio.save()
    write_rating(path, 9)
    assert ape(path, "rating") == "90"
    assert ape(path, "fmps_rating") == "0.9"
    assert read_rating(path).fields == {"RATING": "90", "FMPS_RATING": "0.9"}


def test_play_counter_kept(tmp_path: Path) -> None:
    path = copy(tmp_path, "mp3_rating_testMM5.mp3")
    id3 = ID3(path)
    id3.getall("POPM")[0].count = 42
    id3.save(v2_version=3)
    write_rating(path, 8)
    (frame,) = popm_frames(path)
    assert (frame.email, frame.rating, frame.count) == ("no@email", 196, 42)
    write_rating(path, None)
    (frame,) = popm_frames(path)  # the counter survives unrating, byte 0 = unknown
    assert (frame.rating, frame.count) == (0, 42)
    assert read_rating(path).rating is None


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("test.mp3", "POPM:Windows Media Player 9 Series", "196;count=0"),
        ("test.aif", "POPM:Windows Media Player 9 Series", "196;count=0"),
        ("test.flac", "RATING", "80"),
        ("test.opus", "RATING", "80"),
        ("test.m4a", "rate", "80"),
        ("test.wma", "WM/SharedUserRating", "dword:75"),
        ("test.ape", "Rating", "80"),
    ],
)
def test_file_without_rating_gets_exactly_one_field(
    tmp_path: Path, name: str, field: str, value: str
) -> None:
    path = copy(tmp_path, name)
    restore_fields(path, {})
    assert snapshot_fields(path) == {}
    before = write_rating(path, 8)
    assert before == TagRating(None, {}, before.family, before.note, before.layout)
    write_rating(path, 8)
    assert snapshot_fields(path) == {field: value}
    assert read_rating(path).rating == 8.0


@pytest.mark.parametrize("name", ["test.mp3", "test.flac", "test.m4a", "test.wv", "test.wma"])
def test_file_without_any_tags(tmp_path: Path, name: str) -> None:
    path = copy(tmp_path, name)
    audio = mutagen.File(path)
    audio.delete()
    assert mutagen.File(path).tags is None or not mutagen.File(path).tags
    got = read_rating(path)
    assert got.rating is None and got.fields == {}
    write_rating(path, 6)
    assert read_rating(path).rating == 6.0


def test_id3v24_stays_v24(tmp_path: Path) -> None:
    """update_to_v23 would join multi-value frames and drop TDRC seconds (rating-tags.md)."""
    path = copy(tmp_path, "test.aif")
    assert mutagen.File(path).tags.version[:2] == (2, 4)
    write_rating(path, 4)
    assert mutagen.File(path).tags.version[:2] == (2, 4)


# --- (3) undo ------------------------------------------------------------------------------


def _frames_state(path: Path) -> list[tuple[object, ...]]:
    audio = mutagen.File(path)
    if audio.tags is None or not hasattr(audio.tags, "getall"):
        return []
    out = []
    for f in audio.tags.getall("POPM"):
        out.append(("POPM", f.email, f.rating, getattr(f, "count", None)))
    for f in audio.tags.getall("TXXX"):
        out.append(("TXXX", f.desc, tuple(f.text), int(f.encoding)))
    return sorted(out, key=repr)


def test_undo_restores_the_rating_fields(tmp_path: Path, name: str) -> None:
    path = copy(tmp_path, name)
    fields = snapshot_fields(path)
    frames = _frames_state(path)
    rating = read_rating(path).rating
    before = write_rating(path, 7)
    assert before.fields == fields
    write_rating(path, 3)
    restore_fields(path, before.fields)
    assert snapshot_fields(path) == fields
    assert read_rating(path).rating == rating
    assert _frames_state(path) == frames
    write_rating(path, None)
    restore_fields(path, fields)
    assert snapshot_fields(path) == fields


def test_undo_of_a_rich_mp3(tmp_path: Path) -> None:
    path = copy(tmp_path, "test.mp3")
    id3 = ID3(path)
    id3.add(POPM(email=QL, rating=99, count=7))
    id3.add(POPM(email="counter-only", rating=0))  # no play counter at all
    id3.add(TXXX(encoding=Encoding.UTF16, desc="FMPS_Rating", text=["0.6"]))
    id3.add(TXXX(encoding=Encoding.LATIN1, desc="RATING", text=["3"]))
    id3.save(v2_version=3)
    fields, frames = snapshot_fields(path), _frames_state(path)
    assert fields["POPM:counter-only"] == "0;count=0" or fields["POPM:counter-only"] == "0"
    before = write_rating(path, 9)
    restore_fields(path, before.fields)
    assert snapshot_fields(path) == fields and _frames_state(path) == frames
    write_rating(path, None)
    restore_fields(path, fields)
    assert snapshot_fields(path) == fields


def test_undo_of_a_file_that_had_no_rating(tmp_path: Path) -> None:
    path = copy(tmp_path, "test.opus")
    restore_fields(path, {})
    before = write_rating(path, 10)
    assert before.fields == {} and before.rating is None
    restore_fields(path, before.fields)
    assert snapshot_fields(path) == {}
    assert read_rating(path).rating is None


def test_undo_of_a_string_asf_value_keeps_the_type(tmp_path: Path) -> None:
    path = copy(tmp_path, "test.wma")
    before = write_rating(path, 2)
    assert before.fields == {"WM/SharedUserRating": "50"}
    restore_fields(path, before.fields)
    attr = ASF(path).tags["WM/SharedUserRating"][0]
    assert attr.TYPE == 0 and attr.value == "50"  # unicode string, as it was


# --- (4) bad input ----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.mp3"
    for call in (
        lambda: read_rating(path),
        lambda: write_rating(path, 5),
        lambda: snapshot_fields(path),
        lambda: restore_fields(path, {}),
    ):
        with pytest.raises(TagError) as err:
            call()
        assert err.value.reason == "not_found"
        assert "does not exist" in str(err.value)


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(TagError) as err:
        read_rating(path)
    assert err.value.reason == "unsupported"


def test_read_only_file(tmp_path: Path) -> None:
    path = copy(tmp_path, "test.flac")
    data = path.read_bytes()
    os.chmod(path, 0o444)
    with pytest.raises(TagError) as err:
        write_rating(path, 2)
    assert err.value.reason == "read_only"
    assert path.read_bytes() == data
    assert read_rating(path).rating == 5.0
    assert list(tmp_path.iterdir()) == [path]


def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = copy(folder, "test.mp3")
    data = path.read_bytes()
    os.chmod(folder, 0o555)
    try:
        with pytest.raises(TagError) as err:
            write_rating(path, 2)
        assert err.value.reason == "read_only"
        assert path.read_bytes() == data
        assert list(folder.iterdir()) == [path]
    finally:
        os.chmod(folder, 0o755)


@pytest.mark.parametrize("name", ["test.mp3", "test.flac", "test.m4a", "test.wma", "test.ogg"])
@pytest.mark.parametrize("kind", ["zero", "garbage", "truncated"])
def test_corrupt_files(tmp_path: Path, name: str, kind: str) -> None:
    path = tmp_path / name
    src = (samples() / name).read_bytes()  # type: ignore[operator]
    if kind == "zero":
        data = b""
    elif kind == "garbage":
        data = bytes((i * 37 + 11) % 256 for i in range(4000))
    else:
        data = src[: min(300, len(src) // 10)]
    path.write_bytes(data)
    with pytest.raises(TagError) as err:
        read_rating(path)
    assert err.value.reason == "unreadable"
    assert str(err.value)
    with pytest.raises(TagError) as err:
        write_rating(path, 4)
    assert err.value.reason == "unreadable"
    assert path.read_bytes() == data
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize(
    ("name", "key", "value", "word"),
    [
        ("test.flac", "RATING", "great", "not a number"),
        ("test.flac", "RATING", "150", "outside"),
        ("test.flac", "FMPS_RATING", "1.5", "outside"),
        ("test.flac", "RATING", "8", "ambiguous"),
        ("test.wv", "Rating", "abc", "not a number"),
        ("test.m4a", "rate", "x", "not a number"),
        ("test.wma", "WM/SharedUserRating", "120", "outside"),
        ("test.mp3", "TXXX:FMPS_Rating", "-2", "outside"),
    ],
)
def test_invalid_values(tmp_path: Path, name: str, key: str, value: str, word: str) -> None:
    path = copy(tmp_path, name)
    if name == "test.mp3":
        id3 = ID3(path)
        id3.delall("POPM")
        id3.add(TXXX(encoding=Encoding.LATIN1, desc="FMPS_Rating", text=[value]))
        id3.save(v2_version=3)
    else:
        restore_fields(path, {})
        audio = mutagen.File(path)
        audio.tags[key] = [value] if name.endswith((".flac", ".m4a", ".wma")) else value
        audio.save()
    with pytest.raises(TagError) as err:
        read_rating(path)
    assert err.value.reason == "invalid_value"
    assert word in str(err.value)
    assert err.value.fields
    # Writing a good value over a bad one works and reports what was there.
    before = write_rating(path, 6)
    assert before.rating is None and "unreadable" in before.note
    assert read_rating(path).rating == 6.0


def test_ambiguous_rating_with_the_setting(tmp_path: Path) -> None:
    path = copy(tmp_path, "test.flac")
    restore_fields(path, {"RATING": "8"})
    assert read_rating(path, vorbis_zero_to_ten=True).rating == 8.0


def test_disagreeing_and_bad_secondary_fields_are_noted(tmp_path: Path) -> None:
    path = copy(tmp_path, "test.flac")
    restore_fields(path, {"RATING": "60", "FMPS_RATING": "oops"})
    got = read_rating(path)
    assert got.rating == 6.0 and "FMPS_RATING" in got.note
    restore_fields(path, {"RATING": "60", "FMPS_RATING": "0.8"})
    got = read_rating(path)
    assert got.rating == 6.0 and "disagree" in got.note


@pytest.mark.parametrize("bad", [11, -1, 0, float("nan"), "five", 0.2])
def test_invalid_rating_to_write(tmp_path: Path, bad: object) -> None:
    path = copy(tmp_path, "test.mp3")
    data = path.read_bytes()
    with pytest.raises(TagError) as err:
        write_rating(path, bad)  # type: ignore[arg-type]
    assert err.value.reason == "invalid_value"
    assert path.read_bytes() == data


def test_crash_during_replace_leaves_the_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = copy(tmp_path, "test.flac")
    data = path.read_bytes()

    def boom(src: str, dst: str) -> None:
        raise OSError(5, "disk on fire")

    monkeypatch.setattr(tags.api.os, "replace", boom)
    with pytest.raises(TagError) as err:
        write_rating(path, 2)
    assert err.value.reason == "write_failed"
    assert path.read_bytes() == data
    assert list(tmp_path.iterdir()) == [path]


def test_locked_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy(tmp_path, "test.ogg")

    def locked(src: str, dst: str) -> None:
        raise PermissionError(13, "in use")

    monkeypatch.setattr(tags.api.os, "replace", locked)
    with pytest.raises(TagError) as err:
        write_rating(path, 2)
    assert err.value.reason == "locked"
    assert list(tmp_path.iterdir()) == [path]


def test_verify_failure_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy(tmp_path, "test.wv")
    data = path.read_bytes()
    fam = tags.api.family_for(path)
    real = type(fam).fields
    calls = {"n": 0}

    def flaky(self: object, audio: object) -> dict[str, str]:
        calls["n"] += 1
        return {"RATING": "nonsense"} if calls["n"] >= 4 else real(self, audio)  # type: ignore[arg-type]

    monkeypatch.setattr(type(fam), "fields", flaky)
    with pytest.raises(TagError) as err:
        write_rating(path, 2)
    assert err.value.reason == "write_failed"
    assert path.read_bytes() == data
    assert list(tmp_path.iterdir()) == [path]


def test_permissions_mtime_and_symlink(tmp_path: Path) -> None:
    path = copy(tmp_path, "test.mpc")
    os.chmod(path, 0o640)
    os.utime(path, (1_500_000_000, 1_500_000_000))
    write_rating(path, 3, keep_mtime=True)
    st = path.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640
    assert st.st_mtime == 1_500_000_000
    write_rating(path, 5)
    assert path.stat().st_mtime != 1_500_000_000
    link = tmp_path / "link.mpc"
    link.symlink_to(path)
    write_rating(link, 9)
    assert link.is_symlink()
    assert read_rating(path).rating == 9.0


# --- read_many --------------------------------------------------------------------------------


def test_read_many_mixes_results_and_errors(tmp_path: Path) -> None:
    paths = [copy(tmp_path, r["file"]) for r in manifest()]
    bad = tmp_path / "broken.flac"
    bad.write_bytes(b"fLaC garbage")
    missing = tmp_path / "gone.mp3"
    expected = {
        tmp_path / r["file"]: (
            float(r["expected_plex_rating"]) if r["expected_plex_rating"] else None
        )
        for r in manifest()
    }
    got = dict(read_many([*paths, bad, missing], workers=4))
    assert set(got) == {*paths, bad, missing}
    for p in paths:
        assert isinstance(got[p], TagRating) and got[p].rating == expected[p]
    assert isinstance(got[bad], TagError) and got[bad].reason == "unreadable"
    assert isinstance(got[missing], TagError) and got[missing].reason == "not_found"
    serial = dict(read_many(paths, workers=1, popm_email="no@email"))
    assert {p: r.rating for p, r in serial.items()} == {p: expected[p] for p in paths}


@pytest.mark.parametrize("name", ["test.flac", "test.ape"])
def test_half_star_rating_gets_a_settling_fraction(tmp_path: Path, name: str) -> None:
    # RATING 10 alone is ambiguous by the reading rules (6-10); FMPS_RATING settles it.
    path = copy(tmp_path, name)
    write_rating(path, 1)
    fields = {k.upper(): v for k, v in snapshot_fields(path).items()}
    assert fields == {"RATING": "10", "FMPS_RATING": "0.1"}
    assert read_rating(path).rating == 1.0
    write_rating(path, 8)
    fields = {k.upper(): v for k, v in snapshot_fields(path).items()}
    assert fields == {"RATING": "80", "FMPS_RATING": "0.8"}


def test_read_many_rejects_unknown_options_up_front() -> None:
    with pytest.raises(TypeError):
        next(iter(read_many(["a.mp3"], popm_mail="typo")))
