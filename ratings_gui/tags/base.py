"""The common shape every tag family module fills in, and the shared types.

A family knows how to open its containers, list the raw rating fields, turn
them into candidate readings, edit them in memory and put a snapshot back.
Everything that touches the disk (atomic save, verify, errors) lives in
:mod:`ratings_gui.tags.api`, so a family never writes a file itself.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from ratings_gui.core import scale
from ratings_gui.core.plan import LAYOUT_KEY  # noqa: F401 (the tag families name it here)
from ratings_gui.core.scale import Rating, RatingError

#: Joins several values of one field in a snapshot (rare: a repeated RATING).
MULTI_SEP = "\x00"

#: Reason codes a :class:`TagError` carries, for the plan's counted outcomes.
REASONS = frozenset(
    {
        "not_found",
        "unreadable",
        "unsupported",
        "read_only",
        "locked",
        "invalid_value",
        "write_failed",
    }
)


@dataclass(frozen=True)
class TagRating:
    """What a file holds: the decoded rating and the raw fields behind it.

    ``fields`` keeps every rating-related field as text so a journal can show
    it and :func:`restore_fields` can put it back for undo.
    """

    rating: float | None
    fields: dict[str, str] = field(default_factory=dict)
    family: str = ""
    note: str = ""
    #: How the rating fields were stored (an MP3's rating frames, their
    #: places, the tag size), so undo can give back the identical file; ''
    #: when the family has nothing more to say than ``fields``.
    layout: str = ""
    #: The settings the file was read with: :meth:`stored` reads its write back the same way.
    options: ReadOptions | None = field(default=None, compare=False, repr=False)

    def stored(self, value: Rating) -> Rating:
        """What this file would read back if ``value`` were written to it.

        Not always ``value``: a WMA holds whole stars (1.5 stars is stored as
        2), a foobar2000 1-5 ``RATING`` too, a POPM byte half stars, so the
        planner can tell "holds the nearest it can" from a real difference.
        Pure: the write is simulated on these fields in memory. ``value`` when
        the family is unknown or the write cannot be simulated.
        """
        fam = _REGISTRY.get(self.family)
        if fam is None or value is None:
            return value
        return fam.stored(self.fields, value, self.options or ReadOptions())


class TagError(Exception):
    """A file whose rating cannot be read or written, with a plain reason.

    ``reason`` is one of :data:`REASONS` so callers can count outcomes;
    ``fields`` carries the raw fields when they could be read (e.g. an
    ambiguous RATING), so the user can still see what is there.
    """

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        path: str = "",
        fields: dict[str, str] | None = None,
        family: str = "",
    ) -> None:
        assert reason in REASONS, reason
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.path = path
        self.fields = dict(fields or {})
        self.family = family

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the keyword arguments when the error crosses a process boundary.
        return (_rebuild_error, (self.reason, self.message, self.path, self.fields, self.family))


def _rebuild_error(
    reason: str, message: str, path: str, fields: dict[str, str], family: str
) -> TagError:
    return TagError(reason, message, path=path, fields=fields, family=family)


@dataclass(frozen=True)
class ReadOptions:
    """Reader settings that change how a raw value is understood.

    ``rating_scale`` settles a ``RATING`` of 6-10 (Vorbis, APE, MP4 freeform),
    which the reading rules leave ambiguous: ``percent`` (0-100, 10 = half a
    star) or ``ten`` (0-10); None leaves it ambiguous. ``vorbis_zero_to_ten``
    is the older spelling of ``ten``.
    """

    popm_email: str = "Windows Media Player 9 Series"
    vorbis_zero_to_ten: bool = False
    rating_scale: str | None = None


@dataclass(frozen=True)
class Candidate:
    """One raw field that may hold the rating, with the conversion for its scale."""

    field: str
    text: str
    convert: Callable[[str], Rating]


class _Scratch:
    """An audio file without a file: just the tags, for simulating a write in memory."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.tags: Any = None
        self._make = make

    def add_tags(self) -> None:
        self.tags = self._make()


