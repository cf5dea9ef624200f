"""MP4/M4A ratings: the ``rate`` text atom and iTunes freeform atoms.

Fields: ``rate`` (0-100, MediaMonkey, KDE, kid3),
``----:com.apple.iTunes:RATING`` (read with the RATING heuristics) and
``----:com.apple.iTunes:FMPS_Rating`` (0-1). Freeform names match
case-insensitively. ``rtng`` is the explicit-content flag, not a rating:
this module never reads or writes it.

Write policy: existing fields are rewritten in their own scale; ``rate``
(0-100) is added when the file has no ``rate``; unrated removes them all.

Some taggers store ``rate`` with data type flag 0 (implicit) or as an
integer (flag 21) instead of UTF-8 text (flag 1). mutagen keeps such an atom
out of its tags (among the atoms it failed to parse) and would write it back
untouched, so it is read here from the raw atom ("80" = 80 of 100 = 4 stars).

Saving splices only the rating atoms of ``moov.udta.meta.ilst``: every other
atom keeps its bytes and place, a rating atom keeps its data type (an
implicit ``rate`` stays implicit), and a change in length is taken from the
``free`` atom after ``ilst`` (else the parents' sizes and the chunk offsets
follow), so the file does not grow by mutagen's padding and undo gives back
the very same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from mutagen.mp4 import MP4, AtomDataType, MP4FreeForm, MP4Tags

from ratings_gui.core import scale
from ratings_gui.core.scale import Rating

from . import rawsplice
from .base import (
    Candidate,
    Family,
    ReadOptions,
    fraction_field,
    fraction_text,
    join,
    percent_field,
    rating_reader,
    rating_update,
    split,
)
from .rawsplice import Item

__all__ = ["FAMILY", "MP4Family"]

RATE = "rate"
FREEFORM = "----:com.apple.iTunes:"
#: Freeform names (lower case) that hold a rating.
RATING_NAMES = ("rating", "fmps_rating")


def _is_rating_key(key: str) -> bool:
    if key == RATE:
        return True
    return key.lower().startswith(FREEFORM.lower()) and key[len(FREEFORM) :].lower() in RATING_NAMES


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _kind(key: str) -> str:
    """``rate``, ``rating`` or ``fmps_rating``."""
    return RATE if key == RATE else key[len(FREEFORM) :].lower()


#: ``data`` atom types whose payload is text (0 = implicit, 1 = UTF-8) and a big-endian integer.
_TEXT_FLAGS = (AtomDataType.IMPLICIT, AtomDataType.UTF8)
_INT_FLAG = AtomDataType.INTEGER


def _data_values(raw: bytes) -> list[str]:
    """The values of the ``data`` atoms inside one raw atom body, as text.

    Each is ``size, b"data", version (1 byte), type flags (3 bytes), locale (4 bytes),
    payload``; anything that does not fit that shape ends the walk.
    """
    out: list[str] = []
    pos = 0
    while pos + 16 <= len(raw):
        size = int.from_bytes(raw[pos : pos + 4], "big")
        if size < 16 or pos + size > len(raw) or raw[pos + 4 : pos + 8] != b"data":
            break
        flags = int.from_bytes(raw[pos + 9 : pos + 12], "big")
        payload = raw[pos + 16 : pos + size]
        if flags in _TEXT_FLAGS:
            try:
                out.append(payload.decode("utf-8").strip("\x00 "))
            except UnicodeDecodeError:
                pass
        elif flags == _INT_FLAG and 1 <= len(payload) <= 8:
            out.append(str(int.from_bytes(payload, "big", signed=True)))
        pos += size
    return out


def _failed(audio: Any) -> dict[str, list[bytes]]:
    """mutagen's atoms it could not parse (a private attribute: absent means none)."""
    failed = getattr(audio.tags, "_failed_atoms", None)
    return failed if isinstance(failed, dict) else {}


