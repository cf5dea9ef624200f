"""WMA/ASF ratings: ``WM/SharedUserRating``, the value WMP and Explorer use.

Real files hold it as a string or as a DWORD; both are read. The snapshot
writes a string value as it is (``"50"``) and a number with its type
(``"dword:99"``) so undo puts back the same attribute type.

Write policy: the field keeps the type it is stored in (WMP's own files hold
a Unicode string ``"50"``) and is added as a DWORD, with WMP's value for the
nearest whole star, half stars rounding up (Plex 7 -> 75 -> reads back as 8;
``TagRating.stored`` says so, and the tags sync counts such a file in sync);
unrated removes it. The ASF ``Rating`` content-description field is a text
label, not a user rating, and is left alone.

Saving splices only the rating descriptor of the Extended Content
Description object (every other byte of the header stays as it was); a
rating kept elsewhere (the metadata objects) falls back to mutagen's save.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from functools import partial
from typing import Any, ClassVar

from mutagen.asf import (
    ASF,
    ASFDWordAttribute,
    ASFQWordAttribute,
    ASFTags,
    ASFUnicodeAttribute,
    ASFWordAttribute,
)

from ratings_gui.core import scale
from ratings_gui.core.scale import Rating, RatingError

from . import rawsplice
from .base import Candidate, Family, ReadOptions, join, split
from .rawsplice import Item

__all__ = ["FAMILY", "ASFFamily"]

KEY = "WM/SharedUserRating"

_TYPES: dict[str, type] = {
    "dword": ASFDWordAttribute,
    "qword": ASFQWordAttribute,
    "word": ASFWordAttribute,
}


def _attr_text(attr: Any) -> str:
    for name, cls in _TYPES.items():
        if isinstance(attr, cls):
            return f"{name}:{attr.value}"
    return str(attr.value)


def _parse_attr(text: str) -> Any:
    prefix, sep, rest = text.partition(":")
    if sep and prefix in _TYPES:
        return _TYPES[prefix](int(rest))
    return ASFUnicodeAttribute(text)


def _to_plex(text: str) -> Rating:
    raw = text.partition(":")[2] if text.partition(":")[0] in _TYPES else text
    try:
        num = float(raw.strip())
    except ValueError as exc:
        raise RatingError(f"{text!r} is not a number") from exc
    if num != int(num):
        raise RatingError(f"{text!r} is not a whole number")
    return scale.asf_to_plex(int(num))


class ASFFamily(Family):
    """``WM/SharedUserRating`` in an ASF header."""

    name: ClassVar[str] = "asf"
    extensions: ClassVar[frozenset[str]] = frozenset({".wma", ".asf", ".wmv"})
    file_types: ClassVar[tuple[type, ...]] = (ASF,)

    def open(self, filething: Any, ext: str) -> Any:
        return ASF(filething)

    def _values(self, audio: Any) -> list[Any]:
        if audio.tags is None:
            return []
        return list(audio.tags.get(KEY, []))

    def fields(self, audio: Any) -> dict[str, str]:
        values = self._values(audio)
        return {KEY: join(_attr_text(a) for a in values)} if values else {}

    def candidates(self, audio: Any, opts: ReadOptions) -> list[Candidate]:
        return [Candidate(KEY, _attr_text(a), _to_plex) for a in self._values(audio)[:1]]

    def apply(self, audio: Any, rating: Rating, popm_email: str) -> None:
        if audio.tags is None:
            if rating is None:
                return
            audio.add_tags()
        if rating is None:
            if KEY in audio.tags:
                del audio.tags[KEY]
            return
        value = scale.plex_to_asf(rating)
        old = self._values(audio)
        kind = type(old[0]) if old else ASFDWordAttribute
        if kind not in (ASFUnicodeAttribute, *_TYPES.values()):
            kind = ASFDWordAttribute
        audio.tags[KEY] = [kind(str(value) if kind is ASFUnicodeAttribute else value)]

    def new_tags(self) -> Any:
        return ASFTags()

    def restore(self, audio: Any, fields: dict[str, str]) -> None:
        if audio.tags is None:
            if not fields:
                return
            audio.add_tags()
        if KEY in fields:
            audio.tags[KEY] = [_parse_attr(v) for v in split(fields[KEY])]
        elif KEY in audio.tags:
            del audio.tags[KEY]

    def splice(
        self, data: bytes, audio: Any, before: Mapping[str, str], after: Mapping[str, str]
    ) -> bytes | None:
        found = _parse(data)
        if found is None:
            return None
        values = self._values(audio)
        wanted = {KEY: partial(_descriptor, values[0])} if values else {}
        if len(values) > 1:
            return None  # a repeated attribute: mutagen's save
        return _rebuild(data, found, rawsplice.splice(found[1], wanted, before, after))

    def put_layout(self, data: bytes, layout: str) -> bytes | None:
        found = _parse(data)
        back = rawsplice.put_back(found[1], layout) if found is not None else None
        return None if back is None or found is None else _rebuild(data, found, back[0])

    def layout(self, data: bytes) -> str:
        found = _parse(data)
        return rawsplice.capture(found[1]) if found is not None else ""


# --- the ASF header, descriptor by descriptor -----------------------------------------

_HEADER = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_EXTENDED = bytes.fromhex("40a4d0d207e3d21197f000a0c95ea850")
_FILE_PROPS = bytes.fromhex("a1dcab8c47a9cf118ee400c00c205365")
_TYPE_CODES = {
    ASFUnicodeAttribute: 0,
    ASFDWordAttribute: 3,
    ASFQWordAttribute: 4,
    ASFWordAttribute: 5,
}
_WIDTH = {3: 4, 4: 8, 5: 2}

#: (offset of the Extended Content Description object, its descriptors)
Found = tuple[int, list[Item]]


def _parse(data: bytes) -> Found | None:
    """The Extended Content Description object's place and its descriptors, or None."""
    if len(data) < 30 or data[:16] != _HEADER:
        return None
    header_size = int.from_bytes(data[16:24], "little")
    if header_size > len(data):
        return None
    pos, where = 30, None
    while pos + 24 <= header_size:
        size = int.from_bytes(data[pos + 16 : pos + 24], "little")
        if size < 24 or pos + size > header_size:
            return None
        if data[pos : pos + 16] == _EXTENDED:
            if where is not None:
                return None  # two of them: mutagen's save
            where = pos
        pos += size
    if where is None:
        return None
    end = where + int.from_bytes(data[where + 16 : where + 24], "little")
    count = int.from_bytes(data[where + 24 : where + 26], "little")
    items: list[Item] = []
    p = where + 26
    for _ in range(count):
        if p + 2 > end:
            return None
        name_len = int.from_bytes(data[p : p + 2], "little")
        q = p + 2 + name_len
        if q + 4 > end:
            return None
        value_len = int.from_bytes(data[q + 2 : q + 4], "little")
        stop = q + 4 + value_len
        if stop > end:
            return None
        name = data[p + 2 : q].decode("utf-16-le", "replace").rstrip("\x00")
        items.append(Item(data[p:stop], KEY if name == KEY else ""))
        p = stop
    if p != end or sum(1 for it in items if it.key) > 1:
        return None
    return where, items


