"""Rating exports users bring (IMDb, Letterboxd, TMDB, Trakt) -> :class:`ParseResult`.

One module per format, each with ``sniff(columns)`` and ``parse(table)``;
this module finds the format from the header (or takes the user's word),
opens zips and folders, and guarantees that nothing but :class:`SourceError`
comes out, whatever the file holds.
"""

from __future__ import annotations

import functools
import io
import os
import stat
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from . import imdb, letterboxd, tmdb, trakt
from .base import (
    DEFAULT_MAX_BYTES,
    ParseResult,
    RowProblem,
    SourceError,
    SourceRow,
    Table,
    check_size,
    decode,
    display_path,
    read_regular_file,
    read_table,
)
from .export import ratings_to_letterboxd_csv, ratings_to_plain_csv, write_unmatched_csv

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "ParseResult",
    "RowProblem",
    "SourceError",
    "SourceRow",
    "detect_format",
    "load",
    "parse_bytes",
    "ratings_to_letterboxd_csv",
    "ratings_to_plain_csv",
    "write_unmatched_csv",
]

#: CSV formats: name -> (sniff(columns), parse(table)). Trakt is JSON, handled apart.
CSV_FORMATS: dict[str, tuple[Callable[[set[str]], bool], Callable[[Table], ParseResult]]] = {
    imdb.NAME: (imdb.sniff, imdb.parse),
    tmdb.NAME: (tmdb.sniff, tmdb.parse),
    letterboxd.NAME: (letterboxd.sniff, letterboxd.parse),
}
FORMATS = (imdb.NAME, letterboxd.NAME, tmdb.NAME, trakt.NAME)
#: Names shown to the user.
DISPLAY = {imdb.NAME: "IMDb", letterboxd.NAME: "Letterboxd", tmdb.NAME: "TMDB", trakt.NAME: "Trakt"}

_ZIP_MAGIC = b"PK\x03\x04"
#: Letterboxd export folders whose CSVs are not the user's current ratings.
_SKIP_DIRS = {"deleted", "orphaned", "likes", "lists", "__macosx"}
_MAX_MEMBERS = 2000


def _check_fmt(fmt: str | None) -> None:
    if fmt is not None and fmt not in FORMATS:
        raise SourceError(f"Unknown format {fmt!r}; choose one of {', '.join(FORMATS)}.")


def _looks_json(text: str) -> bool:
    return text.lstrip()[:1] in ("[", "{")


def _sniffers(fmt: str | None) -> list[tuple[str, Callable[[set[str]], bool]]]:
    return [(n, s) for n, (s, _) in CSV_FORMATS.items() if fmt is None or n == fmt]


def _parse_text(text: str, fmt: str | None, name: str) -> ParseResult:
    if _looks_json(text) and fmt in (None, trakt.NAME):
        return trakt.parse_text(text, name)
    if fmt == trakt.NAME:
        raise SourceError(f"{name} is not a Trakt export (Trakt exports are JSON files).")
    try:
        found, table = read_table(text, _sniffers(fmt), name)
    except SourceError:
        if fmt is None:
            raise
        actual, _ = read_table(text.split("\n", 1)[0], _sniffers(None), name)
        raise SourceError(
            f"{name} looks like an export from {DISPLAY[actual]}, not from {DISPLAY[fmt]}."
        ) from None
    return CSV_FORMATS[found][1](table)


def _member_kind(path: str) -> str | None:
    """``letterboxd`` / ``trakt`` / ``csv`` for export members worth reading, else None."""
    p = PurePosixPath(path.replace("\\", "/"))
    if any(part.casefold() in _SKIP_DIRS for part in p.parts[:-1]):
        return None
    base = p.name.casefold()
    if base in letterboxd.MEMBERS:
        return letterboxd.NAME
    if trakt.is_ratings_name(base):
        return trakt.NAME
    if base.endswith(".csv") and not base.startswith("."):
        return "csv"
    return None


