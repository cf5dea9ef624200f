"""Byte-exact edits of an MP3's ID3v2.3/v2.4 tag: only the rating frames change.

mutagen renders every frame again on save (its own frame order, its own
text encodings, v2.3 multi-values joined with "/"), so a rating written
through it changes bytes the user never asked to touch. Here the tag is
walked frame by frame: every other frame is copied as it was, rating
frames are replaced where they stood, and the tag keeps its size while
its padding allows. The original rating frames, their places and the tag
size make up a *layout* the journal keeps, so undo gives back the very
same file.

Anything this walker does not fully understand (ID3v2.2, tag-level
unsynchronisation, an extended header, a footer, compressed or encrypted
rating frames, junk after the frames) makes :func:`parse` return None and
the caller falls back to mutagen's own save, keeping the tag's version.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "RATING_TXXX",
    "find_chunk",
    "replace_chunk",
    "RawFrame",
    "RawTag",
    "capture_layout",
    "parse",
    "popm_body",
    "read_tag_bytes",
    "splice",
    "splice_layout",
    "txxx_body",
]

#: TXXX descriptions (lower case) that hold a rating.
RATING_TXXX = ("fmps_rating", "rating")

HEADER = 10
#: Room added when the rating frames no longer fit the old tag (mutagen's default too).
GROW_PADDING = 1024
_ID_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
#: Header flags we cannot copy blindly: unsynchronisation, extended header, footer.
_TAG_FLAGS_REFUSED = 0x80 | 0x40 | 0x10
#: Frame format flags that change how the body is stored (compression, encryption...).
_FORMAT_FLAGS = {3: 0x00E0, 4: 0x004F}


@dataclass(frozen=True)
class RawFrame:
    """One frame as stored (header + body); ``key`` is mutagen's HashKey for rating frames."""

    raw: bytes
    key: str = ""

    @property
    def body(self) -> bytes:
        return self.raw[HEADER:]


@dataclass(frozen=True)
class RawTag:
    """The ID3v2 tag at the start of a file, frame by frame."""

    major: int
    revision: int
    flags: int
    size: int  # as in the header: frames + padding, without the 10 header bytes
    frames: tuple[RawFrame, ...]


def _synchsafe(b: bytes) -> int:
    n = 0
    for byte in b:
        n = (n << 7) | (byte & 0x7F)
    return n


def _to_synchsafe(n: int) -> bytes:
    if n >= 1 << 28:
        raise ValueError("an ID3 tag cannot be this large")
    return bytes(((n >> s) & 0x7F) for s in (21, 14, 7, 0))


def _terminator(enc: int) -> bytes:
    return b"\x00\x00" if enc in (1, 2) else b"\x00"


def _split_term(body: bytes, enc: int) -> tuple[bytes, bytes]:
    """Text up to its terminator, and the rest after it."""
    term = _terminator(enc)
    step = len(term)
    for i in range(0, len(body) - step + 1, step):
        if body[i : i + step] == term:
            return body[:i], body[i + step :]
    return body, b""


def _decode(raw: bytes, enc: int) -> str:
    if enc == 0:
        return raw.decode("latin-1")
    if enc == 1:
        return raw.decode("utf-16") if raw else ""
    if enc == 2:
        return raw.decode("utf-16-be")
    if enc == 3:
        return raw.decode("utf-8")
    raise ValueError(f"unknown text encoding {enc}")


def _rating_key(fid: bytes, body: bytes) -> str:
    if fid == b"POPM":
        return "POPM:" + body.split(b"\x00", 1)[0].decode("latin-1")
    if fid == b"TXXX" and body:
        desc = _decode(_split_term(body[1:], body[0])[0], body[0])
        if desc.strip().lower() in RATING_TXXX:
            return "TXXX:" + desc
    return ""


