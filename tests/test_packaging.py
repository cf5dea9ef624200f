"""Static checks of the Windows packaging: the spec, the icons, the batch files, the workflow.

The spec is executed with stand-ins for PyInstaller's classes, so what it
would pass to ``EXE`` is checked on any machine, PyInstaller installed or not.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import struct
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import ratings_gui

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "build_exe.spec"
ASSETS = REPO / "assets"
INSTALL_BAT = REPO / "install_requirements.bat"
BUILD_BAT = REPO / "build_exe.bat"
WORKFLOW = REPO / ".github" / "workflows" / "windows-exe.yml"
LINUX_SCRIPT = REPO / "scripts" / "build_linux_exe.sh"


# --- the spec -----------------------------------------------------------------------------------


class _Recorder:
    """Stands in for Analysis, PYZ, EXE, COLLECT and the version-info classes."""

    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs
        type(self).calls.append((type(self).__name__, args, kwargs))
        # Analysis attributes the spec hands on to PYZ and EXE.
        self.pure, self.scripts, self.binaries, self.datas = "pure", "scripts", "bins", "datas"


def _run_spec(monkeypatch: pytest.MonkeyPatch, platform: str) -> dict[str, _Recorder]:
    """Execute build_exe.spec as PyInstaller would, with recording stand-ins."""
    _Recorder.calls = []
    made: dict[str, _Recorder] = {}

    def recorder(name: str) -> type[_Recorder]:
        def init(self: _Recorder, *args: Any, **kwargs: Any) -> None:
            _Recorder.__init__(self, *args, **kwargs)
            made[name] = self

        return type(name, (_Recorder,), {"__init__": init})

    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_data_files = lambda package, **kw: [(f"<data of {package}>", package)]
    hooks.collect_submodules = lambda package, **kw: [f"<submodules of {package}>"]
    hooks.copy_metadata = lambda package, **kw: [(f"<metadata of {package}>", package)]
    versioninfo = types.ModuleType("PyInstaller.utils.win32.versioninfo")
    for name in (
        "VSVersionInfo",
        "FixedFileInfo",
        "StringFileInfo",
        "StringTable",
        "StringStruct",
        "VarFileInfo",
        "VarStruct",
    ):
        setattr(versioninfo, name, recorder(name))
    for name, module in (
        ("PyInstaller", types.ModuleType("PyInstaller")),
        ("PyInstaller.utils", types.ModuleType("PyInstaller.utils")),
        ("PyInstaller.utils.hooks", hooks),
        ("PyInstaller.utils.win32", types.ModuleType("PyInstaller.utils.win32")),
        ("PyInstaller.utils.win32.versioninfo", versioninfo),
    ):
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(sys, "platform", platform)
    namespace = {
        "__name__": "__main__",
        "__file__": str(SPEC),
        "SPECPATH": str(REPO),
        "Analysis": recorder("Analysis"),
        "PYZ": recorder("PYZ"),
        "EXE": recorder("EXE"),
        "COLLECT": recorder("COLLECT"),
    }
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    return made


def test_spec_parses_as_python() -> None:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert {"Analysis", "PYZ", "EXE"} <= called
    assert "COLLECT" not in called, "one-file builds have no COLLECT"


def test_spec_builds_one_windowed_file_on_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    made = _run_spec(monkeypatch, "linux")
    assert "COLLECT" not in made
    exe = made["EXE"]
    # One file: binaries and datas go into the EXE itself.
    assert [arg for arg in exe.args if isinstance(arg, str)] == ["scripts", "bins", "datas"]
    assert exe.kwargs["name"] == ratings_gui.APP_NAME == "ratings_gui"
    assert exe.kwargs["console"] is False
    assert exe.kwargs["upx"] is False
    assert exe.kwargs["version"] is None  # PyInstaller ignores it off Windows, with a warning


def test_spec_on_windows_sets_icon_and_version(monkeypatch: pytest.MonkeyPatch) -> None:
    made = _run_spec(monkeypatch, "win32")
    exe = made["EXE"]
    assert exe.kwargs["icon"] == [str(ASSETS / "icon.ico")]
    version = exe.kwargs["version"]
    assert type(version).__name__ == "VSVersionInfo"
    numbers = tuple(int(n) for n in ratings_gui.__version__.split(".")) + (0,)
    assert made["FixedFileInfo"].kwargs["filevers"] == numbers[:4]
    strings = {call[1][0]: call[1][1] for call in _Recorder.calls if call[0] == "StringStruct"}
    assert strings["ProductVersion"] == ratings_gui.__version__
    assert strings["ProductName"] == ratings_gui.APP_TITLE
    assert strings["OriginalFilename"] == "ratings_gui.exe"


def test_spec_collects_assets_data_and_hidden_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    analysis = _run_spec(monkeypatch, "linux")["Analysis"]
    assert analysis.args[0] == [str(REPO / "ratings_gui" / "__main__.py")]
    datas = analysis.kwargs["datas"]
    assert (str(ASSETS / "icon.png"), "assets") in datas
    assert (str(ASSETS / "icon.ico"), "assets") in datas
    assert ("<data of customtkinter>", "customtkinter") in datas
    hidden = analysis.kwargs["hiddenimports"]
    assert "<submodules of ratings_gui>" in hidden
    assert "<submodules of keyring.backends>" in hidden


# --- the icons ----------------------------------------------------------------------------------


def test_png_icon_is_a_large_png() -> None:
    data = (ASSETS / "icon.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width == height >= 256


def test_ico_icon_has_every_size_from_16_to_256() -> None:
    data = (ASSETS / "icon.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        width, height, _c, _r, _planes, bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index : 22 + 16 * index]
        )
        assert width == height
        assert bits == 32
        image = data[offset : offset + length]
        assert len(image) == length > 0
        if image.startswith(b"\x89PNG"):  # PNG entry: its own size must match the directory
            assert struct.unpack(">II", image[16:24]) == (width or 256, height or 256)
        sizes.append(width or 256)
    assert sorted(sizes) == [16, 24, 32, 48, 64, 128, 256]


def test_icon_tooling_is_not_a_runtime_dependency() -> None:
    """scripts/make_icon.py needs Pillow; the program must not."""
    requirements = (REPO / "requirements.txt").read_text(encoding="utf-8").lower()
    assert "pillow" not in requirements
    for path in (REPO / "ratings_gui").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+PIL\b", text, re.MULTILINE), path


# --- the batch files ----------------------------------------------------------------------------


def _bat(path: Path) -> str:
    raw = path.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), f"{path.name}: use CRLF"
    return raw.decode("ascii")


def test_install_bat_checks_python_and_installs_requirements() -> None:
    text = _bat(INSTALL_BAT)
    assert '--require-hashes -r "%LOCK%"' in text
    assert 'set "LOCK=requirements.lock"' in text
    assert 'set "LOCK=requirements-build.lock"' in text
    assert "sys.version_info >= (3, 10)" in text
    assert "https://www.python.org/downloads" in text
    assert "py -3" in text and "python" in text
    assert "-m venv" in text and ".venv" in text
    assert "--build" in text
    assert "requirements.txt" not in text, "install the lock, not the ranges"


def test_build_bat_installs_builds_and_selftests() -> None:
    text = _bat(BUILD_BAT)
    assert "install_requirements.bat" in text and "--build" in text
    assert "PyInstaller --noconfirm build_exe.spec" in text
    assert "dist\\ratings_gui.exe" in text and "--selftest" in text
    assert 'start "" /wait' in text and "ERRORLEVEL" in text


@pytest.mark.parametrize("path", [INSTALL_BAT, BUILD_BAT], ids=lambda p: p.name)
def test_bat_echo_inside_blocks_escapes_parentheses(path: Path) -> None:
    """An unescaped ')' in an echo inside an if-block ends the block early in cmd."""
    depth = 0
    for number, line in enumerate(_bat(path).splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(")"):
            depth -= 1
        if depth > 0 and stripped.lower().startswith("echo"):
            unescaped = re.sub(r"\^[()]", "", stripped)
            assert "(" not in unescaped and ")" not in unescaped, f"{path.name}:{number}"
        if stripped.endswith("("):
            depth += 1
    assert depth == 0, f"{path.name}: unbalanced blocks"


@pytest.mark.parametrize("path", [INSTALL_BAT, BUILD_BAT], ids=lambda p: p.name)
def test_bat_gotos_and_calls_have_labels(path: Path) -> None:
    text = _bat(path)
    labels = {m.lower() for m in re.findall(r"^:(\w+)", text, re.MULTILINE)}
    for target in re.findall(r"\b(?:goto|call)\s+:(\w+)", text, re.IGNORECASE):
        assert target.lower() in labels or target.lower() == "eof", target


# --- the Linux build script and the workflow ----------------------------------------------------


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_linux_build_script_is_valid_bash() -> None:
    subprocess.run(["bash", "-n", str(LINUX_SCRIPT)], check=True)
    text = LINUX_SCRIPT.read_text(encoding="utf-8")
    assert "build_exe.spec" in text
    assert "--require-hashes -r requirements-build.lock" in text
    assert "xvfb-run -a dist/ratings_gui --selftest --selftest-report" in text


def test_workflow_builds_selftests_and_keeps_the_exe() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    try:
        import yaml
    except ImportError:
        workflow = None
    else:
        workflow = yaml.safe_load(text)
    if workflow is not None:
        triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads 'on' as True
        assert {"push", "pull_request", "workflow_dispatch"} <= set(triggers)
        build = workflow["jobs"]["build"]
        assert build["runs-on"] == "windows-latest"
        steps = build["steps"]
        uses = [step.get("uses", "") for step in steps]
        assert any(u.startswith("actions/upload-artifact@") for u in uses)
        setup = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
        assert str(setup["with"]["python-version"]) == "3.11"
        upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
        assert "dist/ratings_gui.exe" in upload["with"]["path"]
        assert "selftest.txt" in upload["with"]["path"]
    assert "runs-on: windows-latest" in text
    assert "pyinstaller --noconfirm build_exe.spec" in text
    assert "--selftest" in text and "--selftest-report" in text
    assert "Start-Process" in text and "-Wait" in text and "-PassThru" in text
    assert "ExitCode" in text


def test_workflow_runs_the_tests_on_windows_and_builds_from_the_lock() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "--require-hashes -r requirements-build.lock" in text
    assert "-r requirements.txt" not in text, "the exe is built from the lock, not the ranges"
    yaml = pytest.importorskip("yaml")
    tests = yaml.safe_load(text)["jobs"]["tests"]
    assert tests["runs-on"] == "windows-latest"
    runs = [step.get("run", "") for step in tests["steps"]]
    assert any(run.startswith("scripts\\test.bat") for run in runs)


# --- pyproject: metadata, dependencies, entry points ------------------------------------------


def _toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _requirement_lines(path: Path) -> list[str]:
    """The requirement lines of a requirements file, following ``-r`` includes."""
    lines: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r"):
            lines += _requirement_lines(path.parent / line[2:].strip())
        elif line:
            lines.append(line)
    return lines


def _normalized(requirements: list[str]) -> set[str]:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    out = set()
    for text in requirements:
        req = Requirement(text)
        out.add(f"{canonicalize_name(req.name)}{req.specifier};{req.marker or ''}")
    return out


def test_pyproject_dependencies_are_requirements_txt() -> None:
    """pip install . and a source checkout must get the same ranges."""
    project = _toml(REPO / "pyproject.toml")["project"]
    declared = _normalized(project["dependencies"])
    ranges = _normalized(_requirement_lines(REPO / "requirements.txt"))
    assert declared == ranges, (
        "pyproject.toml [project] dependencies and requirements.txt differ: "
        f"only in pyproject {sorted(declared - ranges)}, only in requirements.txt "
        f"{sorted(ranges - declared)}"
    )


def test_pyproject_entry_points_version_and_assets() -> None:
    import importlib

    data = _toml(REPO / "pyproject.toml")
    project = data["project"]
    assert project["name"] == ratings_gui.APP_NAME
    assert project["requires-python"] == ">=3.10"
    assert "version" in project["dynamic"]
    assert data["tool"]["hatch"]["version"]["path"] == "ratings_gui/__init__.py"
    assert data["build-system"]["build-backend"] == "hatchling.build"
    targets = {
        "ratings-gui": project["gui-scripts"]["ratings-gui"],
        "ratings-gui-cli": project["scripts"]["ratings-gui-cli"],
    }
    for name, target in targets.items():
        module, _, attr = target.partition(":")
        assert callable(getattr(importlib.import_module(module), attr)), name
    wheel = data["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["packages"] == ["ratings_gui"]
    for source, inside in wheel["force-include"].items():
        assert (REPO / source).is_file(), source
        # resources.asset_dirs() looks for the icons inside the installed package.
        assert inside == f"ratings_gui/assets/{Path(source).name}"


def test_version_flag_prints_the_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ratings_gui", "--version"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"ratings_gui {ratings_gui.__version__}"


def test_about_text_names_the_version_and_parts() -> None:
    text = ratings_gui.about_text()
    first, second = text.splitlines()
    assert first == f"{ratings_gui.APP_TITLE} {ratings_gui.__version__}"
    assert second.startswith("Python ") and "customtkinter " in second and "PlexAPI " in second


@pytest.mark.gui
def test_window_about_shows_the_version(tmp_path: Path) -> None:
    from test_gui_helpers import app_fixture, pump_until, require_display, visible_texts

    from ratings_gui.context import AppContext

    require_display()
    ctx = AppContext.open(tmp_path / "home")
    try:
        window = app_fixture(ctx)
        win = next(window)
        try:
            win.header.about_button.invoke()
            pump_until(win, lambda: win.header.about_window is not None, 5, "the About window")
            about = win.header.about_window
            texts = "\n".join(visible_texts(about))
            assert f"{ratings_gui.APP_TITLE} {ratings_gui.__version__}" in texts
            win.header.about_button.invoke()  # a second click reuses the open window
            assert win.header.about_window is about
            about.destroy()
        finally:
            next(window, None)  # closes the window, failing on any Tk callback error
    finally:
        ctx.close()


def test_missing_tk_is_one_line_naming_the_package(tmp_path: Path) -> None:
    """Opening the window on a Python without Tk: one line, no traceback, nothing written."""
    home = tmp_path / "home"
    code = (
        "import sys; sys.modules['tkinter'] = None; sys.modules['_tkinter'] = None\n"
        "from ratings_gui.__main__ import main\n"
        f"sys.exit(main(['--data-dir', {str(home)!r}]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Tk (tkinter)" in lines[0]
    from ratings_gui.tkcheck import tk_install_hint

    assert tk_install_hint() in lines[0]
    assert not home.exists(), "nothing is written before the window can open"


# --- the Tk / venv hints -------------------------------------------------------------------------

DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
UBUNTU = "NAME=Ubuntu\nID=ubuntu\nID_LIKE=debian\n"
FEDORA = 'NAME="Fedora Linux"\nID=fedora\n'
ROCKY = 'ID="rocky"\nID_LIKE="rhel centos fedora"\n'


@pytest.mark.parametrize(
    ("system", "os_release", "executable", "expected"),
    [
        ("Linux", DEBIAN, "/usr/bin/python3", "sudo apt install python3-tk"),
        ("Linux", UBUNTU, "/usr/bin/python3", "sudo apt install python3-tk"),
        ("Linux", FEDORA, "/usr/bin/python3", "sudo dnf install python3-tkinter"),
        ("Linux", ROCKY, "/usr/bin/python3", "sudo dnf install python3-tkinter"),
        ("Linux", "ID=gentoo\n", "/usr/bin/python3", "python3-tk or python3-tkinter"),
        ("Darwin", "", "/opt/homebrew/bin/python3", "brew install python-tk@"),
        ("Darwin", "", "/usr/local/Cellar/python@3.12/bin/python3", "brew install python-tk@"),
        ("Darwin", "", "/Library/Frameworks/Python.framework/python3", "brew install python-tk"),
        ("Windows", "", "C:\\Python312\\python.exe", "tcl/tk and IDLE"),
    ],
)
def test_tk_hint_names_the_package_for_the_system(
    system: str, os_release: str, executable: str, expected: str
) -> None:
    from ratings_gui.tkcheck import missing_tk_message

    message = missing_tk_message(system=system, os_release=os_release, executable=executable)
    assert expected in message
    assert "\n" not in message


def test_venv_hint_names_python3_venv_on_debian() -> None:
    from ratings_gui.tkcheck import missing_venv_message

    assert "sudo apt install python3-venv" in missing_venv_message(UBUNTU)
    assert "python3-venv" in missing_venv_message(FEDORA)


def test_tkcheck_is_stdlib_only() -> None:
    """scripts/bootstrap.py imports it with a bare system Python."""
    tree = ast.parse((REPO / "ratings_gui" / "tkcheck.py").read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


# --- the locks ---------------------------------------------------------------------------------


def _load_script(name: str) -> types.ModuleType:
    """A module from scripts/ (not a package), loaded by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"_scripts_{name}", REPO / "scripts" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LOCK_SCRIPT = _load_script("lock")
