"""The inference job end to end over real HTTP against the demo server (unmodified plexapi).

The user's ratings stay untouched, inferred values are the engine's, a
second run writes nothing, a re-rated inferred item is left alone, the
mood tag follows, a cancelled run resumes, and the CLI does the same.
"""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import job_ctx, ratings_of, run_cli

from ratings_gui.core import inference as inf
from ratings_gui.jobs import infer as ij
from ratings_gui.jobs.runner import Progress
from ratings_gui.jobs.undo import UndoJob
from ratings_gui.plex.connection import PlexError

MUSIC = "Music"
KINDS = ("artist", "album", "track")


def _run(app: Any, **kw: Any) -> tuple[Any, Any, ij.InferJob]:
    job = ij.InferJob(app, ij.InferOptions(MUSIC, **kw))
    plan = job.prepare(job_ctx())
    return plan, job.apply(job_ctx(), plan), job


def test_first_run_infers_second_writes_nothing_rerated_item_left_alone(
    app: Any, demo: Any
) -> None:
    before = ratings_of(demo, KINDS)
    own = {k: v for k, v in before.items() if v is not None}
    plan, report, job = _run(app, mood_tag="Rating_Inferred")
    assert report.changes == len(plan) > 100 and not report.failed
    after = ratings_of(demo, KINDS)
    assert all(after[k] == v for k, v in own.items())  # the user's ratings, untouched
    # inferred values as the engine computes them from the snapshot
    _, res = inf.plan_inference(job.items, {}, inf.Params())
    ratings = [c for c in plan.changes if c.field == "userRating"]
    moods = [c for c in plan.changes if c.field == "mood"]
    assert len(ratings) + len(moods) == len(plan)
    for c in ratings:
        k = int(c.target)
        assert after[k] == inf.round_step(res.values[k].value, 1.0) == c.new
        assert float(c.new).is_integer()  # half stars (whole Plex units) by default
    assert job.read_requests <= 10  # sections, 3 listings, 3 mood lists (+ tagged listings)
    tagged = {k for k in before if "Rating_Inferred" in demo.lib.items[k].moods}
    assert tagged == {int(c.target) for c in ratings} == {int(c.target) for c in moods}
    # every mood write is journaled with old and new, like the ratings
    rows = app.journal.changes(report.run_id)
    mood_rows = [r for r in rows if r.change.field == "mood"]
    assert len(mood_rows) == len(moods)
    assert all(r.status == "applied" and r.change.new == "Rating_Inferred" for r in mood_rows)

    plan2, report2, _ = _run(app, mood_tag="Rating_Inferred")
    assert len(plan2) == 0 and report2.changes == 0
    assert plan2.counts[inf.SAME] == len(ratings)
    assert report2.extra.get("requests") == 0

    # the user re-rates an inferred track: it is theirs from now on
    key = next(
        int(c.target)
        for c in plan.changes
        if job.result.values[int(c.target)].source == "track-down"
    )  # type: ignore[union-attr]
    new = 2.0 if after[key] != 2.0 else 4.0
    demo.lib.set_rating(key, new)
    plan3, _, job3 = _run(app, mood_tag="Rating_Inferred")
    assert str(key) not in {c.target for c in plan3.changes if c.field == "userRating"}
    assert [c.old for c in plan3.changes if c.target == str(key)] == ["Rating_Inferred"]
    assert demo.lib.rating(key) == new
    assert job3.result is not None and job3.result.manual[key] == new
    assert "Rating_Inferred" not in demo.lib.items[key].moods  # untagged: it is the user's
    _, _, job4 = _run(app, mood_tag="Rating_Inferred")
    assert demo.lib.rating(key) == new and job4.result.manual[key] == new  # type: ignore[union-attr]


def test_backtest_beats_the_library_mean(app: Any, demo: Any) -> None:
    job = ij.InferJob(app, ij.InferOptions(MUSIC))
    bt = job.backtest(job_ctx())
    assert bt.hidden > 20
    assert bt.mae < bt.baselines["library mean"][0]
    assert bt.rmse < bt.baselines["library mean"][1]
    # k-fold: every rating of the user's (filler aside) is hidden once; the fit beats classic
    assert bt.folds == 5 and bt.engine == "fitted"
    assert bt.mae < bt.scores["classic"][0] and bt.mae < bt.scores["album mean"][0]
    classic = inf.backtest(job.items, {}, inf.Params(method="classic"))
    assert classic.engine == "classic" and classic.mae == pytest.approx(bt.scores["classic"][0])