class Family:
    """Base class of a tag family: one module per family fills it in."""

    name: ClassVar[str] = ""
    #: Lower-case extensions (with the dot) this family opens.
    extensions: ClassVar[frozenset[str]] = frozenset()
    #: mutagen file classes this family understands (for content sniffing).
    file_types: ClassVar[tuple[type, ...]] = ()
    #: Whether the family has a RATING field read with the 6-10 rules (its apply takes
    #: ``rating_scale``).
    has_rating_field: ClassVar[bool] = False

    def open(self, filething: Any, ext: str) -> Any:
        """Load the file with the mutagen class its extension names."""
        raise NotImplementedError

    def fields(self, audio: Any) -> dict[str, str]:
        """Every rating-related raw field, as text."""
        raise NotImplementedError

    def candidates(self, audio: Any, opts: ReadOptions) -> list[Candidate]:
        """Rating fields in the order our reader trusts them."""
        raise NotImplementedError

    def apply(self, audio: Any, rating: Rating, popm_email: str) -> None:
        """Write ``rating`` into the in-memory tags (None removes the fields).

        Families with a RATING field (:attr:`has_rating_field`) also take
        ``rating_scale``: the library's scale for a RATING whose value shows none.
        """
        raise NotImplementedError

    def restore(self, audio: Any, fields: dict[str, str]) -> None:
        """Make the in-memory rating fields exactly ``fields``."""
        raise NotImplementedError

    def new_tags(self) -> Any:
        """An empty in-memory tag block of this family (None: the family cannot simulate)."""
        return None

    def stored(self, fields: Mapping[str, str], value: float, opts: ReadOptions) -> Rating:
        """What a file holding ``fields`` reads back (under ``opts``) after ``value`` is written.

        The write is the family's own :meth:`apply` on a copy of the fields in
        memory, read back with :meth:`candidates`: whatever the writer
        rounds, the answer rounds the same way. ``value`` when it cannot say.
        """
        v = scale.normalize(value)
        if self.new_tags() is None or v is None or not 0.5 <= v <= 10:
            return value  # no simulation, or a value the writer refuses
        audio = _Scratch(self.new_tags)
        try:
            if fields:
                self.restore(audio, dict(fields))
            apply_rating(self, audio, v, opts.popm_email, opts.rating_scale)
            back, _ = decide(self.candidates(audio, opts))
        except Exception:  # noqa: BLE001 - odd fields: no prediction, compared as they are
            return value
        return back

    def save(
        self, audio: Any, fileobj: Any, *, before: Mapping[str, str], layout: str = ""
    ) -> None:
        """Save the in-memory tags into ``fileobj`` (a BytesIO of the original file).

        ``before`` are the rating fields as loaded; ``layout`` (from
        :meth:`layout`) asks to put the fields back exactly as they were stored.
        Only the rating items change when the family can splice them
        (:meth:`splice`); mutagen's own save is the fallback.
        """
        if not self.save_exact(audio, fileobj, before=before, layout=layout):
            audio.save(fileobj)

    def save_exact(
        self, audio: Any, fileobj: Any, *, before: Mapping[str, str], layout: str = ""
    ) -> bool:
        """Splice only the rating into ``fileobj``'s bytes; False when mutagen must save.

        A splice is used only when mutagen reads it back as the fields the
        in-memory tags hold, so a container this splicer misreads falls back.
        """
        data = fileobj.getvalue()
        after = self.fields(audio)
        tries: list[Callable[[], bytes | None]] = []
        if layout:
            tries.append(lambda: self.put_layout(data, layout))
        tries.append(lambda: self.splice(data, audio, before, after))
        for make in tries:
            try:
                new = make()
                if new is None or self.fields(type(audio)(io.BytesIO(new))) != after:
                    continue
            except Exception:  # noqa: BLE001 - a splice mutagen cannot read is not used
                continue
            fileobj.seek(0)
            fileobj.truncate()
            fileobj.write(new)
            return True
        return False

    def splice(
        self, data: bytes, audio: Any, before: Mapping[str, str], after: Mapping[str, str]
    ) -> bytes | None:
        """The file ``data`` with only its rating items set as ``audio`` holds them (None: cannot)."""
        return None

    def put_layout(self, data: bytes, layout: str) -> bytes | None:
        """The file ``data`` with its rating items put back exactly as ``layout`` recorded."""
        return None

    def layout(self, data: bytes) -> str:
        """How the rating fields are stored in the file ``data`` ('' = fields say it all)."""
        return ""

    def layout_of(self, path: str) -> str:
        """:meth:`layout` of a file on disk, reading only what it needs."""
        if type(self).layout is Family.layout:
            return ""
        with open(path, "rb") as fh:
            return self.layout(fh.read())


#: Families by name, so a :class:`TagRating` finds its own (filled by :func:`register`).
_REGISTRY: dict[str, Family] = {}


def register(fam: Family) -> Family:
    """Make ``fam`` the family :meth:`TagRating.stored` uses for its name."""
    _REGISTRY[fam.name] = fam
    return fam


