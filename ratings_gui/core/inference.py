"""Inference: album, artist and unrated-track ratings from the user's own track ratings.

Pure and fast (dicts and one pass per level; 100,000 tracks well under a
second), so the same code plans a run, backtests parameters and draws the
reports. The evidence is the *manual* ratings only: a current rating is
the program's while it equals what the program last wrote (the journal's
provenance), and a program value never feeds back into the math.

Formulas (DESIGN.md, "Inference"):

- library prior ``mu`` = mean of manual, non-filler track ratings (6.0 without any);
- critic prior ``c = clamp((R + B) / (10 + B) * 10, 0, 10)``,
  ``p = (mu*W_g + c*W_c) / (W_g + W_c)``; without a critic rating ``p = mu``;
- up: ``r = (C*p + sum(evidence)) / (C + n)`` for albums (their manual tracks)
  and artists (one value per album: its manual rating or its manual track mean);
- down: ``r = r_parent*(1-g) + mu*g`` for albums without evidence (g = album
  gravity, parent = artist) and for tracks (g = track gravity, parent = album);
- twins: the same song on several albums shares the mean of its manual ratings.

Manual ratings are never overwritten; up values are never overwritten by down.
"""

from __future__ import annotations

import gc
import math
import random
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Any, NamedTuple

from ratings_gui.core.plan import PLEX, Change, Plan
from ratings_gui.core.records import Item
from ratings_gui.core.scale import format_stars, same

JOB = "infer"

#: Pass names in the order they run; ``up``/``down`` are shorthands on the command line.
PASSES = ("album-up", "artist-up", "album-down", "track-down", "twins")
PASS_GROUPS = {
    "up": ("album-up", "artist-up"),
    "down": ("album-down", "track-down"),
    "all": PASSES,
}

# Plan outcomes.
MANUAL = "your own rating (kept)"
SAME = "already at the inferred value"
CLEARED = "inferred rating cleared by you (left alone)"
FILLER = "filler (not inferred)"
NO_EVIDENCE = "no evidence (not inferred)"
NOT_IN_PASSES = "inferred by a pass not chosen"


