"""Tiny but valid audio files (WAV, AIFF, FLAC, MP3) of silence, written with the standard library.

The tag jobs need real files that mutagen opens, mirroring the demo
server's track paths. Half a second of silence keeps each file at a few KB,
so a demo library of a few thousand tracks fits in a temp folder.
"""

from __future__ import annotations

import hashlib
import io
import struct
import wave
from functools import cache
from pathlib import Path, PurePosixPath

from ratings_gui.demo.library import DemoLibrary

#: Beyond this many tracks, writing files is refused (time and disk for no benefit).
MAX_MEDIA_TRACKS = 5_000
SECONDS = 0.5


def _silence(rate: int, seconds: float = SECONDS) -> int:
    return int(rate * seconds)


@cache
def wav_bytes() -> bytes:
    """Mono 16-bit PCM at 8 kHz."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * _silence(8000))
    return buf.getvalue()


def _extended80(value: int) -> bytes:
    """IEEE 754 80-bit extended float of a positive integer (AIFF's sample rate field)."""
    exponent = value.bit_length() - 1
    mantissa = value << (63 - exponent)
    return struct.pack(">HQ", 16383 + exponent, mantissa)


@cache
def aiff_bytes() -> bytes:
    """FORM/COMM/SSND by hand (the aifc module is deprecated): mono 16-bit big-endian, 8 kHz."""
    frames = _silence(8000)
    comm = struct.pack(">hLh", 1, frames, 16) + _extended80(8000)
    ssnd = struct.pack(">LL", 0, 0) + b"\x00\x00" * frames
    body = b"AIFF" + b"COMM" + struct.pack(">L", len(comm)) + comm
    body += b"SSND" + struct.pack(">L", len(ssnd)) + ssnd
    return b"FORM" + struct.pack(">L", len(body)) + body


def crc8(data: bytes) -> int:
    """CRC-8, polynomial x^8+x^2+x+1 (0x07), init 0: the FLAC frame header check."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def crc16(data: bytes) -> int:
    """CRC-16, polynomial x^16+x^15+x^2+1 (0x8005), init 0: the FLAC frame footer."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


@cache
def flac_bytes() -> bytes:
    """STREAMINFO, an empty VORBIS_COMMENT, PADDING, then frames of CONSTANT (silent) subframes.

    Mono, 16 bits, 8 kHz; fixed block size; each frame header carries an
    explicit 16-bit block size (code 0b0111) so the last block may be short.
    """
    rate, bps, block = 8000, 16, 2000
    total = _silence(rate)
    frames = []
    for number, start in enumerate(range(0, total, block)):
        size = min(block, total - start)
        header = bytes([0xFF, 0xF8, (0b0111 << 4) | 0b0100, (0b0000 << 4) | (0b100 << 1)])
        header += bytes([number])  # UTF-8 coded frame number (< 128: one byte)
        header += struct.pack(">H", size - 1)
        header += bytes([crc8(header)])
        frame = header + b"\x00" + b"\x00\x00"  # CONSTANT subframe, value 0 in 16 bits
        frames.append(frame + struct.pack(">H", crc16(frame)))
    md5 = hashlib.md5(b"\x00\x00" * total).digest()
    frame_sizes = [len(f) for f in frames]
    info = struct.pack(">HH", block, block)
    info += min(frame_sizes).to_bytes(3, "big") + max(frame_sizes).to_bytes(3, "big")
    packed = (rate << 44) | ((1 - 1) << 41) | ((bps - 1) << 36) | total
    info += packed.to_bytes(8, "big") + md5
    vendor = b"ratings_gui demo"
    comment = struct.pack("<L", len(vendor)) + vendor + struct.pack("<L", 0)
    padding = b"\x00" * 256

    def block_header(last: bool, kind: int, length: int) -> bytes:
        return bytes([(0x80 if last else 0) | kind]) + length.to_bytes(3, "big")

    out = b"fLaC" + block_header(False, 0, len(info)) + info
    out += block_header(False, 4, len(comment)) + comment
    out += block_header(True, 1, len(padding)) + padding
    return out + b"".join(frames)


@cache
def mp3_bytes() -> bytes:
    """MPEG-1 Layer III, 32 kbps, 44.1 kHz, mono, no CRC; zero side info decodes as silence."""
    header = bytes([0xFF, 0xFB, (0b0001 << 4) | (0b00 << 2), 0b11 << 6])
    frame_len = 144 * 32_000 // 44_100  # 104 bytes, no padding slot
    frame = header + b"\x00" * (frame_len - len(header))
    count = int(SECONDS * 44_100 / 1152) + 1
    return frame * count


_WRITERS = {
    "wav": wav_bytes,
    "aif": aiff_bytes,
    "aiff": aiff_bytes,
    "flac": flac_bytes,
    "mp3": mp3_bytes,
}


def local_path(lib: DemoLibrary, media_dir: Path, server_path: str) -> Path:
    """Where a server path like /data/music/A/B/01 - T.mp3 lives below media_dir."""
    rel = PurePosixPath(server_path).relative_to(lib.media_root)
    return media_dir.joinpath(*rel.parts)


def write_library_media(lib: DemoLibrary, media_dir: Path) -> int:
    """Write one small real audio file per track (missing files only); returns how many were written.

    Refuses libraries above MAX_MEDIA_TRACKS. Updates each track's Part size
    to the real file size, as a rescan would.
    """
    tracks = list(lib.tracks())
    if len(tracks) > MAX_MEDIA_TRACKS:
        raise ValueError(
            f"media files are written only for libraries of at most {MAX_MEDIA_TRACKS} tracks "
            f"(this one has {len(tracks)}); generate a smaller library or pass media_dir=None"
        )
    written = 0
    for track in tracks:
        if not track.file:
            continue
        ext = track.file.rsplit(".", 1)[-1].lower()
        maker = _WRITERS.get(ext)
        if maker is None:
            continue
        data = maker()
        path = local_path(lib, media_dir, track.file)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written += 1
        track.size = path.stat().st_size
        track.xml_cache = None
    return written
