"""What every export parser shares: the row records, the one error, and CSV reading.

Users bring files that went through Excel, other locales and zip tools, so
the reading here is forgiving about encodings, separators and dates, and
strict about what becomes a rating: nothing but :class:`SourceError` ever
escapes, a row with fewer fields than the header (a file cut short) is
refused, a number is plain ASCII digits in the format's own notation
(``int``/``float`` would take ``1_0``, ``５`` or ``٥``), and a column read
twice (two ``Your Rating``) refuses the file instead of picking one.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from ..core.matching import normalize_title
from ..core.scale import RatingError

#: Files larger than this are refused before reading (configurable per call).
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_IMDB_ID = re.compile(r"^tt[0-9]{5,12}$")
_DIGITS = re.compile(r"^[0-9]{1,12}$")
_YEAR = re.compile(r"^\s*([0-9]{4})")


#: Surrogates that ``surrogateescape`` did not make (it makes only U+DC80-U+DCFF).
_OTHER_SURROGATES = re.compile("[\ud800-\udc7f\udd00-\udfff]")


def safe_text(text: object) -> str:
    """Text any UTF-8 writer accepts: undecodable bytes of a path become U+FFFD.

    ``os.fsdecode`` turns a byte it cannot decode into a surrogate
    (U+DC80-U+DCFF): that is turned back into the byte and decoded with
    ``replace``, so ``b'caf\\xe9'`` shows as ``caf\ufffd``; any other lone
    surrogate is replaced too. Text without surrogates comes back as it is.
    """
    s = text if isinstance(text, str) else str(text)
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        pass
    s = _OTHER_SURROGATES.sub("\ufffd", s)
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def display_path(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> str:
    """A path as messages and files show it: always encodable, never a crash."""
    raw = os.fspath(path)
    return safe_text(os.fsdecode(raw) if isinstance(raw, bytes) else raw)


class SourceError(Exception):
    """A whole file cannot be read; the message is meant for the user as it is."""


@dataclass(slots=True)
class SourceRow:
    """One rating read from an export, already on the Plex 0-10 scale."""

    line: int
    title: str
    year: int | None = None
    rating: float | None = None
    rating_raw: str = ""
    ids: dict[str, str] = field(default_factory=dict)
    kind_hint: str | None = None
    season: int | None = None
    episode: int | None = None
    show_title: str | None = None
    original_title: str | None = None
    date: str | None = None
    watched_only: bool = False
    #: Ids of the show an episode or season belongs to.
    show_ids: dict[str, str] = field(default_factory=dict)
    #: The file (or zip member) the row came from, for the unmatched list.
    source: str = ""
    #: The export's own link to the film when it names one (a Letterboxd film URI):
    #: two films with one title and year are told apart by it.
    uri: str = ""


@dataclass(slots=True)
class RowProblem:
    """A row that cannot become a rating, with the reason shown to the user."""

    line: int
    reason: str
    raw: dict[str, str] = field(default_factory=dict)
    detail: str = ""
    source: str = ""


@dataclass
class ParseResult:
    """Everything one export gave: usable rows, problem rows and counts."""

    format: str
    rows: list[SourceRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    #: Which file of the family it was (``ratings``, ``diary``, ``list``...).
    variant: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Table:
    """A decoded CSV: normalised column names and (line, cells) records."""

    columns: list[str]
    records: list[tuple[int, list[str]]]
    name: str = ""
    #: The header cells as the file spells them, for messages.
    headers: list[str] = field(default_factory=list)

    def col(self, *names: str) -> int | None:
        """Index of the first of ``names`` present (already normalised)."""
        for n in names:
            if n in self.columns:
                return self.columns.index(n)
        return None

    def width(self) -> int:
        """Fields a record must have: the header's, less empty names at its end
        (a header ending in a separator asks nothing of the rows)."""
        n = len(self.columns)
        while n and not self.columns[n - 1]:
            n -= 1
        return n

    def shown(self, idx: int) -> str:
        """Column ``idx`` as the file names it."""
        if idx < len(self.headers) and self.headers[idx].strip():
            return self.headers[idx].replace("\ufeff", "").strip().strip('"')
        return self.columns[idx]

    def refuse_duplicates(self, *groups: str | tuple[str, ...]) -> None:
        """SourceError when a column read (or two names of one) appears twice.

        ``Table.col`` would silently read the first of two ``Your Rating``
        columns; which one the user meant cannot be told, so the file is refused.
        """
        for group in groups:
            names = (group,) if isinstance(group, str) else group
            found = [i for i, c in enumerate(self.columns) if c in names]
            if len(found) > 1:
                shown = " and ".join(f"'{self.shown(i)}'" for i in found)
                what = (
                    f"the column '{self.shown(found[0])}' {len(found)} times"
                    if len({self.columns[i] for i in found}) == 1
                    else f"the columns {shown}, which mean the same"
                )
                raise SourceError(
                    f"{self.name} has {what}: which one to read cannot be told. "
                    "Remove the extra column and try again."
                )


def norm_header(name: str) -> str:
    """``'\\ufeffYour Rating '`` -> ``'your rating'``."""
    return " ".join(name.replace("\ufeff", "").strip().strip('"').casefold().split())


# --- bytes -> text -> table ------------------------------------------------------


def check_size(size: int, max_bytes: int, what: str) -> None:
    if size > max_bytes:
        raise SourceError(
            f"{what} is {size / 1048576:.1f} MB, more than the {max_bytes / 1048576:.0f} MB "
            "limit for an export file."
        )


def read_regular_file(path: str | os.PathLike[str], max_bytes: int, *, head: int = 0) -> bytes:
    """The bytes of a regular file, refusing devices and pipes at once and stopping at the limit.

    ``/dev/zero`` would read forever and a FIFO would block until a writer
    comes: both are refused before a byte is read. The size limit is kept
    while reading too, since a file may grow (or lie about its size).
    ``head`` > 0 reads only that many bytes (format detection).
    """
    shown = display_path(path)
    name = display_path(os.path.basename(os.fspath(path))) or shown
    try:
        st = os.stat(path)
    except OSError as exc:
        raise SourceError(f"{shown} cannot be read ({exc.strerror or exc}).") from exc
    if not stat.S_ISREG(st.st_mode):
        raise SourceError(
            f"{name} is not a regular file (a folder, device, pipe or socket): "
            "choose the export file itself."
        )
    limit = head or max_bytes
    if not head:
        check_size(st.st_size, max_bytes, name)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise SourceError(f"{shown} cannot be read ({exc.strerror or exc}).") from exc
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # swapped since the stat
            raise SourceError(f"{name} is not a regular file: choose the export file itself.")
        chunks: list[bytes] = []
        got = 0
        while got <= limit:
            block = fh.read(min(1 << 20, limit + 1 - got))
            if not block:
                break
            chunks.append(block)
            got += len(block)
    data = b"".join(chunks)
    if head:
        return data[:head]
    check_size(len(data), max_bytes, name)
    return data


def decode(data: bytes, name: str = "The file") -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else the Windows code page."""
    if not data.strip():
        raise SourceError(f"{name} is empty.")
    text: str | None = None
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError as exc:
                raise SourceError(f"{name} is not a text file.") from exc
            break
    if text is None:
        for enc in ("utf-8", "cp1252", "latin-1"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
    assert text is not None  # latin-1 decodes anything
    text = text.lstrip("\ufeff")
    head = text[:4096]
    junk = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in text or junk > len(head) * 0.02:
        raise SourceError(f"{name} is not a text file (it holds binary data).")
    if not text.strip():
        raise SourceError(f"{name} is empty.")
    return text


def _split_header(line: str, delim: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delim))
    except (csv.Error, StopIteration):
        return []


