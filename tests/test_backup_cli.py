"""backup / restore / clear-ratings on the command line, against two demo servers."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_backup_restore import OFFSET, _ratings, _writes

from ratings_gui.core import restoreplan as rp
from ratings_gui.demo.server import DemoServer
from ratings_gui.demo.transfer import transferred_copy


def _run(srv: Any, home: Path, *argv: str) -> tuple[int, dict[str, Any], str]:
    from ratings_gui.cli import main

    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        code = main(
            [*argv, "--server", srv.url, "--token", srv.token, "--data-dir", str(home), "--json"]
        )
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    return code, (json.loads(lines[-1]) if lines else {}), err.getvalue()


@pytest.fixture
def second(demo: Any) -> Iterator[DemoServer]:
    srv = DemoServer(transferred_copy(demo.lib, key_offset=OFFSET), token="second-token")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def test_backup_restore_undo_on_the_command_line(
    demo: Any, second: DemoServer, home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "ratings.json.gz"
    want = _ratings(demo.lib)
    code, dry, _ = _run(demo, home, "backup", str(path), "--dry-run")
    assert code == 0 and dry["dry_run"] and dry["items"] == len(want) and not path.exists()
    code, done, _ = _run(demo, home, "backup", str(path))
    assert code == 0 and done["file"] == str(path) and done["items"] == len(want)
    assert done["requests"] <= 12 and done["counts"]["track"] > 0
    assert demo.token.encode() not in path.read_bytes()
    code, _, err = _run(demo, home, "backup", str(path))
    assert code == 2 and "exists: pass --yes" in err
    code, again, _ = _run(demo, home, "backup", str(path), "--yes")
    assert code == 0 and again["items"] == len(want)

    left = tmp_path / "left.csv"
    code, plan, _ = _run(second, home, "restore", str(path), "--dry-run", "--unmatched", str(left))
    assert code == 0 and plan["dry_run"] and plan["changes"] == len(want)
    assert plan["counts"][rp.NOT_FOUND] == 0 and not left.exists()  # nothing left over
    assert _writes(second) == 0 and _ratings(second.lib) == {}
    code, applied, _ = _run(second, home, "restore", str(path), "--yes")
    assert code == 0 and applied["changes"] == len(want) and applied["run_id"]
    assert _ratings(second.lib, OFFSET) == want
    code, undone, _ = _run(second, home, "undo", str(applied["run_id"]), "--yes")
    assert code == 0 and undone["changes"] == len(want)
    assert _ratings(second.lib) == {}


def test_restore_of_a_bad_file_is_exit_2_and_writes_nothing(
    demo: Any, second: DemoServer, home: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "export.json"
    bad.write_text('{"ratings": [1, 2, 3]}', encoding="utf-8")
    code, out, err = _run(second, home, "restore", str(bad), "--yes")
    assert code == 2 and "not a ratings backup" in err
    assert "not a ratings backup" in out["error"]  # a failed --json run still ends with JSON
    assert _writes(second) == 0


def test_restore_lists_conflicts_and_unmatched_rows(
    demo: Any, second: DemoServer, home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "b.json"
    assert _run(demo, home, "backup", str(path), "--library", "Movies")[0] == 0
    key = next(k for k in demo.lib.keys_of(2, "movie") if demo.lib.rating(k) is not None)
    second.lib.set_rating(key + OFFSET, 0.5 if demo.lib.rating(key) != 0.5 else 1.0)
    left = tmp_path / "left.csv"
    code, out, _ = _run(second, home, "restore", str(path), "--yes", "--unmatched", str(left))
    assert code == 0 and out["counts"][rp.CONFLICT] == 1 and out["unmatched_csv"] == str(left)
    assert rp.CONFLICT in left.read_text(encoding="utf-8-sig")
    assert second.lib.rating(key + OFFSET) != demo.lib.rating(key)
    code, out, _ = _run(second, home, "restore", str(path), "--yes", "--overwrite")
    assert code == 0 and out["changes"] == 1
    assert second.lib.rating(key + OFFSET) == demo.lib.rating(key)


def test_clear_needs_yes_writes_a_backup_and_can_be_undone(
    demo: Any, home: Path, tmp_path: Path
) -> None:
    want = _ratings(demo.lib)
    tracks = {k for k in want if demo.lib.items[k].kind == "track"}
    code, _, err = _run(demo, home, "clear-ratings", "--yes")
    assert code == 2 and "--library" in err
    code, out, err = _run(demo, home, "clear-ratings", "--library", "Music", "--kind", "track")
    assert code == 0 and out["dry_run"] and out["changes"] == len(tracks)
    assert "nothing is cleared without --yes" in err
    assert _ratings(demo.lib) == want and _writes(demo) == 0
    backup = tmp_path / "tracks.json"
    code, out, _ = _run(
        demo,
        home,
        "clear-ratings",
        "--library",
        "Music",
        "--kind",
        "track",
        "--yes",
        "--backup",
        str(backup),
    )
    assert code == 0 and out["changes"] == len(tracks) and out["backup"] == str(backup)
    assert _ratings(demo.lib) == {k: v for k, v in want.items() if k not in tracks}
    code, hist, _ = _run(demo, home, "history")
    assert hist["runs"][0]["job"] == rp.CLEAR_JOB
    code, _, _ = _run(demo, home, "undo", str(out["run_id"]), "--yes")
    assert code == 0 and _ratings(demo.lib) == want
    # the backup it wrote puts the same ratings back after another clear
    _run(demo, home, "clear-ratings", "--library", "Music", "--kind", "track", "--yes")
    code, out, _ = _run(demo, home, "restore", str(backup), "--yes", "--library", "Music")
    assert code == 0 and out["changes"] == len(tracks) and _ratings(demo.lib) == want


def test_scheduled_backup_names_its_file_by_date(demo: Any, home: Path, tmp_path: Path) -> None:
    import time

    code, out, _ = _run(demo, home, "backup", str(tmp_path / "ratings-{date}.json.gz"))
    want = tmp_path / f"ratings-{time.strftime('%Y-%m-%d')}.json.gz"
    assert code == 0 and out["file"] == str(want) and want.exists()
    assert want.read_bytes()[:2] == b"\x1f\x8b"