def parse(data: bytes) -> RawTag | None:
    """The tag at the start of ``data``, or None when it cannot be copied frame by frame."""
    if len(data) < HEADER or data[:3] != b"ID3":
        return None
    major, revision, flags = data[3], data[4], data[5]
    if major not in (3, 4) or flags & _TAG_FLAGS_REFUSED or any(b & 0x80 for b in data[6:10]):
        return None
    size = _synchsafe(data[6:10])
    end = HEADER + size
    if end > len(data):
        return None
    pos = HEADER
    frames: list[RawFrame] = []
    keys: set[str] = set()
    while pos + HEADER <= end and data[pos] != 0:
        fid = data[pos : pos + 4]
        size_bytes = data[pos + 4 : pos + 8]
        if not set(fid) <= _ID_CHARS:
            return None
        if major == 4:
            if any(b & 0x80 for b in size_bytes):
                return None  # iTunes-style plain sizes in a v2.4 tag: leave it to mutagen
            fsize = _synchsafe(size_bytes)
        else:
            fsize = int.from_bytes(size_bytes, "big")
        fflags = int.from_bytes(data[pos + 8 : pos + 10], "big")
        stop = pos + HEADER + fsize
        if stop > end:
            return None
        key = ""
        if fid in (b"POPM", b"TXXX"):
            if fflags & _FORMAT_FLAGS[major]:
                return None
            try:
                key = _rating_key(fid, data[pos + HEADER : stop])
            except (UnicodeDecodeError, ValueError):
                return None
            if key and key in keys:
                return None  # two frames mutagen would merge into one
            if key:
                keys.add(key)
        frames.append(RawFrame(data[pos:stop], key))
        pos = stop
    if any(data[pos:end]):
        return None  # not plain zero padding after the frames
    return RawTag(major, revision, flags, size, tuple(frames))


def _frame(major: int, fid: bytes, flags: bytes, body: bytes) -> bytes:
    size = _to_synchsafe(len(body)) if major == 4 else len(body).to_bytes(4, "big")
    return fid + size + flags + body


