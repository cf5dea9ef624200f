"""``--selftest``: prove that a build (frozen or not) has everything it needs, without a window.

A windowed exe has no console, so the result is the exit code (0 = all
checks passed) and, on request, a plain-text report file. Output goes to
stdout only when there is one: in a ``console=False`` PyInstaller build
``sys.stdout`` and ``sys.stderr`` are None and must not be touched.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import pkgutil
import platform
import sqlite3
import struct
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ratings_gui
from ratings_gui import resources

#: Third-party packages the program cannot run without.
THIRD_PARTY = ("plexapi", "mutagen", "keyring", "platformdirs", "customtkinter", "requests")
#: Package modules that must be found by the walk (a spec that forgot its
#: hidden imports would otherwise pass with a short list).
REQUIRED_MODULES = (
    "ratings_gui.cli",
    "ratings_gui.core",
    "ratings_gui.gui",
    "ratings_gui.journal",
    "ratings_gui.resources",
    "ratings_gui.selftest",
    "ratings_gui.settings",
)
#: Modules never imported by the walk: running ``__main__`` is the caller's job.
SKIP_MODULES = frozenset({"ratings_gui.__main__"})
CTK_THEMES = ("blue.json", "dark-blue.json", "green.json")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_PNG_SIZE = 256
ICO_REQUIRED_SIZES = (16, 32, 48, 256)
#: The keyring backend module each platform's build must contain.
KEYRING_PLATFORM_BACKEND = {
    "win32": "keyring.backends.Windows",
    "darwin": "keyring.backends.macOS",
    "linux": "keyring.backends.SecretService",
}
#: Platforms where that backend must also be viable (its native dependencies bundled).
KEYRING_MUST_BE_VIABLE = frozenset({"win32", "darwin"})


class CheckError(Exception):
    """A check found something wrong; the message says what."""


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


# --- checks: each returns a one-line detail or raises ----------------------------------------


def check_environment() -> str:
    frozen = "frozen" if resources.is_frozen() else "source"
    return (
        f"{ratings_gui.APP_NAME} {ratings_gui.__version__}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {frozen}"
    )


def _walk_package(package_name: str) -> tuple[list[str], list[str]]:
    """Import ``package_name`` and every module below it; return (imported, failures)."""
    imported: list[str] = []
    failures: list[str] = []
    pending = [package_name]
    while pending:
        name = pending.pop(0)
        if name in SKIP_MODULES:
            continue
        try:
            module = importlib.import_module(name)
        except BaseException as exc:  # noqa: BLE001 - a SystemExit at import is a failure too
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{name} ({type(exc).__name__}: {exc})")
            continue
        imported.append(name)
        path = getattr(module, "__path__", None)
        if path is not None:
            children = sorted(info.name for info in pkgutil.iter_modules(path, name + "."))
            pending.extend(children)
    return imported, failures


def check_package_modules() -> str:
    imported, failures = _walk_package("ratings_gui")
    missing = [name for name in REQUIRED_MODULES if name not in imported]
    if failures:
        raise CheckError("could not import " + "; ".join(failures))
    if missing:
        raise CheckError(f"not found by the walk: {', '.join(missing)} ({len(imported)} imported)")
    return f"{len(imported)} modules imported"


def check_third_party() -> str:
    versions = []
    failures = []
    for name in THIRD_PARTY:
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - report every missing package at once
            failures.append(f"{name} ({type(exc).__name__}: {exc})")
            continue
        version = getattr(module, "__version__", None) or getattr(module, "version_string", None)
        if not isinstance(version, str):
            try:
                version = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                version = "?"
        versions.append(f"{name} {version}")
    if failures:
        raise CheckError("could not import " + "; ".join(failures))
    return ", ".join(versions)


def check_tcl() -> str:
    """Tcl starts (its init.tcl is found) and Tk's script library is present; no window."""
    import tkinter

    patchlevel = tkinter.Tcl().eval("info patchlevel")
    detail = f"Tcl {patchlevel}, Tk {tkinter.TkVersion}"
    tk_library = os.environ.get("TK_LIBRARY")
    if tk_library:
        if not (Path(tk_library) / "tk.tcl").is_file():
            raise CheckError(f"tk.tcl missing from TK_LIBRARY={tk_library}")
        detail += ", tk.tcl present"
    return detail


def check_customtkinter_data() -> str:
    import customtkinter

    themes = Path(customtkinter.__file__).resolve().parent / "assets" / "themes"
    names = []
    for theme in CTK_THEMES:
        path = themes / theme
        if not path.is_file():
            raise CheckError(f"theme file missing: {path}")
        data = json.loads(path.read_text(encoding="utf-8"))
        if "CTk" not in data:
            raise CheckError(f"theme file {theme} has no 'CTk' section")
        names.append(theme)
    # The widget shapes font (without it customtkinter falls back to rough circles).
    fonts = themes.parent / "fonts"
    shapes = fonts / "CustomTkinter_shapes_font.otf"
    if not shapes.is_file():
        raise CheckError(f"font file missing: {shapes}")
    roboto = sorted(p.name for p in (fonts / "Roboto").glob("*.ttf"))
    if not roboto:
        raise CheckError(f"no Roboto fonts in {fonts / 'Roboto'}")
    return f"themes {', '.join(names)}, shapes font, {len(roboto)} Roboto fonts in {themes.parent}"