def read_table(
    text: str,
    sniff: Iterable[tuple[str, Callable[[set[str]], bool]]],
    name: str = "The file",
) -> tuple[str, Table]:
    """Find the separator and format from the header line, then read all records.

    ``sniff`` pairs a format name with a predicate over the set of normalised
    column names; the first separator and format that fit win.
    """
    first = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
    tests = list(sniff)
    for delim in (",", ";", "\t"):
        headers = _split_header(first, delim)
        cols = [norm_header(c) for c in headers]
        colset = set(cols)
        for fmt, pred in tests:
            if pred(colset):
                records = list(_records(text, delim, len(cols), name))
                return fmt, Table(cols, records, name, headers)
    raise SourceError(_unknown_header_message(first, name))


def _records(text: str, delim: str, width: int, name: str) -> Iterator[tuple[int, list[str]]]:
    # StringIO, not splitlines(): U+2028 or \x85 inside a title is not a new record.
    body = text.lstrip("\r\n")
    skipped = text[: len(text) - len(body)].count("\n")
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delim)
    start = 1 + skipped
    try:
        next(reader)  # header
        start = reader.line_num + 1 + skipped
        for cells in reader:
            line = start
            start = reader.line_num + 1 + skipped
            if not cells or all(not c.strip() for c in cells):
                continue
            yield line, cells
    except csv.Error as exc:
        raise SourceError(
            f"{name} has broken quoting near line {start} ({exc}); open it in a spreadsheet "
            "and save it again as CSV."
        ) from exc


