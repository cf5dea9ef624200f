"""Set up ``.venv`` once from a lock file, then run the program or the tests inside it.

    scripts/run [ARGS]     (scripts\\run.bat on Windows)   python -m ratings_gui ARGS
    scripts/test [ARGS]    (scripts\\test.bat on Windows)  python -m pytest ARGS (default -q)

Run with the system Python (``python3``; ``PYTHON=...`` picks another). It
never installs into that Python: the packages go into a virtual environment,
created on the first run and reused after (``RATINGS_GUI_VENV`` moves it),
from ``requirements.lock`` (run) or ``requirements-dev.lock`` (test) with
``--require-hashes``. A lock is installed again only when its content
changed. A Python without Tk or venv gets one line naming what to install.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIN_VERSION = (3, 10)
LOCKS = {"run": "requirements.lock", "test": "requirements-dev.lock"}
#: Inside the venv: one line per installed lock, its sha256.
STAMP = "ratings_gui-locks.txt"
VERSION_CHECK = f"import sys; sys.exit(0 if sys.version_info >= {MIN_VERSION} else 1)"


def say(text: str) -> None:
    """Set-up messages go to stderr: stdout belongs to the program (``--json``)."""
    print(f"[setup] {text}", file=sys.stderr, flush=True)


def venv_dir() -> Path:
    return Path(os.environ.get("RATINGS_GUI_VENV") or ROOT / ".venv")


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def lock_digest(lock: Path) -> str:
    """The lock's content hash, line endings ignored (a Windows checkout has CRLF)."""
    return hashlib.sha256(lock.read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def _works(python: Path) -> bool:
    try:
        return subprocess.run([str(python), "-c", VERSION_CHECK], check=False).returncode == 0
    except OSError:
        return False


def ensure_venv(venv: Path, lock: Path) -> Path:
    """Create ``venv`` if needed and install ``lock`` into it unless it already is; its python."""
    python = venv_python(venv)
    if python.exists() and _works(python):
        say(f"reusing the virtual environment in {venv}")
    else:
        if venv.exists():
            say(f"{venv} is broken or too old: creating it again")
            shutil.rmtree(venv)
        if importlib.util.find_spec("ensurepip") is None:
            from ratings_gui.tkcheck import missing_venv_message

            raise SystemExit(missing_venv_message())
        say(f"creating a virtual environment in {venv} with {sys.executable}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    stamp = venv / STAMP
    installed = stamp.read_text(encoding="utf-8").split() if stamp.exists() else []
    digest = lock_digest(lock)
    if digest in installed:
        return python
    say(f"installing {lock.name} into {venv} (exact versions, hashes checked)")
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    command += ["--require-hashes", "-r", str(lock)]
    # pip's own output goes to stderr too (stdout is the program's); its errors say what failed.
    done = subprocess.run(
        command, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if done.stdout:
        print(done.stdout.rstrip(), file=sys.stderr)
    if done.returncode != 0:
        raise SystemExit(f"[setup] pip could not install {lock.name}: see the messages above.")
    stamp.write_text("\n".join([*installed, digest]) + "\n", encoding="utf-8")
    return python


def _display_note() -> None:
    """The window tests need a screen; on Linux without one, conftest starts Xvfb."""
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        if shutil.which("Xvfb") is None:
            say("no display and no Xvfb: the window tests will fail; sudo apt install xvfb xauth")


def main(argv: list[str]) -> int:
    if sys.version_info < MIN_VERSION:
        need = ".".join(map(str, MIN_VERSION))
        print(
            f"ratings_gui needs Python {need} or newer; {sys.executable} is "
            f"{sys.version.split()[0]}. Install a newer one and run again with PYTHON=python3.X.",
            file=sys.stderr,
        )
        return 1
    if not argv or argv[0] not in LOCKS:
        print(f"usage: {Path(__file__).name} run|test [ARGS...]", file=sys.stderr)
        return 2
    what, args = argv[0], argv[1:]
    sys.path.insert(0, str(ROOT))  # ratings_gui.tkcheck is stdlib-only
    from ratings_gui.tkcheck import missing_tk_message, tk_available

    if not tk_available():
        print(missing_tk_message(), file=sys.stderr)
        return 1
    python = ensure_venv(venv_dir(), ROOT / LOCKS[what])
    env = dict(os.environ)
    if what == "run":
        # The user's folder stays the working folder (relative file arguments keep working).
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        command = [str(python), "-m", "ratings_gui", *args]
    else:
        _display_note()
        os.chdir(ROOT)
        command = [str(python), "-m", "pytest", *(args or ["-q"])]
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(str(python), command, env)  # the program takes this process (signals, exit code)
    return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