def popm_body(email: str, rating: int, count: int | None, template: bytes | None = None) -> bytes:
    """A POPM body; the counter keeps the template's width when its value did not change."""
    head = email.encode("latin-1") + b"\x00" + bytes([rating])
    if count is None:
        return head
    if template is not None:
        email_t, _, rest = template.partition(b"\x00")
        old = rest[1:]
        if email_t == email.encode("latin-1") and old and int.from_bytes(old, "big") == count:
            return head + old
    width = max(4, (count.bit_length() + 7) // 8)
    return head + count.to_bytes(width, "big")


def _encode(text: str, enc: int, big_endian: bool) -> bytes:
    if enc == 0:
        return text.encode("latin-1")
    if enc == 1:
        return (
            (b"\xfe\xff" + text.encode("utf-16-be"))
            if big_endian
            else (b"\xff\xfe" + text.encode("utf-16-le"))
        )
    if enc == 2:
        return text.encode("utf-16-be")
    return text.encode("utf-8")


def txxx_body(
    major: int, desc: str, text: Sequence[str], encoding: int = 0, template: bytes | None = None
) -> bytes:
    """A TXXX body in the template's encoding, byte order and description bytes when given."""
    enc = template[0] if template else encoding
    if enc not in (0, 1, 2, 3) or (major == 3 and enc > 1):
        enc = 1
    big_endian = False
    if template and enc == 1:
        big_endian = template[1:3] == b"\xfe\xff"
    try:
        values = [_encode(t, enc, big_endian) for t in text]
        desc_raw = _encode(desc, enc, big_endian)
    except UnicodeEncodeError:
        enc = 3 if major == 4 else 1
        template = None
        values = [_encode(t, enc, False) for t in text]
        desc_raw = _encode(desc, enc, False)
    term = _terminator(enc)
    if template is not None:
        desc_raw = _split_term(template[1:], enc)[0]  # the same text, stored as it was
    body = bytes([enc]) + desc_raw + term + term.join(values)
    if template is not None and template.endswith(term) and not body.endswith(term):
        body += term  # the writer of this frame ended its text with a terminator
    return body


#: key -> function(template body or None) -> new body, for the rating frames wanted.
BodyFn = Callable[[bytes | None], bytes]


def _header(tag: RawTag, size: int) -> bytes:
    return b"ID3" + bytes([tag.major, tag.revision, tag.flags]) + _to_synchsafe(size)


def _assemble(data: bytes, tag: RawTag, frames: list[bytes], keep_size: int) -> bytes:
    body = b"".join(frames)
    size = keep_size if len(body) <= keep_size else len(body) + GROW_PADDING
    return _header(tag, size) + body + bytes(size - len(body)) + data[HEADER + tag.size :]


def splice(
    data: bytes,
    tag: RawTag,
    wanted: Mapping[str, BodyFn],
    before: Mapping[str, str],
    after: Mapping[str, str],
) -> bytes:
    """The file with only its rating frames changed to ``wanted`` (key -> body maker).

    A rating frame whose field text did not change is copied as it was; a
    changed one is rebuilt in its place; a new one goes after the last
    frame; one no longer wanted is dropped.
    """
    out: list[bytes] = []
    done: set[str] = set()
    for f in tag.frames:
        if not f.key:
            out.append(f.raw)
            continue
        if f.key not in wanted:
            continue
        done.add(f.key)
        if before.get(f.key) == after.get(f.key):
            out.append(f.raw)
        else:
            out.append(_frame(tag.major, f.raw[:4], f.raw[8:10], wanted[f.key](f.body)))
    for key, make in wanted.items():
        if key not in done:
            fid = key.split(":", 1)[0].encode("ascii")
            out.append(_frame(tag.major, fid, b"\x00\x00", make(None)))
    return _assemble(data, tag, out, tag.size)


def read_tag_bytes(path: str) -> bytes:
    """The ID3v2 tag region at the start of a file (b'' when there is none)."""
    with open(path, "rb") as fh:
        head = fh.read(HEADER)
        if len(head) < HEADER or head[:3] != b"ID3" or any(b & 0x80 for b in head[6:10]):
            return b""
        return head + fh.read(_synchsafe(head[6:10]))


def capture_layout(data: bytes) -> str:
    """The rating frames as stored, their places and the tag size ('' when not spliceable)."""
    tag = parse(data)
    if tag is None:
        return ""
    frames = [
        [i, base64.b64encode(f.raw).decode("ascii")] for i, f in enumerate(tag.frames) if f.key
    ]
    return json.dumps({"v": tag.major, "size": tag.size, "frames": frames}, separators=(",", ":"))


def splice_layout(data: bytes, tag: RawTag, layout: str) -> bytes | None:
    """The file with its rating frames put back exactly as ``layout`` recorded them."""
    try:
        saved = json.loads(layout)
        if int(saved["v"]) != tag.major:
            return None
        size = int(saved["size"])
        frames = sorted((int(i), base64.b64decode(b, validate=True)) for i, b in saved["frames"])
    except (ValueError, TypeError, KeyError):
        return None
    out = [f.raw for f in tag.frames if not f.key]
    for index, raw in frames:
        out.insert(index, raw)
    return _assemble(data, tag, out, size)


# --- an ID3 tag inside a WAV (RIFF) or AIFF (FORM) chunk --------------------------------

#: (offset of the chunk's data, its length, byte order of the sizes)
Chunk = tuple[int, int, str]


def find_chunk(data: bytes) -> Chunk | None:
    """The ``ID3 `` chunk of a RIFF/WAVE or FORM/AIFF file, or None."""
    if data[:4] == b"RIFF":
        order = "little"
    elif data[:4] == b"FORM":
        order = "big"
    else:
        return None
    end = min(len(data), 8 + int.from_bytes(data[4:8], order))  # type: ignore[arg-type]
    pos, hits = 12, []
    while pos + 8 <= end:
        size = int.from_bytes(data[pos + 4 : pos + 8], order)  # type: ignore[arg-type]
        if pos + 8 + size > end:
            return None
        if data[pos : pos + 4].lower() == b"id3 ":
            hits.append((pos + 8, size, order))
        pos += 8 + size + (size & 1)
    return hits[0] if len(hits) == 1 else None


def replace_chunk(data: bytes, chunk: Chunk, new: bytes) -> bytes:
    """The file with the chunk's data replaced; the chunk and file sizes follow."""
    at, size, order = chunk
    if len(new) == size:
        return data[:at] + new + data[at + size :]
    pad_old, pad_new = size & 1, len(new) & 1
    out = bytearray(data[: at - 4])
    out += len(new).to_bytes(4, order) + new + b"\x00" * pad_new  # type: ignore[arg-type]
    out += data[at + size + pad_old :]
    total = int.from_bytes(data[4:8], order) + len(new) + pad_new - size - pad_old  # type: ignore[arg-type]
    out[4:8] = total.to_bytes(4, order)  # type: ignore[arg-type]
    return bytes(out)
