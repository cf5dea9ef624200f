"""Rows for the two scale.py fixes the tag layer needed (see the tags report)."""

from __future__ import annotations

import pytest

from ratings_gui.core import scale as s

QL = "quodlibet@lists.sacredchao.net"


@pytest.mark.parametrize("v", range(1, 11))
def test_quodlibet_popm_byte_is_int_255_r(v: int) -> None:
    # Quod Libet writes int(255 * r) with r = stars/5 = Plex/10.
    assert s.plex_to_popm(v, QL) == int(255 * (v / 10))
    assert s.popm_to_plex(s.plex_to_popm(v, QL), QL) == v


@pytest.mark.parametrize(
    ("text", "plex"),
    [("1", 2.0), ("1.0", 10.0), ("1.00", 10.0), ("1,0", 10.0), ("0.6", 6.0), ("5", 10.0)],
)
def test_vorbis_rating_one_point_zero_is_a_fraction(text: str, plex: float) -> None:
    assert s.vorbis_rating_to_plex(text) == plex