#: (sys_platform, platform_system, os_name) x Python minor versions the locks promise.
ENVIRONMENTS = [
    {
        "sys_platform": plat,
        "platform_system": system,
        "os_name": os_name,
        "python_version": f"3.{minor}",
        "python_full_version": f"3.{minor}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "platform_machine": "x86_64" if plat != "darwin" else "arm64",
        "extra": "",
    }
    for plat, system, os_name in (
        ("linux", "Linux", "posix"),
        ("win32", "Windows", "nt"),
        ("darwin", "Darwin", "posix"),
    )
    for minor in (10, 11, 12, 13)
]


def _env_id(env: dict[str, str]) -> str:
    return f"{env['sys_platform']}-py{env['python_version']}"


def _lock_entries(path: Path) -> list[tuple[Any, list[str]]]:
    """(Requirement, sha256 hashes) for every entry of a lock, continuation lines joined."""
    from packaging.requirements import Requirement

    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    entries = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        spec, _, rest = line.partition(" --hash=")
        hashes = re.findall(r"sha256:([0-9a-f]+)", "--hash=" + rest if rest else "")
        entries.append((Requirement(spec.strip()), hashes))
    return entries


def _pins_for(entries: list[tuple[Any, list[str]]], env: dict[str, str]) -> dict[str, str]:
    """What pip installs from a lock on one platform: canonical name -> exact version."""
    from packaging.utils import canonicalize_name

    pins: dict[str, str] = {}
    for req, _hashes in entries:
        if req.marker is None or req.marker.evaluate(env):
            name = canonicalize_name(req.name)
            assert name not in pins, f"{name} pinned twice for {_env_id(env)}"
            pins[name] = str(req.specifier).removeprefix("==")
    return pins


