"""Issue 23 ("Nothing lost, part two"), items 1, 5 and 8, with the CLI in a child process.

1. The journal deleted while base rating writes: the run notices, stops with a
   plain error and leaves a recovery file that ``undo --from FILE`` takes back.
5. An interrupted run's ``--json`` line carries its run id and what landed
   (Ctrl-C within 2 s; a server that stops answering stops the run within 60 s).
8. A read-only journal or a full disk: one plain sentence, exit 2, nothing written.

Real HTTP to the demo server, real CLI subprocesses; the read-only file and
the full disk are real mounts in a user namespace (``unshare``).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ratings_gui.demo.library import DemoLibrary
from ratings_gui.demo.server import DemoServer, Faults
from ratings_gui.settings import resolve_paths

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals, unlink and mounts are POSIX")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def big_demo() -> Iterator[DemoServer]:
    """A demo server with enough unrated tracks (about 1,660) for a run to be caught mid-way."""
    lib = DemoLibrary.generate(seed=7, tracks=2400, movies=3, shows=1)
    srv = DemoServer(lib, token="demo-token")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "ratings_gui", *args]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PLEX_URL", "PLEX_TOKEN")}


def _start(argv: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=_env()
    )


def _last_json(out: str) -> dict[str, Any]:
    return json.loads(out.strip().splitlines()[-1])


def _common(demo: DemoServer, home: Path) -> list[str]:
    return ["--server", demo.url, "--token", demo.token, "--data-dir", str(home), "--json"]


def _base_rating(demo: DemoServer, home: Path, *extra: str) -> list[str]:
    return _argv("base-rating", "--library", "Music", "--stars", "3", *extra, *_common(demo, home))


#: Each request to the demo takes this long: base rating's grouped edits (250 tracks each)
#: then take a few seconds, long enough to act on a run in the middle.
SLOW = Faults(latency_ms=250)


def _ratings(demo: DemoServer) -> dict[int, Any]:
    return {k: demo.lib.rating(k) for k in demo.lib.keys_of(1, "track")}


def _changed(before: dict[int, Any], demo: DemoServer) -> set[int]:
    return {k for k, v in _ratings(demo).items() if v != before[k]}


def _wait_for_writes(
    demo: DemoServer, before: dict[int, Any], child: subprocess.Popen[str], n: int
) -> None:
    """Until at least ``n`` ratings on the server hold the run's value."""
    deadline = time.monotonic() + 60
    while len(_changed(before, demo)) < n:
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the run never wrote"
        time.sleep(0.01)


# --- 1. a deleted journal -----------------------------------------------------------------------