def apply_rating(
    fam: Family, audio: Any, value: Rating, popm_email: str, rating_scale: str | None
) -> None:
    """``fam.apply``, with the library's RATING scale for the families that have one."""
    if fam.has_rating_field:
        fam.apply(audio, value, popm_email, rating_scale=rating_scale)  # type: ignore[call-arg]
    else:
        fam.apply(audio, value, popm_email)


def decide(candidates: Iterable[Candidate]) -> tuple[Rating, str]:
    """Pick the rating from candidates in priority order.

    The first field that holds a rating wins; unreadable fields and fields
    that disagree with the winner are reported in the note. When no field
    holds a rating but one was invalid, :class:`RatingError` is raised.
    """
    found: list[tuple[str, float]] = []
    bad: list[str] = []
    for cand in candidates:
        try:
            value = cand.convert(cand.text)
        except (RatingError, ValueError, OverflowError) as exc:
            bad.append(f"{cand.field}={cand.text!r}: {exc}")
            continue
        if value is not None:
            found.append((cand.field, value))
    notes: list[str] = []
    if not found:
        if bad:
            raise RatingError("; ".join(bad))
        return None, ""
    winner_field, winner = found[0]
    others = [f"{f}={scale.format_both(v)}" for f, v in found[1:] if not scale.same(v, winner)]
    if others:
        notes.append(
            f"fields disagree: {winner_field}={scale.format_both(winner)} used, "
            + ", ".join(others)
        )
    if bad:
        notes.append("ignored " + "; ".join(bad))
    return winner, "; ".join(notes)


# --- own-scale detection and formatting -----------------------------------------

FRACTION = "fraction"  # 0.0-1.0
FIVE = "five"  # whole stars 1-5
PERCENT = "percent"  # 0-100, 20 per star
TEN = "ten"  # 0-10, the Plex number itself
#: Scales a ``RATING`` of 6-10 can be read in.
RATING_SCALES = (PERCENT, TEN)


def rating_reader(opts: ReadOptions) -> Callable[[str], Rating]:
    """The reader of a ``RATING`` field (Vorbis, APE, MP4 freeform) under ``opts``."""
    ten = opts.vorbis_zero_to_ten or opts.rating_scale == TEN

    def read(text: str) -> Rating:
        try:
            return scale.vorbis_rating_to_plex(text, zero_to_ten=ten)
        except RatingError as exc:
            if opts.rating_scale != PERCENT or "ambiguous" not in str(exc):
                raise
            return scale.percent_to_plex(parse_float(text))

    return read


def detect_scale(text: str, default: str) -> str:
    """Guess the scale an existing RATING-like value was written in.

    Used when updating a field in place so that a foobar2000 ``3`` stays on
    1-5 and a ``0.6`` stays a fraction; anything unclear gets ``default``.
    """
    s = str(text).strip().replace(",", ".")
    try:
        num = float(s)
    except ValueError:
        return default
    if math.isnan(num) or num <= 0:
        return default
    if num <= 1 and ("." in s or num < 1):
        return FRACTION
    if num == int(num) and 1 <= num <= 5:
        return FIVE
    if 10 < num <= 100:
        return PERCENT
    return default


def format_in(kind: str, rating: float) -> str:
    """Text of ``rating`` (Plex 0-10) in one of the scales above."""
    if kind == FRACTION:
        return fraction_text(rating)
    if kind == FIVE:
        return str(scale.plex_to_five(rating))
    if kind == TEN:
        return f"{scale.normalize(rating):g}"
    return str(scale.plex_to_percent(rating))


def rating_text(kind: str, rating: float, rating_scale: str | None) -> tuple[str, float]:
    """A ``RATING``'s text in scale ``kind`` and the value it reads back as.

    The text is what :func:`rating_reader` (under the library's
    ``rating_scale``) reads back as the value nearest ``rating`` that the
    scale can hold, never a different reading of the same digits:

    - 0-10: ``1``-``5`` are foobar2000's whole stars to every reader (so
      ``3`` would come back as 6) and a number up to 1 is a 0-1 fraction;
      the 0-10 scale cannot hold 1, 2, 3, 4 or 5 (nor less than 1), so the
      next tenth up is written (Plex 3 -> ``3.1``, Plex 0.5 or 1 -> ``1.1``):
      a tenth of a half star off, on the same star for a player that
      rounds and one that cuts. Another scale (``0.3``, ``30``) would be
      exact for us, but 0-10 players would read it as 0 stars or nonsense,
      and a ``30`` would make the library's values look 0-100 next time.
    - 0-100: the least rating is ``10``, half a star (MusicBee writes 10 for
      ½★); a Plex value under 1 (tenths only) is written as that, not as
      ``5``, which reads as 5 stars. On a library read as 0-10 a ``10`` is
      five stars, so there the least is ``11``.
    - 1-5 (foobar2000): the nearest whole star, half stars up.
    - 0-1: exact.
    """
    value = scale.normalize(rating) or 0.0
    if kind == TEN:
        if value <= 1:
            value = 1.1
        elif value == int(value) and value <= 5:
            value = round(value + 0.1, 1)
        return f"{value:g}", value
    if kind == PERCENT:
        percent = max(11 if rating_scale == TEN else 10, scale.plex_to_percent(value) or 0)
        return str(percent), percent / 10
    if kind == FIVE:
        stars = scale.plex_to_five(value) or 1
        return str(stars), float(stars * 2)
    return format_in(kind, value), value


