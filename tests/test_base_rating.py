"""Base rating: the pure planner, the job, grouped edits, reset, watch and the CLI.

Everything that writes runs over real HTTP against the demo server.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import job_ctx, ratings_of, run_cli

from ratings_gui.core import baserating as brp
from ratings_gui.core.plan import PLEX, Change
from ratings_gui.core.records import Item
from ratings_gui.jobs import base_rating as br
from ratings_gui.jobs.undo import UndoJob
from ratings_gui.journal import Provenance
from ratings_gui.plex.bulk import BulkRatingWriter, EmptyIdList, multi_edit_params

MUSIC = "Music"


def _track(key: int, rating: float | None, added: int = 1000) -> Item:
    return Item(key=key, kind="track", title=f"t{key}", user_rating=rating, added_at=added)


def _opts(value: float = 6.0, **kw: Any) -> br.BaseRatingOptions:
    return br.BaseRatingOptions(MUSIC, value, **kw)


def _run(app: Any, opts: br.BaseRatingOptions, *, reset: bool = False) -> Any:
    job = br.BaseRatingJob(app, opts, reset=reset)
    plan = job.prepare(job_ctx())
    return plan, job.apply(job_ctx(), plan)


# --- pure ---------------------------------------------------------------------------------


def test_planner_outcomes_and_the_two_overrides() -> None:
    tracks = [
        _track(1, None),
        _track(2, 8.0),  # the user's own
        _track(3, 6.0),  # a base rating still standing
        _track(4, 4.0),  # a base rating at another value
        _track(5, 7.0),  # set by inference, still standing
        _track(6, 9.0),  # was base rated, the user changed it since: now the user's
        Item(key=7, kind="album", title="an album"),
    ]
    prov = {
        "3": Provenance(6.0, br.JOB, 1, whose="base"),
        "4": Provenance(4.0, br.JOB, 1, whose="base"),
        "5": Provenance(7.0, "inference", 2, whose="inferred"),
        "6": Provenance(6.0, br.JOB, 1, whose="base"),
    }
    plan = br.plan_base_rating(tracks, prov, value=6.0)
    assert [c.target for c in plan.changes] == ["1"]
    assert plan.summary() == {
        "already base rated": 2,
        "already rated by you": 2,
        "rated by the program": 1,
        "update": 1,
    }
    plan = br.plan_base_rating(tracks, prov, value=6.0, override_program=True)
    assert sorted(c.target for c in plan.changes) == ["1", "4", "5"]
    assert plan.counts[brp.MINE] == 2 and br.REPLACES_MINE not in plan.counts
    plan = br.plan_base_rating(tracks, prov, value=6.0, override_user=True)
    assert sorted(c.target for c in plan.changes) == ["1", "2", "6"]
    assert plan.counts[br.REPLACES_MINE] == 2
    assert all(c.new == 6.0 for c in plan.changes)


def test_planner_scope_newest_and_since() -> None:
    tracks = [_track(k, None, added=100 * k) for k in range(1, 11)]
    plan = br.plan_base_rating(tracks, {}, value=4.0, newest=3)
    assert sorted(int(c.target) for c in plan.changes) == [8, 9, 10]
    assert plan.counts[brp.OUT_OF_SCOPE] == 7
    plan = br.plan_base_rating(tracks, {}, value=4.0, since=650)
    assert sorted(int(c.target) for c in plan.changes) == [7, 8, 9, 10]
    plan = br.plan_base_rating(tracks, {}, value=4.0, since=650, newest=2)
    assert sorted(int(c.target) for c in plan.changes) == [9, 10]


def test_reset_plan_touches_only_standing_base_ratings() -> None:
    tracks = [_track(1, 6.0), _track(2, 9.0), _track(3, 8.0), _track(4, 5.0), _track(5, None)]
    prov = {
        "1": Provenance(6.0, br.JOB, 1, whose="base"),
        "2": Provenance(6.0, br.JOB, 1, whose="base"),  # the user re-rated it
        "4": Provenance(5.0, "inference", 3, whose="inferred"),  # not a base rating
        "5": Provenance(6.0, br.JOB, 1, whose="base"),  # cleared since
    }
    plan = br.plan_reset(tracks, prov)
    assert [(c.target, c.old, c.new) for c in plan.changes] == [("1", 6.0, None)]
    assert plan.counts[brp.TAKEN_OVER] == 1 and plan.counts[brp.NOT_BASE] == 2


def test_styles_offer_the_values_users_know() -> None:
    assert br.check_value(2.0, "like") == 2.0
    with pytest.raises(ValueError, match="Like only"):
        br.check_value(6.0, "like")
    assert br.check_value(8.0, "whole") == 8.0
    with pytest.raises(ValueError):
        br.check_value(7.0, "whole")
    assert br.check_value(7.0, "half") == 7.0


# --- against the demo server ----------------------------------------------------------------------


def test_only_unrated_tracks_change_and_undo_restores(app: Any, demo: Any) -> None:
    before = ratings_of(demo)
    unrated = {k for k, v in before.items() if v is None}
    plan, report = _run(app, _opts(6.0))
    rated = len(before) - len(unrated)
    assert len(plan) == len(unrated) and plan.counts[brp.MINE] + plan.counts[brp.SAME] == rated
    assert report.changes == len(unrated) and not report.failed
    after = ratings_of(demo)
    assert {k for k in before if after[k] != before[k]} == unrated
    assert all(after[k] == 6.0 for k in unrated)
    # History's undo of the run brings every track back
    job = UndoJob(app, report.run_id)
    job.apply(job_ctx(), job.prepare(job_ctx()))
    assert ratings_of(demo) == before


def test_override_replaces_program_ratings_never_the_users_without_second_choice(
    app: Any, demo: Any
) -> None:
    before = ratings_of(demo)
    unrated = [k for k, v in before.items() if v is None]
    mine = [k for k, v in before.items() if v is not None]
    _run(app, _opts(6.0))
    demo.lib.set_rating(unrated[0], 9.0)  # the user takes one over in Plex
    plan, _ = _run(app, _opts(8.0, override_program=True))
    assert len(plan) == len(unrated) - 1 and br.REPLACES_MINE not in plan.counts
    after = ratings_of(demo)
    assert all(after[k] == before[k] for k in mine)
    assert after[unrated[0]] == 9.0
    assert all(after[k] == 8.0 for k in unrated[1:])

    # the second, explicit choice: the plan says how many of the user's ratings go
    job = br.BaseRatingJob(app, _opts(8.0, override_program=True, override_user=True))
    plan = job.prepare(job_ctx())
    already_eight = sum(1 for k in mine if before[k] == 8.0)
    assert plan.counts[br.REPLACES_MINE] == len(mine) - already_eight + 1
    job.apply(job_ctx(), plan)
    assert set(ratings_of(demo).values()) == {8.0}


def test_reset_removes_only_base_ratings(app: Any, demo: Any) -> None:
    before = ratings_of(demo)
    unrated = [k for k, v in before.items() if v is None]
    _run(app, _opts(4.0))
    demo.lib.set_rating(unrated[0], 10.0)  # now the user's
    plan, report = _run(app, _opts(), reset=True)
    assert plan.job == br.RESET_JOB and len(plan) == len(unrated) - 1
    assert plan.counts[brp.TAKEN_OVER] == 1
    assert report.changes == len(unrated) - 1
    after = ratings_of(demo)
    assert after[unrated[0]] == 10.0
    assert all(after[k] is None for k in unrated[1:])
    assert all(after[k] == v for k, v in before.items() if v is not None)


def test_since_last_run_sees_only_tracks_added_after_it(app: Any, demo: Any) -> None:
    _run(app, _opts(6.0, newest=5))
    album = demo.lib.keys_of(1, "album")[0]
    new_key = demo.lib.add_track(album, "Brand New", 201_000)
    plan, report = _run(app, _opts(6.0, since_last_run=True))
    assert [c.target for c in plan.changes] == [str(new_key)]
    assert plan.counts[brp.OUT_OF_SCOPE] > 200
    assert demo.lib.rating(new_key) == 6.0 and report.changes == 1


def test_grouped_edits_one_request_per_value_and_chunk(app: Any, demo: Any) -> None:
    before = ratings_of(demo)
    unrated = [k for k, v in before.items() if v is None]
    demo.reset_counts()
    plan, report = _run(app, _opts(6.0, grouped=True))
    assert report.changes == len(unrated) and not report.failed
    assert demo.counts["PUT /library/sections/{id}/all"] == math.ceil(len(unrated) / 200)
    assert demo.counts["PUT /:/rate"] == 0
    assert all(demo.lib.rating(k) == 6.0 for k in unrated)
    assert {r.status for r in app.journal.changes(report.run_id)} == {"applied"}

    # two values -> two groups; a clear is a group of its own (probed, trusted on the demo)
    writer = BulkRatingWriter(app.connection, 1, chunk=50)
    a, b, c = unrated[:3]
    demo.reset_counts()
    res = writer.apply(
        [
            Change(PLEX, str(a), "userRating", 6.0, 8.0),
            Change(PLEX, str(b), "userRating", 6.0, 2.0),
            Change(PLEX, str(c), "userRating", 6.0, None),
        ]
    )
    assert len(res.applied) == 3 and not res.failed
    assert demo.counts["PUT /library/sections/{id}/all"] == 3
    assert demo.counts["PUT /:/rate"] == 0
    assert (demo.lib.rating(a), demo.lib.rating(b), demo.lib.rating(c)) == (8.0, 2.0, None)


def test_an_empty_id_list_is_never_sent(app: Any, demo: Any) -> None:
    """Without id= the server edits EVERY track: the guard must stop it before the wire."""
    before = ratings_of(demo)
    with pytest.raises(EmptyIdList):
        multi_edit_params("track", [], 6.0)
    writer = BulkRatingWriter(app.connection, 1)
    demo.reset_counts()
    with pytest.raises(EmptyIdList):
        writer.send_group([], 6.0)
    assert writer.apply([]).requests == 0
    assert demo.total_requests("PUT") == 0
    assert ratings_of(demo) == before


def test_watch_rates_a_track_added_while_it_runs(app: Any, demo: Any) -> None:
    before = ratings_of(demo)
    cancel = threading.Event()
    ctx = job_ctx(cancel)
    album = demo.lib.keys_of(1, "album")[1]
    added: list[int] = []
    result: list[Any] = []

    def run() -> None:
        result.append(br.watch(app, _opts(6.0), ctx, interval=0.3, seconds=15, alerts=False))

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.5)
    added.append(demo.lib.add_track(album, "Arrived While Watching", 180_000))
    deadline = time.monotonic() + 10
    while demo.lib.rating(added[0]) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    cancel.set()
    t.join(5)
    assert demo.lib.rating(added[0]) == 6.0
    stats = result[0]
    assert stats.rated == 1 and stats.seen == 1 and len(stats.runs) == 1
    # only the new track: older unrated tracks stay as they were
    after = ratings_of(demo)
    assert {k for k in after if after[k] != before.get(k)} == {added[0]}
    run = app.journal.run(stats.runs[0])
    assert run.job == br.JOB and run.applied == 1


# --- command line ------------------------------------------------------------------------------


def test_cli_json_counts_match_the_server(demo: Any, tmp_path: Path) -> None:
    before = ratings_of(demo)
    unrated = {k for k, v in before.items() if v is None}
    code, dry = run_cli("base-rating", demo, tmp_path / "cli-home", "--stars", "3", "--dry-run")
    assert code == 0 and dry["dry_run"] and dry["changes"] == len(unrated)
    assert ratings_of(demo) == before
    code, out = run_cli("base-rating", demo, tmp_path / "cli-home", "--stars", "3", "--yes")
    assert code == 0
    after = ratings_of(demo)
    changed = {k for k in before if after[k] != before[k]}
    assert changed == unrated
    assert out["changes"] == out["counts"]["applied"] == len(changed)
    rated = sum(v is not None for v in before.values())
    assert out["counts"][brp.MINE] + out["counts"][brp.SAME] == rated
    assert out["job"] == br.JOB and out["run_id"]

    code, out = run_cli("base-rating", demo, tmp_path / "cli-home", "--reset", "--yes")
    assert code == 0 and out["changes"] == len(unrated)
    assert ratings_of(demo) == before

    code, _ = run_cli(
        "base-rating",
        demo,
        tmp_path / "cli-home",
        "--stars",
        "3.5",
        "--style",
        "whole",
        "--dry-run",
    )
    assert code == 2


def test_cli_watch_rates_a_new_track(demo: Any, tmp_path: Path) -> None:
    album = demo.lib.keys_of(1, "album")[2]
    added: list[int] = []
    timer = threading.Timer(
        1.2, lambda: added.append(demo.lib.add_track(album, "Late Arrival", 150_000))
    )
    timer.start()
    try:
        code, out = run_cli(
            "base-rating",
            demo,
            tmp_path / "cli-home",
            "--stars",
            "2.5",
            "--newest",
            "1",
            "--yes",
            "--watch",
            "--interval",
            "0.3",
            "--watch-seconds",
            "2.5",
        )
    finally:
        timer.cancel()
    assert code == 0
    assert added and demo.lib.rating(added[0]) == 5.0
    assert out["watch"]["rated"] == 1 and out["watch"]["new_tracks"] == 1