def test_journal_deleted_mid_run_stops_it_and_undo_from_the_recovery_file(
    big_demo: DemoServer, tmp_path: Path
) -> None:
    demo = big_demo
    home = tmp_path / "home"
    before = _ratings(demo)
    demo.faults = SLOW  # long enough a run to delete its journal mid-way
    journal = resolve_paths(home).journal_file
    child = _start(_base_rating(demo, home, "--yes"))
    _wait_for_writes(demo, before, child, 300)
    journal.unlink()  # what `rm` does
    out, err = child.communicate(timeout=120)
    changed = _changed(before, demo)

    assert child.returncode == 1, err
    assert "OperationalError" not in err and "Traceback" not in err
    obj = _last_json(out)
    assert obj["run_id"] and obj["changes"] == len(changed) > 0
    assert len(changed) < 1500  # it stopped: the rest was not written
    rec = Path(obj["recovery_file"])
    assert rec.parent == journal.parent and rec.exists()
    assert str(rec) in obj["error"] and "was deleted" in obj["error"]
    assert f"undo --from {rec}" in err
    doc = json.loads(rec.read_text(encoding="utf-8"))
    landed = {int(c["target"]) for c in doc["changes"] if c["status"] == "applied"}
    assert landed == changed
    first = doc["changes"][0]
    assert {"target_kind", "target", "field", "old", "new", "server", "user"} <= set(first)
    assert first["server"] == demo.name and first["field"] == "userRating"
    # the next start has a fresh journal (History empty of the lost run)
    assert journal.exists()

    # someone rates one of the tracks meanwhile: undo leaves it alone
    mine = sorted(changed)[0]
    demo.lib.set_rating(mine, 10.0)
    demo.faults = Faults()
    r = subprocess.run(
        _argv("undo", "--from", str(rec), "--yes", *_common(demo, home)),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    undo = _last_json(r.stdout)
    assert undo["changes"] == len(changed) - 1
    assert undo["counts"]["changed since"] == 1
    after = _ratings(demo)
    assert after[mine] == 10.0
    assert {k: v for k, v in after.items() if k != mine} == {
        k: v for k, v in before.items() if k != mine
    }
    # History now shows the recovered run as undone (all but the one left alone)
    r = subprocess.run(
        _argv("history", "--json", "--data-dir", str(home)),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
        timeout=60,
    )
    runs = {x["job"]: x for x in _last_json(r.stdout)["runs"]}
    assert runs["base-rating"]["status"] == "partly undone"
    assert runs["base-rating"]["undone"] == len(changed) - 1


# --- 5. interrupted runs in --json --------------------------------------------------------------


def test_ctrl_c_json_line_has_the_run_id_and_what_landed(
    big_demo: DemoServer, tmp_path: Path
) -> None:
    demo = big_demo
    home = tmp_path / "home"
    before = _ratings(demo)
    demo.faults = SLOW
    child = _start(_base_rating(demo, home, "--yes"))
    _wait_for_writes(demo, before, child, 431)
    t0 = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    took = time.monotonic() - t0
    assert took < 2.0, err
    assert child.returncode == 1
    obj = _last_json(out)
    landed = len(_changed(before, demo))
    assert obj["run_id"] is not None and "interrupted" in obj["error"]
    # what the journal knows landed; a write answered as Ctrl-C came may still be pending
    pending = obj["counts"].get("pending", 0)
    assert landed >= 431 and obj["changes"] <= landed <= obj["changes"] + pending
    assert obj["changes"] >= landed - 10
    print(f"Ctrl-C after {landed} writes: exited in {took:.2f} s")


def test_a_server_that_hangs_mid_run_stops_it_within_60_s_with_what_landed(
    big_demo: DemoServer, tmp_path: Path
) -> None:
    demo = big_demo
    home = tmp_path / "home"
    before = _ratings(demo)
    demo.faults = SLOW
    child = _start(_base_rating(demo, home, "--yes"))
    _wait_for_writes(demo, before, child, 394)
    # from now on the server accepts connections and never answers
    demo.faults = Faults(fail_rate=1.0, kinds=("timeout",), timeout_delay=600)
    hung = time.monotonic()
    try:
        out, err = child.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        pytest.fail("the run was still waiting on the server after 90 s")
    took = time.monotonic() - hung
    assert took < 60, err
    assert child.returncode == 1, err
    obj = _last_json(out)
    landed = len(_changed(before, demo))
    assert obj["run_id"] is not None
    assert obj["changes"] == landed >= 394
    assert "stopped answering" in err
    print(f"server hung after {landed} writes: the run stopped in {took:.1f} s")


# --- 8. a read-only journal, a full disk ----------------------------------------------------------


def _namespaces() -> bool:
    if not shutil.which("unshare"):
        return False
    r = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    return r.returncode == 0


needs_mounts = pytest.mark.skipif(not _namespaces(), reason="needs unshare -rm (user namespaces)")


def _prepared_home(demo: Any, tmp_path: Path) -> Path:
    """A data folder with a journal in it (a dry run made it), as a user's would be."""
    home = tmp_path / "home"
    r = subprocess.run(
        _base_rating(demo, home, "--dry-run"),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert resolve_paths(home).journal_file.exists()
    return home


def _run_in_namespace(setup: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    cmd = " ".join(shlex.quote(a) for a in argv)
    return subprocess.run(
        ["unshare", "-rm", "sh", "-ec", f"{setup}\nexec {cmd}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
        timeout=120,
    )


@needs_mounts
def test_read_only_journal_is_one_plain_sentence_and_exit_2(demo: Any, tmp_path: Path) -> None:
    home = _prepared_home(demo, tmp_path)
    journal = resolve_paths(home).journal_file
    before = _ratings(demo)
    setup = f"mount --bind '{journal}' '{journal}'\nmount -o remount,ro,bind '{journal}'"
    r = _run_in_namespace(setup, _base_rating(demo, home, "--yes"))
    assert r.returncode == 2, r.stderr
    sentence = f"The history database ({journal}) is read-only; nothing was written."
    assert sentence in r.stderr
    assert "OperationalError" not in r.stderr + r.stdout and "Traceback" not in r.stderr
    assert sentence in _last_json(r.stdout)["error"]
    assert _ratings(demo) == before

    # the window gets the same sentence through the same exception type (plain_message)
    probe = (
        "from ratings_gui.journal import Journal, JournalUnwritable\n"
        "from ratings_gui.plex.connection import describe_error\n"
        f"j = Journal({str(journal)!r})\n"
        "try:\n"
        "    j.start_run('base-rating', server='s', library='Music')\n"
        "except JournalUnwritable as exc:\n"
        "    assert exc.plain_message\n"
        "    print(describe_error(exc))\n"
    )
    r = _run_in_namespace(setup, [sys.executable, "-c", probe])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith(sentence)


@needs_mounts
def test_full_disk_is_one_plain_sentence_and_exit_2(demo: Any, tmp_path: Path) -> None:
    home = _prepared_home(demo, tmp_path)
    data = resolve_paths(home).data
    saved = data.with_name("data-saved")
    data.rename(saved)
    data.mkdir()
    before = _ratings(demo)
    # a small disk holding the journal, filled up but for SQLite's 32 KB shared-memory file
    setup = (
        f"mount -t tmpfs -o size=1m tmpfs '{data}'\n"
        f"cp -a '{saved}/.' '{data}/'\n"
        f"avail=$(df -k --output=avail '{data}' | tail -1)\n"
        f"dd if=/dev/zero of='{data}/filler' bs=1k count=$((avail - 33)) 2>/dev/null"
    )
    r = _run_in_namespace(setup, _base_rating(demo, home, "--yes"))
    assert r.returncode == 2, r.stderr
    sentence = f"The disk holding the history database ({data / 'journal.sqlite3'}) is full;"
    assert sentence in r.stderr and "nothing was written" in r.stderr
    assert "OperationalError" not in r.stderr + r.stdout and "Traceback" not in r.stderr
    assert _ratings(demo) == before