def parse_passes(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"up,twins"`` -> the pass names in run order; ValueError on an unknown name."""
    if text is None or text == "":
        return PASSES
    words = text.split(",") if isinstance(text, str) else list(text)
    chosen: set[str] = set()
    for w in (w.strip().lower() for w in words):
        if not w:
            continue
        if w in PASS_GROUPS:
            chosen.update(PASS_GROUPS[w])
        elif w in PASSES:
            chosen.add(w)
        else:
            raise ValueError(
                f"unknown pass {w!r}; choose from {', '.join((*PASS_GROUPS, *PASSES))}"
            )
    return tuple(p for p in PASSES if p in chosen)


@dataclass(frozen=True)
class Params:
    """Every knob of the engine; defaults as the original engine documents them."""

    confidence: float = 3.0  # C: pseudo-ratings of the prior
    critic_weight: float = 3.0  # W_c
    critic_bias: float = 1.5  # B
    global_weight: float = 1.0  # W_g
    album_gravity: float = 0.8  # album <- artist, pull toward mu
    track_gravity: float = 0.3  # track <- album, pull toward mu
    filler_words: tuple[str, ...] = (
        "intro",
        "outro",
        "skit",
        "interview",
        "applause",
        "commentary",
    )
    min_duration: float = 80.0  # seconds; shorter tracks are filler
    twin_tolerance: float = 5.0  # seconds
    twin_exclude: tuple[str, ...] = (
        "live",
        "demo",
        "remix",
        "acoustic",
        "instrumental",
        "karaoke",
        "rehearsal",
    )
    rounding: float = 0.1  # Plex units: 0.1 = as Plex keeps, 1 = half stars, 2 = whole stars
    empirical_bayes: bool = False  # estimate C and the gravities from the user's ratings

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def with_text(self, name: str, text: str) -> Params:
        """A copy with one parameter set from text (``--set NAME=VALUE``, tab entries)."""
        name = name.strip().replace("-", "_")
        kinds = {f.name: f for f in fields(self)}
        if name not in kinds:
            raise ValueError(f"unknown parameter {name!r}; known: {', '.join(kinds)}")
        current = getattr(self, name)
        text = str(text).strip()
        value: Any
        if isinstance(current, bool):
            if text.lower() not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(f"{name} is yes or no, not {text!r}")
            value = text.lower() in {"1", "true", "yes", "on"}
        elif isinstance(current, tuple):
            value = tuple(w.strip().lower() for w in text.split(",") if w.strip())
        else:
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"{name} needs a number, not {text!r}") from None
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} needs a number of 0 or more, not {text!r}")
            if name.endswith("gravity") and value > 1:
                raise ValueError(f"{name} is between 0 and 1, not {text!r}")
            if name == "rounding" and not 0.1 <= value <= 2:
                raise ValueError("rounding is a step between 0.1 and 2 (Plex units)")
        return replace(self, **{name: value})

    def as_text(self) -> dict[str, str]:
        """Every parameter as the text :meth:`with_text` reads back (for settings and the tab)."""
        out: dict[str, str] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool):
                out[f.name] = "yes" if v else "no"
            elif isinstance(v, tuple):
                out[f.name] = ", ".join(v)
            else:
                out[f.name] = f"{v:g}"
        return out

    @classmethod
    def from_text(cls, values: Mapping[str, Any]) -> Params:
        """Parameters from saved text; unknown names and bad values keep the default."""
        p = cls()
        for k, v in values.items():
            try:
                p = p.with_text(k, str(v))
            except ValueError:
                continue
        return p


# --- small pure formulas (pinned by the unit tests) ------------------------------------------


def clamp(x: float, low: float = 0.0, high: float = 10.0) -> float:
    return low if x < low else high if x > high else x


def critic_prior(critic: float | None, mu: float, p: Params) -> float:
    """The prior of an album or artist: mu, blended with its critic rating when it has one."""
    if critic is None or p.critic_weight + p.global_weight <= 0:
        return mu
    c = clamp((critic + p.critic_bias) / (10.0 + p.critic_bias) * 10.0)
    return (mu * p.global_weight + c * p.critic_weight) / (p.global_weight + p.critic_weight)


def shrink(prior: float, total: float, n: int, confidence: float) -> float:
    """Bayesian mean with ``confidence`` pseudo-observations of ``prior``."""
    if confidence + n <= 0:
        return prior
    return (confidence * prior + total) / (confidence + n)


def gravity(parent: float, mu: float, g: float) -> float:
    """A child without evidence inherits its parent's value, pulled toward mu by g."""
    return parent * (1.0 - g) + mu * g


def round_step(value: float, step: float) -> float:
    """Round to the chosen step (Plex units), then to Plex's one decimal."""
    if step > 0.1 + 1e-9:
        value = math.floor(value / step + 0.5) * step
    return round((0.0 if value < 0 else 10.0 if value > 10 else value) + 1e-9, 1)


_PAREN = re.compile(r"[\(\[].*?[\)\]]")
_NONWORD = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=1 << 16)
def norm_title(title: str) -> str:
    """Title as twins compare it: no accents, case, punctuation or bracketed notes."""
    t = title
    if not t.isascii():
        t = unicodedata.normalize("NFKD", t)
        t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = _PAREN.sub(" ", t.lower())
    return _NONWORD.sub(" ", t).strip()


@lru_cache(maxsize=1 << 16)
def _words(title: str) -> frozenset[str]:
    return frozenset(_NONWORD.sub(" ", title.lower()).split())


def is_filler(track: Item, p: Params) -> bool:
    """Intros, skits, applause and very short tracks say nothing about an album."""
    if track.duration is not None and track.duration < p.min_duration * 1000:
        return True
    return not _words(track.title).isdisjoint(_word_set(p.filler_words))


def twin_excluded(track: Item, p: Params) -> bool:
    """Live, demo, remix... versions are different recordings, not twins."""
    return not _words(track.title).isdisjoint(_word_set(p.twin_exclude))


