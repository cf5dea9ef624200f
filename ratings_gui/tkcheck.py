"""One plain line instead of a traceback when this Python has no Tk or no venv.

Stdlib only and importable without the rest of the package, because
``scripts/bootstrap.py`` uses it with the system Python before any
dependency is installed. The package to install depends on where Python
came from: Debian/Ubuntu split Tk and venv into ``python3-tk`` and
``python3-venv``, Fedora calls Tk ``python3-tkinter``, Homebrew
``python-tk@3.X``; python.org installers carry both.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

_DEBIAN = {"debian", "ubuntu", "linuxmint", "pop", "raspbian", "kali", "elementary"}
_FEDORA = {"fedora", "rhel", "centos", "rocky", "almalinux", "amzn"}
_ARCH = {"arch", "manjaro", "endeavouros"}
_SUSE = {"opensuse", "opensuse-leap", "opensuse-tumbleweed", "suse", "sles"}


def os_release_ids(text: str | None = None) -> set[str]:
    """The distribution's ``ID`` and ``ID_LIKE`` words from /etc/os-release."""
    if text is None:
        try:
            text = Path("/etc/os-release").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return set()
    ids: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("ID", "ID_LIKE"):
            ids.update(value.strip().strip("\"'").lower().split())
    return ids


def tk_install_hint(
    system: str | None = None, os_release: str | None = None, executable: str | None = None
) -> str:
    """How to add Tk to this Python, as a command or a short instruction."""
    system = system or platform.system()
    executable = executable or sys.executable
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if system == "Darwin":
        if "/homebrew/" in executable.lower() or "/cellar/" in executable.lower():
            return f"brew install python-tk@{version}"
        return "brew install python-tk (Homebrew Python), or use the python.org installer"
    if system == "Windows":
        return 'run the Python installer again, choose "Modify" and tick "tcl/tk and IDLE"'
    ids = os_release_ids(os_release)
    if ids & _DEBIAN:
        return "sudo apt install python3-tk"
    if ids & _FEDORA:
        return "sudo dnf install python3-tkinter"
    if ids & _ARCH:
        return "sudo pacman -S tk"
    if ids & _SUSE:
        return "sudo zypper install python3-tk"
    return "install your system's Tk package for Python (python3-tk or python3-tkinter)"


def missing_tk_message(**kwargs: str | None) -> str:
    """The one line shown when ``import tkinter`` fails."""
    return (
        "This Python has no Tk (tkinter), which the window needs: "
        f"{tk_install_hint(**kwargs)}, then run this again."
    )


def missing_venv_message(os_release: str | None = None) -> str:
    """The one line shown when this Python cannot create a virtual environment."""
    if os_release_ids(os_release) & _DEBIAN:
        fix = "sudo apt install python3-venv"
    else:
        fix = "install your system's venv package for Python (python3-venv)"
    return f"This Python cannot create a virtual environment (no venv/ensurepip): {fix}, then run this again."


def tk_available() -> bool:
    """True when tkinter imports (a display is not needed for this)."""
    try:
        import tkinter  # noqa: F401
    except ImportError:
        return False
    return True
