"""The headless CLI: libraries, history, undo; JSON last line; exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ratings_gui.core.plan import PLEX, Change, Plan
from ratings_gui.jobs.base import apply_plan
from ratings_gui.jobs.runner import JobContext

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    e = dict(os.environ)
    e.pop("PLEX_URL", None)
    e.pop("PLEX_TOKEN", None)
    e.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "ratings_gui", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=e,
        timeout=120,
    )


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_libraries_json(demo, tmp_path: Path) -> None:  # noqa: ANN001
    r = run_cli(
        "libraries",
        "--server",
        demo.url,
        "--token",
        demo.token,
        "--json",
        "--data-dir",
        str(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    obj = last_json(r.stdout)
    assert obj["job"] == "libraries" and obj["dry_run"] is True and obj["changes"] == 0
    libs = {x["name"]: x for x in obj["libraries"]}
    assert libs["Music"]["type"] == "artist"
    assert libs["Music"]["count"] == len(demo.lib.keys_of(1, "track"))
    assert libs["Movies"]["count"] == len(demo.lib.keys_of(2, "movie"))


def test_env_vars_and_bad_usage(demo, tmp_path: Path) -> None:  # noqa: ANN001
    r = run_cli(
        "libraries",
        "--json",
        "--data-dir",
        str(tmp_path),
        env={"PLEX_URL": demo.url, "PLEX_TOKEN": demo.token},
    )
    assert r.returncode == 0 and last_json(r.stdout)["libraries"]
    r = run_cli("libraries", "--data-dir", str(tmp_path))
    assert r.returncode == 2 and "--server" in r.stderr
    r = run_cli("frobnicate")
    assert r.returncode == 2
    r = run_cli(
        "libraries", "--server", demo.url, "--token", "nope-secret-xyz", "--data-dir", str(tmp_path)
    )
    assert r.returncode == 1 and "401" in r.stderr and "nope-secret-xyz" not in r.stderr + r.stdout


def test_history_and_undo(app, demo) -> None:  # noqa: ANN001
    lib = demo.lib
    keys = lib.keys_of(1, "track")[:2]
    before = {k: lib.rating(k) for k in keys}
    plan = Plan("test", options={"library": "Music"})
    for k in keys:
        plan.add(
            Change(
                PLEX,
                str(k),
                "userRating",
                lib.rating(k),
                1.0 if lib.rating(k) != 1.0 else 2.0,
                "t",
                f"t{k}",
            )
        )
    report = apply_plan(app, plan, JobContext(lambda e: None))
    app.journal.close()
    home = str(app.paths.data.parent)
    common = ["--server", demo.url, "--token", demo.token, "--data-dir", home, "--json"]

    r = run_cli("history", "--json", "--data-dir", home)
    assert r.returncode == 0, r.stderr
    runs = last_json(r.stdout)["runs"]
    assert runs[0]["id"] == report.run_id and runs[0]["applied"] == 2

    r = run_cli("undo", str(report.run_id), *common, "--dry-run")
    obj = last_json(r.stdout)
    assert (
        r.returncode == 0
        and obj["dry_run"]
        and obj["changes"] == 2
        and obj["counts"] == {"update": 2}
    )
    assert {k: lib.rating(k) for k in keys} != before  # dry run wrote nothing

    r = run_cli("undo", str(report.run_id), *common)
    assert r.returncode == 2 and "--yes" in r.stderr  # no terminal, no --yes: nothing applied

    r = run_cli("undo", str(report.run_id), *common, "--yes")
    obj = last_json(r.stdout)
    assert r.returncode == 0, r.stderr
    assert obj["job"] == "undo" and obj["changes"] == 2 and obj["run_id"] > report.run_id
    assert obj["counts"]["applied"] == 2
    assert {k: lib.rating(k) for k in keys} == before

    r = run_cli("undo", "9999", *common)
    assert r.returncode == 2 and "no run 9999" in r.stderr


def test_history_on_an_empty_data_folder_says_there_are_no_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ratings_gui.cli import main

    assert main(["history", "--data-dir", str(tmp_path / "fresh")]) == 0
    assert "No runs yet" in capsys.readouterr().out