LOCK_FILES = sorted(LOCK_SCRIPT.LOCKS.items())


@pytest.mark.parametrize(("source", "lock"), LOCK_FILES)
def test_lock_is_newer_than_its_ranges(source: str, lock: str) -> None:
    text = (REPO / lock).read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(LOCK_SCRIPT.FINGERPRINT_PREFIX)}(\w+)$", text, re.MULTILINE)
    assert match, f"{lock} has no inputs fingerprint: run {LOCK_SCRIPT.REFRESH_COMMAND}"
    assert match.group(1) == LOCK_SCRIPT.inputs_fingerprint(), (
        f"requirements*.txt changed after {lock} was made: run {LOCK_SCRIPT.REFRESH_COMMAND}"
    )


@pytest.mark.parametrize(("source", "lock"), LOCK_FILES)
def test_lock_pins_exact_versions_with_hashes(source: str, lock: str) -> None:
    entries = _lock_entries(REPO / lock)
    assert len(entries) > 10
    for req, hashes in entries:
        assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", req
        assert hashes and all(len(h) == 64 for h in hashes), f"{req.name} has no sha256 hash"


@pytest.mark.parametrize(("source", "lock"), LOCK_FILES)
def test_lock_satisfies_its_ranges_on_every_platform(source: str, lock: str) -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    entries = _lock_entries(REPO / lock)
    for env in ENVIRONMENTS:
        pins = _pins_for(entries, env)
        for line in _requirement_lines(REPO / source):
            req = Requirement(line)
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            name = canonicalize_name(req.name)
            assert name in pins, (
                f"{req.name} ({source}) is not in {lock} for {_env_id(env)}: "
                f"run {LOCK_SCRIPT.REFRESH_COMMAND}"
            )
            assert req.specifier.contains(pins[name], prereleases=True), (
                f"{lock} pins {name}=={pins[name]}, outside {source}'s {req.specifier}"
            )