def test_cancelled_apply_resumes_without_redoing_writes(app: Any, demo: Any) -> None:
    job = ij.InferJob(app, ij.InferOptions(MUSIC))
    plan = job.prepare(job_ctx())
    cancel = threading.Event()

    def on(ev: Any) -> None:
        if isinstance(ev, Progress) and ev.done >= 20:
            cancel.set()

    from ratings_gui.demo.server import Faults

    demo.faults = Faults(latency_ms=5)  # slow enough that the cancel lands mid-run
    try:
        report = job.apply(job_ctx(cancel, on), plan)
    finally:
        demo.faults = Faults()
    written = report.changes
    assert 0 < written < len(plan)
    # a crash between write and journal mark: leave one applied change pending
    run = app.journal.runs()[0]
    row = next(r for r in app.journal.changes(run.id) if r.status == "applied")
    app.journal.mark([row.id], "pending")
    plan2, report2, _ = _run(app)
    assert len(plan2) == len(plan) - written
    assert row.change.target not in {c.target for c in plan2.changes}
    assert report2.changes == len(plan2)
    plan3, _, _ = _run(app)
    assert len(plan3) == 0


def test_rebuild_provenance_from_mood_tags(app: Any, demo: Any, tmp_path: Path) -> None:
    plan, _, _ = _run(app, mood_tag="Rating_Inferred")
    # the journal is lost: a fresh data folder
    from ratings_gui.context import AppContext
    from ratings_gui.plex.connection import connect_direct

    fresh = AppContext.open(tmp_path / "fresh", plextv_base=demo.url)
    try:
        fresh.set_connection(connect_direct(demo.url, demo.token))
        job = ij.InferJob(fresh, ij.InferOptions(MUSIC, mood_tag="Rating_Inferred"))
        ratings = [c for c in plan.changes if c.field == "userRating"]
        assert job.rebuild_provenance(job_ctx()) == len(ratings)
        plan2 = ij.InferJob(fresh, ij.InferOptions(MUSIC, mood_tag="Rating_Inferred")).prepare(
            job_ctx()
        )
        assert len(plan2) == 0  # the rebuilt values are inferred ones: tags stay, nothing to write
        # the rebuild only recorded provenance: History shows it, undo refuses it
        run = fresh.journal.runs()[0]
        assert run.job == ij.REBUILD_JOB and run.applied == len(ratings)
        with pytest.raises(PlexError, match="only recorded"):
            UndoJob(fresh, run.id).prepare(job_ctx())
    finally:
        fresh.close()


def test_undo_of_an_infer_run_restores_ratings_and_mood_tags(app: Any, demo: Any) -> None:
    before = ratings_of(demo, KINDS)
    moods_before = {k: list(demo.lib.items[k].moods) for k in before}
    plan, report, _ = _run(app, mood_tag="Rating_Inferred")
    assert any(c.field == "mood" for c in plan.changes)
    # the user re-rates one inferred album in Plex: undo leaves the rating alone (and takes
    # the tag off: it is not an inferred value any more)
    album = next(
        int(c.target)
        for c in plan.changes
        if c.field == "userRating" and demo.lib.items[int(c.target)].kind == "album"
    )
    demo.lib.set_rating(album, 1.0)
    undo = UndoJob(app, report.run_id)
    uplan = undo.prepare(job_ctx())
    assert uplan.counts["changed since"] == 1
    undo.apply(job_ctx(), uplan)
    for k, v in before.items():
        if k == album:
            assert demo.lib.rating(k) == 1.0
            assert "Rating_Inferred" not in demo.lib.items[k].moods
        else:
            assert demo.lib.rating(k) == v
            assert demo.lib.items[k].moods == moods_before[k]
    # the next run sees the restored state: the album is the user's, nothing to do there
    plan2 = ij.InferJob(app, ij.InferOptions(MUSIC, mood_tag="Rating_Inferred")).prepare(job_ctx())
    assert not [c for c in plan2.changes if c.target == str(album)]
    assert len(plan2) == len(plan) - 2  # all again, but the album's rating and tag


def test_cli_dry_run_apply_backtest_reports(demo: Any, tmp_path: Path) -> None:
    home = tmp_path / "cli"
    before = ratings_of(demo, KINDS)
    code, dry = run_cli("infer", demo, home, "--passes", "up", "--set", "confidence=1", "--dry-run")
    assert code == 0 and dry["dry_run"] and dry["changes"] > 0
    assert ratings_of(demo, KINDS) == before
    code, out = run_cli("infer", demo, home, "--passes", "up", "--set", "confidence=1", "--yes")
    assert code == 0 and out["changes"] == dry["changes"]
    after = ratings_of(demo, KINDS)
    changed = {k for k in before if after[k] != before[k]}
    assert {demo.lib.items[k].kind for k in changed} <= {"artist", "album"}
    code, again = run_cli("infer", demo, home, "--passes", "up", "--set", "confidence=1", "--yes")
    assert code == 0 and again["changes"] == 0
    code, bt = run_cli("infer", demo, home, "--backtest", "--set", "sure_within=0.4")
    b = bt["backtest"]
    assert code == 0 and b["engine"]["mae"] < b["baselines"]["library mean"]["mae"]
    # every method's errors, the calibration and the plain sentence, as JSON
    assert set(b["methods"]) == {"fitted", "classic", "album mean", "library mean"}
    assert b["folds"] == 5 and b["method"] == "fitted" and b["params"]["sure_within"] == "0.4"
    assert sum(c["count"] for c in b["calibration"]) == b["hidden"] > 20
    assert b["sentence"].startswith("Guessing ") and "album average" in b["sentence"]
    for kind in ij.REPORTS:
        out_file = tmp_path / f"{kind}.csv"
        code, rep = run_cli("infer", demo, home, "--report", kind, "--out", str(out_file))
        assert code == 0 and rep["report"]["rows"] == len(list(csv.reader(out_file.open()))) - 1
    code, _ = run_cli("infer", demo, home, "--export", str(tmp_path / "all.csv"))
    rows = list(csv.DictReader((tmp_path / "all.csv").open()))
    assert {r["source"] for r in rows} == {"own", "inferred"}
    assert code == 0
    code, _ = run_cli("infer", demo, home, "--set", "nonsense=1", "--dry-run")
    assert code == 2


