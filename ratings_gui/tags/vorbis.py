"""Vorbis comment ratings (FLAC, Ogg Vorbis, Opus, Speex, Ogg FLAC).

Fields: ``RATING`` (0-100 from MusicBee/MediaMonkey/Kodi/KDE, 1-5 from
foobar2000, sometimes 0-1), ``FMPS_RATING`` (0-1) and ``RATING:<email>``
(0-1, Quod Libet and Picard). Keys are case-insensitive; the snapshot keeps
each key in the case the file uses, values of a repeated key joined.

Write policy: every rating comment is rewritten in place (same position,
same key case): ``RATING`` in the scale it already uses (0-100 when
unclear), ``FMPS_RATING`` and ``RATING:<email>`` as 0-1 floats. ``RATING``
(0-100, Plex x 10) is added when the file has no ``RATING``. A RATING
reads back as the nearest value its scale holds, never as other digits'
meaning (:func:`.base.rating_text`: on 0-10, Plex 3 is ``3.1``, as ``3``
is foobar2000's 3 stars; on 0-100 the least is ``10``, half a star). A
RATING of 10 or less (half a star: ``10``) collides with the ambiguous 6-10
range of the reading rules, so then ``FMPS_RATING`` is added as well unless
a 0-1 copy exists; it settles the value for our reader and for Strawberry.
The 0-1 fields say what a 0-100 or 0-10 RATING holds (``0.1`` beside the
``10`` Plex 0.5 becomes), so the file says one thing on every scale and a
second write writes the same. Unrated removes all of them.

Saving is mutagen's (it keeps the comments' order and every other byte),
except in Speex, where mutagen would zero what follows the comments in
their packet (a framing byte some encoders write): that is kept as it was.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any, ClassVar

from mutagen.flac import FLAC, Padding, VCFLACDict
from mutagen.ogg import OggPage
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggvorbis import OggVorbis

from ratings_gui.core.scale import Rating

from .base import (
    Candidate,
    Family,
    ReadOptions,
    fraction_field,
    join,
    rating_reader,
    rating_update,
    split,
)

__all__ = ["FAMILY", "VorbisFamily", "is_rating_key"]

_BY_EXT: dict[str, type] = {
    ".flac": FLAC,
    ".ogg": OggVorbis,
    ".oga": OggVorbis,
    ".opus": OggOpus,
    ".spx": OggSpeex,
}


def is_rating_key(key: str) -> bool:
    """RATING, FMPS_RATING or RATING:<email>, in any case."""
    k = key.strip().lower()
    return k in ("rating", "fmps_rating") or k.startswith("rating:")


def _comments(audio: Any) -> list[tuple[str, str]]:
    return [] if audio.tags is None else audio.tags


def _replace_all(tags: list[tuple[str, str]], items: list[tuple[str, str]]) -> None:
    list.__setitem__(tags, slice(None), items)


class VorbisFamily(Family):
    """Rating comments in a Vorbis comment block."""

    name: ClassVar[str] = "vorbis"
    extensions: ClassVar[frozenset[str]] = frozenset(_BY_EXT)
    has_rating_field: ClassVar[bool] = True
    file_types: ClassVar[tuple[type, ...]] = (FLAC, OggVorbis, OggOpus, OggSpeex, OggFLAC)

    def open(self, filething: Any, ext: str) -> Any:
        return _BY_EXT.get(ext, OggVorbis)(filething)

    def fields(self, audio: Any) -> dict[str, str]:
        grouped: dict[str, list[str]] = {}
        case: dict[str, str] = {}
        for key, value in _comments(audio):
            if is_rating_key(key):
                name = case.setdefault(key.lower(), key)
                grouped.setdefault(name, []).append(value)
        return {k: join(v) for k, v in grouped.items()}

    def candidates(self, audio: Any, opts: ReadOptions) -> list[Candidate]:
        rating = rating_reader(opts)

        order = {"rating": 0, "fmps_rating": 1}
        found = [(k, v) for k, v in _comments(audio) if is_rating_key(k)]
        found.sort(key=lambda kv: order.get(kv[0].lower(), 2))
        return [
            Candidate(k, v, rating if k.lower() == "rating" else fraction_field) for k, v in found
        ]

    def apply(
        self, audio: Any, rating: Rating, popm_email: str, *, rating_scale: str | None = None
    ) -> None:
        if audio.tags is None:
            if rating is None:
                return
            audio.add_tags()
        tags = audio.tags
        if rating is None:
            _replace_all(tags, [(k, v) for k, v in tags if not is_rating_key(k)])
            return
        spots = [(i, key, value) for i, (key, value) in enumerate(tags) if is_rating_key(key)]
        written = [
            rating_update(v, rating, rating_scale) for _, k, v in spots if k.lower() == "rating"
        ]
        if not written:
            written.append(rating_update(None, rating, rating_scale))
            tags.append(("RATING", written[0].text))
        texts = iter(w.text for w in written)
        # the 0-1 fields say what the (first) RATING holds, so the file says one thing
        fraction = written[0].fraction
        for i, key, _ in spots:
            # VComment's own __setitem__ is by key; this keeps the position.
            list.__setitem__(tags, i, (key, next(texts) if key.lower() == "rating" else fraction))
        if written[0].needs_copy and all(key.lower() == "rating" for _, key, _ in spots):
            tags.append(("FMPS_RATING", fraction))

    def new_tags(self) -> Any:
        return VCFLACDict()

    def restore(self, audio: Any, fields: dict[str, str]) -> None:
        if audio.tags is None:
            if not fields:
                return
            audio.add_tags()
        tags = audio.tags
        want = {k: split(v) for k, v in fields.items()}
        kept: list[tuple[str, str]] = []
        for key, value in tags:
            if not is_rating_key(key):
                kept.append((key, value))
            elif want.get(key):
                kept.append((key, want[key].pop(0)))
        for key, values in want.items():
            kept.extend((key, v) for v in values)
        _replace_all(tags, kept)

    def save(
        self, audio: Any, fileobj: Any, *, before: Mapping[str, str], layout: str = ""
    ) -> None:
        if layout and audio.tags is not None:
            _put_in_place(audio.tags, layout)
        if isinstance(audio, OggSpeex) and _save_speex(audio, fileobj):
            return
        pad = _saved_padding(layout)
        audio.save(fileobj, padding=_keep_padding if pad is None else (lambda info: pad))

    def layout(self, data: bytes) -> str:
        for cls in self.file_types:
            try:
                audio = cls(io.BytesIO(data))
                break
            except Exception:  # noqa: BLE001 - not this container: try the next
                continue
        else:
            return ""
        spots = [[i, k, v] for i, (k, v) in enumerate(_comments(audio)) if is_rating_key(k)]
        pad = _padding_of(audio)
        if not spots and pad is None:
            return ""
        # the padding even with no rating comment: undo of a write that added two (a
        # RATING of 10 and its 0-1 copy) gives back the room they took
        return json.dumps({"comments": spots, "padding": pad})


def _padding_of(audio: Any) -> int | None:
    """The padding the file has now (FLAC's PADDING blocks, an Ogg comment packet's tail)."""
    if isinstance(audio, FLAC):
        return sum(b.length for b in audio.metadata_blocks if isinstance(b, Padding))
    pad = getattr(audio.tags, "_padding", None)
    return pad if isinstance(pad, int) else None


def _saved_padding(layout: str) -> int | None:
    try:
        pad = json.loads(layout).get("padding") if layout else None
    except (ValueError, AttributeError):
        return None
    return pad if isinstance(pad, int) and pad >= 0 else None


def _keep_padding(info: Any) -> int:
    """The room the comments left stays as padding: the file keeps its size, undo its bytes."""
    return max(0, int(info.padding))


def _put_in_place(tags: list[tuple[str, str]], layout: str) -> None:
    """Rating comments back at the places ``layout`` recorded, when they are the same comments."""
    try:
        spots = [(int(i), str(k), str(v)) for i, k, v in json.loads(layout)["comments"]]
    except (ValueError, TypeError, KeyError):
        return
    rating = [(k, v) for k, v in tags if is_rating_key(k)]
    if sorted(rating) != sorted((k, v) for _, k, v in spots):
        return
    items = [(k, v) for k, v in tags if not is_rating_key(k)]
    for i, k, v in sorted(spots):
        items.insert(min(i, len(items)), (k, v))
    _replace_all(tags, items)


def _save_speex(audio: Any, fileobj: Any) -> bool:
    """mutagen's Speex save, keeping the bytes after the comments in their packet."""
    size = getattr(audio.tags, "_size", None)
    if not isinstance(size, int):
        return False
    fileobj.seek(0)
    page = OggPage(fileobj)
    while not page.packets[0].startswith(b"Speex   "):
        page = OggPage(fileobj)
    serial = page.serial
    page = OggPage(fileobj)
    while page.serial != serial:
        page = OggPage(fileobj)
    old_pages = [page]
    while not (old_pages[-1].complete or len(old_pages[-1].packets) > 1):
        page = OggPage(fileobj)
        if page.serial == serial:
            old_pages.append(page)
    packets = OggPage.to_packets(old_pages, strict=False)
    packets[0] = audio.tags.write(framing=False) + packets[0][size:]
    new_pages = OggPage._from_packets_try_preserve(packets, old_pages)
    OggPage.replace(fileobj, old_pages, new_pages)
    return True


#: Registered by :mod:`ratings_gui.tags.api`.
FAMILY = VorbisFamily()
