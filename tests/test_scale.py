"""Table-driven tests: every convention of reference/rating-tags.md and csv-exports.md."""

from __future__ import annotations

import pytest

from ratings_gui.core import scale as s

# --- POPM -------------------------------------------------------------------------

# (byte, email, plex) from the read table: non-linear e-mails
POPM_READ = [
    (0, "", None),
    (1, "Windows Media Player 9 Series", 2.0),
    (2, "", 1.0),
    (13, "no@email", 1.0),
    (22, "", 1.0),
    (23, "", 2.0),
    (31, "", 2.0),
    (32, "", 3.0),
    (54, "MusicBee", 3.0),
    (63, "", 3.0),
    (64, "", 4.0),
    (95, "", 4.0),
    (96, "", 5.0),
    (118, "no@email", 5.0),
    (128, "", 6.0),
    (159, "", 6.0),
    (160, "", 7.0),
    (186, "", 7.0),
    (192, "Banshee", 8.0),
    (196, "", 8.0),
    (223, "", 8.0),
    (224, "", 9.0),
    (242, "", 9.0),
    (254, "", 9.0),
    (255, "rating@winamp.com", 10.0),
]


@pytest.mark.parametrize(("byte", "email", "plex"), POPM_READ)
def test_popm_read_table(byte: int, email: str, plex: float | None) -> None:
    assert s.popm_to_plex(byte, email) == plex


# Linear owners: Plex = max(1, round(byte*10/255))
@pytest.mark.parametrize(
    ("byte", "plex"),
    [(51, 2.0), (102, 4.0), (153, 6.0), (204, 8.0), (255, 10.0), (3, 1.0), (25, 1.0), (26, 1.0)],
)
@pytest.mark.parametrize(
    "email",
    ["users@musicbrainz.org", "traktor@native-instruments.de", "quodlibet@lists.sacredchao.net"],
)
def test_popm_read_linear(byte: int, plex: float, email: str) -> None:
    assert s.popm_to_plex(byte, email) == plex


def test_popm_write_table_roundtrips_for_every_step() -> None:
    assert [s.plex_to_popm(v) for v in range(1, 11)] == [
        13,
        1,
        54,
        64,
        118,
        128,
        186,
        196,
        242,
        255,
    ]
    for v in range(1, 11):
        assert s.popm_to_plex(s.plex_to_popm(v)) == v
    assert s.plex_to_popm(None) == 0


@pytest.mark.parametrize("v", range(1, 11))
def test_popm_linear_write_reads_back(v: int) -> None:
    email = "users@musicbrainz.org"
    assert s.popm_to_plex(s.plex_to_popm(v, email), email) == v


@pytest.mark.parametrize(
    ("byte", "stars"),
    [
        (0, 0),
        (1, 1),
        (31, 1),
        (32, 2),
        (95, 2),
        (96, 3),
        (159, 3),
        (160, 4),
        (223, 4),
        (224, 5),
        (255, 5),
    ],
)
def test_explorer_bands(byte: int, stars: int) -> None:
    assert s.explorer_popm_stars(byte) == stars


def test_popm_out_of_range() -> None:
    with pytest.raises(s.RatingError):
        s.popm_to_plex(256)


# --- 0-100, 0-1, 1-5, Vorbis heuristics ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "plex"),
    [
        ("50", 5.0),  # 0-100 (MusicBee, MediaMonkey, Kodi)
        ("100", 10.0),
        ("20", 2.0),
        ("0.5", 5.0),  # float <= 1
        ("0.8", 8.0),
        ("3", 6.0),  # foobar2000 1-5
        ("5", 10.0),
        ("1", 2.0),
        ("0", None),
        ("90", 9.0),
    ],
)
def test_vorbis_rating_read(text: str, plex: float | None) -> None:
    assert s.vorbis_rating_to_plex(text) == plex


@pytest.mark.parametrize("text", ["7", "8", "10", "6"])
def test_vorbis_ambiguous_needs_the_setting(text: str) -> None:
    with pytest.raises(s.RatingError, match="ambiguous"):
        s.vorbis_rating_to_plex(text)
    assert s.vorbis_rating_to_plex(text, zero_to_ten=True) == float(text)


@pytest.mark.parametrize("text", ["abc", "", "-5", "101", "nan"])
def test_vorbis_rating_rejects_junk(text: str) -> None:
    with pytest.raises(s.RatingError):
        s.vorbis_rating_to_plex(text)