@lru_cache(maxsize=64)
def _word_set(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(words)


# --- the engine -------------------------------------------------------------------------------


class Inferred(NamedTuple):
    """One inferred value, unrounded, with the pass that produced it and why."""

    value: float
    source: str
    reason: str


@dataclass
class Result:
    """What the engine concluded: values by key, the prior and the estimated parameters."""

    mu: float
    params: Params
    values: dict[int, Inferred] = field(default_factory=dict)
    manual: dict[int, float] = field(default_factory=dict)
    filler: set[int] = field(default_factory=set)
    twins: list[list[int]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


def split_evidence(
    items: Iterable[Item], program: Mapping[int, float | None]
) -> tuple[dict[int, float], set[int]]:
    """Manual ratings by key, and the keys the user cleared after the program rated them.

    ``program`` is what the program last wrote per key. A rating equal to
    it is the program's (not evidence); any other rating is the user's.
    """
    manual: dict[int, float] = {}
    cleared: set[int] = set()
    for it in items:
        wrote = program.get(it.key)
        if it.user_rating is None:
            if wrote is not None:
                cleared.add(it.key)
        elif wrote is None or not same(wrote, it.user_rating):
            manual[it.key] = float(it.user_rating)
    return manual, cleared


def estimate(
    tracks: list[Item], albums: list[Item], manual: Mapping[int, float], filler: set[int]
) -> tuple[float, float] | None:
    """Empirical Bayes: (C, album gravity) from how much the user's ratings vary.

    Within-album variance s_w^2 and between-album variance tau^2 (the
    variance of album means minus its sampling part) give C = s_w^2/tau^2.
    The album gravity is the share of between-album variance the artist
    does not explain. None when there is too little evidence.
    """
    by_album: dict[int, list[float]] = defaultdict(list)
    for t in tracks:
        if t.key in manual and t.key not in filler and t.parent_key is not None:
            by_album[t.parent_key].append(manual[t.key])
    groups = [v for v in by_album.values() if len(v) >= 2]
    if len(groups) < 5:
        return None
    ss = sum(sum((x - sum(v) / len(v)) ** 2 for x in v) for v in groups)
    dof = sum(len(v) - 1 for v in groups)
    s_w2 = ss / dof if dof else 0.0
    means = [sum(v) / len(v) for v in groups]
    grand = sum(means) / len(means)
    var_means = sum((m - grand) ** 2 for m in means) / max(1, len(means) - 1)
    inv_n = sum(1 / len(v) for v in groups) / len(groups)
    tau2 = max(1e-3, var_means - s_w2 * inv_n)
    c = min(50.0, s_w2 / tau2)
    # between artists: album means grouped by artist
    artist_of = {a.key: a.parent_key for a in albums}
    by_artist: dict[int, list[float]] = defaultdict(list)
    for key, v in by_album.items():
        if len(v) >= 2 and artist_of.get(key) is not None:
            by_artist[artist_of[key]].append(sum(v) / len(v))
    multi = [v for v in by_artist.values() if len(v) >= 2]
    g_album = 0.5
    if multi:
        ss_a = sum(sum((x - sum(v) / len(v)) ** 2 for x in v) for v in multi)
        dof_a = sum(len(v) - 1 for v in multi)
        within_artist = ss_a / dof_a if dof_a else 0.0
        g_album = clamp(within_artist / (var_means or 1.0), 0.0, 1.0)
    return c, g_album


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The passes allocate many small acyclic records; collector passes over a
    big snapshot would cost more than the math itself."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def infer(
    items: Iterable[Item],
    program: Mapping[int, float | None] | None = None,
    params: Params | None = None,
) -> Result:
    """Run every pass over a snapshot's artists, albums and tracks (pure).

    Values are computed for every item that is not the user's own; the
    caller picks which passes become changes (:func:`plan_inference`).
    """
    with _gc_paused():
        return _infer(items, program, params)


def _infer(
    items: Iterable[Item],
    program: Mapping[int, float | None] | None,
    params: Params | None,
) -> Result:
    p = params or Params()
    program = program or {}
    artists: list[Item] = []
    albums: list[Item] = []
    tracks: list[Item] = []
    for it in items:
        if it.kind == "track":
            tracks.append(it)
        elif it.kind == "album":
            albums.append(it)
        elif it.kind == "artist":
            artists.append(it)
    all_items = [*artists, *albums, *tracks]
    manual, cleared = split_evidence(all_items, program)
    short = p.min_duration * 1000
    filler_words = _word_set(p.filler_words)
    filler = {
        t.key
        for t in tracks
        if (t.duration is not None and t.duration < short)
        or not _words(t.title).isdisjoint(filler_words)
    }

    ev_tracks = [(t, manual[t.key]) for t in tracks if t.key in manual and t.key not in filler]
    mu = sum(v for _, v in ev_tracks) / len(ev_tracks) if ev_tracks else 6.0
    if p.empirical_bayes:
        est = estimate(tracks, albums, manual, filler)
        if est is not None:
            # The album value is already shrunk toward its prior, so a track
            # inherits it as it is (gravity 0): that is the posterior mean.
            p = replace(
                p, confidence=round(est[0], 3), album_gravity=round(est[1], 3), track_gravity=0.0
            )
    res = Result(mu, p, manual=manual, filler=filler)
    values = res.values

    def settable(key: int) -> bool:
        return key not in manual and key not in cleared

    def sum_by(pairs: Iterable[tuple[int | None, float]]) -> dict[int, list[float]]:
        """Evidence per parent key: [sum, count]."""
        out: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
        for key, v in pairs:
            if key is not None:
                out[key][0] += v
                out[key][1] += 1
        return out

    def up(
        level: list[Item], sums: Mapping[int, list[float]], source: str, what: str
    ) -> dict[int, float]:
        """One up pass: the user's own rating stands, else the critic-prior shrunk mean."""
        vals: dict[int, float] = {}
        for it in level:
            if it.key in manual:
                vals[it.key] = manual[it.key]
                continue
            s = sums.get(it.key)
            if not s:
                continue
            r = shrink(critic_prior(it.critic_rating, mu, p), s[0], int(s[1]), p.confidence)
            vals[it.key] = r
            if settable(it.key):
                values[it.key] = Inferred(r, source, f"{int(s[1])} {what}")
        return vals

    # album up
    sums = sum_by((t.parent_key, v) for t, v in ev_tracks)
    album_val = up(albums, sums, "album-up", "of your track ratings")

    # artist up: one piece of evidence per album (its manual rating or its manual track mean)
    def album_evidence(a: Item) -> float | None:
        if a.key in manual:
            return manual[a.key]
        if a.key in sums:
            return sums[a.key][0] / sums[a.key][1]
        return None

    art_sums = sum_by((a.parent_key, ev) for a in albums if (ev := album_evidence(a)) is not None)
    artist_val = up(artists, art_sums, "artist-up", "of your album(s)")

    # album down: only albums the up pass left without a value (never overwrite it)
    for a in albums:
        if a.key in album_val or a.parent_key not in artist_val:
            continue
        r = gravity(artist_val[a.parent_key], mu, p.album_gravity)
        album_val[a.key] = r
        if settable(a.key):
            values[a.key] = Inferred(r, "album-down", "from the artist")

    # track down (the hot loop: inlined gravity)
    g, keep = p.track_gravity, 1.0 - p.track_gravity
    blocked = manual.keys() | cleared | filler
    for t in tracks:
        key = t.key
        if key in blocked:
            continue
        parent = album_val.get(t.parent_key)  # type: ignore[arg-type]
        if parent is None:
            continue
        values[key] = Inferred(parent * keep + mu * g, "track-down", "from the album")

    # twins: the same song elsewhere that the user rated
    artist_name = {ar.key: ar.title for ar in artists}
    groups: dict[tuple[str, str], list[Item]] = defaultdict(list)
    excluded = _word_set(p.twin_exclude)
    for t in tracks:
        if t.key in filler or t.duration is None or not _words(t.title).isdisjoint(excluded):
            continue
        who = t.original_title or artist_name.get(t.grandparent_key or -1) or t.grandparent_title
        groups[(norm_title(who), norm_title(t.title))].append(t)
    tol = p.twin_tolerance * 1000
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda t: t.duration or 0)
        cluster = [members[0]]
        for t in [*members[1:], None]:
            if t is not None and (t.duration or 0) - (cluster[0].duration or 0) <= tol:
                cluster.append(t)
                continue
            if len(cluster) >= 2:
                res.twins.append([c.key for c in cluster])
                anchors = [manual[c.key] for c in cluster if c.key in manual]
                if anchors:
                    mean = sum(anchors) / len(anchors)
                    for c in cluster:
                        if settable(c.key):
                            values[c.key] = Inferred(
                                mean, "twins", f"twin of {len(anchors)} of your rating(s)"
                            )
            if t is not None:
                cluster = [t]
    res.counts["manual"] = len(manual)
    res.counts["filler"] = len(filler)
    return res


