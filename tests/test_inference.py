"""The pure inference engine: every formula pinned on hand-computed cases.

The numbers in the comments are worked out by hand from DESIGN.md
("Inference") with the default parameters: C=3, B=1.5, W_c=3, W_g=1,
album gravity 0.8, track gravity 0.3, 80 s minimum, 5 s twin tolerance.
"""

from __future__ import annotations

import pytest

from ratings_gui.core import inference as inf
from ratings_gui.core.records import Item

S = 1000  # ms per second


def artist(key: int, title: str = "A", critic: float | None = None, r: float | None = None) -> Item:
    return Item(key=key, kind="artist", title=title, critic_rating=critic, user_rating=r)


def album(
    key: int, parent: int, critic: float | None = None, r: float | None = None, title: str = ""
) -> Item:
    return Item(
        key=key,
        kind="album",
        title=title or f"al{key}",
        parent_key=parent,
        critic_rating=critic,
        user_rating=r,
    )


def track(
    key: int,
    alb: int,
    art: int,
    r: float | None = None,
    title: str = "",
    secs: int = 200,
    artist_title: str = "A",
) -> Item:
    return Item(
        key=key,
        kind="track",
        title=title or f"song {key}",
        parent_key=alb,
        grandparent_key=art,
        grandparent_title=artist_title,
        duration=secs * S,
        user_rating=r,
    )


def library() -> list[Item]:
    """Artist 1; album 10 (critic 8.5): 8, 10, unrated, a rated intro, a rated 60 s track;
    album 20: 4, unrated; album 30: one unrated track and no evidence."""
    return [
        artist(1),
        album(10, 1, critic=8.5),
        track(101, 10, 1, 8.0),
        track(102, 10, 1, 10.0),
        track(103, 10, 1, None),
        track(104, 10, 1, 2.0, title="Intro"),
        track(105, 10, 1, 2.0, secs=60),
        album(20, 1),
        track(201, 20, 1, 4.0),
        track(202, 20, 1, None),
        album(30, 1),
        track(301, 30, 1, None),
    ]


MU = (8 + 10 + 4) / 3  # fillers (the intro, the 60 s track) left out: 7.3333


def test_critic_prior_is_a_clamp_not_a_min() -> None:
    p = inf.Params()
    # c = (8.5 + 1.5) / 11.5 * 10 = 8.695652; p = (6*1 + 8.695652*3) / 4 = 8.021739
    assert inf.critic_prior(8.5, 6.0, p) == pytest.approx(8.021739, abs=1e-6)
    # a critic 0 still gives c = 1.5/11.5*10 = 1.304348 (the original's min() made every c 0)
    assert inf.critic_prior(0.0, 6.0, p) == pytest.approx((6 + 1.304348 * 3) / 4, abs=1e-6)
    # clamped at 10: c = min(10, 11.5+...) -> p = (6 + 30) / 4 = 9
    assert inf.critic_prior(12.0, 6.0, p) == pytest.approx(9.0)
    assert inf.critic_prior(None, 6.0, p) == 6.0
    assert inf.clamp(-3) == 0 and inf.clamp(11) == 10 and inf.clamp(4.2) == 4.2


def test_shrink_and_gravity() -> None:
    assert inf.shrink(6.0, 18.0, 2, 3.0) == pytest.approx((18 + 18) / 5)
    assert inf.shrink(6.0, 0.0, 0, 0.0) == 6.0
    assert inf.gravity(9.0, 6.0, 0.3) == pytest.approx(9 * 0.7 + 6 * 0.3)
    assert inf.gravity(9.0, 6.0, 0.0) == 9.0 and inf.gravity(9.0, 6.0, 1.0) == 6.0


def test_filler_rules() -> None:
    p = inf.Params()
    assert inf.is_filler(track(1, 1, 1, title="Intro"), p)
    assert inf.is_filler(track(1, 1, 1, title="Skit #2 (Interview)"), p)
    assert inf.is_filler(track(1, 1, 1, title="Anything", secs=79), p)
    assert not inf.is_filler(track(1, 1, 1, title="Introduction To Love", secs=80), p)
    q = p.with_text("min_duration", "30").with_text("filler_words", "jingle")
    assert inf.is_filler(track(1, 1, 1, title="Jingle"), q)
    assert not inf.is_filler(track(1, 1, 1, title="Intro", secs=60), q)


