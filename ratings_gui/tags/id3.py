"""ID3v2 rating tags (MP3, AIFF, WAV): POPM frames, TXXX:FMPS_Rating, TXXX:RATING.

Snapshot fields: ``POPM:<email>`` -> ``"<byte>"`` or ``"<byte>;count=<plays>"``
(a frame without a play counter stays without one on restore), and
``TXXX:<description>`` -> its text, the description kept in its own case.

Write policy: every POPM frame is updated in place in its owner's scale
(linear for Picard/Quod Libet/Traktor, the widest-compatibility bytes for
the rest) and keeps its play counter; one POPM frame with the configured
e-mail is added only when the file has none; existing TXXX:FMPS_Rating
(0-1) and TXXX:RATING (its own scale, 1-5 by default) are rewritten too.
Unrated removes the fields; a POPM frame that also counts plays keeps the
counter with rating byte 0 ("unknown") so the play count is not lost.

Saving keeps the tag's own version (a v2.4 tag stays v2.4: mutagen's v2.3
conversion would join multi-value frames and drop TDRC seconds, and the v2.3
conversion drops v2.4-only frames such as TSOP). In an MP3, and in the ID3
chunk of a WAV or AIFF, only the rating frames change, byte for byte
(:mod:`.id3raw`); a file with
no ID3 tag yet gets a new v2.3 tag (what Windows, WMP and MusicBee read best).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import partial
from io import BytesIO
from typing import Any, ClassVar

from mutagen.aiff import AIFF
from mutagen.id3 import ID3, POPM, TXXX, Encoding
from mutagen.mp3 import MP3
from mutagen.wave import WAVE

from ratings_gui.core import scale
from ratings_gui.core.scale import Rating

from . import id3raw
from .base import (
    FIVE,
    Candidate,
    Family,
    ReadOptions,
    detect_scale,
    five_field,
    format_in,
    fraction_field,
    fraction_text,
    join,
    split,
)

__all__ = ["FAMILY", "ID3Family"]

RATING_TXXX = id3raw.RATING_TXXX

_BY_EXT: dict[str, type] = {
    ".mp3": MP3,
    ".mp2": MP3,
    ".aif": AIFF,
    ".aiff": AIFF,
    ".aifc": AIFF,
    ".wav": WAVE,
}

#: Extensions whose ID3 tag sits in a chunk, not at the start of the file.
_CHUNKED = frozenset({".aif", ".aiff", ".aifc", ".wav"})


def _rating_txxx(tags: ID3) -> list[TXXX]:
    return [f for f in tags.getall("TXXX") if f.desc.strip().lower() in RATING_TXXX]


def _popm_order(frames: list[POPM], own_email: str) -> list[POPM]:
    """The app's own e-mail, then WMP, then MusicBee / no@email, then file order."""
    prefs = [own_email.strip().lower()] + [e.lower() for e in scale.POPM_PREFERENCE]

    def rank(item: tuple[int, POPM]) -> tuple[int, int]:
        index, frame = item
        email = frame.email.strip().lower()
        return (prefs.index(email) if email in prefs else len(prefs), index)

    return [f for _, f in sorted(enumerate(frames), key=rank)]


def _popm_text(frame: POPM) -> str:
    count = getattr(frame, "count", None)
    return f"{frame.rating}" if count is None else f"{frame.rating};count={count}"


def _parse_popm(text: str) -> tuple[int, int | None]:
    byte, _, rest = str(text).partition(";")
    count = None
    if rest.strip().startswith("count="):
        count = int(rest.strip()[len("count=") :])
    return int(byte), count


def _encoding_for(text: str) -> Encoding:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return Encoding.UTF16
    return Encoding.LATIN1