# --- plan ---------------------------------------------------------------------------------------


def plan_inference(
    items: Iterable[Item],
    program: Mapping[int, float | None] | None = None,
    params: Params | None = None,
    passes: Iterable[str] = PASSES,
    *,
    job: str = JOB,
) -> tuple[Plan, Result]:
    """Pure: the changes the chosen passes make, plus the engine's full result.

    A change is planned only where the rounded inferred value differs from
    what Plex holds, so a second run right after the first writes nothing.
    """
    with _gc_paused():
        return _plan(list(items), program, params or Params(), set(passes), job)


def _plan(
    items: list[Item],
    program: Mapping[int, float | None] | None,
    p: Params,
    chosen: set[str],
    job: str,
) -> tuple[Plan, Result]:
    res = _infer(items, program, p)
    plan = Plan(
        job,
        options={
            "passes": [x for x in PASSES if x in chosen],
            "params": res.params.as_text(),
            "mu": round(res.mu, 3),
        },
    )
    cleared_keys = {
        it.key for it in items if it.user_rating is None and (program or {}).get(it.key) is not None
    }
    star_text: dict[float, str] = {}
    step = res.params.rounding
    for it in items:
        if it.kind not in ("artist", "album", "track"):
            continue
        if it.key in res.manual:
            plan.count(MANUAL)
            continue
        if it.key in cleared_keys:
            plan.count(CLEARED)
            continue
        inf = res.values.get(it.key)
        if inf is None:
            plan.count(FILLER if it.key in res.filler else NO_EVIDENCE)
            continue
        if inf.source not in chosen:
            plan.count(NOT_IN_PASSES)
            continue
        new = round_step(inf.value, step)
        cur = it.user_rating
        if cur is not None and round(cur + 1e-9, 1) == new:
            plan.count(SAME)
            continue
        stars = star_text.get(new)
        if stars is None:
            stars = star_text[new] = format_stars(new)
        reason = f"{inf.source}: {inf.reason} -> {stars}"
        plan.add(Change(PLEX, str(it.key), "userRating", it.user_rating, new, reason, it.label))
        plan.count(f"{it.kind}s inferred")
    return plan, res