def test_locks_agree_on_versions() -> None:
    """A package has one version in all three locks, so the test venv runs what ships."""
    for env in ENVIRONMENTS:
        seen: dict[str, tuple[str, str]] = {}
        for _source, lock in LOCK_FILES:
            for name, version in _pins_for(_lock_entries(REPO / lock), env).items():
                first = seen.setdefault(name, (version, lock))
                assert first[0] == version, f"{name}: {first} vs {version} in {lock}"


def test_lock_covers_every_runtime_dependency() -> None:
    """Walk requirements.txt's dependencies through the installed packages' own metadata,
    for every platform and Python version, and find each one pinned in requirements.lock
    (pip --require-hashes would refuse to install otherwise)."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    entries = _lock_entries(REPO / "requirements.lock")
    walked_metadata = 0
    for env in ENVIRONMENTS:
        pins = _pins_for(entries, env)
        todo = [Requirement(line) for line in _requirement_lines(REPO / "requirements.txt")]
        seen: set[str] = set()
        while todo:
            req = todo.pop()
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            name = canonicalize_name(req.name)
            assert name in pins, (
                f"{name} (needed by the program on {_env_id(env)}) is missing from "
                f"requirements.lock: run {LOCK_SCRIPT.REFRESH_COMMAND}"
            )
            if name in seen:
                continue
            seen.add(name)
            try:
                dist = metadata.distribution(name)
            except metadata.PackageNotFoundError:
                continue  # another platform's package: its own needs are in its metadata only
            if canonicalize_name(dist.metadata["Name"]) != name or dist.version != pins[name]:
                continue  # this environment has another version than the lock: its needs differ
            walked_metadata += 1
            for text in dist.requires or []:
                dep = Requirement(text)
                if dep.marker is None or dep.marker.evaluate({**env, "extra": ""}):
                    todo.append(Requirement(str(dep).split(";")[0]))
        assert {"plexapi", "requests", "urllib3", "customtkinter", "keyring"} <= seen
    if walked_metadata == 0:
        pytest.skip("no package here has the locked version (run it in .venv: scripts/test)")


# --- scripts/run, scripts/test, scripts/bootstrap.py --------------------------------------------


def test_readme_commands_are_the_scripts() -> None:
    """The README's set-up and test commands are the ones .ci/run runs as written."""
    extract = "\n".join(
        re.findall(
            r"^readme_command\(\) \{.*?^\}$", CI_RUN.read_text(encoding="utf-8"), re.S | re.M
        )
    )
    assert extract, ".ci/run has no readme_command function"

    def readme_command(section: str) -> str:
        done = subprocess.run(
            ["bash", "-c", f"{extract}\nreadme_command {section!r}"],
            capture_output=True, text=True, cwd=REPO, check=True,
        )  # fmt: skip
        return done.stdout.strip()

    if shutil.which("bash") is None:
        pytest.skip("needs bash")
    assert readme_command("Tests") == "scripts/test"
    assert readme_command("Try it") == "scripts/run --demo"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"```sh\n{LOCK_SCRIPT.REFRESH_COMMAND}\n```" in readme
    assert "scripts\\test.bat" in readme and "scripts\\run.bat --demo" in readme
    assert "python3 -m pip install" not in readme, "system-wide pip fails on PEP 668 systems"