def _tag_fields(tags: ID3 | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if tags is None:
        return out
    for frame in tags.getall("POPM"):
        out[f"POPM:{frame.email}"] = _popm_text(frame)
    for frame in _rating_txxx(tags):
        out[f"TXXX:{frame.desc}"] = join(str(t) for t in frame.text)
    return out


def _wanted(tags: ID3, major: int) -> dict[str, id3raw.BodyFn]:
    """The rating frames the in-memory tag holds, as body makers for the splice."""
    out: dict[str, id3raw.BodyFn] = {}
    for f in tags.getall("POPM"):
        out[f.HashKey] = partial(
            id3raw.popm_body, f.email, int(f.rating), getattr(f, "count", None)
        )
    for f in _rating_txxx(tags):
        text = [str(t) for t in f.text]
        out[f.HashKey] = partial(id3raw.txxx_body, major, f.desc, text, int(f.encoding))
    return out


def _spliced_fields(data: bytes) -> dict[str, str] | None:
    try:
        return _tag_fields(ID3(BytesIO(data)))
    except Exception:  # noqa: BLE001 - a splice mutagen cannot read is simply not used
        return None


class ID3Family(Family):
    """POPM and TXXX rating frames inside an ID3v2 tag."""

    name: ClassVar[str] = "id3"
    extensions: ClassVar[frozenset[str]] = frozenset(_BY_EXT)
    file_types: ClassVar[tuple[type, ...]] = (MP3, AIFF, WAVE)

    def open(self, filething: Any, ext: str) -> Any:
        return _BY_EXT.get(ext, MP3)(filething)

    def fields(self, audio: Any) -> dict[str, str]:
        return _tag_fields(audio.tags)

    def candidates(self, audio: Any, opts: ReadOptions) -> list[Candidate]:
        tags = audio.tags
        if tags is None:
            return []
        out: list[Candidate] = []
        for frame in _popm_order(tags.getall("POPM"), opts.popm_email):

            def conv(text: str, email: str = frame.email) -> Rating:
                return scale.popm_to_plex(int(text), email)

            out.append(Candidate(f"POPM:{frame.email}", str(frame.rating), conv))
        # Strawberry and other freedesktop players trust FMPS before POPM; we use
        # POPM first (what WMP/MusicBee show) and report a disagreement.
        txxx = _rating_txxx(tags)
        for frame in txxx:
            if frame.desc.strip().lower() == "fmps_rating" and frame.text:
                out.append(Candidate(f"TXXX:{frame.desc}", str(frame.text[0]), fraction_field))
        for frame in txxx:
            if frame.desc.strip().lower() == "rating" and frame.text:
                out.append(Candidate(f"TXXX:{frame.desc}", str(frame.text[0]), five_field))
        return out

    def apply(self, audio: Any, rating: Rating, popm_email: str) -> None:
        if audio.tags is None:
            if rating is None:
                return
            audio.add_tags()
            audio._ratings_new_tag = True
        tags = audio.tags
        popms = tags.getall("POPM")
        if rating is None:
            for frame in popms:
                if getattr(frame, "count", 0):
                    frame.rating = 0  # keep the play counter; 0 = unknown
                else:
                    del tags[frame.HashKey]
            for frame in _rating_txxx(tags):
                del tags[frame.HashKey]
            return
        for frame in popms:
            frame.rating = scale.plex_to_popm(rating, frame.email)
        if not popms:
            tags.add(POPM(email=popm_email, rating=scale.plex_to_popm(rating, popm_email), count=0))
        for frame in _rating_txxx(tags):
            if frame.desc.strip().lower() == "fmps_rating":
                frame.text = [fraction_text(rating)]
            else:
                old = str(frame.text[0]) if frame.text else ""
                frame.text = [format_in(detect_scale(old, FIVE), rating)]

    def new_tags(self) -> Any:
        return ID3()

    def restore(self, audio: Any, fields: dict[str, str]) -> None:
        if audio.tags is None:
            if not fields:
                return
            audio.add_tags()
            audio._ratings_new_tag = True  # a new tag is v2.3, as apply() writes it
        tags = audio.tags
        want_popm = {
            k[len("POPM:") :]: _parse_popm(v) for k, v in fields.items() if k.startswith("POPM:")
        }
        want_txxx = {
            k[len("TXXX:") :]: split(v) for k, v in fields.items() if k.startswith("TXXX:")
        }
        for frame in tags.getall("POPM"):
            if frame.email not in want_popm:
                del tags[frame.HashKey]
                continue
            byte, count = want_popm.pop(frame.email)
            frame.rating = byte
            if count is None:
                if hasattr(frame, "count"):
                    del frame.count
            else:
                frame.count = count
        for email, (byte, count) in want_popm.items():
            if count is None:
                tags.add(POPM(email=email, rating=byte))
            else:
                tags.add(POPM(email=email, rating=byte, count=count))
        for frame in _rating_txxx(tags):
            if frame.desc not in want_txxx:
                del tags[frame.HashKey]
                continue
            frame.text = want_txxx.pop(frame.desc)
        for desc, text in want_txxx.items():
            enc = _encoding_for(desc + "".join(text))
            tags.add(TXXX(encoding=enc, desc=desc, text=text))
        # Undo of a write to an untagged file: a tag with no frames left is
        # dropped, so the file is byte for byte what it was before the write.
        audio._ratings_drop_empty_tag = not fields and len(tags) == 0

    def save(
        self, audio: Any, fileobj: Any, *, before: Mapping[str, str], layout: str = ""
    ) -> None:
        if getattr(audio, "_ratings_drop_empty_tag", False) and not layout:
            audio.tags.delete(fileobj)
            return
        if audio.tags is None:
            audio.save(fileobj)
            return
        if getattr(audio, "_ratings_new_tag", False):
            audio.tags.update_to_v23()
            audio.save(fileobj, v2_version=3)
            return
        version = tuple(audio.tags.version[:2])
        if self._splice(audio, fileobj, before, layout, version):
            return
        if version == (2, 4):
            audio.save(fileobj, v2_version=4)
        else:  # v2.3 as it was; a v2.2 tag cannot be written back as v2.2
            audio.tags.update_to_v23()
            audio.save(fileobj, v2_version=3)

    def _splice(
        self,
        audio: Any,
        fileobj: Any,
        before: Mapping[str, str],
        layout: str,
        version: tuple[int, ...],
    ) -> bool:
        """Change only the rating frames of the tag; False when mutagen must save.

        The tag is at the start of an MP3, in the ``ID3`` chunk of a WAV or AIFF.
        """
        data = fileobj.getvalue()
        chunk = id3raw.find_chunk(data) if not isinstance(audio, MP3) else None
        if not isinstance(audio, MP3) and chunk is None:
            return False
        region = data[chunk[0] : chunk[0] + chunk[1]] if chunk is not None else data
        tag = id3raw.parse(region)
        if tag is None or version != (2, tag.major):
            return False
        after = self.fields(audio)
        new = id3raw.splice_layout(region, tag, layout) if layout else None
        if new is not None and _spliced_fields(new) != after:
            new = None  # the layout is not what the fields say: build the frames instead
        if new is None:
            new = id3raw.splice(region, tag, _wanted(audio.tags, tag.major), before, after)
        if chunk is not None:
            new = id3raw.replace_chunk(data, chunk, new)
        fileobj.seek(0)
        fileobj.truncate()
        fileobj.write(new)
        return True

    def layout(self, data: bytes) -> str:
        chunk = id3raw.find_chunk(data)
        if chunk is not None:
            data = data[chunk[0] : chunk[0] + chunk[1]]
        return id3raw.capture_layout(data)

    def layout_of(self, path: str) -> str:
        if os.path.splitext(path)[1].lower() in _CHUNKED:
            with open(path, "rb") as fh:
                return self.layout(fh.read())
        return id3raw.capture_layout(id3raw.read_tag_bytes(path))


#: Registered by :mod:`ratings_gui.tags.api`.
FAMILY = ID3Family()