# --- reports ------------------------------------------------------------------------------------


def final_values(
    items: Iterable[Item], res: Result, passes: Iterable[str] = PASSES
) -> dict[int, float | None]:
    """Every item's rating after the chosen passes (what Plex would hold), rounded."""
    chosen = set(passes)
    out: dict[int, float | None] = {}
    for it in items:
        inf = res.values.get(it.key)
        if inf is not None and inf.source in chosen and it.key not in res.manual:
            out[it.key] = round_step(inf.value, res.params.rounding)
        else:
            out[it.key] = it.user_rating
    return out


def coverage(
    items: Iterable[Item], res: Result, passes: Iterable[str] = PASSES
) -> dict[str, dict[str, int]]:
    """Per level: own, inferred and unrated counts after the chosen passes."""
    chosen = set(passes)
    out: dict[str, dict[str, int]] = {
        k: {"own": 0, "inferred": 0, "unrated": 0, "other": 0} for k in ("artist", "album", "track")
    }
    for it in items:
        row = out.get(it.kind)
        if row is None:
            continue
        inf = res.values.get(it.key)
        if it.key in res.manual:
            row["own"] += 1
        elif inf is not None and inf.source in chosen:
            row["inferred"] += 1
        elif it.user_rating is None:
            row["unrated"] += 1
        else:
            row["other"] += 1  # a program value (base rating) no pass replaces
    return out


def histogram(values: Iterable[float | None], bins: int = 10) -> list[int]:
    """Counts per half star (0.5..5 stars = Plex 1..10); 0 and unrated are left out."""
    out = [0] * bins
    for v in values:
        if v is None or v <= 0:
            continue
        i = min(bins - 1, max(0, math.ceil(v - 1e-9) - 1))
        out[i] += 1
    return out


