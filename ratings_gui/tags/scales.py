"""Which scale a library's ``RATING`` fields use, decided from the library's own files.

A Vorbis (also APE, MP4 freeform) ``RATING`` of 6-10 reads as 0-10 or as
0-100 (10 = half a star): one file alone cannot say. A library can. Its
other files show the convention: a RATING of 20, 40 or 80 exists only on
0-100, a 7 or a 7.5 only on 0-10. So, for each field:

1. the library's own values decide (0-100 evidence and no 0-10 evidence, or
   the other way round);
2. otherwise a file's own other fields decide (an FMPS_RATING beside the
   RATING: the reader already takes that one);
3. only when neither says anything is the user asked, once, with the count
   of files concerned (:class:`ScaleQuestion`), and those files are counted
   as "scale unknown" until then, never as unreadable.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from ratings_gui.core.tagsplan import is_ambiguous

from .api import DEFAULT_EMAIL, read_rating
from .base import (
    MULTI_SEP,
    PERCENT,
    RATING_SCALES,
    TEN,
    ReadOptions,
    TagError,
    TagRating,
    parse_float,
)

K = TypeVar("K", bound=Hashable)
Result = TagRating | TagError

#: The fields read with the ``RATING`` rules, per family (lower-case key).
RATING_FIELDS = {
    "vorbis": "rating",
    "ape": "rating",
    "mp4": "----:com.apple.itunes:rating",
}
#: How each scale is offered to the user.
CHOICES = {
    PERCENT: "0-100 (10 = half a star, as MusicBee, MediaMonkey and Kodi write)",
    TEN: "0-10 (10 = five stars)",
}


def field_of(family: str, key: str) -> str | None:
    """``vorbis:rating`` for a field read with the RATING rules, else None."""
    want = RATING_FIELDS.get(family)
    return f"{family}:{want}" if want is not None and key.strip().lower() == want else None


def _evidence(text: str) -> str | None:
    """Which scale one RATING value proves: ``percent``, ``ten`` or None (proves nothing)."""
    try:
        num = parse_float(text)
    except ValueError:
        return None
    if math.isnan(num) or num <= 1 or num > 100:
        return None  # 0-1 fractions and nonsense say nothing about 0-10 against 0-100
    if num > 10:
        return PERCENT
    if num == int(num) and num <= 5:
        return None  # foobar2000's 1-5 stars: read as such on any scale
    if num == 10:
        return None  # the ambiguous value itself
    return TEN  # 6-9, or 2.5, 7.5: no 0-100 writer writes these


@dataclass
class Evidence:
    """Counts of RATING values proving each scale, and of files left ambiguous."""

    percent: int = 0
    ten: int = 0
    ambiguous: int = 0

    @property
    def scale(self) -> str | None:
        """The scale the values prove, when they prove only one."""
        if self.percent and not self.ten:
            return PERCENT
        if self.ten and not self.percent:
            return TEN
        return None


def library_evidence(results: Iterable[object]) -> dict[str, Evidence]:
    """Per RATING field, what the values of every file read (good or not) prove."""
    out: dict[str, Evidence] = {}
    for r in results:
        fields = getattr(r, "fields", None)
        family = getattr(r, "family", "")
        if not isinstance(fields, dict):
            continue
        for key, value in fields.items():
            name = field_of(family, str(key))
            if name is None:
                continue
            ev = out.setdefault(name, Evidence())
            for text in str(value).split(MULTI_SEP):
                found = _evidence(text)
                if found == PERCENT:
                    ev.percent += 1
                elif found == TEN:
                    ev.ten += 1
            if is_ambiguous(r):
                ev.ambiguous += 1
    return out


def decide_scales(results: Iterable[object]) -> dict[str, str]:
    """Per RATING field, the scale the library's own values decide (undecided fields absent)."""
    return {name: ev.scale for name, ev in library_evidence(results).items() if ev.scale}


