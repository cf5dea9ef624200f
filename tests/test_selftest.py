"""--selftest and the asset lookup: the checks pass here and fail when something is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ratings_gui import resources, selftest

REPO = Path(__file__).resolve().parent.parent
ASSETS = REPO / "assets"


@pytest.fixture
def assets_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the icons, made the asset folder through RATINGS_GUI_ASSETS."""
    folder = tmp_path / "assets"
    folder.mkdir()
    for name in (resources.ICON_PNG, resources.ICON_ICO):
        shutil.copy(ASSETS / name, folder / name)
    monkeypatch.setenv(resources.ASSETS_ENV, str(folder))
    return folder


def _failed(report: str) -> list[str]:
    return [line for line in report.splitlines() if line.startswith("FAIL")]


# --- resources ----------------------------------------------------------------------------------


def test_assets_are_found_in_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(resources.ASSETS_ENV, raising=False)
    assert resources.icon_png() == ASSETS / "icon.png"
    assert resources.icon_ico() == ASSETS / "icon.ico"
    assert resources.icon_png().is_file()


def test_assets_are_found_in_a_frozen_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "icon.png").write_bytes(b"x")
    monkeypatch.delenv(resources.ASSETS_ENV, raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.is_frozen()
    assert resources.asset_path("icon.png") == tmp_path / "assets" / "icon.png"


def test_missing_asset_names_the_expected_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(resources.ASSETS_ENV, str(tmp_path))
    assert resources.asset_path("nothing.png") == tmp_path / "nothing.png"


# --- selftest.run ---------------------------------------------------------------------------------


def test_selftest_passes_and_writes_its_report(tmp_path: Path) -> None:
    report = tmp_path / "sub" / "selftest.txt"
    assert selftest.run(str(report)) == 0
    text = report.read_text(encoding="utf-8")
    assert _failed(text) == []
    assert "RESULT: PASS" in text
    for name, _check in selftest.CHECKS:
        assert f"PASS  {name}:" in text


def test_selftest_prints_only_to_an_existing_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert selftest.run() == 0
    assert "RESULT: PASS" in capsys.readouterr().out


def test_selftest_survives_without_stdout_and_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    report = tmp_path / "selftest.txt"
    assert selftest.run(str(report)) == 0
    assert "RESULT: PASS" in report.read_text(encoding="utf-8")


def test_selftest_survives_a_closed_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    assert selftest.run() == 0


@pytest.mark.skipif(sys.platform == "win32", reason="closes fds with a POSIX shell")
def test_selftest_in_a_process_with_stdout_and_stderr_closed(tmp_path: Path) -> None:
    """What a windowed exe sees: Python starts with sys.stdout and sys.stderr set to None."""
    report = tmp_path / "selftest.txt"
    code = textwrap.dedent(
        f"""
        import sys
        assert sys.stdout is None and sys.stderr is None
        from ratings_gui import selftest
        sys.exit(selftest.run({str(report)!r}))
        """
    )
    script = tmp_path / "run.py"
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        ["sh", "-c", f'"{sys.executable}" "{script}" >&- 2>&-'], cwd=REPO, env=env, timeout=120
    )
    assert result.returncode == 0, report.read_text(encoding="utf-8") if report.exists() else ""
    assert "RESULT: PASS" in report.read_text(encoding="utf-8")


def test_selftest_fails_when_the_assets_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(resources.ASSETS_ENV, str(empty))
    report = tmp_path / "selftest.txt"
    assert selftest.run(str(report)) == 1
    text = report.read_text(encoding="utf-8")
    assert [line.split(":")[0] for line in _failed(text)] == ["FAIL  icons"]
    assert "RESULT: FAIL" in text


def test_selftest_fails_on_a_png_that_is_not_a_png(assets_copy: Path, tmp_path: Path) -> None:
    (assets_copy / "icon.png").write_bytes(b"GIF89a" + bytes(100))
    report = tmp_path / "r.txt"
    assert selftest.run(str(report)) == 1
    assert "not a PNG" in report.read_text(encoding="utf-8")


def test_selftest_fails_on_an_ico_without_the_large_size(assets_copy: Path, tmp_path: Path) -> None:
    ico = assets_copy / "icon.ico"
    data = bytearray(ico.read_bytes())
    count = int.from_bytes(data[4:6], "little")
    data[4:6] = (count - 1).to_bytes(2, "little")  # drop the last (256 px) entry
    ico.write_bytes(bytes(data))
    report = tmp_path / "r.txt"
    assert selftest.run(str(report)) == 1
    assert "lacks sizes [256]" in report.read_text(encoding="utf-8")


def test_selftest_fails_when_the_report_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert selftest.run(str(blocker / "report.txt")) == 1


def test_a_failing_check_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> str:
        raise RuntimeError("broken build")

    monkeypatch.setattr(selftest, "CHECKS", (("boom", boom), *selftest.CHECKS))
    results = selftest.run_checks()
    assert results[0] == selftest.Result("boom", False, "RuntimeError: broken build")
    assert all(result.ok for result in results[1:])


def test_module_walk_reports_broken_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "walkpkg_selftest"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "good.py").write_text("VALUE = 1\n")
    (package / "bad.py").write_text("raise ImportError('no such dependency')\n")
    (package / "quits.py").write_text("import sys\nsys.exit(3)\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "deep.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    imported, failures = selftest._walk_package("walkpkg_selftest")
    assert imported == [
        "walkpkg_selftest",
        "walkpkg_selftest.good",
        "walkpkg_selftest.sub",
        "walkpkg_selftest.sub.deep",
    ]
    assert failures == [
        "walkpkg_selftest.bad (ImportError: no such dependency)",
        "walkpkg_selftest.quits (SystemExit: 3)",
    ]
    for name in [m for m in sys.modules if m.startswith("walkpkg_selftest")]:
        monkeypatch.delitem(sys.modules, name)


def test_every_package_module_is_walked() -> None:
    """The walk sees every .py file of the package (so the frozen walk means something)."""
    imported, failures = selftest._walk_package("ratings_gui")
    assert failures == []
    package = REPO / "ratings_gui"
    expected = set()
    for path in package.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        expected.add(".".join(parts))
    expected -= selftest.SKIP_MODULES
    assert expected <= set(imported)


def test_keyring_check_requires_a_usable_backend_on_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On Windows the Credential Manager backend must work, not merely import (pywin32-ctypes)."""
    import keyring.backend

    keyring.backend.get_all_keyring()  # cached: computed for the real platform first
    monkeypatch.setattr(sys, "platform", "win32")
    with pytest.raises(
        selftest.CheckError, match="no usable backend from keyring.backends.Windows"
    ):
        selftest.check_keyring_backends()
