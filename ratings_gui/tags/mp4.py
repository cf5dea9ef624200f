"""MP4/M4A ratings: the ``rate`` text atom and iTunes freeform atoms.

Fields: ``rate`` (0-100, MediaMonkey, KDE, kid3),
``----:com.apple.iTunes:RATING`` (read with the RATING heuristics) and
``----:com.apple.iTunes:FMPS_Rating`` (0-1). Freeform names match
case-insensitively. ``rtng`` is the explicit-content flag, not a rating:
this module never reads or writes it.

Write policy: existing fields are rewritten in their own scale; ``rate``
(0-100) is added when the file has no ``rate``; unrated removes them all.

Some taggers store ``rate`` with data type flag 0 (implicit) instead of 1
(UTF-8). mutagen keeps such an atom out of its tags (among the atoms it
failed to parse) and would write it back untouched, so it is read here from
the raw atom ("80" = 80 of 100 = 4 stars) and, when the rating changes, it is
replaced by a UTF-8 ``rate``: the form MediaMonkey, KDE and kid3 read.
"""

from __future__ import annotations

from typing import Any, ClassVar

from mutagen.mp4 import MP4, AtomDataType, MP4FreeForm

from ratings_gui.core import scale
from ratings_gui.core.scale import Rating

from .base import (
    Candidate,
    Family,
    ReadOptions,
    detect_scale,
    format_in,
    fraction_field,
    fraction_text,
    join,
    percent_field,
    rating_default,
    rating_reader,
    split,
)

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
                default = rating_default(rating_scale)
                tags[key] = [_freeform(format_in(detect_scale(old, default), rating))]
        if RATE not in keys:
            tags[RATE] = [str(scale.plex_to_percent(rating))]

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


def _freeform(text: str) -> MP4FreeForm:
    return MP4FreeForm(text.encode("utf-8"), dataformat=AtomDataType.UTF8)


#: Registered by :mod:`ratings_gui.tags.api`.
FAMILY = MP4Family()