#: Shown when a header is not recognised, so the user knows what was expected.
EXPECTED_HEADERS = (
    "IMDb ratings: Const,Your Rating,Date Rated,Title,...",
    "IMDb list: Position,Const,Created,...,Your Rating,Date Rated",
    "Letterboxd: Date,Name,Year,Letterboxd URI[,Rating,...]",
    "TMDB: TMDb ID,IMDb ID,Type,Name,...,Your Rating,Date Rated",
    "Trakt: ratings-movies.json / ratings-shows.json / ratings-episodes.json",
)


def _unknown_header_message(first: str, name: str) -> str:
    shown = first[:120] + ("…" if len(first) > 120 else "")
    lowered = first.casefold()
    known = ("const", "your rating", "letterboxd uri", "tmdb id", "name")
    if any(k in lowered for k in known) and not any(d in first for d in ",;\t"):
        seps = sorted({ch for ch in first if ch in "|:/"})
        hint = f" (it seems to use {' '.join(repr(s) for s in seps)})" if seps else ""
        return (
            f"{name}: the columns could not be split{hint}. Expected a comma, semicolon "
            f"or tab between columns. First line: {shown!r}"
        )
    return (
        f"{name} is not a ratings export this program knows. First line: {shown!r}. "
        "Expected one of: " + "; ".join(EXPECTED_HEADERS) + "."
    )


# --- cell readers -------------------------------------------------------------------


def cell(cells: list[str], idx: int | None) -> str:
    """The trimmed cell, or ``''`` when the column is missing or the row is short."""
    if idx is None or idx >= len(cells):
        return ""
    return cells[idx].strip()


def raw_dict(table: Table, cells: list[str]) -> dict[str, str]:
    """The record as column -> text, for problem reports (trimmed to a sane size)."""
    out = {c: (cells[i][:300] if i < len(cells) else "") for i, c in enumerate(table.columns)}
    for extra, value in enumerate(cells[len(table.columns) :], 1):
        out[f"extra {extra}"] = value[:300]
    return out


def parse_year(text: str) -> int | None:
    """``1994``, ``1994.0``, ``2008–2013`` and ``1994-09-23`` all give 1994."""
    m = _YEAR.match(text or "")
    if not m:
        return None
    y = int(m.group(1))
    return y if 1870 <= y <= 2100 else None


def parse_int(text: str) -> int | None:
    """``3`` and ``3.0`` -> 3; anything but plain ASCII digits -> None."""
    s = (text or "").strip()
    if s.endswith(".0"):
        s = s[:-2]
    return int(s) if s.isascii() and s.isdigit() and len(s) < 6 else None


def plain_number(text: str, notation: re.Pattern[str], what: str) -> None:
    """RatingError unless ``text`` is written exactly as the format writes numbers.

    ``float`` reads ``1_0`` as 10, ``5,5`` after a swap as 5.5, ``４`` and
    ``٤`` as 4, and ``4.`` (the end of ``4.5`` cut off) as 4: each is refused
    so the row is listed with its line instead of written wrong. ``what``
    says what the format writes, for the message.
    """
    if text and not notation.fullmatch(text):
        raise RatingError(f"{text!r} is not a rating as the file's format writes it ({what})")


def imdb_id(text: str) -> str | None:
    """``tt0111161`` (also from an IMDb URL), else None."""
    s = (text or "").strip()
    m = re.search(r"tt[0-9]{5,12}", s)
    return m.group(0) if m and _IMDB_ID.match(m.group(0)) else None


