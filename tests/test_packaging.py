"""Static checks of the Windows packaging: the spec, the icons, the batch files, the workflow.

The spec is executed with stand-ins for PyInstaller's classes, so what it
would pass to ``EXE`` is checked on any machine, PyInstaller installed or not.
"""

from __future__ import annotations

import ast
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
    assert "requirements.txt" in text
    assert "sys.version_info >= (3, 10)" in text
    assert "https://www.python.org/downloads" in text
    assert "py -3" in text and "python" in text
    assert "-m venv" in text and ".venv" in text
    assert "--build" in text and "pyinstaller" in text.lower()


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
    assert "build_exe.spec" in text and "requirements.txt" in text
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
