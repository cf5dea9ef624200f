"""Every rating scale the program meets, converted to and from one value.

The internal value is the Plex number: 0-10, one step = half a star, kept
with one decimal because Plex stores one decimal (3.29 reads back as 3.3).
``None`` means unrated and is never the same as 0.

Each convention here is a small pure function so the table-driven tests in
``tests/test_scale.py`` can pin every row of ``reference/rating-tags.md``.
"""

from __future__ import annotations

import math
import re

Rating = float | None

#: The POPM bytes written for Plex 1..10 (the widest-compatibility table).
POPM_WRITE = (13, 1, 54, 64, 118, 128, 186, 196, 242, 255)

#: POPM owners whose byte is a linear 0-255 scale rather than the WMP steps.
LINEAR_POPM_EMAILS = frozenset(
    {
        "users@musicbrainz.org",
        "traktor@native-instruments.de",
        "quodlibet@lists.sacredchao.net",
    }
)

#: Preferred POPM owners when a file holds several frames (after the app's own).
POPM_PREFERENCE = ("Windows Media Player 9 Series", "MusicBee", "no@email")


class RatingError(ValueError):
    """A value that cannot be read as a rating on the scale it claims."""


def normalize(value: float | int | None) -> Rating:
    """Clamp to 0-10 and round to one decimal, as Plex stores it."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    v = min(10.0, max(0.0, float(value)))
    return round(v + 1e-9, 1)


def same(a: Rating, b: Rating) -> bool:
    """Equal as Plex would store them (one decimal), unrated only equals unrated."""
    if a is None or b is None:
        return a is None and b is None
    return normalize(a) == normalize(b)


# --- stars -------------------------------------------------------------------


def to_stars(value: Rating) -> float | None:
    """Plex 0-10 -> stars 0-5."""
    return None if value is None else normalize(value) / 2


def from_stars(stars: float | None) -> Rating:
    """Stars 0-5 -> Plex 0-10."""
    if stars is None:
        return None
    if not 0 <= stars <= 5:
        raise RatingError(f"{stars} is not between 0 and 5 stars")
    return normalize(stars * 2)


def format_stars(value: Rating, *, glyphs: bool = True) -> str:
    """Show a rating the way users read it: ``★★★½`` (or ``3.5★``); ``-`` for unrated."""
    if value is None:
        return "-"
    stars = normalize(value) / 2
    if not glyphs or abs(stars * 2 - round(stars * 2)) > 1e-6:
        text = f"{stars:.2f}".rstrip("0").rstrip(".")
        return f"{text}★"
    whole = int(stars)
    half = stars - whole >= 0.5
    out = "★" * whole + ("½" if half else "")
    return out or "0★"


def stars_label(value: Rating | str, *, number: bool = True) -> str:
    """A Plex 0-10 rating as every table and title shows it: ``★★★½ 3.5``.

    Half-star glyphs (the nearest half) and, where there is room, the
    exact number of stars: an inferred 3.25 reads ``★★★½ 3.25``, so one
    list never mixes ``3.25★`` with ``★★★½``. Unrated reads ``not rated``.
    """
    if value is None or value == "":
        return "not rated"
    stars = float(value) / 2
    halves = int(stars * 2 + 0.5 + 1e-9)
    glyphs = "★" * (halves // 2) + ("½" if halves % 2 else "")
    if not number:
        return glyphs or "0★"
    text = f"{stars:.2f}".rstrip("0").rstrip(".")
    return f"{glyphs} {text}" if glyphs else f"{text}★"


def format_both(value: Rating) -> str:
    """``8 (4★)``: the Plex number and the stars, as log lines show them."""
    if value is None:
        return "unrated"
    v = normalize(value)
    num = f"{v:g}"
    return f"{num} ({format_stars(v, glyphs=False)})"


_FRACTION = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*/\s*(\d+(?:[.,]\d+)?)\s*$")
_STARS_GLYPH = re.compile(r"^\s*(★*)\s*(½?)\s*(☆*)\s*$")


def parse_rating(text: str, *, scale: str = "stars") -> Rating:
    """Read what a user typed: ``4.5``, ``4½``, ``4,5``, ``9/10``, ``★★★½``, ``80%``.

    A bare number is read on ``scale`` ("stars" 0-5 or "plex" 0-10); a
    fraction or percentage says its own scale. Empty text, ``-`` and
    ``none`` mean unrated. Anything else raises :class:`RatingError`.
    """
    if text is None:
        return None
    s = str(text).strip()
    if s.lower() in {"", "-", "none", "unrated", "clear"}:
        return None
    m = _FRACTION.match(s)
    if m:
        num, den = (float(g.replace(",", ".")) for g in m.groups())
        if den <= 0 or num < 0 or num > den:
            raise RatingError(f"{text!r} is not a rating")
        return normalize(num / den * 10)
    if s.endswith("%"):
        try:
            pct = float(s[:-1].replace(",", "."))
        except ValueError as exc:
            raise RatingError(f"{text!r} is not a rating") from exc
        if not 0 <= pct <= 100:
            raise RatingError(f"{text!r} is not between 0 and 100%")
        return normalize(pct / 10)
    if "★" in s or "☆" in s:
        g = _STARS_GLYPH.match(s)
        if not g:
            raise RatingError(f"{text!r} is not a rating")
        return from_stars(len(g.group(1)) + (0.5 if g.group(2) else 0))
    s = s.replace("½", ".5").replace(",", ".").rstrip("*").rstrip("★").strip()
    if s.startswith("."):
        s = "0" + s
    try:
        num = float(s)
    except ValueError as exc:
        raise RatingError(f"{text!r} is not a rating") from exc
    if math.isnan(num) or math.isinf(num):
        raise RatingError(f"{text!r} is not a rating")
    if scale == "plex":
        if not 0 <= num <= 10:
            raise RatingError(f"{text!r} is not between 0 and 10")
        return normalize(num)
    return from_stars(num)


# --- ID3 POPM ----------------------------------------------------------------


def popm_to_plex(byte: int, email: str = "") -> Rating:
    """POPM rating byte -> Plex, by the owner's convention (linear or WMP steps)."""
    if not 0 <= byte <= 255:
        raise RatingError(f"POPM byte {byte} outside 0-255")
    if byte == 0:
        return None
    if email.strip().lower() in LINEAR_POPM_EMAILS:
        return float(max(1, round(byte * 10 / 255)))
    if byte == 1:
        return 2.0
    if byte <= 22:
        return 1.0
    if byte <= 31:
        return 2.0
    if byte == 255:
        return 10.0
    # 32-63 -> 3, 64-95 -> 4, ... 224-254 -> 9
    return float(3 + (byte - 32) // 32)


def plex_to_popm(value: Rating, email: str = "") -> int:
    """Plex -> POPM byte in the owner's scale; 0 (unknown) for unrated."""
    if value is None:
        return 0
    step = _half_star_step(value)
    if step == 0:
        return 0
    if email.strip().lower() in LINEAR_POPM_EMAILS:
        # Quod Libet writes int(255 * r): truncate, so odd steps match it (25, not 26).
        return min(255, int(step * 25.5))
    return POPM_WRITE[step - 1]


def explorer_popm_stars(byte: int) -> int:
    """How Windows Explorer shows a POPM byte: whole stars 0-5."""
    if byte <= 0:
        return 0
    for stars, top in ((1, 31), (2, 95), (3, 159), (4, 223)):
        if byte <= top:
            return stars
    return 5


# --- 0-100, 0-1, 1-5 -------------------------------------------------------------


def percent_to_plex(value: float) -> Rating:
    """0-100 (20 per star; Vorbis/MP4/APE ``RATING``) -> Plex; 0 is unrated."""
    if not 0 <= value <= 100:
        raise RatingError(f"{value} outside 0-100")
    return None if value == 0 else normalize(value / 10)


def plex_to_percent(value: Rating) -> int | None:
    """Plex -> 0-100 (``None`` for unrated: remove the field)."""
    return None if value is None else int(round(normalize(value) * 10))


def fraction_to_plex(value: float) -> Rating:
    """0.0-1.0 (FMPS_Rating, Quod Libet) -> Plex; 0 is unrated."""
    if not 0 <= value <= 1:
        raise RatingError(f"{value} outside 0-1")
    return None if value == 0 else normalize(value * 10)


def plex_to_fraction(value: Rating) -> float | None:
    """Plex -> 0.0-1.0 with the precision players write."""
    return None if value is None else round(normalize(value) / 10, 2)


def five_to_plex(value: float) -> Rating:
    """1-5 stars (foobar2000 ``RATING``) -> Plex."""
    if not 0 <= value <= 5:
        raise RatingError(f"{value} outside 0-5")
    return None if value == 0 else normalize(value * 2)


def plex_to_five(value: Rating) -> int | None:
    """Plex -> whole stars 1-5 for foobar2000 (rounded half up)."""
    if value is None:
        return None
    return max(1, int(math.floor(normalize(value) / 2 + 0.5)))


def vorbis_rating_to_plex(text: str, *, zero_to_ten: bool = False) -> Rating:
    """Read a Vorbis/APE ``RATING`` whatever scale its writer used.

    float <= 1 -> x10 (the 0-1 writers); integer 1-5 -> x2 (foobar2000);
    11-100 -> /10 (MusicBee, MediaMonkey, Kodi); 6-10 is ambiguous and only
    read as 0-10 when ``zero_to_ten`` says so.
    """
    s = str(text).strip().replace(",", ".")
    try:
        num = float(s)
    except ValueError as exc:
        raise RatingError(f"RATING {text!r} is not a number") from exc
    if math.isnan(num) or num < 0 or num > 100:
        raise RatingError(f"RATING {text!r} outside every known scale")
    if num == 0:
        return None
    is_int = num == int(num)
    # "1" is foobar2000's one star, but "1.0" is a 0-1 writer's full rating.
    if num <= 1 and not (is_int and num == 1 and "." not in s):
        return fraction_to_plex(num)
    if is_int and 1 <= num <= 5:
        return five_to_plex(num)
    if num <= 10:
        if zero_to_ten:
            return normalize(num)
        raise RatingError(f"RATING {text!r} is ambiguous (0-10 or 0-100?)")
    return percent_to_plex(num)


# --- WMA / ASF ---------------------------------------------------------------------

ASF_WRITE = {0: 0, 1: 1, 2: 25, 3: 50, 4: 75, 5: 99}


def asf_to_plex(value: int) -> Rating:
    """``WM/SharedUserRating`` -> Plex by WMP's read bands (0 is unrated)."""
    if not 0 <= value <= 99:
        raise RatingError(f"WM/SharedUserRating {value} outside 0-99")
    if value == 0:
        return None
    for stars, top in ((1, 12), (2, 37), (3, 62), (4, 86)):
        if value <= top:
            return float(stars * 2)
    return 10.0


def plex_to_asf(value: Rating) -> int:
    """Plex -> WMP's value for the nearest whole star (half stars round up)."""
    if value is None:
        return 0
    stars = int(math.floor(normalize(value) / 2 + 0.5))
    return ASF_WRITE[max(1, min(5, stars))] if normalize(value) > 0 else 0


# --- exports ---------------------------------------------------------------------------


def letterboxd_to_plex(text: str) -> Rating:
    """Letterboxd 0.5-5 in halves -> Plex (x2); empty = watched, not rated."""
    s = str(text).strip()
    if not s:
        return None
    try:
        num = float(s.replace(",", "."))
    except ValueError as exc:
        raise RatingError(f"{text!r} is not a Letterboxd rating") from exc
    if not 0.5 <= num <= 5 or (num * 2) != int(num * 2):
        raise RatingError(f"{text!r} is not a Letterboxd rating (0.5-5 in halves)")
    return normalize(num * 2)


def ten_to_plex(text: str | float) -> Rating:
    """IMDb/TMDB/Trakt 1-10 -> Plex as it is (``8`` and ``8.0`` both read)."""
    s = str(text).strip()
    if not s:
        return None
    try:
        num = float(s.replace(",", "."))
    except ValueError as exc:
        raise RatingError(f"{text!r} is not a rating") from exc
    if not 1 <= num <= 10:
        raise RatingError(f"{text!r} is not between 1 and 10")
    return normalize(num)


def _half_star_step(value: float) -> int:
    """Nearest half-star step 0..10 (0 = no stars)."""
    return int(math.floor(normalize(value) + 0.5))
