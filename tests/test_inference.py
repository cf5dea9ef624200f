"""The pure inference engine: every formula pinned on hand-computed cases.

The classic preset's numbers in the comments are worked out by hand from
DESIGN.md ("Inference") with its parameters: C=3, B=1.5, W_c=3, W_g=1,
album gravity 0.8, track gravity 0.3, 80 s minimum, 5 s twin tolerance.
The fitted engine is pinned by its properties and by the backtest on the
demo's latent library (it must beat the album average and the classic preset).
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


#: The classic formula at Plex's own precision (0.1): the formula tests read its decimals.
CLASSIC = inf.Params(method="classic", rounding=0.1)
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
    res = inf.infer(library(), params=CLASSIC)
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
    res = inf.infer(items, params=CLASSIC)
    assert res.values[10].source == "album-up"
    assert res.values[10].value == pytest.approx(8.613043, abs=1e-5)
    # only album 30 comes down: 2*0.2 + 7.3333*0.8 = 6.266667
    assert res.values[30].value == pytest.approx(6.266667, abs=1e-5)
    assert 1 not in res.values  # the user's own artist rating stays


def test_plan_rounds_like_plex_and_a_second_run_writes_nothing() -> None:
    items = library()
    plan, res = inf.plan_inference(items, params=CLASSIC)
    new = {int(c.target): c.new for c in plan.changes}
    assert new == {1: 7.0, 10: 8.6, 20: 6.5, 30: 7.3, 103: 8.2, 202: 6.8, 301: 7.3}
    assert plan.counts[inf.MANUAL] == 5 and plan.counts[inf.FILLER] == 0
    # Plex now holds these values, and the journal says the program wrote them
    after = [it if it.key not in new else _rated(it, new[it.key]) for it in items]
    plan2, res2 = inf.plan_inference(after, program=dict(new), params=CLASSIC)
    assert len(plan2) == 0 and plan2.counts[inf.SAME] == len(new)
    assert res2.mu == res.mu  # inferred values are never evidence


def test_a_user_who_rerates_an_inferred_item_takes_it_over() -> None:
    items = library()
    plan, _ = inf.plan_inference(items, params=CLASSIC)
    new = {int(c.target): c.new for c in plan.changes}
    after = [it if it.key not in new else _rated(it, new[it.key]) for it in items]
    after = [_rated(it, 3.0) if it.key == 103 else it for it in after]  # user re-rates
    plan2, res2 = inf.plan_inference(after, program=dict(new), params=CLASSIC)
    assert "103" not in {c.target for c in plan2.changes}
    assert res2.manual[103] == 3.0  # now the user's evidence
    # cleared by the user: left alone too
    after = [_rated(it, None) if it.key == 202 else it for it in after]
    plan3, _ = inf.plan_inference(after, program=dict(new), params=CLASSIC)
    assert "202" not in {c.target for c in plan3.changes}
    assert plan3.counts[inf.CLEARED] == 1


def test_base_ratings_are_not_evidence_and_are_replaced() -> None:
    items = [_rated(it, 6.0) if it.key == 103 else it for it in library()]
    plan, res = inf.plan_inference(items, program={103: 6.0}, params=CLASSIC)
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
    res = inf.infer(items, program={23: 6.0}, params=CLASSIC)
    assert res.values[21].source == "twins" and res.values[21].value == 9.0
    assert res.values[23].value == 9.0 and res.values[41].value == 9.0
    # the user's anchors: never marked inferred (the original's twins bug)
    assert 11 not in res.values and 12 not in res.values and 22 not in res.values
    assert res.values[31].source == "track-down" and res.values[32].source == "track-down"
    assert sorted(map(sorted, res.twins)) == [[11, 21, 23, 41], [12, 22]]
    # the two anchors 7 and 5 of "Other Song" average to 6 for a third copy
    more = [*items, track(24, 20, 1, None, title="Other Song", secs=199)]
    assert inf.infer(more, params=CLASSIC).values[24].value == 6.0

    # the twins table shows what the chosen passes would write: the twin mean only with twins on
    from ratings_gui.jobs.infer import report_rows

    def shown(passes: tuple[str, ...]) -> dict[int, object]:
        _, rows = report_rows("twins", items, res, passes)
        return {r[1]: r[5] for r in rows}

    assert shown(inf.PASSES)[21] == 4.5 and shown(inf.PASSES)[11] == ""  # 11: the user's own
    assert shown(tuple(p for p in inf.PASSES if p != "twins"))[21] == ""


def test_passes_one_at_a_time() -> None:
    items = library()
    plan, _ = inf.plan_inference(items, params=CLASSIC, passes=inf.parse_passes("up"))
    assert {c.target for c in plan.changes} == {"1", "10", "20"}
    plan, _ = inf.plan_inference(items, params=CLASSIC, passes=inf.parse_passes("track-down"))
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
    p = inf.Params().with_text("confidence", "1.5").with_text("method", "Classic")
    p = p.with_text("keep-filler-unrated", "yes").with_text("sure_within", "0.5")
    assert p.confidence == 1.5 and p.method == "classic" and p.keep_filler_unrated
    assert p.sure_within == 0.5
    assert inf.Params.from_text(p.as_text()) == p
    assert inf.Params().method == "fitted"  # the default engine fits itself to the user
    for name, bad in (("confidence", "x"), ("track_gravity", "2"), ("nope", "1"), ("method", "x")):
        with pytest.raises(ValueError):
            inf.Params().with_text(name, bad)


def latent(seed: int = 5, artists: int = 60, critic: bool = True) -> list[Item]:
    """Every track rated: artist level sd 1.5, album sd 1.0, track sd 0.8; critics = 2 + theta/2."""
    import random

    rng = random.Random(seed)
    items: list[Item] = []
    key = 1
    for _ in range(artists):
        ar = key
        items.append(artist(ar, f"artist {ar}"))
        q = 6 + rng.gauss(0, 1.5)
        key += 1
        for _ in range(3):
            al = key
            theta = q + rng.gauss(0, 1.0)
            c = round(2 + theta / 2 + rng.gauss(0, 0.1), 1) if critic else None
            items.append(album(al, ar, critic=c))
            key += 1
            for _ in range(10):
                items.append(track(key, al, ar, theta + rng.gauss(0, 0.8)))
                key += 1
    return items


def test_the_fit_recovers_the_spread_of_each_level() -> None:
    fit = inf.infer(latent()).fit
    assert fit.var_track == pytest.approx(0.64, rel=0.2)
    assert fit.var_album == pytest.approx(1.0, rel=0.35)
    assert fit.var_artist == pytest.approx(2.25, rel=0.4)
    # critics say 2 + theta/2: one critic point is two of this user's; 180 albums calibrate it
    assert fit.critic_albums == 180
    assert 1.7 < fit.critic_scale < 2.1 and fit.var_critic < 0.5
    # too few rated albums: the weak prior (a critic point is a point, give or take 2)
    few = inf.infer(latent(artists=1)).fit
    assert few.critic_albums == 3 and 0.9 < few.critic_scale < 1.5 and few.var_critic > 2


def test_fitted_values_are_posteriors_with_a_spread() -> None:
    items = library()
    res = inf.infer(items)
    v = res.values
    # an unrated track inherits its album's level (no extra pull toward the mean)
    assert v[103].value == pytest.approx(v[10].value) and v[103].source == "track-down"
    assert v[202].value == pytest.approx(v[20].value)
    # the album with 8 and 10 and good critics sits above the album with one 4
    assert v[10].value > v[1].value > v[20].value
    assert 4.0 < v[20].value < MU  # one rating: pulled toward the artist, not all the way
    assert v[30].source == "album-down" and v[301].value == pytest.approx(v[30].value)
    # every inferred value says how sure it is; less evidence = wider
    assert all(x.spread > 0 for x in v.values())
    assert v[30].spread > v[10].spread
    # the user's own ratings and their rated filler are never values
    assert not {101, 102, 201, 104, 105} & set(v)


def test_filler_gets_the_users_filler_offset_or_stays_unrated() -> None:
    # the user rates filler about 2 below its album: unrated filler follows
    items = latent(artists=20, critic=False)
    extra: list[Item] = []
    key = 10_000
    albums = [it for it in items if it.kind == "album"]
    means = {a.key: 0.0 for a in albums}
    for t in items:
        if t.kind == "track" and t.parent_key is not None:
            means[t.parent_key] += (t.user_rating or 0) / 10
    for a in albums:
        extra.append(track(key, a.key, a.parent_key or 0, means[a.key] - 2, title="Intro"))
        extra.append(track(key + 1, a.key, a.parent_key or 0, None, title="Outro"))
        key += 2
    res = inf.infer(items + extra)
    assert res.fit.rated_filler == 60
    assert res.fit.filler_offset == pytest.approx(-2.0, abs=0.15)
    outro = extra[1]
    # an unrated outro: its album's level plus the user's filler offset
    assert res.values[outro.key].value == pytest.approx(means[outro.parent_key or 0] - 2, abs=0.3)
    plan, res2 = inf.plan_inference(items + extra, params=inf.Params(keep_filler_unrated=True))
    assert outro.key not in res2.values and plan.counts[inf.FILLER] == 60


def test_a_rated_copy_of_a_song_is_strong_evidence() -> None:
    items = [
        artist(1, "The Band"),
        album(10, 1),
        *[track(100 + i, 10, 1, 6.0) for i in range(6)],
        track(110, 10, 1, 10.0, title="Big Song", secs=200),
        album(20, 1, title="Greatest Hits"),
        track(21, 20, 1, None, title="Big Song", secs=202),
        track(22, 20, 1, None, title="Other", secs=202),
    ]
    res = inf.infer(items)
    twin, plain = res.values[21], res.values[22]
    assert twin.source == "twins" and plain.source == "track-down"
    # much nearer the copy's 10 than the album's level, and surer
    assert abs(twin.value - 10) < abs(twin.value - plain.value)
    assert twin.spread < plain.spread


def test_compilations_are_told_apart_from_the_albums_their_songs_come_from() -> None:
    # three studio albums of 4 songs; a "best of" with one song of each
    items: list[Item] = [artist(1, "The Band")]
    for al in (10, 20, 30):
        items.append(album(al, 1))
        items += [track(al * 10 + i, al, 1, 6.0, title=f"song {al}{i}") for i in range(4)]
    items.append(album(40, 1, title="Best Of"))
    items += [track(400 + i, 40, 1, None, title=f"song {al}1") for i, al in enumerate((10, 20, 30))]
    s = inf.prepare(items, {}, inf.Params())
    assert sorted(map(sorted, s.twins)) == [[101, 400], [201, 401], [301, 402]]
    assert s.mixed == {40}  # every song a copy, from three albums; the studio albums are not
    res = inf.infer(items)
    assert all(res.values[k].source == "twins" for k in (400, 401, 402))


def test_only_values_sure_enough_are_written_and_reasons_say_how_sure() -> None:
    items = library()
    plan, res = inf.plan_inference(items)
    assert len(plan) == 7 and all(c.reason.startswith("±") for c in plan.changes)
    strict = inf.Params(sure_within=0.01)
    plan2, _ = inf.plan_inference(items, params=strict)
    assert len(plan2) == 0 and plan2.counts[inf.NOT_SURE] == 7
    widest = max(x.spread for x in res.values.values()) / 2
    middle = inf.Params(sure_within=(widest + min(x.spread for x in res.values.values()) / 2) / 2)
    plan3, _ = inf.plan_inference(items, params=middle)
    assert 0 < len(plan3) < 7
    assert all(res.values[int(c.target)].spread / 2 <= middle.sure_within for c in plan3.changes)


def test_every_unrated_track_with_evidence_above_gets_a_value() -> None:
    from ratings_gui.demo.library import DemoLibrary

    items = _demo_items(DemoLibrary.generate(seed=2, tracks=1500, movies=0, shows=0))
    plan, res = inf.plan_inference(items)
    rated_artists = {it.key for it in items if it.kind == "artist" and it.key in res.manual}
    evident = {it.grandparent_key for it in items if it.kind == "track" and it.key in res.manual}
    evident |= rated_artists
    evident |= {it.parent_key for it in items if it.kind == "album" and it.key in res.manual}
    unrated = [
        it
        for it in items
        if it.kind == "track" and it.user_rating is None and it.grandparent_key in evident
    ]
    assert unrated and all(it.key in res.values for it in unrated)
    # the user's ratings are never written, and a second run writes nothing
    assert not {int(c.target) for c in plan.changes} & set(res.manual)
    new = {int(c.target): c.new for c in plan.changes}
    after = [_rated(it, new[it.key]) if it.key in new else it for it in items]
    plan2, _ = inf.plan_inference(after, program=new)
    assert len(plan2) == 0


def test_on_the_latent_demo_library_the_fit_beats_the_album_average_and_classic() -> None:
    """The issue's bar, as ratios: 5% better than the album average, 15% than classic."""
    from ratings_gui.demo.library import DemoLibrary

    items = _demo_items(DemoLibrary.generate(seed=3, tracks=5000, movies=0, shows=0))
    bt = inf.backtest(items)
    mae = {k: v[0] for k, v in bt.scores.items()}
    assert bt.folds == 5 and bt.hidden > 1000 and bt.engine == "fitted"
    assert mae["fitted"] <= 0.95 * mae["album mean"]
    assert mae["fitted"] <= 0.85 * mae["classic"]
    assert mae["album mean"] < mae["library mean"]
    # calibrated: per half star of prediction, the actual average is close
    big = [(a, b) for a, b, n in bt.calibration if n >= 100]
    assert len(big) >= 4 and all(abs(a - b) < 0.35 for a, b in big)
    assert 0.6 < bt.within < 0.8  # about two in three inside the stated ± spread
    assert "a plain album average" in bt.sentence() and "off by" in bt.sentence()