def _implicit_rate(audio: Any) -> list[str]:
    """The values of a ``rate`` atom mutagen left unparsed (type flag 0), else []."""
    if audio.tags is None or RATE in audio.tags:
        return []  # a parsed rate wins: mutagen writes the failed one back only without it
    return [v for raw in _failed(audio).get(RATE, ()) for v in _data_values(raw) if v]


def _drop_implicit_rate(audio: Any) -> None:
    """Forget the unparsed ``rate`` so a save does not write it back next to ours."""
    _failed(audio).pop(RATE, None)


class MP4Family(Family):
    """Rating atoms in an MP4 ``ilst``."""

    name: ClassVar[str] = "mp4"
    extensions: ClassVar[frozenset[str]] = frozenset({".m4a", ".m4b", ".m4p", ".mp4", ".m4r"})
    has_rating_field: ClassVar[bool] = True
    file_types: ClassVar[tuple[type, ...]] = (MP4,)

    def open(self, filething: Any, ext: str) -> Any:
        return MP4(filething)

    def fields(self, audio: Any) -> dict[str, str]:
        if audio.tags is None:
            return {}
        out = {
            k: join(_text(v) for v in vals) for k, vals in audio.tags.items() if _is_rating_key(k)
        }
        implicit = _implicit_rate(audio)
        if implicit:
            out[RATE] = join(implicit)
        return out

    def candidates(self, audio: Any, opts: ReadOptions) -> list[Candidate]:
        if audio.tags is None:
            return []

        rating = rating_reader(opts)

        conv = {RATE: percent_field, "rating": rating, "fmps_rating": fraction_field}
        order = {RATE: 0, "rating": 1, "fmps_rating": 2}
        keys = sorted((k for k in audio.tags if _is_rating_key(k)), key=lambda k: order[_kind(k)])
        out = []
        implicit = _implicit_rate(audio)
        if implicit:
            out.append(Candidate(RATE, implicit[0], percent_field))
        for key in keys:
            values = audio.tags[key]
            if values:
                out.append(Candidate(key, _text(values[0]), conv[_kind(key)]))
        return out

    def apply(
        self, audio: Any, rating: Rating, popm_email: str, *, rating_scale: str | None = None
    ) -> None:
        if audio.tags is None:
            if rating is None:
                return
            audio.add_tags()
        tags = audio.tags
        keys = [k for k in tags if _is_rating_key(k)]
        _drop_implicit_rate(audio)
        if rating is None:
            for key in keys:
                del tags[key]
            return
        for key in keys:
            kind = _kind(key)
            old = _text(tags[key][0]) if tags[key] else ""
            if kind == RATE:
                tags[key] = [str(scale.plex_to_percent(rating))]
            elif kind == "fmps_rating":
                tags[key] = [_freeform(fraction_text(rating))]
            else:
                tags[key] = [_freeform(rating_update(old, rating, rating_scale).text)]
        if RATE not in keys:
            tags[RATE] = [str(scale.plex_to_percent(rating))]

    def new_tags(self) -> Any:
        return MP4Tags()

    def restore(self, audio: Any, fields: dict[str, str]) -> None:
        if audio.tags is None:
            if not fields:
                return
            audio.add_tags()
        tags = audio.tags
        _drop_implicit_rate(audio)  # a restored rate is written as UTF-8, the readable form
        for key in [k for k in tags if _is_rating_key(k)]:
            if key not in fields:
                del tags[key]
        for key, value in fields.items():
            values = split(value)
            if key == RATE:
                tags[key] = values
            else:
                tags[key] = [_freeform(v) for v in values]

    def splice(
        self, data: bytes, audio: Any, before: Mapping[str, str], after: Mapping[str, str]
    ) -> bytes | None:
        found = _find_ilst(data)
        if found is None or audio.tags is None:
            return None
        wanted: dict[str, rawsplice.BodyFn] = {}
        for key in audio.tags:
            if _is_rating_key(key):
                wanted[key] = partial(_rating_atom, key, [_text(v) for v in audio.tags[key]])
        return _rebuild(data, found, rawsplice.splice(found.items, wanted, before, after))

    def put_layout(self, data: bytes, layout: str) -> bytes | None:
        found = _find_ilst(data)
        back = rawsplice.put_back(found.items, layout) if found is not None else None
        return None if back is None or found is None else _rebuild(data, found, back[0])

    def layout(self, data: bytes) -> str:
        found = _find_ilst(data)
        return rawsplice.capture(found.items) if found is not None else ""


