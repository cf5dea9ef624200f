"""The one atomic replace both writing doors use (tags' safe save, sources' atomic_open)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from ratings_gui import atomic


def _leftovers(folder: Path) -> list[str]:
    return [n for n in os.listdir(folder) if n.endswith(".part")]


def test_a_clean_exit_replaces_the_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    seen: list[str] = []
    with atomic.replacing(target, suffix=".part", finish=seen.append) as fh:
        fh.write(b"new")
    assert target.read_bytes() == b"new" and _leftovers(tmp_path) == []
    # finish saw the temp file with the data on disk, before the rename
    assert len(seen) == 1 and os.path.basename(seen[0]).startswith(".a.bin.")


@pytest.mark.parametrize("where", ["body", "finish", "other"])
def test_any_failure_keeps_the_old_file_and_says_at_which_step(tmp_path: Path, where: str) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")

    def finish(tmp: str) -> None:
        if where == "finish":
            raise OSError(errno.ENOSPC, "No space left on device")

    expected = atomic.AtomicError if where != "other" else ValueError
    with (
        pytest.raises(expected) as info,
        atomic.replacing(target, suffix=".part", finish=finish) as fh,
    ):
        fh.write(b"half")
        if where == "body":
            raise OSError(errno.EIO, "I/O error")
        if where == "other":
            raise ValueError("a bug")
    if where != "other":
        assert info.value.step == atomic.WRITE  # type: ignore[attr-defined]
    assert target.read_bytes() == b"old" and _leftovers(tmp_path) == []


def test_a_folder_that_cannot_hold_a_temp_file_fails_at_create(tmp_path: Path) -> None:
    with (
        pytest.raises(atomic.AtomicError) as info,
        atomic.replacing(tmp_path / "missing" / "a.bin", suffix=".part"),
    ):
        pass
    assert info.value.step == atomic.CREATE and isinstance(info.value.error, FileNotFoundError)


def test_a_rename_that_fails_fails_at_replace(tmp_path: Path) -> None:
    target = tmp_path / "a-folder"
    target.mkdir()  # os.replace cannot put a file over a folder
    with pytest.raises(atomic.AtomicError) as info, atomic.replacing(target, suffix=".part") as fh:
        fh.write(b"x")
    assert info.value.step == atomic.REPLACE and target.is_dir() and _leftovers(tmp_path) == []