def dissenters(
    items: Iterable[Item], res: Result, threshold: float = 3.0
) -> list[tuple[Item, float, float]]:
    """Tracks the user rated far from their album's inferred or own value: (track, rating, album)."""
    items = list(items)
    album_value: dict[int, float] = {}
    for it in items:
        if it.kind != "album":
            continue
        if it.key in res.manual:
            album_value[it.key] = res.manual[it.key]
        elif it.key in res.values:
            album_value[it.key] = res.values[it.key].value
    out = []
    for t in items:
        if t.kind == "track" and t.key in res.manual and t.parent_key in album_value:
            a = album_value[t.parent_key]
            if abs(res.manual[t.key] - a) >= threshold:
                out.append((t, res.manual[t.key], round(a, 2)))
    out.sort(key=lambda r: -abs(r[1] - r[2]))
    return out


# --- backtest -----------------------------------------------------------------------------------


@dataclass
class Backtest:
    """Errors on hidden ratings (Plex units) of the engine and two baselines."""

    hidden: int
    predicted: int
    mae: float
    rmse: float
    baselines: dict[str, tuple[float, float]]
    params: Params

    def as_json(self) -> dict[str, Any]:
        return {
            "hidden": self.hidden,
            "predicted": self.predicted,
            "engine": {"mae": round(self.mae, 4), "rmse": round(self.rmse, 4)},
            "baselines": {
                k: {"mae": round(a, 4), "rmse": round(b, 4)} for k, (a, b) in self.baselines.items()
            },
            "params": self.params.as_text(),
        }

    def lines(self) -> list[str]:
        out = [
            f"backtest: {self.hidden:,} of your track ratings hidden, {self.predicted:,} inferred back"
        ]
        out.append(
            f"  engine        MAE {self.mae:.3f}  RMSE {self.rmse:.3f}  (Plex units; 1 = half a star)"
        )
        for k, (a, b) in self.baselines.items():
            out.append(f"  {k:13} MAE {a:.3f}  RMSE {b:.3f}")
        return out


def backtest(
    items: Iterable[Item],
    program: Mapping[int, float | None] | None = None,
    params: Params | None = None,
    *,
    share: float = 0.2,
    seed: int = 1,
) -> Backtest:
    """Hide ``share`` of the user's track ratings, infer them back, compare with baselines.

    A hidden track the engine leaves without a value is predicted by the
    library mean, so every method answers for the same tracks.
    """
    p = params or Params()
    items = list(items)
    program = program or {}
    manual, _ = split_evidence(items, program)
    candidates = sorted(
        it.key for it in items if it.kind == "track" and it.key in manual and not is_filler(it, p)
    )
    rng = random.Random(seed)
    hidden = set(rng.sample(candidates, int(len(candidates) * share))) if candidates else set()
    masked = [replace(it, user_rating=None) if it.key in hidden else it for it in items]
    res = infer(masked, program, p)
    by_key = {it.key: it for it in items}
    train_album: dict[int, list[float]] = defaultdict(list)
    for it in masked:
        manual_track = it.kind == "track" and it.key in res.manual and it.key not in res.filler
        if manual_track and it.parent_key is not None:
            train_album[it.parent_key].append(res.manual[it.key])
    errs: dict[str, list[float]] = {"engine": [], "library mean": [], "album mean": []}
    predicted = 0
    for key in sorted(hidden):
        truth = manual[key]
        inf = res.values.get(key)
        if inf is not None:
            predicted += 1
            guess = round_step(inf.value, res.params.rounding)
        else:
            guess = res.mu
        errs["engine"].append(guess - truth)
        errs["library mean"].append(res.mu - truth)
        album = train_album.get(by_key[key].parent_key or -1)
        errs["album mean"].append((sum(album) / len(album) if album else res.mu) - truth)

    def stats(e: list[float]) -> tuple[float, float]:
        if not e:
            return (0.0, 0.0)
        return (sum(abs(x) for x in e) / len(e), math.sqrt(sum(x * x for x in e) / len(e)))

    mae, rmse = stats(errs["engine"])
    return Backtest(
        len(hidden),
        predicted,
        mae,
        rmse,
        {k: stats(v) for k, v in errs.items() if k != "engine"},
        res.params,
    )