def _freeform(text: str) -> MP4FreeForm:
    return MP4FreeForm(text.encode("utf-8"), dataformat=AtomDataType.UTF8)


# --- the ilst atom, item by item -----------------------------------------------------

_CONTAINERS = (b"moov", b"udta", b"meta", b"ilst")


@dataclass(frozen=True)
class _Atom:
    offset: int
    header: int  # 8, or 16 with a 64-bit size
    size: int
    name: bytes

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True)
class _Ilst:
    path: tuple[_Atom, ...]  # moov, udta, meta, ilst
    items: list[Item]
    free: _Atom | None  # a free atom right after ilst inside meta


def _atoms(data: bytes, start: int, end: int) -> list[_Atom] | None:
    out: list[_Atom] = []
    pos = start
    while pos + 8 <= end:
        size, header = int.from_bytes(data[pos : pos + 4], "big"), 8
        if size == 1:
            size, header = int.from_bytes(data[pos + 8 : pos + 16], "big"), 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return None
        out.append(_Atom(pos, header, size, data[pos + 4 : pos + 8]))
        pos += size
    return out


def _child(atoms: list[_Atom] | None, name: bytes) -> _Atom | None:
    hits = [a for a in atoms or [] if a.name == name]
    return hits[0] if len(hits) == 1 else None


def _item_key(data: bytes, atom: _Atom) -> str:
    """The snapshot key of one ilst item when it holds a rating, else ''."""
    if atom.name == b"----":
        parts: dict[bytes, str] = {}
        for sub in _atoms(data, atom.offset + atom.header, atom.end) or []:
            if sub.name in (b"mean", b"name"):
                raw = data[sub.offset + sub.header + 4 : sub.end]
                parts[sub.name] = raw.decode("utf-8", "replace")
        key = f"----:{parts.get(b'mean', '')}:{parts.get(b'name', '')}"
    else:
        key = atom.name.decode("latin-1")
    return key if _is_rating_key(key) else ""


def _find_ilst(data: bytes) -> _Ilst | None:
    """moov.udta.meta.ilst with its items, or None when the file has no such path."""
    top = _atoms(data, 0, len(data))
    if top is None or any(a.name == b"moof" for a in top):
        return None  # fragmented files: mutagen's save
    moov = _child(top, b"moov")
    udta = moov and _child(_atoms(data, moov.offset + moov.header, moov.end), b"udta")
    meta = udta and _child(_atoms(data, udta.offset + udta.header, udta.end), b"meta")
    if not (moov and udta and meta):
        return None
    in_meta = _atoms(data, meta.offset + meta.header + 4, meta.end)
    ilst = _child(in_meta, b"ilst")
    if ilst is None or in_meta is None:
        return None
    children = _atoms(data, ilst.offset + ilst.header, ilst.end)
    if children is None:
        return None
    items = [Item(data[a.offset : a.end], _item_key(data, a)) for a in children]
    keys = [it.key for it in items if it.key]
    if len(keys) != len(set(keys)):
        return None  # one key in two atoms: mutagen's save
    after = [a for a in in_meta if a.offset == ilst.end]
    free = after[0] if after and after[0].name == b"free" else None
    return _Ilst((moov, udta, meta, ilst), items, free)


def _box(name: bytes, body: bytes) -> bytes:
    return (8 + len(body)).to_bytes(4, "big") + name + body


