"""Which run is working on which library: an OS file lock per (job, server, library).

A run holds its lock from start to finish. A second run of the same job on
the same library finds the lock taken and is refused with the first run's
number, and a killed process loses its lock with it, so a run that still
says ``running`` while nobody holds its lock was interrupted. The lock
file also says who holds it, for messages ("run 12, process 4242").
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

#: Byte locked on Windows (far past the text, which other processes must still read).
_WIN_LOCK_AT = 1 << 20


class RunBusy(Exception):
    """Another run of the same job is working on the same library (message names it)."""

    plain_message = True


def describe_holder(info: dict[str, Any]) -> str:
    """``run 12 (tags on Music, started 10:31, process 4242)`` from a lock file's text."""
    when = time.strftime("%H:%M", time.localtime(float(info.get("started", 0) or 0)))
    what = f"{info.get('job', '?')} on {info.get('library') or 'the server'}"
    run = f"run {info['run_id']}" if info.get("run_id") else "a run that is starting"
    return f"{run} ({what}, started {when}, process {info.get('pid', '?')})"


class RunLock:
    """One lock file; ``acquire`` never waits."""

    def __init__(self, folder: Path, job: str, server: str, library: str) -> None:
        key = hashlib.sha1(f"{job}\0{server}\0{library}".encode()).hexdigest()[:20]
        self.path = Path(folder) / f"{key}.lock"
        self.job, self.server, self.library = job, server, library
        self._fh: Any = None

    @property
    def held(self) -> bool:
        return self._fh is not None

    def acquire(self) -> bool:
        """Take the lock; False when another process (or another run here) holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+b")  # noqa: SIM115 - kept open while the lock is held
        try:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                fh.seek(_WIN_LOCK_AT)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            fh.close()
            return False
        self._fh = fh
        return True

    def record(self, run_id: int | None) -> None:
        """Write who holds the lock (read by the refused run's message)."""
        if self._fh is None:
            return
        info = {
            "run_id": run_id,
            "job": self.job,
            "library": self.library,
            "server": self.server,
            "pid": os.getpid(),
            "started": time.time(),
        }
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(json.dumps(info).encode())
        self._fh.flush()

    def holder(self) -> dict[str, Any]:
        """What the lock file says about its holder ({} when unreadable)."""
        try:
            with open(self.path, "rb") as fh:
                return dict(json.loads(fh.read(4096).decode() or "{}"))
        except (OSError, ValueError, TypeError):
            return {}

    def release(self) -> None:
        fh, self._fh = self._fh, None
        if fh is None:
            return
        try:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            else:
                fh.seek(_WIN_LOCK_AT)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
        fh.close()


def holders(folder: Path) -> list[dict[str, Any]]:
    """Every lock in ``folder`` someone holds right now, with what its file says."""
    out: list[dict[str, Any]] = []
    try:
        names = sorted(p for p in Path(folder).glob("*.lock"))
    except OSError:
        return out
    for p in names:
        probe = RunLock(folder, "", "", "")
        probe.path = p
        if probe.acquire():
            probe.release()
            continue
        out.append(probe.holder())
    return out
