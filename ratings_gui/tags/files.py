"""The music files on this computer as files: where they are, when they changed.

The tag layer reads and writes what is inside them; this module looks at
the disk around them: a file's modification time (the tags sync's "newest
wins") and the check that a path mapping finds the server's files here,
which walks the local folders to suggest a better rule. Mapping itself is
pure string work in :mod:`ratings_gui.core.pathmap`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from ratings_gui.core.pathmap import MappingTest, Rule, map_path, sample_paths, suggest_from_index

__all__ = ["modified_at", "on_network_share", "readers_for", "test_mapping"]

#: Files read at once from this computer's own disks: reading a tag is mostly Python
#: work under the interpreter lock, so more threads only take the window's turns
#: (8 readers: a 50k preview 25-29 s and the window still up to 80 ms; 2: 20-21 s, 45 ms).
LOCAL_READERS = 2
#: From a network share each file waits on the network: more requests in flight pay.
NETWORK_READERS = 8
#: File systems that are another machine's disk (Linux and BSD names as mount lists them).
NETWORK_FS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "sshfs", "9p", "afpfs", "davfs"}
)
_DRIVE_REMOTE = 4  # GetDriveTypeW: a mapped network drive


def _windows_network_drive(path: str) -> bool:
    """A mapped network drive (``Z:``) on Windows; False elsewhere or when unknown."""
    if os.name != "nt" or len(path) < 2 or path[1] != ":":
        return False
    try:
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        return bool(kernel32.GetDriveTypeW(path[:2] + "\\") == _DRIVE_REMOTE)
    except (AttributeError, OSError):
        return False


def mount_fs_type(path: str, mounts: str) -> str | None:
    """The file system type of the mount that holds ``path``, from a ``/proc/mounts`` text
    (the longest mount point that is a parent of ``path``); None when none is listed."""
    best, kind = "", None
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")  # mount lists a space as \040
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, parts[2]
    return kind


def on_network_share(path: str, mounts: str | None = None) -> bool:
    """Whether ``path`` is on another machine's disk: a UNC path, a mapped network
    drive, or (Linux) a mount of a network file system. Unknown: False."""
    if path.startswith(("\\\\", "//")):
        return True
    if _windows_network_drive(path):
        return True
    kind = mount_fs_type(os.path.abspath(path), _mount_list() if mounts is None else mounts)
    return kind is not None and kind in NETWORK_FS


def _mount_list() -> str:
    """This computer's ``/proc/mounts`` ("" where there is none: Windows, macOS)."""
    try:
        with open("/proc/mounts", encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def readers_for(folders: Sequence[str]) -> int:
    """How many files to read at once from ``folders`` (the mapping's local sides)."""
    mounts = _mount_list()
    if any(on_network_share(f, mounts) for f in folders):
        return NETWORK_READERS
    return LOCAL_READERS


def modified_at(path: str) -> float | None:
    """The file's modification time, None when it cannot be read."""
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def _existing_root(path: str, exists: Callable[[str], bool]) -> str | None:
    """The path itself or its nearest existing parent folder."""
    p = path
    while p and not exists(p):
        parent = os.path.dirname(p.rstrip("/\\"))
        if parent == p or not parent:
            return None
        p = parent
    return p or None


def _walk_index(root: str, limit: int) -> dict[str, list[str]]:
    """File name (case-folded) -> full paths below ``root``, at most ``limit`` files."""
    out: dict[str, list[str]] = {}
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in files:
            out.setdefault(name.casefold(), []).append(os.path.join(folder, name))
            seen += 1
            if seen >= limit:
                return out
    return out


def test_mapping(
    server_paths: Sequence[str],
    rules: Sequence[Rule],
    *,
    sample: int = 40,
    exists: Callable[[str], bool] = os.path.isfile,
    search_roots: Sequence[str] | None = None,
    search_limit: int = 50_000,
) -> MappingTest:
    """Check a sample of files under the rules; on misses, look for them by name and suggest a rule.

    The search looks below ``search_roots`` (default: each rule's local
    folder, or its nearest existing parent) for the first few missing
    files' names; the common tail of the server path and a file found there
    gives the suggested rule.
    """
    result = MappingTest()
    for sp in sample_paths(list(server_paths), sample):
        result.checked += 1
        local = map_path(sp, rules)
        if local is None:
            result.unmapped += 1
            result.missing.append((sp, None))
        elif exists(local):
            result.found += 1
            if len(result.examples) < 3:
                result.examples.append((sp, local))
        else:
            result.missing.append((sp, local))
    if not result.missing:
        return result
    roots = list(search_roots) if search_roots is not None else []
    if search_roots is None:
        for r in rules:
            root = _existing_root(r.local, os.path.isdir)
            if root and root not in roots:
                roots.append(root)
    index: dict[str, list[str]] = {}
    for root in roots:
        for name, found in _walk_index(root, search_limit).items():
            index.setdefault(name, []).extend(found)
    result.suggestion = suggest_from_index(result.missing, index)
    return result


test_mapping.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
