"""``python -m ratings_gui import`` / ``export`` against the demo server: JSON, exit codes, files."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from ratings_gui import cli

OUTCOMES = {
    "update",
    "unchanged",
    "not found",
    "type filtered",
    "invalid rating",
    "needs review",
    "duplicate row",
}


def run(capsys: pytest.CaptureFixture[str], demo: Any, home: Path, *args: str) -> tuple[int, Any]:
    """Run the CLI in-process; returns the exit code and the last stdout line as JSON (or None)."""
    code = cli.main(
        [*args, "--server", demo.url, "--token", demo.token, "--data-dir", str(home), "--json"]
    )
    lines = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(lines[-1]) if lines else None


def test_dry_run_then_apply(
    capsys: pytest.CaptureFixture[str], demo: Any, home: Path, tmp_path: Path
) -> None:
    paths = demo.write_exports(tmp_path / "in")
    demo.reset_counts()
    code, out = run(
        capsys, demo, home, "import", str(paths["imdb"]), "--library", "Movies", "--dry-run"
    )
    assert code == 0 and out["dry_run"] is True and out["run_id"] is None
    assert set(out["counts"]) >= OUTCOMES
    assert out["counts"]["update"] == out["changes"] > 0
    assert demo.total_requests("PUT") == 0
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["imdb_ratings.csv", "letterboxd"]

    unmatched = tmp_path / "out" / "missed.csv"
    before = {k: it.user_rating for k, it in demo.lib.items.items()}
    code, out = run(
        capsys, demo, home, "import", str(paths["imdb"]), "--all-libraries", "--yes",
        "--mark-watched", "--unmatched-out", str(unmatched),
    )  # fmt: skip
    assert code == 0 and out["run_id"] is not None
    assert out["counts"]["not found"] == 3
    assert out["counts"]["applied"] == out["counts"]["update"] > 0
    # grouped: a few multi-edits (one per library, type and value), no per-item rate
    assert 0 < demo.counts["PUT /library/sections/{id}/all"] < out["counts"]["applied"]
    assert demo.counts["PUT /:/rate"] == 0
    assert out["counts"]["marked watched"] == demo.counts["GET /:/scrobble"]
    assert out["unmatched_csv"] == str(unmatched)
    kept = out["counts"]["kept yours"]
    assert kept > 0  # the demo's export disagrees with ratings the owner gave in Plex
    with unmatched.open(encoding="utf-8-sig") as fh:
        listed = list(csv.DictReader(fh))
    assert sorted(r["reason"] for r in listed) == ["kept yours"] * kept + ["not found"] * 3
    for r in listed:
        if r["reason"] == "kept yours":
            assert r["detail"].startswith("Plex ") and ", IMDb " in r["detail"]
            item = next(it for it in demo.lib.items.values() if f"imdb://{r['imdb']}" in it.guids)
            assert item.user_rating == before[item.key]  # yours, untouched

    # --force (the old name of --overwrite) replaces them
    code, out = run(
        capsys, demo, home, "import", str(paths["imdb"]), "--all-libraries", "--yes", "--force"
    )
    assert code == 0 and out["counts"]["update"] == out["changes"] == kept
    with paths["imdb"].open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            item = next(
                (it for it in demo.lib.items.values() if f"imdb://{row['Const']}" in it.guids), None
            )
            if item is not None:
                assert item.user_rating == float(row["Your Rating"])

    # the same file again: nothing to write, exit 0
    code, out = run(capsys, demo, home, "import", str(paths["imdb"]), "--all-libraries", "--yes")
    assert code == 0 and out["changes"] == 0 and out["counts"]["update"] == 0


def test_needs_review_rows_are_listed_not_applied(
    capsys: pytest.CaptureFixture[str], demo: Any, home: Path, tmp_path: Path
) -> None:
    movies = [demo.lib.items[k] for k in demo.lib.keys_of(2, "movie")]
    title = movies[0].title  # the remake pair shares it: no year -> needs review
    path = tmp_path / "ratings.csv"
    path.write_text(
        f"Date,Name,Year,Letterboxd URI,Rating\n2024-01-01,{title},,https://boxd.it/x,4.5\n",
        encoding="utf-8",
    )
    before = {m.key: m.user_rating for m in movies}
    code, out = run(capsys, demo, home, "import", str(path), "--library", "Movies", "--yes")
    assert code == 0
    assert out["counts"]["needs review"] == 1 and out["changes"] == 0
    assert len(out["review"]) == 1 and title in out["review"][0]
    assert {m.key: m.user_rating for m in movies} == before
    assert demo.total_requests("PUT") == 0
    assert Path(out["unmatched_csv"]).parent == tmp_path


@pytest.mark.parametrize(
    "content,args",
    [
        (None, ()),  # missing file
        (b"Foo,Bar\n1,2\n", ()),  # unknown header
        (b"\x00\x01\xff\xfe\x89PNG\r\n" * 100, ()),  # binary junk
        (b"Date,Name,Year,Letterboxd URI,Rating\n", ("--format", "imdb")),  # wrong format
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    capsys: pytest.CaptureFixture[str],
    demo: Any,
    home: Path,
    tmp_path: Path,
    content: bytes | None,
    args: tuple[str, ...],
) -> None:
    path = tmp_path / "in.csv"
    if content is not None:
        path.write_bytes(content)
    demo.reset_counts()
    code = cli.main(
        ["import", str(path), "--library", "Movies", "--yes", *args,
         "--server", demo.url, "--token", demo.token, "--data-dir", str(home)]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 2
    assert "\nerror: " in "\n" + captured.err and "Traceback" not in captured.err
    assert demo.total_requests("PUT") == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == (
        ["in.csv"] if content is not None else []
    )


def test_library_choice_errors_exit_2(
    capsys: pytest.CaptureFixture[str], demo: Any, home: Path, tmp_path: Path
) -> None:
    paths = demo.write_exports(tmp_path)
    code, _ = run(capsys, demo, home, "import", str(paths["imdb"]), "--library", "Music", "--yes")
    assert code == 2
    code, _ = run(capsys, demo, home, "import", str(paths["imdb"]), "--yes")
    assert code == 2
    code, _ = run(capsys, demo, home, "import", str(paths["imdb"]), "--library", "Nope", "--yes")
    assert code == 2
    assert demo.total_requests("PUT") == 0


def test_export_letterboxd_and_csv(
    capsys: pytest.CaptureFixture[str], demo: Any, home: Path, tmp_path: Path
) -> None:
    lb, plain = tmp_path / "lb.csv", tmp_path / "plain.csv"
    code, out = run(
        capsys, demo, home, "export", "--format", "letterboxd", str(lb), "--library", "Movies"
    )
    assert code == 0 and out["job"] == "export"
    rated = [demo.lib.items[k] for k in demo.lib.keys_of(2, "movie") if demo.lib.rating(k)]
    with lb.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["Title", "Year", "imdbID", "tmdbID", "Rating"]
    assert len(rows) == len(rated) == out["counts"]["letterboxd rows"]
    code, out = run(
        capsys, demo, home, "export", "--format", "csv", str(plain), "--library", "TV Shows"
    )
    assert code == 0 and out["counts"]["csv rows"] > 0
    with plain.open(encoding="utf-8-sig") as fh:
        kinds = {r["Kind"] for r in csv.DictReader(fh)}
    assert kinds <= {"show", "season", "episode"} and "episode" in kinds
    code, _ = run(
        capsys, demo, home, "export", str(tmp_path / "no" / "x.csv"), "--library", "Movies"
    )
    assert code == 2
    assert demo.total_requests("PUT") == 0


def test_a_folder_with_two_exports_is_refused(
    capsys: pytest.CaptureFixture[str], demo: Any, home: Path, tmp_path: Path
) -> None:
    """Only one export is read from a folder: a second one beside it must not be skipped silently."""
    import shutil

    paths = demo.write_exports(tmp_path / "in")
    both = tmp_path / "both"
    both.mkdir()
    shutil.copy(paths["imdb"], both / "imdb_ratings.csv")
    shutil.copy(tmp_path / "in" / "letterboxd" / "ratings.csv", both / "ratings.csv")
    demo.reset_counts()
    code, out = run(capsys, demo, home, "import", str(both), "--library", "Movies", "--yes")
    assert code == 2 and out is not None
    assert "more than one export" in out["error"] and "imdb_ratings.csv" in out["error"]
    assert demo.total_requests("PUT") == 0 and demo.total_requests("GET") <= 2
