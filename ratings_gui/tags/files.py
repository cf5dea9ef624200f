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

__all__ = ["modified_at", "test_mapping"]


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