def _parse_members(
    members: dict[str, bytes] | dict[str, Callable[[], bytes]], fmt: str | None, name: str
) -> ParseResult:
    """The export files found in a zip or folder -> one result (Trakt or Letterboxd first)."""
    kinds = {m: _member_kind(m) for m in members}
    shown = display_path  # member names as messages and the unmatched list show them

    def data(m: str) -> bytes:
        v = members[m]
        return v() if callable(v) else v

    if fmt in (None, trakt.NAME):
        jsons = sorted(m for m, k in kinds.items() if k == trakt.NAME)
        if jsons:
            parts = [trakt.parse_text(decode(data(m), shown(m)), shown(m)) for m in jsons]
            return trakt.merge(parts)
    if fmt in (None, letterboxd.NAME):
        lb = [m for m, k in kinds.items() if k == letterboxd.NAME]
        if lb:
            depth = min(len(PurePosixPath(m).parts) for m in lb)
            chosen = {
                PurePosixPath(m).name.casefold(): m
                for m in lb
                if len(PurePosixPath(m).parts) == depth
            }
            parts = []
            for base in letterboxd.MEMBERS:
                if base in chosen:
                    m = chosen[base]
                    text = decode(data(m), shown(m))
                    found, table = read_table(text, _sniffers(letterboxd.NAME), shown(m))
                    parts.append(letterboxd.parse(table))
            return letterboxd.merge(parts)
    for m in sorted(m for m, k in kinds.items() if k == "csv"):
        try:
            return _parse_text(decode(data(m), shown(m)), fmt, shown(m))
        except SourceError:
            continue
    raise SourceError(
        f"{name} holds no ratings this program knows (looked for Letterboxd ratings.csv / "
        "diary.csv, Trakt ratings-*.json, IMDb or TMDB CSVs)."
    )


def _parse_zip(data: bytes, fmt: str | None, name: str, max_bytes: int) -> ParseResult:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()][:_MAX_MEMBERS]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise SourceError(f"{name} is not a readable zip file ({exc}).") from exc
    wanted = [i for i in infos if _member_kind(i.filename)]
    check_size(sum(i.file_size for i in wanted), max_bytes, f"The content of {name}")

    def reader(info: zipfile.ZipInfo) -> Callable[[], bytes]:
        def read() -> bytes:
            try:
                with zf.open(info) as fh:
                    out = fh.read(max_bytes + 1)
            except (
                zipfile.BadZipFile,
                zlib.error,  # a damaged deflate stream
                OSError,
                ValueError,
                EOFError,
                NotImplementedError,
            ) as exc:
                raise SourceError(f"{info.filename} in {name} cannot be read ({exc}).") from exc
            check_size(len(out), max_bytes, info.filename)
            return out

        return read

    return _parse_members({i.filename: reader(i) for i in wanted}, fmt, name)


def _parse_bytes(data: bytes, fmt: str | None, name: str, max_bytes: int) -> ParseResult:
    check_size(len(data), max_bytes, name)
    if data.startswith(_ZIP_MAGIC):
        return _parse_zip(data, fmt, name, max_bytes)
    return _parse_text(decode(data, name), fmt, name)


def _guard(fn: Callable[[], ParseResult], name: str) -> ParseResult:
    """The parsers' promise: a bug or an odd file becomes a SourceError, never a crash."""
    try:
        return fn()
    except SourceError:
        raise
    except (MemoryError, RecursionError) as exc:
        raise SourceError(f"{name} is too large or too deeply nested to read.") from exc
    except Exception as exc:  # noqa: BLE001 - the contract is "only SourceError"
        raise SourceError(f"{name} could not be read ({type(exc).__name__}: {exc}).") from exc


def parse_bytes(
    data: bytes,
    fmt: str | None = None,
    *,
    name: str = "The file",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ParseResult:
    """Parse an export already in memory (a CSV, a Trakt JSON or a zip of either)."""
    _check_fmt(fmt)
    return _guard(lambda: _parse_bytes(data, fmt, name, max_bytes), name)


def _folder_members(folder: Path, max_bytes: int) -> dict[str, Callable[[], bytes]]:
    out: dict[str, Callable[[], bytes]] = {}
    total = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d.casefold() not in _SKIP_DIRS]
        for f in files:
            p = Path(root, f)
            rel = p.relative_to(folder).as_posix()
            if _member_kind(rel) and len(out) < _MAX_MEMBERS:
                st = p.stat()
                if not stat.S_ISREG(st.st_mode):
                    continue  # a pipe or device named like an export would block or never end
                total += st.st_size
                out[rel] = functools.partial(read_regular_file, p, max_bytes)
    check_size(total, max_bytes, f"The export files in {display_path(folder.name)}")
    return out


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        return read_regular_file(path, max_bytes)
    except OSError as exc:
        raise SourceError(f"{display_path(path)} cannot be read ({exc.strerror or exc}).") from exc


