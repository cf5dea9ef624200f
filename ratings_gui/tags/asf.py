"""WMA/ASF ratings: ``WM/SharedUserRating``, the value WMP and Explorer use.

Real files hold it as a string or as a DWORD; both are read. The snapshot
writes a string value as it is (``"50"``) and a number with its type
(``"dword:99"``) so undo puts back the same attribute type.

Write policy: the field is written (or added) as a DWORD with WMP's value
for the nearest whole star, half stars rounding up (Plex 7 -> 75 -> reads
back as 8); unrated removes it. The ASF ``Rating`` content-description
field is a text label, not a user rating, and is left alone.
"""

from __future__ import annotations

from typing import Any, ClassVar

from mutagen.asf import (
    ASF,
    ASFDWordAttribute,
    ASFQWordAttribute,
    ASFUnicodeAttribute,
    ASFWordAttribute,
)

from ratings_gui.core import scale
from ratings_gui.core.scale import Rating, RatingError

from .base import Candidate, Family, ReadOptions, join, split

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
        audio.tags[KEY] = [ASFDWordAttribute(scale.plex_to_asf(rating))]

    def restore(self, audio: Any, fields: dict[str, str]) -> None:
        if audio.tags is None:
            if not fields:
                return
            audio.add_tags()
        if KEY in fields:
            audio.tags[KEY] = [_parse_attr(v) for v in split(fields[KEY])]
        elif KEY in audio.tags:
            del audio.tags[KEY]


#: Registered by :mod:`ratings_gui.tags.api`.
FAMILY = ASFFamily()