def test_ratings_carried_from_the_files_are_evidence_not_program_values(
    app: Any, demo: Any
) -> None:
    """A Tags run (files -> Plex) writes the user's own ratings: inference counts them."""
    from ratings_gui.core.plan import PLEX, Change, Plan
    from ratings_gui.jobs.base import apply_plan
    from ratings_gui.jobs.base_rating import plan_base_rating

    unrated = [k for k in demo.lib.keys_of(1, "track") if demo.lib.rating(k) is None][:5]
    plan = Plan("tags")
    for k in unrated:
        plan.add(Change(PLEX, str(k), "userRating", None, 10.0, "from the file", f"track {k}"))
    assert apply_plan(app, plan, job_ctx()).changes == 5
    job = ij.InferJob(app, ij.InferOptions(MUSIC))
    iplan = job.prepare(job_ctx())
    assert job.result is not None
    assert all(job.result.manual.get(k) == 10.0 for k in unrated)
    assert not {str(k) for k in unrated} & {c.target for c in iplan.changes}
    # a base rating that may replace the program's values still leaves them alone
    prov = app.journal.program_values("plex")
    base = plan_base_rating(job.items, prov, value=6.0, override_program=True)
    assert not {str(k) for k in unrated} & {c.target for c in base.changes}


def test_writes_that_do_not_stick_are_reported_and_planned_again(app: Any, demo: Any) -> None:
    """The server answers 200 but keeps nothing for two items: the after-write checks catch it."""
    from ratings_gui.demo.server import Faults

    job = ij.InferJob(app, ij.InferOptions(MUSIC, mood_tag="Rating_Inferred"))
    plan = job.prepare(job_ctx())
    kinds = {it.key: it.kind for it in job.items}
    rated = [int(c.target) for c in plan.changes if c.field == "userRating"]
    lost = {
        next(k for k in rated if kinds[k] == "track"),
        next(k for k in rated if kinds[k] == "album"),
    }
    demo.faults = Faults(ignore_writes=frozenset(lost))
    report = job.apply(job_ctx(), plan)
    demo.faults = Faults()
    failed = {(c.target, c.field): why for c, why in report.failed}
    assert set(failed) == {(str(k), f) for k in lost for f in ("userRating", "mood")}
    assert all("did not keep" in why for why in failed.values())
    statuses = {
        (r.change.target, r.change.field): r.status for r in app.journal.changes(report.run_id)
    }
    assert all(statuses[key] == "failed" for key in failed)
    assert sum(1 for s in statuses.values() if s == "applied") == len(plan) - 4
    # the checks run before the run is finished: its status and summary count them
    run = app.journal.run(report.run_id)
    assert run.status == "done with errors" and len(run.summary["failed"]) == 4
    for k in lost:
        assert demo.lib.rating(k) is None and "Rating_Inferred" not in demo.lib.items[k].moods
    plan2, report2, _ = _run(app, mood_tag="Rating_Inferred")
    assert {(c.target, c.field) for c in plan2.changes} == set(failed)
    assert report2.changes == 4 and not report2.failed


def test_without_a_server_the_music_jobs_say_so(tmp_path: Path) -> None:
    """No connection: a plain message before any read (not an AttributeError)."""
    from ratings_gui.context import AppContext
    from ratings_gui.jobs.ratings_csv import RatingsImportJob

    app = AppContext.open(tmp_path / "home")
    try:
        for job in (
            ij.InferJob(app, ij.InferOptions(MUSIC)),
            RatingsImportJob(app, MUSIC, tmp_path / "none.csv"),
        ):
            with pytest.raises(PlexError, match="Not connected"):
                job.read(job_ctx())
    finally:
        app.close()


def test_cli_refuses_a_blank_mood_tag_and_writes_nothing(demo: Any, tmp_path: Path) -> None:
    before = ratings_of(demo, KINDS)
    code, _ = run_cli("infer", demo, tmp_path / "cli", "--mood-tag", "  ", "--yes")
    assert code == 2 and ratings_of(demo, KINDS) == before
    assert not any("  " in demo.lib.items[k].moods for k in before)
