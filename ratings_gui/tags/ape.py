"""APEv2 ratings (Monkey's Audio, WavPack, Musepack): ``Rating`` and ``FMPS_RATING``.

APE keys are case-insensitive; the snapshot keeps the case the file uses.
``Rating`` is documented as 0-100, but foobar2000 writes 1-5 there, so it is
read with the same heuristics as a Vorbis ``RATING``.

Write policy: existing fields are rewritten in their own scale (``Rating``
0-100 when unclear, ``FMPS_RATING`` 0-1); ``Rating`` (0-100) is added when
the file has none, plus ``FMPS_RATING`` for a half star (``Rating`` 10 alone
is ambiguous by the reading rules); unrated removes both.
"""

from __future__ import annotations

from typing import Any, ClassVar

from mutagen.apev2 import APETextValue, APEValue
from mutagen.monkeysaudio import MonkeysAudio
from mutagen.musepack import Musepack
from mutagen.optimfrog import OptimFROG
from mutagen.tak import TAK
from mutagen.wavpack import WavPack

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
    needs_fraction_copy,
    rating_default,
    rating_reader,
)

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
        small_percent = False
        for key in keys:
            if key.lower() == "rating":
                new = format_in(
                    detect_scale(_text(tags[key]), rating_default(rating_scale)), rating
                )
                tags[key] = new
                small_percent = needs_fraction_copy(new)
            else:
                tags[key] = fraction_text(rating)
        if not any(k.lower() == "rating" for k in keys):
            new = str(scale.plex_to_percent(rating))
            tags["Rating"] = new
            small_percent = needs_fraction_copy(new)
        if small_percent and not any(k.lower() == "fmps_rating" for k in keys):
            # Rating 10 (half a star) alone reads as ambiguous: add the 0-1 copy.
            tags["FMPS_RATING"] = fraction_text(rating)

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


#: Registered by :mod:`ratings_gui.tags.api`.
FAMILY = APEFamily()