@dataclass(frozen=True)
class ScaleQuestion:
    """What the user is asked when nothing in the library tells a RATING's scale."""

    files: tuple[str, ...]
    values: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.files)

    @property
    def text(self) -> str:
        shown = ", ".join(self.values[:4])
        what = "file holds" if self.count == 1 else "files hold"
        return (
            f"{self.count:,} {what} a RATING of 6-10 ({shown}) and nothing in the library "
            "tells whether it is on 0-10 or on 0-100. How should it be read?"
        )

    def as_dict(self) -> dict[str, object]:
        """Plain data for the plan (the preview and the CLI show it)."""
        return {
            "count": self.count,
            "text": self.text,
            "choices": dict(CHOICES),
            "examples": list(self.files[:5]),
        }


def _ambiguous_fields(r: TagError) -> list[tuple[str, str]]:
    return [(name, v) for k, v in r.fields.items() if (name := field_of(r.family, str(k)))]


def settle(
    results: Mapping[K, object], *, answer: str | None = None, popm_email: str = ""
) -> tuple[dict[K, object], dict[str, str], ScaleQuestion | None]:
    """Re-read the files a RATING left ambiguous, on the scale the library decides.

    ``answer`` (``percent`` or ``ten``) is the user's word for the fields the
    library leaves undecided. Returns the results (settled files replaced),
    the scale per field that was used, and the question for what is still open.
    With no file open, the scale is still the library's (its values, else
    ``answer``): the writer writes on it (on 0-10, Plex 3 is ``3.1``), so a
    library whose RATINGs all read without a scale (each beside its
    FMPS_RATING copy) keeps its scale from one sync to the next.
    """
    if answer is not None and answer not in RATING_SCALES:
        raise ValueError(f"rating scale must be one of {', '.join(RATING_SCALES)}")
    out = dict(results)
    open_keys = [k for k, r in results.items() if is_ambiguous(r)]
    evidence = library_evidence(results.values())
    decided = {name: ev.scale for name, ev in evidence.items() if ev.scale}
    used: dict[str, str] = {}
    if not open_keys:
        used = {name: s for name in evidence if (s := decided.get(name) or answer)}
        _predict_on(out, used)
        return out, used, None
    left: list[K] = []
    values: list[str] = []
    for k in open_keys:
        err = results[k]
        assert isinstance(err, TagError)
        names = _ambiguous_fields(err)
        scale = next((decided[n] for n, _ in names if n in decided), None) or answer
        if scale is None:
            left.append(k)
            values += [v.split(MULTI_SEP)[0] for _, v in names]
            continue
        for n, _ in names:
            used.setdefault(n, scale)
        try:
            out[k] = read_rating(
                err.path or str(k), popm_email=popm_email or DEFAULT_EMAIL, rating_scale=scale
            )
        except TagError as exc:
            out[k] = exc
    _predict_on(out, used)
    if not left:
        return out, used, None
    question = ScaleQuestion(
        tuple(str(getattr(results[k], "path", "") or k) for k in left),
        tuple(dict.fromkeys(values)),
    )
    return out, used, question


def _predict_on(results: dict[K, object], used: Mapping[str, str]) -> None:
    """Give every file with a RATING field the scale the writer will use, so its ``stored()``
    predicts that write.

    The job writes every file on the one scale the library's RATINGs were read on
    (``rating_scale`` of the plan), and on 0-10 a write differs (Plex 3 is ``3.1``, a
    0-100 RATING's least is ``11``); on 0-100 it is the write of no scale. A file read
    without a scale keeps its reading: only its prediction changes. Several scales:
    the job writes on none, as the files predict.
    """
    scales = set(used.values())
    if scales != {TEN}:
        return  # 0-100 writes as a file read without a scale does: nothing to predict anew
    scale = TEN
    moved: dict[ReadOptions, ReadOptions] = {}  # one new options object per old one
    for k, r in results.items():
        if not isinstance(r, TagRating) or r.family not in RATING_FIELDS:
            continue
        opts = r.options or ReadOptions()
        if opts.rating_scale == scale:
            continue
        new = moved.get(opts)
        if new is None:
            new = moved[opts] = dataclasses.replace(opts, rating_scale=scale)
        results[k] = TagRating(
            rating=r.rating,
            fields=r.fields,
            family=r.family,
            note=r.note,
            layout=r.layout,
            options=new,
        )
