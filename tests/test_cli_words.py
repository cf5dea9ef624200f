"""Issue 24 item 10: the command line says each thing once, in the user's units.

``import --dry-run`` lists every change once (stars, old -> new, why);
``infer --backtest`` gives its errors in stars only (the JSON keeps the
figures, named as Plex units); ``history`` on an empty data folder says
"No runs yet". Real HTTP to the demo server.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

from ratings_gui.cli import main


def _run(demo: Any, home: Path, *args: str) -> tuple[int, str, dict[str, Any]]:
    """The CLI in-process: exit code, everything it said (stdout and stderr), the JSON line."""
    out, err = io.StringIO(), io.StringIO()
    argv = [*args, "--server", demo.url, "--token", demo.token, "--data-dir", str(home), "--json"]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    said = "\n".join(lines[:-1]) + "\n" + err.getvalue()
    return code, said, json.loads(lines[-1]) if lines else {}


def test_import_dry_run_lists_each_change_once(demo: Any, home: Path, tmp_path: Path) -> None:
    paths = demo.write_exports(tmp_path / "in")
    code, said, out = _run(
        demo, home, "import", str(paths["imdb"]), "--library", "Movies", "--dry-run"
    )
    assert code == 0 and out["dry_run"] is True and out["changes"] > 0
    assert demo.total_requests("PUT") == 0
    labels = [ln for ln in said.splitlines() if "★" in ln or " -> " in ln]
    assert len(labels) == min(out["changes"], 20)  # the first 20, each once
    for line in labels:
        title = line.strip().split(": ")[0]
        assert sum(ln.strip().startswith(f"{title}:") for ln in said.splitlines()) == 1, title
        assert re.search(r" -> [★½]", line), line  # one format: stars, old -> new
    # the counts are said once too: no "breakdown:" line beside the plan's counts
    assert "breakdown:" not in said
    assert said.count(f"plan: {out['changes']:,} changes") == 1
    assert "update:" not in said  # the changes' count is the plan line itself
    assert not re.search(r": 0$", said, re.M)  # outcomes that did not happen are left out


def test_infer_backtest_speaks_stars_only(demo: Any, home: Path) -> None:
    code, said, out = _run(demo, home, "infer", "--library", "Music", "--backtest")
    assert code == 0
    text = said.split("backtest:", 1)[1]
    assert "MAE" not in text and "RMSE" not in text and "Plex units" not in text
    engine = out["backtest"]["engine"]["mae"]
    # the engine's line says the JSON's error (Plex units) halved: stars
    assert f"off by {engine / 2:.2f} stars on average" in text
    for line in text.splitlines()[1:5]:
        assert re.search(r"off by \d\.\d\d stars on average \(typical miss \d\.\d\d stars\)", line)


def test_history_on_an_empty_data_folder_says_no_runs_yet(demo: Any, home: Path) -> None:
    code, said, out = _run(demo, home, "history")
    assert code == 0 and out["counts"]["runs"] == 0
    assert "No runs yet" in said
