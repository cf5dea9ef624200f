"""Property: whatever bytes a user drops on the import, only SourceError comes out.

The internal entry point is used (not the public wrapper that turns any bug
into a SourceError), so a crash here is a real parser bug.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratings_gui.sources import FORMATS, SourceError, _parse_bytes, parse_bytes

FIX = Path(__file__).parent / "fixtures" / "exports"
SAMPLES = sorted(
    p.read_bytes() for p in FIX.rglob("*") if p.is_file() and p.suffix in (".csv", ".json", ".zip")
)
FMTS = [None, *FORMATS]
LIMIT = 1 << 20
#: Bytes that matter to CSV, JSON and encodings: quotes, separators, newlines, BOM parts.
SPECIAL = list(b'",;\t\r\n[]{}:\x00\xef\xbb\xbf\xff\xfe\\') + [0x80, 0xC3, 0xE2]

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check(data: bytes, fmt: str | None) -> None:
    try:
        result = _parse_bytes(data, fmt, "fuzz", LIMIT)
    except SourceError as exc:
        assert str(exc)
        return
    for row in result.rows:
        assert row.rating is None or 0 <= row.rating <= 10
        assert isinstance(row.title, str) and isinstance(row.line, int)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "dup"]))
        byte = draw(st.one_of(st.sampled_from(SPECIAL), st.integers(0, 255)))
        if op == "replace":
            data[pos] = byte
        elif op == "insert":
            data.insert(pos, byte)
        elif op == "delete":
            del data[pos]
        elif op == "truncate":
            del data[pos:]
        else:
            end = min(len(data), pos + draw(st.integers(1, 200)))
            data[pos:pos] = data[pos:end]
    return bytes(data)


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(FMTS))
def test_random_bytes(data, fmt):
    check(data, fmt)


@FUZZ
@given(mutated(), st.sampled_from(FMTS))
def test_mutated_valid_files(data, fmt):
    check(data, fmt)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["ratings.csv", "diary.csv", "ratings-movies.json",
                                           "x/watched.csv", "deleted/ratings.csv", "a.csv"]),
                          mutated()), max_size=4, unique_by=lambda t: t[0]))  # fmt: skip
def test_zips_of_mutated_files(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            zf.writestr(name, data)
    check(buf.getvalue(), None)


@FUZZ
@given(st.text(alphabet=st.sampled_from(list('abc,;"\n\r\t 0123456789.-/:[]{}é')), max_size=600))
def test_csv_shaped_text_after_a_valid_header(body):
    for head in (
        "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,"
        "Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n",
        "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n",
        "TMDb ID,IMDb ID,Type,Name,Release Date,Season Number,Episode Number,Rating,"
        "Your Rating,Date Rated\n",
    ):
        check((head + body).encode("utf-8"), None)


@pytest.mark.parametrize("data", [b"\xff\xfe" + b"\x00\xd8" * 10, b"\xfe\xff\x00", b'"' * 5000])
def test_public_wrapper_raises_only_source_error(data):
    try:
        parse_bytes(data)
    except SourceError:
        pass