class RatingWrite(NamedTuple):
    """What writing a Plex value makes of a ``RATING`` and of the 0-1 fields beside it."""

    #: The RATING's new text.
    text: str
    #: The text of every 0-1 field beside it (``FMPS_RATING``, ``RATING:<email>``).
    fraction: str
    #: Whether a 0-1 copy must be added when the file has no 0-1 field.
    needs_copy: bool


def rating_update(old: str | None, rating: float, rating_scale: str | None) -> RatingWrite:
    """Writing ``rating`` over a ``RATING`` that held ``old`` (None: a new field, 0-100).

    The RATING keeps its own scale (:func:`detect_scale`; the library's when
    its value shows none), written with :func:`rating_text`. A 0-100 or 0-10
    RATING of 10 or less needs a 0-1 copy (6-10 reads as ambiguous, and a
    reader without a scale takes the copy). The 0-1 fields beside a 0-100 or
    0-10 RATING say what it holds (half a star for Plex 0.5, 3.1 for Plex 3
    on 0-10), so the file says one thing on every scale and a rewrite writes
    the same bytes. Beside foobar2000's 1-5 (whole stars) they keep Plex's
    own value, and no copy is added: that RATING reads as it is.
    """
    kind = PERCENT if old is None else detect_scale(old, rating_default(rating_scale))
    text, held = rating_text(kind, rating, rating_scale)
    if kind not in RATING_SCALES:
        return RatingWrite(text, fraction_text(rating), False)
    return RatingWrite(text, fraction_text(held), needs_fraction_copy(text))


def rating_default(rating_scale: str | None) -> str:
    """The scale an existing RATING keeps when its own value does not show one (6-10):
    the library's (``ten`` or ``percent``), 0-100 when nothing says."""
    return TEN if rating_scale == TEN else PERCENT


def needs_fraction_copy(rating_text: str) -> bool:
    """A 0-100 RATING of 10 or less reads as ambiguous (or as 1-5): it needs a 0-1 copy."""
    try:
        return 0 < parse_float(rating_text) <= 10
    except ValueError:
        return False


def fraction_text(rating: float) -> str:
    """0-1 float text the way FMPS and Quod Libet writers store it (``0.8``)."""
    value = scale.plex_to_fraction(rating)
    return f"{value:.2f}".rstrip("0").rstrip(".") if value not in (0, 1) else f"{value:.1f}"


def parse_float(text: str) -> float:
    """A float from tag text, accepting a decimal comma."""
    return float(str(text).strip().replace(",", "."))


def _number(text: str) -> float:
    """A rating field's number; RatingError on text that is none (NaN included)."""
    try:
        num = parse_float(text)
    except ValueError as exc:
        raise RatingError(f"{text!r} is not a number") from exc
    if math.isnan(num):
        raise RatingError(f"{text!r} is not a number")
    return num


def fraction_field(text: str) -> Rating:
    """FMPS_Rating / RATING:<email>: a 0-1 float."""
    return scale.fraction_to_plex(_number(text))


def percent_field(text: str) -> Rating:
    """MP4 ``rate``: a 0-100 number."""
    return scale.percent_to_plex(_number(text))


def five_field(text: str) -> Rating:
    """foobar2000 ``TXXX:RATING``: 1-5 stars, but accept the other known scales."""
    num = _number(text)
    if 1 < num <= 5:
        return scale.five_to_plex(num)
    return scale.vorbis_rating_to_plex(text)


def join(values: Iterable[str]) -> str:
    """Several values of one field as one snapshot string."""
    return MULTI_SEP.join(values)


def split(text: str) -> list[str]:
    """Undo :func:`join`."""
    return str(text).split(MULTI_SEP)