def test_every_pass_on_the_hand_computed_library() -> None:
    res = inf.infer(library())
    v = {k: x.value for k, x in res.values.items()}
    assert res.mu == pytest.approx(MU)
    # album 10: p = (7.3333 + 8.695652*3)/4 = 8.355072; r = (3*8.355072 + 18)/5 = 8.613043
    assert v[10] == pytest.approx(8.613043, abs=1e-5)
    assert res.values[10].source == "album-up"
    # album 20: no critic, p = mu: r = (3*7.3333 + 4)/4 = 6.5
    assert v[20] == pytest.approx(6.5)
    # artist: one value per album (raw means 9 and 4): r = (3*7.3333 + 13)/5 = 7.0
    assert v[1] == pytest.approx(7.0)
    # album 30 has no evidence: down from the artist, g=0.8: 7*0.2 + 7.3333*0.8 = 7.266667
    assert v[30] == pytest.approx(7.266667, abs=1e-5)
    assert res.values[30].source == "album-down"
    # tracks down, g=0.3: 8.613043*0.7 + 2.2 = 8.229130; 6.5*0.7 + 2.2 = 6.75; 7.266667*0.7+2.2
    assert v[103] == pytest.approx(8.229130, abs=1e-5)
    assert v[202] == pytest.approx(6.75)
    assert v[301] == pytest.approx(7.286667, abs=1e-5)
    # own ratings and fillers get nothing
    assert not {101, 102, 201, 104, 105} & set(v)
    assert res.filler == {104, 105}


def test_album_down_never_overwrites_the_up_value() -> None:
    # the artist is rated 2 by the user: album 10 keeps its bottom-up value all the same
    items = [artist(1, r=2.0), *library()[1:]]
    res = inf.infer(items)
    assert res.values[10].source == "album-up"
    assert res.values[10].value == pytest.approx(8.613043, abs=1e-5)
    # only album 30 comes down: 2*0.2 + 7.3333*0.8 = 6.266667
    assert res.values[30].value == pytest.approx(6.266667, abs=1e-5)
    assert 1 not in res.values  # the user's own artist rating stays


def test_plan_rounds_like_plex_and_a_second_run_writes_nothing() -> None:
    items = library()
    plan, res = inf.plan_inference(items)
    new = {int(c.target): c.new for c in plan.changes}
    assert new == {1: 7.0, 10: 8.6, 20: 6.5, 30: 7.3, 103: 8.2, 202: 6.8, 301: 7.3}
    assert plan.counts[inf.MANUAL] == 5 and plan.counts[inf.FILLER] == 0
    # Plex now holds these values, and the journal says the program wrote them
    after = [it if it.key not in new else _rated(it, new[it.key]) for it in items]
    plan2, res2 = inf.plan_inference(after, program=dict(new))
    assert len(plan2) == 0 and plan2.counts[inf.SAME] == len(new)
    assert res2.mu == res.mu  # inferred values are never evidence


def test_a_user_who_rerates_an_inferred_item_takes_it_over() -> None:
    items = library()
    plan, _ = inf.plan_inference(items)
    new = {int(c.target): c.new for c in plan.changes}
    after = [it if it.key not in new else _rated(it, new[it.key]) for it in items]
    after = [_rated(it, 3.0) if it.key == 103 else it for it in after]  # user re-rates
    plan2, res2 = inf.plan_inference(after, program=dict(new))
    assert "103" not in {c.target for c in plan2.changes}
    assert res2.manual[103] == 3.0  # now the user's evidence
    # cleared by the user: left alone too
    after = [_rated(it, None) if it.key == 202 else it for it in after]
    plan3, _ = inf.plan_inference(after, program=dict(new))
    assert "202" not in {c.target for c in plan3.changes}
    assert plan3.counts[inf.CLEARED] == 1


def test_base_ratings_are_not_evidence_and_are_replaced() -> None:
    items = [_rated(it, 6.0) if it.key == 103 else it for it in library()]
    plan, res = inf.plan_inference(items, program={103: 6.0})
    assert res.mu == pytest.approx(MU)
    assert {c.target: c.new for c in plan.changes}["103"] == 8.2


