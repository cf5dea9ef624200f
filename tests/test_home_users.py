"""Plex Home users: every job as a member changes that member's ratings only.

The demo server is a Plex Home (the owner, Alex with PIN 1234, managed Sam,
Jo) with per-token ratings on every route and 403 on a member's edits; the
command line reaches its plex.tv part through ``RATINGS_GUI_PLEXTV``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

from ratings_gui.demo.home import DEMO_PIN

USERS = (None, "Alex", "Sam", "Jo")


@pytest.fixture(autouse=True)
def _plextv(demo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATINGS_GUI_PLEXTV", demo.url)
    monkeypatch.delenv("PLEX_PIN", raising=False)


def everyone(demo: Any) -> dict[Any, dict[int, float]]:
    """Every user's ratings (ratingKey -> value), the owner under None."""
    return {u: dict(demo.ratings_of(u)) for u in USERS}


def only_changed(before: dict[Any, Any], after: dict[Any, Any], who: str) -> dict[int, Any]:
    """Assert that nobody but ``who`` changed; return ``who``'s changed keys -> new value."""
    for u in USERS:
        if u != who:
            assert after[u] == before[u], f"{u or 'the owner'}'s ratings changed"
    mine_b, mine_a = before[who], after[who]
    return {k: mine_a.get(k) for k in set(mine_a) | set(mine_b) if mine_a.get(k) != mine_b.get(k)}


def test_home_users_lists_the_members(demo: Any, home: Path) -> None:
    code, out = run_cli("home-users", demo, home)
    assert code == 0
    users = out["users"]
    assert [u["name"] for u in users][0] == "Demo User" and users[0]["admin"] is True
    by = {u["name"]: u for u in users}
    assert set(by) == {"Demo User", "Alex", "Sam", "Jo"}
    assert by["Alex"]["protected"] and not by["Jo"]["protected"] and by["Sam"]["restricted"]
    assert all(set(u) == {"name", "id", "uuid", "admin", "protected", "restricted"} for u in users)


def test_wrong_pin_or_unknown_member_writes_nothing(demo: Any, home: Path) -> None:
    before = everyone(demo)
    code, out = run_cli("base-rating", demo, home, "--stars", "3", "--user", "Alex",
                        "--pin", "0000", "--yes")  # fmt: skip
    assert code == 2 and "PIN for Alex is not right" in out["error"]
    assert "Demo User (owner), Alex (PIN)" in out["error"]
    code, out = run_cli("base-rating", demo, home, "--stars", "3", "--user", "Nobody", "--yes")
    assert code == 2 and "no Plex Home member called 'Nobody'" in out["error"]
    assert "Jo" in out["error"] and "Sam" in out["error"]
    assert everyone(demo) == before
    assert demo.total_requests("PUT") == 0


def test_base_rating_as_a_member_then_undo_as_that_member(demo: Any, home: Path) -> None:
    before = everyone(demo)
    code, out = run_cli("base-rating", demo, home, "--stars", "3", "--user", "Jo", "--yes")
    assert code == 0 and out["changes"] > 0
    changed = only_changed(before, everyone(demo), "Jo")
    assert len(changed) == out["changes"] and set(changed.values()) == {6.0}
    # every track Jo had not rated, and only those
    assert all(before["Jo"].get(k) is None for k in changed)
    # undo, asked as the owner: it runs as Jo by itself
    code, undo = run_cli("undo", demo, home, str(out["run_id"]), "--yes")
    assert code == 0 and undo["changes"] == out["changes"]
    assert everyone(demo) == before
    code, hist = run_cli("history", demo, home)
    assert code == 0
    by_id = {r["id"]: r for r in hist["runs"]}
    # History says whose ratings each run changed; the undo ran as Jo too
    assert by_id[out["run_id"]]["user"] == "Jo" and by_id[undo["run_id"]]["user"] == "Jo"
    assert by_id[out["run_id"]]["user_id"] == by_id[undo["run_id"]]["user_id"] != ""


def test_import_as_the_protected_member_with_the_pin(demo: Any, home: Path, tmp_path: Path) -> None:
    paths = demo.write_exports(tmp_path)
    before = everyone(demo)
    code, out = run_cli("import", demo, home, str(paths["imdb"]), "--all-libraries",
                        "--user", "alex", "--pin", DEMO_PIN, "--yes", library="Movies")  # fmt: skip
    assert code == 0 and out["changes"] > 0
    changed = only_changed(before, everyone(demo), "Alex")
    assert len(changed) == out["counts"]["applied"]
    # Alex's own differing ratings were kept, as for anyone
    with paths["imdb"].open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert out["counts"].get("kept yours", 0) + out["counts"]["update"] <= len(rows)


def test_inference_as_a_member_falls_back_from_grouped_edits_and_skips_the_mood_tag(
    demo: Any, home: Path
) -> None:
    before = everyone(demo)
    demo.reset_counts()
    code, out = run_cli("infer", demo, home, "--mood-tag", "Rating_Inferred", "--user", "Jo",
                        "--yes")  # fmt: skip
    assert code == 0, out
    assert out["changes"] > 0
    changed = only_changed(before, everyone(demo), "Jo")
    assert changed and all(before["Jo"].get(k) is None for k in changed)
    # the member's grouped edits were refused (403) and went item by item
    assert demo.counts["PUT /:/rate"] >= len(changed)
