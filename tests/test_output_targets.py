"""Files the program writes: non-UTF-8 paths, targets that are not files, a full disk.

Issue 23 items 6 and 7: an unmatched CSV for ``b'\\xff.csv'`` died after 475
rows and stayed cut; ``backup /dev/full --yes`` "succeeded" by swapping the
device for a regular file; a full disk showed the raw OSError text. The
CLI runs against the demo server; the full disk is a real 64 KiB tmpfs in
a private mount namespace (``unshare``), skipped where that is not allowed.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ratings_gui.sources.export import UNMATCHED_COLUMNS, write_unmatched_csv
from ratings_gui.sources.files import DISK_FULL, WriteError, display_path, safe_text, write_error

ROOT = Path(__file__).resolve().parents[1]


def _run(srv: Any, home: Path, *argv: str) -> tuple[int, dict[str, Any], str]:
    """The CLI in-process, as a user runs it; exit code, the JSON line, stderr."""
    from ratings_gui.cli import main

    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        code = main(
            [*argv, "--server", srv.url, "--token", srv.token, "--data-dir", str(home), "--json"]
        )
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    return code, (json.loads(lines[-1]) if lines else {}), err.getvalue()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- item 6: a non-UTF-8 input path ------------------------------------------------------------


IMDB_HEADER = (
    "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,"
    "Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n"
)


def test_import_of_a_non_utf8_file_name_writes_the_whole_unmatched_csv(
    demo: Any, home: Path, tmp_path: Path
) -> None:
    """600 unmatched rows from ``b'\\xff.csv'``: all 600 written, the name as U+FFFD, exit 0."""
    rows = [
        f"tt98{i:05d},7,2024-01-01,Nothing Called {i},Nothing Called {i},"
        f"https://www.imdb.com/title/tt98{i:05d},Movie,6.1,90,1999,Drama,10,1999-01-01,\n"
        for i in range(600)
    ]
    src = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/\xff.csv"))
    src.write_text(IMDB_HEADER + "".join(rows), encoding="utf-8")
    out_csv = tmp_path / "unmatched.csv"
    code, out, err = _run(
        demo, home, "import", str(src), "--all-libraries", "--dry-run",
        "--unmatched-out", str(out_csv),
    )  # fmt: skip
    assert code == 0, err
    assert out["unmatched_csv"] == str(out_csv)
    with out_csv.open(encoding="utf-8-sig", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert len(got) == 600 and {r["reason"] for r in got} == {"not found"}
    assert {r["source"] for r in got} == {"\ufffd.csv"}
    assert _leftovers(tmp_path) == []


def test_an_unmatched_csv_that_fails_halfway_leaves_the_old_file_whole(tmp_path: Path) -> None:
    """The rows come from a generator; if it breaks at row 500 the earlier file stays."""
    path = tmp_path / "unmatched.csv"
    write_unmatched_csv(path, [{"line": 1, "reason": "not found", "title": "Old"}])
    before = path.read_bytes()

    def rows() -> Iterator[dict[str, Any]]:
        for i in range(1000):
            if i == 500:
                raise RuntimeError("the plan went away")
            yield {"line": i, "reason": "not found", "title": f"T{i}"}

    with pytest.raises(RuntimeError):
        write_unmatched_csv(path, rows())
    assert path.read_bytes() == before and _leftovers(tmp_path) == []


def test_every_cell_and_path_is_safe_text(tmp_path: Path) -> None:
    """Lone surrogates of both kinds in any column: the CSV is written and reads back."""
    path = tmp_path / "u.csv"
    weird = {
        "line": 3,
        "reason": "not found",
        "title": "Caf\udce9 \ud800",
        "source": os.fsdecode(b"exports/\xff\xfe.csv"),
        "oddity": "x\udcff",  # an unknown key goes to the detail column
    }
    assert write_unmatched_csv(path, [weird] * 700) == 700
    with path.open(encoding="utf-8-sig", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert len(got) == 700 and list(got[0]) == list(UNMATCHED_COLUMNS)
    assert got[0]["title"] == "Caf\ufffd \ufffd"
    assert got[0]["source"] == "exports/\ufffd\ufffd.csv"
    assert got[0]["detail"] == "oddity=x\ufffd"
    assert display_path(b"\xff.csv") == display_path(os.fsdecode(b"\xff.csv")) == "\ufffd.csv"
    assert safe_text("Amélie ★") == "Amélie ★"  # proper text is left as it is


# --- item 7: targets that are not files ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "device link", "folder"])
def test_backup_refuses_a_target_that_is_not_a_file(
    demo: Any, home: Path, tmp_path: Path, kind: str
) -> None:
    """A pipe, a device (through a link: /dev itself is shared) or a folder stays as it was."""
    target = tmp_path / "target"
    if kind == "fifo":
        os.mkfifo(target)
        check = stat.S_ISFIFO
        words = "is a pipe, not a file"
    elif kind == "device link":
        target.symlink_to("/dev/full")
        check = stat.S_ISCHR
        words = "is a device, not a file"
    else:
        target.mkdir()
        check = stat.S_ISDIR
        words = "is a folder, not a file"
    demo.reset_counts()
    code, out, err = _run(demo, home, "backup", str(target), "--yes")
    assert code == 2 and words in err and "nothing was written" in err
    assert words in out["error"] and "Errno" not in err
    assert check(os.stat(target).st_mode)  # still the pipe, device or folder
    if kind == "device link":
        assert target.is_symlink() and os.readlink(target) == "/dev/full"
    assert _leftovers(tmp_path) == []
    read = [k for k, n in demo.counts.items() if n and k.startswith("GET /library")]
    assert read == []  # refused before the library is read (only the connection was made)


@pytest.mark.parametrize("kind", ["device link", "folder"])
def test_export_refuses_a_target_that_is_not_a_file(
    demo: Any, home: Path, tmp_path: Path, kind: str
) -> None:
    """``export`` once 'wrote' its rows into /dev/null through a link and said it was done."""
    target = tmp_path / "target"
    if kind == "device link":
        target.symlink_to("/dev/null")
    else:
        target.mkdir()
    code, out, err = _run(demo, home, "export", str(target), "--library", "Movies")
    assert code == 2 and "not a file: nothing was written" in err and "Errno" not in err
    assert target.is_symlink() if kind == "device link" else target.is_dir()
    assert _leftovers(tmp_path) == []


def test_a_backup_through_a_link_to_a_file_replaces_the_file_and_keeps_the_link(
    demo: Any, home: Path, tmp_path: Path
) -> None:
    real = tmp_path / "real.json"
    real.write_text("old", encoding="utf-8")
    os.chmod(real, 0o640)
    link = tmp_path / "latest.json"
    link.symlink_to(real.name)
    code, out, err = _run(demo, home, "backup", str(link), "--yes", "--library", "Movies")
    assert code == 0, err
    assert link.is_symlink() and real.read_bytes().startswith(b"{")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the replaced file keeps its mode
    assert _leftovers(tmp_path) == []


# --- a full disk ---------------------------------------------------------------------------------


def test_a_full_disk_is_one_plain_sentence() -> None:
    """The real ENOSPC of /dev/full becomes the sentence, for any path, with no errno text."""
    try:
        with open("/dev/full", "wb", buffering=0) as fh:
            fh.write(b"x")
    except OSError as exc:
        real = exc
    else:  # pragma: no cover - every Linux has /dev/full
        pytest.skip("/dev/full accepted a write")
    assert real.errno == errno.ENOSPC
    err = write_error(real, os.fsdecode(b"/backups/\xff.json"))
    assert isinstance(err, WriteError) and isinstance(err, OSError)
    assert str(err) == f"/backups/\ufffd.json cannot be written: {DISK_FULL}."
    assert err.strerror == DISK_FULL and "No space" not in str(err)


def _can_mount_tmpfs(folder: Path) -> bool:
    if not shutil.which("unshare") or not sys.platform.startswith("linux"):
        return False
    r = subprocess.run(
        ["unshare", "-rm", "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$0"', str(folder)],
        capture_output=True,
    )
    return r.returncode == 0


def test_backup_and_export_on_a_full_disk_say_so_and_keep_the_old_files(
    demo: Any, home: Path, tmp_path: Path
) -> None:
    """A real full tmpfs: exit 2, the plain sentence, the earlier backup and CSV untouched."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _can_mount_tmpfs(disk):
        pytest.skip("no private mount namespace here (unshare -rm)")
    script = r"""
set -e
disk="$1"
mount -t tmpfs -o size=64k tmpfs "$disk"
printf old-backup > "$disk/b.json"
printf old-csv > "$disk/r.csv"
dd if=/dev/zero of="$disk/fill" bs=4k 2>/dev/null || true
set +e
run() { "$RG_PY" -m ratings_gui "$@" --server "$RG_URL" --token "$RG_TOKEN" --data-dir "$RG_HOME"; }
run backup "$disk/b.json" --yes --library Movies
echo "backup-exit=$?" >&2
run export "$disk/r.csv" --library Movies
echo "export-exit=$?" >&2
echo "kept=$(cat "$disk/b.json")+$(cat "$disk/r.csv")" >&2
echo "files=$(ls -A "$disk" | tr '\n' ' ')" >&2
"""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RG_PY": sys.executable,
        "RG_URL": demo.url,
        "RG_TOKEN": demo.token,
        "RG_HOME": str(home),
    }
    r = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", str(disk)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert "backup-exit=2" in r.stderr and "export-exit=2" in r.stderr, r.stderr
    assert r.stderr.count(DISK_FULL) == 2, r.stderr
    assert "No space left" not in r.stderr and "Errno" not in r.stderr
    assert "kept=old-backup+old-csv" in r.stderr  # both old files whole
    assert "files=b.json fill r.csv \n" in r.stderr  # no temp file left on the disk