def test_twins() -> None:
    items = [
        artist(1, "The Band"),
        album(10, 1),
        track(11, 10, 1, 9.0, title="Same Song (Remastered)", secs=200),
        track(12, 10, 1, 7.0, title="Other Song", secs=200),
        album(20, 1, title="Greatest Hits"),
        track(21, 20, 1, None, title="Same Song", secs=203),  # twin: gets 9
        track(22, 20, 1, 5.0, title="Other Song", secs=201),  # twin, but the user's own
        track(23, 20, 1, 6.0, title="Same song!", secs=198),  # held a program value: recomputed
        album(30, 1, title="Live"),
        track(31, 30, 1, None, title="Same Song (Live)", secs=200),  # excluded word
        track(32, 30, 1, None, title="Same Song", secs=260),  # 57 s longer: another recording
        artist(2, "Various Artists"),
        album(40, 2, title="Hits Vol. 1"),
        Item(
            key=41,
            kind="track",
            title="Same Song",
            parent_key=40,
            grandparent_key=2,
            original_title="The Band",
            duration=201 * S,
        ),  # the same song on a compilation: the track artist counts
    ]
    res = inf.infer(items, program={23: 6.0})
    assert res.values[21].source == "twins" and res.values[21].value == 9.0
    assert res.values[23].value == 9.0 and res.values[41].value == 9.0
    # the user's anchors: never marked inferred (the original's twins bug)
    assert 11 not in res.values and 12 not in res.values and 22 not in res.values
    assert res.values[31].source == "track-down" and res.values[32].source == "track-down"
    assert sorted(map(sorted, res.twins)) == [[11, 21, 23, 41], [12, 22]]
    # the two anchors 7 and 5 of "Other Song" average to 6 for a third copy
    more = [*items, track(24, 20, 1, None, title="Other Song", secs=199)]
    assert inf.infer(more).values[24].value == 6.0

    # the twins table shows what the chosen passes would write: the twin mean only with twins on
    from ratings_gui.jobs.infer import report_rows

    def shown(passes: tuple[str, ...]) -> dict[int, object]:
        _, rows = report_rows("twins", items, res, passes)
        return {r[1]: r[5] for r in rows}

    assert shown(inf.PASSES)[21] == 4.5 and shown(inf.PASSES)[11] == ""  # 11: the user's own
    assert shown(tuple(p for p in inf.PASSES if p != "twins"))[21] == ""


def test_passes_one_at_a_time() -> None:
    items = library()
    plan, _ = inf.plan_inference(items, passes=inf.parse_passes("up"))
    assert {c.target for c in plan.changes} == {"1", "10", "20"}
    plan, _ = inf.plan_inference(items, passes=inf.parse_passes("track-down"))
    assert {c.target for c in plan.changes} == {"103", "202", "301"}
    assert plan.counts[inf.NOT_IN_PASSES] == 4
    assert inf.parse_passes("twins,up") == ("album-up", "artist-up", "twins")
    assert inf.parse_passes(None) == inf.PASSES
    with pytest.raises(ValueError, match="unknown pass"):
        inf.parse_passes("sideways")


def test_rounding_step_and_params_text() -> None:
    assert inf.round_step(8.229, 0.1) == 8.2
    assert inf.round_step(8.229, 1.0) == 8.0 and inf.round_step(8.6, 1.0) == 9.0
    assert inf.round_step(7.0, 2.0) == 8.0 and inf.round_step(6.9, 2.0) == 6.0
    p = inf.Params().with_text("confidence", "1.5").with_text("empirical-bayes", "yes")
    assert p.confidence == 1.5 and p.empirical_bayes
    assert inf.Params.from_text(p.as_text()) == p
    for name, bad in (("confidence", "x"), ("track_gravity", "2"), ("nope", "1")):
        with pytest.raises(ValueError):
            inf.Params().with_text(name, bad)


def test_empirical_bayes_estimates_from_the_users_ratings() -> None:
    # 6 albums with two tracks each; albums differ a lot, tracks within an album little
    items: list[Item] = [artist(1)]
    key = 100
    for a, (x, y) in enumerate([(2, 2), (4, 4), (6, 6), (8, 8), (10, 10), (3, 3)]):
        items.append(album(a + 10, 1))
        items += [track(key, a + 10, 1, x), track(key + 1, a + 10, 1, y)]
        items.append(track(key + 2, a + 10, 1, None))
        key += 3
    est = inf.estimate(
        [i for i in items if i.kind == "track"],
        [i for i in items if i.kind == "album"],
        {i.key: i.user_rating for i in items if i.user_rating is not None},  # type: ignore[misc]
        set(),
    )
    assert est is not None and est[0] == 0.0  # no spread within albums: trust the album
    res = inf.infer(items, params=inf.Params(empirical_bayes=True))
    assert res.params.confidence == 0.0 and res.params.track_gravity == 0.0
    assert res.values[102].value == pytest.approx(2.0)  # the unrated track gets its album's 2


def test_reports_and_backtest() -> None:
    items = library()
    res = inf.infer(items)
    cov = inf.coverage(items, res)
    assert cov["track"] == {"own": 5, "inferred": 3, "unrated": 0, "other": 0}
    assert cov["album"]["inferred"] == 3 and cov["artist"]["inferred"] == 1
    assert inf.histogram([1.0, 2.0, 10.0, 9.5, None, 0.0]) == [1, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    final = inf.final_values(items, res)
    assert final[103] == 8.2 and final[101] == 8.0
    diss = inf.dissenters(items, res, threshold=3.0)
    assert [d[0].key for d in diss] == [104, 105]  # the 2-rated fillers, far below 8.6
    bt = inf.backtest(items, share=0.5, seed=3)
    assert bt.hidden == 1 and set(bt.baselines) == {"library mean", "album mean"}


def _rated(it: Item, value: float | None) -> Item:
    from dataclasses import replace

    return replace(it, user_rating=value)