@pytest.mark.parametrize("v", range(1, 11))
def test_percent_and_fraction_round_trip(v: int) -> None:
    assert s.plex_to_percent(v) == v * 10
    assert s.percent_to_plex(s.plex_to_percent(v)) == v
    assert s.fraction_to_plex(s.plex_to_fraction(v)) == v
    assert s.plex_to_fraction(v) == v / 10


def test_unrated_is_removed_not_zero() -> None:
    assert s.plex_to_percent(None) is None
    assert s.plex_to_fraction(None) is None
    assert s.plex_to_five(None) is None
    assert s.plex_to_asf(None) == 0


@pytest.mark.parametrize(
    ("plex", "five"), [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (6, 3), (9, 5), (10, 5)]
)
def test_foobar_five(plex: int, five: int) -> None:
    assert s.plex_to_five(plex) == five
    assert s.five_to_plex(five) == five * 2


# --- WMA / ASF ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "plex"),
    [
        (0, None),
        (1, 2.0),
        (12, 2.0),
        (13, 4.0),
        (25, 4.0),
        (37, 4.0),
        (38, 6.0),
        (50, 6.0),
        (62, 6.0),
        (63, 8.0),
        (75, 8.0),
        (86, 8.0),
        (87, 10.0),
        (99, 10.0),
    ],
)
def test_asf_read_bands(value: int, plex: float | None) -> None:
    assert s.asf_to_plex(value) == plex


@pytest.mark.parametrize(
    ("plex", "value"), [(2, 1), (4, 25), (6, 50), (8, 75), (10, 99), (1, 1), (3, 25), (9, 99)]
)
def test_asf_write(plex: int, value: int) -> None:
    assert s.plex_to_asf(plex) == value


# --- exports -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "plex"), [("4", 8.0), ("4.5", 9.0), ("0.5", 1.0), ("5", 10.0), ("", None)]
)
def test_letterboxd(text: str, plex: float | None) -> None:
    assert s.letterboxd_to_plex(text) == plex


@pytest.mark.parametrize("text", ["4.3", "6", "0", "x"])
def test_letterboxd_rejects(text: str) -> None:
    with pytest.raises(s.RatingError):
        s.letterboxd_to_plex(text)


@pytest.mark.parametrize(("text", "plex"), [("8", 8.0), ("8.0", 8.0), ("10", 10.0), ("1", 1.0)])
def test_ten_point(text: str, plex: float) -> None:
    assert s.ten_to_plex(text) == plex


@pytest.mark.parametrize("text", ["0", "11", "eight"])
def test_ten_point_rejects(text: str) -> None:
    with pytest.raises(s.RatingError):
        s.ten_to_plex(text)


# --- user input and display -------------------------------------------------------------------------

PARSE = [
    ("4.5", "stars", 9.0),
    ("4½", "stars", 9.0),
    ("4,5", "stars", 9.0),
    ("½", "stars", 1.0),
    ("9/10", "stars", 9.0),
    ("4/5", "stars", 8.0),
    ("80%", "stars", 8.0),
    ("★★★½", "stars", 7.0),
    ("★★☆☆☆", "stars", 4.0),
    ("3", "stars", 6.0),
    ("7", "plex", 7.0),
    ("7.25", "plex", 7.3),
    ("", "stars", None),
    ("-", "stars", None),
    ("none", "plex", None),
]


@pytest.mark.parametrize(("text", "scale", "plex"), PARSE)
def test_parse_rating(text: str, scale: str, plex: float | None) -> None:
    assert s.parse_rating(text, scale=scale) == plex


@pytest.mark.parametrize("text", ["6", "abc", "11/10", "4/0", "120%", "★x", "inf"])
def test_parse_rating_rejects(text: str) -> None:
    with pytest.raises(s.RatingError):
        s.parse_rating(text)


@pytest.mark.parametrize(
    ("plex", "glyphs", "text"),
    [
        (7, True, "★★★½"),
        (10, True, "★★★★★"),
        (1, True, "½"),
        (None, True, "-"),
        (8, False, "4★"),
        (7.3, True, "3.65★"),
    ],
)
def test_format_stars(plex: float | None, glyphs: bool, text: str) -> None:
    assert s.format_stars(plex, glyphs=glyphs) == text


def test_format_both_and_plex_rounding() -> None:
    assert s.format_both(8) == "8 (4★)"
    assert s.format_both(None) == "unrated"
    assert s.normalize(3.29) == 3.3
    assert s.normalize(11) == 10.0
    assert s.same(3.29, 3.3)
    assert not s.same(None, 0)
    assert s.same(None, None)
