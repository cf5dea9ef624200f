"""APEv2 ratings (Monkey's Audio, WavPack, Musepack): ``Rating`` and ``FMPS_RATING``.

APE keys are case-insensitive; the snapshot keeps the case the file uses.
``Rating`` is documented as 0-100, but foobar2000 writes 1-5 there, so it is
read with the same heuristics as a Vorbis ``RATING``.

Write policy: existing fields are rewritten in their own scale (``Rating``
0-100 when unclear, ``FMPS_RATING`` 0-1), ``Rating`` as the nearest value
its scale holds (:func:`.base.rating_text`, as in Vorbis); ``Rating``
(0-100) is added when the file has none, plus ``FMPS_RATING`` for a half
star (``Rating`` 10 alone is ambiguous by the reading rules); unrated
removes both.

Saving splices only the rating items of the APEv2 tag (mutagen would sort
every item again); the other items keep their bytes and order.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, ClassVar

from mutagen.apev2 import APETextValue, APEv2, APEValue
from mutagen.monkeysaudio import MonkeysAudio
from mutagen.musepack import Musepack
from mutagen.optimfrog import OptimFROG
from mutagen.tak import TAK
from mutagen.wavpack import WavPack

from ratings_gui.core.scale import Rating

from . import rawsplice
from .base import (
    Candidate,
    Family,
    ReadOptions,
    fraction_field,
    rating_reader,
    rating_update,
)
from .rawsplice import Item

__all__ = ["FAMILY", "APEFamily"]

RATING_KEYS = ("rating", "fmps_rating")

_BY_EXT: dict[str, type] = {
    ".ape": MonkeysAudio,
    ".wv": WavPack,
    ".mpc": Musepack,
    ".mp+": Musepack,
    ".ofr": OptimFROG,
    ".ofs": OptimFROG,
    ".tak": TAK,
}


def _keys(audio: Any) -> list[str]:
    if audio.tags is None:
        return []
    return [k for k in audio.tags if k.lower() in RATING_KEYS]


def _text(value: APEValue) -> str:
    return str(value) if isinstance(value, APETextValue) else repr(value)


class APEFamily(Family):
    """Rating items in an APEv2 tag."""

    name: ClassVar[str] = "ape"
    extensions: ClassVar[frozenset[str]] = frozenset(_BY_EXT)
    has_rating_field: ClassVar[bool] = True
    file_types: ClassVar[tuple[type, ...]] = (MonkeysAudio, WavPack, Musepack, OptimFROG, TAK)

    def open(self, filething: Any, ext: str) -> Any:
        return _BY_EXT.get(ext, MonkeysAudio)(filething)

    def fields(self, audio: Any) -> dict[str, str]:
        return {k: _text(audio.tags[k]) for k in _keys(audio)}

    def candidates(self, audio: Any, opts: ReadOptions) -> list[Candidate]:
        rating = rating_reader(opts)

        keys = sorted(_keys(audio), key=lambda k: RATING_KEYS.index(k.lower()))
        return [
            Candidate(k, _text(audio.tags[k]), rating if k.lower() == "rating" else fraction_field)
            for k in keys
        ]

    def apply(
        self, audio: Any, rating: Rating, popm_email: str, *, rating_scale: str | None = None
    ) -> None:
        if audio.tags is None:
            if rating is None:
                return
            audio.add_tags()
        tags = audio.tags
        keys = _keys(audio)
        if rating is None:
            for key in keys:
                del tags[key]
            return
        old = next((_text(tags[k]) for k in keys if k.lower() == "rating"), None)
        written = rating_update(old, rating, rating_scale)
        for key in keys:  # FMPS_RATING says what the Rating holds: the file says one thing
            tags[key] = written.text if key.lower() == "rating" else written.fraction
        if old is None:
            tags["Rating"] = written.text
        if written.needs_copy and not any(k.lower() == "fmps_rating" for k in keys):
            # Rating 10 (half a star) alone reads as ambiguous: add the 0-1 copy.
            tags["FMPS_RATING"] = written.fraction

    def new_tags(self) -> Any:
        return APEv2()

    def restore(self, audio: Any, fields: dict[str, str]) -> None:
        if audio.tags is None:
            if not fields:
                return
            audio.add_tags()
        tags = audio.tags
        wanted = {k.lower() for k in fields}
        for key in _keys(audio):
            if key.lower() not in wanted:
                del tags[key]
        for key, value in fields.items():
            tags[key] = value

    def splice(
        self, data: bytes, audio: Any, before: Mapping[str, str], after: Mapping[str, str]
    ) -> bytes | None:
        found = _parse(data)
        if found is None:
            return None
        wanted: dict[str, rawsplice.BodyFn] = {k: partial(_item, k, v) for k, v in after.items()}
        return _rebuild(data, found, rawsplice.splice(found[1], wanted, before, after))

    def put_layout(self, data: bytes, layout: str) -> bytes | None:
        found = _parse(data)
        back = rawsplice.put_back(found[1], layout) if found is not None else None
        return None if back is None or found is None else _rebuild(data, found, back[0])

    def layout(self, data: bytes) -> str:
        found = _parse(data)
        return rawsplice.capture(found[1]) if found is not None else ""


# --- the APEv2 tag, item by item -------------------------------------------------------

_PREAMBLE = b"APETAGEX"
_HAS_HEADER = 1 << 31

#: (where the items start, the items, the footer's offset)
Found = tuple[int, list[Item], int]


def _parse(data: bytes) -> Found | None:
    """The APEv2 tag at the end of the file (before an ID3v1 tag), item by item."""
    footer = len(data) - 32
    if len(data) >= 160 and data[-128:-125] == b"TAG":
        footer -= 128
    if footer < 0 or data[footer : footer + 8] != _PREAMBLE:
        return None
    size = int.from_bytes(data[footer + 12 : footer + 16], "little")
    count = int.from_bytes(data[footer + 16 : footer + 20], "little")
    flags = int.from_bytes(data[footer + 20 : footer + 24], "little")
    start = footer + 32 - size
    if start < 0 or (flags & _HAS_HEADER and data[start - 32 : start - 24] != _PREAMBLE):
        return None
    items: list[Item] = []
    pos = start
    for _ in range(count):
        vsize = int.from_bytes(data[pos : pos + 4], "little")
        nul = data.find(b"\x00", pos + 8, footer)
        if nul < 0 or nul + 1 + vsize > footer:
            return None
        key = data[pos + 8 : nul].decode("ascii", "replace")
        items.append(Item(data[pos : nul + 1 + vsize], key if key.lower() in RATING_KEYS else ""))
        pos = nul + 1 + vsize
    keys = [it.key.lower() for it in items if it.key]
    if pos != footer or len(keys) != len(set(keys)):
        return None
    return start, items, footer


def _item(key: str, text: str, template: bytes | None) -> bytes:
    """A text item; its key spelling and flags as ``template`` stored them."""
    value = text.encode("utf-8")
    if template is None:
        head = b"\x00" * 4 + key.encode("ascii") + b"\x00"
    else:
        head = template[4 : template.index(b"\x00", 8) + 1]
    return len(value).to_bytes(4, "little") + head + value


def _rebuild(data: bytes, found: Found, items: list[bytes]) -> bytes:
    """The file with the tag's items replaced; header and footer follow the new size."""
    start, _, footer = found
    body = b"".join(items)
    size = len(body) + 32
    fields = size.to_bytes(4, "little") + len(items).to_bytes(4, "little")
    out = bytearray(data[:start] + body + data[footer:])
    new_footer = start + len(body)
    out[new_footer + 12 : new_footer + 20] = fields
    flags = int.from_bytes(data[footer + 20 : footer + 24], "little")
    if flags & _HAS_HEADER:
        out[start - 20 : start - 12] = fields
    return bytes(out)


#: Registered by :mod:`ratings_gui.tags.api`.
FAMILY = APEFamily()
