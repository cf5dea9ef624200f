"""The server's clock: Plex stamps lastRatedAt and addedAt with it, so "after the read" and
"since the last run" are measured on it, learnt from its answers' Date headers.

The demo server's clock is set minutes apart from this computer's (as a NAS with no time
sync would be); everything runs over real HTTP.
"""

from __future__ import annotations

import time
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import job_ctx, ratings_of, signed_in

from ratings_gui.core.provenance import CHANGED_SINCE_READ
from ratings_gui.jobs import base_rating as br
from ratings_gui.plex.connection import SAME_CLOCK_WITHIN_S, ServerClock, connect_direct

MUSIC = "Music"
TEN_MINUTES = 600.0


def _answer(date: str | None) -> requests.Response:
    resp = requests.Response()
    resp.status_code = 200
    if date is not None:
        resp.headers["Date"] = date
    return resp


def test_the_clock_follows_the_date_header_and_ignores_what_it_cannot_read() -> None:
    clock = ServerClock()
    clock.note(_answer(formatdate(time.time() + TEN_MINUTES, usegmt=True)))
    assert TEN_MINUTES - 2 < clock.offset <= TEN_MINUTES
    for kept in (None, "", "yesterday", "Mon, 99 Foo 2026 25:61:00 GMT"):
        clock.note(_answer(kept))
        assert TEN_MINUTES - 2 < clock.offset <= TEN_MINUTES, kept
    # a clock a second or two apart is the same clock (a Date says whole seconds)
    clock.note(_answer(formatdate(time.time() + SAME_CLOCK_WITHIN_S / 2, usegmt=True)))
    assert clock.offset == 0.0
    assert clock.server_time(1000.0) == 1000.0


@pytest.mark.parametrize("skew", [TEN_MINUTES, -TEN_MINUTES, 1.0])
def test_signing_in_learns_how_far_the_servers_clock_is(demo: Any, skew: float) -> None:
    demo.lib.clock_skew = skew
    conn = connect_direct(demo.url, demo.token)
    if abs(skew) < SAME_CLOCK_WITHIN_S:
        assert conn.clock.offset == 0.0
    else:  # a Date says whole seconds: up to a second (and the answer's way) short
        assert skew - 2 < conn.clock.offset <= skew
    now = time.time()
    assert abs(conn.server_time(now) - demo.lib.now()) < 2


def _override(value: float) -> br.BaseRatingOptions:
    return br.BaseRatingOptions(MUSIC, value, override_program=True, override_user=True)


def test_a_rating_given_just_before_the_read_is_not_taken_for_a_later_one(
    demo: Any, tmp_path: Path
) -> None:
    """Server ten minutes ahead: a rating given five seconds before the preview is stamped
    "ten minutes from now" by this computer's clock; it is still the one the user chose to
    replace, so it is written, not left alone as "changed since the preview"."""
    demo.lib.clock_skew = TEN_MINUTES
    key = next(k for k, v in ratings_of(demo).items() if v is not None and v != 8.0)
    demo.lib.set_rating(key, 3.0, when=demo.lib.now() - 5)
    with signed_in(demo, tmp_path / "home") as app:
        job = br.BaseRatingJob(app, _override(8.0))
        plan = job.prepare(job_ctx())
        assert str(key) in {c.target for c in plan.changes}
        report = job.apply(job_ctx(), plan)
    assert demo.lib.rating(key) == 8.0
    assert not report.failed and not report.left_alone


def test_a_rating_given_after_the_read_is_kept_when_the_servers_clock_is_behind(
    demo: Any, tmp_path: Path
) -> None:
    """Server ten minutes behind: a rating given after the preview (the same stars again) is
    stamped "ten minutes ago" by this computer's clock; it is still newer than the read, so
    it is left alone."""
    demo.lib.clock_skew = -TEN_MINUTES
    before = ratings_of(demo)
    key = next(k for k, v in before.items() if v is not None and v != 8.0)
    with signed_in(demo, tmp_path / "home") as app:
        job = br.BaseRatingJob(app, _override(8.0))
        plan = job.prepare(job_ctx())
        assert str(key) in {c.target for c in plan.changes}
        time.sleep(1.2)  # a Date says whole seconds: the new stamp is surely after the read
        demo.lib.set_rating(key, before[key])  # the user rates it again, the same stars
        report = job.apply(job_ctx(), plan)
    after = ratings_of(demo)
    assert after[key] == before[key]
    assert [(c.target, why) for c, why in report.left_alone] == [(str(key), CHANGED_SINCE_READ)]
    assert all(after[int(c.target)] == 8.0 for c in plan.changes if c.target != str(key))


def test_since_the_last_run_finds_new_tracks_on_a_server_whose_clock_is_behind(
    demo: Any, tmp_path: Path
) -> None:
    """A track added after the last run is stamped by the server's clock: ten minutes
    behind, it would look older than that run without the server's clock."""
    demo.lib.clock_skew = -TEN_MINUTES
    with signed_in(demo, tmp_path / "home") as app:
        job = br.BaseRatingJob(app, br.BaseRatingOptions(MUSIC, 6.0, newest=3))
        job.apply(job_ctx(), job.prepare(job_ctx()))
        album = demo.lib.keys_of(1, "album")[0]
        new_key = demo.lib.add_track(album, "Added After", 190_000)
        job = br.BaseRatingJob(app, br.BaseRatingOptions(MUSIC, 6.0, since_last_run=True))
        plan = job.prepare(job_ctx())
    assert [c.target for c in plan.changes] == [str(new_key)]