def _rating_atom(key: str, values: list[str], template: bytes | None) -> bytes:
    """The ilst item holding ``values``; its other children and data type as ``template``."""
    flags, locale, head = int(AtomDataType.UTF8), b"\x00" * 4, b""
    widths: list[int] = []
    if template is not None:
        kids = _atoms(template, 8, len(template)) or []
        data = [a for a in kids if a.name == b"data"]
        if data:
            first = template[data[0].offset : data[0].end]
            flags = int.from_bytes(first[9:12], "big")
            locale = first[12:16]
            widths = [a.size - 16 for a in data]
        head = b"".join(template[a.offset : a.end] for a in kids if a.name != b"data")
    elif key.startswith("----:"):
        _, mean, name = key.split(":", 2)
        head = _box(b"mean", b"\x00" * 4 + mean.encode()) + _box(
            b"name", b"\x00" * 4 + name.encode()
        )
    body = b""
    for i, text in enumerate(values):
        if flags in _TEXT_FLAGS:
            payload = text.encode("utf-8")
        elif flags == _INT_FLAG:
            width = widths[i] if i < len(widths) else (widths[0] if widths else 1)
            payload = int(text).to_bytes(width, "big", signed=True)
        else:
            raise ValueError(f"rating atom of data type {flags}")
        body += _box(b"data", bytes([0]) + flags.to_bytes(3, "big") + locale + payload)
    name4 = b"----" if key.startswith("----:") else key.encode("latin-1")
    return _box(name4, head + body)


def _set_size(out: bytearray, atom: _Atom, size: int) -> None:
    if atom.header == 16:
        out[atom.offset + 8 : atom.offset + 16] = size.to_bytes(8, "big")
    elif size < 1 << 32:
        out[atom.offset : atom.offset + 4] = size.to_bytes(4, "big")
    else:
        raise ValueError("an atom cannot grow past 4 GB")


def _rebuild(data: bytes, found: _Ilst, items: list[bytes]) -> bytes | None:
    """The file with ilst's items replaced; a change in length goes to ``free`` or up the tree."""
    moov, udta, meta, ilst = found.path
    body = b"".join(items)
    delta = len(body) - (ilst.size - ilst.header)
    free = found.free
    out = bytearray(data[: ilst.offset + ilst.header] + body + data[ilst.end :])
    if delta == 0:
        return bytes(out)
    _set_size(out, ilst, ilst.size + delta)
    if free is not None and free.header == 8 and free.size - delta >= 8:
        at = free.offset + delta
        old_body = data[free.offset + 8 : free.end]
        new_len = free.size - delta - 8
        fill = old_body[-1:] or b"\x00"  # some writers fill with 0x01: keep it reversible
        new_body = old_body[:new_len] + fill * max(0, new_len - len(old_body))
        out[at : at + free.size] = _box(b"free", new_body)
        return bytes(out)
    for atom in (moov, udta, meta):
        _set_size(out, atom, atom.size + delta)
    _shift_chunk_offsets(out, moov, delta, ilst.offset)
    return bytes(out)


def _shift_chunk_offsets(out: bytearray, moov: _Atom, delta: int, changed_at: int) -> None:
    """stco/co64 entries that point past the change move with it (moov before mdat)."""
    end = moov.end + delta

    def walk(start: int, stop: int) -> None:
        for a in _atoms(bytes(out[start:stop]), 0, stop - start) or []:
            at = start + a.offset
            if a.name in (b"trak", b"mdia", b"minf", b"stbl"):
                walk(at + a.header, at + a.size)
            elif a.name in (b"stco", b"co64"):
                width = 4 if a.name == b"stco" else 8
                count = int.from_bytes(out[at + 12 : at + 16], "big")
                for i in range(count):
                    p = at + 16 + i * width
                    value = int.from_bytes(out[p : p + width], "big")
                    if value > changed_at:
                        out[p : p + width] = (value + delta).to_bytes(width, "big")

    walk(moov.offset + moov.header, end)


#: Registered by :mod:`ratings_gui.tags.api`.
FAMILY = MP4Family()