def _descriptor(attr: Any, template: bytes | None) -> bytes:
    """The rating descriptor holding ``attr``, its name and type as ``template`` stored them."""
    if template is not None:
        name_len = int.from_bytes(template[:2], "little")
        head = template[: 2 + name_len]
        code = int.from_bytes(template[2 + name_len : 4 + name_len], "little")
    else:
        name = (KEY + "\x00").encode("utf-16-le")
        head = len(name).to_bytes(2, "little") + name
        code = _TYPE_CODES.get(type(attr), 3)
    if code == 0:
        value = str(attr.value).encode("utf-16-le") + b"\x00\x00"
        if template is not None and not template.endswith(b"\x00\x00"):
            value = value[:-2]  # stored without its terminator: keep it so
    elif code in _WIDTH:
        value = int(attr.value).to_bytes(_WIDTH[code], "little")
    else:
        raise ValueError(f"WM/SharedUserRating stored as type {code}")
    return head + struct.pack("<HH", code, len(value)) + value


def _rebuild(data: bytes, found: Found, items: list[bytes]) -> bytes:
    """The file with the object's descriptors replaced; sizes follow the change in length."""
    where, old = found
    old_size = int.from_bytes(data[where + 16 : where + 24], "little")
    body = len(items).to_bytes(2, "little") + b"".join(items)
    new_size = 24 + len(body)
    delta = new_size - old_size
    out = bytearray(data[:where])
    out += data[where : where + 16] + new_size.to_bytes(8, "little") + body
    out += data[where + old_size :]
    if delta:
        header_size = int.from_bytes(data[16:24], "little") + delta
        out[16:24] = header_size.to_bytes(8, "little")
        props = out.find(_FILE_PROPS, 30, header_size)
        if props >= 0 and int.from_bytes(out[props + 40 : props + 48], "little") == len(data):
            out[props + 40 : props + 48] = len(out).to_bytes(8, "little")
    return bytes(out)


#: Registered by :mod:`ratings_gui.tags.api`.
FAMILY = ASFFamily()