CI_RUN = REPO / ".ci" / "run"


def test_ci_run_uses_the_system_python_and_the_readme() -> None:
    text = CI_RUN.read_text(encoding="utf-8")
    if shutil.which("bash"):
        subprocess.run(["bash", "-n", str(CI_RUN)], check=True)
    assert "SYS_PY=/usr/bin/python3" in text
    assert 'TEST_CMD="$(readme_command Tests)"' in text
    assert 'bash -c "$TEST_CMD"' in text
    assert "python3-venv" in text and "python3-tk" in text and "xvfb" in text
    assert 'grep -qx "home = /usr/bin" .venv/pyvenv.cfg' in text
    assert "pip install -q --disable-pip-version-check ." in text
    assert "scripts/build_linux_exe.sh" in text


def test_nothing_installs_into_the_system_python() -> None:
    for path in [CI_RUN, REPO / "README.md", *sorted((REPO / "scripts").iterdir())]:
        if path.is_file() and path.suffix != ".png":
            assert "break-system-packages" not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize("name", ["run", "test"])
def test_posix_and_windows_wrappers_call_the_bootstrap(name: str) -> None:
    sh = REPO / "scripts" / name
    text = sh.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh\n")
    assert f'bootstrap.py" {name} "$@"' in text
    if os.name == "posix":
        assert os.access(sh, os.X_OK), f"scripts/{name} is not executable"
        subprocess.run(["sh", "-n", str(sh)], check=True)
    bat = _bat(REPO / "scripts" / f"{name}.bat")
    assert f'%PYEXE% "%~dp0bootstrap.py" {name} %*' in bat
    assert "py -3" in bat and "exit /b %ERRORLEVEL%" in bat