def numeric_id(value: object) -> str | None:
    """TMDB/TVDB ids as text digits (``'550'``, ``550`` and ``550.0`` alike)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if value != value or value <= 0 or value != int(value):
            return None
        value = int(value)
    s = str(value).strip()
    if s.endswith(".0"):
        s = s[:-2]
    return s if _DIGITS.match(s) and int(s) > 0 else None


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%a %b %d %H:%M:%S %Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
)
_SLASH_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}|[0-9]{2})(?:\s.*)?$")


def day_first(values: Iterable[str]) -> bool:
    """Whether a column of ``a/b/YYYY`` dates is D/M (a day above 12 appears first)."""
    first_big = second_big = False
    for v in values:
        m = _SLASH_DATE.match(v.strip())
        if m:
            first_big |= int(m.group(1)) > 12
            second_big |= int(m.group(2)) > 12
    return first_big and not second_big


def parse_date(text: str, *, dayfirst: bool = False) -> str | None:
    """Any date the exports or Excel write -> ``YYYY-MM-DD``; None when unreadable."""
    # " ".join: IMDb's pre-2017 dates pad single-digit days ("Sun Mar  1 00:00:00 2015").
    s = " ".join((text or "").split())
    if not s:
        return None
    m = _SLASH_DATE.match(s)
    if m:
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if y < 100:
            y += 2000 if y < 70 else 1900
        month, day = (b, a) if dayfirst else (a, b)
        try:
            return datetime(y, month, day).strftime("%Y-%m-%d")
        except ValueError:
            return None
    s = s.replace("Z", "").split(".")[0] if "T" in s else s
    s = re.sub(r"[+-][0-9]{2}:?[0-9]{2}$", "", s) if "T" in s else s
    if not s.isascii():
        return None  # strptime reads other scripts' digits too
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt).strftime("%Y-%m-%d")
        except ValueError:
            continue
    return None


# --- the end of every parser: drop duplicates -----------------------------------------


def row_key(row: SourceRow, *, with_uri: bool = True) -> tuple[object, ...]:
    """Identity of what a row rates: its first id, else its normalised title and year.

    Two films can share a title and a year (remakes, shorts of 1897): the film's
    URI, when the row has one, keeps them apart (``with_uri=False`` leaves it out).
    """
    for scheme in ("imdb", "tmdb", "tvdb"):
        if row.ids.get(scheme):
            return ("id", scheme, row.ids[scheme], row.kind_hint, row.season, row.episode)
    show = ""
    for scheme in ("imdb", "tmdb", "tvdb"):
        if row.show_ids.get(scheme):
            show = f"{scheme}:{row.show_ids[scheme]}"
            break
    return (
        "title",
        normalize_title(row.title),
        row.year,
        row.kind_hint,
        row.season,
        row.episode,
        show or normalize_title(row.show_title or ""),
        row.uri if with_uri else "",
    )


def finish(result: ParseResult, rows: list[SourceRow], raws: dict[int, dict[str, str]]) -> None:
    """Keep one row per item: identical repeats are 'duplicate row'; a conflicting
    repeat keeps the newest rating (by date, then by position) and reports the other."""
    kept: dict[tuple[object, ...], SourceRow] = {}
    for row in rows:
        k = row_key(row)
        prev = kept.get(k)
        if prev is None:
            kept[k] = row
            continue
        if prev.rating == row.rating and prev.watched_only == row.watched_only:
            drop, keep, reason = row, prev, "duplicate row"
        else:
            newer = (row.date or "") >= (prev.date or "")
            keep, drop = (row, prev) if newer else (prev, row)
            if keep.watched_only and not drop.watched_only:
                keep, drop = drop, keep  # a rating beats a bare "watched"
            reason = "conflicting duplicate"
        kept[k] = keep
        result.problems.append(
            RowProblem(
                drop.line,
                reason,
                raws.get(id(drop), {}),
                detail=f"same item as line {keep.line}",
                source=drop.source,
            )
        )
        result.counts[reason] += 1
    result.rows = sorted(kept.values(), key=lambda r: (r.source, r.line))
    result.problems.sort(key=lambda p: (p.source, p.line))
    result.counts["rated"] = sum(1 for r in result.rows if r.rating is not None)
    result.counts["watched only"] = sum(1 for r in result.rows if r.watched_only)


def malformed(table: Table, cells: list[str], *needed: int | None) -> str:
    """Why a record cannot be read as its header says ('' when it can); a non-empty
    answer is true.

    A record with fewer fields than the header is a file cut short (the last
    line of ``tt0066810,10`` cut to ``tt0066810,1``) or a lost separator:
    whatever its cells hold, they cannot be trusted. Non-empty extra cells
    mean an unquoted separator inside a title shifted every column after it.
    """
    width = len(table.columns)
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        return f"{len(cells)} fields for {width} columns: a separator inside a value?"
    need = max([table.width(), *(i + 1 for i in needed if i is not None)])
    if len(cells) < need:
        return f"only {len(cells)} of {need} fields: the row is cut short"
    return ""


def problem(
    result: ParseResult, line: int, reason: str, raw: dict[str, str], detail: str = "", source=""
) -> None:
    """Record a per-row problem and count it under its reason."""
    result.problems.append(RowProblem(line, reason, raw, detail, source))
    result.counts[reason] += 1