#: Export files a folder may hold; more than one of these beside each other is ambiguous.
EXPORT_SUFFIXES = (".csv", ".zip", ".json")

#: The CSVs of one Letterboxd export (read together, so together they are one export).
LETTERBOXD_FILES = {
    "ratings.csv",
    "watched.csv",
    "diary.csv",
    "reviews.csv",
    "profile.csv",
    "comments.csv",
    "watchlist.csv",
}


def several_exports(folder: Path) -> list[str]:
    """The exports directly in ``folder`` when it holds more than one (else []).

    Only one export is read from a folder, so a second one beside it would be
    skipped without a word: the user chooses the file instead.
    """
    groups: set[str] = set()
    try:
        for p in folder.iterdir():
            name = p.name.casefold()
            if not p.is_file() or p.suffix.lower() not in EXPORT_SUFFIXES:
                continue
            if name in LETTERBOXD_FILES:
                groups.add("a Letterboxd export")
            elif name.endswith(".json"):
                groups.add("a Trakt export")
            else:
                groups.add(display_path(p.name))
    except OSError:
        return []
    return sorted(groups) if len(groups) > 1 else []


def several_exports_message(folder: Path, several: list[str]) -> str:
    return (
        f"The folder {display_path(folder.name)} holds more than one export ({', '.join(several)});"
        " only one would be read. Choose the file you mean."
    )


def load(
    path: str | os.PathLike[str], fmt: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> ParseResult:
    """Read an export file, zip or extracted folder; ``fmt`` overrides detection."""
    _check_fmt(fmt)
    p = Path(path)
    name = display_path(p.name) or display_path(p)

    def run() -> ParseResult:
        if p.is_dir():
            several = several_exports(p)
            if several:
                raise SourceError(several_exports_message(p, several))
            return _parse_members(_folder_members(p, max_bytes), fmt, name)
        if not p.exists():
            raise SourceError(f"{display_path(p)} does not exist.")
        return _parse_bytes(_read_file(p, max_bytes), fmt, name, max_bytes)

    return _guard(run, name)


def detect_format(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """``imdb`` / ``letterboxd`` / ``tmdb`` / ``trakt`` from the header (or the zip's files)."""
    p = Path(path)
    name = display_path(p.name) or display_path(p)

    def run() -> ParseResult:
        if p.is_dir():
            names = list(_folder_members(p, max_bytes))
            return ParseResult(_format_of_names(names, name))
        head = read_regular_file(p, max_bytes, head=65536)
        if head.startswith(_ZIP_MAGIC):
            try:
                with zipfile.ZipFile(p) as zf:
                    names = [i.filename for i in zf.infolist() if _member_kind(i.filename)]
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                raise SourceError(f"{name} is not a readable zip file ({exc}).") from exc
            fmt = _format_of_names(names, name, allow_csv=True)
            if fmt != "csv":
                return ParseResult(fmt)
            return ParseResult(load(p, max_bytes=max_bytes).format)
        text = decode(head, name)
        if _looks_json(text):
            return ParseResult(trakt.NAME)
        found, _ = read_table(text.splitlines()[0], _sniffers(None), name)
        return ParseResult(found)

    try:
        return _guard(run, name).format
    except OSError as exc:  # pragma: no cover - open() outside _guard's reach
        raise SourceError(f"{display_path(p)} cannot be read ({exc}).") from exc


def _format_of_names(names: list[str], where: str, allow_csv: bool = False) -> str:
    kinds = {_member_kind(n) for n in names}
    for fmt in (trakt.NAME, letterboxd.NAME):
        if fmt in kinds:
            return fmt
    if allow_csv and "csv" in kinds:
        return "csv"
    raise SourceError(f"{where} holds no Letterboxd or Trakt export files.")