def _bootstrap(
    tmp_path: Path, args: list[str], block: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run scripts/bootstrap.py in a fresh interpreter, optionally without some modules."""
    script = str(REPO / "scripts" / "bootstrap.py")
    code = (
        "import runpy, sys\n"
        f"for name in {block.split()!r}: sys.modules[name] = None\n"
        f"sys.argv = [{script!r}, *{args!r}]\n"
        f"runpy.run_path({script!r}, run_name='__main__')\n"
    )
    env = {**os.environ, "RATINGS_GUI_VENV": str(tmp_path / "venv")}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


def test_bootstrap_without_tk_says_so_in_one_line(tmp_path: Path) -> None:
    done = _bootstrap(tmp_path, ["test"], block="tkinter _tkinter")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Tk (tkinter)" in lines[0], done.stderr
    assert not (tmp_path / "venv").exists(), "nothing is set up before Tk is there"


def test_bootstrap_without_venv_support_says_so_in_one_line(tmp_path: Path) -> None:
    done = _bootstrap(tmp_path, ["run", "--version"], block="ensurepip")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "cannot create a virtual environment" in done.stderr.strip().splitlines()[-1]
    assert "python3-venv" in done.stderr


def _tiny_wheel(folder: Path, version: str) -> Path:
    """A real, minimal wheel: installing it needs no index."""
    import base64
    import hashlib
    import zipfile

    files = {
        "tinypkg.py": f"VERSION = {version!r}\n",
        f"tinypkg-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: tinypkg\nVersion: {version}\n"
        ),
        f"tinypkg-{version}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"tinypkg-{version}.dist-info/RECORD,,")
    files[f"tinypkg-{version}.dist-info/RECORD"] = "\n".join(record) + "\n"
    path = folder / f"tinypkg-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


@pytest.mark.slow
def test_bootstrap_creates_the_venv_once_and_reinstalls_only_a_changed_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import hashlib

    bootstrap = _load_script("bootstrap")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    lock = tmp_path / "test.lock"

    def write_lock(version: str) -> None:
        digest = hashlib.sha256(_tiny_wheel(wheels, version).read_bytes()).hexdigest()
        lock.write_text(f"tinypkg=={version} \\\n    --hash=sha256:{digest}\n", encoding="utf-8")

    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    venv = tmp_path / "venv"

    def installed_version(python: Path) -> str:
        return subprocess.run(
            [str(python), "-c", "import tinypkg; print(tinypkg.VERSION)"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip

    write_lock("1.0")
    python = bootstrap.ensure_venv(venv, lock)
    first = capsys.readouterr().err
    assert "creating a virtual environment" in first and "installing test.lock" in first
    assert installed_version(python) == "1.0"

    assert bootstrap.ensure_venv(venv, lock) == python
    again = capsys.readouterr().err
    assert "reusing the virtual environment" in again and "installing" not in again

    write_lock("2.0")
    bootstrap.ensure_venv(venv, lock)
    changed = capsys.readouterr().err
    assert "reusing" in changed and "installing test.lock" in changed
    assert installed_version(python) == "2.0"

    lock.write_text("tinypkg==3.0\n", encoding="utf-8")  # no hash: pip must refuse
    with pytest.raises(SystemExit, match="could not install test.lock"):
        bootstrap.ensure_venv(venv, lock)


def _required_imports(path: Path) -> set[str]:
    """Top-level modules a file imports, leaving out imports guarded by ``except ImportError``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    optional: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            caught = {
                name.id
                for handler in node.handlers
                for name in ast.walk(handler.type) if handler.type is not None
                if isinstance(name, ast.Name)
            }  # fmt: skip
            if caught & {"ImportError", "ModuleNotFoundError"}:
                optional |= {id(inner) for stmt in node.body for inner in ast.walk(stmt)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_third_party_import_is_declared_and_locked() -> None:
    """A new ``import foo`` in the program fails here until foo is in requirements.txt
    and the lock (an installed exe or a pipx install would otherwise break)."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    declared = {
        canonicalize_name(Requirement(line).name)
        for line in _requirement_lines(REPO / "requirements.txt")
    }
    locked = set(_pins_for(_lock_entries(REPO / "requirements.lock"), ENVIRONMENTS[0]))
    owners = metadata.packages_distributions()
    imported: dict[str, str] = {}
    for path in sorted((REPO / "ratings_gui").rglob("*.py")):
        for module in _required_imports(path):
            if module not in sys.stdlib_module_names and module not in (
                "ratings_gui",
                "__future__",
            ):
                imported.setdefault(module, str(path.relative_to(REPO)))
    assert {"plexapi", "mutagen", "customtkinter"} <= set(imported)
    for module, where in sorted(imported.items()):
        dists = {canonicalize_name(d) for d in owners.get(module, [])}
        assert dists & declared, (
            f"{where} imports {module}, which no package of requirements.txt provides: "
            f"add it there and to pyproject.toml, then run {LOCK_SCRIPT.REFRESH_COMMAND}"
        )
        assert dists & locked, f"{module}: run {LOCK_SCRIPT.REFRESH_COMMAND}"