def _demo_items(lib: object) -> list[Item]:
    return [
        Item(
            key=it.key,
            kind=it.kind,
            title=it.title,
            parent_key=it.parent_key,
            grandparent_key=it.grandparent_key,
            original_title=it.original_title or "",
            duration=it.duration,
            user_rating=it.user_rating,
            critic_rating=it.rating,
        )
        for it in lib.items.values()  # type: ignore[attr-defined]
        if it.section_id == 1
    ]


def test_reports_and_backtest() -> None:
    items = library()
    res = inf.infer(items, params=CLASSIC)
    cov = inf.coverage(items, res)
    assert cov["track"] == {"own": 5, "inferred": 3, "unrated": 0, "other": 0}
    assert cov["album"]["inferred"] == 3 and cov["artist"]["inferred"] == 1
    assert inf.histogram([1.0, 2.0, 10.0, 9.5, None, 0.0]) == [1, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    final = inf.final_values(items, res)
    assert final[103] == 8.2 and final[101] == 8.0
    diss = inf.dissenters(items, res, threshold=3.0)
    assert [d[0].key for d in diss] == [104, 105]  # the 2-rated fillers, far below 8.6
    bt = inf.backtest(items, seed=3)
    assert bt.hidden == 3 and set(bt.baselines) == {"classic", "library mean", "album mean"}
    js = bt.as_json()
    assert set(js["methods"]) == set(inf.BACKTEST_METHODS) and js["folds"] == 5
    assert js["engine"] == js["methods"]["fitted"] and js["sentence"] == bt.sentence()


def _rated(it: Item, value: float | None) -> Item:
    from dataclasses import replace

    return replace(it, user_rating=value)


def test_every_rated_then_hidden_filler_track_gets_a_value() -> None:
    """Issue 23 item 9: hide the user's rated filler, infer: each one gets a value back.

    A short filler track on an album (and artist) with nothing else of the
    user's got none; filler follows the fitted filler offset by default,
    from the library's level when its album has none. Only the option
    leaves it unrated.
    """
    from dataclasses import replace

    from ratings_gui.demo.library import DemoLibrary

    items = _demo_items(DemoLibrary.generate(seed=2, tracks=1500, movies=0, shows=0))
    # an artist whose one EP the user rated: every track under 80 s (filler by length)
    items += [artist(90_000, "Short Songs"), album(90_001, 90_000)]
    items += [track(90_010 + i, 90_001, 90_000, 7.0, secs=70) for i in range(3)]
    p = inf.Params()
    filler = inf.filler_keys([it for it in items if it.kind == "track"], p)
    hidden = {it.key for it in items if it.key in filler and it.user_rating is not None}
    assert len(hidden) >= 6 and {90_010, 90_011, 90_012} <= hidden
    after = [replace(it, user_rating=None) if it.key in hidden else it for it in items]
    res = inf.infer(after)
    assert sorted(hidden - set(res.values)) == []
    assert all(res.values[k].source == "track-down" for k in hidden)
    # the EP's level is the library's, moved by the user's filler offset, and less sure
    ep = res.values[90_010]
    assert ep.value == pytest.approx(res.fit.center + res.fit.filler_offset)
    others = hidden - {90_010, 90_011, 90_012}
    assert ep.spread > max(res.values[k].spread for k in others)
    assert "no ratings of yours on its album or artist" in ep.reason
    plan, _ = inf.plan_inference(after)
    assert {str(k) for k in hidden} <= {c.target for c in plan.changes}
    # the option leaves every filler track unrated, the EP's too
    kept = inf.infer(after, params=inf.Params(keep_filler_unrated=True))
    assert not hidden & set(kept.values)