def check_keyring_backends() -> str:
    """The platform's keyring backend is bundled; on Windows and macOS it must also be usable.

    (A headless Linux box has no Secret Service running, so there it only has to import.)
    """
    import keyring
    import keyring.backend

    expected = KEYRING_PLATFORM_BACKEND.get(sys.platform)
    if expected:
        importlib.import_module(expected)
    viable = sorted(
        {f"{type(b).__module__}.{type(b).__name__}" for b in keyring.backend.get_all_keyring()}
    )
    if expected and sys.platform in KEYRING_MUST_BE_VIABLE:
        if not any(name.startswith(expected + ".") for name in viable):
            raise CheckError(f"no usable backend from {expected}; viable: {', '.join(viable)}")
    chosen = type(keyring.get_keyring())
    return (
        f"platform backend {expected or 'n/a'} bundled; viable: {', '.join(viable) or 'none'}; "
        f"active {chosen.__module__}.{chosen.__name__}"
    )


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    if not data.startswith(PNG_SIGNATURE):
        raise CheckError(f"{path.name} is not a PNG (bad signature)")
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise CheckError(f"{path.name} has no IHDR chunk")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _ico_sizes(path: Path) -> list[int]:
    data = path.read_bytes()
    if len(data) < 6:
        raise CheckError(f"{path.name} is too short for an ICO header")
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    if reserved != 0 or kind != 1 or count == 0:
        raise CheckError(f"{path.name} has a bad ICO header ({reserved}, {kind}, {count})")
    if len(data) < 6 + 16 * count:
        raise CheckError(f"{path.name} is truncated ({count} entries announced)")
    sizes = []
    for index in range(count):
        width, _h, _c, _r, _p, _b, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index : 22 + 16 * index]
        )
        if offset + length > len(data):
            raise CheckError(f"{path.name} entry {index} points past the end of the file")
        sizes.append(width or 256)
    return sizes


def check_icons() -> str:
    png = resources.icon_png()
    ico = resources.icon_ico()
    for path in (png, ico):
        if not path.is_file():
            raise CheckError(f"missing: {path}")
    width, height = _png_size(png)
    if width < MIN_PNG_SIZE or height < MIN_PNG_SIZE:
        raise CheckError(f"{png.name} is {width}x{height}, smaller than {MIN_PNG_SIZE}")
    sizes = _ico_sizes(ico)
    lacking = [size for size in ICO_REQUIRED_SIZES if size not in sizes]
    if lacking:
        raise CheckError(f"{ico.name} lacks sizes {lacking} (has {sorted(sizes)})")
    return f"{png.name} {width}x{height}, {ico.name} sizes {sorted(sizes)}, in {png.parent}"


def check_sqlite() -> str:
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, value TEXT)")
        connection.execute("INSERT INTO t (value) VALUES (?)", ("ok",))
        (value,) = connection.execute("SELECT value FROM t").fetchone()
        if value != "ok":
            raise CheckError(f"read back {value!r}")
    finally:
        connection.close()
    return f"SQLite {sqlite3.sqlite_version} in memory"


CHECKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("environment", check_environment),
    ("package modules", check_package_modules),
    ("third-party packages", check_third_party),
    ("tcl/tk", check_tcl),
    ("customtkinter data", check_customtkinter_data),
    ("keyring backends", check_keyring_backends),
    ("icons", check_icons),
    ("sqlite", check_sqlite),
)


def run_checks() -> list[Result]:
    """Run every check; one failing never stops the others."""
    results = []
    for name, check in CHECKS:
        try:
            results.append(Result(name, True, check()))
        except CheckError as exc:
            results.append(Result(name, False, str(exc)))
        except BaseException as exc:  # noqa: BLE001 - a broken build may raise anything
            if isinstance(exc, KeyboardInterrupt):
                raise
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            results.append(Result(name, False, last))
    return results


def format_report(results: list[Result]) -> str:
    passed = sum(result.ok for result in results)
    verdict = "PASS" if passed == len(results) else "FAIL"
    lines = [f"{ratings_gui.APP_TITLE} selftest"]
    lines += [result.line() for result in results]
    lines.append(f"RESULT: {verdict} ({passed}/{len(results)} checks passed)")
    return "\n".join(lines) + "\n"


def _emit(text: str, stream_name: str = "stdout") -> None:
    """Write to sys.stdout/sys.stderr if it exists; never raise (windowed builds have none)."""
    stream = getattr(sys, stream_name, None)
    if stream is None:
        return
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError, AttributeError):
        pass
    except UnicodeEncodeError:  # a legacy console code page
        try:
            stream.write(text.encode("ascii", "replace").decode("ascii"))
        except Exception:  # noqa: BLE001 - output is a courtesy, the exit code is the result
            pass


def run(report_file: str | None = None) -> int:
    """Run every check; return 0 if all passed, else 1. Writes ``report_file`` when given."""
    results = run_checks()
    report = format_report(results)
    code = 0 if all(result.ok for result in results) else 1
    if report_file:
        try:
            path = Path(report_file)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(report, encoding="utf-8")
        except OSError as exc:
            report += f"FAIL  report: could not write {report_file}: {exc}\n"
            code = 1
    _emit(report)
    return code
