"""Issue 12, "nothing lost, ever": the server misbehaving, odd input, History of every job.

Real HTTP against the demo server (its fault injection and malformed-data
options), the CLI as a subprocess where the exit code and the JSON line
are what is promised.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ratings_gui.demo.server import Faults
from ratings_gui.plex.connection import PlexError, connect_direct
from ratings_gui.plex.snapshot import read_library

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PLEX_URL", "PLEX_TOKEN")}
    return subprocess.run(
        [sys.executable, "-m", "ratings_gui", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
    )


def last_json(out: str) -> dict[str, Any]:
    return json.loads(out.strip().splitlines()[-1])


# --- point 4: the first request is retried ------------------------------------------------


@pytest.mark.parametrize("kinds", [("503",), ("drop",), ("503", "drop", "500")])
def test_connect_retries_a_busy_or_dropped_first_request(demo: Any, kinds: tuple[str, ...]) -> None:
    demo.faults = Faults(fail_first=len(kinds), kinds=kinds, retry_after=0)
    conn = connect_direct(demo.url, demo.token)
    assert conn.name == "Demo Server"
    assert sum(demo.injected.values()) == len(kinds)


def test_connect_gives_up_on_a_server_that_stays_busy(demo: Any) -> None:
    demo.faults = Faults(fail_rate=1.0, kinds=("503",), retry_after=0)
    with pytest.raises(PlexError) as err:
        connect_direct(demo.url, demo.token)
    assert "503" in str(err.value)
    assert demo.injected["503"] == 4  # a few quick tries, not forever


# --- point 11: malformed server data --------------------------------------------------------


@pytest.mark.parametrize("body", [b"<html><body>router login", b"<html><body>hi</body></html>"])
def test_not_a_plex_server(demo: Any, body: bytes) -> None:
    demo.faults = Faults(root_body=body)
    with pytest.raises(PlexError) as err:
        connect_direct(demo.url, demo.token)
    assert "not a Plex server" in str(err.value)
    assert demo.token not in str(err.value)


def _malformed(demo: Any) -> tuple[int, int]:
    """Track A's ratingKey becomes "123x"; unrated track B says userRating="NaN"."""
    tracks = demo.lib.keys_of(1, "track")
    a = tracks[0]
    b = next(k for k in tracks[1:] if demo.lib.rating(k) is None)
    demo.faults = Faults(
        replace=(
            (f'<Track ratingKey="{a}" '.encode(), b'<Track ratingKey="123x" '),
            (
                f'<Track ratingKey="{b}" '.encode(),
                f'<Track ratingKey="{b}" userRating="NaN" '.encode(),
            ),
            (b'totalSize="', b'totalSize="-7'),  # "-7400": nonsense counts everywhere
        )
    )
    return a, b


def test_malformed_items_are_skipped_and_counted(demo: Any) -> None:
    conn = connect_direct(demo.url, demo.token)
    a, b = _malformed(demo)
    snap = read_library(conn, "Music")
    assert a not in snap.items and b not in snap.items
    assert len(snap.bad) == 2
    assert any("123x" in x for x in snap.bad) and any("NaN" in x for x in snap.bad)
    # every other track was still read, although totalSize made no sense
    assert len(snap.of_kind("track")) == len(demo.lib.keys_of(1, "track")) - 2


def test_malformed_server_data_gives_plain_answers_on_the_cli(demo: Any, tmp_path: Path) -> None:
    _malformed(demo)
    common = ["--server", demo.url, "--token", demo.token, "--data-dir", str(tmp_path), "--json"]
    r = run_cli("libraries", *common)
    assert r.returncode == 0, r.stderr
    assert "-7" not in r.stdout + r.stderr
    for job in (["base-rating", "--stars", "3"], ["infer"]):
        r = run_cli(*job, "--library", "Music", "--dry-run", *common)
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr and "TypeError" not in r.stderr
        assert last_json(r.stdout)["counts"]["skipped: malformed data from the server"] == 2


# --- point 13: History of a run with mood tags ---------------------------------------------


def test_history_of_an_infer_run_with_a_mood_tag(app: Any, demo: Any) -> None:
    from ratings_gui.jobs import infer as ij
    from ratings_gui.jobs.runner import JobContext

    job = ij.InferJob(app, ij.InferOptions("Music", mood_tag="Inferred"))
    plan = job.prepare(JobContext(lambda e: None))
    report = job.apply(JobContext(lambda e: None), plan)
    assert any(c.field == "mood" for c in report.applied)
    app.journal.close()
    home = str(app.paths.data.parent)
    r = run_cli("history", str(report.run_id), "--json", "--data-dir", home)
    assert r.returncode == 0, r.stderr
    obj = last_json(r.stdout)
    moods = [c for c in obj["changes_list"] if c["field"] == "mood"]
    assert moods and all(c["new"] == "Inferred" for c in moods)
    assert "mood tag 'Inferred' added" in r.stderr


# --- point 6: a scrobble the server applied but answered 500 is not sent again --------------


def test_scrobble_answered_500_after_it_was_counted_is_not_repeated(demo: Any) -> None:
    from ratings_gui.core.plan import PLEX, Change
    from ratings_gui.plex.writer import RatingWriter

    movies = [k for k in demo.lib.keys_of(2, "movie") if demo.lib.items[k].view_count == 0][:5]
    assert movies
    conn = connect_direct(demo.url, demo.token)
    demo.faults = Faults(fail_rate=1.0, kinds=("applied-500",), only_paths=("/:/scrobble",))
    changes = [Change(PLEX, str(k), "watched", False, True, "test") for k in movies]
    result = RatingWriter(conn).apply(changes)
    assert demo.injected["applied-500"] == len(movies)  # every scrobble got a 500
    assert [demo.lib.items[k].view_count for k in movies] == [1] * len(movies)
    assert len(result.applied) == len(movies) and not result.failed


# --- point 12: a failed --json run still ends with the JSON line ------------------------------


def test_failed_json_runs_print_the_json_line(demo: Any, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"  # nobody listens here
    cases = [
        (demo.url, "wrong-token-123", "401"),
        (closed, demo.token, "Could not reach"),
    ]
    for url, token, word in cases:
        r = run_cli(
            "libraries", "--server", url, "--token", token, "--json", "--data-dir", str(tmp_path)
        )
        assert r.returncode == 1
        obj = last_json(r.stdout)
        assert word in obj["error"] and obj["job"] == "libraries" and obj["exit_code"] == 1
        assert token not in r.stdout + r.stderr
    r = run_cli("libraries", "--json", "--data-dir", str(tmp_path))  # no server given
    assert r.returncode == 2 and "--server" in last_json(r.stdout)["error"]
